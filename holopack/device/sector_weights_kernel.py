"""Numba kernel: area weights of square pixels under annular sectors.

Each LED, during one slice, sweeps an annular sector (radius = its centre +- half its
size, angle = the slice). The weight of a pixel for that LED is the fraction of the
sector's area that falls in the pixel. The area integral is evaluated with a midpoint
rule in (r, phi) using the polar area element r dr dphi, at ``density`` samples per
pixel length in both directions (and never fewer than 4 x 4 per sector, so sectors far
smaller than a pixel near the centre still get their one or two pixels right).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


def sector_weights(size, r_inner, r_outer, phi_start, phi_step, density):
    """Weights of the pixels of a ``size`` x ``size`` picture under each sector.

    size: int, the picture's side in px; the disc centre is at (size/2, size/2) in
        continuous pixel coordinates (pixel (i, j) covers x in [j, j+1], y in [i, i+1]),
        x to the right, y down, angles clockwise from +x.
    r_inner, r_outer: float64 (R,) sector radii in px (r_inner >= 0).
    phi_start: float64 (R,) angle where each sector starts (radians).
    phi_step: float64 (R,) signed angular extent of each sector (radians).
    density: float, samples per pixel length.
    Returns (indptr int64 (R+1,), indices int32 (nnz,) flat pixel index i*size + j,
    weights float32 (nnz,)); each row's weights sum to 1, or the row is empty where the
    sector lies wholly outside the picture.

    Plain Python around the one compiled kernel: compiled, this wrapper cost every
    first run 0.3-0.5 CPU s of compile for one call.
    """
    c = size / 2.0
    every = np.ones(r_inner.shape[0], np.bool_)
    return sector_weights_on_canvas(size, size, c, c, r_inner, r_outer, phi_start, phi_step, density, every)


def sector_weights_on_canvas(width, height, cx, cy, r_inner, r_outer, phi_start, phi_step, density, wanted):
    """``sector_weights`` on a ``height`` x ``width`` canvas with the disc centre at
    (cx, cy) px, for the sectors where ``wanted`` (R,) bool is set (the others' rows
    are empty). Flat pixel index i*width + j; the rest as ``sector_weights``.

    The arrays are allocated here and grown when the kernel stops for room: a kernel
    that allocates compiles Numba's np.empty and np.zeros for each of its dtypes, 0.9
    of its 2.6 CPU s of compile on every first run."""
    R = r_inner.shape[0]
    indptr = np.zeros(R + 1, np.int64)
    indices = np.empty(R * 8 + 1024, np.int32)
    weights = np.empty(R * 8 + 1024, np.float32)
    acc = np.empty(4096, np.float64)
    row = 0
    nnz = 0
    while True:
        row, nnz, need = _sector_rows(
            width, height, cx, cy, r_inner, r_outer, phi_start, phi_step, density, wanted,
            row, nnz, indptr, indices, weights, acc,
        )  # fmt: skip
        if row == R:
            return indptr, indices[:nnz].copy(), weights[:nnz].copy()
        if need > acc.shape[0]:  # the row's bounding box
            acc = np.empty(max(acc.shape[0] * 2, need), np.float64)
        else:  # its entries
            capacity = max(indices.shape[0] * 2, nnz + need)
            indices = np.concatenate([indices[:nnz], np.empty(capacity - nnz, np.int32)])
            weights = np.concatenate([weights[:nnz], np.empty(capacity - nnz, np.float32)])


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _sector_rows(
    width, height, cx, cy, r_inner, r_outer, phi_start, phi_step, density, wanted,
    row, nnz, indptr, indices, weights, acc,
):  # fmt: skip
    """sector_weights_on_canvas's rows from ``row`` on, their entries from ``nnz`` on in
    indices int32 and weights float32, acc float64 a scratch buffer: (the row it
    stopped at, nnz so far, the room it needed: acc's when more than acc holds, else
    entries); (R, nnz, 0) when every row is done."""
    R = r_inner.shape[0]
    capacity = indices.shape[0]
    while row < R:
        if not wanted[row]:
            indptr[row + 1] = nnz
            row += 1
            continue
        r0 = r_inner[row]
        r1 = r_outer[row]
        span = abs(phi_step[row])
        n_r = max(4, int(math.ceil((r1 - r0) * density)))
        n_p = max(4, int(math.ceil(span * r1 * density)))
        dr = (r1 - r0) / n_r
        dp = phi_step[row] / n_p
        # bounding box of the samples, in pixels
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
        # the inner and outer arcs bound the sector's samples: radius is monotone between them
        i_lo = max(i_lo - 1, 0)
        j_lo = max(j_lo - 1, 0)
        i_hi = min(i_hi + 1, height - 1)
        j_hi = min(j_hi + 1, width - 1)
        if i_hi < i_lo or j_hi < j_lo:
            indptr[row + 1] = nnz
            row += 1
            continue
        bh = i_hi - i_lo + 1
        bw = j_hi - j_lo + 1
        if bh * bw > acc.shape[0]:
            return row, nnz, bh * bw
        for k in range(bh * bw):
            acc[k] = 0.0
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
                acc[(i - i_lo) * bw + (j - j_lo)] += r
                total += r
        if total <= 0.0:
            indptr[row + 1] = nnz
            row += 1
            continue
        count = 0
        for k in range(bh * bw):
            if acc[k] > 0.0:
                count += 1
        if nnz + count > capacity:
            return row, nnz, count
        for k in range(bh * bw):  # row-major over the box, as (i, j) loops
            if acc[k] > 0.0:
                indices[nnz] = (k // bw + i_lo) * width + (k % bw + j_lo)
                weights[nnz] = acc[k] / total
                nnz += 1
        indptr[row + 1] = nnz
        row += 1
    return R, nnz, 0
