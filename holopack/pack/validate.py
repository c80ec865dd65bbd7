"""holopack validate: check a device file, a device folder or a whole package.

Each check gives a Finding: "error" (the fan will not play it, or will play it
wrongly), "warning" (it plays, but something looks off) or "ok"/"info" (a measured
figure, for the report). A package or file passes when there are no errors.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field

from ..containment import check_regular, is_contained_reference, read_regular, resolve_reference, shorten
from ..errors import InputError
from ..formats.names import name_rule, position_of
from ..inspection import OUTSIDE_LIMIT
from ..scene.sources import file_sha256, profile_hash
from .analyse import LIT, Scan, scan
from .layout import FILES, MANIFEST, README
from .zipsafe import extract

_MAX_MANIFEST_BYTES = 64 << 20

# A fan's files hold no background colour; a video's may carry a little codec noise.
BRIGHTNESS_TOLERANCE = 6 / 255.0
NOTHING_LIT = 0.05  # a clip whose brightest point stays below this shows nothing
# The centre of the box of everything lit over the clip (holopack.rendering.centring, the
# measure export frames by), as a share of the radius from the circle's centre: beyond
# OFFCENTRE_WARN the subject looks off-centre; beyond OFFCENTRE_LIMIT a video fails.
# Export centres the box to within an LED or two (2-4 % of a 42-F2's radius).
OFFCENTRE_WARN = 0.1
OFFCENTRE_LIMIT = 0.3
RIM_LIMIT = 0.25  # share of the outermost LED ring lit: the subject is cut off by the circle
SEAM_FACTOR = 3.0  # a seam this many typical steps large is a visible jump
SEAM_FLOOR = 0.02
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov")


@dataclass
class Finding:
    level: str  # "error" | "warning" | "ok" | "info"
    where: str  # the file (relative to what was validated), or "" for the whole
    message: str


@dataclass
class ValidationReport:
    path: str
    findings: list = field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list:
        return [f for f in self.findings if f.level == "warning"]

    def add(self, level: str, where: str, message: str) -> None:
        self.findings.append(Finding(level, where, message))

    def text(self, verbose: bool = True) -> str:
        marks = {"error": "FAIL", "warning": "warn", "ok": " ok ", "info": "    "}
        lines = []
        for f in self.findings:
            if not verbose and f.level in ("ok", "info"):
                continue
            where = f"{f.where}: " if f.where else ""
            lines.append(f"[{marks[f.level]}] {where}{f.message}")
        verdict = "PASS" if self.ok else "FAIL"
        lines.append(
            f"{verdict}: {self.path}: {self.files} file{'s' if self.files != 1 else ''} checked, "
            f"{len(self.errors)} error{'s' if len(self.errors) != 1 else ''}, "
            f"{len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''}"
        )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "ok": self.ok,
            "files": self.files,
            "findings": [f.__dict__ for f in self.findings],
        }


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


# -- one device file ------------------------------------------------------------------
def check_file(
    report: ValidationReport,
    path: str,
    profile,
    where: str,
    expected: dict | None = None,
    check_name: bool = True,
) -> Scan | None:
    """Add the findings for one device file; ``expected`` is its manifest entry."""
    report.files += 1
    if check_name:
        _check_file_name(report, path, profile, where, expected)
    try:
        facts = scan(path, profile)
    except InputError as exc:
        report.add("error", where, f"cannot be read as a {profile.name} file: {exc.message}")
        return None
    if profile.kind == "polar":
        _check_polar_layout(report, path, profile, where, facts)
    else:
        _check_video_layout(report, path, profile, where, facts, expected)
    if facts.frames == 0:
        report.add("error", where, "holds no frames")
        return facts
    _check_frames(report, profile, where, facts, expected)
    _check_framing(report, profile, where, facts)
    _check_brightness(report, profile, where, facts)
    if facts.frames > 1:
        jump = facts.seam > max(SEAM_FACTOR * facts.step, SEAM_FLOOR)
        report.add(
            "warning" if jump else "info",
            where,
            f"loop seam: last vs first frame differ by {_pct(facts.seam)} (a typical frame step is "
            f"{_pct(facts.step)})" + ("; the loop visibly jumps" if jump else ""),
        )
    return facts


def _check_file_name(report: ValidationReport, path: str, profile, where: str, expected: dict | None) -> None:
    rule = name_rule(profile)
    for problem in rule.problems(os.path.basename(path), need_position=expected is not None):
        report.add("error", where, f"file name {problem}")
    # as export warns (formats.names.check_output_name): only fans that play a card's
    # files in name order (those with 8.3 names) need the position
    if expected is None and rule.max_stem and position_of(os.path.basename(path)) is None:
        report.add(
            "warning",
            where,
            "the name does not start with a play position (01_, 02_, ...); "
            "with several clips on a card the order is left to chance",
        )


def _check_polar_layout(report: ValidationReport, path: str, profile, where: str, facts: Scan) -> None:
    if facts.frame_shape and tuple(facts.frame_shape) != tuple(profile.codes_shape):
        report.add("error", where, f"frames are {facts.frame_shape}, the fan needs {profile.codes_shape}")
    else:
        report.add(
            "ok",
            where,
            f"layout: {profile.slices} slices x {profile.columns} LEDs, {os.path.getsize(path):,} bytes",
        )


def _check_video_layout(
    report: ValidationReport, path: str, profile, where: str, facts: Scan, expected: dict | None
) -> None:
    h, w = facts.frame_shape[:2] if facts.frame_shape else (0, 0)
    want = (expected or {}).get("size") or profile.video_size
    if h != w:
        report.add(
            "error",
            where,
            f"the video is {w}x{h}, not square: the fan shows a circle cut from a square picture",
        )
    elif h % 2:
        report.add("error", where, f"{w}x{h} is odd-sized; H.264 players need even sides")
    elif h != want:
        level = "error" if expected else "warning"
        report.add(
            level,
            where,
            f"the video is {w}x{h}; {'the manifest says' if expected else profile.name + ' expects'} "
            f"{want}x{want}",
        )
    else:
        report.add("ok", where, f"layout: {w}x{h} square video, {os.path.getsize(path):,} bytes")


def _check_frames(report: ValidationReport, profile, where: str, facts: Scan, expected: dict | None) -> None:
    """Frame count and rate, against the manifest and the device's longest clip."""
    polar = profile.kind == "polar"
    fps = float((expected or {}).get("fps") or profile.fps)
    if polar and abs(fps - profile.fps) > 0.01:
        report.add("error", where, f"was made for {fps:g} fps; {profile.name} plays {profile.fps:g} fps")
    if not polar and facts.fps and abs(facts.fps - fps) > 0.01:
        report.add("error", where, f"plays at {facts.fps:g} fps; {profile.name} plays {fps:g} fps")
    file_fps = facts.fps if (not polar and facts.fps) else fps
    seconds = facts.frames / file_fps
    if expected and expected.get("frames") is not None and int(expected["frames"]) != facts.frames:
        report.add("error", where, f"holds {facts.frames} frames; the manifest says {expected['frames']}")
    elif profile.max_seconds and seconds > profile.max_seconds + 1e-6:
        report.add(
            "error",
            where,
            f"{seconds:.1f} s is longer than {profile.name} plays ({profile.max_seconds:g} s at most)",
        )
    else:
        report.add("ok", where, f"{facts.frames} frames at {file_fps:g} fps ({seconds:.2f} s)")


def _check_framing(report: ValidationReport, profile, where: str, facts: Scan) -> None:
    """The subject inside the circle, the background black."""
    polar = profile.kind == "polar"
    if facts.background > LIT:
        report.add(
            "error",
            where,
            f"the background is not black (level {_pct(facts.background)} at the "
            f"{'rim' if polar else 'border'}): the fan shows it as a lit disc",
        )
    if polar:
        if facts.outside > RIM_LIMIT:
            report.add(
                "warning",
                where,
                f"{_pct(facts.outside)} of the outermost LEDs are lit: the subject "
                "runs into the edge of the circle",
            )
    elif facts.outside > OUTSIDE_LIMIT:
        report.add(
            "error",
            where,
            f"the subject is outside the fan's circle: {_pct(facts.outside)} of the "
            "corner pixels are lit, and the fan never shows the corners",
        )
    if facts.offcentre > OFFCENTRE_WARN:
        report.add(
            "error" if (not polar and facts.offcentre > OFFCENTRE_LIMIT) else "warning",
            where,
            f"the subject is off-centre: the centre of what is lit over the clip sits "
            f"{_pct(facts.offcentre)} of the radius from the middle of the circle",
        )
    if (
        facts.background <= LIT
        and facts.outside <= (RIM_LIMIT if polar else OUTSIDE_LIMIT)
        and facts.offcentre <= OFFCENTRE_WARN
    ):
        report.add(
            "ok",
            where,
            f"subject inside the circle on black (centre offset {_pct(facts.offcentre)}, "
            f"reach {_pct(facts.reach)} of the radius)",
        )


def _check_brightness(report: ValidationReport, profile, where: str, facts: Scan) -> None:
    if profile.kind == "polar":
        # dithering may lift a code one step above the limit's own code
        step = 1.0 / profile.max_code
        limit = min(1.0, profile.brightness_limit ** (1.0 / profile.gamma) + step) ** profile.gamma
    else:
        limit = profile.brightness_limit + BRIGHTNESS_TOLERANCE
    if facts.peak > limit + 1e-9:
        report.add(
            "error",
            where,
            f"peak brightness {_pct(facts.peak)} is above the device's limit "
            f"{_pct(profile.brightness_limit)}",
        )
    elif facts.peak < NOTHING_LIT:
        report.add("error", where, f"nearly black throughout (peak {_pct(facts.peak)}): nothing will show")
    else:
        report.add(
            "ok",
            where,
            f"brightness: peak {_pct(facts.peak)}, mean {_pct(facts.mean)} "
            f"(limit {_pct(profile.brightness_limit)})",
        )


# -- a device folder of a package -----------------------------------------------------
def check_device_folder(report: ValidationReport, folder: str, prefix: str = "") -> None:
    where = prefix.rstrip("/") or os.path.basename(os.path.normpath(folder))
    manifest_path = os.path.join(folder, MANIFEST)
    manifest = _read_manifest(report, manifest_path, where)
    if manifest is None:
        return
    profile = _manifest_profile(report, manifest, folder, where)
    if profile is None:
        return
    if not os.path.isfile(os.path.join(folder, README)):
        report.add("warning", where, f"no {README} for the installer")

    files_dir = os.path.join(folder, FILES)
    listed = []
    total = 0
    for number, entry in enumerate(manifest["items"], start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            report.add("error", where, f"{MANIFEST} item {number} names no file")
            continue
        name = os.path.basename(entry["file"])
        listed.append(name)
        total += _check_listed_file(report, entry, name, files_dir, manifest_path, profile, prefix)

    failed = manifest.get("failed")
    for entry in failed if isinstance(failed, list) else []:
        if isinstance(entry, dict):
            report.add(
                "error",
                prefix + shorten(str(entry.get("file", ""))) if entry.get("file") else where,
                f"item {entry.get('index', '?')} ({entry.get('name', '?')}) was not made "
                f"({shorten(str(entry.get('error', 'it failed')))}); fix it and run holopack pack again",
            )
    if not listed and not failed:
        report.add("error", where, "holds no files: the fan would play nothing")
    _check_play_order(report, listed, files_dir, profile, where, prefix)
    if manifest.get("total_bytes") is not None and manifest["total_bytes"] != total:
        report.add(
            "warning",
            where,
            f"the manifest's total_bytes ({manifest['total_bytes']:,}) is not the files' total ({total:,})",
        )
    # the folder is named after its profile: "3dcircle-42f2: 3 files", not the name twice
    named = "" if profile.name == os.path.basename(where) else f"{profile.name}: "
    report.add("info", where, f"{named}{len(listed)} files, {total:,} bytes")


def _read_manifest(report: ValidationReport, manifest_path: str, where: str) -> dict | None:
    """A device folder's manifest, or None (with the error added) when it is missing,
    unreadable or holds no list of items."""
    if not os.path.lexists(manifest_path):
        report.add("error", where, f"no {MANIFEST}")
        return None
    try:
        # read through the containment rule: a manifest is a plain file of the package
        resolve_reference(MANIFEST, manifest_path, "manifest")
        manifest = json.loads(read_regular(manifest_path, "manifest", limit=_MAX_MANIFEST_BYTES))
    except InputError as exc:
        report.add("error", where, f"{MANIFEST} cannot be read ({exc.message})")
        return None
    except (ValueError, RecursionError) as exc:
        report.add("error", where, f"{MANIFEST} is not readable JSON ({shorten(str(exc))})")
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("items"), list):
        report.add("error", where, f"{MANIFEST} has no list of items")
        return None
    return manifest


def _manifest_profile(report: ValidationReport, manifest: dict, folder: str, where: str):
    """The profile the manifest names (its own profile_toml, or a shipped profile), or
    None with the error added; a warning when the profile changed since packing."""
    from ..device import list_profiles, load_profile, parse_profile

    device = manifest.get("device") or os.path.basename(os.path.normpath(folder))
    try:
        if isinstance(manifest.get("profile_toml"), str):
            profile = parse_profile(
                manifest["profile_toml"], f"{where}/{MANIFEST} (profile {shorten(str(device))})"
            )
        elif isinstance(device, str) and device in list_profiles():
            profile = load_profile(device)  # shipped profiles only, never a path
        else:
            raise InputError(
                f"{shorten(str(device))!r} is not a shipped profile and the manifest carries no profile_toml"
            )
    except InputError as exc:
        report.add("error", where, f"the manifest's device: {exc}")
        return None
    if manifest.get("profile_sha256") and manifest["profile_sha256"] != profile_hash(profile):
        report.add(
            "warning",
            where,
            f"the {profile.name} profile has changed since this package was made; "
            "re-run holopack pack to bring it up to date",
        )
    return profile


def _check_listed_file(
    report: ValidationReport, entry: dict, name: str, files_dir: str, manifest_path: str, profile, prefix: str
) -> int:
    """One file the manifest lists: there, inside the package, its size and SHA-256 as
    listed, the file itself, its previews. Returns its size (0 when it is not there)."""
    file_where = f"{prefix}{FILES}/{shorten(name)}"
    path = os.path.join(files_dir, name)
    if not os.path.lexists(path) or "\0" in name:
        report.add("error", file_where, "is listed in the manifest but missing")
        return 0
    try:  # inside the package, a plain file (not a link out of it, not a device)
        resolve_reference(f"{FILES}/{name}", manifest_path, "file")
    except InputError as exc:
        report.add("error", file_where, exc.message)
        return 0
    size = os.path.getsize(path)
    if size != entry.get("bytes"):
        report.add(
            "error",
            file_where,
            f"is {size:,} bytes; the manifest says {entry.get('bytes', 0):,} (truncated or replaced?)",
        )
    elif file_sha256(path) != entry.get("sha256"):
        report.add("error", file_where, "its SHA-256 does not match the manifest (the file was changed)")
    else:
        report.add("ok", file_where, "size and SHA-256 match the manifest")
    check_file(report, path, profile, file_where, expected=entry)
    for key in ("thumbnail", "preview"):
        named = entry.get(key)
        if not isinstance(named, str) or not is_contained_reference(named, manifest_path):
            shown = shorten(named) if isinstance(named, str) and named else "none"
            report.add("warning", file_where, f"its {key} ({shown}) is missing")
    return size


def _check_play_order(
    report: ValidationReport, listed: list[str], files_dir: str, profile, where: str, prefix: str
) -> None:
    """The names' byte order is the manifest's order 01, 02, ...; no file beside the
    listed ones (the fan would play it too)."""
    positions = [position_of(n) for n in listed]
    if listed and (sorted(listed) != listed or positions != list(range(1, len(listed) + 1))):
        report.add(
            "error",
            where,
            "the files' names do not give the play order 01, 02, ... in the "
            f"manifest's order: {', '.join(listed)}",
        )
    if os.path.isdir(files_dir) and not os.path.islink(files_dir):
        rule = name_rule(profile)
        for entry in sorted(os.listdir(files_dir)):
            if entry not in listed:
                problems = rule.problems(entry)
                hint = f" (and its name {problems[0]})" if problems else ""
                report.add(
                    "error",
                    f"{prefix}{FILES}/{shorten(entry)}",
                    f"is not in the manifest{hint}; the fan would play it too",
                )
    elif listed:
        report.add("error", where, f"no {FILES}/ folder")


# -- entry point ----------------------------------------------------------------------
def _guess_profile(path: str):
    from ..device import load_profile

    suffix = os.path.splitext(path)[1].lower()
    if suffix in VIDEO_SUFFIXES:
        return load_profile("mp4-fan"), "no --device given: checked as a square MP4 for mp4-fan"
    from ..formats.fanfile import open_fan_file

    profile = open_fan_file(path).profile
    return profile, f"recognised as a {profile.name} file"


def validate(path: str, device=None) -> ValidationReport:
    """Check ``path``: a device file (against ``device`` or the device its layout
    shows), a device folder with a manifest, a whole package folder, or a package .zip."""
    from ..device import load_profile

    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError("no such file or folder", path)
    report = ValidationReport(path=path)
    if os.path.isfile(path) and path.lower().endswith(".zip"):
        check_regular(path, "package")
        with tempfile.TemporaryDirectory(prefix="holopack-validate-") as folder:
            for name in extract(path, folder):
                report.add("error", shorten(name), "unsafe path in the zip (not unpacked)")
            _validate_folder(report, folder)
        return report
    if os.path.isdir(path):
        _validate_folder(report, path)
        return report
    check_regular(path, "file")
    if device is not None:
        profile = load_profile(device)
        note = f"checked against {profile.name}"
    else:
        profile, note = _guess_profile(path)
    report.add("info", "", note)
    check_file(report, path, profile, os.path.basename(path))
    return report


def _validate_folder(report: ValidationReport, folder: str) -> None:
    from ..wall.validate import check_wall_folder, is_wall_folder

    if os.path.isfile(os.path.join(folder, MANIFEST)):
        check_device_folder(report, folder)
        return
    if is_wall_folder(folder):
        check_wall_folder(report, folder)
        return
    devices = sorted(
        e.name
        for e in os.scandir(folder)
        if e.is_dir(follow_symlinks=False) and os.path.isfile(os.path.join(e.path, MANIFEST))
    )
    walls = sorted(e.name for e in os.scandir(folder) if e.is_dir() and is_wall_folder(e.path))
    for name in walls:
        check_wall_folder(report, os.path.join(folder, name), prefix=f"{name}/")
    if not devices and walls:
        return
    if not devices:
        raise InputError(f"not a holopack package: no {MANIFEST} here or in a device folder", report.path)
    for name in devices:
        check_device_folder(report, os.path.join(folder, name), prefix=f"{name}/")
