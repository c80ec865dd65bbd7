"""An OpenGL (moderngl, EGL / Mesa llvmpipe) renderer of the same scene, for tests.

It draws what ``holopack.render`` draws in ``shading="unlit"``: base colour
factor x texture (its texCoord set, KHR_texture_transform and wrap modes) x vertex colour, MASK alpha test, BLEND triangles after the
opaque ones (sorted back to front by mean window depth, no depth writes), back
faces culled unless double-sided, with the same matrices. Textures are uploaded
as the same linear float mip chains (so the comparison tests the rasterizer and
the sampling, not two decoders). Output is read back in float: linear colour,
coverage and window depth, flipped so that row 0 is the top.
"""

from __future__ import annotations

import numpy as np

from holopack.rendering.texture_kernel import decode_texture

# glTF sampler wrap modes
REPEAT, MIRRORED_REPEAT = 10497, 33648

# glTF alphaMode as the fragment shader below numbers it
ALPHA_MODE = {"OPAQUE": 0, "MASK": 1, "BLEND": 2}


class _DefaultMaterial:
    """What glTF 2.0 draws for a primitive without a material: white, opaque,
    single-sided, alpha cutoff 0.5 (glTF 2.0 specification, 3.9.2 and 5.19)."""

    base_color_factor = (1.0, 1.0, 1.0, 1.0)
    base_color_texture = None
    base_color_texcoord = 0
    base_color_transform = None
    alpha_mode = "OPAQUE"
    alpha_cutoff = 0.5
    double_sided = False


def _material(materials, index):
    """The scene's material ``index``, read from its glTF fields, or the default."""
    return materials[index] if 0 <= index < len(materials) else _DefaultMaterial


def _texture_uniforms(prog, m, textures, texture) -> None:
    """The base colour texture's uniforms of material ``m``: whether it has one (bound
    to unit 0 by ``texture(index)``), its wraps, its KHR_texture_transform."""
    t = -1 if m.base_color_texture is None else int(m.base_color_texture)
    prog["has_texture"].value = 0 <= t < len(textures)
    if 0 <= t < len(textures):
        texture(t).use(0)
        prog["base_texture"].value = 0
        wraps = (textures[t].wrap_s, textures[t].wrap_t)
        prog["mirror"].value = tuple(w == MIRRORED_REPEAT for w in wraps)
    xf = np.eye(3)
    if getattr(m, "base_color_transform", None) is not None:
        xf[:2, :] = np.asarray(m.base_color_transform, np.float64).reshape(2, 3)
    prog["base_xf"].write(np.ascontiguousarray(xf.T, np.float32).tobytes())


def sampler_filters(texture) -> tuple[int, int]:
    """(min, mag) GL filters for a texture's glTF sampler (glTF numbers them as GL does),
    LINEAR_MIPMAP_LINEAR and LINEAR where it gives none. As holopack draws them (its
    choice, docs/pbr.md): a NEAREST* minFilter samples single texels only where magFilter
    is NEAREST too; otherwise its texel choice is LINEAR and its mipmap choice stays."""
    min_filter = getattr(texture, "min_filter", None)
    mag_filter = getattr(texture, "mag_filter", None)
    mag = 9729 if mag_filter is None else int(mag_filter)
    minify = 9987 if min_filter is None else int(min_filter)
    if mag != 9728:  # NEAREST -> LINEAR, NEAREST_MIPMAP_x -> LINEAR_MIPMAP_x
        minify = {9728: 9729, 9984: 9985, 9986: 9987}.get(minify, minify)
    return minify, mag


VERTEX = """
#version 330
uniform mat4 mvp;
in vec3 in_pos;
in vec2 in_uv;
in vec4 in_col;
out vec2 v_uv;
out vec4 v_col;
void main() {
    gl_Position = mvp * vec4(in_pos, 1.0);
    v_uv = in_uv;
    v_col = in_col;
}
"""

FRAGMENT = """
#version 330
uniform vec4 base_factor;
uniform bool has_texture;
uniform sampler2D base_texture;
uniform mat3 base_xf;
uniform bvec2 mirror;
uniform int alpha_mode;
uniform float cutoff;
in vec2 v_uv;
in vec4 v_col;
out vec4 color;
void main() {
    vec4 c = base_factor * v_col;
    // KHR_texture_transform, then MIRRORED_REPEAT folded here: the texture itself
    // clamps to its edge there, and the footprint is that of the unfolded coordinate
    vec2 uv = (base_xf * vec3(v_uv, 1.0)).xy;
    vec2 folded = 1.0 - abs(mod(uv, 2.0) - 1.0);
    vec2 at = vec2(mirror.x ? folded.x : uv.x, mirror.y ? folded.y : uv.y);
    if (has_texture) c *= textureGrad(base_texture, at, dFdx(uv), dFdy(uv));
    if (alpha_mode == 1 && c.a < cutoff) discard;
    if (alpha_mode != 2) c.a = 1.0;
    color = vec4(c.rgb, clamp(c.a, 0.0, 1.0));
}
"""

_context = None


def context():
    """One shared standalone EGL context (creating one costs ~100 ms)."""
    global _context
    if _context is None:
        import moderngl

        _context = moderngl.create_standalone_context(backend="egl")
    return _context


def gl_render(posed, materials, textures, view, projection, size):
    """(linear (H, W, 3) float32, coverage (H, W) float32, depth (H, W) float32)."""
    import moderngl

    ctx = context()
    width, height = size
    mvp = (np.asarray(projection, np.float64) @ np.asarray(view, np.float64)).astype(np.float32)
    prog = ctx.program(vertex_shader=VERTEX, fragment_shader=FRAGMENT)
    prog["mvp"].write(mvp.T.copy().tobytes())  # GLSL matrices are column-major
    color_rb = ctx.renderbuffer((width, height), 4, dtype="f4")
    depth_rb = ctx.depth_renderbuffer((width, height))
    fbo = ctx.framebuffer(color_attachments=[color_rb], depth_attachment=depth_rb)
    fbo.use()
    ctx.viewport = (0, 0, width, height)
    fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
    ctx.enable(moderngl.DEPTH_TEST)
    ctx.front_face = "ccw"
    ctx.cull_face = "back"
    gl_textures = {}
    made = [prog, color_rb, depth_rb, fbo]

    def texture(index):
        if index not in gl_textures:
            chain = decode_texture(textures[index])
            h0, w0 = chain[0].shape[:2]
            tex = ctx.texture((w0, h0), 4, chain[0].tobytes(), dtype="f4")
            tex.build_mipmaps(0, len(chain) - 1)
            for level, data in enumerate(chain[1:], start=1):
                tex.write(np.ascontiguousarray(data).tobytes(), level=level)
            tex.filter = sampler_filters(textures[index])
            tex.repeat_x = textures[index].wrap_s == REPEAT
            tex.repeat_y = textures[index].wrap_t == REPEAT
            gl_textures[index] = tex
            made.append(tex)
        return gl_textures[index]

    def draw(positions, uv, col, material):
        m = _material(materials, material)
        prog["base_factor"].value = tuple(float(v) for v in np.asarray(m.base_color_factor).reshape(-1)[:4])
        _texture_uniforms(prog, m, textures, texture)
        prog["alpha_mode"].value = ALPHA_MODE.get(str(m.alpha_mode).upper(), 0)
        prog["cutoff"].value = float(m.alpha_cutoff)
        if m.double_sided:
            ctx.disable(moderngl.CULL_FACE)
        else:
            ctx.enable(moderngl.CULL_FACE)
        data = np.concatenate([positions, uv, col], axis=1).astype(np.float32)
        vbo = ctx.buffer(np.ascontiguousarray(data).tobytes())
        vao = ctx.vertex_array(prog, [(vbo, "3f 2f 4f", "in_pos", "in_uv", "in_col")])
        vao.render(moderngl.TRIANGLES)
        vao.release()
        vbo.release()

    def corners(p):
        prim = p.primitive
        idx = np.asarray(prim.indices, np.int64).reshape(-1, 3)
        n = len(p.positions)
        texcoord = min(max(int(_material(materials, prim.material).base_color_texcoord), 0), 1)
        uv = prim.uv[min(texcoord, len(prim.uv) - 1)] if prim.uv else np.zeros((n, 2), np.float32)
        col = prim.colors if prim.colors is not None else np.ones((n, 4), np.float32)
        return (
            idx,
            np.asarray(p.positions, np.float32),
            np.asarray(uv, np.float32),
            np.asarray(col, np.float32),
        )

    blend_items = []
    for p in posed:
        idx, pos, uv, col = corners(p)
        material = p.primitive.material
        flat = idx.reshape(-1)
        if str(_material(materials, material).alpha_mode).upper() == "BLEND":
            blend_items.append((idx, pos, uv, col, material))
            continue
        draw(pos[flat], uv[flat], col[flat], material)
    if blend_items:
        # back to front per triangle by mean window depth, as holopack.render does
        ctx.enable(moderngl.BLEND)
        ctx.blend_func = (
            moderngl.SRC_ALPHA,
            moderngl.ONE_MINUS_SRC_ALPHA,
            moderngl.ONE,
            moderngl.ONE_MINUS_SRC_ALPHA,
        )
        fbo.depth_mask = False
        tris = []
        for idx, pos, uv, col, material in blend_items:
            clip = np.c_[pos.astype(np.float64), np.ones(len(pos))] @ (projection @ view).T
            z = (clip[:, 2] / clip[:, 3]) * 0.5 + 0.5
            key = z[idx].mean(axis=1)
            for t in range(len(idx)):
                tris.append((-key[t], idx[t], pos, uv, col, material))
        tris.sort(key=lambda item: item[0])
        for _, tri, pos, uv, col, material in tris:
            draw(pos[tri], uv[tri], col[tri], material)
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


def posed_model(path):
    """(posed primitives, materials, textures) of a test model at rest."""
    from holopack.scene.load import load

    scene = load(path)
    return scene.pose(None, 0.0), scene.materials, scene.textures


def framed_camera(posed, fov=30.0, yaw=0.0, pitch=0.0):
    """(view, projection) that fit the model like the exporter does."""
    from holopack.rendering.camera import Framing, fit_camera

    points = np.concatenate([p.positions for p in posed])
    cam = fit_camera(points, Framing(yaw=yaw, pitch=pitch, fov=fov))
    return cam.view, cam.projection


def srgb8(linear):
    """Linear float -> sRGB uint8, the same encoding as holopack.rendering."""
    from holopack.colour import linear_to_srgb

    return np.floor(linear_to_srgb(linear) * 255.0 + 0.5).astype(np.uint8)


def psnr(a, b):
    """PSNR in dB of two uint8 pictures."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def iou(a, b):
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union
