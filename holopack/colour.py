"""sRGB <-> linear light (IEC 61966-2-1), shared by every stage that converts."""

from __future__ import annotations

import numpy as np


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """float array in [0, 1] (sRGB-encoded) -> float32 linear light."""
    v = np.asarray(values, np.float64)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """float linear light -> float32 sRGB-encoded in [0, 1] (input clipped to [0, 1])."""
    v = np.clip(np.asarray(values, np.float64), 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055).astype(np.float32)


# 8-bit sRGB code -> linear light, for pictures that enter the pipeline as uint8
SRGB8_TO_LINEAR = srgb_to_linear(np.arange(256, dtype=np.float32) / 255.0)


def srgb8_to_linear(picture: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 sRGB -> (..., 3) float32 linear, by table lookup."""
    return SRGB8_TO_LINEAR[picture]
