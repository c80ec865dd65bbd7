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


@dataclass(frozen=True)
class Window:
    """The part of a source picture a placement shows: source pixels [x0, x1) x
    [y0, y1), resized to output pixels [out_x0, out_x1) x [out_y0, out_y1) of the
    (size, size) square, black elsewhere."""

    x0: int
    y0: int
    x1: int
    y1: int
    out_x0: int
    out_y0: int
    out_x1: int
    out_y1: int
    size: int
    enlarge: bool  # bilinear when enlarging, area averaging when shrinking

    @property
    def resized(self) -> bool:
        return (self.x1 - self.x0, self.y1 - self.y0) != (
            self.out_x1 - self.out_x0,
            self.out_y1 - self.out_y0,
        )


def window(width: int, height: int, placement: Placement) -> Window | None:
    """The window of a (height, width) source that ``placement`` shows, or None when
    none of it lands in the square."""
    s = placement.size
    sc, ox, oy = placement.scale, placement.offset_x, placement.offset_y
    sx0, sx1 = max(0, math.floor(-ox / sc)), min(width, math.ceil((s - ox) / sc))
    sy0, sy1 = max(0, math.floor(-oy / sc)), min(height, math.ceil((s - oy) / sc))
    if sx1 <= sx0 or sy1 <= sy0:
        return None
    dx0, dx1 = max(0, int(round(sx0 * sc + ox))), min(s, int(round(sx1 * sc + ox)))
    dy0, dy1 = max(0, int(round(sy0 * sc + oy))), min(s, int(round(sy1 * sc + oy)))
    if dx1 <= dx0 or dy1 <= dy0:
        return None
    return Window(sx0, sy0, sx1, sy1, dx0, dy0, dx1, dy1, int(s), sc >= 1)


def place(picture: np.ndarray, placement: Placement) -> np.ndarray:
    """picture (H, W, C) uint8 or float32 -> (S, S, C) same dtype, black outside the
    source. Area averaging when shrinking (cv2.INTER_AREA), bilinear when enlarging."""
    h, w = picture.shape[:2]
    s = placement.size
    out = np.zeros((s, s) + picture.shape[2:], picture.dtype)
    win = window(w, h, placement)
    if win is None:
        return out
    part = picture[win.y0 : win.y1, win.x0 : win.x1]
    target = out[win.out_y0 : win.out_y1, win.out_x0 : win.out_x1]
    if not win.resized:
        target[...] = part
        return out
    interpolation = cv2.INTER_LINEAR if win.enlarge else cv2.INTER_AREA
    resized = cv2.resize(np.ascontiguousarray(part), target.shape[1::-1], interpolation=interpolation)
    target[...] = resized.reshape(target.shape)
    return out
