"""The slow, obviously-correct numpy twin of fit_kernel.fit_codes (for tests)."""

from __future__ import annotations

import numpy as np


def fit_codes_reference(picture, lut, ix, wx, iy, wy, width: int, height: int) -> np.ndarray:
    """Same result as fit_kernel.fit_codes: the picture in linear light, gathered once
    per tap along each axis in turn and summed."""
    src = lut[picture]
    cols = np.zeros((picture.shape[0], width, 3), np.float32)
    for t in range(ix.shape[0]):
        cols += src[:, ix[t], :] * wx[t][None, :, None]
    out = np.zeros((height, width, 3), np.float32)
    for t in range(iy.shape[0]):
        out += cols[iy[t], :, :] * wy[t][:, None, None]
    return out
