"""numpy twin of tonemap_kernel.tone_map, written from the published descriptions
(Khronos PBR Neutral; Hill's ACES fit), for the tests: slow and plain."""

from __future__ import annotations

import numpy as np


def neutral(rgb: np.ndarray) -> np.ndarray:
    """Khronos PBR Neutral of (..., 3) float64 linear RGB."""
    rgb = np.array(rgb, np.float64)
    x = rgb.min(axis=-1, keepdims=True)
    rgb = rgb - np.where(x < 0.08, x - 6.25 * x * x, 0.04)
    peak = rgb.max(axis=-1, keepdims=True)
    start = 0.76
    d = 1.0 - start
    new_peak = 1.0 - d * d / (peak + d - start)
    compressed = rgb * new_peak / np.where(peak > 0, peak, 1.0)
    g = 1.0 - 1.0 / (0.15 * (peak - new_peak) + 1.0)
    compressed = compressed * (1.0 - g) + new_peak * g
    return np.where(peak < start, rgb, compressed)


def aces(rgb: np.ndarray) -> np.ndarray:
    """Hill's ACES fit of (..., 3) float64 linear RGB (input scaled by 1 / 0.6)."""
    into = np.array([[0.59719, 0.35458, 0.04823], [0.07600, 0.90834, 0.01566], [0.02840, 0.13383, 0.83777]])
    out = np.array(
        [[1.60475, -0.53108, -0.07367], [-0.10208, 1.10813, -0.00605], [-0.00327, -0.07276, 1.07602]]
    )
    v = (np.asarray(rgb, np.float64) / 0.6) @ into.T
    v = (v * (v + 0.0245786) - 0.000090537) / (v * (0.983729 * v + 0.4329510) + 0.238081)
    return v @ out.T


def srgb8(linear: np.ndarray) -> np.ndarray:
    """Clamp to [0, 1] and encode with the sRGB curve, rounded to uint8."""
    v = np.clip(linear, 0.0, 1.0)
    e = np.where(v <= 0.0031308, 12.92 * v, 1.055 * np.power(v, 1.0 / 2.4) - 0.055)
    return np.rint(e * 255.0).astype(np.uint8)


def tone_map(linear: np.ndarray, exposure: float, tone_mapping: str) -> np.ndarray:
    """(H, W, 3) uint8 sRGB of the (H, W, 3) linear picture."""
    v = np.nan_to_num(np.asarray(linear, np.float64) * exposure, nan=0.0, posinf=0.0, neginf=0.0)
    if tone_mapping == "neutral":
        v = neutral(v)
    elif tone_mapping == "aces":
        v = aces(v)
    return srgb8(v)
