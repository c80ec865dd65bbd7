"""Which fan shows each point of the wall's canvas.

A point belongs to the nearest fan centre among the fans whose circle covers it; a
point under no circle belongs to none and stays black. With fans of one size this is
plain nearest-centre ownership (a fan whose centre is nearest always covers the point
when any fan does); with mixed sizes it never leaves a covered point dark. Ties go
to the fan listed first, so every point has exactly one owner.

Ownership is decided per canvas pixel (at its centre): a pixel is never split, so
"no point owned twice or lost" is checkable exactly, and each fan's LEDs read only
the pixels it owns (holopack.wall.weights).
"""

from __future__ import annotations

import numpy as np

from ..rendering import TILE
from .canvas import CanvasGeometry


def owner_map(geometry: CanvasGeometry) -> np.ndarray:
    """int16 (H, W): the index of the fan (in wall order) that owns each canvas pixel,
    -1 where no fan's circle covers the pixel centre."""
    H, W = geometry.height, geometry.width
    xs = geometry.left + (np.arange(W) + 0.5) / geometry.px_per_mm  # pixel centres, mm
    ys = geometry.top - (np.arange(H) + 0.5) / geometry.px_per_mm
    best = np.full((H, W), np.inf, np.float64)
    owner = np.full((H, W), -1, np.int16)
    for index, fan in enumerate(geometry.wall.fans):
        d2 = (xs[None, :] - fan.x) ** 2 + (ys[:, None] - fan.y) ** 2
        take = (d2 <= fan.radius_mm**2) & (d2 < best)  # strict: the first fan keeps a tie
        best[take] = d2[take]
        owner[take] = index
    return owner


def owned_tiles(owner: np.ndarray, tile: int = TILE) -> np.ndarray:
    """bool (ceil(H / tile), ceil(W / tile)): the tiles that hold a pixel some fan owns
    (the only ones worth rasterising)."""
    H, W = owner.shape
    th, tw = -(-H // tile), -(-W // tile)
    padded = np.full((th * tile, tw * tile), -1, owner.dtype)
    padded[:H, :W] = owner
    return np.asarray((padded.reshape(th, tile, tw, tile) >= 0).any(axis=(1, 3)))
