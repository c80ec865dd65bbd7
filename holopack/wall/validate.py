"""``holopack validate DIR`` for a wall folder: every fan present, equal frames and fps,
names legal, sums right (the findings go into pack.validate's report)."""

from __future__ import annotations

import json
import os

from ..errors import InputError

WALL_JSON = "wall.json"


def is_wall_folder(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, WALL_JSON))


def check_wall_folder(report, folder: str, prefix: str = "") -> None:
    """Add the findings for the wall folder ``folder`` to ``report`` (a
    pack.validate.ValidationReport)."""
    where = prefix + WALL_JSON
    info = _read_wall_json(report, folder, where)
    if info is None:
        return
    fans, frames, fps = info["fans"], info["frames"], info["fps"]
    listed: set[str] = set()
    counts = {}
    for number, entry in enumerate(fans, start=1):
        name, file_name = entry.get("name"), entry.get("file")
        fan_where = prefix + (file_name if isinstance(file_name, str) else f"fan {number}")
        if (
            not isinstance(name, str)
            or not isinstance(file_name, str)
            or os.path.basename(file_name) != file_name
        ):
            report.add("error", fan_where, "the fan's name or file is missing or not a plain file name")
            continue
        listed.add(file_name)
        count = _check_wall_fan(report, entry, name, os.path.join(folder, file_name), fan_where, where, fps)
        if count is not None:
            counts[file_name] = count
            if count != frames:
                report.add("error", fan_where, f"holds {count} frames; the wall's fans hold {frames}")
    if len(set(counts.values())) == 1 and len(counts) == len(fans):
        report.add("ok", prefix.rstrip("/"), f"{len(fans)} fans in step: {frames} frames each at {fps:g} fps")
    folded = [n.lower() for n in listed]
    if len(set(folded)) != len(folded):
        report.add("error", where, "two fans share a file name")
    _check_wall_extras(report, info, folder, prefix, listed)


def _read_wall_json(report, folder: str, where: str) -> dict | None:
    """wall.json, or None (with the error added) when it cannot be read, lists no fans
    or gives no frame count and fps."""
    try:
        with open(os.path.join(folder, WALL_JSON), encoding="utf-8") as f:
            info = json.load(f)
    except (OSError, ValueError) as exc:
        report.add("error", where, f"cannot be read as JSON ({exc})")
        return None
    fans = info.get("fans") if isinstance(info, dict) else None
    if not isinstance(fans, list) or not fans or not all(isinstance(e, dict) for e in fans):
        report.add("error", where, "lists no fans")
        return None
    frames, fps = info.get("frames"), info.get("fps")
    if not isinstance(frames, int) or not isinstance(fps, (int, float)) or frames < 1 or fps <= 0:
        report.add("error", where, "gives no valid frame count and fps for the wall")
        return None
    return info


def _check_wall_fan(report, entry: dict, name: str, path: str, fan_where: str, where: str, fps) -> int | None:
    """One fan of wall.json: its device, its file's name, SHA-256 and rate. Returns the
    frames its file holds, or None when the file cannot be checked."""
    from ..device import load_profile, parse_profile
    from ..pack.analyse import scan
    from ..scene.sources import file_sha256
    from .layout import fan_file_name

    try:
        if isinstance(entry.get("profile_toml"), str):
            profile = parse_profile(entry["profile_toml"], f"{where} (fan {name!r}'s profile)")
        else:
            profile = load_profile(entry.get("device", ""))
    except InputError as exc:
        report.add("error", fan_where, f"fan {name!r}: unknown device ({exc.message})")
        return None
    try:
        legal = fan_file_name(name, profile)
    except InputError as exc:
        report.add("error", fan_where, f"fan {name!r}: {exc.message}")
        legal = None
    if legal is not None and legal != os.path.basename(path):
        report.add("error", fan_where, f"fan {name!r} should be in {legal} for {profile.name}")
    if not os.path.isfile(path):
        report.add("error", fan_where, f"fan {name!r}'s file is missing")
        return None
    report.files += 1
    if entry.get("sha256") != file_sha256(path):
        report.add("error", fan_where, "its SHA-256 does not match wall.json (the file was changed)")
    else:
        report.add("ok", fan_where, "SHA-256 matches wall.json")
    if entry.get("fps") != fps:
        report.add("error", fan_where, f"is listed at {entry.get('fps')} fps; the wall plays {fps:g} fps")
    try:
        facts = scan(path, profile, sample_limit=2)
    except InputError as exc:
        report.add("error", fan_where, f"cannot be read as a {profile.name} file: {exc.message}")
        return None
    if profile.kind == "polar" and abs(profile.fps - fps) > 0.01:  # the file holds no rate
        report.add("error", fan_where, f"was made for {fps:g} fps; {profile.name} plays {profile.fps:g} fps")
    if profile.kind == "video" and facts.fps and abs(facts.fps - fps) > 0.01:
        report.add("error", fan_where, f"plays at {facts.fps:g} fps; the wall plays {fps:g} fps")
    return facts.frames


def _check_wall_extras(report, info: dict, folder: str, prefix: str, listed: set[str]) -> None:
    """The preview as wall.json lists it; no file in the folder that belongs to no fan."""
    from ..scene.sources import file_sha256

    preview = info.get("preview")
    if isinstance(preview, dict) and isinstance(preview.get("file"), str):
        path = os.path.join(folder, os.path.basename(preview["file"]))
        if not os.path.isfile(path):
            report.add("warning", prefix + preview["file"], "the preview is missing")
        elif preview.get("sha256") != file_sha256(path):
            report.add("warning", prefix + preview["file"], "its SHA-256 does not match wall.json")
        listed.add(os.path.basename(preview["file"]))
    for entry in sorted(os.listdir(folder)):
        if entry not in listed and entry != WALL_JSON and os.path.isfile(os.path.join(folder, entry)):
            report.add("warning", prefix + entry, "is not in wall.json; it belongs to no fan")
