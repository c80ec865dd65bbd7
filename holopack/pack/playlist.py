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
import os
import tomllib
from dataclasses import dataclass, field

from .. import options
from ..containment import shorten
from ..device import load_profile
from ..errors import InputError
from ..pipeline import ExportSettings
from ..scene.load import supported_suffixes
from ..schema import Fault
from ..textfile import read_text, toml_loads
from ..textfile import show_value as _show  # errors quote values alike

# Keys an item (or [defaults]) may carry: its input and name, and the options of the
# playlist face (holopack.options), which check the values.
# ``wall`` sends the item to a wall of fans (docs/walls.md) instead of the devices.
ITEM_KEYS = ("input", "name", "wall") + tuple(opt.name for opt in options.for_face(options.PLAYLIST))
NOT_DEFAULTS = ("input", "name", "wall")  # keys that belong to one item only
TOP_KEYS = ("devices", "defaults", "items")


@dataclass(frozen=True)
class PlaylistItem:
    """One clip of the playlist, with its overrides resolved against [defaults].

    ``input`` is an absolute path; ``input_text`` is the path as the playlist wrote it
    (for reports and the manifest, so a package does not record the packer's folders).
    ``values``: the options the playlist gave (checked); every other option of the
    playlist face reads as its default (``item.seconds``, ``item.fov``...).
    """

    index: int  # 1-based play order
    input: str
    input_text: str
    name: str
    values: dict = field(default_factory=dict)
    wall: str | None = None  # a wall file (absolute): the item goes to that wall, not the devices

    def __getattr__(self, name: str):
        opt = options.BY_NAME.get(name)
        if opt is None or options.PLAYLIST not in opt.faces:
            raise AttributeError(name)
        return self.values.get(name, opt.default_for(options.PLAYLIST))

    @property
    def label(self) -> str:
        return f"item {self.index} ({self.name})"

    def settings_dict(self) -> dict:
        """Everything besides the input and the device that decides the output (JSON-safe)."""
        return {opt.name: getattr(self, opt.name) for opt in options.for_face(options.PLAYLIST)}

    def export_settings(self, device):
        """ExportSettings for this item on ``device`` (a profile name or DeviceProfile)."""
        return ExportSettings.from_options(self.settings_dict(), device=device)


@dataclass(frozen=True)
class Playlist:
    path: str
    devices: tuple[str, ...]
    items: tuple[PlaylistItem, ...] = field(default_factory=tuple)


def _wall_file(text, base: str, where: str, path: str) -> str:
    """An item's ``wall = "WALL.toml"``, resolved against the playlist's folder and checked."""
    from ..wall import load_wall

    if not isinstance(text, str) or not text:
        raise InputError(f"{where}: wall must be a wall file path, got {_show(text)}", path)
    full = os.path.normpath(os.path.join(base, os.path.expanduser(text)))
    if not os.path.isfile(full):
        raise InputError(f"{where}: wall file not found: {text} (looked for {full})", path)
    try:
        load_wall(full)
    except InputError as exc:
        raise InputError(f"{where}: wall {exc}", path) from None
    return full


def _unknown_key(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=2, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}?" if close else f"known keys: {', '.join(known)}"
    return f"unknown key {key!r}; {hint}"


def _default_name(input_text: str) -> str:
    stem = os.path.splitext(os.path.basename(input_text.replace("\\", "/")))[0]
    return stem or "clip"


def _refuse_top_keys_below(table, where: str, path: str) -> None:
    """A key of the whole playlist (``devices``) written under [defaults] or an [[items]]:
    TOML gives every line after a table's header to that table, so ``devices = [...]``
    added at the end of the file lands in the last item."""
    if not isinstance(table, dict):
        return
    for key in TOP_KEYS:
        if key in table:
            raise InputError(
                f"{where}: {key} is a key of the whole playlist: write it at the top of the file, "
                "above [defaults] and the first [[items]] (every line below a [[items]] line "
                "belongs to that item; one playlist packs every item for the same devices)",
                path,
            )


def parse_playlist(text: str, path: str) -> Playlist:
    """Check playlist TOML ``text``; ``path`` is the playlist file (relative inputs resolve
    against its folder). Raises InputError naming the file and the item at fault."""
    try:
        raw = toml_loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path) from None
    for key in raw:
        if key in ITEM_KEYS and key not in NOT_DEFAULTS:
            raise InputError(
                f"{key} is an item's key, not the playlist's: put it under [defaults] (for every "
                "item) or under an [[items]]",
                path,
            )
        if key not in TOP_KEYS:
            raise InputError(_unknown_key(key, TOP_KEYS), path)
    base = os.path.dirname(os.path.abspath(path))
    items_raw = raw.get("items")
    _refuse_top_keys_below(raw.get("defaults"), "[defaults]", path)
    for number, entry in enumerate(items_raw if isinstance(items_raw, list) else [], start=1):
        _refuse_top_keys_below(entry, f"item {number}", path)
    all_walls = (
        isinstance(items_raw, list)
        and bool(items_raw)
        and all(isinstance(e, dict) and "wall" in e for e in items_raw)
    )
    devices = _devices(raw.get("devices"), base, path, all_walls)
    defaults = _defaults(raw.get("defaults", {}), path)

    if items_raw is None:
        raise InputError("no [[items]]: the playlist has nothing to play", path)
    if isinstance(items_raw, list) and not items_raw:
        raise InputError("items is empty: the playlist has nothing to play", path)
    if not isinstance(items_raw, list):
        raise InputError(f"items must be an array of tables ([[items]]), got {_show(items_raw)}", path)
    items = []
    names_seen: dict[str, int] = {}
    suffixes = set(supported_suffixes())
    for number, entry in enumerate(items_raw, start=1):
        item = _item(number, entry, defaults, base, suffixes, path)
        key = item.name.casefold()
        if key in names_seen:
            raise InputError(
                f"item {number} ({item.name}): the name {item.name!r} is already used by "
                f"item {names_seen[key]}; give each item its own name",
                path,
            )
        names_seen[key] = number
        items.append(item)
    return Playlist(path=os.path.abspath(path), devices=devices, items=tuple(items))


def _devices(devices, base: str, path: str, all_walls: bool) -> tuple[str, ...]:
    """The device profiles named (relative .toml paths resolved against ``base``), each loaded
    once; none are needed when every item goes to a wall."""
    if devices is None and all_walls:
        return ()
    if devices is None:
        raise InputError('missing devices = ["..."] (the fans to pack for; see `holopack devices`)', path)
    if isinstance(devices, str):
        devices = [devices]
    if isinstance(devices, list) and not devices and not all_walls:
        raise InputError("devices is empty: name the fans to pack for (see `holopack devices`)", path)
    if (
        not isinstance(devices, list)
        or (not devices and not all_walls)
        or not all(isinstance(d, str) and d for d in devices)
    ):
        raise InputError(f"devices must be an array of device profile names, got {_show(devices)}", path)
    resolved: list[str] = []
    for name in devices:
        target = name
        if name.endswith(".toml") and not os.path.isabs(name):
            target = os.path.join(base, name)
        try:
            load_profile(target)
        except InputError as exc:
            raise InputError(f"devices: {exc}", path) from None
        if target in resolved:
            raise InputError(f"devices: {name!r} is listed twice", path)
        resolved.append(target)
    return tuple(resolved)


def _defaults(defaults, path: str) -> dict:
    """The checked values of [defaults]."""
    if not isinstance(defaults, dict):
        raise InputError(f"[defaults] must be a table, got {_show(defaults)}", path)
    allowed = [k for k in ITEM_KEYS if k not in NOT_DEFAULTS]
    for key in defaults:
        if key not in allowed:
            raise InputError(f"[defaults]: {_unknown_key(key, allowed)}", path)
    values = _checked(defaults, "[defaults]", path)
    if "seconds" in values and "loops" in values:
        raise InputError("[defaults]: give seconds or loops, not both", path)
    return values


def _checked(table: dict, where: str, path: str) -> dict:
    try:
        return options.check_values(table, options.PLAYLIST)
    except Fault as fault:
        raise InputError(f"{where}: {fault}", path) from None


def _item(number: int, entry, defaults: dict, base: str, suffixes: set, path: str) -> PlaylistItem:
    """Item ``number`` (1-based) checked, with the defaults it does not override."""
    where = f"item {number}"
    if not isinstance(entry, dict):
        raise InputError(f"{where} must be a table ([[items]]), got {_show(entry)}", path)
    name = entry.get("name")
    input_text = entry.get("input")
    if "name" in entry:
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"{where}: name must be a non-empty string, got {_show(name)}", path)
        name = name.strip()
        if any(ord(c) < 32 or ord(c) == 127 for c in name) or len(name) > 200:
            # the name goes into file names and the shop's README.txt
            raise InputError(
                f"{where}: name must be one line of at most 200 characters, got {shorten(repr(name))}", path
            )
        where = f"item {number} ({name})"
    elif isinstance(input_text, str) and input_text:
        where = f"item {number} ({_default_name(input_text)})"
    for key in entry:
        if key not in ITEM_KEYS:
            raise InputError(f"{where}: {_unknown_key(key, ITEM_KEYS)}", path)
    if input_text is None:
        raise InputError(f'{where}: missing input = "..." (a model or a video file)', path)
    if not isinstance(input_text, str) or not input_text:
        raise InputError(f"{where}: input must be a file path, got {_show(input_text)}", path)
    if "name" not in entry:
        name = _default_name(input_text)
    full = _input_file(input_text, base, suffixes, where, path)
    values = dict(defaults)
    if "seconds" in entry and "loops" in entry:
        raise InputError(f"{where}: give seconds or loops, not both", path)
    if "seconds" in entry:
        values.pop("loops", None)  # the item's own length beats a default loop count
    elif "loops" in entry:
        values.pop("seconds", None)
    values.update(_checked({k: v for k, v in entry.items() if k not in NOT_DEFAULTS}, where, path))
    wall = _wall_file(entry["wall"], base, where, path) if "wall" in entry else None
    return PlaylistItem(
        index=number, input=full, input_text=input_text, name=str(name), values=values, wall=wall
    )


def _input_file(input_text: str, base: str, suffixes: set, where: str, path: str) -> str:
    full = os.path.normpath(os.path.join(base, os.path.expanduser(input_text)))
    if not os.path.exists(full):
        hint = ""
        if "\\" in input_text and os.sep != "\\":
            hint = "; write folders with / (here a \\ is part of the file name)"
        raise InputError(f"{where}: input file not found: {input_text} (looked for {full}){hint}", path)
    if os.path.isdir(full):
        # a folder of numbered pictures is a clip, as on the command line (scene.load)
        from ..video.decode import folder_pictures

        if not folder_pictures(full):
            raise InputError(
                f"{where}: input is a folder without PNG, WebP or JPEG pictures: {input_text} "
                "(a folder is read as a clip of numbered pictures)",
                path,
            )
        return full
    if not os.path.isfile(full):
        raise InputError(f"{where}: input is not a file: {input_text}", path)
    if os.path.splitext(full)[1].lower() not in suffixes:
        raise InputError(
            f"{where}: holopack cannot read {input_text!r} (it reads {' '.join(sorted(suffixes))})", path
        )
    return full


def load_playlist(path: str | os.PathLike) -> Playlist:
    """Read and check a playlist file."""
    path = os.fspath(path)
    return parse_playlist(read_text(path, "playlist"), path)
