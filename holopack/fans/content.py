"""What goes onto a fan: a device file, a package's device folder, a wall folder's fan, or
a folder of device files, as an ordered list of uploads named by the fan's rules.

A package from ``holopack pack`` has one folder per device, each with a manifest that
gives the play order and every file's SHA-256; the files are checked against it before
anything is sent. A wall folder (``holopack export --wall``) holds one file per fan and a
``wall.json`` naming them; a fleet says which wall fan each real fan is. Any other folder
is taken as the device files themselves, in the byte order of their names (the order
SD-card fans play in).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..containment import check_regular, folder_entry, open_regular, read_regular, resolve_reference, shorten
from ..errors import InputError
from ..formats.names import name_rule

if TYPE_CHECKING:
    from ..device.profile.device_profile import DeviceProfile

MANIFEST = "manifest.json"
_MAX_JSON_BYTES = 64 << 20
WALL = "wall.json"


@dataclass(frozen=True)
class Upload:
    """One file for a fan: where it is here, the name it gets on the fan, its size and SHA-256."""

    path: str
    name: str
    bytes: int
    sha256: str

    def to_dict(self) -> dict:
        return {"name": self.name, "bytes": self.bytes, "sha256": self.sha256, "source": self.path}


@dataclass
class Plan:
    """Everything one fan should end up holding, in play order."""

    source: str
    profile: DeviceProfile
    uploads: list
    notes: list

    @property
    def device(self) -> str:
        return self.profile.name

    @property
    def total_bytes(self) -> int:
        return sum(u.bytes for u in self.uploads)


def fan_name(file_name: str, rule) -> str:
    """``file_name`` made legal for the fan: the rule's case, characters, length and suffix
    (the nearest legal name, as export suggests it)."""
    return rule.nearest(os.path.basename(file_name))


def _load_profile(device, path_for_guess: str | None):
    from ..device import load_profile
    from ..formats.fanfile import open_fan_file

    if device is not None:
        return load_profile(device)
    if path_for_guess is None:
        raise InputError("cannot tell which fan these files are for: give --device")
    try:
        return open_fan_file(path_for_guess).profile
    except InputError:
        raise InputError(
            "cannot tell which fan this file is for from its layout: give --device", path_for_guess
        ) from None


def _upload(path: str, name: str, sha256: str | None = None) -> Upload:
    # a regular file only, checked on the opened descriptor: a FIFO among the files hung
    # the push and /dev/zero behind a symlink was hashed without end
    try:
        with open_regular(path, "device file") as f:
            size = os.fstat(f.fileno()).st_size
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path) from None
    if sha256 is not None and digest != sha256:
        raise InputError(
            f"SHA-256 {digest[:12]}... does not match the manifest's {sha256[:12]}...: "
            "the package changed since it was made (run `holopack validate`)",
            path,
        )
    return Upload(path=path, name=name, bytes=size, sha256=digest)


def _read_json(path: str) -> dict:
    try:
        # a regular file of at most 64 MB (a manifest of 20,000 items is ~5 MB): a
        # manifest.json that was a FIFO hung, one that was /dev/zero filled the memory
        data = json.loads(read_regular(path, "manifest", limit=_MAX_JSON_BYTES))
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path) from None
    except RecursionError:
        raise InputError("not valid JSON (nested too deeply)", path) from None
    except ValueError as exc:
        raise InputError(f"not valid JSON ({exc})", path) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", path)
    return data


def _device_folder(folder: str, device) -> Plan:
    manifest_path = os.path.join(folder, MANIFEST)
    manifest = _read_json(manifest_path)
    items = manifest.get("items")
    if not isinstance(items, list) or not manifest.get("device"):
        raise InputError("not a package manifest (no device or items)", manifest_path)
    if device is not None and _load_profile(device, None).name != manifest["device"]:
        raise InputError(f"this folder is for {manifest['device']}, not {device}", folder)
    if isinstance(manifest.get("profile_toml"), str):  # a user's own profile travels along
        from ..device.profile import parse_profile

        profile = parse_profile(manifest["profile_toml"], f"{manifest_path} (profile)")
    else:
        from ..device import list_profiles

        if not isinstance(manifest["device"], str) or manifest["device"] not in list_profiles():
            # a shipped profile's name, never a path (docs/security.md), as validate has it
            raise InputError(
                f"the manifest's device {shorten(str(manifest['device']))!r} is not a shipped "
                "profile and the manifest carries no profile_toml",
                manifest_path,
            )
        profile = _load_profile(manifest["device"], None)
    failed = manifest.get("failed")
    if isinstance(failed, list) and failed:
        # holopack pack could not make these: the fan would play the package without them
        missing = ", ".join(
            f"item {f.get('index', '?')} ({f.get('name', '?')})" for f in failed if isinstance(f, dict)
        )
        raise InputError(
            f"the package is incomplete: holopack pack could not make {missing}; "
            "fix it and pack again before pushing",
            manifest_path,
        )
    uploads = []
    for item in sorted(items, key=lambda i: i.get("index", 0)):
        rel = item.get("file")
        if not isinstance(rel, str):
            raise InputError(f"item {item.get('index')} has no file", manifest_path)
        # the containment rule: a file the manifest names lies inside the device folder
        path = resolve_reference(rel, manifest_path, f"item {item.get('index')}'s file")
        uploads.append(_upload(path, os.path.basename(rel), item.get("sha256")))
    return Plan(source=folder, profile=profile, uploads=uploads, notes=[])


def _wall_folder(folder: str, device, wall_fan: str | None) -> Plan:
    wall_path = os.path.join(folder, WALL)
    wall = _read_json(wall_path)
    fans = wall.get("fans")
    if not isinstance(fans, list) or not fans:
        raise InputError("no fans listed", wall_path)
    names = [str(f.get("name")) for f in fans if isinstance(f, dict)]
    if wall_fan is None:
        raise InputError(
            f"a wall folder holds one file per fan: say which fan this is "
            f"(--wall-fan, one of {', '.join(names)})",
            folder,
        )
    entry = next((f for f in fans if isinstance(f, dict) and str(f.get("name")) == wall_fan), None)
    if entry is None:
        raise InputError(f"no wall fan {wall_fan!r} (fans: {', '.join(names)})", wall_path)
    rel = entry.get("file")
    if not isinstance(rel, str):
        raise InputError(f"wall fan {wall_fan!r} has no file", wall_path)
    path = resolve_reference(rel, wall_path, f"the file of wall fan {wall_fan!r}")  # inside the folder
    named = entry.get("device")
    if device is None and named is not None:
        from ..device import list_profiles

        if not isinstance(named, str) or named not in list_profiles():
            # export --wall writes a profile's name; a path here would be read from anywhere
            raise InputError(
                f"the device of wall fan {wall_fan!r}, {shorten(str(named))!r}, is not a "
                "shipped profile; give --device",
                wall_path,
            )
    profile = _load_profile(device or named, path)
    rule = name_rule(profile)
    name = os.path.basename(rel)
    notes = []
    if rule.problems(name, need_position=False):
        legal = fan_name(name, rule)
        notes.append(f"{name} goes onto the fan as {legal} (the fan's naming rule)")
        name = legal
    return Plan(
        source=folder, profile=profile, uploads=[_upload(path, name, entry.get("sha256"))], notes=notes
    )


def _plain(paths: list[str], source: str, device) -> Plan:
    profile = _load_profile(device, paths[0] if paths else None)
    rule = name_rule(profile)
    uploads, notes = [], []
    seen: dict[str, str] = {}
    for path in paths:
        name = os.path.basename(path)
        if rule.problems(name, need_position=False):
            legal = fan_name(name, rule)
            notes.append(f"{name} goes onto the fan as {legal} (the fan's naming rule)")
            name = legal
        if name in seen:
            raise InputError(
                f"{os.path.basename(path)} and {os.path.basename(seen[name])} would both "
                f"be {name} on the fan",
                source,
            )
        seen[name] = path
        uploads.append(_upload(path, name))
    uploads.sort(key=lambda u: u.name.encode("utf-8"))
    return Plan(source=source, profile=profile, uploads=uploads, notes=notes)


def _is_zip(path: str) -> bool:
    """A zip archive by its first bytes (a local file header, or an empty archive's end)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False  # the upload's own read says what is wrong


def plan_uploads(path: str, device=None, wall_fan: str | None = None, folder: str | None = None) -> Plan:
    """What to put on one fan from ``path`` (file, device folder, package, wall folder or a
    folder of device files). ``folder``: the package's device folder to use (default: the
    one for ``device``, or the only one there is)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError("no such file or folder", path)
    if os.path.isfile(path):
        if _is_zip(path):
            # a package zip read as one fan file: "cannot tell which fan this file is for"
            raise InputError(
                "a zip (a package from `holopack pack -o NAME.zip`?): push takes the package "
                "as a folder; unzip it and push the folder or one of its device folders",
                path,
            )
        return _plain([path], path, device)
    if not os.path.isdir(path):
        check_regular(path)  # a device, a FIFO or a socket: one line saying which
    if os.path.isfile(os.path.join(path, MANIFEST)):
        return _device_folder(path, device)
    if os.path.isfile(os.path.join(path, WALL)):
        return _wall_folder(path, device, wall_fan)
    subfolders = sorted(
        e.name for e in os.scandir(path) if e.is_dir() and os.path.isfile(os.path.join(e.path, MANIFEST))
    )
    if subfolders:  # a whole package
        if folder is None and device is not None:
            folder = _load_profile(device, None).name
        if folder is None:
            fan_folders = [s for s in subfolders if _speaks_wifi(s)]
            if len(fan_folders) != 1:
                raise InputError(
                    f"a package with folders for {', '.join(subfolders)}: say which "
                    "fan this is with --device",
                    path,
                )
            folder = fan_folders[0]
        if folder not in subfolders:
            raise InputError(f"no folder {folder!r} in this package (it has {', '.join(subfolders)})", path)
        return _device_folder(os.path.join(path, folder), device)
    files = sorted(
        os.path.join(path, e.name)
        for e in os.scandir(path)
        if e.is_file() and not e.name.startswith(".") and e.name.lower().endswith((".bin", ".hps"))
    )
    if not files:
        raise InputError("no device files here (and no manifest.json or wall.json)", path)
    for file in files:  # the containment rule: no symlink out of the folder
        folder_entry(path, os.path.basename(file), "device file")
    return _plain(files, path, device)


def _speaks_wifi(device_name: str) -> bool:
    from .protocols import protocol_for

    try:
        protocol_for(device_name)
    except InputError:
        return False
    return True
