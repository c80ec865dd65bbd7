"""Make frames on a worker thread a bounded number ahead of the loop that uses them.

A wall export renders frame k + 1 while frame k is resampled, quantised, written and
drawn into the preview: the render holds the GIL in its kernels, the stages after it
release it (their Numba kernels are ``nogil``, file writes and the x264 pipe release
it too), so on two cores the two halves run side by side instead of one after the
other. The queue holds at most ``depth`` finished frames, so memory stays flat
however long the clip is.

Two threads may launch Numba parallel kernels at once only under the OpenMP or TBB
threading layer; the workqueue layer (Numba's fallback where neither is installed)
aborts the process. The first frame is therefore made on the calling thread, and the
rest go to the worker only when the layer it chose allows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import numba

from ..ahead import ahead

T = TypeVar("T")


def concurrent_kernels_safe() -> bool:
    """Whether two threads may run Numba parallel kernels at the same time."""
    try:
        return numba.threading_layer() != "workqueue"
    except ValueError:  # no parallel kernel has run: the frames launch none
        return True


def prefetched(
    make: Callable[[int], T],
    count: int,
    depth: int = 2,
    threads_ok: Callable[[], bool] = concurrent_kernels_safe,
) -> Iterator[tuple[int, T]]:
    """Yield ``(index, make(index))`` for index 0 .. count-1 in order, ``make`` running
    on one worker thread at most ``depth`` frames ahead (frame 0 on this thread, and
    every frame when ``threads_ok()`` says no after it). ``make`` must return a result
    that stays valid while later frames are made (a copy, not a reused buffer). An
    exception in ``make`` is raised here, at the frame it failed on; stopping early (an
    exception in the loop, ``close()``) stops the worker before it starts another frame."""
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    if count <= 0:
        return
    yield 0, make(0)
    if not threads_ok():
        for index in range(1, count):
            yield index, make(index)
        return
    yield from _from_worker(make, 1, count, depth)


def _from_worker(make: Callable[[int], T], first: int, count: int, depth: int) -> Iterator[tuple[int, T]]:
    """Frames first .. count-1 made on a worker thread, at most ``depth`` waiting."""
    return ahead(((index, make(index)) for index in range(first, count)), depth, name="holopack-wall-render")
