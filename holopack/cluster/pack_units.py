"""A playlist's files rendered on a cluster: one task per (item, device).

The worker renders the file, reads it back for its previews and statistics (as
``pack -j`` does in a local process) and returns the bytes of the file and its two
previews, zlib-compressed. The client alone writes them, each atomically, checks
each file against the SHA-256 the worker computed, and then writes the manifest and
the incremental cache as for a local run. At most ``window`` files are in flight or
waiting to be written, so memory stays flat in the number of items.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
import zlib
from dataclasses import replace

from ..atomic import atomic_output
from ..errors import ClusterError, OutputError
from ..interrupt import deferred
from .chunks import ZLIB_LEVEL
from .executors import Executor, unordered
from .inputs import DISK_FULL, materialise, unwritable, worker_name
from .progress import RunProgress

WINDOW_PER_SLOT = 2
BLOBS = ("file_data", "thumbnail_data", "preview_data")


def render_pack_unit(job: dict, ref) -> dict:
    """On a worker: one package file and its previews, made in a private temporary
    folder. Returns the manifest facts with the three files' bytes (zlib) in BLOBS."""
    from ..pack.worker import render_unit

    started = time.perf_counter()
    try:
        folder = tempfile.mkdtemp(prefix="holopack-unit-")
    except OSError as exc:
        raise unwritable(tempfile.gettempdir(), exc) from None
    try:
        local = dict(
            job,
            input=materialise(ref),
            output=os.path.join(folder, os.path.basename(job["output"])),
            thumbnail=os.path.join(folder, "thumbnail-" + os.path.basename(job["thumbnail"])),
            preview=os.path.join(folder, "preview-" + os.path.basename(job["preview"])),
        )
        try:
            facts = render_unit(local, None)
        except OSError as exc:
            if exc.errno not in DISK_FULL:  # a picture PIL cannot read is an OSError too
                raise
            raise unwritable(tempfile.gettempdir(), exc) from None  # the worker's fault, not the input's
        for blob, key in zip(BLOBS, ("output", "thumbnail", "preview")):
            path = local[key]
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    facts[blob] = zlib.compress(f.read(), ZLIB_LEVEL)
            else:
                facts[blob] = None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    facts["pid"] = worker_name()  # the report's "who rendered it"
    facts["task_seconds"] = time.perf_counter() - started  # render, read-back and previews
    return facts


def _write(path: str, data: bytes) -> None:
    with atomic_output(path) as temp:
        with open(temp, "wb") as f:
            f.write(data)


def _keep(job: dict, facts: dict, results: dict, failures: dict) -> None:
    """Write a finished unit's file and previews and record it in ``results``, or its
    fault in ``failures``."""
    unit = job["unit"]
    try:
        data = zlib.decompress(facts["file_data"])
        if hashlib.sha256(data).hexdigest() != facts["sha256"]:
            raise OutputError("the file came back from the worker damaged (SHA-256 differs)", job["output"])
        _write(job["output"], data)
        for blob, key in (("thumbnail_data", "thumbnail"), ("preview_data", "preview")):
            if facts.get(blob) is not None:
                _write(job[key], zlib.decompress(facts[blob]))
    except Exception as exc:
        failures[unit] = exc
        return
    for blob in BLOBS:
        facts.pop(blob, None)
    results[unit] = facts


def run_pack_jobs(executor: Executor, jobs: list[dict], progress: bool) -> tuple[dict, dict, list]:
    """Run pack's jobs (pack.run._jobs_for) on ``executor``.
    Returns ({unit: facts}, {unit: exception}, per-worker summary lines)."""
    from ..device import load_profile

    results: dict = {}
    failures: dict = {}
    profiles: dict = {}
    tasks = []
    refs: dict = {}  # each input read and shipped once per run, whatever the items naming it
    for job in jobs:
        if job["device"] not in profiles:
            profiles[job["device"]] = load_profile(job["device"])
        profile = profiles[job["device"]]
        # the parsed profile travels with the job: a profile file of the user's needs no copy
        remote = dict(job, profile=profile, settings=replace(job["settings"], device=profile))
        if job["input"] not in refs:
            refs[job["input"]] = executor.input_ref(job["input"])
        tasks.append((remote, refs[job["input"]]))
    display = RunProgress("pack", len(tasks), None, executor.alive, unit="files", enabled=progress)
    window = WINDOW_PER_SLOT * max(1, executor.slots)
    try:
        for (job, _), facts, error in unordered(executor, render_pack_unit, tasks, window, tick=display.tick):
            unit = job["unit"]
            if error is not None:
                failures[unit] = error
                display.done(0, "?", 0.0)
                continue
            executor.bytes_received += sum(len(facts.get(b) or b"") for b in BLOBS)
            executor.task_seconds += facts["task_seconds"]
            # a Ctrl-C between writing a file and recording it left the file in the
            # package and out of its manifest (benchmarks/cluster_sweep.py: 3 files,
            # 2 listed): it waits until both are done
            with deferred():
                _keep(job, facts, results, failures)
            if unit in results:
                display.done(facts["frames"], facts["pid"], facts["task_seconds"])
            else:
                display.done(0, facts.get("pid", "?"), 0.0)
    except (ClusterError, KeyboardInterrupt) as stop:
        # the files finished so far are written: the caller records them in the manifest,
        # so that a re-run keeps them, and then reports this
        for job, _ in tasks:
            if job["unit"] not in results and job["unit"] not in failures:
                failures[job["unit"]] = stop
    display.finish()
    return results, failures, display.summary_lines()
