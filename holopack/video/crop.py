"""Where the clip sits in the fan's square picture.

A Placement maps source pixels to output pixels: out = source * scale + offset. ``fit``
is today's rule (the whole frame fitted into the square, aspect kept, centred);
``circle`` fits a box (the subject's extent over the whole clip) into the fan's circle
with a margin, centred, fixed for the clip so the subject never bobs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Placement:
    scale: float  # output pixels per source pixel
    offset_x: float  # output x of source x = 0
    offset_y: float
    size: int  # the output square's side in pixels

    def scaled_source(self, factor: float) -> Placement:
        """The same placement for a source picture scaled by ``factor``."""
        return Placement(self.scale / factor, self.offset_x, self.offset_y, self.size)


def fit_placement(width: int, height: int, size: int) -> Placement:
    """The whole frame in the square, aspect kept, centred (as scene.media.fit_square)."""
    scale = size / max(width, height)
    new_w, new_h = max(1, int(round(width * scale))), max(1, int(round(height * scale)))
    return Placement(scale, (size - new_w) // 2, (size - new_h) // 2, int(size))


def circle_placement(box: tuple[float, float, float, float], size: int, margin: float) -> Placement:
    """The box (x0, y0, x1, y1 in source pixels, x1/y1 exclusive) fitted into the fan's
    circle of diameter ``size`` shrunk by ``margin`` (a fraction of the radius): the
    box's corners touch that circle, its centre is the square's centre."""
    x0, y0, x1, y1 = box
    half_diagonal = 0.5 * math.hypot(max(1.0, x1 - x0), max(1.0, y1 - y0))
    radius = 0.5 * size * max(1e-3, 1.0 - margin)
    scale = radius / half_diagonal
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    return Placement(scale, size / 2.0 - cx * scale, size / 2.0 - cy * scale, int(size))


def place(picture: np.ndarray, placement: Placement) -> np.ndarray:
    """picture (H, W, C) uint8 or float32 -> (S, S, C) same dtype, black outside the
    source. Area averaging when shrinking (cv2.INTER_AREA), bilinear when enlarging."""
    h, w = picture.shape[:2]
    s = placement.size
    out = np.zeros((s, s) + picture.shape[2:], picture.dtype)
    sc, ox, oy = placement.scale, placement.offset_x, placement.offset_y
    sx0, sx1 = max(0, math.floor(-ox / sc)), min(w, math.ceil((s - ox) / sc))
    sy0, sy1 = max(0, math.floor(-oy / sc)), min(h, math.ceil((s - oy) / sc))
    if sx1 <= sx0 or sy1 <= sy0:
        return out
    dx0, dx1 = max(0, int(round(sx0 * sc + ox))), min(s, int(round(sx1 * sc + ox)))
    dy0, dy1 = max(0, int(round(sy0 * sc + oy))), min(s, int(round(sy1 * sc + oy)))
    if dx1 <= dx0 or dy1 <= dy0:
        return out
    part = picture[sy0:sy1, sx0:sx1]
    if part.shape[1] == dx1 - dx0 and part.shape[0] == dy1 - dy0:
        out[dy0:dy1, dx0:dx1] = part
        return out
    interpolation = cv2.INTER_AREA if sc < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(np.ascontiguousarray(part), (dx1 - dx0, dy1 - dy0), interpolation=interpolation)
    out[dy0:dy1, dx0:dx1] = resized.reshape(out[dy0:dy1, dx0:dx1].shape)
    return out
