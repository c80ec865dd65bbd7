"""Slow, plain numpy twin of weights_kernel.owned_sector_weights (for tests).

The same midpoint rule, written row by row with whole-array operations: the owner of
the sector's centre point, the sample grid of each sector, the pixel under each
sample, and a bincount of the area elements r dr dphi.
"""

from __future__ import annotations

import math

import numpy as np


def owned_sector_weights_reference(
    width, height, r_inner, r_outer, phi_start, phi_step, density, centres_x, centres_y, radii, me
):
    """Same arguments and result as weights_kernel.owned_sector_weights."""
    cx, cy = centres_x[me], centres_y[me]
    indptr = [0]
    indices, weights = [], []
    for r0, r1, p0, step in zip(r_inner, r_outer, phi_start, phi_step):
        mid = (r0 + r1) / 2, p0 + step / 2
        d2 = (cx + mid[0] * np.cos(mid[1]) - centres_x) ** 2 + (cy + mid[0] * np.sin(mid[1]) - centres_y) ** 2
        covering = np.flatnonzero(d2 <= radii**2)
        if covering.size == 0 or covering[np.argmin(d2[covering])] != me:  # argmin: first on a tie
            indptr.append(indptr[-1])
            continue
        n_r = max(4, int(math.ceil((r1 - r0) * density)))
        n_p = max(4, int(math.ceil(abs(step) * r1 * density)))
        r = r0 + (np.arange(n_r) + 0.5) * (r1 - r0) / n_r
        phi = p0 + (np.arange(n_p) + 0.5) * step / n_p
        x = cx + r[None, :] * np.cos(phi)[:, None]
        y = cy + r[None, :] * np.sin(phi)[:, None]
        j = np.floor(x).astype(np.int64).ravel()
        i = np.floor(y).astype(np.int64).ravel()
        area = np.broadcast_to(r[None, :], x.shape).ravel()
        inside = (i >= 0) & (i < height) & (j >= 0) & (j < width)
        keep = inside
        flat = i[keep] * width + j[keep]
        if flat.size:
            pixels, inverse = np.unique(flat, return_inverse=True)
            sums = np.bincount(inverse, weights=area[keep])
            indices.append(pixels.astype(np.int32))
            weights.append((sums / sums.sum()).astype(np.float32))
            indptr.append(indptr[-1] + pixels.size)
        else:
            indptr.append(indptr[-1])

    def cat(parts, dt):
        return np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt)

    return np.array(indptr, np.int64), cat(indices, np.int32), cat(weights, np.float32)
