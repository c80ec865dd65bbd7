"""glTF 2.0 metallic-roughness shading in GLSL (moderngl, EGL / Mesa llvmpipe), for tests.

Written from the glTF specification's Appendix B and the issue's formulas, sharing no
code with holopack: its own sRGB decode and mip chains of the same images, its own
tangent frame, its own light loop. It takes the same posed primitives (world-space
positions, normals, tangents), materials and matrices, and returns the linear
radiance per pixel (no tone mapping, no environment) as a float framebuffer.

Per directional light (L = -direction, E = intensity x color):
    c_diff = lerp(base, 0, metallic); F0 = lerp(0.04, base, metallic); a = roughness^2
    F = F0 + (1 - F0)(1 - |V.H|)^5; D = a^2 / (pi ((N.H)^2 (a^2 - 1) + 1)^2)
    Vis = 0.5 / (N.L sqrt((N.V)^2 (1 - a^2) + a^2) + N.V sqrt((N.L)^2 (1 - a^2) + a^2))
    out += ((1 - F) c_diff / pi + F D Vis) E max(N.L, 0)
plus emissive x emissive texture x emissive strength, and with an environment given by
its irradiance SH (9, 3) (real SH to band 2, order Y00 Y1-1 Y10 Y11 Y2-2 Y2-1 Y20 Y21
Y22, view space): c_diff / pi x E(n) x (1 + strength (occlusion.r - 1)).
"""

from __future__ import annotations

import numpy as np
from _gl_reference import sampler_filters

MAX_LIGHTS = 8

VERTEX = """
#version 330
uniform mat4 view;
uniform mat4 proj;
uniform mat3 normal_matrix;
in vec3 in_pos;
in vec3 in_nrm;
in vec4 in_tan;
in vec2 in_uv0;
in vec2 in_uv1;
in vec4 in_col;
out vec3 v_pos;
out vec3 v_nrm;
out vec4 v_tan;
out vec2 v_uv0;
out vec2 v_uv1;
out vec4 v_col;
void main() {
    vec4 eye = view * vec4(in_pos, 1.0);
    gl_Position = proj * eye;
    v_pos = eye.xyz / eye.w;
    v_nrm = normal_matrix * in_nrm;
    v_tan = vec4(mat3(view) * in_tan.xyz, in_tan.w);
    v_uv0 = in_uv0;
    v_uv1 = in_uv1;
    v_col = in_col;
}
"""

FRAGMENT = """
#version 330
const float PI = 3.14159265358979;
uniform vec4 base_factor;
uniform vec3 emissive;
uniform float metallic_factor;
uniform float roughness_factor;
uniform float normal_scale;
uniform bool has_base;
uniform bool has_mr;
uniform bool has_nrm;
uniform bool has_em;
uniform bool has_occ;
uniform sampler2D occ_tex;
uniform bvec2 occ_mirror;
uniform mat3 occ_xf;
uniform int occ_set;
uniform float occ_strength;
uniform bool has_env;
uniform vec3 sh[9];
uniform bool has_tangents;
uniform sampler2D base_tex;
uniform bvec2 base_mirror;
uniform sampler2D mr_tex;
uniform bvec2 mr_mirror;
uniform sampler2D nrm_tex;
uniform bvec2 nrm_mirror;
uniform sampler2D em_tex;
uniform bvec2 em_mirror;
uniform mat3 base_xf;
uniform mat3 mr_xf;
uniform mat3 nrm_xf;
uniform mat3 em_xf;
uniform int base_set;
uniform int mr_set;
uniform int nrm_set;
uniform int em_set;
uniform int alpha_mode;
uniform float cutoff;
uniform bool ortho;
uniform int n_lights;
uniform vec3 light_to[8];
uniform vec3 light_e[8];
in vec3 v_pos;
in vec3 v_nrm;
in vec4 v_tan;
in vec2 v_uv0;
in vec2 v_uv1;
in vec4 v_col;
out vec4 color;

vec2 uv_of(int set, mat3 xf) {
    vec2 uv = set == 1 ? v_uv1 : v_uv0;
    return (xf * vec3(uv, 1.0)).xy;
}

// MIRRORED_REPEAT folded here (the texture clamps to its edge there), sampled with
// the footprint of the unfolded coordinate
vec4 fetch(sampler2D tex, vec2 uv, bvec2 mirror) {
    vec2 folded = 1.0 - abs(mod(uv, 2.0) - 1.0);
    vec2 at = vec2(mirror.x ? folded.x : uv.x, mirror.y ? folded.y : uv.y);
    return textureGrad(tex, at, dFdx(uv), dFdy(uv));
}

void main() {
    vec4 base = base_factor * v_col;
    if (has_base) base *= fetch(base_tex, uv_of(base_set, base_xf), base_mirror);
    if (alpha_mode == 1 && base.a < cutoff) discard;
    float metallic = metallic_factor;
    float roughness = roughness_factor;
    if (has_mr) {
        vec4 mr = fetch(mr_tex, uv_of(mr_set, mr_xf), mr_mirror);
        roughness *= mr.g;
        metallic *= mr.b;
    }
    metallic = clamp(metallic, 0.0, 1.0);
    roughness = clamp(roughness, 0.0, 1.0);
    vec3 n = normalize(v_nrm);
    if (!gl_FrontFacing) n = -n;
    if (has_nrm && has_tangents) {
        vec3 n0 = normalize(v_nrm);
        vec3 t = v_tan.xyz - n0 * dot(n0, v_tan.xyz);
        if (length(t) > 1e-12) {
            t = normalize(t);
            vec3 b = (v_tan.w >= 0.0 ? 1.0 : -1.0) * cross(n0, t);
            if (!gl_FrontFacing) { t = -t; b = -b; n0 = -n0; }
            vec3 tn = fetch(nrm_tex, uv_of(nrm_set, nrm_xf), nrm_mirror).xyz * 2.0 - 1.0;
            tn.xy *= normal_scale;
            n = normalize(mat3(t, b, n0) * tn);
        }
    }
    vec3 v = ortho ? vec3(0.0, 0.0, 1.0) : normalize(-v_pos);
    vec3 c_diff = mix(base.rgb, vec3(0.0), metallic);
    vec3 f0 = mix(vec3(0.04), base.rgb, metallic);
    float a = roughness * roughness;
    float a2 = a * a;
    float ndv = clamp(dot(n, v), 0.0, 1.0);
    vec3 radiance = vec3(0.0);
    for (int i = 0; i < n_lights; ++i) {
        vec3 l = light_to[i];
        float ndl = dot(n, l);
        if (ndl <= 0.0) continue;
        ndl = min(ndl, 1.0);
        vec3 h = normalize(l + v);
        float ndh = clamp(dot(n, h), 0.0, 1.0);
        float vdh = min(abs(dot(v, h)), 1.0);
        vec3 F = f0 + (1.0 - f0) * pow(1.0 - vdh, 5.0);
        float q = ndh * ndh * (a2 - 1.0) + 1.0;
        float D = a2 / (PI * q * q);
        float den = ndl * sqrt(ndv * ndv * (1.0 - a2) + a2) + ndv * sqrt(ndl * ndl * (1.0 - a2) + a2);
        float Vis = den > 0.0 ? 0.5 / den : 0.0;
        vec3 f = (1.0 - F) * c_diff / PI + F * D * Vis;
        radiance += f * light_e[i] * ndl;
    }
    if (has_env) {
        vec3 e = sh[0] * 0.282095
            + sh[1] * 0.488603 * n.y + sh[2] * 0.488603 * n.z + sh[3] * 0.488603 * n.x
            + sh[4] * 1.092548 * n.x * n.y + sh[5] * 1.092548 * n.y * n.z
            + sh[6] * 0.315392 * (3.0 * n.z * n.z - 1.0)
            + sh[7] * 1.092548 * n.x * n.z + sh[8] * 0.546274 * (n.x * n.x - n.y * n.y);
        float ao = 1.0;
        if (has_occ) ao = 1.0 + occ_strength * (fetch(occ_tex, uv_of(occ_set, occ_xf), occ_mirror).r - 1.0);
        radiance += c_diff / PI * max(e, vec3(0.0)) * ao;
    }
    vec3 em = emissive;
    if (has_em) em *= fetch(em_tex, uv_of(em_set, em_xf), em_mirror).rgb;
    radiance += em;
    float alpha = alpha_mode == 2 ? clamp(base.a, 0.0, 1.0) : 1.0;
    color = vec4(radiance, alpha);
}
"""

_context = None


def context():
    """One shared standalone EGL context."""
    global _context
    if _context is None:
        import moderngl

        _context = moderngl.create_standalone_context(backend="egl")
    return _context


def srgb_decode(v: np.ndarray) -> np.ndarray:
    """sRGB-encoded [0, 1] -> linear (IEC 61966-2-1)."""
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) float64: output texel j averages the input texels under its own
    span [j, j + 1) x n_in / n_out, each by the length it covers."""
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    i = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, i + 1) - np.maximum(lo, i), 0.0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def mip_levels(level0: np.ndarray) -> list[np.ndarray]:
    """Mip chain of an (H, W, 4) float image down to 1 x 1, each side halved (rounded
    down, at least 1) as OpenGL sizes levels. Each texel is the area average of the
    texels of the level above under it: a 2 x 2 box for even sides; for odd ones the
    spans straddle texels (GL leaves the filter to the implementation, and Mesa's
    differs from both this and holopack's)."""
    levels = [np.asarray(level0, np.float64)]
    while levels[-1].shape[0] > 1 or levels[-1].shape[1] > 1:
        img = levels[-1]
        h, w = img.shape[:2]
        if h % 2 == 0 and w % 2 == 0:
            levels.append(0.25 * (img[0::2, 0::2] + img[1::2, 0::2] + img[0::2, 1::2] + img[1::2, 1::2]))
            continue
        rows = _area_weights(h, max(h // 2, 1))
        cols = _area_weights(w, max(w // 2, 1))
        down = np.tensordot(rows, img, axes=(1, 0))  # (h', w, 4)
        levels.append(np.tensordot(down, cols, axes=(1, 1)).transpose(0, 2, 1))
    return levels


def _matrix3(transform) -> np.ndarray:
    """KHR_texture_transform (2, 3) affine (None = identity) as a 3 x 3."""
    m = np.eye(3)
    if transform is not None:
        m[:2, :] = np.asarray(transform, np.float64).reshape(2, 3)
    return m


def _mat_bytes(m: np.ndarray) -> bytes:
    return np.ascontiguousarray(np.asarray(m, np.float32).T).tobytes()  # GLSL: column-major


SLOTS = (
    ("base", "base_color", True, 0),
    ("mr", "metallic_roughness", False, 1),
    ("nrm", "normal", False, 2),
    ("em", "emissive", True, 3),
    ("occ", "occlusion", False, 4),
)


def _upload(ctx, t, srgb: bool):
    """A float texture of t's pixels (sRGB-decoded for colour) with its mip chain."""

    px = np.asarray(t.pixels)
    values = px.astype(np.float64) / (65535.0 if px.dtype == np.uint16 else 255.0)
    if srgb:
        values[:, :, :3] = srgb_decode(values[:, :, :3])
    chain = mip_levels(values)
    h0, w0 = values.shape[:2]
    tex = ctx.texture((w0, h0), 4, values.astype(np.float32).tobytes(), dtype="f4")
    tex.build_mipmaps()
    for level, data in enumerate(chain[1:], start=1):
        tex.write(np.ascontiguousarray(data, np.float32).tobytes(), level=level)
    tex.filter = sampler_filters(t)  # the sampler's, as holopack draws them
    tex.repeat_x = t.wrap_s == 10497  # REPEAT; MIRRORED_REPEAT is folded in the shader
    tex.repeat_y = t.wrap_t == 10497
    return tex


def _material_uniforms(prog, m, textures, texture, has_tangents) -> bool:
    """Set the material's uniforms (m None: glTF's default material); True when it
    is double-sided. texture(index, srgb) gives the uploaded texture."""
    if m is None:
        prog["base_factor"].value = (1.0, 1.0, 1.0, 1.0)
        prog["emissive"].value = (0.0, 0.0, 0.0)
        prog["metallic_factor"].value = 1.0
        prog["roughness_factor"].value = 1.0
        prog["alpha_mode"].value = 0
        for short, _, _, _ in SLOTS:
            prog[f"has_{short}"].value = False
        return False
    prog["base_factor"].value = tuple(float(x) for x in np.asarray(m.base_color_factor).reshape(-1)[:4])
    strength = float(getattr(m, "emissive_strength", 1.0))
    prog["emissive"].value = tuple(float(x) * strength for x in np.asarray(m.emissive_factor).reshape(-1)[:3])
    prog["metallic_factor"].value = float(m.metallic_factor)
    prog["roughness_factor"].value = float(m.roughness_factor)
    prog["normal_scale"].value = float(m.normal_scale)
    prog["occ_strength"].value = float(m.occlusion_strength)
    prog["alpha_mode"].value = {"OPAQUE": 0, "MASK": 1, "BLEND": 2}[str(m.alpha_mode).upper()]
    prog["cutoff"].value = float(m.alpha_cutoff)
    prog["has_tangents"].value = bool(has_tangents)
    for short, name, srgb, unit in SLOTS:
        index = getattr(m, f"{name}_texture")
        usable = index is not None and 0 <= index < len(textures)
        if name == "emissive":
            usable = usable and bool(np.any(np.asarray(m.emissive_factor) > 0))
        prog[f"has_{short}"].value = usable
        prog[f"{short}_set"].value = min(max(int(getattr(m, f"{name}_texcoord")), 0), 1)
        prog[f"{short}_xf"].write(_mat_bytes(_matrix3(getattr(m, f"{name}_transform"))))
        if usable:
            prog[f"{short}_mirror"].value = (textures[index].wrap_s == 33648, textures[index].wrap_t == 33648)
            texture(index, srgb).use(unit)
            prog[f"{short}_tex"].value = unit
    return bool(m.double_sided)


def gl_render_pbr(posed, materials, textures, view, projection, size, lights, sh=None):
    """(linear (H, W, 3) float32, coverage (H, W) float32, depth (H, W) float32).

    lights: directional lights as objects with ``direction`` (travel, view space),
    ``color`` and ``intensity``; sh: None or the environment's irradiance SH (9, 3)."""
    import moderngl

    ctx = context()
    width, height = size
    view = np.asarray(view, np.float64)
    projection = np.asarray(projection, np.float64)
    prog = ctx.program(vertex_shader=VERTEX, fragment_shader=FRAGMENT)
    prog["view"].write(_mat_bytes(view))
    prog["proj"].write(_mat_bytes(projection))
    prog["normal_matrix"].write(_mat_bytes(np.linalg.inv(view[:3, :3]).T))
    prog["ortho"].value = bool(projection[3, 0] == 0 and projection[3, 1] == 0 and projection[3, 2] == 0)
    to = np.zeros((MAX_LIGHTS, 3), np.float32)
    e = np.zeros((MAX_LIGHTS, 3), np.float32)
    for i, light in enumerate(lights):
        d = np.asarray(light.direction, np.float64)
        to[i] = -d / np.linalg.norm(d)
        e[i] = np.asarray(light.color, np.float64) * light.intensity
    prog["n_lights"].value = len(lights)
    prog["light_to"].write(to.tobytes())
    prog["light_e"].write(e.tobytes())
    prog["has_env"].value = sh is not None
    if sh is not None:
        prog["sh"].write(np.asarray(sh, np.float32).reshape(9, 3).tobytes())
    color_rb = ctx.renderbuffer((width, height), 4, dtype="f4")
    depth_rb = ctx.depth_renderbuffer((width, height))
    fbo = ctx.framebuffer(color_attachments=[color_rb], depth_attachment=depth_rb)
    fbo.use()
    ctx.viewport = (0, 0, width, height)
    fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
    ctx.enable(moderngl.DEPTH_TEST)
    ctx.front_face = "ccw"
    ctx.cull_face = "back"
    made = [prog, color_rb, depth_rb, fbo]
    uploaded = {}

    def texture(index, srgb):
        if (index, srgb) not in uploaded:
            uploaded[(index, srgb)] = _upload(ctx, textures[index], srgb)
            made.append(uploaded[(index, srgb)])
        return uploaded[(index, srgb)]

    def set_material(material, has_tangents):
        m = materials[material] if 0 <= material < len(materials) else None
        return _material_uniforms(prog, m, textures, texture, has_tangents)

    def vertex_data(p):
        prim = p.primitive
        n = len(p.positions)
        uv = [
            np.asarray(prim.uv[k], np.float32) if k < len(prim.uv) else np.zeros((n, 2), np.float32)
            for k in (0, 1)
        ]
        tangents = getattr(p, "tangents", None)
        tan = np.asarray(tangents, np.float32) if tangents is not None else np.zeros((n, 4), np.float32)
        col = np.asarray(prim.colors, np.float32) if prim.colors is not None else np.ones((n, 4), np.float32)
        data = np.concatenate(
            [np.asarray(p.positions, np.float32), np.asarray(p.normals, np.float32), tan, uv[0], uv[1], col],
            axis=1,
        )
        return data, tangents is not None

    def draw(data, material, has_tangents):
        double = set_material(material, has_tangents)
        if double:
            ctx.disable(moderngl.CULL_FACE)
        else:
            ctx.enable(moderngl.CULL_FACE)
        vbo = ctx.buffer(np.ascontiguousarray(data, np.float32).tobytes())
        vao = ctx.vertex_array(
            prog, [(vbo, "3f 3f 4f 2f 2f 4f", "in_pos", "in_nrm", "in_tan", "in_uv0", "in_uv1", "in_col")]
        )
        vao.render(moderngl.TRIANGLES)
        vao.release()
        vbo.release()

    blend = []
    for p in posed:
        data, has_tangents = vertex_data(p)
        idx = np.asarray(p.primitive.indices, np.int64).reshape(-1, 3)
        material = p.primitive.material
        m = materials[material] if 0 <= material < len(materials) else None
        if m is not None and str(m.alpha_mode).upper() == "BLEND":
            clip = np.c_[data[:, :3].astype(np.float64), np.ones(len(data))] @ (projection @ view).T
            z = (clip[:, 2] / clip[:, 3]) * 0.5 + 0.5
            for t, key in zip(idx, z[idx].mean(axis=1)):
                blend.append((-key, data[t], material, has_tangents))
            continue
        draw(data[idx.reshape(-1)], material, has_tangents)
    if blend:  # back to front per triangle by mean window depth, without depth writes
        ctx.enable(moderngl.BLEND)
        ctx.blend_func = (
            moderngl.SRC_ALPHA,
            moderngl.ONE_MINUS_SRC_ALPHA,
            moderngl.ONE,
            moderngl.ONE_MINUS_SRC_ALPHA,
        )
        fbo.depth_mask = False
        blend.sort(key=lambda item: item[0])
        for _, tri, material, has_tangents in blend:
            draw(tri, material, has_tangents)
        fbo.depth_mask = True
        ctx.disable(moderngl.BLEND)
    ctx.finish()
    rgba = np.frombuffer(fbo.read(components=4, dtype="f4"), np.float32).reshape(height, width, 4)[::-1]
    depth = np.frombuffer(fbo.read(components=1, attachment=-1, dtype="f4"), np.float32).reshape(
        height, width
    )[::-1]
    for obj in made:
        obj.release()
    return rgba[:, :, :3].copy(), rgba[:, :, 3].copy(), depth.copy()


def linear_psnr(ours: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> float:
    """PSNR in dB of two linear pictures over the masked pixels, peak 1.0 (white)."""
    if not mask.any():
        return 0.0
    mse = float(np.mean((ours[mask].astype(np.float64) - reference[mask].astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)
