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

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import NoReturn

from ..atomic import atomic_output, check_output_path
from ..containment import check_output_not_input
from ..errors import ClusterError, HolopackError, InputError, OutputError
from ..interrupt import deferred
from .commit import (
    _commit_folder,
    _commit_walls,
    _copy_old_folder,
    _extract_old_zip,
    _refuse_planted_links,
    _remove_dead_staging,
    _zip_folder,
)
from .layout import FILES, MANIFEST, PREVIEWS, README
from .manifest import _manifest, _now, _readme, _top_readme
from .plan import _place_kept, _plan, _remove_stale
from .playlist import Playlist, load_playlist
from .run import _jobs_for, _run_jobs
from .zipsafe import is_package_zip


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
    wall_bytes: int = 0  # what the wall folders hold (fan files, wall.json, preview.mp4)

    def summary(self) -> str:
        devices = len(self.manifests)
        files = sum(len(m["items"]) for m in self.manifests.values())
        walls = f", {len(self.walls)} wall folder{'s' if len(self.walls) != 1 else ''}" if self.walls else ""
        made = f"{len(self.rendered)} rendered, {len(self.kept)} unchanged"
        if self.walls:  # a wall is exported whole on every run
            made += f", {len(self.walls)} wall{'s' if len(self.walls) != 1 else ''} exported"
        return (
            f"packed {files} file{'s' if files != 1 else ''} for {devices} device{'s' if devices != 1 else ''}{walls} into "
            f"{self.output} ({self.total_bytes + self.wall_bytes:,} bytes): {made}"
        )


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
    from ..wall.package import wall_items

    wall_items(playlist)  # a wall file's fault, or two items for one wall, before any render
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
    _prepare_device_folders(devices, report)

    to_render = [u for u in units if u.reuse_from is None]
    workers = max(1, min(jobs or os.cpu_count() or 1, len(to_render) or 1))
    results, failures = _run_jobs(
        _jobs_for(to_render, preview_frames, preview_size), workers, progress, executor
    )
    report.worker_summary = list(getattr(executor, "pack_summary", None) or [])
    _record_results(to_render, results, report)
    for uid, failure in failures.items():  # the manifest says what is missing (validate fails on it)
        for unit in to_render:
            if unit.uid == uid:
                unit.entry["_failed"] = str(failure)

    if not failures:
        from ..wall.package import pack_walls

        report.walls = pack_walls(playlist, root, progress)
        report.wall_bytes = sum(
            entry.stat().st_size
            for folder in report.walls
            for entry in os.scandir(os.path.join(root, folder))
            if entry.is_file(follow_symlinks=False)
        )
    _write_manifests(playlist, root, devices, report, remove_stale=not failures)

    # A first run that made no file at all leaves nothing behind: a package of zero files
    # would pass for a finished one. With something made, it is kept for the next run.
    made_nothing = failures and not report.rendered and not report.kept and not os.path.lexists(output)
    if zip_target is None and not made_nothing:
        with deferred():  # a signal now waits until the folder is whole
            _commit_folder(root, output, devices)
            _commit_walls(root, output, report.walls)
    if failures:
        _raise_failures(failures, units, playlist, committed=zip_target is None and not made_nothing)
    if zip_target is not None:
        _zip_folder(root, zip_target)  # written beside, renamed into place when whole
    return report


def _prepare_device_folders(devices: dict, report: PackReport) -> None:
    """Each device's files/ and previews/ folders with its kept files in place; every
    unit's absolute file path; the kept files in the report."""
    for name, device in devices.items():
        for sub in (FILES, PREVIEWS):
            os.makedirs(os.path.join(device["folder"], sub), exist_ok=True)
        _place_kept(device)
        for unit in device["units"]:
            unit.entry["_abs_file"] = os.path.join(device["folder"], unit.entry["file"])
            if unit.reuse_from is not None:
                report.kept.append((name, unit.file_name))


def _record_results(to_render: list, results: dict, report: PackReport) -> None:
    """The facts of each rendered file into its manifest entry and the report; an entry
    whose file failed loses its sha256 and bytes."""
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


def _write_manifests(playlist, root: str, devices: dict, report: PackReport, remove_stale: bool) -> None:
    """Each device's manifest and README (an unchanged manifest keeps its updated_at),
    the package's top README; stale files go first when ``remove_stale``."""
    for name, device in devices.items():
        report.removed += _remove_stale(device) if remove_stale else []
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


class PackInterrupted(KeyboardInterrupt):
    """Ctrl-C on a cluster run after some files were finished and put in the package:
    its text says so (the command line's "no output was written" was untrue there)."""


def _raise_failures(failures: dict, units: list, playlist, committed: bool = False) -> NoReturn:
    """One error for the files that failed: a fault of ours or a lost cluster as itself,
    else an OutputError or InputError listing every failed file. ``committed``: the
    files finished are in the package (a folder) for the re-run."""
    by_uid = {u.uid: u for u in units}
    lines = []
    for uid, failure in failures.items():
        unit = by_uid[uid]
        lines.append(f"{unit.item.label} for {unit.device}: {failure}")
    for failure in failures.values():
        if isinstance(failure, KeyboardInterrupt) and committed:
            done = len(units) - len(failures)
            raise PackInterrupted(
                f"the {done} file{'s' if done != 1 else ''} finished are kept in the package; "
                f"a re-run renders the other {len(failures)}"
            ) from None
        if not isinstance(failure, HolopackError):
            raise failure  # a fault of ours, not of the input: keep its type and traceback
    for failure in failures.values():
        if isinstance(failure, ClusterError):
            raise failure  # the scheduler was lost: one line; finished files are kept above
    first = failures[next(iter(failures))]
    cls = OutputError if isinstance(first, OutputError) else InputError
    message = lines[0] if len(lines) == 1 else "\n  ".join([f"{len(lines)} files failed:"] + lines)
    raise cls(message, playlist.path)
