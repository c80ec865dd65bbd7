"""The posed scene drawn with OpenGL: the renderer's second implementation.

``SceneDrawer.draw`` renders what ``holopack.render`` renders (the same posed
world-space geometry, materials, textures, lights, camera matrices, supersampling and
sRGB encoding; shaders/mesh.frag carries the shading model of rendering/shading.py,
shaders/scene_pbr.frag the glTF PBR of rendering/pbr_kernel.py, shaders/resolve.frag the
tone mapping of rendering/tonemap_kernel.py) into an offscreen picture. The preview's
window shows it on the left: a GPU, or Mesa's software rasteriser, draws it in a few
milliseconds, so the left panel follows the display's rate while the Numba render on
the worker thread feeds the fan view. ``holopack bench`` draws export's frames with it
in a standalone context (``standalone.standalone_context``) as its render peer on
llvmpipe, so that the peer does the same work as the Numba renderer.

Textures are uploaded as the very mip chains the Numba sampler reads (linear light,
16 bits a channel; the PBR data maps without the sRGB curve), with OpenGL's trilinear
filtering and the glTF wrap modes.

Everything here must be called on the thread whose GL context is current.
"""

from __future__ import annotations

import ctypes

import numpy as np
from OpenGL import GL

from ...errors import InputError
from ..pbr_setup import TONE_CODES, light_table, resolve_environment, resolve_tone_mapping
from ..punctual import L_KIND, L_POSITION, L_RANGE, L_SPOT_DIR, L_SPOT_SCALE
from ..renderer import SHADINGS, _texture_uv
from ..shading import (
    BLEND,
    M_ALPHA,
    M_BASE_TEX,
    M_CUTOFF,
    M_DOUBLE,
    M_EM_TEX,
    M_EMISSIVE,
    M_METALLIC,
    M_NORMAL_SCALE,
    M_OCC_STRENGTH,
    M_ROUGHNESS,
    M_SHININESS,
    M_SPEC_FLOOR,
    M_SPEC_NORM,
    M_TINT,
    M_TRANSMISSION,
    M_UNLIT,
    Lights,
    material_table,
)
from ..texture_kernel import decode_texture, drawn_filters, quantise_level
from .program import Program, Quad, read_framebuffer

# EXT_texture_sRGB_decode (Mesa offers it everywhere): sample an sRGB texture's stored bytes
GL_TEXTURE_SRGB_DECODE_EXT, GL_SKIP_DECODE_EXT = 0x8A48, 0x8A4A

# attribute locations of shaders/mesh.vert
POSITION, NORMAL, BASE_UV, EMISSIVE_UV, COLOR, TANGENT, MR_UV, NORMAL_UV, OCC_UV = range(9)
# base uv (2), emissive uv (2), colour (4), then the PBR maps' UVs: metallic-roughness,
# normal, occlusion (2 each), which sit in a buffer of their own: the lit model's
# vertices are fetched with the stride they always had
STATIC_COLUMNS = 14
LIT_COLUMNS = 8
# the PBR maps in the order of their UV columns (from column 8 on) and texture units
PBR_MAPS = ("metallic_roughness", "normal", "occlusion")
MAP_UNITS = {"metallic_roughness": 2, "normal": 3, "occlusion": 4}
MAP_FLAGS = {
    "metallic_roughness": "u_has_mr_texture",
    "normal": "u_has_normal_texture",
    "occlusion": "u_has_occ_texture",
}
MAP_SAMPLERS = {
    "metallic_roughness": "u_mr_texture",
    "normal": "u_normal_texture",
    "occlusion": "u_occ_texture",
}
SPECULAR_UNIT, LUT_UNIT = 5, 6
MAX_LIGHTS = 8  # shaders/scene_pbr.frag's MAX_LIGHTS
TONE_LIBRARY = ("tonemap.frag",)  # tone_map(), for the programs compiled with TONE_MAPPING


class _MeshTexture:
    """One scene texture on the GPU: the Numba sampler's stored mip chain (linear,
    uint16) as GL_RGBA16 levels, with the glTF wrap modes and filters (glTF numbers
    them as GL does). ``srgb`` False: a data map (normal, metallic-roughness,
    occlusion), decoded without the sRGB curve as the renderer decodes it."""

    def __init__(self, texture, srgb: bool = True):
        self.id = GL.glGenTextures(1)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.id)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 2)
        chain = decode_texture(texture, srgb)
        for level, pixels in enumerate(chain):
            data = np.ascontiguousarray(quantise_level(pixels))
            h, w = data.shape[:2]
            GL.glTexImage2D(
                GL.GL_TEXTURE_2D, level, GL.GL_RGBA16, w, h, 0, GL.GL_RGBA, GL.GL_UNSIGNED_SHORT, data
            )
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAX_LEVEL, len(chain) - 1)
        # the glTF sampler's filters as the Numba sampler draws them (numbered as GL's)
        mag_filter, min_filter = drawn_filters(texture.mag_filter, texture.min_filter)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, int(min_filter))
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, int(mag_filter))
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_S, int(texture.wrap_s))
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_T, int(texture.wrap_t))

    def release(self) -> None:
        GL.glDeleteTextures([self.id])


class _Target:
    """A framebuffer of (width, height) with a colour texture of ``internal`` format
    and, if asked, a depth buffer."""

    def __init__(self, width: int, height: int, internal, fmt, kind, depth: bool):
        self.size = (width, height)
        self.texture = GL.glGenTextures(1)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.texture)
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, internal, width, height, 0, fmt, kind, None)
        for name in (GL.GL_TEXTURE_MIN_FILTER, GL.GL_TEXTURE_MAG_FILTER):
            GL.glTexParameteri(GL.GL_TEXTURE_2D, name, GL.GL_LINEAR)
        for name in (GL.GL_TEXTURE_WRAP_S, GL.GL_TEXTURE_WRAP_T):
            GL.glTexParameteri(GL.GL_TEXTURE_2D, name, GL.GL_CLAMP_TO_EDGE)
        self.fbo = GL.glGenFramebuffers(1)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
        GL.glFramebufferTexture2D(
            GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D, self.texture, 0
        )
        self.depth = None
        if depth:
            self.depth = GL.glGenRenderbuffers(1)
            GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, self.depth)
            GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_DEPTH_COMPONENT32F, width, height)
            GL.glFramebufferRenderbuffer(
                GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_RENDERBUFFER, self.depth
            )
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)

    def release(self) -> None:
        GL.glDeleteFramebuffers(1, [self.fbo])
        GL.glDeleteTextures([self.texture])
        if self.depth is not None:
            GL.glDeleteRenderbuffers(1, [self.depth])


def _grown(target: _Target | None, width: int, height: int, internal, kind, depth: bool) -> _Target:
    """``target`` if it holds (width, height), else a new one at least that large."""
    if target is not None and target.size[0] >= width and target.size[1] >= height:
        return target
    if target is not None:
        width, height = max(width, target.size[0]), max(height, target.size[1])
        target.release()
    return _Target(width, height, internal, GL.GL_RGBA, kind, depth)


class _Picture:
    """The resolved picture as the window's image shader takes it (``bind``), stored
    top row first like the pictures the window uploads."""

    id = 0
    shape: tuple[int, ...] | None = None
    uv_scale = (1.0, 1.0)  # the picture's share of the texture (drawn into its corner)
    flip = False  # stored bottom row first, as GL draws (a direct draw, see SceneDrawer)

    def bind(self, unit: int = 0) -> None:
        GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.id)


class SceneDrawer:
    """Draws posed scenes into a square sRGB picture, as holopack.render does.

    ``picture`` (a gl.Texture-like object with ``bind``) holds the last draw for the
    window's image shader; ``read()`` returns it as (H, W, 3) uint8 sRGB, row 0 = top.
    """

    def __init__(self):
        self.mesh_program = Program("mesh.vert", "mesh.frag")
        # scene_pbr.frag's variants (with ENVIRONMENT, with TONE_MAPPING), each compiled
        # on its first draw
        self._pbr_programs: dict[tuple[bool, bool], Program] = {}
        self.resolve_program = Program("quad.vert", "resolve.frag")
        self._tone_program: Program | None = None  # resolve.frag with TONE_MAPPING, when asked
        self._vao = GL.glGenVertexArrays(1)
        self._dynamic = GL.glGenBuffers(1)  # positions and normals, every frame
        self._tangent_buffer = GL.glGenBuffers(1)  # tangents, every "pbr" frame
        self._static = GL.glGenBuffers(1)  # UVs and colours, once per scene
        self._static_maps = GL.glGenBuffers(1)  # the PBR maps' UVs, once per scene
        self._elements = GL.glGenBuffers(1)  # every primitive's triangles, once per scene
        self._blend_elements = GL.glGenBuffers(1)  # BLEND triangles, sorted every frame
        self._quad = Quad()
        self._scene_key = None
        self._textures: dict[int, _MeshTexture] = {}  # scene index -> colour texture
        self._data_textures: dict[int, _MeshTexture] = {}  # scene index -> data map
        self._environment = None  # the Environment uploaded (specular maps, split-sum table)
        self._environment_textures: list[int] = []
        self._sample: _Target | None = None
        self._output: _Target | None = None
        self._output_texture = _Picture()
        self.size = (0, 0)
        self._drawn_programs: list[Program] = []  # what the last draw ran (shader_files)

    # -- per scene -------------------------------------------------------------
    def _prepare(self, posed, materials, textures) -> None:
        key = (id(materials), id(textures), len(materials), len(textures)) + tuple(
            (id(p.primitive), len(p.positions)) for p in posed
        )
        if key == self._scene_key:
            return
        for texture in list(self._textures.values()) + list(self._data_textures.values()):
            texture.release()
        # both decoded on the first draw that samples them: a lit draw reads the base
        # colour and emissive textures only, and a glTF's maps as colour were decoded
        # and uploaded for nothing (three of DamagedHelmet's five 2048 px textures)
        self._textures = {}
        self._data_textures = {}
        self._scene_textures = textures
        self._table = material_table(materials, len(textures))
        # each material row's PBR maps (PBR_MAPS order): scene texture index, or -1
        self._maps = np.full((len(self._table), len(PBR_MAPS)), -1, np.int64)
        for row, m in enumerate(materials):
            for k, name in enumerate(PBR_MAPS):
                index = getattr(m, f"{name}_texture", None)
                if index is not None and 0 <= index < len(textures):
                    self._maps[row, k] = index
        n_materials = len(materials)
        statics: list[np.ndarray] = []
        triangles: list[np.ndarray] = []
        ranges: list[tuple[int, int, int]] = []
        triangle_material: list[np.ndarray] = []
        start = 0
        base = 0
        for p in posed:
            prim = p.primitive
            count = len(p.positions)
            idx = np.asarray(prim.indices, np.int64).reshape(-1, 3)
            if len(idx) and (idx.min() < 0 or idx.max() >= count):
                idx = idx[np.all((idx >= 0) & (idx < count), axis=1)]  # broken faces, as the renderer
            material = prim.material if 0 <= prim.material < n_materials else n_materials
            static = np.zeros((count, STATIC_COLUMNS), np.float32)
            if material < n_materials:
                m = materials[material]
                _texture_uv(prim, count, m.base_color_texcoord, m.base_color_transform, static[:, 0:2])
                _texture_uv(prim, count, m.emissive_texcoord, m.emissive_transform, static[:, 2:4])
                for k, name in enumerate(PBR_MAPS):  # as pbr_setup.fill_pbr_columns
                    if getattr(m, f"{name}_texture", None) is not None:
                        column = 8 + 2 * k
                        texcoord = getattr(m, f"{name}_texcoord", 0)
                        transform = getattr(m, f"{name}_transform", None)
                        _texture_uv(prim, count, texcoord, transform, static[:, column : column + 2])
            static[:, 4:8] = 1.0
            if prim.colors is not None and len(prim.colors) == count:
                c = np.asarray(prim.colors, np.float32)
                static[:, 4 : 4 + min(c.shape[1], 4)] = c[:, :4]
            statics.append(static)
            triangles.append(idx + base)
            ranges.append((material, start, len(idx)))
            start += len(idx)
            triangle_material.append(np.full(len(idx), material, np.int32))
            base += count
        self._vertex_count = base
        self._ranges = ranges
        self._triangles = (
            np.concatenate(triangles).astype(np.uint32) if triangles else np.zeros((0, 3), np.uint32)
        )
        self._triangle_material = (
            np.concatenate(triangle_material) if triangle_material else np.zeros(0, np.int32)
        )
        # BLEND and see-through (KHR_materials_transmission) materials, over the opaque ones
        self._see_through = (self._table[:, M_ALPHA] == BLEND) | (self._table[:, M_TRANSMISSION] > 0.0)
        blend = self._see_through
        self._blend_triangles = np.flatnonzero(blend[self._triangle_material])
        GL.glBindVertexArray(self._vao)
        static_data = np.ascontiguousarray(
            np.concatenate(statics) if statics else np.zeros((1, STATIC_COLUMNS), np.float32)
        )
        for buffer, part, columns in (
            (
                self._static,
                static_data[:, :LIT_COLUMNS],
                ((BASE_UV, 0, 2), (EMISSIVE_UV, 2, 2), (COLOR, 4, 4)),
            ),
            (
                self._static_maps,
                static_data[:, LIT_COLUMNS:],
                ((MR_UV, 0, 2), (NORMAL_UV, 2, 2), (OCC_UV, 4, 2)),
            ),
        ):
            data = np.ascontiguousarray(part)
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, buffer)
            GL.glBufferData(GL.GL_ARRAY_BUFFER, data.nbytes, data, GL.GL_STATIC_DRAW)
            stride = data.shape[1] * 4
            for location, column, width in columns:
                GL.glEnableVertexAttribArray(location)
                GL.glVertexAttribPointer(
                    location, width, GL.GL_FLOAT, GL.GL_FALSE, stride, ctypes.c_void_p(column * 4)
                )
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._dynamic)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, max(base, 1) * 24, None, GL.GL_STREAM_DRAW)
        GL.glEnableVertexAttribArray(POSITION)
        GL.glVertexAttribPointer(POSITION, 3, GL.GL_FLOAT, GL.GL_FALSE, 24, ctypes.c_void_p(0))
        GL.glEnableVertexAttribArray(NORMAL)
        GL.glVertexAttribPointer(NORMAL, 3, GL.GL_FLOAT, GL.GL_FALSE, 24, ctypes.c_void_p(12))
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._tangent_buffer)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, max(base, 1) * 16, None, GL.GL_STREAM_DRAW)
        GL.glEnableVertexAttribArray(TANGENT)
        GL.glVertexAttribPointer(TANGENT, 4, GL.GL_FLOAT, GL.GL_FALSE, 16, ctypes.c_void_p(0))
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self._elements)
        elements = np.ascontiguousarray(self._triangles if len(self._triangles) else np.zeros(3, np.uint32))
        GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, elements.nbytes, elements, GL.GL_STATIC_DRAW)
        GL.glBindVertexArray(0)
        self._scene_key = key
        self._uploaded = None  # the new buffers hold no vertices yet
        self._tangents_uploaded = None

    def _targets(self, width: int, height: int, supersample: int, linear: bool, direct: bool) -> None:
        """Targets that hold a (width, height) picture at ``supersample``: made at the
        largest size asked for so far and drawn into their lower-left corner, so that
        the live panel's changing size (dynamic resolution) and the fan frames at the
        device's size never make GL allocate a texture again mid-play. ``direct``: the
        picture is drawn straight into an sRGB target (see draw)."""
        s = supersample
        if direct:
            self._direct = _grown(
                self._direct, width, height, GL.GL_SRGB8_ALPHA8, GL.GL_UNSIGNED_BYTE, depth=True
            )
            # shown and read as the stored sRGB bytes; GL_FRAMEBUFFER_SRGB encodes writes
            GL.glBindTexture(GL.GL_TEXTURE_2D, self._direct.texture)
            GL.glTexParameteri(GL.GL_TEXTURE_2D, GL_TEXTURE_SRGB_DECODE_EXT, GL_SKIP_DECODE_EXT)
            picture = self._direct
        else:
            self._sample = _grown(self._sample, width * s, height * s, GL.GL_RGBA32F, GL.GL_FLOAT, depth=True)
            self._output = _grown(self._output, width, height, GL.GL_RGBA8, GL.GL_UNSIGNED_BYTE, depth=False)
            if linear and s > 1:
                self._linear = _grown(self._linear, width, height, GL.GL_RGBA32F, GL.GL_FLOAT, depth=False)
            picture = self._output
        full_w, full_h = picture.size
        self._output_texture.id = picture.texture
        self._output_texture.shape = (height, width, 4)
        self._output_texture.uv_scale = (width / full_w, height / full_h)
        self._output_texture.flip = direct
        self.size = (width, height)
        self._supersample = supersample
        self._drawn_direct = direct

    _supersample = 0
    _linear: _Target | None = None
    _direct: _Target | None = None
    _drawn_direct = False
    _has_linear = False
    _uploaded = None
    _tangents_uploaded = None
    _positions: np.ndarray | None = None
    _tone = (False, 0, 1.0)  # (applied, TONE_CODES value, exposure) of the last draw
    _fragment_tone = False  # the last draw tone-mapped its fragments (a direct "pbr" draw)

    # -- per frame ---------------------------------------------------------------
    def draw(
        self,
        posed,
        materials,
        textures,
        view,
        projection,
        size: tuple[int, int],
        *,
        supersample: int = 1,
        lights: Lights | list | None = None,
        shading: str = "lit",
        linear: bool = False,
        tone_mapping: str | None = None,
        exposure: float = 1.0,
        environment=None,
    ) -> _Picture:
        """Render world-space primitives with OpenGL view and projection matrices (4, 4)
        into a (height, width) picture; returns the texture that holds it.

        ``posed`` (Scene.pose's list) is uploaded unless it is the very list object of
        the last draw: pass the same list again only for the same pose. ``linear``
        also keeps the picture's linear light for ``read_linear``. ``shading``,
        ``lights``, ``tone_mapping``, ``exposure`` and ``environment`` as
        Renderer.draw takes them (lights: the lit rig, or for "pbr" also a list of
        punctual lights, at most MAX_LIGHTS); the picture is tone-mapped, its linear
        light is not, as RenderedPicture's color and linear."""
        if shading not in SHADINGS:
            raise InputError(f"shading must be one of {', '.join(SHADINGS)}, got {shading!r}")
        tone, exposure = resolve_tone_mapping(tone_mapping, exposure, shading)
        self._tone = (tone != "none" or exposure != 1.0, TONE_CODES[tone], exposure)
        view = np.asarray(view, np.float64).reshape(4, 4)
        projection = np.asarray(projection, np.float64).reshape(4, 4)
        width, height = int(size[0]), int(size[1])
        self._prepare(posed, materials, textures)
        # One sample a pixel, no tone mapping and no linear light wanted (the live panel's
        # own draws of the lit model): drawn straight into an sRGB8 target, which GL
        # encodes on write (blending in linear light), with no float target and no
        # resolve pass. FlightHelmet at 625 px took 0.78x the time of the float target
        # and resolve, the default twin 0.41x (medians of 12 alternated draws, llvmpipe,
        # load average 6 on 2 cores); the pictures differ by at most one level.
        # A "pbr" scene without BLEND materials is tone-mapped per fragment in such a draw
        # (a pixel is then one fragment, as in the renderer's picture).
        opaque_pbr = shading == "pbr" and not len(self._blend_triangles)
        direct = int(supersample) == 1 and not linear and (not self._tone[0] or opaque_pbr)
        self._fragment_tone = direct and self._tone[0]
        self._targets(width, height, int(supersample), linear, direct)
        self._drawn_programs = []
        viewport = GL.glGetIntegerv(GL.GL_VIEWPORT)
        if direct:
            assert self._direct is not None  # made by _targets
            GL.glEnable(GL.GL_FRAMEBUFFER_SRGB)
            self._draw_mesh(self._direct, posed, view, projection, shading, lights, environment)
            GL.glDisable(GL.GL_FRAMEBUFFER_SRGB)
        else:
            self._draw_mesh(self._sample, posed, view, projection, shading, lights, environment)
            self._resolve(self._output, encode=True)
            if linear and supersample > 1:  # else the samples are the linear picture
                self._resolve(self._linear, encode=False)
        self._has_linear = linear
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
        GL.glViewport(*[int(v) for v in viewport])
        GL.glEnable(GL.GL_BLEND)
        GL.glBlendFunc(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)
        return self._output_texture

    @property
    def picture(self) -> _Picture:
        return self._output_texture

    def shader_files(self) -> tuple[str, ...]:
        """The GLSL files (under shaders/) of the programs the last draw ran, in order."""
        return tuple(dict.fromkeys(name for program in self._drawn_programs for name in program.files))

    def _upload_vertices(self, posed, tangents: bool) -> None:
        if tangents and posed is not self._tangents_uploaded:
            self._upload_tangents(posed)
        if posed is self._uploaded and self._positions is not None:
            return  # the same posed list as last time (a still model): already there
        data = np.empty((max(self._vertex_count, 1), 6), np.float32)
        offset = 0
        for p in posed:
            count = len(p.positions)
            data[offset : offset + count, 0:3] = p.positions
            data[offset : offset + count, 3:6] = p.normals
            offset += count
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._dynamic)
        GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, data.nbytes, data)
        self._positions = data[: self._vertex_count, 0:3]
        self._uploaded = posed

    def _upload_tangents(self, posed) -> None:
        """The posed tangents (world xyz, sign w) for the normal maps; zero (no normal
        mapping, as pbr_setup.view_tangents leaves them) where a primitive has none."""
        data = np.zeros((max(self._vertex_count, 1), 4), np.float32)
        offset = 0
        for p in posed:
            count = len(p.positions)
            tangents = getattr(p, "tangents", None)
            if tangents is not None and len(tangents) == count:
                t = np.asarray(tangents, np.float32)
                data[offset : offset + count, : t.shape[1]] = t[:, :4]
                if t.shape[1] < 4:
                    data[offset : offset + count, 3] = 1.0
            offset += count
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._tangent_buffer)
        GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, data.nbytes, data)
        self._tangents_uploaded = posed

    def _draw_mesh(
        self, target: _Target | None, posed, view, projection, shading: str, lights, environment
    ) -> None:
        assert target is not None  # made by _targets
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, target.fbo)
        s = self._supersample
        width, height = self.size[0] * s, self.size[1] * s
        GL.glViewport(0, 0, width, height)
        GL.glClearColor(0.0, 0.0, 0.0, 0.0)
        GL.glClearDepth(1.0)
        GL.glDepthMask(GL.GL_TRUE)
        GL.glEnable(GL.GL_SCISSOR_TEST)  # only the corner this picture is drawn into
        GL.glScissor(0, 0, width, height)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
        GL.glDisable(GL.GL_SCISSOR_TEST)
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glDepthFunc(GL.GL_LESS)
        GL.glCullFace(GL.GL_BACK)  # per material (_set_material); the shader discards them too
        GL.glFrontFace(GL.GL_CCW)
        GL.glDisable(GL.GL_BLEND)
        GL.glBindVertexArray(self._vao)
        pbr = shading == "pbr"
        self._upload_vertices(posed, pbr)
        if pbr:
            variant = (self._upload_environment(environment), self._fragment_tone)
            if variant not in self._pbr_programs:
                defines = ("ENVIRONMENT",) * variant[0] + ("TONE_MAPPING",) * variant[1]
                libraries = TONE_LIBRARY if variant[1] else ()
                self._pbr_programs[variant] = Program("mesh.vert", "scene_pbr.frag", defines, libraries)
            p = self._pbr_programs[variant].use()
            self._drawn_programs.append(self._pbr_programs[variant])
            if variant[1]:
                self._set_tone(p)
            self._set_pbr_lights(p, lights)
            self._set_environment(p)
            for name in PBR_MAPS:
                p.set_int(MAP_SAMPLERS[name], MAP_UNITS[name])
            set_material = self._set_pbr_material
        else:
            p = self.mesh_program.use()
            self._drawn_programs.append(self.mesh_program)
            self._set_lights(p, lights or Lights())
            unlit_all = shading == "unlit"

            def set_material(p: Program, material: int) -> None:
                self._set_material(p, material, unlit_all)

        self._set_camera(p, view, projection)
        p.set_int("u_base_texture", 0)
        p.set_int("u_emissive_texture", 1)
        for material, start, count in self._ranges:
            if count and not self._see_through[material]:
                set_material(p, material)
                GL.glDrawElements(GL.GL_TRIANGLES, count * 3, GL.GL_UNSIGNED_INT, ctypes.c_void_p(start * 12))
        if len(self._blend_triangles):
            self._draw_blend(p, view, projection, set_material)
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glDisable(GL.GL_CULL_FACE)
        GL.glBindVertexArray(0)

    def _draw_blend(self, p, view, projection, set_material) -> None:
        """BLEND triangles back to front by mean window depth (as the renderer sorts
        them), over the opaque ones, depth-tested without writing depth."""
        ids = self._blend_triangles
        corners = self._triangles[ids]
        assert self._positions is not None  # uploaded before the draw
        # only the corners of the BLEND triangles: transforming all of FlightHelmet's
        # 95k vertices here took 78 ms a frame on a busy two-core machine (cProfile)
        pos = self._positions[corners.reshape(-1)].astype(np.float64)
        m = projection @ view
        z = pos @ m[2, :3] + m[2, 3]
        w = pos @ m[3, :3] + m[3, 3]
        with np.errstate(divide="ignore", invalid="ignore"):
            depth = z / w * 0.5 + 0.5
        mean = depth.reshape(-1, 3).mean(axis=1)
        order = np.argsort(-np.nan_to_num(mean, nan=-np.inf), kind="stable")
        ids, corners = ids[order], np.ascontiguousarray(corners[order])
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self._blend_elements)
        GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, corners.nbytes, corners, GL.GL_STREAM_DRAW)
        GL.glEnable(GL.GL_BLEND)
        # the shaders' second output holds each channel's share of what lies behind
        GL.glBlendFuncSeparate(GL.GL_ONE, GL.GL_SRC1_COLOR, GL.GL_ONE, GL.GL_ONE_MINUS_SRC_ALPHA)
        GL.glDepthMask(GL.GL_FALSE)
        materials = self._triangle_material[ids]
        # one draw per run of triangles that share a material
        breaks = np.flatnonzero(np.diff(materials)) + 1
        starts = np.concatenate([[0], breaks])
        ends = np.concatenate([breaks, [len(ids)]])
        for start, end in zip(starts, ends):
            set_material(p, int(materials[start]))
            GL.glDrawElements(
                GL.GL_TRIANGLES, int(end - start) * 3, GL.GL_UNSIGNED_INT, ctypes.c_void_p(int(start) * 12)
            )
        GL.glDepthMask(GL.GL_TRUE)
        GL.glDisable(GL.GL_BLEND)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self._elements)

    def _set_camera(self, p: Program, view, projection) -> None:
        try:
            normal_matrix = np.linalg.inv(view[:3, :3]).T
        except np.linalg.LinAlgError:
            normal_matrix = view[:3, :3]
        # GLSL reads matrices column by column: transpose=GL_TRUE takes numpy's rows
        GL.glUniformMatrix4fv(p._location("u_view"), 1, GL.GL_TRUE, view.astype(np.float32))
        GL.glUniformMatrix4fv(p._location("u_projection"), 1, GL.GL_TRUE, projection.astype(np.float32))
        GL.glUniformMatrix3fv(p._location("u_normal_matrix"), 1, GL.GL_TRUE, normal_matrix.astype(np.float32))
        ortho = bool(projection[3, 0] == 0 and projection[3, 1] == 0 and projection[3, 2] == 0)
        p.set_int("u_ortho", int(ortho))

    def _set_lights(self, p: Program, lights: Lights) -> None:
        rows, params = lights.pack()
        count = min(len(rows), 2)
        p.set_int("u_light_count", count)
        directions = np.zeros((2, 3), np.float32)
        radiance = np.zeros((2, 3), np.float32)
        directions[:count] = rows[:count, 0:3]
        radiance[:count] = rows[:count, 3:6]
        GL.glUniform3fv(p._location("u_light_dir"), 2, directions)
        GL.glUniform3fv(p._location("u_light_rgb"), 2, radiance)
        p.set("u_ambient", params[0])
        p.set("u_rim", params[1])
        p.set("u_rim_power", params[2])
        p.set("u_rim_color", *params[3:6])
        p.set("u_specular", params[6])

    def _set_surface(self, p: Program, row: np.ndarray, unlit: bool) -> None:
        """What both shading models read of a material row: base colour, emission,
        alpha, sidedness, unlit, and the two colour textures (units 0 and 1)."""
        p.set("u_base_factor", *row[0:4])
        p.set("u_emissive_factor", *row[M_EMISSIVE : M_EMISSIVE + 3])
        p.set_int("u_alpha_mode", int(row[M_ALPHA]))
        p.set("u_cutoff", row[M_CUTOFF])
        p.set_int("u_double_sided", int(row[M_DOUBLE] == 1.0))
        # the back faces of a single-sided material never reach the rasteriser: the
        # same picture (the shader would discard them) for less work
        if row[M_DOUBLE] == 1.0:
            GL.glDisable(GL.GL_CULL_FACE)
        else:
            GL.glEnable(GL.GL_CULL_FACE)
        p.set_int("u_unlit", int(unlit or row[M_UNLIT] == 1.0))
        p.set("u_transmission", row[M_TRANSMISSION])
        p.set("u_tint", *row[M_TINT : M_TINT + 3])
        for unit, column, flag in (
            (0, M_BASE_TEX, "u_has_base_texture"),
            (1, M_EM_TEX, "u_has_emissive_texture"),
        ):
            index = int(row[column])
            p.set_int(flag, int(index >= 0))
            if index >= 0:
                GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
                GL.glBindTexture(GL.GL_TEXTURE_2D, self._colour_texture(index).id)
        GL.glActiveTexture(GL.GL_TEXTURE0)

    def _set_material(self, p: Program, material: int, unlit_all: bool) -> None:
        row = self._table[material]
        self._set_surface(p, row, unlit_all)
        p.set("u_metallic", min(max(row[M_METALLIC], 0.0), 1.0))
        p.set("u_shininess", row[M_SHININESS])
        p.set("u_spec_norm", row[M_SPEC_NORM])
        p.set("u_spec_floor", row[M_SPEC_FLOOR])

    def _set_pbr_material(self, p: Program, material: int) -> None:
        """A material row for shaders/scene_pbr.frag: the factors, and its maps on
        units 2 to 4 (the occlusion map only with an environment, the one light it dims)."""
        row = self._table[material]
        self._set_surface(p, row, False)
        p.set("u_metallic", row[M_METALLIC])
        p.set("u_roughness", row[M_ROUGHNESS])
        p.set("u_normal_scale", row[M_NORMAL_SCALE])
        p.set("u_occ_strength", row[M_OCC_STRENGTH])
        for k, name in enumerate(PBR_MAPS):
            index = int(self._maps[material, k])
            if name == "occlusion" and self._environment is None:
                index = -1
            p.set_int(MAP_FLAGS[name], int(index >= 0))
            if index >= 0:
                GL.glActiveTexture(GL.GL_TEXTURE0 + MAP_UNITS[name])
                GL.glBindTexture(GL.GL_TEXTURE_2D, self._data_texture(index).id)
        GL.glActiveTexture(GL.GL_TEXTURE0)

    def _colour_texture(self, index: int) -> _MeshTexture:
        """Scene texture ``index`` as colour (sRGB decoded), uploaded on first use."""
        if index not in self._textures:
            self._textures[index] = _MeshTexture(self._scene_textures[index])
        return self._textures[index]

    def _data_texture(self, index: int) -> _MeshTexture:
        """Scene texture ``index`` decoded as data (no sRGB curve), uploaded once."""
        if index not in self._data_textures:
            self._data_textures[index] = _MeshTexture(self._scene_textures[index], srgb=False)
        return self._data_textures[index]

    def _set_pbr_lights(self, p: Program, lights) -> None:
        """The lights as the renderer draws "pbr" (pbr_setup.light_table: the lit rig as
        its punctual key/fill/rim, or the punctual lights given), at most MAX_LIGHTS."""
        table, _ = light_table(lights, True)
        count = min(len(table), MAX_LIGHTS)
        rows = np.zeros((MAX_LIGHTS, table.shape[1]), np.float64)
        rows[:count] = table[:count]
        p.set_int("u_light_count", count)
        for name, columns in (
            ("u_light_towards", slice(0, 3)),
            ("u_light_rgb", slice(3, 6)),
            ("u_light_pos", slice(L_POSITION, L_POSITION + 3)),
            ("u_light_spot_dir", slice(L_SPOT_DIR, L_SPOT_DIR + 3)),
        ):
            GL.glUniform3fv(p._location(name), MAX_LIGHTS, rows[:, columns].astype(np.float32))
        spot = np.ascontiguousarray(rows[:, L_SPOT_SCALE : L_SPOT_SCALE + 2], np.float32)
        GL.glUniform2fv(p._location("u_light_spot"), MAX_LIGHTS, spot)
        GL.glUniform1fv(p._location("u_light_range"), MAX_LIGHTS, rows[:, L_RANGE].astype(np.float32))
        GL.glUniform1iv(p._location("u_light_kind"), MAX_LIGHTS, rows[:, L_KIND].astype(np.int32))

    def _upload_environment(self, environment) -> bool:
        """The environment's prefiltered maps (a texture array, one layer a roughness
        level) and split-sum table uploaded, once; whether there is an environment."""
        env = resolve_environment(environment)
        if env is not self._environment:
            self._release_environment()
            self._environment = env
            specular = getattr(env, "specular", None)
            lut = getattr(env, "lut", None)
            if specular is not None and lut is not None and np.size(specular) and np.size(lut):
                self._environment_textures = [_float_texture_array(specular), _float_texture(lut)]
        return env is not None

    def _set_environment(self, p: Program) -> None:
        """The uploaded environment's SH and its maps' units (SPECULAR_UNIT, LUT_UNIT)."""
        env = self._environment
        p.set_int("u_env_specular", int(bool(self._environment_textures)))
        p.set_int("u_specular", SPECULAR_UNIT)
        p.set_int("u_lut", LUT_UNIT)
        if env is None:
            return
        GL.glUniform3fv(p._location("u_sh"), 9, np.asarray(env.sh, np.float32).reshape(9, 3))
        if self._environment_textures:
            GL.glActiveTexture(GL.GL_TEXTURE0 + SPECULAR_UNIT)
            GL.glBindTexture(GL.GL_TEXTURE_2D_ARRAY, self._environment_textures[0])
            GL.glActiveTexture(GL.GL_TEXTURE0 + LUT_UNIT)
            GL.glBindTexture(GL.GL_TEXTURE_2D, self._environment_textures[1])
            GL.glActiveTexture(GL.GL_TEXTURE0)

    def _release_environment(self) -> None:
        if self._environment_textures:
            GL.glDeleteTextures(self._environment_textures)
        self._environment_textures = []
        self._environment = None

    def _set_tone(self, p: Program) -> None:
        """The tone mapping's uniforms (shaders/tonemap.frag) of the current draw."""
        _, code, exposure = self._tone
        p.set_int("u_tone", code)
        p.set("u_exposure", exposure)

    def _resolve(self, target: _Target | None, encode: bool) -> None:
        """The supersampled picture into ``target``'s corner: sRGB-encoded for the
        panel (top row first), or its linear light as it is (``encode`` False; bottom
        row first, as GL drew it)."""
        sample = self._sample
        assert target is not None and sample is not None  # made by _targets
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, target.fbo)
        GL.glViewport(0, 0, *self.size)
        GL.glDisable(GL.GL_BLEND)
        applied = self._tone[0]
        if encode and applied:
            if self._tone_program is None:
                self._tone_program = Program("quad.vert", "resolve.frag", ("TONE_MAPPING",), TONE_LIBRARY)
            p = self._tone_program.use()
            self._drawn_programs.append(self._tone_program)
            self._set_tone(p)
        else:
            p = self.resolve_program.use()
            self._drawn_programs.append(self.resolve_program)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, sample.texture)
        p.set_int("u_linear", 0)
        p.set_int("u_factor", self._supersample)
        p.set_int("u_height", self.size[1])
        p.set_int("u_encode", int(encode))
        p.set("u_rect", -1.0, -1.0, 1.0, 1.0)
        self._quad.draw()

    def read(self) -> np.ndarray:
        """The last draw as (H, W, 3) uint8 sRGB, row 0 = top."""
        width, height = self.size
        if self._drawn_direct:
            assert self._direct is not None
            return np.ascontiguousarray(read_framebuffer(self._direct.fbo, width, height)[::-1])
        assert self._output is not None, "nothing drawn yet"
        # the resolve pass stored the picture's top row first
        return read_framebuffer(self._output.fbo, width, height)

    def read_linear(self, out: np.ndarray | None = None) -> np.ndarray:
        """The last draw's linear light (a draw with ``linear=True``) as float32
        (H, W, 4) RGBA, premultiplied over black and not clamped (the RGB channels what
        RenderedPicture.linear holds for the same render), bottom row first as GL
        stores it: read straight from the drawn samples when there is one a pixel.
        ``out``: a C-contiguous float32 (H, W, 4) array to read into."""
        width, height = self.size
        shape = (height, width, 4)
        assert self._has_linear, "no linear picture drawn"
        if out is None:
            out = np.empty(shape, np.float32)
        if out.shape != shape or out.dtype != np.float32 or not out.flags.c_contiguous:
            raise ValueError(f"out must be C-contiguous float32 {shape}, got {out.shape}")
        source = self._sample if self._supersample == 1 else self._linear
        assert source is not None
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, source.fbo)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 4)
        GL.glReadPixels(0, 0, width, height, GL.GL_RGBA, GL.GL_FLOAT, out)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, 0)
        return out

    def release(self) -> None:
        for texture in list(self._textures.values()) + list(self._data_textures.values()):
            texture.release()
        self._textures = {}
        self._data_textures = {}
        self._release_environment()
        for target in (self._sample, self._output, self._linear, self._direct):
            if target is not None:
                target.release()
        self._sample = self._output = self._linear = self._direct = None


def _float_texture_array(maps: np.ndarray) -> int:
    """(levels, H, W, 3) float maps as a GL_RGB32F 2D texture array, one layer a level,
    read texel by texel (texelFetch)."""
    data = np.ascontiguousarray(maps, np.float32)
    levels, height, width = data.shape[:3]
    texture = GL.glGenTextures(1)
    GL.glBindTexture(GL.GL_TEXTURE_2D_ARRAY, texture)
    GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 4)
    GL.glTexImage3D(
        GL.GL_TEXTURE_2D_ARRAY, 0, GL.GL_RGB32F, width, height, levels, 0, GL.GL_RGB, GL.GL_FLOAT, data
    )
    _nearest(GL.GL_TEXTURE_2D_ARRAY)
    return texture


def _float_texture(table: np.ndarray) -> int:
    """An (S, S, 2) float table as a GL_RG32F texture (entry [i, j] at texel (j, i))."""
    data = np.ascontiguousarray(table, np.float32)
    texture = GL.glGenTextures(1)
    GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
    GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 4)
    GL.glTexImage2D(
        GL.GL_TEXTURE_2D, 0, GL.GL_RG32F, data.shape[1], data.shape[0], 0, GL.GL_RG, GL.GL_FLOAT, data
    )
    _nearest(GL.GL_TEXTURE_2D)
    return texture


def _nearest(target) -> None:
    for name in (GL.GL_TEXTURE_MIN_FILTER, GL.GL_TEXTURE_MAG_FILTER):
        GL.glTexParameteri(target, name, GL.GL_NEAREST)
    GL.glTexParameteri(target, GL.GL_TEXTURE_MAX_LEVEL, 0)
