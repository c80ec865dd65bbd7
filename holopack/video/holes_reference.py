"""Slow, obviously-correct numpy twin of holes_kernel.label_sums."""

from __future__ import annotations

import numpy as np


def label_sums(labels: np.ndarray, mask: np.ndarray, offset: np.ndarray, length: int):
    """-> (count float64 (L,), sums float64 (L, 3), squares float64 (L, 3)) as
    holes_kernel.label_sums."""
    count = np.zeros(length)
    sums = np.zeros((length, 3))
    squares = np.zeros((length, 3))
    for k in range(length):
        inside = (labels == k) & (mask != 0)
        values = offset[inside].astype(np.float64)
        count[k] = inside.sum()
        sums[k] = values.sum(axis=0)
        squares[k] = (values**2).sum(axis=0)
    return count, sums, squares
