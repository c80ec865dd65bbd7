"""Numba's compile events as CPU seconds per kernel, for the first-run benchmarks
(compile_cpu.py, profile_first_run.py).

Import it after setting ``NUMBA_CACHE_DIR``: Numba reads it on import.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from numba.core import event


def compile_listener(name_of: Callable[[object], str]) -> tuple[event.Listener, dict[str, float]]:
    """A listener for ``event.install_listener("numba:compile", listener)`` and the dict
    it fills: kernel name (``name_of(dispatcher)``) -> CPU seconds of the compiling
    thread (time.thread_time, which other load on the machine disturbs less than the
    wall clock), without the kernels it compiled inside it (those have their own entry)."""
    totals: dict[str, float] = {}
    stack: list[list] = []  # [name, start, seconds spent in nested compiles]

    class Listener(event.Listener):
        def on_start(self, ev):
            stack.append([name_of(ev.data["dispatcher"]), time.thread_time(), 0.0])

        def on_end(self, ev):
            name, start, nested = stack.pop()
            spent = time.thread_time() - start
            totals[name] = totals.get(name, 0.0) + spent - nested
            if stack:
                stack[-1][2] += spent

    return Listener(), totals
