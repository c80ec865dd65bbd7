"""Numba kernel: area weights of one wall fan's LED sectors over the canvas pixels it owns.

Like holopack.device.sector_weights_kernel (midpoint rule in (r, phi) with the area element
r dr dphi, ``density`` samples per pixel length, never fewer than 4 x 4 per sector), but
the fan's centre may sit anywhere on a ``height`` x ``width`` canvas, and a cell
belongs to the fan that owns the cell's centre point (ownership.py's rule: the nearest
fan centre among the fans whose circle covers the point). A cell is never split: an
LED lights its whole cell whatever it shows, so a cell that showed only the part of
the picture its fan owns would still spill that light over the border. Given whole to
the owner of its centre, the cells of two fans meet along the ownership border to
within half a cell, each shows the picture's average over its own area, and every
other cell stays dark (holopack.wall.weights_reference is the numpy twin).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def owner_of_point(x, y, centres_x, centres_y, radii):
    """Index of the nearest fan centre among the fans whose circle covers (x, y), the
    first listed on a tie; -1 under no circle. All in canvas px."""
    best = np.inf
    owner = -1
    for k in range(centres_x.shape[0]):
        d2 = (x - centres_x[k]) ** 2 + (y - centres_y[k]) ** 2
        if d2 <= radii[k] * radii[k] and d2 < best:
            best = d2
            owner = k
    return owner


@njit(cache=True)
def owned_sector_weights(
    width, height, r_inner, r_outer, phi_start, phi_step, density, centres_x, centres_y, radii, me
):
    """Weights of the canvas pixels under each sector of fan ``me`` whose centre it owns.

    width, height: canvas size in px; centres_x, centres_y, radii: float64 (F,) every
        fan's centre and circle radius in continuous pixel coordinates (pixel (i, j)
        covers x in [j, j+1], y in [i, i+1]; y down); me: this fan's index.
    r_inner, r_outer: float64 (R,) sector radii in px; phi_start float64 (R,) canvas
        angles (radians, clockwise from +x with y down); phi_step float64 (R,) signed.
    density: samples per pixel length.
    Returns (indptr int64 (R+1,), indices int32 (nnz,) flat canvas index i*width + j,
    weights float32 (nnz,)); each row sums to 1, or is empty where another fan (or none)
    owns the sector's centre.
    """
    cx = centres_x[me]
    cy = centres_y[me]
    R = r_inner.shape[0]
    capacity = R * 8 + 1024
    indices = np.empty(capacity, np.int32)
    weights = np.empty(capacity, np.float32)
    indptr = np.zeros(R + 1, np.int64)
    nnz = 0
    for row in range(R):
        r0 = r_inner[row]
        r1 = r_outer[row]
        span = abs(phi_step[row])
        n_r = max(4, int(math.ceil((r1 - r0) * density)))
        n_p = max(4, int(math.ceil(span * r1 * density)))
        dr = (r1 - r0) / n_r
        dp = phi_step[row] / n_p
        mid_r = 0.5 * (r0 + r1)
        mid_phi = phi_start[row] + 0.5 * phi_step[row]
        if (
            owner_of_point(
                cx + mid_r * math.cos(mid_phi), cy + mid_r * math.sin(mid_phi), centres_x, centres_y, radii
            )
            != me
        ):
            indptr[row + 1] = nnz
            continue
        # bounding box of the sector: the outer arc's samples and the inner arc's
        i_lo = height
        i_hi = -1
        j_lo = width
        j_hi = -1
        for a in range(n_p):
            phi = phi_start[row] + (a + 0.5) * dp
            cp = math.cos(phi)
            sp = math.sin(phi)
            for e in (0, n_r - 1):
                r = r0 + (e + 0.5) * dr
                j = int(math.floor(cx + r * cp))
                i = int(math.floor(cy + r * sp))
                i_lo = min(i_lo, i)
                i_hi = max(i_hi, i)
                j_lo = min(j_lo, j)
                j_hi = max(j_hi, j)
        i_lo = max(i_lo - 1, 0)
        j_lo = max(j_lo - 1, 0)
        i_hi = min(i_hi + 1, height - 1)
        j_hi = min(j_hi + 1, width - 1)
        if i_hi < i_lo or j_hi < j_lo:
            indptr[row + 1] = nnz
            continue
        bh = i_hi - i_lo + 1
        bw = j_hi - j_lo + 1
        acc = np.zeros((bh, bw), np.float64)
        total = 0.0
        for a in range(n_p):
            phi = phi_start[row] + (a + 0.5) * dp
            cp = math.cos(phi)
            sp = math.sin(phi)
            for e in range(n_r):
                r = r0 + (e + 0.5) * dr
                x = cx + r * cp
                y = cy + r * sp
                j = int(math.floor(x))
                i = int(math.floor(y))
                if i < i_lo or i > i_hi or j < j_lo or j > j_hi:
                    continue
                acc[i - i_lo, j - j_lo] += r
                total += r
        if total <= 0.0:
            indptr[row + 1] = nnz
            continue
        count = 0
        for i in range(bh):
            for j in range(bw):
                if acc[i, j] > 0.0:
                    count += 1
        if nnz + count > capacity:
            capacity = max(capacity * 2, nnz + count)
            grown_i = np.empty(capacity, np.int32)
            grown_w = np.empty(capacity, np.float32)
            grown_i[:nnz] = indices[:nnz]
            grown_w[:nnz] = weights[:nnz]
            indices = grown_i
            weights = grown_w
        for i in range(bh):
            for j in range(bw):
                if acc[i, j] > 0.0:
                    indices[nnz] = (i + i_lo) * width + (j + j_lo)
                    weights[nnz] = acc[i, j] / total
                    nnz += 1
        indptr[row + 1] = nnz
    return indptr, indices[:nnz].copy(), weights[:nnz].copy()
