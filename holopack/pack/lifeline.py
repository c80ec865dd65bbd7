"""Worker processes that die with their parent.

A pack's workers are separate processes; if the parent is killed (SIGKILL, a crash,
the out-of-memory killer) they must not render on, replacing files, and then sit idle.
Two checks, so that one that is missing still leaves the other:

- Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the moment
  its parent goes.
- Everywhere: a daemon thread that polls the parent's process id every half second and
  ends the worker when it changes (the worker was handed to init).

Workers also ignore SIGINT, SIGTERM and SIGHUP aimed at the whole process group (a
Ctrl-C in the terminal): the parent handles those and ends its workers itself
(``end_workers``), so cleanup happens once, in one place.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5


def _set_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(POLL_SECONDS)


def bind_to_parent(parent: int) -> None:
    """Called first in a worker: die with ``parent`` (its process id at spawn time)."""
    for sig in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, sig):
            signal.signal(getattr(signal, sig), signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        # the parent spawns its workers with these signals held back (run.py): a worker
        # that ignores them no longer needs them blocked, and neither do its ffmpegs
        stops = [getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)
    _set_parent_death_signal()
    if os.getppid() != parent:  # the parent died before the prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="holopack-parent-watch").start()


def end_workers(processes) -> None:
    """Kill worker processes now (an interrupted pack): they hold no state worth saving,
    their output is in our own staging folder, which the caller removes."""
    for process in list(processes):
        try:
            process.kill()
        except (OSError, AttributeError, ValueError):
            pass
    for process in list(processes):
        try:
            process.join(timeout=5)
        except (OSError, AttributeError, ValueError, AssertionError):
            pass
