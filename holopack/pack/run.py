"""Running a pack's render jobs: one device file per job on worker processes (or an
executor's workers), with one progress line for all of them."""

from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
import os
import queue as _queue
import sys

from ..containment import outside_files_allowed
from ..errors import OutputError
from ..interrupt import deferred
from .lifeline import end_workers
from .plan import _Unit


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
    if executor is not None:  # a cluster (holopack.cluster)
        from ..cluster.pack_units import run_pack_jobs

        results, failures, summary = run_pack_jobs(executor, jobs, progress)
        executor.pack_summary = summary
        return results, failures

    results, failures = {}, {}
    display = _CombinedProgress(len(jobs), progress)
    if not jobs:
        return results, failures
    if workers <= 1:
        _run_here(jobs, display, results, failures)
    else:
        _run_on_workers(jobs, workers, display, results, failures)
    display.finish()
    return results, failures


def _run_here(jobs: list[dict], display: _CombinedProgress, results: dict, failures: dict) -> None:
    """The jobs one after another in this process."""
    from .worker import render_unit

    q: _queue.Queue = _queue.Queue()
    for job in jobs:
        try:
            results[job["unit"]] = render_unit(job, q)
        except Exception as exc:  # as in a worker: reported per file after the rest
            failures[job["unit"]] = exc
        _drain(q, display)
        display.file_done(job["unit"], failed=job["unit"] in failures)


class _EnvironmentOverride:
    """An environment variable set until ``restore()`` (which only the first call does)."""

    def __init__(self, name: str, value: str):
        self.name, self.saved, self.restored = name, os.environ.get(name), False
        os.environ[name] = value

    def restore(self) -> None:
        if self.restored:
            return
        self.restored = True
        if self.saved is None:
            os.environ.pop(self.name, None)
        else:
            os.environ[self.name] = self.saved


def _run_on_workers(
    jobs: list[dict], workers: int, display: _CombinedProgress, results: dict, failures: dict
) -> None:
    """The jobs on ``workers`` spawned processes of one Numba thread each."""
    from .worker import init_worker, render_unit

    # spawn: a fresh interpreter per worker, so NUMBA_NUM_THREADS=1 holds from its start
    context = multiprocessing.get_context("spawn")
    progress_queue = context.Queue()
    threads = _EnvironmentOverride("NUMBA_NUM_THREADS", "1")
    try:
        with futures.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=init_worker,
            initargs=(progress_queue, os.getpid()),
        ) as pool:
            try:
                # submitting spawns the workers, each reading its start-up data down a
                # pipe: a stop signal that lands while one is written left a child that
                # printed "EOFError: Ran out of input" with a traceback, so it waits
                with deferred():
                    pending = {pool.submit(render_unit, job): job["unit"] for job in jobs}
                threads.restore()
                _collect(pending, progress_queue, display, results, failures)
            except BaseException:
                # interrupted: the workers stop now, not after their current file
                end_workers(getattr(pool, "_processes", {}).values())
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        threads.restore()
        progress_queue.close()


def _collect(
    pending: dict, progress_queue, display: _CombinedProgress, results: dict, failures: dict
) -> None:
    """Each job's facts (or its failure) as the workers finish them."""
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


def _drain(progress_queue, display) -> None:
    while True:
        try:
            display.message(progress_queue.get_nowait())
        except (_queue.Empty, OSError, EOFError, ValueError):
            return
