"""What a package says about itself: each device folder's manifest.json and the
README.txt files for the installer."""

from __future__ import annotations

import datetime as _dt
import json
import os

from .. import __version__
from .layout import MANIFEST, MANIFEST_FORMAT
from .playlist import Playlist


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def read_manifest(folder: str) -> dict | None:
    """A device folder's manifest, or None when it is missing or unreadable."""
    try:
        with open(os.path.join(folder, MANIFEST), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return None
    return data


def _is_shipped(profile) -> bool:
    from ..device.profile import PROFILE_DIR

    return os.path.dirname(os.path.abspath(profile.source)) == str(PROFILE_DIR)


def _public(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if not k.startswith("_")}


def _manifest(playlist: Playlist, name: str, device: dict) -> dict:
    profile = device["profile"]
    items = [_public(u.entry) for u in device["units"] if "sha256" in u.entry]
    # items whose file could not be made this run: listed so that the package does not
    # pass for complete (holopack validate fails on them); absent when every item was made
    failed = [
        {
            "index": u.entry["index"],
            "name": u.entry["name"],
            "file": u.entry["file"],
            "error": u.entry["_failed"],
        }
        for u in device["units"]
        if "sha256" not in u.entry and "_failed" in u.entry
    ]
    manifest = {
        "format": MANIFEST_FORMAT,
        "holopack": __version__,
        "device": profile.name,
        "device_description": profile.description,
        "device_format": profile.format,
        "profile_sha256": device["profile_sha256"],
        # a user's own profile travels with the package, so validate can check against it
        "profile_toml": None if _is_shipped(profile) else profile.text,
        "playlist": os.path.basename(playlist.path),
        "updated_at": _now(),
        "files": len(items),
        "total_bytes": sum(int(i["bytes"]) for i in items),
        "items": items,
    }
    if failed:
        manifest["failed"] = failed
    return manifest


def _install_text(profile, count: int) -> list[str]:
    if profile.kind == "polar":
        return [
            f"1. Copy the {count} file{'s' if count != 1 else ''} in the folder files/ to the ROOT of the "
            "fan's SD card (not into a folder on the card).",
            "2. Keep the names exactly as they are: the fan plays the files in the order of",
            "   their names (01_, 02_, ...) and skips files whose names it does not accept.",
            "3. Remove any other clips from the card first, or they play in between.",
        ]
    if "hypervsn" in profile.name.lower():
        return [
            f"1. Upload the {count} video{'s' if count != 1 else ''} in the folder files/ to the "
            "HYPERVSN platform,",
            "   in the order listed below (01_ first).",
            "2. Add them to the playlist of the device in that same order.",
        ]
    return [
        f"1. Copy the {count} video{'s' if count != 1 else ''} in the folder files/ to the root of the fan's "
        "SD card,",
        "   or upload them with the fan's app, in the order listed below (01_ first).",
    ]


def _readme(manifest: dict, profile) -> str:
    items = manifest["items"]
    lines = [
        f"{profile.description or profile.name}",
        f"Content package for device profile '{profile.name}', made by holopack {__version__}.",
        "",
        "WHAT TO DO",
        *_install_text(profile, len(items)),
        "",
        "PLAY ORDER",
    ]
    for entry in items:
        lines.append(
            f"  {os.path.basename(entry['file']):<16} {entry['name']:<24} "
            f"{entry.get('seconds', 0):7.2f} s  {entry.get('frames', 0):6d} frames  "
            f"{entry.get('bytes', 0):>13,} bytes"
        )
    mb = manifest["total_bytes"] / 1e6
    lines += [
        "",
        f"TOTAL: {len(items)} file{'s' if len(items) != 1 else ''}, {manifest['total_bytes']:,} "
        f"bytes ({mb:.1f} MB).",
        "",
        "The folder previews/ shows each clip as it will look (a picture and a short",
        "animation); it does not go on the device. manifest.json lists every file's size",
        "and SHA-256; check a copy with:  holopack validate <this folder>",
        "",
    ]
    return "\n".join(lines)


def _top_readme(playlist: Playlist, manifests: dict) -> str:
    lines = [
        f"holopack content package ({os.path.basename(playlist.path)})",
        "",
        "One folder per device; open the README.txt in the folder for your device.",
        "",
    ]
    for name, m in manifests.items():
        lines.append(
            f"  {name + '/':<20} {m['device_description']}  ({m['files']} files, {m['total_bytes']:,} bytes)"
        )
    lines.append("")
    return "\n".join(lines)
