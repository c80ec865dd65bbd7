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

from ..device.sector_weights_kernel import sector_weights_on_canvas


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
    owns the sector's centre. Plain Python around the compiled kernels (as
    sector_weights_on_canvas, which allocates its arrays outside its kernel).
    """
    owned = np.zeros(r_inner.shape[0], np.bool_)
    _owned_rows(r_inner, r_outer, phi_start, phi_step, centres_x, centres_y, radii, me, owned)
    return sector_weights_on_canvas(
        width, height, centres_x[me], centres_y[me], r_inner, r_outer, phi_start, phi_step, density, owned
    )


@njit(cache=True)
def _owned_rows(r_inner, r_outer, phi_start, phi_step, centres_x, centres_y, radii, me, owned):
    """owned bool (R,): whether fan ``me`` owns the centre of each sector."""
    cx = centres_x[me]
    cy = centres_y[me]
    for row in range(r_inner.shape[0]):
        mid_r = 0.5 * (r_inner[row] + r_outer[row])
        mid_phi = phi_start[row] + 0.5 * phi_step[row]
        owner = owner_of_point(
            cx + mid_r * math.cos(mid_phi), cy + mid_r * math.sin(mid_phi), centres_x, centres_y, radii
        )
        owned[row] = owner == me
