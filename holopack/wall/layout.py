"""The wall file: where each fan of a wall hangs, how it is turned, which device it is.

A wall file is TOML (docs/walls.md)::

    device = "3dcircle-42f2"          # every fan's profile unless a fan names its own
    [[fans]]
    name = "A1"                       # the fan's file name (within the device's name rules)
    x = 0.0                           # centre in mm; x to the right, y up
    y = 0.0
    rotation = 0.0                    # degrees, counter-clockwise, as mounted
    mirror = false                    # mounted facing backwards (seen through glass)
    device = "legacy-224"             # optional per-fan override

or the shorthand ``[grid]`` with ``rows``, ``cols``, ``pitch`` (mm) and ``layout =
"square" | "staggered"``. Grid fans are named by row letter and column number (A1 at
the top left); a ``[[fans]]`` entry with a grid fan's name changes that fan (its
rotation, mirror, device or position), any other entry adds a fan.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass

from ..device import load_profile
from ..device.profile import DeviceProfile
from ..errors import InputError
from ..formats.names import name_rule
from ..textfile import read_text, toml_loads

LAYOUTS = ("square", "staggered")
_TOP_KEYS = {"device", "fans", "grid", "name", "description"}
_FAN_KEYS = {"name", "x", "y", "rotation", "mirror", "device"}
_GRID_KEYS = {"rows", "cols", "pitch", "layout", "device"}
MAX_FANS = 256
# the closest two fan centres may be, as a share of the smaller fan's diameter (75 % overlap)
MIN_APART = 0.25


@dataclass(frozen=True)
class Fan:
    """One fan of a wall. x, y: centre in mm (x right, y up); rotation: degrees
    counter-clockwise as the viewer sees it; mirror: the picture is seen from behind
    (mirrored left-right in the fan's own frame, before the rotation)."""

    name: str
    x: float
    y: float
    rotation: float
    mirror: bool
    profile: DeviceProfile
    file_name: str

    @property
    def radius_mm(self) -> float:
        return self.profile.physical_diameter_mm / 2.0

    @property
    def device(self) -> str:
        return self.profile.name


@dataclass(frozen=True)
class Wall:
    """A parsed wall file: its fans in file order, and the canvas = the bounding
    rectangle of all fan circles, in mm (left, bottom, right, top)."""

    fans: tuple[Fan, ...]
    source: str = "<wall>"
    name: str = "wall"

    @property
    def bounds_mm(self) -> tuple[float, float, float, float]:
        left = min(f.x - f.radius_mm for f in self.fans)
        right = max(f.x + f.radius_mm for f in self.fans)
        bottom = min(f.y - f.radius_mm for f in self.fans)
        top = max(f.y + f.radius_mm for f in self.fans)
        return left, bottom, right, top

    @property
    def size_mm(self) -> tuple[float, float]:
        left, bottom, right, top = self.bounds_mm
        return right - left, top - bottom

    @property
    def fps(self) -> float:
        """The wall's frame rate: every fan plays the same frames at the same rate. A
        polar fan plays at its profile's rate (a 42-F2 or legacy-224 file holds none),
        a video at its file's, so the polar fans' rate (the slowest, where they differ:
        see off_rate_fans), else the slowest video device's (all 42-F2: 30 fps)."""
        polar = [f.profile.fps for f in self.fans if f.profile.is_polar]
        return min(polar) if polar else min(f.profile.fps for f in self.fans)

    def off_rate_fans(self, fps: float) -> list[Fan]:
        """The polar fans that would play a wall at ``fps`` at another speed: they play at
        their profile's rate, as holopack validate holds a single fan's file to it."""
        return [f for f in self.fans if f.profile.is_polar and abs(f.profile.fps - fps) > 0.01]


def load_wall(path: str | os.PathLike) -> Wall:
    """Read and check a wall file (InputError naming the file and the fault)."""
    path = os.fspath(path)
    text = read_text(path, "wall file")
    base = os.path.dirname(os.path.abspath(path))
    return parse_wall(text, path, base_dir=base)


def parse_wall(text: str, source: str = "<wall>", base_dir: str | None = None) -> Wall:
    """Parse wall TOML text. ``base_dir``: where relative profile paths are found."""
    try:
        raw = toml_loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"not valid TOML ({e})", source) from None
    _unknown(raw, _TOP_KEYS, "", source)
    profile = _profile_loader(base_dir, source)
    out: list[Fan] = []
    seen_files: dict[str, str] = {}
    for table in _fan_tables(raw, source):
        fan = _fan(table, raw.get("device"), profile, source)
        folded = fan.file_name.lower()
        if folded in seen_files:
            raise InputError(
                f"fan {fan.name!r}: its file {fan.file_name} clashes with fan {seen_files[folded]!r}'s "
                "(names must differ, ignoring case)",
                source,
            )
        seen_files[folded] = fan.name
        out.append(fan)
    for i, a in enumerate(out):
        for b in out[:i]:
            apart = math.hypot(a.x - b.x, a.y - b.y)
            if apart < 1e-6:
                raise InputError(f"fans {b.name!r} and {a.name!r} have the same centre", source)
            # a wall measured in metres or centimetres puts 420 mm fans 0.4 or 42 mm apart:
            # each would show a sliver of the picture, and no fan would stay dark to say so
            size = min(a.radius_mm, b.radius_mm) * 2.0
            if apart < MIN_APART * size:
                raise InputError(
                    f"fans {b.name!r} and {a.name!r} are {apart:g} mm apart, less than a quarter "
                    f"of their {size:g} mm size (x and y are millimetres: is the wall in m or cm?)",
                    source,
                )
    name = raw.get("name", os.path.splitext(os.path.basename(source))[0] or "wall")
    if not isinstance(name, str):
        raise InputError(f"name must be a string, got {name!r}", source)
    return Wall(fans=tuple(out), source=source, name=name)


def _profile_loader(base_dir: str | None, source: str):
    """``profile(name, where)``: a fan's device profile, each loaded once (a relative
    .toml path is found beside the wall file)."""
    profiles: dict[str, DeviceProfile] = {}

    def profile(name, where):
        if not isinstance(name, str) or not name:
            raise InputError(f"{where}device must be a profile name or .toml path, got {name!r}", source)
        key = name
        path_like = name.endswith(".toml") or "/" in name or os.sep in name
        if path_like and base_dir and not os.path.isabs(name):
            key = os.path.join(base_dir, name)
        if key not in profiles:
            try:
                profiles[key] = load_profile(key)
            except InputError as e:
                raise InputError(f"{where}device {name!r}: {e.message}", source) from None
        return profiles[key]

    return profile


def _fan_tables(raw: dict, source: str) -> list[dict]:
    """The wall's fans as tables: the [grid]'s, changed by [[fans]] entries of the same
    name, then the other [[fans]] entries."""
    fans: list[dict] = []
    grid = raw.get("grid")
    if grid is not None:
        fans = _grid_fans(grid, source)
        if "device" in grid:
            for fan in fans:
                fan["device"] = grid["device"]
    entries = raw.get("fans", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InputError("fans must be an array of tables ([[fans]])", source)
    by_name = {fan["name"]: fan for fan in fans}
    # which [[fans]] entry named each fan: a second entry of the same name is refused,
    # never merged into the first (it would silently move or re-device that fan)
    named_by: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"[[fans]] {number}: "
        _unknown(entry, _FAN_KEYS, where, source)
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"{where}name must be a non-empty string", source)
        if name in named_by:
            raise InputError(
                f"{where}fan {name!r} is named again ([[fans]] {named_by[name]} names it first); "
                "give each fan its own name",
                source,
            )
        named_by[name] = number
        if name in by_name and grid is not None:
            by_name[name].update(entry)  # a grid fan changed by name
            continue
        for key in ("x", "y"):
            if key not in entry:
                raise InputError(f"{where}fan {name!r} needs {key} (its centre in mm)", source)
        fan = dict(entry)
        fans.append(fan)
        by_name[name] = fan
    if not fans:
        raise InputError("the wall has no fans: give [[fans]] entries or a [grid]", source)
    if len(fans) > MAX_FANS:
        raise InputError(f"the wall has {len(fans)} fans; at most {MAX_FANS} are supported", source)
    return fans


def _fan(fan: dict, default_device, profile, source: str) -> Fan:
    """One fan from its table; ``default_device``: the wall file's own device."""
    name = fan["name"]
    where = f"fan {name!r}: "
    x = _number(fan.get("x"), where + "x", source)
    y = _number(fan.get("y"), where + "y", source)
    rotation = _number(fan.get("rotation", 0.0), where + "rotation", source)
    mirror = fan.get("mirror", False)
    if not isinstance(mirror, bool):
        raise InputError(f"{where}mirror must be true or false, got {mirror!r}", source)
    device = fan.get("device", default_device)
    if device is None:
        raise InputError(
            f'{where}no device: give device = "..." at the top of the wall file or for this fan', source
        )
    prof = profile(device, where)
    try:
        _ = prof.physical_diameter_mm  # a fan's size must be known to place it
    except InputError as e:
        raise InputError(f"{where}{e.message}", source) from None
    file_name = fan_file_name(name, prof, where, source)
    return Fan(name=name, x=x, y=y, rotation=rotation, mirror=mirror, profile=prof, file_name=file_name)


def fan_file_name(name: str, profile: DeviceProfile, where: str = "", source: str | None = None) -> str:
    """The file a fan's clip is written to: its name in the device's case and suffix.
    Names the device's rule cannot take unchanged are refused, not silently altered."""
    rule = name_rule(profile)
    stem = name.upper() if rule.case == "upper" else name.lower()
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or (rule.max_stem and "-" in name):
        allowed = "letters, digits and _" + ("" if rule.max_stem else " or -")
        raise InputError(f"{where}name {name!r} cannot be a {profile.name} file name (use {allowed})", source)
    file_name = stem + rule.suffix
    problems = rule.problems(file_name, need_position=False)
    if problems:
        raise InputError(f"{where}name {name!r} cannot be a {profile.name} file name: {problems[0]}", source)
    return file_name


def grid_name(row: int, col: int) -> str:
    """A1 at the top left: row letters (A..Z, then AA..), column numbers from 1."""
    letters = ""
    row += 1
    while row:
        row, rem = divmod(row - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return f"{letters}{col + 1}"


def _grid_fans(grid, source: str) -> list[dict]:
    if not isinstance(grid, dict):
        raise InputError("[grid] must be a table", source)
    _unknown(grid, _GRID_KEYS, "[grid] ", source)
    for key in ("rows", "cols", "pitch"):
        if key not in grid:
            raise InputError(f"[grid] needs {key}", source)
    rows, cols = grid["rows"], grid["cols"]
    for key, v in (("rows", rows), ("cols", cols)):
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 64:
            raise InputError(f"[grid] {key} must be a whole number from 1 to 64, got {v!r}", source)
    pitch = _number(grid["pitch"], "[grid] pitch", source)
    if pitch <= 0:
        raise InputError(f"[grid] pitch must be a positive distance in mm, got {pitch:g}", source)
    layout = grid.get("layout", "square")
    if layout not in LAYOUTS:
        raise InputError(f"[grid] layout must be one of {', '.join(LAYOUTS)}, got {layout!r}", source)
    # square: rows pitch apart; staggered: every other row shifted right by half a pitch
    # and rows pitch*sqrt(3)/2 apart, so that each fan is pitch from all its neighbours
    row_step = pitch if layout == "square" else pitch * math.sqrt(3.0) / 2.0
    fans = []
    for r in range(rows):
        shift = pitch / 2.0 if (layout == "staggered" and r % 2) else 0.0
        for c in range(cols):
            fans.append({"name": grid_name(r, c), "x": c * pitch + shift, "y": -r * row_step})
    return fans


def _number(v, what: str, source: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise InputError(f"{what} must be a finite number, got {v!r}", source)
    if abs(v) > 1e6:
        raise InputError(f"{what} is {v:g}; more than a kilometre is surely not millimetres", source)
    return float(v)


def _unknown(table: dict, known: set, where: str, source: str) -> None:
    extra = sorted(set(table) - known)
    if extra:
        raise InputError(f"{where}unknown key {extra[0]!r} (known: {', '.join(sorted(known))})", source)
