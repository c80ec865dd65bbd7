"""Plain-numpy twin of ``quantise.encode_codes``, slow and obviously correct."""

from __future__ import annotations

import numpy as np


def encode_codes_reference(linear, thresholds, limit, gamma, max_code, margin=False):
    """The same codes, uint8 (S, C, 3), step by step in float64; with ``margin`` also
    how far (in codes) each value lies from the nearest step, float64 (S, C, 3)."""
    v = np.nan_to_num(np.asarray(linear, np.float64) * limit, nan=0.0)
    encoded = np.clip(v, 0.0, 1.0) ** (1.0 / gamma)
    value = encoded * max_code + np.asarray(thresholds, np.float64)
    codes = np.clip(np.floor(value), 0, max_code).astype(np.uint8)
    if margin:
        return codes, np.abs(value - np.round(value))
    return codes
