#version 330 core
// The Numba renderer's shading (holopack/rendering/shading.py) per fragment, in linear
// light, premultiplied over black: camera-fixed key and fill lights, ambient,
// Blinn-Phong specular, a rim term and emissive; or unlit (base colour only).
in vec3 v_view_pos;
in vec3 v_normal;
in vec2 v_base_uv;
in vec2 v_emissive_uv;
in vec4 v_color;

uniform vec4 u_base_factor;
uniform vec3 u_emissive_factor;
uniform bool u_has_base_texture;
uniform bool u_has_emissive_texture;
uniform sampler2D u_base_texture;
uniform sampler2D u_emissive_texture;
uniform int u_alpha_mode;        // 0 OPAQUE, 1 MASK, 2 BLEND
uniform float u_cutoff;
uniform bool u_double_sided;
uniform bool u_unlit;            // the material's, or shading="unlit" for the whole render
uniform float u_metallic;
uniform float u_shininess;       // Blinn-Phong exponent (shading.material_table)
uniform float u_spec_norm;       // its normalisation
uniform float u_spec_floor;      // N.H at or below which the highlight is negligible
uniform bool u_ortho;

uniform int u_light_count;       // key and fill (0 to 2)
uniform vec3 u_light_dir[2];     // view space, unit, towards the light
uniform vec3 u_light_rgb[2];     // radiance
uniform float u_ambient;
uniform float u_rim;
uniform float u_rim_power;
uniform vec3 u_rim_color;
uniform float u_specular;

// KHR_materials_transmission (rendering/shading.py, raster_kernel.blend_tiles): the share
// of the light behind that passes through, tinted by the base colour and the volume's tint
uniform float u_transmission;
uniform vec3 u_tint;

// drawn with dual-source blending, colour = frag_color + frag_keep x what lies behind:
// frag_keep is 1 - alpha (an ordinary BLEND surface) plus the light passing through
layout(location = 0, index = 0) out vec4 frag_color;
layout(location = 0, index = 1) out vec4 frag_keep;

void main() {
    // back faces are culled unless the material is double-sided, as in raster.py
    if (!u_double_sided && !gl_FrontFacing) discard;
    vec4 base = u_base_factor * v_color;
    if (u_has_base_texture) base *= texture(u_base_texture, v_base_uv);
    if (u_alpha_mode == 1 && base.a < u_cutoff) discard;
    float alpha = u_alpha_mode == 2 ? clamp(base.a, 0.0, 1.0) : 1.0;
    vec3 through = alpha * u_transmission * clamp(base.rgb, 0.0, 1.0) * u_tint;
    base.rgb *= 1.0 - u_transmission;
    frag_keep = vec4(vec3(1.0 - alpha) + through, 0.0);
    float cover = alpha - (through.r + through.g + through.b) / 3.0;  // the coverage it adds
    if (u_unlit) {
        frag_color = vec4(base.rgb * alpha, cover);
        return;
    }
    vec3 emissive = u_emissive_factor;
    if (u_has_emissive_texture && any(greaterThan(emissive, vec3(0.0)))) {
        emissive *= texture(u_emissive_texture, v_emissive_uv).rgb;
    }
    vec3 n = v_normal;
    float nn = length(n);
    if (nn > 0.0) n /= nn;
    if (!gl_FrontFacing) n = -n;  // the back of a double-sided surface
    vec3 e = vec3(0.0, 0.0, 1.0);
    if (!u_ortho) {
        float en = length(v_view_pos);
        if (en > 0.0) e = -v_view_pos / en;
    }
    float kd = 1.0 - 0.5 * u_metallic;
    vec3 spec_color = mix(vec3(0.04), base.rgb, u_metallic);
    vec3 diffuse = vec3(u_ambient);
    vec3 highlight = vec3(0.0);
    for (int i = 0; i < u_light_count; ++i) {
        vec3 l = u_light_dir[i];
        float ndl = dot(n, l);
        if (ndl <= 0.0) continue;
        diffuse += u_light_rgb[i] * ndl;
        vec3 h = l + e;
        float hn = length(h);
        if (hn > 0.0) {
            float ndh = dot(n, h) / hn;
            if (ndh <= u_spec_floor) continue;
            highlight += u_light_rgb[i] * (u_specular * u_spec_norm * pow(ndh, u_shininess) * ndl);
        }
    }
    float ndv = clamp(dot(n, e), 0.0, 1.0);
    float rim = u_rim * pow(1.0 - ndv, u_rim_power);
    vec3 rgb = kd * base.rgb * diffuse + spec_color * highlight
             + rim * u_rim_color * (0.5 + 0.5 * base.rgb) + emissive;
    frag_color = vec4(rgb * alpha, cover);
}
