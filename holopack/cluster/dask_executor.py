"""Tasks on a Dask cluster (``pip install holopack[cluster]``).

``connect(address)`` opens a client on the scheduler, asks every worker for its
holopack, Numba, NumPy and Python versions and refuses the workers that differ from this
client (their output would not be byte-identical): tasks are submitted only to the
workers that match, and workers that join later are checked before they get any.

Dask itself recovers a task whose worker died: it runs it again on another worker,
and since every task is a pure function of its arguments the output does not change.
A task may run only on the workers that matched when it was submitted; when all of
them are gone (one worker at the start, a second joined later, the first killed), it
is submitted again for the workers that match now (Dask would keep it waiting for a
worker that never comes back). A task whose workers die one after another (Dask gives
up after ``distributed.scheduler.allowed-failures`` deaths) ends the run in one line.
A lost scheduler is different: the client's futures are cancelled, and the run ends
with one ClusterError line (no partial output; pack keeps what was finished).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import uuid
from concurrent.futures import CancelledError
from typing import Any, NoReturn

from ..errors import ClusterError, InputError
from .executors import Executor
from .inputs import InputBundle, read_bundle
from .versions import difference, local_versions

INSTALL_HINT = "pip install holopack[cluster]"
MAX_RECOVERIES = 3  # a task's input shipped again at most this often (its workers keep dying)
REFRESH_SECONDS = 2.0  # how often a running client looks for workers that joined or left
# tcp://HOST:PORT and the like, or a LocalCluster(processes=False)'s inproc://HOST/PID/N
_ADDRESS = re.compile(r"^(([a-z][a-z0-9+.-]*://)?[^\s/]+(:\d+)?/?|inproc://[^\s/]+(/\d+)+)$")


def require_distributed():
    """dask.distributed, or one line naming the extra that installs it."""
    try:
        import distributed  # heavy optional import (about 0.5 s): only a --cluster run pays it
    except ImportError:
        raise InputError(
            f"--cluster needs Dask's distributed scheduler, which is not installed: {INSTALL_HINT}"
        ) from None
    return distributed


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


class _Task:
    """A submitted task: its arguments, the workers it may run on and its Dask future,
    which is replaced when the task is submitted again."""

    __slots__ = ("fn", "args", "future", "workers", "recovered")

    def __init__(self, fn, args: tuple):
        self.fn, self.args = fn, args
        self.recovered = 0  # times its input was shipped again after every copy was lost
        self.future: Any = None  # a distributed.Future once submitted
        self.workers: frozenset = frozenset()

    def done(self) -> bool:
        return self.future.done()


class DaskExecutor(Executor):
    """A connected Dask client; see ``connect``."""

    name = "Dask"

    def __init__(self, client, address: str, *, shared_fs: bool = False, notify=None, timeout: float = 30.0):
        self.client = client
        self.address = address
        self.shared_fs = shared_fs
        self.timeout = float(timeout)
        self.notify = notify or (lambda line: print(f"holopack: {line}", file=sys.stderr, flush=True))
        self.versions = local_versions()
        self.compatible: set[str] = set()
        self.refused: dict[str, str] = {}
        self.bytes_shipped = 0
        self.bytes_received = 0
        self.task_seconds = 0.0
        self._bundles: dict = {}  # an input bundle's SHA-256 -> its future on the cluster
        self._bundle_paths: dict = {}  # a bundle future's key -> the input's path
        self._last_refresh = 0.0
        self._none_since: float | None = None
        self.slots = 1
        self._event = threading.Event()  # set when a watched future finishes
        self._watched: set = set()
        self._live: set = set()  # submitted tasks whose result has not been taken

    # -- workers ---------------------------------------------------------------------
    def _workers(self) -> dict:
        try:
            # asked afresh: the client's cached copy is also rewritten by its own periodic
            # updates, which may carry no per-worker entries
            identity = self.client.sync(self.client.scheduler.identity, n_workers=-1)
            return dict(identity.get("workers", {}))
        except Exception as exc:
            self._lost(exc)

    def refresh(self, force: bool = False) -> None:
        """Check the versions of workers that joined; forget the ones that left."""
        now = time.monotonic()
        if not force and now - self._last_refresh < REFRESH_SECONDS:
            return
        self._last_refresh = now
        workers = self._workers()
        present = set(workers)
        self.compatible &= present
        new = [w for w in present if w not in self.compatible and w not in self.refused]
        if new:
            try:
                answers = self.client.run(local_versions, workers=new, on_error="return")
            except Exception as exc:
                self._lost(exc)
            for worker, answer in answers.items():
                why: str | None
                if isinstance(answer, BaseException):
                    why = f"cannot run holopack ({_reason(answer)})"
                else:
                    why = difference(answer, self.versions)
                if why is None:
                    self.compatible.add(worker)
                else:
                    self.refused[worker] = why
                    self.notify(f"refusing Dask worker {worker}: it runs {why}")
        threads = sum(int(workers[w].get("nthreads", 1) or 1) for w in self.compatible)
        self.slots = max(1, threads)
        self._resubmit_stranded()

    def _resubmit_stranded(self) -> None:
        """Submit again the tasks none of whose workers is left: Dask keeps such a task
        waiting for one of them, for ever (a run hung after its first worker died)."""
        if not self.compatible:
            return
        for task in list(self._live):
            if task.workers & self.compatible or task.future.done():
                continue
            try:
                self.client.cancel([task.future])
            except Exception as exc:
                self._lost(exc)
            self._submit(task)

    def alive(self) -> int:
        return len(self.compatible)

    def _lost(self, exc: BaseException | None = None) -> NoReturn:
        detail = f" ({_reason(exc)})" if exc is not None and not isinstance(exc, CancelledError) else ""
        raise ClusterError(
            f"lost the Dask scheduler at {self.address}{detail}; no partial output was written"
        )

    def check(self) -> None:
        if self.client.status not in ("running", "newly-created"):
            self._lost()
        self.refresh()
        if self.compatible:
            self._none_since = None
            return
        now = time.monotonic()
        if self._none_since is None:
            self._none_since = now
        elif now - self._none_since > self.timeout:
            raise ClusterError(
                f"no usable Dask worker left on {self.address} for "
                f"{self.timeout:g} s (holopack {self.versions['holopack']}, "
                f"Numba {self.versions['numba']}, NumPy {self.versions['numpy']} needed)"
            )

    # -- tasks -----------------------------------------------------------------------
    def submit(self, fn, *args):
        if not self.compatible:
            self.refresh(force=True)
        task = _Task(fn, args)
        self._submit(task)
        self._live.add(task)
        return task

    def _submit(self, task: _Task) -> None:
        name = getattr(task.fn, "__name__", "task")
        task.workers = frozenset(self.compatible)
        task.future = self.client.submit(
            task.fn,
            *task.args,
            key=f"holopack-{name}-{uuid.uuid4().hex}",
            workers=sorted(task.workers) or None,
            allow_other_workers=False,
            pure=False,
        )

    def wait(self, handles, timeout):
        done = self._finished(handles)
        if done:
            return done
        self._event.clear()
        for handle in handles:
            future = handle.future
            if future.key not in self._watched:  # one callback per future, however long it runs
                self._watched.add(future.key)
                future.add_done_callback(lambda _: self._event.set())
        done = self._finished(handles)  # finished before the callback was in place
        if not done:
            self._event.wait(timeout)
        return self._finished(handles)

    def result(self, handle):
        self._live.discard(handle)
        self._watched.discard(handle.future.key)
        try:
            return handle.future.result()
        except CancelledError as exc:
            if handle.recovered >= MAX_RECOVERIES:
                raise ClusterError(
                    f"the Dask workers holding an input died {handle.recovered + 1} times in one "
                    "task's life; no partial output was written"
                ) from None
            self._lost(exc)
        except Exception as exc:
            if type(exc).__name__ == "KilledWorker":  # distributed.KilledWorker (a raw traceback)
                last = getattr(exc.args[1], "address", "?") if len(exc.args) > 1 else "?"
                raise ClusterError(
                    f"Dask workers died one after another running one task (the last: {last}); "
                    "out of memory? No partial output was written"
                ) from None
            raise

    def cancel(self, handles):
        for handle in handles:
            self._live.discard(handle)
        if handles and self.client.status == "running":
            try:
                self.client.cancel([h.future for h in handles])
            except Exception:  # the scheduler is gone: nothing left to cancel
                pass

    def input_ref(self, path: str):
        """A path under --shared-fs; otherwise the input's bundle, read now and sent to
        the cluster once per content (its SHA-256) and held there until the client
        closes. Read on every call: a client kept open between runs (a notebook) must
        ship an input that changed on disk, not the copy of the first run, which it
        did while the content key of the new bytes told the package it was new.

        The cluster holds one copy (Dask's active memory manager drops the extra
        copies a broadcast makes, within seconds), so a worker's death can take it,
        and with it every task that needs it: ``_recover`` ships it again."""
        import os

        if self.shared_fs:
            return os.path.abspath(path)
        path = os.path.abspath(path)
        bundle = read_bundle(path)
        future = self._bundles.get(bundle.sha256)
        if future is None or future.status != "finished":
            future = self._scatter(bundle)
            self.bytes_shipped += bundle.nbytes
            self._bundles[bundle.sha256] = future
            self._bundle_paths[future.key] = path
        return future

    def _scatter(self, bundle: InputBundle):
        try:
            return self.client.scatter(bundle, hash=False, workers=sorted(self.compatible) or None)
        except Exception as exc:
            if self.client.status != "running":
                self._lost(exc)
        self.refresh(force=True)  # a worker named died since the last look: once more
        try:
            return self.client.scatter(bundle, hash=False, workers=sorted(self.compatible) or None)
        except Exception as exc:
            self._lost(exc)

    def _recover(self, task: _Task) -> bool:
        """A task that Dask cancelled while the scheduler still answers lost its input:
        every worker that held the shipped bundle died (the tasks then ended as a
        "lost the Dask scheduler" line). Ship the input again and submit the task
        again; False when it is not that. With no usable worker left it waits, as the
        task is not finished: a worker that joins gets it, or ``check`` ends the run
        after the timeout ("no usable Dask worker left", not a lost scheduler)."""
        if task.future.status != "cancelled" or self.client.status != "running":
            return False
        lost = [a for a in task.args if getattr(a, "key", None) in self._bundle_paths]
        if not lost or task.recovered >= MAX_RECOVERIES:
            return False
        self.refresh(force=True)  # the scheduler gone: one ClusterError line, as before
        if not self.compatible:
            return True
        task.recovered += 1
        task.args = tuple(self.input_ref(self._bundle_paths[a.key]) if a in lost else a for a in task.args)
        self._submit(task)
        return True

    def _finished(self, handles) -> set:
        done = set()
        for handle in handles:
            if handle.done() and not self._recover(handle):
                done.add(handle)
        return done

    def close(self) -> None:
        self._bundles.clear()
        self._bundle_paths.clear()
        try:
            self.client.close(timeout=5)
        except Exception:  # closing a client whose scheduler is gone
            pass


def _quiet_dask_logs() -> None:
    """Dask's client logs connection trouble with tracebacks on stderr; the run reports
    it in one line instead. Its loggers carry their own levels, so each is set."""
    names = [n for n in logging.root.manager.loggerDict if n == "distributed" or n.startswith("distributed.")]
    for name in names or ["distributed"]:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def connect(
    address: str, *, shared_fs: bool = False, timeout: float | None = None, notify=None
) -> DaskExecutor:
    """A DaskExecutor on the scheduler at ``address`` (``tcp://host:8786``), with the
    workers of this client's versions. ``timeout``: seconds to reach the scheduler and
    to wait for a usable worker (default: Dask's ``distributed.comm.timeouts.connect``)."""
    distributed = require_distributed()
    import dask

    if not isinstance(address, str) or not _ADDRESS.match(address.strip()):
        raise InputError(f"--cluster takes a scheduler address such as tcp://HOST:8786, got {address!r}")
    address = address.strip()
    if timeout is None:
        timeout = dask.utils.parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "s")
    _quiet_dask_logs()
    try:
        client = distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({_reason(exc)})") from None
    executor = DaskExecutor(client, address, shared_fs=shared_fs, notify=notify, timeout=timeout)
    said = executor.notify
    executor.notify = lambda line: None  # refusals at the start: one error line if nothing is left
    try:
        deadline = time.monotonic() + timeout
        while True:
            executor.refresh(force=True)
            if executor.compatible:
                break
            if time.monotonic() > deadline:
                if executor.refused:
                    why = "; ".join(f"{w} runs {r}" for w, r in sorted(executor.refused.items()))
                    raise ClusterError(f"every Dask worker on {address} was refused: {why}")
                raise ClusterError(f"the Dask scheduler at {address} has no workers (waited {timeout:g} s)")
            if executor.refused and not executor._workers().keys() - executor.refused.keys():
                why = "; ".join(f"{w} runs {r}" for w, r in sorted(executor.refused.items()))
                raise ClusterError(f"every Dask worker on {address} was refused: {why}")
            time.sleep(0.2)
    except BaseException:
        executor.close()
        raise
    executor.notify = said
    for worker, why in sorted(executor.refused.items()):
        said(f"refusing Dask worker {worker}: it runs {why}")
    return executor


__all__ = ["DaskExecutor", "InputBundle", "connect", "require_distributed", "INSTALL_HINT"]
