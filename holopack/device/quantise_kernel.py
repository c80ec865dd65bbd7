"""Numba kernel: linear LED values -> device codes in one pass (brightness limit,
gamma, threshold-map dither, quantisation); ``quantise_reference`` is its numpy twin.

Fused because the numpy chain (six whole-frame passes and a power over every value)
cost more per frame than resampling; here a black LED, most of a fan frame, needs no
power at all.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy", nogil=True)  # nogil: see wall/prefetch.py
def encode_codes(linear, thresholds, limit, inv_gamma, max_code, out):
    """out[s, c, k] = clip(floor((clip(linear * limit, 0, 1)) ** inv_gamma * max_code
    + thresholds[s, c, k]), 0, max_code), in float32 (float64 powers cost twice as much;
    float32's rounding moves a code only where the value lies within about 1e-5 of a
    step, where dithering puts it on either side anyway).

    linear float32 (S, C, 3) linear light; thresholds float32 (S, C, 3) in [0, 1) (any
    layout: the dither map's view for this frame); out uint8 (S, C, 3). NaN counts as 0.
    """
    top = np.float32(max_code)
    gamma = np.float32(inv_gamma)
    scale = np.float32(limit)
    for s in range(linear.shape[0]):
        for c in range(linear.shape[1]):
            for k in range(3):
                v = linear[s, c, k] * scale
                y = np.float32(0.0)
                if v >= 1.0:
                    y = np.float32(1.0)
                elif v > 0.0:
                    y = v**gamma
                code = np.floor(y * top + thresholds[s, c, k])
                out[s, c, k] = np.uint8(min(max(code, np.float32(0.0)), top))
    return out
