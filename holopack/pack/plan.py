"""Planning a pack run: which device file each playlist item becomes, which files of an
earlier run can be kept (their content key and bytes unchanged), and what is stale."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass

from .. import __version__
from ..errors import InputError
from ..formats.names import name_rule
from ..scene.sources import content_key, file_sha256, profile_hash, source_hash
from .layout import FILES, PREVIEWS
from .manifest import read_manifest
from .playlist import Playlist, PlaylistItem


def device_folder_name(profile_name: str) -> str:
    """A profile's name as a safe folder name (a user profile may call itself anything)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", profile_name).strip("._") or "device"
    return name


@dataclass
class _Unit:
    """One device file: an item on a device."""

    device: str  # profile name (the folder)
    device_arg: str  # what load_profile takes (a name or a .toml path)
    item: PlaylistItem
    file_name: str
    entry: dict  # the manifest entry, filled in as the file is made or kept (its content_key among it)
    reuse_from: str | None = None  # the existing file to keep (maybe under an old name)

    @property
    def uid(self) -> str:
        """The unit's name in a run: device folder / file name."""
        return f"{self.device}/{self.file_name}"


def _reusable(old: dict | None, files_dir: str, key: str, previews_dir: str, taken: set) -> dict | None:
    """The old manifest entry for ``key`` whose file is still intact and not already
    claimed by another item (in ``taken``), or None."""
    if not old:
        return None
    for entry in old.get("items", []):
        if not isinstance(entry, dict) or entry.get("content_key") != key:
            continue
        if os.path.basename(str(entry.get("file", ""))) in taken:
            continue
        path = os.path.join(files_dir, os.path.basename(str(entry.get("file", ""))))
        try:
            if os.path.getsize(path) != entry.get("bytes"):
                continue
        except OSError:
            continue
        if file_sha256(path) != entry.get("sha256"):
            continue
        previews_ok = all(
            os.path.isfile(os.path.join(previews_dir, os.path.basename(str(entry.get(k, "")))))
            for k in ("thumbnail", "preview")
        )
        if previews_ok:
            return entry
    return None


def _plan(playlist: Playlist, root: str) -> tuple[list[_Unit], dict]:
    from ..device import load_profile

    units: list[_Unit] = []
    devices: dict = {}
    sources: dict[str, tuple[str, list]] = {}
    # a wall item goes to its wall's folder (pack_walls): the device files are numbered
    # among the other items, or the fan's play order would skip a number (01, 03)
    fan_items = [item for item in playlist.items if not item.wall]
    count = len(fan_items)
    for device_arg in playlist.devices:
        profile = load_profile(device_arg)
        if profile.name in devices:
            raise InputError(f"devices: two entries name the same profile {profile.name!r}", playlist.path)
        rule = name_rule(profile)
        folder = os.path.join(root, device_folder_name(profile.name))
        files_dir = os.path.join(folder, FILES)
        previews_dir = os.path.join(folder, PREVIEWS)
        old = read_manifest(folder)
        psha = profile_hash(profile)
        taken: set = set()
        devices[profile.name] = {
            "profile": profile,
            "rule": rule,
            "folder": folder,
            "old": old,
            "profile_sha256": psha,
            "units": [],
        }
        for position, item in enumerate(fan_items, start=1):
            if item.input not in sources:
                sources[item.input] = source_hash(item.input)
            src_sha, src_files = sources[item.input]
            settings = item.settings_dict()
            key = content_key(src_sha, settings, psha, __version__)
            name = rule.file_name(position, count, item.name)
            stem = os.path.splitext(name)[0]
            entry = {
                "index": item.index,
                "name": item.name,
                "file": f"{FILES}/{name}",
                "input": item.input_text,
                "source_sha256": src_sha,
                "source_files": src_files,
                "settings": settings,
                "content_key": key,
                "thumbnail": f"{PREVIEWS}/{stem}.png",
                "preview": f"{PREVIEWS}/{stem}.gif",
            }
            unit = _Unit(device=profile.name, device_arg=device_arg, item=item, file_name=name, entry=entry)
            kept = _reusable(old, files_dir, key, previews_dir, taken)
            if kept is not None:
                unit.reuse_from = os.path.basename(str(kept["file"]))
                taken.add(unit.reuse_from)
                for fact in (
                    "frames",
                    "fps",
                    "seconds",
                    "size",
                    "format",
                    "bytes",
                    "sha256",
                    "seam",
                    "step",
                    "rendered_at",
                    "render_seconds",
                ):
                    if fact in kept:
                        entry[fact] = kept[fact]
                entry["_old_thumbnail"] = os.path.basename(str(kept["thumbnail"]))
                entry["_old_preview"] = os.path.basename(str(kept["preview"]))
            units.append(unit)
            devices[profile.name]["units"].append(unit)
    return units, devices


def _place_kept(device: dict) -> None:
    """Move kept files (and previews) to their new names; two steps, so that swapping
    two clips' positions never overwrites one with the other."""
    folder = device["folder"]
    moves = []
    for unit in device["units"]:
        if unit.reuse_from is None:
            continue
        e = unit.entry
        for sub, old, new in (
            (FILES, unit.reuse_from, os.path.basename(e["file"])),
            (PREVIEWS, e.pop("_old_thumbnail"), os.path.basename(e["thumbnail"])),
            (PREVIEWS, e.pop("_old_preview"), os.path.basename(e["preview"])),
        ):
            if old != new:
                moves.append((os.path.join(folder, sub, old), os.path.join(folder, sub, new)))
    staged = []
    for n, (src, dst) in enumerate(moves):
        temp = os.path.join(os.path.dirname(src), f".holopack-move-{n}")
        os.replace(src, temp)
        staged.append((temp, dst))
    for temp, dst in staged:
        os.replace(temp, dst)


def _remove_stale(device: dict) -> list[str]:
    """Delete what the playlist no longer makes from files/ and previews/."""
    folder = device["folder"]
    wanted: dict[str, set[str]] = {FILES: set(), PREVIEWS: set()}
    for unit in device["units"]:
        wanted[FILES].add(os.path.basename(unit.entry["file"]))
        wanted[PREVIEWS].add(os.path.basename(unit.entry["thumbnail"]))
        wanted[PREVIEWS].add(os.path.basename(unit.entry["preview"]))
    removed = []
    for sub, names in wanted.items():
        path = os.path.join(folder, sub)
        if not os.path.isdir(path):
            continue
        for entry in os.scandir(path):
            if entry.name not in names:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.remove(entry.path)
                removed.append(f"{device['profile'].name}/{sub}/{entry.name}")
    return removed
