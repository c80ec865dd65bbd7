"""Tone mapping of the linear HDR picture into its sRGB colour (Numba kernel).

``tone_mapping``: "none" (clamp to [0, 1]), "neutral" (Khronos PBR Neutral) or
"aces" (Stephen Hill's fit of the ACES RRT + ODT, input scaled by 1 / 0.6 as the
Khronos sample viewer and three.js do); ``exposure`` multiplies the linear value
first. Then the exact sRGB encode (raster.encode_srgb8). ``tonemap_reference.py``
is the numpy twin the tests compare this kernel with.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..kernel_cache import refresh
from ..work_pool import run
from ..work_queue import claim
from .tonemap_choices import TONE_MAPPINGS  # noqa: F401  (re-exported)

# the kernel below inlines raster_kernel.py's sRGB encoder
refresh(__file__, ["raster_kernel.py", "../work_queue.py"])

from .raster_kernel import encode_srgb8  # noqa: E402  imported after refresh(), on purpose

NONE, NEUTRAL, ACES = 0, 1, 2  # the kernel's codes of tonemap_choices.TONE_MAPPINGS

# PBR Neutral's constants (Khronos, 2024)
NEUTRAL_START = 0.8 - 0.04
NEUTRAL_DESATURATION = 0.15
ACES_BIAS = 1.0 / 0.6


@njit(cache=True, error_model="numpy", inline="always")
def neutral(r, g, b):
    """Khronos PBR Neutral of one linear RGB value."""
    x = min(r, min(g, b))
    offset = x - 6.25 * x * x if x < 0.08 else 0.04
    r -= offset
    g -= offset
    b -= offset
    peak = max(r, max(g, b))
    if peak < NEUTRAL_START:
        return r, g, b
    d = 1.0 - NEUTRAL_START
    new_peak = 1.0 - d * d / (peak + d - NEUTRAL_START)
    s = new_peak / peak
    r *= s
    g *= s
    b *= s
    k = 1.0 - 1.0 / (NEUTRAL_DESATURATION * (peak - new_peak) + 1.0)
    return r + (new_peak - r) * k, g + (new_peak - g) * k, b + (new_peak - b) * k


@njit(cache=True, error_model="numpy", inline="always")
def _rrt_odt(v):
    return (v * (v + 0.0245786) - 0.000090537) / (v * (0.983729 * v + 0.4329510) + 0.238081)


@njit(cache=True, error_model="numpy", inline="always")
def aces(r, g, b):
    """Hill's ACES fit of one linear RGB value (sRGB primaries in and out)."""
    r *= ACES_BIAS
    g *= ACES_BIAS
    b *= ACES_BIAS
    ar = _rrt_odt(0.59719 * r + 0.35458 * g + 0.04823 * b)
    ag = _rrt_odt(0.07600 * r + 0.90834 * g + 0.01566 * b)
    ab = _rrt_odt(0.02840 * r + 0.13383 * g + 0.83777 * b)
    return (
        1.60475 * ar - 0.53108 * ag - 0.07367 * ab,
        -0.10208 * ar + 1.10813 * ag - 0.00605 * ab,
        -0.00327 * ar - 0.07276 * ag + 1.07602 * ab,
    )


def tone_map(linear, alpha, exposure, mode, lut, steps, color, tiles=None, tile=32):
    """color (H, W, 3) uint8 sRGB = encode(tone_map(exposure x linear)) where the
    picture has coverage (alpha (H, W) > 0), encode(linear) clamped elsewhere (black:
    uncovered pixels are black in linear light, premultiplied over black, and every
    tone mapping keeps black black); linear (H, W, 3) float32 stays as it is.

    tiles: (ceil(H / tile), ceil(W / tile)) bool, the ``tile`` x ``tile`` pixel tiles to
    map, None for all of them. The renderer passes the tiles its triangles reached and
    leaves their colour to this pass alone (it writes the empty tiles' black itself): a
    fan picture is mostly empty, and encoding the colour once in the shading pass and
    again here cost time for nothing. mode: NONE, NEUTRAL or ACES; lut, steps:
    raster.srgb_tables(). Rows are claimed by the threads of holopack.work_pool."""
    height, width = alpha.shape
    if tiles is None:
        tiles = np.ones(((height + tile - 1) // tile, (width + tile - 1) // tile), np.bool_)
    run(_tone_rows, np.zeros(1, np.int64), tiles, tile, linear, alpha, exposure, mode, lut, steps, color)


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _tone_rows(next_row, tiles, tile, linear, alpha, exposure, mode, lut, steps, color):
    """One thread's share of tone_map: rows claimed from next_row until none are left,
    each walked through its listed tiles (row by row rather than tile by tile: the
    memory streams; tile by tile the same pixels took a third longer)."""
    height, width = alpha.shape
    y = claim(next_row)
    while y < height:
        ty = y // tile
        for tx in range(tiles.shape[1]):
            if not tiles[ty, tx]:
                continue
            for x in range(tx * tile, min(tx * tile + tile, width)):
                r = linear[y, x, 0]
                g = linear[y, x, 1]
                b = linear[y, x, 2]
                if alpha[y, x] > 0.0:
                    r = exposure * r
                    g = exposure * g
                    b = exposure * b
                    if not (math.isfinite(r) and math.isfinite(g) and math.isfinite(b)):
                        r = g = b = 0.0
                    if mode == NEUTRAL:
                        r, g, b = neutral(r, g, b)
                    elif mode == ACES:
                        r, g, b = aces(r, g, b)
                color[y, x, 0] = encode_srgb8(r, lut, steps)
                color[y, x, 1] = encode_srgb8(g, lut, steps)
                color[y, x, 2] = encode_srgb8(b, lut, steps)
        y = claim(next_row)
