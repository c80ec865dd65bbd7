"""Slow, obviously-correct numpy twin of plate_kernel.plate_mode."""

from __future__ import annotations

import numpy as np


def plate_mode(samples: np.ndarray, tolerance: int) -> tuple[np.ndarray, np.ndarray]:
    """samples uint8 (K, H, W, 3) -> (plate float32 (H, W, 3), support float32 (H, W))."""
    s = samples.astype(np.int32)
    k = s.shape[0]
    # agree[i, j, y, x]: samples i and j are within the tolerance of each other
    agree = np.abs(s[:, None] - s[None, :]).sum(axis=-1) <= tolerance
    counts = agree.sum(axis=1)  # (K, H, W)
    best = counts.argmax(axis=0)  # first sample with the most agreement
    members = np.take_along_axis(agree, best[None, None], axis=0)[0]  # (K, H, W)
    n = members.sum(axis=0)
    plate = (s * members[..., None]).sum(axis=0) / n[..., None]
    return plate.astype(np.float32), (n / k).astype(np.float32)


def plate_nearest(
    samples: np.ndarray, prediction: np.ndarray, unsure: np.ndarray, tolerance: int, plate: np.ndarray
) -> np.ndarray:
    """As plate_kernel.plate_nearest; returns the new plate float32 (H, W, 3)."""
    s = samples.astype(np.int32)
    dist = np.abs(samples.astype(np.float64) - prediction.astype(np.float64)).sum(-1)  # (K, H, W)
    best = dist.argmin(axis=0)
    best_d = np.take_along_axis(dist, best[None], axis=0)[0]
    chosen = np.take_along_axis(s, best[None, ..., None], axis=0)[0]
    members = np.abs(s - chosen[None]).sum(-1) <= tolerance
    mean = (s * members[..., None]).sum(0) / members.sum(0)[..., None]
    out = plate.astype(np.float64).copy()
    use_pred = unsure & (best_d > 2 * tolerance)
    use_mean = unsure & ~use_pred
    out[use_pred] = prediction[use_pred]
    out[use_mean] = mean[use_mean]
    return out.astype(np.float32)
