"""Slow, obviously-correct numpy twin of guide_kernel.guide_edge: box means over
windows cut at the border, written as sums of shifted copies."""

from __future__ import annotations

import numpy as np


def _box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    h, w = x.shape
    total = np.zeros((h, w))
    count = np.zeros((h, w))
    padded = np.pad(x.astype(np.float64), radius)
    ones = np.pad(np.ones((h, w)), radius)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            total += padded[dy : dy + h, dx : dx + w]
            count += ones[dy : dy + h, dx : dx + w]
    return total / count


def guide_edge(frame: np.ndarray, alpha: np.ndarray, edge: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """-> float32 (H, W): the guided filter of alpha by the frame's BT.601 luma on the
    edge pixels (clipped to [0, 1]), alpha elsewhere."""
    f = frame.astype(np.float64)
    luma = (0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]) / 255.0
    p = alpha.astype(np.float64)
    mean_i, mean_p = _box_mean(luma, radius), _box_mean(p, radius)
    var = _box_mean(luma * luma, radius) - mean_i**2
    cov = _box_mean(luma * p, radius) - mean_i * mean_p
    a = cov / (var + eps)
    b = mean_p - a * mean_i
    q = np.clip(_box_mean(a, radius) * luma + _box_mean(b, radius), 0.0, 1.0)
    return np.where(edge != 0, q, p).astype(np.float32)
