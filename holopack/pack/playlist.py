"""The playlist: which clips go on which fans, in which order (docs/playlist.md).

A playlist is a TOML file::

    devices = ["3dcircle-42f2", "hypervsn"]

    [defaults]          # optional: any item key except input and name, for every item
    seconds = 6

    [[items]]
    input = "twin.glb"  # relative to the playlist file
    name = "twin"
    animation = "Dance"
    ...

Every fault is an InputError that names the playlist file and the item, in words an
installer can act on.
"""
from __future__ import annotations

import difflib
import math
import os
import tomllib
from dataclasses import dataclass, field

from ..containment import shorten
from ..errors import InputError
from ..limits import BOUNDS, BoundError, check_bound
from ..textfile import read_text
from ..textfile import show_value as _show  # errors quote values alike

# Keys an item (or [defaults]) may carry, with what each must be.
ITEM_KEYS = ("input", "name", "animation", "seconds", "loops", "speed", "yaw", "pitch",
             "distance", "fov", "margin", "turntable", "lights", "size", "unlit")
TOP_KEYS = ("devices", "defaults", "items")


@dataclass(frozen=True)
class PlaylistItem:
    """One clip of the playlist, with its overrides resolved against [defaults].

    ``input`` is an absolute path; ``input_text`` is the path as the playlist wrote it
    (for reports and the manifest, so a package does not record the packer's folders).
    """

    index: int  # 1-based play order
    input: str
    input_text: str
    name: str
    animation: str | int | None = None
    seconds: float | None = None
    loops: float | None = None
    speed: float = 1.0
    yaw: float = 0.0
    pitch: float = 0.0
    distance: float | None = None
    fov: float = 30.0
    margin: float = 0.08
    turntable: float | None = None
    lights: dict | None = None
    size: int | None = None
    unlit: bool = False

    @property
    def label(self) -> str:
        return f"item {self.index} ({self.name})"

    def settings_dict(self) -> dict:
        """Everything besides the input and the device that decides the output (JSON-safe)."""
        return {"animation": self.animation, "seconds": self.seconds, "loops": self.loops,
                "speed": self.speed, "yaw": self.yaw, "pitch": self.pitch,
                "distance": self.distance, "fov": self.fov, "margin": self.margin,
                "turntable": self.turntable, "lights": self.lights, "size": self.size,
                "unlit": self.unlit}

    def export_settings(self, device):
        """ExportSettings for this item on ``device`` (a profile name or DeviceProfile)."""
        from ..pipeline import ExportSettings
        from ..render.camera import Framing

        return ExportSettings(
            device=device, seconds=self.seconds, size=self.size, animation=self.animation,
            loops=self.loops, speed=self.speed, turntable=self.turntable,
            framing=Framing(yaw=self.yaw, pitch=self.pitch, distance=self.distance,
                            fov=self.fov, margin=self.margin),
            lights=self.lights, shading="unlit" if self.unlit else "lit")


@dataclass(frozen=True)
class Playlist:
    path: str
    devices: tuple[str, ...]
    items: tuple[PlaylistItem, ...] = field(default_factory=tuple)


class _Fault(Exception):
    pass


def _number(v, *, positive=False, lo=None, hi=None, nonneg=False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise _Fault(f"must be a number, got {_show(v)}")
    v = float(v)
    if positive and v <= 0:
        raise _Fault(f"must be greater than 0, got {v:g}")
    if nonneg and v < 0:
        raise _Fault(f"must be 0 or more, got {v:g}")
    if lo is not None and v < lo:
        raise _Fault(f"must be at least {lo:g}, got {v:g}")
    if hi is not None and v > hi:
        raise _Fault(f"must be at most {hi:g}, got {v:g}")
    return v


def _check_value(key: str, v):
    """The checked value of one item key (not input/name), within the ranges every face
    shares (holopack.limits.BOUNDS)."""
    value = _check_value_type(key, v)
    if key in BOUNDS and value is not None:
        try:
            check_bound(key, value, integer=key == "size")
        except BoundError as exc:
            raise _Fault(str(exc)) from None
    if key == "lights":
        for lk, lv in value.items():
            for x in (lv if isinstance(lv, list) else [lv]):
                try:
                    check_bound("light", x)
                except BoundError as exc:
                    raise _Fault(f"{lk} {exc}") from None
    return value


def _check_value_type(key: str, v):
    if key == "animation":
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise _Fault(f"must be an animation name or index, got {_show(v)}")
        if isinstance(v, int) and v < 0:
            raise _Fault(f"index must be 0 or more, got {v}")
        return v
    if key in ("seconds", "loops", "speed"):
        return _number(v, positive=True)
    if key in ("yaw", "pitch"):
        return _number(v, lo=-360.0, hi=360.0)
    if key == "distance":
        return _number(v, positive=True)
    if key == "fov":
        return _number(v, lo=0.0, hi=170.0)
    if key == "margin":
        return _number(v, lo=0.0, hi=0.9)
    if key == "turntable":
        if v is False:
            return 0.0
        if v is True:
            raise _Fault("takes degrees per second (e.g. turntable = 45), or false for no spin")
        return _number(v)
    if key == "lights":
        if not isinstance(v, dict):
            raise _Fault(f"must be a table such as {{ rim = 1.5 }}, got {_show(v)}")
        from ..pipeline import LIGHT_KEYS

        for lk, lv in v.items():
            if lk not in LIGHT_KEYS:
                raise _Fault(f"has an unknown setting {lk!r} (known: {', '.join(LIGHT_KEYS)})")
            values = lv if isinstance(lv, list) else [lv]
            if not values or any(isinstance(x, bool) or not isinstance(x, (int, float))
                                 or not math.isfinite(x) for x in values):
                raise _Fault(f"{lk} must be a number or an array of numbers, got {_show(lv)}")
        return dict(v)
    if key == "size":
        if isinstance(v, bool) or not isinstance(v, int) or not 8 <= v <= 8192:
            raise _Fault(f"must be a whole number of pixels from 8 to 8192, got {_show(v)}")
        return v
    if key == "unlit":
        if not isinstance(v, bool):
            raise _Fault(f"must be true or false, got {_show(v)}")
        return v
    raise AssertionError(key)


def _unknown_key(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=2, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}?" if close else f"known keys: {', '.join(known)}"
    return f"unknown key {key!r}; {hint}"


def _default_name(input_text: str) -> str:
    stem = os.path.splitext(os.path.basename(input_text.replace("\\", "/")))[0]
    return stem or "clip"


def parse_playlist(text: str, path: str) -> Playlist:
    """Check playlist TOML ``text``; ``path`` is the playlist file (relative inputs resolve
    against its folder). Raises InputError naming the file and the item at fault."""
    from ..device import load_profile
    from ..scene.load import supported_suffixes

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path) from None
    for key in raw:
        if key not in TOP_KEYS:
            raise InputError(_unknown_key(key, TOP_KEYS), path)

    devices = raw.get("devices")
    if devices is None:
        raise InputError('missing devices = ["..."] (the fans to pack for; see `holopack devices`)', path)
    if isinstance(devices, str):
        devices = [devices]
    if not isinstance(devices, list) or not devices or not all(isinstance(d, str) and d for d in devices):
        raise InputError(f"devices must be an array of device profile names, got {_show(devices)}", path)
    base = os.path.dirname(os.path.abspath(path))
    resolved_devices = []
    for name in devices:
        target = name
        if name.endswith(".toml") and not os.path.isabs(name):
            target = os.path.join(base, name)
        try:
            load_profile(target)
        except InputError as exc:
            raise InputError(f"devices: {exc}", path) from None
        if target in resolved_devices:
            raise InputError(f"devices: {name!r} is listed twice", path)
        resolved_devices.append(target)

    defaults = raw.get("defaults", {})
    if not isinstance(defaults, dict):
        raise InputError(f"[defaults] must be a table, got {_show(defaults)}", path)
    default_values = {}
    for key, value in defaults.items():
        if key in ("input", "name") or key not in ITEM_KEYS:
            allowed = [k for k in ITEM_KEYS if k not in ("input", "name")]
            raise InputError(f"[defaults]: {_unknown_key(key, allowed)}", path)
        try:
            default_values[key] = _check_value(key, value)
        except _Fault as fault:
            raise InputError(f"[defaults]: {key} {fault}", path) from None

    if "seconds" in default_values and "loops" in default_values:
        raise InputError("[defaults]: give seconds or loops, not both", path)

    items_raw = raw.get("items")
    if items_raw is None:
        raise InputError("no [[items]]: the playlist has nothing to play", path)
    if not isinstance(items_raw, list) or not items_raw:
        raise InputError(f"items must be an array of tables ([[items]]), got {_show(items_raw)}", path)

    items = []
    names_seen: dict[str, int] = {}
    suffixes = set(supported_suffixes())
    for number, entry in enumerate(items_raw, start=1):
        where = f"item {number}"
        if not isinstance(entry, dict):
            raise InputError(f"{where} must be a table ([[items]]), got {_show(entry)}", path)
        if "name" in entry:
            name = entry["name"]
            if not isinstance(name, str) or not name.strip():
                raise InputError(f"{where}: name must be a non-empty string, got {_show(name)}", path)
            name = name.strip()
            if any(ord(c) < 32 or ord(c) == 127 for c in name) or len(name) > 200:
                raise InputError(f"{where}: name must be one line of at most 200 characters, "
                                 f"got {shorten(repr(name))}", path)
            where = f"item {number} ({name})"
        elif isinstance(entry.get("input"), str) and entry["input"]:
            where = f"item {number} ({_default_name(entry['input'])})"
        for key in entry:
            if key not in ITEM_KEYS:
                raise InputError(f"{where}: {_unknown_key(key, ITEM_KEYS)}", path)
        input_text = entry.get("input")
        if input_text is None:
            raise InputError(f"{where}: missing input = \"...\" (a model or a video file)", path)
        if not isinstance(input_text, str) or not input_text:
            raise InputError(f"{where}: input must be a file path, got {_show(input_text)}", path)
        if "name" not in entry:
            name = _default_name(input_text)
            where = f"item {number} ({name})"
        full = os.path.normpath(os.path.join(base, os.path.expanduser(input_text)))
        if not os.path.exists(full):
            raise InputError(f"{where}: input file not found: {input_text} (looked for {full})", path)
        if not os.path.isfile(full):
            raise InputError(f"{where}: input is not a file: {input_text}", path)
        if os.path.splitext(full)[1].lower() not in suffixes:
            raise InputError(f"{where}: holopack cannot read {input_text!r} "
                             f"(it reads {' '.join(sorted(suffixes))})", path)
        values = dict(default_values)
        for key, value in entry.items():
            if key in ("input", "name"):
                continue
            try:
                values[key] = _check_value(key, value)
            except _Fault as fault:
                raise InputError(f"{where}: {key} {fault}", path) from None
        if "seconds" in entry and "loops" in entry:
            raise InputError(f"{where}: give seconds or loops, not both", path)
        if "seconds" in entry:
            values.pop("loops", None)  # the item's own length beats a default loop count
        elif "loops" in entry:
            values.pop("seconds", None)
        key = name.casefold()
        if key in names_seen:
            raise InputError(f"{where}: the name {name!r} is already used by item "
                             f"{names_seen[key]}; give each item its own name", path)
        names_seen[key] = number
        items.append(PlaylistItem(index=number, input=full, input_text=input_text, name=name, **values))
    return Playlist(path=os.path.abspath(path), devices=tuple(resolved_devices), items=tuple(items))


def load_playlist(path: str | os.PathLike) -> Playlist:
    """Read and check a playlist file."""
    path = os.fspath(path)
    return parse_playlist(read_text(path, "playlist"), path)
