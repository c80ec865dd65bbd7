"""Run one compiled claim loop on several threads at once, without a parallel kernel.

A parallel kernel (``@njit(parallel=True)`` with a ``prange`` loop) costs seconds of
Numba's parfor lowering the first time it compiles, for every specialisation, although
the loop it runs only starts ``WORKERS`` iterations of one compiled claim loop (see
holopack.work_queue). ``run(worker, *args)`` does the same with Python threads: it
calls ``worker(*args)`` on the calling thread and on ``numba.get_num_threads() - 1``
helper threads at once and returns when all are done. ``worker`` must be compiled with
``@njit(nogil=True, _nrt=False)``, so that the threads run truly in parallel and take
no references to the arrays they are given (each would be an atomic instruction on a
counter that Python's arrays carry: docs/developing.md), and must take its work
from a shared counter (``holopack.work_queue.claim``) among its arguments, so that the
result does not depend on how many threads ran it or when. Only the claim loop itself is
compiled: a cold first export of the default twin compiled 19 specialisations before
and 13 with this.

What it adds to dynamic scheduling: a helper that has not started by the time the
calling thread's own loop has run out of work is not waited for (it would claim nothing);
a parallel region's end waits for every thread to show up once. Helpers that did start
are waited for, as they may hold an item. The helpers stay between calls (waiting on a
queue costs nothing); a call while another is running on another thread (two renders
at once) runs on its own thread alone, which gives the same result.

``compile_only(workers)`` turns runs into compiles: a process that only prepares Numba's
cache (holopack.pipeline.compile_ahead) calls the code that would run them, and each
of ``workers`` is compiled for exactly the argument types it would be given.

Thread count: ``numba.get_num_threads()`` of the calling thread, so ``NUMBA_NUM_THREADS``
and ``numba.set_num_threads`` apply as they do to Numba's own parallel loops.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading

import numba


class _Job:
    """One run: the worker, its arguments and who is still in it."""

    __slots__ = ("worker", "args", "closed", "running", "error", "done")

    def __init__(self, worker, args):
        self.worker = worker
        self.args = args
        self.closed = False  # the caller's own loop has returned: late helpers skip it
        self.running = 0
        self.error: BaseException | None = None
        self.done = threading.Condition(threading.Lock())


_jobs: queue.SimpleQueue = queue.SimpleQueue()
_helpers: list[threading.Thread] = []
_busy = threading.Lock()  # one run uses the helpers at a time
_grow = threading.Lock()
_compile_only: frozenset | None = None


def _after_fork() -> None:
    """A forked child has none of the parent's threads: it starts helpers of its own.
    (Locks held at the fork by another thread would stay held in the child.)"""
    global _jobs, _busy, _grow
    _jobs = queue.SimpleQueue()
    _helpers.clear()
    _busy = threading.Lock()
    _grow = threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


def _helper() -> None:
    jobs = _jobs
    while True:
        job = jobs.get()
        with job.done:
            if job.closed:
                continue  # the work was all claimed before this helper came
            job.running += 1
        try:
            job.worker(*job.args)
        except BaseException as error:  # raised again on the calling thread
            job.error = error
        finally:
            with job.done:
                job.running -= 1
                if job.running == 0:
                    job.done.notify_all()


def _ensure_helpers(count: int) -> None:
    with _grow:
        while len(_helpers) < count:
            thread = threading.Thread(
                target=_helper, name=f"holopack-worker-{len(_helpers) + 1}", daemon=True
            )
            thread.start()
            _helpers.append(thread)


def threads() -> int:
    """How many threads a run uses from the calling thread: Numba's thread count."""
    return max(1, numba.get_num_threads())


def run(worker, *args, alone: bool = False) -> None:
    """Call ``worker(*args)`` (a ``@njit(nogil=True)`` claim loop) on this thread and on
    threads() - 1 helpers at once; return when every call that started has returned.
    An exception in any of them is raised here. ``alone``: on this thread only, for
    work too small to share (waking a helper costs tens of microseconds)."""
    if _compile_only is not None:
        if worker in _compile_only:
            worker.compile(tuple(worker.typeof_pyval(a) for a in args))
        return
    count = 1 if alone else threads()
    if count == 1 or not _busy.acquire(blocking=False):
        worker(*args)
        return
    try:
        _ensure_helpers(count - 1)
        job = _Job(worker, args)
        for _ in range(count - 1):
            _jobs.put(job)
        try:
            worker(*args)
        finally:
            with job.done:
                job.closed = True
                while job.running:
                    job.done.wait()
        if job.error is not None:
            raise job.error
    finally:
        _busy.release()


@contextlib.contextmanager
def compile_only(workers):
    """Within this block, run() runs nothing: it compiles those of its workers that are
    in ``workers`` for the arguments' types (into Numba's cache) and returns. What the
    runs would have written stays unwritten."""
    global _compile_only
    previous, _compile_only = _compile_only, frozenset(workers)
    try:
        yield
    finally:
        _compile_only = previous
