"""Make frames on a worker thread a bounded number ahead of the loop that uses them.

A wall export renders frame k + 1 while frame k is resampled, quantised, written and
drawn into the preview: the render holds the GIL in its kernels, the stages after it
release it (their Numba kernels are ``nogil``, file writes and the x264 pipe release
it too), so on two cores the two halves run side by side instead of one after the
other. The queue holds at most ``depth`` finished frames, so memory stays flat
however long the clip is.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def prefetched(make: Callable[[int], T], count: int, depth: int = 2) -> Iterator[tuple[int, T]]:
    """Yield ``(index, make(index))`` for index 0 .. count-1 in order, ``make`` running
    on one worker thread at most ``depth`` frames ahead. ``make`` must return a result
    that stays valid while later frames are made (a copy, not a reused buffer). An
    exception in ``make`` is raised here, at the frame it failed on; stopping early (an
    exception in the loop, ``close()``) stops the worker before it starts another frame."""
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    done: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                done.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        for index in range(count):
            if stop.is_set():
                return
            try:
                item = (index, make(index))
            except BaseException as e:  # handed to the consumer, raised there
                put(_Failed(e))
                return
            if not put(item):
                return
        put(_DONE)

    worker = threading.Thread(target=work, name="holopack-wall-render", daemon=True)
    worker.start()
    try:
        while True:
            item = done.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()
