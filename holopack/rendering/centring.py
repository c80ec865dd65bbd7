"""What "centred" means, once, for export and validate alike.

A subject is centred when the bounding box of everything lit over the whole clip, as the
viewer sees it, has its centre on the circle's centre. Its *reach* is how far from the
circle's centre the farthest lit point comes. Both are in units of the circle's radius.
Export frames the camera so that the offset is 0 and the reach is 1 - margin; validate
measures the same two numbers on the written file's lit LEDs (or pixels).

A box, not a centroid: a bird with a long tail to one side has its weight off-centre but
is still centred for the eye when its outline is.
"""

from __future__ import annotations

import math

import numpy as np


class LitBox:
    """The union, over frames, of lit points' (x, y) positions, measured from the circle's
    centre in any unit; ``radius`` gives the circle's radius in that unit."""

    def __init__(self, radius: float = 1.0):
        self.radius = float(radius)
        self.lo = np.array([np.inf, np.inf])
        self.hi = np.array([-np.inf, -np.inf])
        self.max_reach = 0.0  # farthest lit point from the circle's centre, same unit

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        """x, y : (N,) float arrays of one frame's lit points (any N, 0 included)."""
        x = np.asarray(x, np.float64).ravel()
        y = np.asarray(y, np.float64).ravel()
        if not len(x):
            return
        self.lo = np.minimum(self.lo, [x.min(), y.min()])
        self.hi = np.maximum(self.hi, [x.max(), y.max()])
        self.max_reach = max(self.max_reach, float(np.sqrt(x * x + y * y).max()))

    def merge(self, other: LitBox) -> None:
        """Add another box's points (measured with the same radius)."""
        self.lo = np.minimum(self.lo, other.lo)
        self.hi = np.maximum(self.hi, other.hi)
        self.max_reach = max(self.max_reach, other.max_reach)

    @property
    def empty(self) -> bool:
        return not np.all(np.isfinite(self.lo))

    @property
    def centre(self) -> np.ndarray:
        """(2,) float64: the box's centre (the origin when nothing was lit)."""
        return np.zeros(2) if self.empty else (self.lo + self.hi) / 2

    @property
    def offset(self) -> float:
        """Distance of the box's centre from the circle's centre / the radius."""
        c = self.centre
        return math.hypot(c[0], c[1]) / self.radius

    @property
    def reach(self) -> float:
        """Farthest lit point from the circle's centre / the radius."""
        return self.max_reach / self.radius
