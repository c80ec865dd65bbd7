"""Where tasks run, behind one interface, and the bounded windows that feed them.

An executor runs ``fn(*args)`` somewhere and hands back a handle:

- ``InProcessExecutor``: runs each task in this process when it is submitted (the
  serial reference; a notebook without a cluster).
- ``LocalProcessExecutor``: spawned processes on this machine, one Numba thread each
  (what ``pack -j N`` does).
- ``DaskExecutor`` (dask_executor.py): the workers of a Dask cluster.

``ordered`` yields results in submission order (an export's chunks, written in frame
order); ``unordered`` yields them as they finish (a playlist's files). Both keep at
most ``window`` tasks in flight, so the client's memory stays flat however many tasks
there are: a finished result waits only until the ones before it are written.
"""

from __future__ import annotations

import abc
import collections
import concurrent.futures as futures
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator

from ..errors import OutputError

POLL_SECONDS = 0.5  # how often a waiting client checks its executor (and redraws progress)


class Executor(abc.ABC):
    """The interface. ``slots``: tasks that can run at once (sizes the windows)."""

    name = "executor"
    slots = 1
    bytes_shipped = 0  # inputs sent to the workers
    bytes_received = 0  # results the client got back (packed frames, files, previews)
    task_seconds = 0.0  # time the workers spent inside tasks, as they measured it

    @abc.abstractmethod
    def submit(self, fn: Callable, *args):
        """Start ``fn(*args)`` on a worker; returns a handle for ``wait`` and ``result``."""

    @abc.abstractmethod
    def wait(self, handles: list, timeout: float) -> set:
        """The handles among ``handles`` that are done, waiting up to ``timeout`` s for one."""

    def result(self, handle):
        """The task's return value, or its exception raised here."""
        return handle.result()

    def cancel(self, handles: list) -> None:
        for handle in handles:
            handle.cancel()

    def check(self) -> None:
        """Raise a HolopackError when the executor can no longer run tasks."""
        return None  # workers in this process or its children are not lost on their own

    def alive(self) -> int:
        """Workers alive now."""
        return self.slots

    def input_ref(self, path: str):
        """How a task names the input file ``path``: the path itself where the workers see
        this machine's files; a shipped copy (inputs.InputBundle) where they do not."""
        return os.path.abspath(path)

    def worker_label(self, reported: str) -> str:
        return reported

    def close(self) -> None:
        return None  # nothing held by default; pools and clients release theirs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class InProcessExecutor(Executor):
    """Runs every task at once, here: the order and results of a serial run."""

    name = "in-process"

    def submit(self, fn, *args):
        future: futures.Future = futures.Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # handed back through result(), as a worker would
            future.set_exception(exc)
        return future

    def wait(self, handles, timeout):
        return {h for h in handles if h.done()}


def _init_local_worker() -> None:
    os.environ["NUMBA_NUM_THREADS"] = "1"


class LocalProcessExecutor(Executor):
    """``jobs`` spawned processes on this machine, each with one Numba thread: a fresh
    interpreter whose initializer sets NUMBA_NUM_THREADS=1 before anything imports
    Numba, so that N workers on N cores do not each start N threads."""

    name = "local processes"

    def __init__(self, jobs: int):
        self.slots = max(1, int(jobs))
        self._pool = futures.ProcessPoolExecutor(
            max_workers=self.slots,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_local_worker,
        )

    def submit(self, fn, *args):
        return self._pool.submit(fn, *args)

    def wait(self, handles, timeout):
        done, _ = futures.wait(handles, timeout=timeout, return_when=futures.FIRST_COMPLETED)
        return set(done)

    def result(self, handle):
        try:
            return handle.result()
        except futures.process.BrokenProcessPool as exc:
            raise OutputError(f"a worker process died ({exc}); out of memory?") from None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def ordered(
    executor: Executor,
    fn: Callable,
    tasks: Iterable[tuple],
    window: int,
    tick: Callable[[], None] | None = None,
) -> Iterator:
    """``fn(*task)`` for each task, results yielded in the tasks' order, at most
    ``window`` tasks in flight. ``tick`` is called while waiting (progress)."""
    window = max(1, int(window))
    tasks = iter(tasks)
    pending: collections.deque = collections.deque()

    def fill():
        while len(pending) < window:
            task = next(tasks, None)
            if task is None:
                return
            pending.append(executor.submit(fn, *task))

    try:
        fill()
        while pending:
            head = pending[0]
            while not executor.wait([head], POLL_SECONDS):
                executor.check()
                if tick is not None:
                    tick()
            pending.popleft()
            result = executor.result(head)
            fill()  # keep the workers busy while the caller writes this one
            yield result
    finally:
        executor.cancel(list(pending))


def unordered(
    executor: Executor,
    fn: Callable,
    tasks: Iterable[tuple],
    window: int,
    tick: Callable[[], None] | None = None,
) -> Iterator[tuple]:
    """``(task, result, error)`` for each task as it finishes (one of result and error
    is None), at most ``window`` tasks in flight. A task's own failure is handed back;
    a failure of the executor (a lost scheduler) is raised."""
    window = max(1, int(window))
    tasks = iter(tasks)
    pending: dict = {}

    def fill():
        while len(pending) < window:
            task = next(tasks, None)
            if task is None:
                return
            pending[executor.submit(fn, *task)] = task

    try:
        fill()
        while pending:
            done = executor.wait(list(pending), POLL_SECONDS)
            if not done:
                executor.check()
                if tick is not None:
                    tick()
                continue
            for handle in done:
                task = pending.pop(handle)
                try:
                    result = executor.result(handle)
                except Exception as exc:
                    executor.check()  # the executor's own fault ends the run, not one task
                    yield task, None, exc
                    continue
                yield task, result, None
            fill()
    finally:
        executor.cancel(list(pending))
