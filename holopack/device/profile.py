"""Device profiles: everything that differs between fans, read from TOML.

A profile is a TOML file with top-level keys and up to five tables::

    name, description, kind ("polar" | "video"), format, fps, max_seconds, base
    [render]    render_size, supersample, video_size, circle_mask
    [geometry]  polar only: leds_per_blade, led_pitch_mm, led_size_mm, hub_radius_mm,
                slices, slice0_angle_deg, direction, led0, blade_data, [[geometry.blades]]
    [colour]    channel_order, bit_depth, gamma, brightness_limit, dither, dither_per_frame
    [file]      layout details for the writer named by ``format`` (keys depend on it)
    [lights]    free-form table handed to the renderer

``base = "NAME"`` starts from a shipped profile and overrides only the keys given, so a
hardware measurement (hub size, start angle) is a three-line user file.

Angles are in the picture's own frame: x to the right, y down, 0 deg = 3 o'clock, and
positive angles turn clockwise as a viewer in front of the fan sees it.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..containment import check_regular, shorten
from ..errors import InputError
from ..format_registry import get_format, profile_formats
from ..limits import BOUNDS, BoundError, bound_text, check_bound
from ..schema import OMIT as _OMIT
from ..schema import REQUIRED as _REQUIRED
from ..schema import Fault
from ..schema import boolean as _bool
from ..schema import check_table as _check_table
from ..schema import choice as _choice
from ..schema import number as _num
from ..schema import pos_int as _pos_int
from ..schema import string as _str
from ..textfile import read_text
from ..textfile import show_value as _show  # errors quote values alike

PROFILE_DIR = Path(__file__).with_name("profiles")

KINDS = ("polar", "video")
DIRECTIONS = ("cw", "ccw")
LED0_SIDES = ("outer", "inner")
BLADE_DATA = ("shared", "per_blade")
DITHERS = ("none", "ordered", "blue-noise", "legacy-2x12")
CHANNEL_ORDERS = ("RGB", "RBG", "GRB", "GBR", "BRG", "BGR")


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
        self._need_polar()
        if self.blade_data == "per_blade":
            return self.leds_per_blade * len(self.blades)
        return self.leds_per_blade

    @property
    def codes_shape(self) -> tuple[int, int, int]:
        """Shape of one quantised polar frame: (slices, columns, 3)."""
        return (self.slices, self.columns, 3)

    @property
    def max_code(self) -> int:
        return (1 << self.bit_depth) - 1

    @property
    def radius_mm(self) -> float:
        """Radius of the lit disc: the outer edge of the outermost LED."""
        centres, _ = self.column_geometry()
        return float(centres.max() + self.led_size_mm / 2.0)

    @property
    def physical_diameter_mm(self) -> float:
        """The fan's diameter in mm as mounted in a wall: ``diameter_mm`` when the
        profile gives it, else the lit disc of its LED geometry."""
        if self.diameter_mm is not None:
            return float(self.diameter_mm)
        if self.is_polar:
            return 2.0 * self.radius_mm
        raise InputError(
            f"profile '{self.name}' gives no diameter_mm, which a wall needs", self.source or None
        )

    @property
    def slice_step_rad(self) -> float:
        """Signed angle one slice turns through (positive = clockwise on screen)."""
        sign = 1.0 if self.direction == "cw" else -1.0
        return sign * 2.0 * math.pi / self.slices

    def column_geometry(self) -> tuple[np.ndarray, np.ndarray]:
        """Per stored column: (centre radius in mm, float64 (C,); angle offset in radians,
        float64 (C,)) where a column's sweep in slice s starts at
        ``radians(slice0_angle_deg) + offset + s * slice_step_rad``."""
        self._need_polar()
        L = self.leds_per_blade
        k = np.arange(L, dtype=np.float64)
        if self.led0 == "outer":
            k = k[::-1].copy()  # file index 0 = outermost LED
        blades = self.blades if self.blade_data == "per_blade" else self.blades[:1]
        centres, offsets = [], []
        for blade in blades:
            centres.append(self.hub_radius_mm + (k + 0.5 + blade.radial_offset) * self.led_pitch_mm)
            angle = math.radians(blade.angle_deg) if self.blade_data == "per_blade" else 0.0
            offsets.append(np.full(L, angle))
        return np.concatenate(centres), np.concatenate(offsets)

    def _need_polar(self) -> None:
        if not self.is_polar:
            raise InputError(
                f"profile '{self.name}' is a video profile and has no LED geometry", self.source or None
            )

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
                + f" ({self.blade_data.replace('_', ' ')} data)",
                f"  slices        {self.slices} per turn, slice 0 at {self.slice0_angle_deg:g} deg "
                f"from 3 o'clock, turning {'clockwise' if self.direction == 'cw' else 'counter-clockwise'}; "
                f"LED 0 is the {self.led0} one",
                f"  frame         {self.slices} x {self.columns} x 3 codes",
            ]
        if self.diameter_mm is not None or self.is_polar:
            lines.append(
                f"  diameter      {self.physical_diameter_mm:g} mm ("
                + (self.diameter_source or "the lit disc of the LED geometry")
                + ")"
            )
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


# ---- schema ------------------------------------------------------------------------------
# Each entry: key -> (check, default); see holopack.schema. A format's own [file] keys and
# what it demands of [colour] and [geometry] are declared by its module (format_registry).


def _bounded_int(name):
    """A whole number within holopack.limits.BOUNDS[name] (sizes a hostile profile could
    blow up)."""

    def check(v):
        if isinstance(v, bool) or not isinstance(v, int):
            raise Fault(f"must be a whole number {bound_text(name)}, got {_show(v)}")
        try:
            return check_bound(name, v, integer=True)
        except BoundError as exc:
            raise Fault(str(exc)) from None

    return check


_TOP = {
    "name": (_str, _REQUIRED),
    "description": (_str, ""),
    "kind": (_choice(KINDS), _REQUIRED),
    "format": (None, _REQUIRED),  # one of profile_formats(), checked in _build
    "fps": (_num(BOUNDS["fps"][0], BOUNDS["fps"][1]), _REQUIRED),
    "max_seconds": (_num(0.0, BOUNDS["max_seconds"][1], lo_open=True), None),
    "base": (_str, None),
    # physical size of the lit disc, for walls of fans (holopack.wall), and where the
    # figure comes from ("assumed" when no public source gives it)
    "diameter_mm": (_num(0.0, 10000.0, lo_open=True), None),
    "diameter_source": (_str, ""),
}
_RENDER = {
    "render_size": (_bounded_int("render_size"), _REQUIRED),
    "supersample": (_bounded_int("supersample"), 1),
    "video_size": (_bounded_int("video_size"), 720),
    "circle_mask": (_bool, False),
}
_GEOMETRY = {
    "leds_per_blade": (_pos_int, _REQUIRED),
    "led_pitch_mm": (_num(0.0, lo_open=True), _REQUIRED),
    "led_size_mm": (_num(0.0, lo_open=True), _REQUIRED),
    "hub_radius_mm": (_num(0.0), 0.0),
    "slices": (_pos_int, _REQUIRED),
    "slice0_angle_deg": (_num(-360.0, 360.0), 0.0),
    "direction": (_choice(DIRECTIONS), "cw"),
    "led0": (_choice(LED0_SIDES), "outer"),
    "blade_data": (_choice(BLADE_DATA), "shared"),
    "blades": (None, _REQUIRED),  # array of tables, checked by _blades
}
_BLADE = {
    "angle_deg": (_num(-360.0, 360.0), 0.0),
    "radial_offset": (_num(-1.0, 1.0), 0.0),
}
_COLOUR = {
    "channel_order": (_choice(CHANNEL_ORDERS), "RGB"),
    "bit_depth": (None, 8),  # range checked below: 1..8
    "gamma": (_num(0.1, 5.0), 2.2),
    "brightness_limit": (_num(0.0, 1.0, lo_open=True), 1.0),
    "dither": (_choice(DITHERS), "none"),
    "dither_per_frame": (_bool, False),
}
# File-naming keys any format may carry (read by holopack.formats.names).
_NAMING = {"name_case": (_choice(("upper", "lower")), _OMIT), "name_max_stem": (_pos_int, _OMIT)}
_TABLES = ("render", "geometry", "colour", "file", "lights")


def _bit_depth(v):
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 8:
        raise Fault(f"must be an integer from 1 to 8, got {_show(v)}")
    return v


# ---- writing TOML ----------------------------------------------------------------------------
def _toml_str(text: str) -> str:
    # JSON escapes every control character TOML forbids except DEL
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: str) -> str:
    return key if key and all(c.isalnum() and c.isascii() or c in "-_" for c in key) else _toml_str(key)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def to_toml(data: dict, prefix: str = "") -> str:
    """TOML text for a table as tomllib returns it (scalars, arrays, tables, arrays of tables)."""

    def is_table_array(v):
        return isinstance(v, list) and v and all(isinstance(x, dict) for x in v)

    lines = [
        f"{_toml_key(k)} = {_toml_value(v)}"
        for k, v in data.items()
        if not isinstance(v, dict) and not is_table_array(v)
    ]
    for k, v in data.items():
        name = f"{prefix}{_toml_key(k)}"
        if isinstance(v, dict):
            lines += ["", f"[{name}]", to_toml(v, name + ".").strip("\n")]
        elif is_table_array(v):
            for item in v:
                lines += ["", f"[[{name}]]", to_toml(item, name + ".").strip("\n")]
    return "\n".join(line for line in lines) + "\n"


# ---- loading -------------------------------------------------------------------------------
def list_profiles() -> list[str]:
    """Names of the shipped profiles."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def load_profile(name_or_path: str | os.PathLike) -> DeviceProfile:
    """A shipped profile by name, or a user profile by path to a .toml file.

    Raises InputError naming the file and key at fault.
    """
    text, source = _read(name_or_path)
    return parse_profile(text, source)


def _read(name_or_path) -> tuple[str, str]:
    raw = os.fspath(name_or_path)
    shipped = PROFILE_DIR / f"{raw}.toml"
    if os.sep not in raw and "/" not in raw and not raw.endswith(".toml"):
        if raw not in list_profiles():  # by name only: no file system lookup of user text
            names = list_profiles()
            close = difflib.get_close_matches(raw, names, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else f"shipped profiles: {', '.join(names)}"
            raise InputError(f"no device profile named '{raw}'; {hint} (or give the path of a .toml profile)")
        path = shipped
    else:
        path = Path(raw)
        check_regular(path, "profile")  # not a device, FIFO or socket
    return read_text(path, "profile"), str(path)


def parse_profile(text: str, source: str = "<profile>", _depth: int = 0) -> DeviceProfile:
    """Parse and check profile TOML text; ``source`` names it in errors."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"not valid TOML: {e}", source) from None
    base_name = raw.get("base")
    if base_name is not None:
        if not isinstance(base_name, str):
            raise InputError(
                f"base must be a string naming a shipped profile, got {_show(base_name)}", source
            )
        # looked up among the shipped profiles only, by name, before anything is read:
        # a base naming a path (/dev/zero, ../x.toml) would read what the user never named
        if base_name not in list_profiles():
            raise InputError(
                f"base must name a shipped profile ({', '.join(list_profiles())}), "
                f"got {shorten(repr(base_name))}",
                source,
            )
        base_raw = tomllib.loads(read_text(PROFILE_DIR / f"{base_name}.toml", "profile"))
        raw = _merge(base_raw, {k: v for k, v in raw.items() if k != "base"})
    return _build(raw, source, text)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _build(raw: dict, source: str, text: str) -> DeviceProfile:
    top_schema = dict(_TOP)
    top_schema.update({t: (None, None) for t in _TABLES})
    top = _check_table(raw, top_schema, "", source)
    kind, fmt = top["kind"], top["format"]
    try:
        _choice([f.name for f in profile_formats()])(fmt)
    except Fault as fault:
        raise InputError(f"format {fault}", source) from None
    of_kind = [f.name for f in profile_formats(kind)]
    if fmt not in of_kind:
        if kind == "polar":
            raise InputError(
                f"format must be one of {', '.join(of_kind)} for a polar profile, got {fmt!r}", source
            )
        raise InputError(f"format must be {', '.join(of_kind)} for a video profile, got {fmt!r}", source)
    declared = get_format(fmt)

    render = _check_table(top["render"] if top["render"] is not None else {}, _RENDER, "render", source)
    colour_schema = dict(_COLOUR)
    colour_schema["bit_depth"] = (_bit_depth, 8)
    colour = _check_table(top["colour"] if top["colour"] is not None else {}, colour_schema, "colour", source)
    layout = _check_table(
        top["file"] if top["file"] is not None else {}, {**declared.file_table, **_NAMING}, "file", source
    )
    lights = top["lights"]
    if lights is not None and not isinstance(lights, dict):
        raise InputError(f"[lights] must be a table, got {_show(lights)}", source)
    if colour["dither"] == "legacy-2x12" and colour["bit_depth"] != 1:
        raise InputError("[colour] dither 'legacy-2x12' needs bit_depth 1", source)

    geo: dict[str, Any] = {}
    if kind == "polar":
        geo = _geometry(top["geometry"], source)
    elif top["geometry"] is not None:
        raise InputError("[geometry] belongs in polar profiles only (kind = 'video')", source)
    fault = declared.check_profile(colour, geo) if declared.check_profile else None
    if fault:
        raise InputError(fault, source)

    return DeviceProfile(
        name=top["name"],
        description=top["description"],
        kind=kind,
        format=fmt,
        fps=top["fps"],
        max_seconds=top["max_seconds"],
        diameter_mm=top["diameter_mm"],
        diameter_source=top["diameter_source"],
        layout=layout,
        lights=lights,
        source=source,
        text=text,
        raw=raw,
        **render,
        **colour,
        **geo,
    )


def _geometry(table, source: str) -> dict:
    """The checked [geometry] table of a polar profile, blades as Blade tuples."""
    if table is None:
        raise InputError("missing table [geometry] (a polar profile needs its LED geometry)", source)
    geo = _check_table(table, _GEOMETRY, "geometry", source)
    blades_raw = geo["blades"]
    if not isinstance(blades_raw, list) or not blades_raw:
        raise InputError(
            f"[geometry] blades must be an array of tables ([[geometry.blades]]) with at least "
            f"one blade, got {_show(blades_raw)}",
            source,
        )
    blades = []
    for i, b in enumerate(blades_raw):
        checked = _check_table(b, _BLADE, f"geometry.blades {i + 1}", source)
        blades.append(Blade(**checked))
    geo["blades"] = tuple(blades)
    if geo["blade_data"] == "shared" and len({b.radial_offset for b in blades}) > 1:
        raise InputError(
            "[geometry] blades with different radial_offset need blade_data = 'per_blade' "
            "(shared data shows the same LEDs on every blade)",
            source,
        )
    if geo["led_size_mm"] > 4 * geo["led_pitch_mm"]:
        raise InputError(
            f"[geometry] led_size_mm ({geo['led_size_mm']:g}) is more than four LED pitches; "
            "check the units (millimetres)",
            source,
        )
    if geo["slices"] > 1 << 16 or geo["leds_per_blade"] * len(blades) > 1 << 14:
        raise InputError("[geometry] slices or LED count is implausibly large", source)
    innermost = (
        geo["hub_radius_mm"]
        + (0.5 + min(b.radial_offset for b in blades)) * geo["led_pitch_mm"]
        - geo["led_size_mm"] / 2
    )
    if innermost < -1e-9:
        raise InputError(
            "[geometry] the innermost LED would reach past the centre; "
            "raise hub_radius_mm or the blade's radial_offset",
            source,
        )
    return geo
