#version 330 core
// shading="pbr" per fragment, as the Numba renderer does it (rendering/pbr_kernel.py):
// glTF 2.0's metallic-roughness BRDF (Appendix B) per punctual light, in linear light,
// view space, premultiplied over black; the maps (base colour, metallic-roughness with
// G = roughness and B = metallic, normal through the vertex tangent frame, occlusion,
// emissive), each through its own UVs; the environment's SH irradiance and prefiltered
// specular with the split-sum table, dimmed by the occlusion; emission once.
// KHR_materials_unlit materials show their base colour only, as in mesh.frag.
// Compiled with TONE_MAPPING (shaders/tonemap.frag) for the direct draws of scenes
// without BLEND materials at one sample a pixel, where a pixel's colour is one
// fragment's: the fragment is tone-mapped here, as the renderer tone-maps the pixel.
in vec3 v_view_pos;
in vec3 v_normal;
in vec2 v_base_uv;
in vec2 v_emissive_uv;
in vec4 v_color;
in vec4 v_tangent;
in vec2 v_mr_uv;
in vec2 v_normal_uv;
in vec2 v_occ_uv;

const float INV_PI = 0.318309886183790672;
const float PI = 3.14159265358979324;
const int MAX_LIGHTS = 8;

uniform vec4 u_base_factor;
uniform vec3 u_emissive_factor;      // x KHR_materials_emissive_strength
uniform bool u_has_base_texture;
uniform bool u_has_emissive_texture;
uniform bool u_has_mr_texture;
uniform bool u_has_normal_texture;
uniform bool u_has_occ_texture;      // set only with an environment: the one light it dims
uniform sampler2D u_base_texture;    // colour textures: sRGB decoded to linear
uniform sampler2D u_emissive_texture;
uniform sampler2D u_mr_texture;      // data textures: as stored
uniform sampler2D u_normal_texture;
uniform sampler2D u_occ_texture;
uniform int u_alpha_mode;            // 0 OPAQUE, 1 MASK, 2 BLEND
uniform float u_cutoff;
uniform bool u_double_sided;
uniform bool u_unlit;
uniform float u_metallic;            // factors
uniform float u_roughness;
uniform float u_normal_scale;
uniform float u_occ_strength;
uniform bool u_ortho;

// punctual.pack_lights' rows: towards the light (directional), radiance, kind
// (0 directional, 1 point, 2 spot), view-space position, range (0: none), the spot's
// angular scale and offset and its travel direction
uniform int u_light_count;
uniform vec3 u_light_towards[MAX_LIGHTS];
uniform vec3 u_light_rgb[MAX_LIGHTS];
uniform int u_light_kind[MAX_LIGHTS];
uniform vec3 u_light_pos[MAX_LIGHTS];
uniform float u_light_range[MAX_LIGHTS];
uniform vec2 u_light_spot[MAX_LIGHTS];
uniform vec3 u_light_spot_dir[MAX_LIGHTS];

// environment.Environment in view space (the variant compiled with ENVIRONMENT):
// irradiance SH (Y00, Y1-1, Y10, Y11, Y2-2, Y2-1, Y20, Y21, Y22), GGX-prefiltered
// equirectangular maps, one layer a roughness level, and the split-sum table (entry
// [i, j] at texel (j, i))
// KHR_materials_transmission (rendering/shading.py, raster_kernel.blend_tiles): the share
// of the light behind that passes through, tinted by the base colour and the volume's tint
uniform float u_transmission;
uniform vec3 u_tint;

// drawn with dual-source blending, colour = frag_color + frag_keep x what lies behind:
// frag_keep is 1 - alpha (an ordinary BLEND surface) plus the light passing through
layout(location = 0, index = 0) out vec4 frag_color;
layout(location = 0, index = 1) out vec4 frag_keep;

#ifdef ENVIRONMENT
uniform vec3 u_sh[9];
uniform bool u_env_specular;
uniform sampler2DArray u_specular;
uniform sampler2D u_lut;

vec3 sh_irradiance(vec3 n) {
    return u_sh[0] * 0.282095 + u_sh[1] * (0.488603 * n.y) + u_sh[2] * (0.488603 * n.z)
         + u_sh[3] * (0.488603 * n.x) + u_sh[4] * (1.092548 * n.x * n.y)
         + u_sh[5] * (1.092548 * n.y * n.z) + u_sh[6] * (0.315392 * (3.0 * n.z * n.z - 1.0))
         + u_sh[7] * (1.092548 * n.x * n.z) + u_sh[8] * (0.546274 * (n.x * n.x - n.y * n.y));
}

// bilinear in (u, v), wrapping in u, clamped in v; linear between the two nearest levels
vec3 prefiltered(vec3 d, float rough) {
    ivec3 size = textureSize(u_specular, 0);
    int levels = size.z;
    float level = clamp(rough, 0.0, 1.0) * float(levels - 1);
    int low = min(int(floor(level)), levels - 1);
    int high = min(low + 1, levels - 1);
    float frac = level - float(low);
    float u = 0.5 + atan(d.x, -d.z) / (2.0 * PI);
    u -= floor(u);
    float v = acos(clamp(d.y, -1.0, 1.0)) / PI;
    float px = u * float(size.x) - 0.5;
    float py = clamp(v * float(size.y) - 0.5, 0.0, float(size.y) - 1.0);
    int x0 = int(floor(px));
    int y0 = min(int(floor(py)), size.y - 1);
    float fx = px - float(x0);
    float fy = py - float(y0);
    int y1 = min(y0 + 1, size.y - 1);
    int x1 = (x0 + 1) % size.x;
    x0 = (x0 + size.x) % size.x;
    vec3 out_rgb = vec3(0.0);
    for (int which = 0; which < 2; ++which) {
        int k = which == 0 ? low : high;
        float weight = which == 0 ? 1.0 - frac : frac;
        if (weight <= 0.0) continue;
        out_rgb += weight * ((1.0 - fx) * (1.0 - fy) * texelFetch(u_specular, ivec3(x0, y0, k), 0).rgb
                           + fx * (1.0 - fy) * texelFetch(u_specular, ivec3(x1, y0, k), 0).rgb
                           + (1.0 - fx) * fy * texelFetch(u_specular, ivec3(x0, y1, k), 0).rgb
                           + fx * fy * texelFetch(u_specular, ivec3(x1, y1, k), 0).rgb);
    }
    return out_rgb;
}

vec2 split_sum(float n_dot_v, float rough) {
    int size = textureSize(u_lut, 0).x;
    float i = clamp(n_dot_v * float(size) - 1.0, 0.0, float(size) - 1.0);
    float j = clamp(rough * float(size - 1), 0.0, float(size) - 1.0);
    int i0 = min(int(floor(i)), size - 2);
    int j0 = min(int(floor(j)), size - 2);
    float fi = i - float(i0);
    float fj = j - float(j0);
    vec2 low = mix(texelFetch(u_lut, ivec2(j0, i0), 0).rg, texelFetch(u_lut, ivec2(j0 + 1, i0), 0).rg, fj);
    vec2 high = mix(texelFetch(u_lut, ivec2(j0, i0 + 1), 0).rg, texelFetch(u_lut, ivec2(j0 + 1, i0 + 1), 0).rg, fj);
    return mix(low, high, fi);
}
#endif

// Appendix B's f x max(N.L, 0) for unit l towards the light (pbr_kernel.brdf_light)
vec3 brdf_light(vec3 n, vec3 v, vec3 l, float ndv, vec3 diffuse, vec3 f0, float alpha2, float view_term) {
    float ndl = dot(n, l);
    if (ndl <= 0.0) return vec3(0.0);
    ndl = min(ndl, 1.0);
    vec3 h = l + v;
    float hn = dot(h, h);
    float nh = max(dot(n, h), 0.0);
    float nh2 = min(nh * nh, hn);  // (N.H)^2 |L + V|^2
    float vdh = min(0.5 * sqrt(hn), 1.0);
    float k = 1.0 - vdh;
    float k2 = k * k;
    vec3 f = f0 + (1.0 - f0) * (k2 * k2 * k);
    float denom = ndl * view_term + ndv * sqrt(ndl * ndl * (1.0 - alpha2) + alpha2);
    float s = 0.0;
    if (hn > 0.0) {
        float qh = nh2 * (alpha2 - 1.0) + hn;
        if (qh > 0.0 && denom > 0.0) s = 0.5 * alpha2 * INV_PI * hn * hn / (qh * qh * denom);
    } else if (denom > 0.0) {
        s = 0.5 * alpha2 * INV_PI / denom;
    }
    return ((1.0 - f) * diffuse + f * s) * ndl;
}

// the shading normal through the normal map (pbr_kernel.normal_mapped); n as it is
// where the vertices carry no tangent
vec3 normal_mapped(vec3 n, bool back) {
    vec3 t = v_tangent.xyz;
    t -= dot(t, n) * n;  // Gram-Schmidt against the (possibly flipped) normal
    float tn = length(t);
    if (!(tn > 1e-12)) return n;
    t /= tn;
    float sign = v_tangent.w >= 0.0 ? 1.0 : -1.0;
    if (back) {  // flipping N and T together keeps N x T: the bitangent's flip is explicit
        t = -t;
        sign = -sign;
    }
    vec3 b = sign * cross(n, t);
    vec3 s = texture(u_normal_texture, v_normal_uv).rgb;
    vec3 m = t * ((2.0 * s.x - 1.0) * u_normal_scale) + b * ((2.0 * s.y - 1.0) * u_normal_scale)
           + n * (2.0 * s.z - 1.0);
    float mn = length(m);
    return mn > 0.0 ? m / mn : n;
}

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
#ifdef TONE_MAPPING
        base.rgb = tone_map(base.rgb);
#endif
        frag_color = vec4(base.rgb * alpha, cover);
        return;
    }
    vec3 emissive = u_emissive_factor;
    if (u_has_emissive_texture && any(greaterThan(emissive, vec3(0.0)))) {
        emissive *= texture(u_emissive_texture, v_emissive_uv).rgb;
    }
    bool back = !gl_FrontFacing;  // the back of a double-sided surface
    vec3 n = v_normal;
    float nn = length(n);
    if (nn > 0.0) n /= nn;
    if (back) n = -n;
    vec3 e = vec3(0.0, 0.0, 1.0);
    if (!u_ortho) {
        float en = length(v_view_pos);
        if (en > 0.0) e = -v_view_pos / en;
    }
    float metallic = u_metallic;
    float rough = u_roughness;
    if (u_has_mr_texture) {
        vec4 mr = texture(u_mr_texture, v_mr_uv);
        rough *= mr.g;
        metallic *= mr.b;
    }
    metallic = clamp(metallic, 0.0, 1.0);
    rough = clamp(rough, 0.0, 1.0);
    if (u_has_normal_texture) n = normal_mapped(n, back);
    vec3 c_diff = base.rgb * (1.0 - metallic);
    vec3 f0 = 0.04 + (base.rgb - 0.04) * metallic;
    float a = rough * rough;
    float alpha2 = a * a;
    float ndv = clamp(dot(n, e), 0.0, 1.0);
    vec3 diffuse = c_diff * INV_PI;
    float view_term = sqrt(ndv * ndv * (1.0 - alpha2) + alpha2);
    vec3 radiance = vec3(0.0);
    for (int i = 0; i < u_light_count; ++i) {
        vec3 l;
        vec3 light = u_light_rgb[i];
        if (u_light_kind[i] == 0) {
            l = u_light_towards[i];
        } else {  // KHR_lights_punctual's falloff: 1 / d^2, windowed by the range
            l = u_light_pos[i] - v_view_pos;
            float d2 = dot(l, l);
            if (d2 <= 0.0) continue;
            l *= inversesqrt(d2);
            float att = 1.0 / d2;
            if (u_light_range[i] > 0.0) {
                float q = d2 / (u_light_range[i] * u_light_range[i]);
                float w = clamp(1.0 - q * q, 0.0, 1.0);
                att *= w * w;
            }
            if (u_light_kind[i] == 2) {
                float cd = -dot(u_light_spot_dir[i], l);
                float st = clamp(cd * u_light_spot[i].x + u_light_spot[i].y, 0.0, 1.0);
                att *= st * st;
            }
            if (att <= 0.0) continue;
            light *= att;
        }
        radiance += brdf_light(n, e, l, ndv, diffuse, f0, alpha2, view_term) * light;
    }
#ifdef ENVIRONMENT
    {
        float ao = 1.0;
        if (u_has_occ_texture) ao = 1.0 + u_occ_strength * (texture(u_occ_texture, v_occ_uv).r - 1.0);
        vec3 ambient = diffuse * max(sh_irradiance(n), vec3(0.0));
        if (u_env_specular) {
            float ndv_raw = dot(n, e);
            vec3 r = 2.0 * ndv_raw * n - e;
            float rn = length(r);
            if (rn > 0.0) r /= rn;
            vec2 ab = split_sum(clamp(ndv_raw, 0.0, 1.0), rough);
            ambient += prefiltered(r, rough) * (f0 * ab.x + ab.y);
        }
        radiance += ambient * ao;
    }
#endif
    vec3 rgb = radiance + emissive;
#ifdef TONE_MAPPING
    rgb = tone_map(rgb);
#endif
    frag_color = vec4(rgb * alpha, cover);
}
