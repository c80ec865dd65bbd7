"""The fan overlay (rim, hub, LED rings, slice spokes) and the window's layout.

``FanGeometry`` is what ``shaders/fan_overlay.frag`` needs, in fractions of the rim
radius, read from a device profile. ``Layout`` places the two square panels, the
timeline bar and the text in a window of a given size, and answers which of them a
pointer position falls in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Spokes closer than this on the rim, and LED rings closer than this, are thinned out
# (512 slices or 112 rings in a small panel would paint the disc over).
MIN_SPOKE_SPACING_PX = 8.0


@dataclass(frozen=True)
class FanGeometry:
    """A fan's disc as the overlay draws it.

    hub : hub radius / rim radius; inner : inner edge of the innermost LED cell of the
    first blade / rim radius; pitch : LED pitch / rim radius; leds : LED rings per blade
    (0 for a video device); slices : slices per
    revolution (0 for a video device); slice0 : angle of slice 0 in radians,
    counter-clockwise from 3 o'clock with y up.
    """

    hub: float = 0.0
    inner: float = 0.0
    pitch: float = 0.0
    leds: int = 0
    slices: int = 0
    slice0: float = 0.0

    def ring_step(self, panel_px: float) -> int:
        """Draw one LED ring every this many LEDs so rings stay visibly apart."""
        if self.leds <= 0 or self.pitch <= 0:
            return 1
        step = 1
        while self.pitch * step * panel_px / 2 < MIN_SPOKE_SPACING_PX:
            step *= 2
        return step

    def spoke_step(self, panel_px: float) -> int:
        """Draw one spoke every this many slices so spokes stay visibly apart."""
        if self.slices <= 0:
            return 0
        rim_circumference = math.pi * panel_px
        step = 1
        while rim_circumference / (self.slices / step) < MIN_SPOKE_SPACING_PX:
            step *= 2
        return step


def fan_geometry(profile) -> FanGeometry:
    """Read the overlay geometry from a ``holopack.device.DeviceProfile``.

    Video devices (``kind != "polar"``) show only the rim: the circle the fan crops.
    """
    if profile is None or getattr(profile, "kind", None) != "polar":
        return FanGeometry()
    centres, _ = profile.column_geometry()
    radius = float(profile.radius_mm)
    if not radius > 0:
        return FanGeometry()
    leds = int(profile.leds_per_blade or 0)
    pitch = float(profile.led_pitch_mm) / radius
    # cells of the first blade (the others interleave between its rings)
    inner = (float(centres[:leds].min()) - float(profile.led_pitch_mm) / 2.0) / radius
    hub = float(profile.hub_radius_mm or 0.0) / radius
    # Profiles count slice angles from 3 o'clock with y down; the shader counts with y up.
    slice0 = -math.radians(float(profile.slice0_angle_deg or 0.0))
    return FanGeometry(
        hub=min(max(hub, 0.0), 1.0),
        inner=min(max(inner, 0.0), 1.0),
        pitch=pitch,
        leds=leds,
        slices=int(profile.slices or 0),
        slice0=slice0,
    )


@dataclass(frozen=True)
class Rect:
    """A rectangle in framebuffer pixels, y down from the top-left corner."""

    x: float
    y: float
    w: float
    h: float

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px < self.x + self.w and self.y <= py < self.y + self.h

    def ndc(self, width: int, height: int) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) in normalised device coordinates (y up) for quad.vert."""
        x0 = self.x / width * 2 - 1
        x1 = (self.x + self.w) / width * 2 - 1
        y1 = 1 - self.y / height * 2
        y0 = 1 - (self.y + self.h) / height * 2
        return x0, y0, x1, y1


MARGIN_PX = 10
BAR_PX = 18
HEADER_PX = 26


@dataclass(frozen=True)
class Layout:
    """Left panel: the render; right panel: the simulated fan; a timeline at the bottom."""

    width: int
    height: int

    @property
    def panel_px(self) -> float:
        free_w = (self.width - 3 * MARGIN_PX) / 2
        free_h = self.height - HEADER_PX - BAR_PX - 3 * MARGIN_PX
        return max(1.0, min(free_w, free_h))

    @property
    def render_panel(self) -> Rect:
        side = self.panel_px
        x = self.width / 2 - MARGIN_PX / 2 - side
        return Rect(x, HEADER_PX + MARGIN_PX, side, side)

    @property
    def fan_panel(self) -> Rect:
        side = self.panel_px
        return Rect(self.width / 2 + MARGIN_PX / 2, HEADER_PX + MARGIN_PX, side, side)

    @property
    def timeline(self) -> Rect:
        return Rect(MARGIN_PX, self.height - MARGIN_PX - BAR_PX, self.width - 2 * MARGIN_PX, BAR_PX)

    def timeline_fraction(self, px: float) -> float:
        bar = self.timeline
        return min(max((px - bar.x) / max(bar.w, 1.0), 0.0), 1.0)

    def hit(self, px: float, py: float) -> str | None:
        """ "timeline", "render", "fan" or None for a pointer position."""
        bar = self.timeline
        # the bar is thin: accept a few pixels around it
        if Rect(bar.x, bar.y - 6, bar.w, bar.h + 12).contains(px, py):
            return "timeline"
        if self.render_panel.contains(px, py):
            return "render"
        if self.fan_panel.contains(px, py):
            return "fan"
        return None
