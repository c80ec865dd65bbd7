"""A picture fitted onto the wall's canvas (source.fit_to_canvas) as two Numba passes:
each picture row's sRGB codes to linear light and through the columns' box filter, then
each canvas row through the rows' box filter. fit_reference.py holds the numpy twin;
these passes repeat its float32 arithmetic exactly (each tap's product added in tap
order, from zero, with no fused multiply-add), so the canvas is the same to the bit.

Why: numpy converted the whole decoded frame to linear light, then gathered it once per
tap along each axis: a 1080p frame fitted to a 2 x 2 wall's 1344 px canvas took 170.5 CPU
ms, these passes 17.8 (9.1 ms on two threads; a plain frame of that wall, decode and
fans included, 60.5 CPU ms against 200.6: benchmarks/results/2026-12-06/wall-plain-fit.txt).
Rows are claimed by the threads of holopack.work_pool as they come free.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..kernel_cache import refresh
from ..work_pool import run
from ..work_queue import claim

refresh(__file__, ["../work_queue.py"])  # the passes compile the work queue's claim into themselves


def fit_codes(picture, lut, ix, wx, iy, wy, width: int, height: int) -> np.ndarray:
    """picture uint8 (h, w, 3) sRGB codes; lut float32 (256,) code -> linear light;
    ix int64 (T, width), wx float32 (T, width): each canvas column's source columns and
    weights; iy int64 (U, height), wy float32 (U, height): each canvas row's (as
    source.box_taps gives them) -> float32 (height, width, 3) linear light, the picture
    averaged over each canvas pixel."""
    picture = np.ascontiguousarray(picture, np.uint8)
    columns = np.empty((picture.shape[0], width * 3), np.float32)
    run(_column_rows, np.zeros(1, np.int64), picture, lut, ix, wx, columns)
    out = np.empty((height, width * 3), np.float32)
    run(_canvas_rows, np.zeros(1, np.int64), columns, iy, wy, out)
    return out.reshape(height, width, 3)


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _column_rows(next_row, picture, lut, ix, wx, columns):
    """One thread's share of the columns' pass: picture rows claimed from next_row,
    each row's canvas columns as the sum over taps of lut[code] x weight (float32)."""
    rows = picture.shape[0]
    taps, width = ix.shape
    y = claim(next_row)
    while y < rows:
        for d in range(width):
            r = np.float32(0.0)
            g = np.float32(0.0)
            b = np.float32(0.0)
            for t in range(taps):
                x = ix[t, d]
                w = wx[t, d]
                r = r + lut[picture[y, x, 0]] * w
                g = g + lut[picture[y, x, 1]] * w
                b = b + lut[picture[y, x, 2]] * w
            columns[y, 3 * d] = r
            columns[y, 3 * d + 1] = g
            columns[y, 3 * d + 2] = b
        y = claim(next_row)


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _canvas_rows(next_row, columns, iy, wy, out):
    """One thread's share of the rows' pass: canvas rows claimed from next_row, each the
    sum over taps of a columns' row x its weight, tap by tap along the whole row (the
    same order per value as a sum per value, in vector instructions)."""
    height, values = out.shape
    taps = iy.shape[0]
    y = claim(next_row)
    while y < height:
        for v in range(values):
            out[y, v] = np.float32(0.0)
        for t in range(taps):
            row = iy[t, y]
            w = wy[t, y]
            for v in range(values):
                out[y, v] = out[y, v] + columns[row, v] * w
        y = claim(next_row)
