"""DeviceProfile: a fan (or a video deliverable) as its profile file describes it, and
Blade, one arm of its LEDs. Built only by the schema (holopack.device.profile.schema)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from ...errors import InputError
from .toml_text import to_toml

_T = TypeVar("_T")

# how far a polar profile's diameter_mm may be from the lit disc of its LED geometry, as
# a share of the disc (the shipped diy-apa102 states 529 mm for a 528.97 mm disc)
DIAMETER_SLACK = 0.02


@dataclass(frozen=True)
class Blade:
    """One arm of LEDs. ``angle_deg``: where it points when the rotor is at slice 0's
    angle; ``radial_offset``: outward shift of all its LEDs, in LED pitches (0.5 for a
    half-pitch interleave)."""

    angle_deg: float = 0.0
    radial_offset: float = 0.0


@dataclass(frozen=True)
class DeviceProfile:
    """A fan (or a video deliverable) described by its profile file.

    Polar-only fields are None for ``kind == "video"``.
    """

    name: str
    description: str
    kind: str
    format: str
    fps: float
    max_seconds: float | None
    render_size: int
    supersample: int
    video_size: int
    circle_mask: bool
    # colour
    channel_order: str
    bit_depth: int
    gamma: float
    brightness_limit: float
    dither: str
    dither_per_frame: bool
    # polar geometry
    leds_per_blade: int | None = None
    blades: tuple[Blade, ...] = ()
    led_pitch_mm: float | None = None
    led_size_mm: float | None = None
    hub_radius_mm: float | None = None
    slices: int | None = None
    slice0_angle_deg: float | None = None
    direction: str | None = None
    led0: str | None = None
    blade_data: str | None = None
    # physical size (walls): None = a polar fan's lit disc, 2 x radius_mm
    diameter_mm: float | None = None
    diameter_source: str = ""
    # writer layout details and renderer lights
    layout: dict = field(default_factory=dict, compare=False)
    lights: dict | None = field(default=None, compare=False)
    source: str = field(default="", compare=False)
    text: str = field(default="", compare=False, repr=False)
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    # ---- derived geometry -------------------------------------------------------------
    @property
    def is_polar(self) -> bool:
        return self.kind == "polar"

    @property
    def columns(self) -> int:
        """LED values stored per slice: leds_per_blade, times blades for per-blade data."""
        leds = self._polar(self.leds_per_blade)
        if self.blade_data == "per_blade":
            return leds * len(self.blades)
        return leds

    @property
    def codes_shape(self) -> tuple[int, int, int]:
        """Shape of one quantised polar frame: (slices, columns, 3)."""
        return (self._polar(self.slices), self.columns, 3)

    @property
    def max_code(self) -> int:
        return (1 << self.bit_depth) - 1

    @property
    def radius_mm(self) -> float:
        """Radius of the lit disc: the outer edge of the outermost LED."""
        centres, _ = self.column_geometry()
        return float(centres.max() + self._polar(self.led_size_mm) / 2.0)

    @property
    def physical_diameter_mm(self) -> float:
        """The fan's diameter in mm as mounted in a wall: ``diameter_mm`` when the
        profile gives it, else the lit disc of its LED geometry."""
        if self.is_polar:
            lit = 2.0 * self.radius_mm
            if self.diameter_mm is not None and abs(self.diameter_mm - lit) > DIAMETER_SLACK * lit:
                # the wall gives the fan every point of its circle: a circle wider than the
                # LEDs reach leaves a dark ring between neighbours, a narrower one wastes LEDs
                raise InputError(
                    f"profile '{self.name}': diameter_mm is {self.diameter_mm:g} but its LEDs light a "
                    f"{lit:.4g} mm disc; set diameter_mm = {lit:.4g} or leave it out",
                    self.source or None,
                )
            return float(self.diameter_mm) if self.diameter_mm is not None else lit
        if self.diameter_mm is not None:
            return float(self.diameter_mm)
        raise InputError(
            f"profile '{self.name}' gives no diameter_mm, which a wall needs", self.source or None
        )

    @property
    def slice_step_rad(self) -> float:
        """Signed angle one slice turns through (positive = clockwise on screen)."""
        sign = 1.0 if self.direction == "cw" else -1.0
        return sign * 2.0 * math.pi / self._polar(self.slices)

    def column_geometry(self) -> tuple[np.ndarray, np.ndarray]:
        """Per stored column: (centre radius in mm, float64 (C,); angle offset in radians,
        float64 (C,)) where a column's sweep in slice s starts at
        ``radians(slice0_angle_deg) + offset + s * slice_step_rad``."""
        L = self._polar(self.leds_per_blade)
        hub, pitch = self._polar(self.hub_radius_mm), self._polar(self.led_pitch_mm)
        k = np.arange(L, dtype=np.float64)
        if self.led0 == "outer":
            k = k[::-1].copy()  # file index 0 = outermost LED
        blades = self.blades if self.blade_data == "per_blade" else self.blades[:1]
        centres, offsets = [], []
        for blade in blades:
            centres.append(hub + (k + 0.5 + blade.radial_offset) * pitch)
            angle = math.radians(blade.angle_deg) if self.blade_data == "per_blade" else 0.0
            offsets.append(np.full(L, angle))
        return np.concatenate(centres), np.concatenate(offsets)

    def _need_polar(self) -> None:
        if not self.is_polar:
            raise InputError(
                f"profile '{self.name}' is a video profile and has no LED geometry", self.source or None
            )

    def _polar(self, value: _T | None) -> _T:
        """A polar-only field's value; an InputError for a video profile, whose polar
        fields are None (the schema sets every one of them for a polar profile)."""
        self._need_polar()
        assert value is not None, "a polar profile without one of its polar fields"
        return value

    # ---- human summary -----------------------------------------------------------------
    def to_text(self) -> str:
        lines = [
            f"{self.name}: {self.description}",
            f"  kind          {self.kind} (writes {self.format}), {self.fps:g} fps"
            + (f", at most {self.max_seconds:g} s" if self.max_seconds else ""),
            f"  render        {self.render_size} px square, supersample {self.supersample}, "
            f"video/preview {self.video_size} px" + (", circle mask" if self.circle_mask else ""),
        ]
        if self.is_polar:
            lines += [
                f"  LEDs          {len(self.blades)} blade(s) x {self.leds_per_blade} LEDs, pitch "
                f"{self.led_pitch_mm:g} mm, size {self.led_size_mm:g} mm, hub {self.hub_radius_mm:g} mm, "
                f"disc radius {self.radius_mm:.1f} mm",
                "  blades        "
                + ", ".join(f"{b.angle_deg:g} deg / +{b.radial_offset:g} pitch" for b in self.blades)
                + f" ({self._polar(self.blade_data).replace('_', ' ')} data)",
                f"  slices        {self.slices} per turn, slice 0 at {self.slice0_angle_deg:g} deg "
                f"from 3 o'clock, turning {'clockwise' if self.direction == 'cw' else 'counter-clockwise'}; "
                f"LED 0 is the {self.led0} one",
                f"  frame         {self.slices} x {self.columns} x 3 codes",
            ]
        if self.diameter_mm is not None or self.is_polar:
            try:
                lines.append(
                    f"  diameter      {self.physical_diameter_mm:g} mm ("
                    + (self.diameter_source or "the lit disc of the LED geometry")
                    + ")"
                )
            except InputError as e:  # a wall refuses it; a single fan does not need it
                lines.append(f"  diameter      {e.message} (walls only)")
        lines.append(
            f"  colour        {self.channel_order}, {self.bit_depth} bit/channel, gamma "
            f"{self.gamma:g}, brightness limit {self.brightness_limit:g}, dither {self.dither}"
            + (" (varied per frame)" if self.dither_per_frame and self.dither != "none" else "")
        )
        if self.layout:
            lines.append("  file          " + ", ".join(f"{k} = {v}" for k, v in sorted(self.layout.items())))
        if self.lights:
            lines.append(f"  lights        {', '.join(sorted(self.lights))}")
        lines.append(f"  source        {self.source}")
        return "\n".join(lines)

    describe = to_text

    def to_toml(self) -> str:
        """The profile as complete TOML text, any ``base`` already merged in: parsing it
        gives this profile back without needing the shipped files."""
        return to_toml(self.raw)
