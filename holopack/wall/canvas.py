"""The wall's canvas: one picture covering the bounding rectangle of all fan circles.

Wall coordinates are millimetres, x to the right and y up. The canvas picture is
``height`` x ``width`` pixels, row 0 at the top, ``px_per_mm`` pixels per millimetre
in both directions; pixel (i, j) covers x in [left + j/ppm, left + (j+1)/ppm] and y in
[top - (i+1)/ppm, top - i/ppm]. The pixel grid is rounded up to whole pixels, so it may
reach a fraction of a pixel past the rectangle's right and bottom edges (always black).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .layout import Fan, Wall

MAX_SIDE = 16384  # canvas pixels per side; a bigger wall needs a lower --size


@dataclass(frozen=True)
class CanvasGeometry:
    wall: Wall = field(repr=False)
    px_per_mm: float
    left: float
    bottom: float
    right: float
    top: float
    width: int
    height: int

    @property
    def size_mm(self) -> tuple[float, float]:
        return self.right - self.left, self.top - self.bottom

    def to_pixels(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        """Wall mm -> continuous canvas pixel coordinates (x right, y down)."""
        return (x_mm - self.left) * self.px_per_mm, (self.top - y_mm) * self.px_per_mm

    def fan_centre(self, fan: Fan) -> tuple[float, float]:
        return self.to_pixels(fan.x, fan.y)

    def picture_fit(self, width: int, height: int) -> tuple[float, float, float]:
        """The fit rule for a picture or video of width x height pixels: scaled to fit
        the canvas rectangle, aspect kept, centred. Returns (mm per picture pixel, x of
        the picture's left edge in mm, y of its top edge in mm)."""
        w_mm, h_mm = self.size_mm
        scale = min(w_mm / width, h_mm / height)
        return scale, self.left + (w_mm - width * scale) / 2.0, self.top - (h_mm - height * scale) / 2.0

    def to_dict(self) -> dict:
        bounds = {f"{side}_mm": getattr(self, side) for side in ("left", "bottom", "right", "top")}
        return {**bounds, "px_per_mm": self.px_per_mm, "width_px": self.width, "height_px": self.height}


# Canvas pixels per LED spacing of a polar fan (finest_led_spacing_mm; a 42-F2's is
# its 1.875 mm pitch). A single fan renders 3 per pitch (its render_size).
# A model is drawn at 1 px per spacing, as fine as the LEDs can show: 4 times fewer
# pixels than 2 per pitch (672 instead of 1344 px square for a 3 x 3 wall of 42-F2
# fans; its render took 19 instead of 53 ms of CPU time per frame). Measured on a
# one-fan wall of the twin against the single fan's own export: each LED differs by
# 0.40 codes of 63 on average (34.8 dB in linear light), against 0.21 codes (39.6 dB)
# at 2 px per pitch and identical bytes at 3 (tests/test_wall_resolution.py;
# python benchmarks/bench_wall.py --resolution).
# Pictures and videos are placed at 3, as on a single fan: a hard edge (the picture's
# own border inside a fan) blurs over one canvas pixel, and at 2 per pitch that pixel
# leaks light into the next LED ring (a whole dB on a fan crossed by the border,
# tests/test_wall_fidelity.py).
MODEL_PX_PER_SPACING = 1.0
PX_PER_SPACING = {"model": MODEL_PX_PER_SPACING, "media": 3.0}


def finest_led_spacing_mm(profile) -> float:
    """The finest detail a polar fan's LED cells show, in mm: the smaller of the radial
    spacing (the smallest step between distinct ring radii: the LED pitch, less where
    blades interleave) and the tangential spacing of the outer ring (its centre radius
    times one slice's turn, but never less than the LED's own size: slices closer than
    the LED is wide overlap and show nothing finer). 42-F2: 1.875 mm radially, 2.57 mm
    at the rim; legacy-224: 1.875 mm (its 2700 slices are 0.49 mm apart at the rim,
    under its 1.875 mm LEDs)."""
    centres, _ = profile.column_geometry()
    rings = np.unique(np.round(centres, 9))
    steps = np.diff(rings)
    radial = float(steps[steps > 0].min()) if (steps > 0).any() else float(profile.led_pitch_mm)
    tangential = max(float(rings.max()) * abs(profile.slice_step_rad), float(profile.led_size_mm))
    return min(radial, tangential)


def default_px_per_mm(wall: Wall, media: bool = False) -> float:
    """Pixels per mm: PX_PER_SPACING across each polar fan's finest LED spacing, a video
    fan's video size across its diameter; the finest any fan needs (a model on 42-F2
    fans: 1 px per 1.875 mm = 0.533 px/mm, 224 px across a 420 mm fan)."""
    per_spacing = PX_PER_SPACING["media" if media else "model"]
    best = 0.0
    for fan in wall.fans:
        p = fan.profile
        if p.is_polar:
            best = max(best, per_spacing / finest_led_spacing_mm(p))
        else:
            best = max(best, p.video_size / p.physical_diameter_mm)
    return best


def canvas_geometry(wall: Wall, px_per_mm: float | None = None, media: bool = False) -> CanvasGeometry:
    from ..errors import InputError

    ppm = float(px_per_mm or default_px_per_mm(wall, media))
    left, bottom, right, top = wall.bounds_mm
    width = int(math.ceil((right - left) * ppm - 1e-9))
    height = int(math.ceil((top - bottom) * ppm - 1e-9))
    if max(width, height) > MAX_SIDE:
        raise InputError(
            f"the wall's canvas would be {width} x {height} pixels; at most {MAX_SIDE} "
            "per side (lower --size)",
            wall.source,
        )
    return CanvasGeometry(wall, ppm, *wall.bounds_mm, width=max(1, width), height=max(1, height))


def fan_angles(fan: Fan, start: np.ndarray, step: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A fan's own sector angles (radians, clockwise on its own picture from 3 o'clock,
    y down) -> the same sectors' angles on the canvas (clockwise, y down).

    The fan's picture is first mirrored left-right in its own frame (``mirror``: seen
    from behind), then turned ``rotation`` degrees counter-clockwise as the viewer sees
    it. A counter-clockwise turn on screen is a smaller clockwise angle; a left-right
    mirror maps angle a to pi - a and reverses the sweep.
    """
    turn = math.radians(fan.rotation)
    if fan.mirror:
        return math.pi - turn - start, -step
    return start - turn, step.copy()
