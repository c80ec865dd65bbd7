"""The profile schema: each key's check and default, and loading a profile's TOML
(shipped by name, or a user's file, with ``base`` merged in) into a checked DeviceProfile."""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any

from ...containment import check_regular, shorten
from ...errors import InputError
from ...format_registry import get_format, profile_formats
from ...limits import BOUNDS, BoundError, bound_text, check_bound
from ...schema import OMIT as _OMIT
from ...schema import REQUIRED as _REQUIRED
from ...schema import Fault
from ...schema import boolean as _bool
from ...schema import check_table as _check_table
from ...schema import choice as _choice
from ...schema import number as _num
from ...schema import pos_int as _pos_int
from ...schema import string as _str
from ...textfile import read_text, toml_loads
from ...textfile import show_value as _show  # errors quote values alike
from .device_profile import DIAMETER_SLACK, Blade, DeviceProfile

PROFILE_DIR = Path(__file__).parent.parent / "profiles"

KINDS = ("polar", "video")
DIRECTIONS = ("cw", "ccw")
LED0_SIDES = ("outer", "inner")
BLADE_DATA = ("shared", "per_blade")
DITHERS = ("none", "ordered", "blue-noise", "legacy-2x12")
CHANNEL_ORDERS = ("RGB", "RBG", "GRB", "GBR", "BRG", "BGR")


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
            close = difflib.get_close_matches(raw, names, n=3) or _named_within(raw, names)
            hint = f"did you mean {', '.join(close)}?" if close else f"shipped profiles: {', '.join(names)}"
            raise InputError(f"no device profile named '{raw}'; {hint} (or give the path of a .toml profile)")
        path = shipped
    else:
        path = Path(raw)
        check_regular(path, "profile")  # not a device, FIFO or socket
    return read_text(path, "profile"), str(path)


def _named_within(raw: str, names: list[str]) -> list[str]:
    """The profiles whose name holds ``raw`` ignoring case and punctuation: installers
    write the model ("42-F2", "legacy 224") where the profile is "3dcircle-42f2", which
    is too far off for difflib."""
    key = "".join(ch for ch in raw.lower() if ch.isalnum())
    if len(key) < 3:
        return []
    return [n for n in names if key in "".join(ch for ch in n.lower() if ch.isalnum())][:3]


def parse_profile(text: str, source: str = "<profile>", _depth: int = 0) -> DeviceProfile:
    """Parse and check profile TOML text; ``source`` names it in errors."""
    try:
        raw = toml_loads(text)
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
        base_raw = toml_loads(read_text(PROFILE_DIR / f"{base_name}.toml", "profile"))
        own = raw
        raw = _merge(base_raw, {k: v for k, v in raw.items() if k != "base"})
        if "diameter_mm" not in own and "geometry" in own:
            raw = _disc_follows_geometry(raw, source, text)
    return _build(raw, source, text)


def _disc_follows_geometry(raw: dict, source: str, text: str) -> dict:
    """``raw`` without the base's diameter_mm (and its source) when the profile's own
    [geometry] moved the LEDs off the base's disc: the size a wall places the fan at is
    then the lit disc of the new geometry, not the base fan's."""
    if "diameter_mm" not in raw or raw.get("kind") != "polar":
        return raw
    try:
        lit = 2.0 * _build({k: v for k, v in raw.items() if k != "diameter_mm"}, source, text).radius_mm
    except InputError:
        return raw  # the profile's own fault is reported by _build with the raw as written
    if abs(raw["diameter_mm"] - lit) <= DIAMETER_SLACK * lit:
        return raw
    return {k: v for k, v in raw.items() if k not in ("diameter_mm", "diameter_source")}


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
        top["file"] if top["file"] is not None else {},
        {**(declared.file_table or {}), **_NAMING},
        "file",
        source,
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
    problem = declared.check_profile(colour, geo) if declared.check_profile else None
    if problem:
        raise InputError(problem, source)

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
