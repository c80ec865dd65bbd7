"""Texture preparation (sRGB decode, mipmaps, one shared pool) and Numba sampling.

A prepared texture lives in one pool shared by every texture of a draw:
``pool`` : (P, 4) uint16 linear RGBA texels scaled by TEXEL_SCALE (see
``quantise_level``), all mip levels of all textures, row-major, row 0 = top of the
image (glTF's v = 0). Sixteen bits of linear light are finer than the 8-bit sRGB
the images come in, and half the size of float32: texture fetches miss the cache
less (a scene's textures are tens of megabytes as floats).
``levels`` : (T, MAX_LEVELS, 3) int64 per texture and level: offset into the pool,
width, height. ``level_count`` : (T,) int32. ``wrap`` : (T, 2) int32 glTF wrap modes.

Sampling is trilinear: bilinear inside the two nearest mip levels picked from the
UV derivatives of each pixel, blended by the fractional level, as OpenGL's
LINEAR_MIPMAP_LINEAR does; a glTF sampler's other filters (NEAREST, no mipmaps, the
nearest level) as OpenGL draws them, point sampling only where magFilter is NEAREST
(``drawn_filters``, ``filter_flags``, ``lod``). Filtering happens on
linear-light values, as an sRGB texture does on a GPU.

The sampler (``_sample_at``; ``sample_trilinear`` for callers with arrays) is called,
not inlined, by the shading code: one compiled copy serves every kernel that samples.
Inlined (njit's inline="always"), Numba copies it through every level of the inlined
shading functions before it removes the branches that a kernel's constants rule out, so
even the untextured kernels paid for it: the default twin's cold first frame took 36 CPU
s instead of 24 (same run, a busy 2-core machine), for 15-20% less sampling time in
textured renders. It runs without Numba's reference counting (it allocates nothing):
with it every call took and gave back a reference to each of its four arrays, atomic
operations on counters that all threads share. It takes its four arrays as pointers to
their first elements (``data_pointer``; the texture index comes checked, t >= 0, from
the shading code), not as Numba arrays: an array argument is its whole structure (data,
shape, strides and more: 7 to 11 machine words), so each call stored about 40 words on
the stack and the callee loaded them back; four pointers and the scalars travel in
registers: FlightHelmet's shading pass (unlit, 1024^2, one thread's CPU) took 23.2 ms
with arrays, 20.9 ms with pointers, about what inlining the sampler gained, for no more
compile time (cold first frames, unlit and PBR, unchanged within the noise).
``texture_at`` reaches ``_sample_at`` through ``texture_at_uv``, a one-line inlined
layer: FlightHelmet's cold textured draws (unlit, lit and PBR at 64 px, a fresh Numba
cache) compiled in 42.2-47.0 s with it, 40.1-47.2 s without, in turns. Numba still
builds the sampler into raster_kernel.py's kernels, which it caches by
raster_kernel.py's own time stamp; raster_kernel.py therefore drops its
cached kernels when this file changes (holopack.kernel_cache), and this file drops its
own (the sampler) when texel_mix.py changes.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

from ..colour import srgb_to_linear
from ..kernel_cache import refresh
from ..scene.types import Texture

# the sampler is cached here, called by the shading kernels: it compiles texel_mix.py's
# intrinsics into itself, so its cache must go when that file changes
refresh(__file__)

from .texel_mix import data_pointer, mix_texels  # noqa: E402

MAX_LEVELS = 16
# columns of ``wrap`` (T, 2): the glTF wrap mode along s (u), then along t (v)
WRAP_S, WRAP_T = 0, 1
TEXEL_SCALE = 65535.0
INV_TEXEL_SCALE = 1.0 / TEXEL_SCALE
REPEAT, CLAMP_TO_EDGE, MIRRORED_REPEAT = 10497, 33071, 33648
# A texture's sampler filters travel in the upper bits of its wrap along s (``wrap``
# (T, 2) int32: mode | flags << FILTER_SHIFT), so that the kernels' signatures stay as
# they are: flags 0 is glTF's undefined filtering, drawn trilinear.
FILTER_SHIFT = 16
WRAP_MASK = (1 << FILTER_SHIFT) - 1
MAG_NEAREST = 1  # magFilter NEAREST
MIN_NEAREST_TEXEL = 2  # minFilter NEAREST, NEAREST_MIPMAP_NEAREST, NEAREST_MIPMAP_LINEAR
MIN_LEVEL0 = 4  # minFilter NEAREST or LINEAR: no mipmaps
MIN_NEAREST_LEVEL = 8  # minFilter *_MIPMAP_NEAREST: one level, the nearest
NEAREST, LINEAR = 9728, 9729
NEAREST_MIPMAP_NEAREST, LINEAR_MIPMAP_NEAREST, NEAREST_MIPMAP_LINEAR = 9984, 9985, 9986
LINEAR_MIPMAP_LINEAR = 9987


def drawn_filters(mag_filter: int | None, min_filter: int | None) -> tuple[int, int]:
    """The (magFilter, minFilter) holopack draws for a glTF sampler's: the file's, but
    point sampling (a NEAREST* minFilter's nearest texel) only where magFilter is
    NEAREST too; with LINEAR magnification, or none, the minFilter's texel choice is
    read as LINEAR and its mipmap choice kept (NEAREST_MIPMAP_LINEAR is drawn as
    LINEAR_MIPMAP_LINEAR). Exporters write NEAREST_MIPMAP_LINEAR for every texture
    (COLLADA2GLTF: Duck, Monster, the milk truck), where it samples minified textures,
    most of a fan's picture, at single texels: holopack against itself with the UVs
    moved by 2e-5 gave 49.6 dB with it and 64.2 dB trilinear (Monster at 256 px), a
    shimmer in a turntable. Undefined filters: LINEAR and LINEAR_MIPMAP_LINEAR."""
    mag = NEAREST if mag_filter == NEAREST else LINEAR
    minify = LINEAR_MIPMAP_LINEAR if min_filter is None else int(min_filter)
    if mag != NEAREST:
        minify = {NEAREST: LINEAR, NEAREST_MIPMAP_NEAREST: LINEAR_MIPMAP_NEAREST}.get(minify, minify)
        minify = LINEAR_MIPMAP_LINEAR if minify == NEAREST_MIPMAP_LINEAR else minify
    return mag, minify


def filter_flags(mag_filter: int | None, min_filter: int | None) -> int:
    """The filter flags (above) of a glTF sampler's magFilter and minFilter, as
    ``drawn_filters`` draws them."""
    mag, minify = drawn_filters(mag_filter, min_filter)
    flags = MAG_NEAREST if mag == NEAREST else 0
    if minify in (NEAREST, NEAREST_MIPMAP_NEAREST, NEAREST_MIPMAP_LINEAR):
        flags |= MIN_NEAREST_TEXEL
    if minify in (NEAREST, LINEAR):
        flags |= MIN_LEVEL0
    if minify in (NEAREST_MIPMAP_NEAREST, LINEAR_MIPMAP_NEAREST):
        flags |= MIN_NEAREST_LEVEL
    return flags


def mip_chain(level0: np.ndarray) -> list[np.ndarray]:
    """Mip levels of an (H, W, 4) float32 image down to 1x1.

    Each level halves each side (rounding down, at least 1), as OpenGL sizes them. A
    texel of the next level is the area average of the texels of its parent under it:
    along an even side the 2-texel pair; along an odd side n, the span [j, j + 1) x
    n / (n // 2) of the parent, which straddles up to four texels. The sampler puts a
    level's texel j at u = (j + 0.5) / its width, so only this keeps a level's content
    where the sampler looks for it: averaging pairs and folding the odd last texel
    into the last pair (as before) shifted a 211-texel level's content by up to one
    texel of its parent, and more down the chain, so that trilinear filtering blended
    two misregistered levels (BoxTexturedNonPowerOfTwo against OpenGL drawing the
    same image with either Mesa's own mipmaps or area-averaged ones: 33-34 dB, 63 dB
    with these levels in the reference; benchmarks/material_sweep.py). Sums are
    float64, added in row then column order; even sides give to the bit what they
    gave before.
    """
    levels = [np.ascontiguousarray(level0, np.float32)]
    while levels[-1].shape[0] > 1 or levels[-1].shape[1] > 1:
        src = levels[-1].astype(np.float64)
        rows, row_counts = _span_sums(src, 0)
        block, col_counts = _span_sums(rows, 1)
        counts = row_counts[:, None] * col_counts[None, :]
        levels.append((block / counts[:, :, None]).astype(np.float32))
    return levels[:MAX_LEVELS]


def _span_sums(a: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """float64 ``a`` summed along ``axis`` (0 or 1) of n texels into max(n // 2, 1) spans
    (see mip_chain), and what each sum must be divided by (int64). An even side: the
    pair sums, each of 2. An odd side n: output j covers [j n, (j + 1) n) / m of the
    parent (m = n // 2) and texel i covers [i m, (i + 1) m) / m, so their overlaps are
    whole numbers over m: each sum is the texels times their integer overlaps, to be
    divided by n. Slices rather than np.add.at, which took 1.9 of the 4.0 s
    DamagedHelmet's five 2048 px textures took to decode (cProfile of an export).
    An odd side costs more: a 2047 x 1365 level 0 took 0.25 CPU s to reduce to its
    chain, against 0.05 s for pairs with a folded last texel (a 2048 x 2048 one 0.08)."""
    n = a.shape[axis]
    if n == 1:
        return a.copy(), np.ones(1, np.int64)
    a = np.moveaxis(a, axis, 0)
    m = n // 2
    if n % 2 == 0:
        out = a[0::2] + a[1::2]
        counts = np.full(m, 2, np.int64)
    else:
        j = np.arange(m)
        lo, hi = j * n, (j + 1) * n
        first = lo // m
        out = np.zeros((m,) + a.shape[1:])
        for k in range(4):  # a span of 2 + 1/m texels touches at most four
            i = first + k
            overlap = np.minimum(hi, (i + 1) * m) - np.maximum(lo, i * m)
            weight = np.where((overlap > 0) & (i < n), overlap, 0).astype(np.float64)
            out += weight.reshape((m,) + (1,) * (a.ndim - 1)) * a[np.minimum(i, n - 1)]
        counts = np.full(m, n, np.int64)
    return np.moveaxis(out, 0, axis), counts


def decode_texture(texture: Texture, srgb: bool = True) -> list[np.ndarray]:
    """The mip chain of a texture as linear float32 RGBA levels (H, W, 4)."""
    pixels = np.asarray(texture.pixels)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.shape[2] < 4:  # grey / grey+alpha / rgb -> rgba
        c = pixels.shape[2]
        rgb = pixels[:, :, :1].repeat(3, 2) if c in (1, 2) else pixels[:, :, :3]
        # opaque: the code that decodes to 1 (a uint16 texture's was 255, alpha 0.004)
        opaque = np.iinfo(pixels.dtype).max if pixels.dtype.kind in "ui" else 1.0
        alpha = pixels[:, :, 1:2] if c == 2 else np.full(pixels.shape[:2] + (1,), opaque, pixels.dtype)
        pixels = np.concatenate([rgb, alpha], axis=2)
    scale = 65535.0 if pixels.dtype == np.uint16 else (255.0 if pixels.dtype == np.uint8 else 1.0)
    values = pixels[:, :, :4].astype(np.float32) / np.float32(scale)
    if srgb:
        if pixels.dtype in (np.uint8, np.uint16):
            # each code's linear light from a table made by the same arithmetic: the
            # power function per texel took 0.29 s a 2048 px texture
            values[:, :, :3] = _srgb_table(pixels.dtype)[pixels[:, :, :3]]
        else:
            values[:, :, :3] = srgb_to_linear(values[:, :, :3])
    return mip_chain(values)


@functools.cache
def _srgb_table(dtype) -> np.ndarray:
    """float32 (2**bits,): every code of an unsigned ``dtype`` as decode_texture turns
    it to linear light (code / max in float32, then srgb_to_linear)."""
    info = np.iinfo(dtype)
    codes = np.arange(info.max + 1, dtype=np.float32) / np.float32(info.max)
    return srgb_to_linear(codes)


def quantise_level(level: np.ndarray) -> np.ndarray:
    """A linear float RGBA level (H, W, 4) as the pool stores it: uint16, value x
    TEXEL_SCALE rounded, clamped to [0, 1] first."""
    return np.rint(np.clip(level, 0.0, 1.0) * TEXEL_SCALE).astype(np.uint16)


def stored_chain(texture: Texture) -> list[np.ndarray]:
    """The texture's mip levels exactly as the sampler sees them, float64 (H, W, 4)."""
    return [quantise_level(lv) / TEXEL_SCALE for lv in decode_texture(texture)]


class TexturePool:
    """All textures of a scene, decoded once and packed for the kernels.

    Decoded mip chains are cached per Texture object (keyed by identity of the
    object and of its pixel array), so a renderer that draws the same scene every
    frame decodes each texture once.
    """

    def __init__(self):
        self._chains: dict[tuple[int, bool], tuple[np.ndarray, list[np.ndarray]]] = {}
        self._packed_key: tuple | None = None
        self._packed = None

    def _chain(self, texture: Texture, srgb: bool = True) -> list[np.ndarray]:
        hit = self._chains.get((id(texture), srgb))
        if hit is not None and hit[0] is texture.pixels:
            return hit[1]
        chain = decode_texture(texture, srgb)
        self._chains[(id(texture), srgb)] = (texture.pixels, chain)
        return chain

    def _packed_chain(self, layers: tuple[tuple[Texture, bool], ...]) -> list[np.ndarray]:
        """The mip chain of textures of one size interleaved texel by texel: (H, W, 4 x
        layers) levels, each layer decoded as its flag says (sRGB or data)."""
        chains = [self._chain(t, srgb) for t, srgb in layers]
        return [np.concatenate(levels, axis=2) for levels in zip(*chains)]

    def pack(
        self,
        textures: list[Texture],
        data: list[Texture] = (),
        packs: list[tuple[tuple[Texture, bool], ...]] = (),
        colour_used=None,
    ):
        """(pool, levels, level_count, wrap) for ``textures`` (see module doc), then
        for ``data``: textures that hold numbers rather than colours (normal,
        metallic-roughness and occlusion maps), decoded without the sRGB curve; then
        for ``packs``: textures of one size and wrap interleaved (layers of (Texture,
        srgb)), sampled by holopack.rendering.pbr_kernel in one fetch. ``colour_used``: the
        indices of ``textures`` that are sampled as colour (None: all); the others
        keep their index but are neither decoded nor stored (one black texel)."""
        data = list(data)
        packs = list(packs)
        used = None if colour_used is None else frozenset(colour_used)
        key = (
            tuple((id(t), id(t.pixels), t.wrap_s, t.wrap_t, _filters(t)) for t in textures)
            + tuple(("data", id(t), id(t.pixels), t.wrap_s, t.wrap_t, _filters(t)) for t in data)
            + tuple(("pack",) + tuple((id(t), id(t.pixels), srgb) for t, srgb in p) for p in packs)
            + (None if used is None else tuple(sorted(used)),)
        )
        if key == self._packed_key:
            return self._packed
        unused = [np.zeros((1, 1, 4), np.float32)]
        chains = (
            [self._chain(t) if used is None or i in used else unused for i, t in enumerate(textures)]
            + [self._chain(t, False) for t in data]
            + [self._packed_chain(p) for p in packs]
        )
        textures = list(textures) + data + [p[0][0] for p in packs]
        total = sum(lv.shape[0] * lv.shape[1] * (lv.shape[2] // 4) for ch in chains for lv in ch)
        pool = np.zeros((max(total, 1), 4), np.uint16)
        levels = np.zeros((max(len(textures), 1), MAX_LEVELS, 3), np.int64)
        level_count = np.zeros(max(len(textures), 1), np.int32)
        wrap = np.full((max(len(textures), 1), 2), REPEAT, np.int32)
        offset = 0
        for t, (tex, chain) in enumerate(zip(textures, chains)):
            level_count[t] = len(chain)
            wrap[t] = (tex.wrap_s | _filters(tex) << FILTER_SHIFT, tex.wrap_t)
            for l, lv in enumerate(chain):
                n = lv.shape[0] * lv.shape[1] * (lv.shape[2] // 4)
                pool[offset : offset + n] = quantise_level(lv).reshape(-1, 4)
                levels[t, l] = (offset, lv.shape[1], lv.shape[0])
                offset += n
        self._packed_key = key
        self._packed = (pool, levels, level_count, wrap)
        return self._packed


def _filters(texture: Texture) -> int:
    return filter_flags(getattr(texture, "mag_filter", None), getattr(texture, "min_filter", None))


@njit(cache=True, error_model="numpy", inline="always")
def _wrap_index(i, n, mode):
    if mode == CLAMP_TO_EDGE:
        return min(max(i, 0), n - 1)
    if mode == MIRRORED_REPEAT:
        period = 2 * n
        m = i % period
        if m < 0:
            m += period
        return m if m < n else period - 1 - m
    m = i % n
    if m < 0:
        m += n
    return m


@njit(cache=True, error_model="numpy", inline="always")
def _wrap_pair(i, n, mode):
    """Texel indices of i and i + 1 for an i already reduced as _bilinear does."""
    if mode == REPEAT:
        if i < 0 or i >= n:  # UVs so huge that float reduction lost the texel
            i = 0
        j = i + 1
        return i, (j if j < n else 0)
    if mode == MIRRORED_REPEAT:
        if i < 0 or i >= 2 * n:
            i = 0
        j = i + 1
        if j == 2 * n:
            j = 0
        return (i if i < n else 2 * n - 1 - i), (j if j < n else 2 * n - 1 - j)
    return min(max(i, 0), n - 1), min(max(i + 1, 0), n - 1)


@njit(cache=True, error_model="numpy", inline="always")
def one_period(u, mode):
    """u reduced to one period of a repeating wrap ``mode`` (others: as it is)."""
    # Repeating wraps reduce the coordinate to one period before scaling it: the
    # fraction of a float is exact, and this needs no division per texel row.
    if mode == REPEAT:
        return u - np.floor(u)
    if mode == MIRRORED_REPEAT:
        return u - 2.0 * np.floor(0.5 * u)
    return u


@njit(cache=True, error_model="numpy", inline="always")
def _texel_pair(u, n, mode):
    """Along one axis of n texels with wrap ``mode``: the two texels a bilinear fetch at
    u (in UV units, already reduced by one_period) blends, and the weight of the second."""
    x = u * n - 0.5
    x0f = np.floor(x)
    f = x - x0f
    if mode == REPEAT:
        if x0f < 0.0:
            x0f += n
    elif mode == MIRRORED_REPEAT:
        if x0f < 0.0:
            x0f += 2 * n
    else:
        x0f = min(max(x0f, -1.0), float(n))
    first, second = _wrap_pair(int(x0f), n, mode)
    return first, second, f


@njit(cache=True, error_model="numpy", inline="always")
def taps_at(offset, w, h, u, v, mode_s, mode_t, layers):
    """The four pool rows and weights of a bilinear fetch of the level at pool row
    ``offset``, ``w`` x ``h`` texels, for (u, v) already reduced by one_period along
    (mode_s, mode_t): (i00, i01, i10, i11, w00, w01, w10, w11). A texture of ``layers``
    RGBA layers per texel (holopack.rendering.pbr_kernel's packed maps) keeps texel k's
    layer j in row offset + k x layers + j; the rows returned are layer 0's. The
    weights carry the texels' scale back to [0, 1]."""
    xa, xb, fx = _texel_pair(u, w, mode_s)
    ya, yb, fy = _texel_pair(v, h, mode_t)
    r00 = ya * w
    r10 = yb * w
    return (
        offset + (r00 + xa) * layers,
        offset + (r00 + xb) * layers,
        offset + (r10 + xa) * layers,
        offset + (r10 + xb) * layers,
        (1.0 - fx) * (1.0 - fy) * INV_TEXEL_SCALE,
        fx * (1.0 - fy) * INV_TEXEL_SCALE,
        (1.0 - fx) * fy * INV_TEXEL_SCALE,
        fx * fy * INV_TEXEL_SCALE,
    )


@njit(cache=True, error_model="numpy", inline="always")
def lod(u, v, w0, h0, count, dudx, dvdx, dudy, dvdy, flags):
    """(u, v) made finite, then the two mip levels' lower index and the fraction
    towards the next (OpenGL's LINEAR_MIPMAP_LINEAR level of detail) for a texture of
    ``count`` levels whose level 0 is ``w0`` x ``h0``; and whether to read the nearest
    texel rather than blend four. ``flags``: the texture's sampler filters
    (``filter_flags``; 0 for the default, trilinear): magnified (one pixel spans at
    most one texel), MAG_NEAREST reads the nearest texel of level 0; minified,
    MIN_LEVEL0 keeps level 0, MIN_NEAREST_LEVEL takes the nearest level alone, and
    MIN_NEAREST_TEXEL reads the nearest texel of each level it takes."""
    if not (math.isfinite(u) and math.isfinite(v)):
        u = 0.0
        v = 0.0
    ax = (dudx * w0) ** 2 + (dvdx * h0) ** 2
    ay = (dudy * w0) ** 2 + (dvdy * h0) ** 2
    rho2 = max(ax, ay)
    level = 0.0
    if rho2 > 1.0 and math.isfinite(rho2):
        level = 0.5 * math.log2(rho2)
    top = count - 1
    if level >= top:
        level = float(top)
    nearest = False
    if flags != 0:
        # magnified up to a level of detail of 0 (OpenGL's 0.5 for LINEAR with a
        # NEAREST_MIPMAP_* minFilter does not arise: drawn_filters)
        if not rho2 > 1.0:  # (or not a number)
            nearest = (flags & MAG_NEAREST) != 0
            level = 0.0
        else:
            nearest = (flags & MIN_NEAREST_TEXEL) != 0
            if flags & MIN_LEVEL0:
                level = 0.0
            elif flags & MIN_NEAREST_LEVEL:  # OpenGL's nearest level: ceil(lod + 1/2) - 1
                level = 0.0 if level <= 0.5 else float(min(math.ceil(level + 0.5) - 1, top))
    l0 = int(level)
    return u, v, l0, level - l0, nearest


@njit(cache=True, error_model="numpy", inline="always")
def nearest_centre(u, n):
    """u moved to the centre of the texel of n it falls in (u already reduced by
    one_period): the bilinear taps there are that texel alone, as OpenGL's NEAREST
    reads it (texel floor(u n), wrapped)."""
    return (np.floor(u * n) + 0.5) / n


@njit(cache=True, error_model="numpy", inline="always")
def levels_and_period(levels, level_count, wrap, t, u, v, dudx, dvdx, dudy, dvdy):
    """What a trilinear fetch of texture ``t`` needs before its taps, the arrays as
    pointers (see _sample_at): -> (t's row in levels, u and v reduced to one period of
    their wraps, the lower mip level, the fraction towards the next, the two wrap
    modes, whether to read the nearest texel of each level). The wrap along s carries
    the sampler's filter flags in its upper bits (TexturePool.pack)."""
    row = t * (MAX_LEVELS * 3)  # texture t's level 0 in levels
    packed_s = wrap[2 * t + WRAP_S]
    flags = packed_s >> FILTER_SHIFT
    u, v, l0, f, nearest = lod(
        u, v, levels[row + 1], levels[row + 2], level_count[t], dudx, dvdx, dudy, dvdy, flags
    )
    # the wrap reduction depends on neither level: once, not once per level
    mode_s = packed_s & WRAP_MASK
    mode_t = wrap[2 * t + WRAP_T]
    return row, one_period(u, mode_s), one_period(v, mode_t), l0, f, mode_s, mode_t, nearest


@njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def sample_trilinear(pool, levels, level_count, wrap, t, u, v, dudx, dvdx, dudy, dvdy):
    """Filtered linear RGBA of texture ``t`` at (u, v) given the UV derivatives per pixel.
    The four arrays as TexturePool.pack gives them (C-contiguous)."""
    return texture_at_uv(t, u, v, dudx, dvdx, dudy, dvdy, pool, levels, level_count, wrap)


@njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _sample_at(texels, levels, level_count, wrap, t, u, v, dudx, dvdx, dudy, dvdy):
    """sample_trilinear with its arrays as pointers to their first elements: texels
    uint16 (P x 4), levels int64 (T x MAX_LEVELS x 3), level_count int32 (T), wrap
    int32 (T x 2), each flattened row-major."""
    row, u, v, l0, f, mode_s, mode_t, nearest = levels_and_period(
        levels, level_count, wrap, t, u, v, dudx, dvdx, dudy, dvdy
    )
    # The lower level always (f < 1), the upper only where f > 0: two fetches written
    # out, not one in a loop of two that skipped a level of weight 0. Most fragments of a
    # 1024^2 frame magnify (f = 0: 70-74% of FlightHelmet's), and the loop paid for its
    # second turn's weight, test and accumulation on each of them. The sums are the
    # loop's, in its order ((1 - f) c0 + f c1; 0 + x = x), so the pictures are identical.
    # FlightHelmet's fetches of four 1024^2 views (162k-220k each, in the band shader's
    # order), one thread: 0.73-0.76 of the loop's time (benchmarks/sampler_turns.py);
    # its unlit shading pass 14.8 against 15.7 ms of one thread's CPU (profile_render.py
    # --cpu, turns). It compiles in 1.7 CPU s against 1.2 (once, for textured jobs only).
    # The two fetches as two calls of one compiled fetch compiled as fast as the loop
    # but kept only a sixth of the gain in the shading pass (15.5 ms). Raw:
    # benchmarks/results/2026-12-04/shade-turns.txt, sampler-turns.txt.
    at = row + 3 * l0
    su, sv = u, v
    if nearest:  # a sampler's NEAREST: the texel of this level the point falls in
        su = nearest_centre(u, levels[at + 1])
        sv = nearest_centre(v, levels[at + 2])
    i00, i01, i10, i11, w00, w01, w10, w11 = taps_at(
        levels[at], levels[at + 1], levels[at + 2], su, sv, mode_s, mode_t, 1
    )
    r, g, b, a = mix_texels(texels, i00, i01, i10, i11, w00, w01, w10, w11)
    if f > 0.0:
        k = 1.0 - f
        at += 3
        if nearest:
            u = nearest_centre(u, levels[at + 1])
            v = nearest_centre(v, levels[at + 2])
        i00, i01, i10, i11, w00, w01, w10, w11 = taps_at(
            levels[at], levels[at + 1], levels[at + 2], u, v, mode_s, mode_t, 1
        )
        c0, c1, c2, c3 = mix_texels(texels, i00, i01, i10, i11, w00, w01, w10, w11)
        r = k * r + f * c0
        g = k * g + f * c1
        b = k * b + f * c2
        a = k * a + f * c3
    return r, g, b, a


@njit(cache=True, error_model="numpy", inline="always")
def fragment_uv(c, v0, v1, v2, o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2, attr):
    """The fragment's UV (attr columns c, c + 1) and its derivatives one pixel right
    and one pixel down: (u, v, du/dx, dv/dx, du/dy, dv/dy)."""
    u = o0 * attr[v0, c] + o1 * attr[v1, c] + o2 * attr[v2, c]
    v = o0 * attr[v0, c + 1] + o1 * attr[v1, c + 1] + o2 * attr[v2, c + 1]
    ux = ox0 * attr[v0, c] + ox1 * attr[v1, c] + ox2 * attr[v2, c]
    vx = ox0 * attr[v0, c + 1] + ox1 * attr[v1, c + 1] + ox2 * attr[v2, c + 1]
    uy = oy0 * attr[v0, c] + oy1 * attr[v1, c] + oy2 * attr[v2, c]
    vy = oy0 * attr[v0, c + 1] + oy1 * attr[v1, c + 1] + oy2 * attr[v2, c + 1]
    return u, v, ux - u, vx - v, uy - u, vy - v


@njit(cache=True, error_model="numpy", inline="always")
def texture_at(
    t, c, v0, v1, v2, o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2, attr, pool, levels, level_count, wrap
):
    """Trilinear sample of texture t at the fragment's UV (attr columns c, c + 1)."""
    u, v, dudx, dvdx, dudy, dvdy = fragment_uv(c, v0, v1, v2, o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2, attr)
    return texture_at_uv(t, u, v, dudx, dvdx, dudy, dvdy, pool, levels, level_count, wrap)


@njit(cache=True, error_model="numpy", inline="always")
def texture_at_uv(t, u, v, dudx, dvdx, dudy, dvdy, pool, levels, level_count, wrap):
    """Trilinear sample of texture t at (u, v), given its derivatives one pixel right
    and one pixel down; the four arrays as TexturePool.pack gives them, as pointers to
    _sample_at (texture_at, sample_trilinear, and the band shader's unlit textured
    fragments, whose UV comes from the record's plane)."""
    return _sample_at(
        data_pointer(pool),
        data_pointer(levels),
        data_pointer(level_count),
        data_pointer(wrap),
        t,
        u,
        v,
        dudx,
        dvdx,
        dudy,
        dvdy,
    )
