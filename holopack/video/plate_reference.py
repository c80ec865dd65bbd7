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


def plate_behind(
    order: np.ndarray,
    samples: np.ndarray,
    seen: np.ndarray,
    tolerance: float,
    agree_share: float,
    outside_share: float,
    plate: np.ndarray,
    support: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As plate_kernel.plate_behind, with frame sets as boolean vectors; returns new
    (seen, plate, support) and leaves its arguments alone."""
    seen, plate, support = seen.copy(), plate.astype(np.float64).copy(), support.copy()
    k, h, w = samples.shape[:3]
    s = samples.astype(np.int64)
    bits = 1 << np.arange(k, dtype=np.int64)
    for index in order:
        y, x = divmod(int(index), w)
        neighbours = [
            seen[yy, xx]
            for yy in range(y - 1, y + 2)
            for xx in range(x - 1, x + 2)
            if (yy, xx) != (y, x) and 0 <= yy < h and 0 <= xx < w and seen[yy, xx] > 0
        ]
        seen[y, x] = 0
        if not neighbours:
            continue
        shown = np.array([(np.int64(m) & bits) != 0 for m in neighbours])  # (voters, K)
        frames = 2 * shown.sum(axis=0) > len(neighbours)
        if not frames.any():
            continue
        pixel = s[:, y, x]  # (K, 3)
        agree = np.abs(pixel[:, None] - pixel[None]).sum(-1) <= tolerance  # (K, K)
        within = (agree & frames[None]).sum(axis=1)  # agreeing samples among the frames
        within[~frames] = -1
        best = int(within.argmax())  # the first with the most
        if within[best] < agree_share * frames.sum():
            continue
        group = agree[best]
        if (group & ~frames).sum() > outside_share * group.sum():
            continue
        seen[y, x] = int((bits * group).sum())
        colour = pixel[group].mean(axis=0)
        if np.abs(plate[y, x] - colour).sum() > tolerance:
            plate[y, x] = colour
            support[y, x] = group.sum() / k
    return seen, plate.astype(np.float32), support
