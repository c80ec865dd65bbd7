"""The Renderer: a posed scene to a picture, buffers and decoded textures kept between
frames; and ``render()``, the one-call form (see the package docstring)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..colour import srgb8_to_linear
from ..errors import InputError
from ..scene.types import Material, PosedPrimitive, Texture
from . import raster_kernel as raster
from .buffers import cache_aligned
from .material_columns import M_FLAT, M_MAPS, M_PLAIN, M_TRANSMISSION
from .pbr_kernel import A_PBR_COLUMNS
from .pbr_setup import (
    LightsArg,
    ToneMapping,
    apply_tone_mapping,
    fill_pbr_columns,
    has_environment,
    light_table,
    plan_maps,
    resolve_tone_mapping,
    tone_applies,
    view_tangents,
)
from .shading import (
    A_BASE_UV,
    A_COL,
    A_COLUMNS,
    A_EM_UV,
    BLEND,
    M_ALPHA,
    M_BASE_TEX,
    M_EM_TEX,
    MASK,
    PBR,
    SHADING_MODES,
    Lights,
    material_key,
    material_table,
)
from .texture_kernel import TexturePool

SHADINGS = ("lit", "unlit", "pbr")
DEFAULT_SUPERSAMPLE = 2
TILE = 32  # output pixels per tile side (the sub-sample tile is TILE * supersample)
BIN_RUNS = 8  # runs of records binned in parallel


@dataclass
class RenderedPicture:
    """One rendered picture.

    color  : (H, W, 3) uint8 sRGB
    depth  : (H, W) float32 window depth in [0, 1] (OpenGL's default depth range),
             1.0 where nothing was drawn; the nearest sub-sample when supersampled
    linear : (H, W, 3) float32 linear-light colour (premultiplied over black), before
             exposure and tone mapping (HDR: values above 1 are kept)
    alpha  : (H, W) float32 coverage in [0, 1]
    tiles  : (ceil(H / TILE), ceil(W / TILE)) bool, the TILE x TILE pixel tiles that
             triangles reached; every pixel of a False tile is black, so later stages
             (the polar resampler) can skip it without reading it
    tone_mapped : True when ``color`` is the tone-mapped or exposed light rather than
             ``linear`` clamped and encoded
    """

    color: np.ndarray
    depth: np.ndarray
    linear: np.ndarray
    alpha: np.ndarray
    tiles: np.ndarray | None = None
    tone_mapped: bool = False

    @property
    def coverage(self) -> np.ndarray:
        return self.alpha

    def shown_light(self) -> np.ndarray:
        """(H, W, 3) float32 linear light of what the picture shows, for the stages that
        resample it (a fan's polar layout, a wall's canvas): ``linear`` itself, or after
        tone mapping or an exposure the colour decoded, so that a fan shows the
        tone-mapped picture the video export shows. Tone mapping keeps black black, so
        ``tiles`` holds for both."""
        if not self.tone_mapped:
            return self.linear
        return srgb8_to_linear(self.color)


def _check_size(size) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise InputError(f"render size must be (width, height), got {size!r}") from None
    if width < 1 or height < 1 or width > 16384 or height > 16384:
        raise InputError(f"render size {width}x{height} is out of range (1 to 16384 pixels a side)")
    return width, height


def _check_supersample(supersample) -> int:
    s = DEFAULT_SUPERSAMPLE if supersample is None else supersample
    if s not in (1, 2, 3, 4):
        raise InputError(f"supersample must be 1, 2, 3 or 4 (per side), got {supersample!r}")
    return int(s)


def _grow(array: np.ndarray | None, rows: int, tail: tuple, dtype) -> np.ndarray:
    """A buffer with at least ``rows`` rows, reusing ``array`` when it is big enough."""
    if array is not None and array.shape[0] >= rows:
        return array
    capacity = max(rows, 16, 0 if array is None else int(array.shape[0] * 1.5))
    return np.empty((capacity,) + tail, dtype)


def _uv_key(materials) -> tuple:
    """What the per-vertex UVs depend on in the materials (see _texture_uv)."""

    def transform(t):
        return None if t is None else np.asarray(t, np.float64).tobytes()

    return tuple(
        (
            m.base_color_texcoord,
            transform(m.base_color_transform),
            m.emissive_texcoord,
            transform(m.emissive_transform),
        )
        for m in materials
    )


def _texture_uv(prim, count: int, texcoord: int, transform, out: np.ndarray) -> None:
    """out (count, 2) = the primitive's UV set ``texcoord`` through the material's
    KHR_texture_transform ((2, 3) affine, None = identity); left 0 without that set."""
    if not 0 <= texcoord < len(prim.uv):
        return
    layer = prim.uv[texcoord]
    if layer is None or len(layer) != count:
        return
    if transform is None:
        out[:] = layer
    else:
        m = np.asarray(transform, np.float64)
        out[:] = np.asarray(layer, np.float64) @ m[:, :2].T + m[:, 2]


class Renderer:
    """A rasterizer of one picture size that keeps its buffers between frames.

    ``draw(posed, materials, textures, view, projection, shading)`` -> RenderedPicture. The
    geometry that does not move (indices, UVs, colours, materials) is gathered once
    per set of primitives; textures are decoded (sRGB -> linear, mipmaps) once per
    Texture. The RenderedPicture's arrays are new for each draw and stay valid afterwards.
    """

    def __init__(
        self,
        size,
        supersample: int | None = None,
        lights: LightsArg = None,
        textures: TexturePool | None = None,
    ):
        """textures: the decoded textures of another Renderer to share (renderers of
        several sizes drawing one scene, as the preview's live panel does, decode each
        texture once); by default its own."""
        self.width, self.height = _check_size(size)
        self.supersample = _check_supersample(supersample)
        # a Lights (the lit model's rig and terms) or a list of punctual lights
        self.lights: LightsArg = lights if lights is not None else Lights()
        # called once, before the first draw shades: a cold first export waits there for
        # the band shader that its second process compiles (pipeline.compile_ahead)
        self.before_shading: Callable[[], None] | None = None
        s = self.supersample
        self._w, self._h = self.width * s, self.height * s
        self._tile = TILE * s
        self._ntx = (self._w + self._tile - 1) // self._tile
        self._nty = (self._h + self._tile - 1) // self._tile
        ntiles = self._ntx * self._nty
        # threads claim tiles in this order as they come free (holopack.work_queue):
        # row by row, so that the tiles drawn at once are neighbours and share records
        self._tile_order = np.arange(ntiles, dtype=np.int64)
        self._tile_start = np.zeros(ntiles + 1, np.int64)
        # binning runs: a fixed count, so the lists do not depend on the thread count
        self._bin_offsets = np.zeros((BIN_RUNS, ntiles), np.int64)
        self._tbox: np.ndarray | None = None  # grown by the first draw
        self._tile_list = np.zeros(1, np.int32)
        self._blend_start = np.zeros(ntiles + 1, np.int64)
        self._blend_list = np.zeros(1, np.int32)
        self._srgb_lut, self._srgb_steps = raster.srgb_tables()
        # the sub-sample buffers; with supersample 1 each draw works in its RenderedPicture's own
        # arrays instead, which spares copying 20 bytes a pixel into them afterwards
        self._depth = cache_aligned((self._h, self._w), np.float32) if s > 1 else None
        self._ids = cache_aligned((self._h, self._w), np.int32)
        self._linear = cache_aligned((self._h, self._w, 3), np.float32) if s > 1 else None
        self._alpha = cache_aligned((self._h, self._w), np.float32) if s > 1 else None
        self._last_depth = self._depth
        self._identity = np.eye(3, dtype=np.float32)
        self._textures = TexturePool() if textures is None else textures
        self._static_key: tuple | None = None
        self._vertex_capacity = 0
        self._record_capacity = 0
        self._blend_key: tuple | None = None
        self._material_key: tuple | None = None
        self._material = np.zeros((0, 0))
        self._world_tan: np.ndarray | None = None  # the posed tangents, for view_tangents
        self._tile_mask: np.ndarray | None = None  # restrict_tiles: None = every tile
        self._excluded: list[tuple[int, int, int, int]] = []  # (y0, y1, x0, x1) of the tiles it leaves out

    @property
    def textures(self) -> TexturePool:
        """The decoded textures (a TexturePool another Renderer may share)."""
        return self._textures

    def restrict_tiles(self, mask) -> None:
        """Rasterise only the TILE-pixel tiles where ``mask`` (ceil(H / TILE),
        ceil(W / TILE)) bool is True; the others stay black (depth 1) and are never
        drawn, and Frame.tiles marks them empty. A wall of fans draws only the tiles
        that lie under some fan (holopack.wall)."""
        mask = np.asarray(mask, np.bool_)
        if mask.shape != (self._nty, self._ntx):
            raise ValueError(f"mask must be {(self._nty, self._ntx)} tiles, got {mask.shape}")
        flat = mask.reshape(-1)
        self._tile_order = np.array([t for t in self._tile_order if flat[t]], np.int64)
        self._tile_mask = mask
        self._excluded = []
        s = self.supersample
        for ty, tx in zip(*np.nonzero(~mask)):
            y0, x0 = ty * TILE, tx * TILE
            y1, x1 = min(y0 + TILE, self.height), min(x0 + TILE, self.width)
            self._excluded.append((y0, y1, x0, x1))
            self._ids[y0 * s : y1 * s, x0 * s : x1 * s] = -1  # never written again
            if self._depth is not None:
                self._depth[y0 * s : y1 * s, x0 * s : x1 * s] = 1.0

    # -- per set of primitives -------------------------------------------------
    def _gather_static(
        self, posed: list[PosedPrimitive], materials: list[Material], pbr: bool = False
    ) -> None:
        n_materials = len(materials)
        key = (n_materials, _uv_key(materials), pbr) + tuple(
            (id(p.primitive), len(p.positions)) for p in posed
        )
        if key == self._static_key:
            return
        counts = [len(p.positions) for p in posed]
        n = int(sum(counts))
        tris, mats, attrs = [], [], []
        # the materials (and the fallback, last) drawn with vertex colours other than 1
        coloured = np.zeros(n_materials + 1, bool)
        base = 0
        for p, count in zip(posed, counts):
            prim = p.primitive
            idx = np.asarray(prim.indices, np.int64).reshape(-1, 3)
            if len(idx) and (idx.min() < 0 or idx.max() >= count):
                idx = idx[np.all((idx >= 0) & (idx < count), axis=1)]  # drop broken faces
            tris.append(idx + base)
            material = prim.material if 0 <= prim.material < n_materials else n_materials
            mats.append(np.full(len(idx), material, np.int32))
            # the PBR maps' UVs and the tangents widen the table only for "pbr": the
            # other shadings keep their rows short
            attr = np.zeros((count, A_PBR_COLUMNS if pbr else A_COLUMNS), np.float32)
            if pbr and material < n_materials:
                fill_pbr_columns(prim, count, materials[material], attr, _texture_uv)
            if material < n_materials:
                mat = materials[material]
                _texture_uv(
                    prim,
                    count,
                    mat.base_color_texcoord,
                    mat.base_color_transform,
                    attr[:, A_BASE_UV : A_BASE_UV + 2],
                )
                _texture_uv(
                    prim, count, mat.emissive_texcoord, mat.emissive_transform, attr[:, A_EM_UV : A_EM_UV + 2]
                )
            attr[:, A_COL : A_COL + 4] = 1.0
            if prim.colors is not None and len(prim.colors) == count:
                c = np.asarray(prim.colors, np.float32)
                attr[:, A_COL : A_COL + min(c.shape[1], 4)] = c[:, :4]
                if np.any(attr[:, A_COL : A_COL + 4] != 1.0):
                    coloured[material] = True
            attrs.append(attr)
            base += count
        self._tri_idx = np.ascontiguousarray(np.concatenate(tris) if tris else np.zeros((0, 3)), np.int32)
        self._tri_mat = np.concatenate(mats) if mats else np.zeros(0, np.int32)
        # per-vertex table: UVs and colours fixed here, position/normal per frame
        self._attr = (
            np.concatenate(attrs) if attrs else np.zeros((1, A_PBR_COLUMNS if pbr else A_COLUMNS), np.float32)
        )
        self._counts = counts
        self._coloured = coloured
        m = len(self._tri_idx)
        self._needs_clip = np.zeros(m, np.uint8)
        self._ensure_records(m + m // 8 + 64)
        if self._vertex_capacity < n or self._vertex_capacity == 0:
            cap = max(n, 1)
            self._world_pos = np.empty((cap, 3), np.float32)
            self._world_nrm = np.empty((cap, 3), np.float32)
            self._clip = np.empty((cap, 4), np.float64)
            self._vfix = np.empty((cap, 2), np.int64)
            self._vzw = np.empty((cap, 2), np.float64)
            self._vcode = np.empty(cap, np.int32)
            self._vertex_capacity = cap
        self._static_key = key

    def _ensure_records(self, count: int) -> None:
        """Room for ``count`` records, keeping the ones already set up."""
        if count <= self._record_capacity:
            return
        r = max(count, int(self._record_capacity * 1.25), 64)
        old = self._records() if self._record_capacity else None
        self._rec_tri = np.full(r, -1, np.int32)
        # one row of each a cache line (see raster.E_XY): 64-byte aligned
        rows = np.zeros(r * raster.E_Z_COLUMNS + 8, np.float64)
        first = (-rows.ctypes.data % 64) // 8
        self._rec_edge_z = rows[first : first + r * raster.E_Z_COLUMNS].reshape(r, raster.E_Z_COLUMNS)
        self._rec_edge = self._rec_edge_z.view(np.int32)
        self._rec_zw = np.zeros((r, 3), np.float64)
        self._rec_plane = np.zeros((r, raster.P_COLUMNS), np.float64)
        self._rec_bbox = np.zeros((r, 4), np.int32)
        if old is not None:
            for new_array, old_array in zip(self._records(), old):
                new_array[: len(old_array)] = old_array
        self._record_capacity = r

    def _records(self):
        return (
            self._rec_tri,
            self._rec_edge,
            self._rec_edge_z,
            self._rec_zw,
            self._rec_plane,
            self._rec_bbox,
        )

    def _split_blend(self, mat: np.ndarray, used: int) -> tuple[np.ndarray, np.ndarray]:
        """Record ids (int64) of the opaque and of the translucent (BLEND) records.

        Record i < m is triangle i (culled ones are skipped when binned), so the split
        of those is fixed per set of primitives and materials; only the records that
        clipping added (m onwards) are looked at every frame."""
        # a see-through material (KHR_materials_transmission) is drawn over what lies
        # behind it, as a BLEND one is
        see_through = (mat[:, M_ALPHA] == BLEND) | (mat[:, M_TRANSMISSION] > 0.0)
        blend_materials = np.append(see_through, False)  # + the fallback material
        key = (self._static_key, blend_materials.tobytes())
        if key != self._blend_key:
            tri_blend = blend_materials[np.minimum(self._tri_mat, len(blend_materials) - 1)]
            self._tri_blend = tri_blend
            self._opaque_ids = np.flatnonzero(~tri_blend).astype(np.int64)
            self._blend_ids = np.flatnonzero(tri_blend).astype(np.int64)
            self._blend_key = key
        m = len(self._tri_blend)
        if used == m:
            return self._opaque_ids, self._blend_ids
        extra = np.arange(m, used, dtype=np.int64)
        tri = self._rec_tri[m:used]
        extra_blend = np.zeros(used - m, bool)
        extra_blend[tri >= 0] = self._tri_blend[tri[tri >= 0]]
        return (
            np.concatenate([self._opaque_ids, extra[~extra_blend]]),
            np.concatenate([self._blend_ids, extra[extra_blend]]),
        )

    def _bin(self, order: np.ndarray, tile_start: np.ndarray, tile_list: np.ndarray) -> np.ndarray:
        """Bin the records ``order`` per tile: fills tile_start (ntiles + 1,) and returns
        the list of record ids per tile (``tile_list`` when it is big enough)."""
        if not len(order):  # no parallel region (and its wake-up) for nothing
            tile_start[:] = 0
            return tile_list
        total = raster.bin_count(
            order,
            len(order),
            self._rec_tri,
            self._rec_bbox,
            self._tile,
            self._ntx,
            self._nty,
            tile_start,
            self._bin_offsets,
            self._tbox,
        )
        tile_list = _grow(tile_list, int(total), (), np.int32)
        raster.bin_fill(order, len(order), self._ntx, self._bin_offsets, self._tbox, tile_list)
        return tile_list

    # -- per frame ---------------------------------------------------------------
    def draw(
        self,
        posed: list[PosedPrimitive],
        materials: list[Material],
        textures: list[Texture],
        view,
        projection,
        shading: str = "lit",
        *,
        tone_mapping: ToneMapping = None,
        exposure: float = 1.0,
        environment=None,
    ) -> RenderedPicture:
        """Render world-space primitives with an OpenGL view and projection (4, 4).

        tone_mapping: "none", "neutral" or "aces" (None: "neutral" for "pbr", else
        "none"); exposure multiplies the linear light before it. RenderedPicture.linear
        is the linear light before both. environment: None, "studio" or an
        Environment, the diffuse image-based light of "pbr"."""
        if shading not in SHADINGS:
            raise InputError(f"shading must be one of {', '.join(SHADINGS)}, got {shading!r}")
        tone, exposure = resolve_tone_mapping(tone_mapping, exposure, shading)
        mode = SHADING_MODES[shading]
        view = np.asarray(view, np.float64).reshape(4, 4)
        projection = np.asarray(projection, np.float64).reshape(4, 4)
        if not (np.all(np.isfinite(view)) and np.all(np.isfinite(projection))):
            raise InputError("the camera matrices contain NaN or infinity")
        self._gather_static(posed, materials, mode == PBR)
        offset = 0
        for p, count in zip(posed, self._counts):
            self._world_pos[offset : offset + count] = p.positions
            self._world_nrm[offset : offset + count] = p.normals
            offset += count
        n = offset
        lights, params = light_table(self.lights, mode == PBR, environment)
        occlusion = has_environment(params)
        maps = plan_maps(materials, textures, mode == PBR, occlusion)
        # the table again only when something it is made of changed (see material_key)
        table_key = (
            material_key(materials),
            len(textures),
            None if maps.data_index is None else tuple(sorted(maps.data_index.items())),
            occlusion,
            tuple(sorted(maps.packed.items())),
        )
        if table_key != self._material_key:
            self._material = material_table(materials, len(textures), maps.data_index, occlusion, maps.packed)
            self._material_key = table_key
        mat = self._material
        # (set every draw: the primitives may change while the materials do not)
        mat[:, M_PLAIN] = ~self._coloured
        mat[:, M_FLAT] = (mat[:, M_BASE_TEX] < 0) & ~self._coloured
        pool, levels, level_count, wrap = self._textures.pack(
            textures, maps.data, maps.packs, maps.colour_used
        )
        ortho = bool(projection[3, 0] == 0 and projection[3, 1] == 0 and projection[3, 2] == 0)
        view3 = view[:3, :3]
        try:
            normal_matrix = np.linalg.inv(view3).T
        except np.linalg.LinAlgError:
            normal_matrix = view3
        # (only a "pbr" table has the columns)
        self._world_tan = view_tangents(posed, self._counts, view3, self._attr, self._world_tan)
        w, h, s = self._w, self._h, self.supersample
        size = (w, h)
        vertex = (self._vfix[:n], self._vzw[:n], self._vcode[:n])
        raster.transform(
            self._world_pos[:n],
            self._world_nrm[:n],
            (view, projection, normal_matrix),
            size,
            self._clip[:n],
            self._attr[:n],
            vertex,
        )
        m = len(self._tri_idx)
        tri_idx, tri_mat = self._tri_idx, self._tri_mat
        if m:
            raster.setup_triangles(
                tri_idx, tri_mat, mat, vertex, size, self._identity, self._records(), self._needs_clip
            )
        used = m
        n_clip = int(np.count_nonzero(self._needs_clip[:m])) if m else 0
        if n_clip:
            self._ensure_records(m + 8 * n_clip)
            used = raster.clip_triangles(
                tri_idx, tri_mat, mat, self._clip, size, self._needs_clip, m, self._records()
            )
        opaque_order, blend_ids = self._split_blend(mat, used)
        if len(blend_ids):
            blend_ids = blend_ids[self._rec_tri[blend_ids] >= 0]
            mean_depth = self._rec_zw[blend_ids].mean(axis=1)
            blend_order = blend_ids[np.argsort(-mean_depth, kind="stable")].astype(np.int64)
        else:
            blend_order = blend_ids
        self._tbox = _grow(self._tbox, max(len(opaque_order), len(blend_order)), (4,), np.int32)
        self._tile_list = self._bin(opaque_order, self._tile_start, self._tile_list)
        self._blend_list = self._bin(blend_order, self._blend_start, self._blend_list)
        reached = ((np.diff(self._tile_start) > 0) | (np.diff(self._blend_start) > 0)).reshape(
            self._nty, self._ntx
        )
        frame = RenderedPicture(
            color=cache_aligned((self.height, self.width, 3), np.uint8),
            depth=cache_aligned((self.height, self.width), np.float32),
            linear=cache_aligned((self.height, self.width, 3), np.float32),
            alpha=cache_aligned((self.height, self.width), np.float32),
            tiles=reached.copy(),
        )
        if s == 1:
            samples = (frame.linear, frame.alpha, frame.depth)
        else:  # supersampled: __init__ made the sample buffers
            assert self._linear is not None and self._alpha is not None and self._depth is not None
            samples = (self._linear, self._alpha, self._depth)
        self._last_depth = samples[2]
        picture = (frame.linear, frame.alpha, frame.depth, frame.color)
        # with tone mapping to follow, the colour of the tiles that triangles reach is
        # written by that pass alone (the empty tiles' black by the shading pass)
        tone_follows = tone_applies(tone, exposure)
        srgb = (self._srgb_lut, self._srgb_steps, not tone_follows)
        grid = (self._tile, self._ntx, w, h)
        surface = (mat, self._attr, pool, levels, level_count, wrap)
        lighting = (lights, params)
        # each job compiles only the variants it draws with (see raster.shade_kernel)
        textured = bool(np.any(mat[:, [M_BASE_TEX, M_EM_TEX]] >= 0) or np.any(mat[:, M_MAPS] == 1.0))
        raster.opaque_kernel(bool(np.any(mat[:, M_ALPHA] == MASK)))(
            (self._tile_order, self._tile_start, self._tile_list),
            grid,
            self._records(),
            surface,
            samples[2],
            self._ids,
        )
        if self.before_shading is not None:
            wait, self.before_shading = self.before_shading, None
            wait()
        raster.shade_kernel(mode, textured, occlusion)(
            self._ids,
            s,
            ortho,
            self._rec_plane,
            surface,
            lighting,
            samples,
            srgb,
            picture,
            self._tile_start,
            grid,
        )
        if self._blend_start[-1]:
            self._translucent(mode, textured, grid, ortho, surface, lighting, samples, srgb, picture)
        frame.tone_mapped = apply_tone_mapping(
            frame.linear,
            frame.alpha,
            tone,
            exposure,
            self._srgb_lut,
            self._srgb_steps,
            frame.color,
            reached,
            TILE,
        )
        if self._tile_mask is not None:
            frame.tiles &= self._tile_mask
            if s == 1:  # the Frame's own depth buffer is new: the skipped tiles are empty
                for y0, y1, x0, x1 in self._excluded:
                    frame.depth[y0:y1, x0:x1] = 1.0
        return frame

    def _translucent(self, mode, textured, grid, ortho, surface, lighting, samples, srgb, picture) -> None:
        """The translucent pass over the opaque one's samples, and the resolve of the
        tiles it drew in (at supersample 1 only their colour, which the tone-mapping
        pass writes when one follows: srgb[2] False)."""
        raster.blend_kernel(mode, textured)(
            (self._tile_order, self._blend_start, self._blend_list),
            grid,
            ortho,
            self._records(),
            surface,
            lighting,
            samples,
        )
        if self.supersample > 1 or srgb[2]:
            blended = np.flatnonzero(np.diff(self._blend_start) > 0).astype(np.int64)
            raster.resolve_tiles(blended, self._ntx, TILE, samples, self.supersample, srgb, picture)

    def visibility(self) -> tuple[np.ndarray, np.ndarray]:
        """What the last draw saw, per sub-sample: (triangle (H*s, W*s) int32, the
        index into the concatenated triangles of the drawn primitives or -1; depth
        (H*s, W*s) float32 window depth of the opaque surfaces)."""
        assert self._last_depth is not None, "visibility() describes the last draw: draw first"
        ids = self._ids
        triangle = np.where(ids >= 0, self._rec_tri[np.maximum(ids, 0)], -1).astype(np.int32)
        return triangle, self._last_depth.copy()


_cached: Renderer | None = None


def render(
    scene,
    view,
    projection,
    size,
    *,
    animation=None,
    time: float = 0.0,
    shading: str = "lit",
    lights: LightsArg = None,
    supersample: int | None = None,
    environment=None,
    tone_mapping: ToneMapping = None,
    exposure: float = 1.0,
) -> RenderedPicture:
    """Pose ``scene`` at ``time`` seconds of ``animation`` and render it.

    view, projection : (4, 4) OpenGL-convention matrices; size = (width, height).
    shading: "lit", "unlit" or "pbr" (glTF's metallic-roughness BRDF).
    lights: a list of DirectionalLight / PointLight / SpotLight (view space), or a
    Lights (the lit model's rig; "pbr" draws it as its key/fill/rim lights); None:
    the default rig. environment: None (no image-based light), "studio" or an
    Environment (its diffuse irradiance lights "pbr"). tone_mapping: "none",
    "neutral" or "aces" (None: "neutral" for "pbr", else "none"), after
    ``exposure``; RenderedPicture.linear is the linear light before both.
    Returns a RenderedPicture (color uint8 sRGB, depth, linear, alpha). Repeated calls with the
    same size and supersampling reuse one Renderer (buffers, decoded textures). A Gaussian
    splat twin (``scene.splats``) is refused: holopack.rendering.splats.SplatRenderer
    draws it (it would import this module: the one place that chooses is open_source).
    """
    global _cached
    width, height = _check_size(size)
    s = _check_supersample(supersample)
    if shading not in SHADINGS:
        raise InputError(f"shading must be one of {', '.join(SHADINGS)}, got {shading!r}")
    if getattr(scene, "splats", None) is not None:  # (this module draws triangles)
        raise InputError(
            "a Gaussian splat twin: draw it with holopack.rendering.splats.SplatRenderer", scene.path
        )
    renderer = _cached
    if renderer is None or (renderer.width, renderer.height, renderer.supersample) != (width, height, s):
        renderer = Renderer((width, height), s)
        _cached = renderer
    renderer.lights = lights if lights is not None else Lights()
    posed = scene.pose(animation, time)
    return renderer.draw(
        posed,
        scene.materials,
        scene.textures,
        view,
        projection,
        shading,
        tone_mapping=tone_mapping,
        exposure=exposure,
        environment=environment,
    )
