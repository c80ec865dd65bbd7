"""holopack pack: a playlist rendered into a content package for one or more fans.

Layout of a package (a folder, or the same tree in a .zip)::

    README.txt                      which folder is for which fan
    <device>/README.txt             for the installer: what goes where, in which order
    <device>/manifest.json          per clip: source hash, settings, frames, size, SHA-256
    <device>/files/01_TWIN.BIN      the device files, named and ordered by the fan's rules
    <device>/previews/01_TWIN.png   thumbnail and short GIF of what a viewer sees
    <device>/previews/01_TWIN.gif

holopack owns files/ and previews/: anything there that the playlist no longer makes
is removed, because a fan plays whatever lies on its card.

Incremental: each file is cached under a content key (the input files' SHA-256, the
item's settings, the device profile's values and the holopack version). A re-run
keeps every file whose key is unchanged and whose bytes still match the manifest, and
renders only the rest, one file per worker process.
"""

from __future__ import annotations

import concurrent.futures as futures
import datetime as _dt
import json
import multiprocessing
import os
import queue as _queue
import re
import shutil
import stat
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field

from .. import __version__
from ..atomic import atomic_output, check_output_path
from ..containment import check_file_name, check_output_not_input, outside_files_allowed
from ..errors import ClusterError, HolopackError, InputError, OutputError
from ..formats.names import name_rule
from ..interrupt import deferred
from ..scene.sources import content_key, file_sha256, profile_hash, source_hash
from .layout import MANIFEST, MANIFEST_FORMAT
from .lifeline import end_workers
from .playlist import Playlist, load_playlist
from .safe_tree import copy_file_from, move_into, open_dir, read_file_at, remove_file_at
from .zipsafe import extract, is_package_zip, list_entries, read_member

FILES = "files"
PREVIEWS = "previews"
README = "README.txt"


@dataclass
class PackReport:
    """What a pack run did. ``rendered`` / ``kept``: [(device, file name)]."""

    output: str
    rendered: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    workers: dict = field(default_factory=dict)  # file -> (process id, Numba threads) it rendered in
    worker_summary: list = field(default_factory=list)  # on a cluster: one line per worker
    manifests: dict = field(default_factory=dict)  # device -> manifest dict
    total_bytes: int = 0
    walls: list = field(default_factory=list)  # wall folders written (holopack.wall.package)

    def summary(self) -> str:
        devices = len(self.manifests)
        files = sum(len(m["items"]) for m in self.manifests.values())
        walls = f", {len(self.walls)} wall folder{'s' if len(self.walls) != 1 else ''}" if self.walls else ""
        return (
            f"packed {files} files for {devices} device{'s' if devices != 1 else ''}{walls} into "
            f"{self.output} ({self.total_bytes:,} bytes): {len(self.rendered)} rendered, "
            f"{len(self.kept)} unchanged"
        )


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


def _write_text(path: str, text: str) -> None:
    """Write atomically; leave the file alone when it already says exactly this."""
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except (OSError, ValueError):
        pass
    with atomic_output(path) as temp:
        with open(temp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)


def device_folder_name(profile_name: str) -> str:
    """A profile's name as a safe folder name (a user profile may call itself anything)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", profile_name).strip("._") or "device"
    return name


def _is_package_or_empty(folder: str) -> bool:
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return True
    if not entries:
        return True
    return any(
        e.is_dir()
        and (
            os.path.isfile(os.path.join(e.path, MANIFEST))
            or os.path.isfile(os.path.join(e.path, "wall.json"))
        )
        for e in entries
    )


# -- planning -------------------------------------------------------------------------
@dataclass
class _Unit:
    """One device file: an item on a device."""

    uid: str
    device: str  # profile name (the folder)
    device_arg: str  # what load_profile takes (a name or a .toml path)
    item: object
    file_name: str
    key: str
    entry: dict  # the manifest entry, filled in as the file is made or kept
    reuse_from: str | None = None  # the existing file to keep (maybe under an old name)


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
    count = len(playlist.items)
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
        for item in playlist.items:
            if item.wall:
                continue  # a wall item goes to its wall's folder (pack_walls)
            if item.input not in sources:
                sources[item.input] = source_hash(item.input)
            src_sha, src_files = sources[item.input]
            settings = item.settings_dict()
            key = content_key(src_sha, settings, psha, __version__)
            name = rule.file_name(item.index, count, item.name)
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
            unit = _Unit(
                uid=f"{profile.name}/{name}",
                device=profile.name,
                device_arg=device_arg,
                item=item,
                file_name=name,
                key=key,
                entry=entry,
            )
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
    wanted = {FILES: set(), PREVIEWS: set()}
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


# -- rendering ------------------------------------------------------------------------
class _CombinedProgress:
    """One progress line on stderr for all workers: frames done of the frames known so
    far. Off a terminal, one line per finished file instead, so logs stay short."""

    def __init__(self, files: int, enabled: bool, stream=None):
        from ..progress import Progress

        self.files = files
        self.finished = 0
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and files > 0
        self.bar = Progress(0, label=self._label(), stream=self.stream, enabled=self.enabled)

    def _label(self) -> str:
        return f"pack {self.finished}/{self.files} files"

    def message(self, msg) -> None:
        kind, unit, value = msg
        if kind == "start":
            self.totals[unit] = int(value)
            self.done[unit] = 0
            self.bar.total = sum(self.totals.values())
        else:
            self.done[unit] = int(value)
        if self.bar.tty:
            self._draw()

    def file_done(self, unit: str, failed: bool = False) -> None:
        self.finished += 1
        if unit in self.totals:
            self.done[unit] = self.totals[unit]
        if self.bar.tty:
            self._draw()
        elif self.enabled:
            state = "FAILED" if failed else f"{self.totals.get(unit, 0)} frames"
            self.stream.write(f"pack {self.finished}/{self.files}: {unit} ({state})\n")
            self.stream.flush()

    def _draw(self) -> None:
        self.bar.label = self._label()
        self.bar.update(sum(self.done.values()))

    def finish(self) -> None:
        if self.bar.tty:
            self.bar.label = self._label()
            self.bar.finish()


def _jobs_for(units: list[_Unit], preview_frames: int, preview_size: int) -> list[dict]:
    jobs = []
    for unit in units:
        device_folder = os.path.dirname(os.path.dirname(unit.entry["_abs_file"]))
        jobs.append(
            {
                "unit": unit.uid,
                "device": unit.device_arg,
                "input": unit.item.input,
                "output": unit.entry["_abs_file"],
                "settings": unit.item.export_settings(unit.device_arg),
                "thumbnail": os.path.join(device_folder, unit.entry["thumbnail"]),
                "preview": os.path.join(device_folder, unit.entry["preview"]),
                "preview_frames": preview_frames,
                "preview_size": preview_size,
                "allow_outside_files": outside_files_allowed(),
            }
        )
    return jobs


def _run_jobs(jobs: list[dict], workers: int, progress: bool, executor=None) -> tuple[dict, dict]:
    """Run the jobs; returns ({unit: facts}, {unit: exception})."""
    from .worker import init_worker, render_unit

    if executor is not None:  # a cluster (holopack.cluster)
        from ..cluster.pack_units import run_pack_jobs

        results, failures, summary = run_pack_jobs(executor, jobs, progress)
        executor.pack_summary = summary
        return results, failures

    results: dict = {}
    failures: dict = {}
    display = _CombinedProgress(len(jobs), progress)
    if not jobs:
        return results, failures
    if workers <= 1:
        q: _queue.Queue = _queue.Queue()

        def drain():
            while True:
                try:
                    display.message(q.get_nowait())
                except _queue.Empty:
                    return

        for job in jobs:
            try:
                results[job["unit"]] = render_unit(job, q)
            except Exception as exc:  # as in a worker: reported per file after the rest
                failures[job["unit"]] = exc
            drain()
            display.file_done(job["unit"], failed=job["unit"] in failures)
        display.finish()
        return results, failures

    # spawn: a fresh interpreter per worker, so NUMBA_NUM_THREADS=1 holds from its start
    context = multiprocessing.get_context("spawn")
    progress_queue = context.Queue()
    saved = os.environ.get("NUMBA_NUM_THREADS")
    os.environ["NUMBA_NUM_THREADS"] = "1"
    try:
        with futures.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=init_worker,
            initargs=(progress_queue, os.getpid()),
        ) as pool:
            try:
                pending = {pool.submit(render_unit, job): job["unit"] for job in jobs}
                if saved is None:
                    os.environ.pop("NUMBA_NUM_THREADS", None)
                else:
                    os.environ["NUMBA_NUM_THREADS"] = saved
                saved = False
                while pending:
                    done, _ = futures.wait(pending, timeout=0.1, return_when=futures.FIRST_COMPLETED)
                    _drain(progress_queue, display)
                    for fut in done:
                        unit = pending.pop(fut)
                        try:
                            results[unit] = fut.result()
                        except futures.process.BrokenProcessPool as exc:
                            failures[unit] = OutputError(f"a worker process died ({exc}); out of memory?")
                        except Exception as exc:  # reported per file below, after the others finish
                            failures[unit] = exc
                        display.file_done(unit, failed=unit in failures)
                _drain(progress_queue, display)
            except BaseException:
                # interrupted: the workers stop now, not after their current file
                end_workers(getattr(pool, "_processes", {}).values())
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        if saved is not False:
            if saved is None:
                os.environ.pop("NUMBA_NUM_THREADS", None)
            else:
                os.environ["NUMBA_NUM_THREADS"] = saved
        progress_queue.close()
    display.finish()
    return results, failures


def _drain(progress_queue, display) -> None:
    while True:
        try:
            display.message(progress_queue.get_nowait())
        except (_queue.Empty, OSError, EOFError, ValueError):
            return


# -- writing --------------------------------------------------------------------------
def _is_shipped(profile) -> bool:
    from ..device.profile import PROFILE_DIR

    return os.path.dirname(os.path.abspath(profile.source)) == str(PROFILE_DIR)


def _public(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if not k.startswith("_")}


def _manifest(playlist: Playlist, name: str, device: dict) -> dict:
    profile = device["profile"]
    items = [_public(u.entry) for u in device["units"] if "sha256" in u.entry]
    return {
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


def _zip_folder(folder: str, target: str) -> None:
    with atomic_output(target) as temp:
        with zipfile.ZipFile(temp, "w") as zf:
            for base, dirs, files in os.walk(folder):
                dirs.sort()
                for name in sorted(files):
                    full = os.path.join(base, name)
                    arc = os.path.relpath(full, folder).replace(os.sep, "/")
                    # Device files and text compress well (black is zeros); media is already packed.
                    packed = name.lower().endswith((".mp4", ".gif", ".png"))
                    zf.write(full, arc, compress_type=zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED)


def _listed_names(manifest: dict) -> set[str]:
    """The package paths (relative to the device folder) a manifest lists: its files and
    previews. Only these are carried over or cleaned; nothing else is touched."""
    out = set()
    for entry in manifest.get("items", []):
        if not isinstance(entry, dict):
            continue
        for key, sub in (("file", FILES), ("thumbnail", PREVIEWS), ("preview", PREVIEWS)):
            value = entry.get(key)
            if isinstance(value, str):
                name = value.rsplit("/", 1)[-1]
                if value == f"{sub}/{name}" and _plain(name):
                    out.add(f"{sub}/{name}")
    return out


def _plain(name: str) -> bool:
    try:
        check_file_name(name, "name")
        return True
    except InputError:
        return False


def _extract_old_zip(path: str, folder: str) -> None:
    """Unpack an earlier package's listed files, so that its unchanged files can be kept;
    nothing else in it (a stranger's photo) reaches the new package."""
    wanted = set()
    for info in list_entries(path):
        parts = info.filename.split("/")
        if len(parts) == 2 and parts[1] == MANIFEST and _plain(parts[0]):
            try:
                manifest = json.loads(read_member(path, info.filename) or b"null")
            except (InputError, ValueError, RecursionError):
                continue
            if isinstance(manifest, dict) and manifest.get("format") == MANIFEST_FORMAT:
                wanted.add(info.filename)
                wanted |= {f"{parts[0]}/{name}" for name in _listed_names(manifest)}
    extract(path, folder, wanted=wanted.__contains__)


def _copy_old_folder(output: str, folder: str) -> None:
    """Copy an earlier package folder's manifests and listed files into ``folder`` (our
    staging), reading through directory handles that never follow a symlink: a link
    planted inside the package is not followed, it is left where it is."""
    try:
        root = open_dir(output)
    except OSError:
        return
    try:
        for name in os.listdir(root):
            if not _plain(name):
                continue
            try:
                device = open_dir(name, root)
            except OSError:
                continue  # not a folder, or a symlink: not ours
            try:
                data = read_file_at(device, MANIFEST, limit=64 << 20)
                manifest = json.loads(data) if data is not None else None
                if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
                    continue
                target = os.path.join(folder, name)
                os.makedirs(os.path.join(target, FILES), exist_ok=True)
                os.makedirs(os.path.join(target, PREVIEWS), exist_ok=True)
                for rel in _listed_names(manifest):
                    sub, base = rel.split("/")
                    copy_file_from(device, sub, base, os.path.join(target, sub, base))
                for base in (MANIFEST, README):
                    copy_file_from(device, None, base, os.path.join(target, base))
            except (ValueError, RecursionError):
                continue
            finally:
                os.close(device)
        copy_file_from(root, None, README, os.path.join(folder, README))
    finally:
        os.close(root)


def _commit_folder(staged: str, output: str, devices: dict) -> None:
    """Move the finished package from staging into ``output``, device by device, through
    directory handles (no symlink inside the package is followed): new files first, then
    the files the old manifest listed and the new one does not are removed, then the
    manifest and README last. A device folder new to the package moves in whole."""
    os.makedirs(output, exist_ok=True)
    root = open_dir(output)
    try:
        for _name, device in devices.items():
            folder_name = os.path.basename(device["folder"])
            source = os.path.join(staged, folder_name)
            try:
                target = open_dir(folder_name, root)
            except FileNotFoundError:
                os.rename(source, folder_name, dst_dir_fd=root)
                continue
            except OSError:
                raise OutputError(
                    f"{folder_name} in the package is not a plain folder (a "
                    "symlink?); holopack does not write through it",
                    output,
                ) from None
            sub_fds: dict[str, int] = {}
            try:
                for sub in (FILES, PREVIEWS):  # all checked before anything moves
                    try:
                        sub_fds[sub] = open_dir(sub, target, create=True)
                    except OSError:
                        raise OutputError(
                            f"{folder_name}/{sub} in the package is not a plain "
                            "folder (a symlink?); holopack does not write through "
                            "it",
                            output,
                        ) from None
                old = device["old"] or {}
                new_names = set()
                for sub, sub_fd in sub_fds.items():
                    for base in sorted(os.listdir(os.path.join(source, sub))):
                        new_names.add(f"{sub}/{base}")
                        move_into(os.path.join(source, sub, base), sub_fd, base)
                for rel in sorted(_listed_names(old) - new_names):
                    sub, base = rel.split("/")
                    remove_file_at(target, sub, base)
                for base in (README, MANIFEST):
                    move_into(os.path.join(source, base), target, base)
            finally:
                for sub_fd in sub_fds.values():
                    os.close(sub_fd)
                os.close(target)
        move_into(os.path.join(staged, README), root, README)
    finally:
        os.close(root)


def _commit_walls(staged: str, output: str, walls: list[str]) -> None:
    """Move each finished wall folder from staging into ``output`` whole (its fans' files
    play together, so a wall is replaced as one): an earlier folder of the same name is
    moved aside into staging first, and a symlink there is refused, never followed."""
    if not walls:
        return
    root = open_dir(output)
    try:
        for name in walls:
            check_file_name(name, "wall folder")
            try:
                mode = os.stat(name, dir_fd=root, follow_symlinks=False).st_mode
            except FileNotFoundError:
                mode = None
            if mode is not None:
                if not stat.S_ISDIR(mode):
                    raise OutputError(
                        f"{name} in the package is not a plain folder (a symlink?); holopack does "
                        "not write through it",
                        output,
                    )
                os.rename(name, os.path.join(staged, f".replaced-{name}"), src_dir_fd=root)
            os.rename(os.path.join(staged, name), name, dst_dir_fd=root)
    finally:
        os.close(root)


def _refuse_planted_links(output: str) -> None:
    """Before any rendering: a device folder, files/ or previews/ of the package that is a
    symlink is refused (exit 1); holopack never writes through one."""
    for entry in os.scandir(output):
        if entry.is_symlink() and os.path.isfile(os.path.join(entry.path, MANIFEST)):
            raise OutputError(
                f"{entry.name} in the package is a symlink; holopack does not write through it", output
            )
        if entry.is_dir(follow_symlinks=False):
            for sub in (FILES, PREVIEWS):
                if os.path.islink(os.path.join(entry.path, sub)):
                    raise OutputError(
                        f"{entry.name}/{sub} in the package is a symlink; holopack does not write through it",
                        output,
                    )


def _remove_dead_staging(parent: str, prefix: str) -> None:
    """Remove staging folders of earlier runs for this output whose process is gone (a
    run killed with SIGKILL cannot clean up after itself)."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(prefix) or not entry.is_dir(follow_symlinks=False):
            continue
        pid_text = entry.name[len(prefix) :].split("-", 1)[0]
        if not pid_text.isdigit():
            continue
        try:
            os.kill(int(pid_text), 0)
            continue  # still running: another pack of the same output
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError, ValueError):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)


# -- the entry point ------------------------------------------------------------------
def pack(
    playlist,
    output: str,
    *,
    jobs: int | None = None,
    progress: bool = True,
    preview_frames: int = 24,
    preview_size: int = 240,
    force: bool = False,
    executor=None,
) -> PackReport:
    """Render ``playlist`` (a path or a Playlist) into the package ``output``: a folder,
    or a .zip when the name ends in .zip. ``jobs``: worker processes (default: all
    cores); ``force`` renders everything even if unchanged; ``executor``: render on its
    workers instead (holopack.cluster.connect: a Dask cluster)."""
    if not isinstance(playlist, Playlist):
        playlist = load_playlist(playlist)
    output = os.fspath(output)
    if not output:
        raise InputError("no output given (-o OUT_DIR or -o OUT.zip)")
    check_output_path(output)
    check_output_not_input(
        output,
        [playlist.path]
        + [item.input for item in playlist.items]
        + [d for d in playlist.devices if d.endswith(".toml")],
    )
    as_zip = output.lower().endswith(".zip")
    if as_zip and os.path.isdir(output):
        raise OutputError("is a folder; a .zip package needs a file name", output)
    if not as_zip and os.path.isfile(output):
        raise OutputError("is a file; give a folder name (or a name ending in .zip)", output)
    if as_zip and os.path.lexists(output) and not (os.path.isfile(output) and is_package_zip(output)):
        raise InputError(
            "is not a holopack package; holopack replaces only a package it made (give a new name)", output
        )
    if not as_zip and os.path.isdir(output) and not _is_package_or_empty(output):
        raise OutputError(
            "this folder holds other things and no holopack package; give a new or "
            "empty folder, or an earlier package to update",
            output,
        )
    if not as_zip and os.path.isdir(output):
        _refuse_planted_links(output)
    # Everything is made in a staging folder of our own beside the output and moved in
    # at the end: an interrupted run leaves the previous package as it was (or nothing).
    parent = os.path.dirname(os.path.abspath(output))
    prefix = f".{os.path.basename(os.path.abspath(output))}.holopack-"
    _remove_dead_staging(parent, prefix)
    try:
        staging = tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent)
    except OSError as exc:
        raise OutputError(f"cannot write here ({exc.strerror})", output) from None
    try:
        root = os.path.join(staging, "package")
        os.mkdir(root)
        if not force:
            if as_zip and os.path.isfile(output):
                _extract_old_zip(output, root)
            elif not as_zip and os.path.isdir(output):
                _copy_old_folder(output, root)
        return _pack_into(
            playlist,
            root,
            output,
            jobs,
            progress,
            preview_frames,
            preview_size,
            force,
            zip_target=output if as_zip else None,
            executor=executor,
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _pack_into(
    playlist, root, output, jobs, progress, preview_frames, preview_size, force, zip_target, executor=None
):
    try:
        os.makedirs(root, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the package folder ({exc.strerror})", output) from None
    units, devices = _plan(playlist, root)
    if force:
        for unit in units:
            unit.reuse_from = None
    report = PackReport(output=output)
    for name, device in devices.items():
        for sub in (FILES, PREVIEWS):
            os.makedirs(os.path.join(device["folder"], sub), exist_ok=True)
        _place_kept(device)
        for unit in device["units"]:
            unit.entry["_abs_file"] = os.path.join(device["folder"], unit.entry["file"])
            if unit.reuse_from is not None:
                report.kept.append((name, unit.file_name))

    to_render = [u for u in units if u.reuse_from is None]
    workers = max(1, min(jobs or os.cpu_count() or 1, len(to_render) or 1))
    results, failures = _run_jobs(
        _jobs_for(to_render, preview_frames, preview_size), workers, progress, executor
    )
    report.worker_summary = list(getattr(executor, "pack_summary", None) or [])
    stamp = _now()
    for unit in to_render:
        facts = results.get(unit.uid)
        if facts is None:
            for key in ("sha256", "bytes"):
                unit.entry.pop(key, None)
            continue
        for fact in ("frames", "fps", "seconds", "size", "format", "bytes", "sha256", "seam", "step"):
            unit.entry[fact] = facts[fact]
        unit.entry["rendered_at"] = stamp
        unit.entry["render_seconds"] = facts["render_seconds"]
        report.workers[unit.uid] = (facts["pid"], facts["numba_threads"])
        report.rendered.append((unit.device, unit.file_name))

    if not failures:
        from ..wall.package import pack_walls

        report.walls = pack_walls(playlist, root, progress)
    for name, device in devices.items():
        report.removed += _remove_stale(device) if not failures else []
        manifest = _manifest(playlist, name, device)
        old = device["old"]
        if old and {k: v for k, v in old.items() if k != "updated_at"} == {
            k: v for k, v in manifest.items() if k != "updated_at"
        }:
            manifest["updated_at"] = old.get("updated_at", manifest["updated_at"])  # nothing changed
        _write_text(os.path.join(device["folder"], MANIFEST), json.dumps(manifest, indent=2) + "\n")
        _write_text(os.path.join(device["folder"], README), _readme(manifest, device["profile"]))
        report.manifests[name] = manifest
        report.total_bytes += manifest["total_bytes"]
    _write_text(os.path.join(root, README), _top_readme(playlist, report.manifests))

    if zip_target is None:
        with deferred():  # a signal now waits until the folder is whole
            _commit_folder(root, output, devices)
            _commit_walls(root, output, report.walls)
    if failures:
        by_uid = {u.uid: u for u in units}
        lines = []
        for uid, exc in failures.items():
            unit = by_uid[uid]
            lines.append(f"{unit.item.label} for {unit.device}: {exc}")
        for exc in failures.values():
            if not isinstance(exc, HolopackError):
                raise exc  # a fault of ours, not of the input: keep its type and traceback
        for exc in failures.values():
            if isinstance(exc, ClusterError):
                raise exc  # the scheduler was lost: one line; finished files are kept above
        first = failures[next(iter(failures))]
        cls = OutputError if isinstance(first, OutputError) else InputError
        message = lines[0] if len(lines) == 1 else "\n  ".join([f"{len(lines)} files failed:"] + lines)
        raise cls(message, playlist.path)
    if zip_target is not None:
        _zip_folder(root, zip_target)  # written beside, renamed into place when whole
    return report
