"""Run an iterator on a worker thread, a bounded number of items ahead of its reader:
a wall's rendered canvases (wall/prefetch.py) and a video's keyed frames.

The processed clip's frames are decoded (ffmpeg's pipe read into the frame) and keyed
on worker threads (two stages, each on its own: video/process.py's _two_stages) while
the export's thread resamples and encodes the frame before: the key's kernels run on
holopack.work_pool with the GIL released, and so do the export's, so on two cores the
parts run side by side instead of one after the other. The
items come out in order and the iterator runs on the one worker thread, so whatever
state it carries from item to item (the keyer's previous frame) is the same as when it
runs on the reader's thread: the output does not change. At most ``depth`` finished
items wait, so memory stays flat in the clip's length.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()

# The workers of iterators still open (a plan read part way and dropped): stopped at the
# interpreter's exit, before the C++ libraries' static objects are destroyed. A worker
# left inside an OpenCV call then aborted the process ("terminate called without an
# active exception"), 2 of 6 times when a script read a keyed clip part way and ended.
_running: dict[threading.Thread, threading.Event] = {}
_running_lock = threading.Lock()


def _after_fork() -> None:
    """A forked child has none of the parent's workers, and a lock that another thread
    held at the fork would stay held in it."""
    global _running, _running_lock
    _running = {}
    _running_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


@atexit.register
def _stop_all() -> None:
    with _running_lock:
        running = list(_running.items())
    for _, stop in running:
        stop.set()
    for worker, _ in running:
        worker.join(timeout=5.0)


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def ahead(items: Iterator[T], depth: int = 2, name: str = "holopack-video-ahead") -> Iterator[T]:
    """``items``, advanced on a worker thread at most ``depth`` items ahead of the reader.
    An exception in ``items`` is raised here, after the items before it; stopping early
    (``close()``, or dropping this generator) stops the worker before its next item and
    closes ``items`` there. The worker starts at the first ``next()``."""
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
        try:
            for item in items:
                if not put(item) or stop.is_set():
                    return
            put(_DONE)
        except BaseException as error:  # handed to the reader, raised there
            put(_Failed(error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator's own cleanup (ffmpeg stopped) runs on this thread

    worker = threading.Thread(target=work, name=name, daemon=True)
    with _running_lock:
        _running[worker] = stop
    worker.start()
    try:
        while True:
            try:
                item = done.get(timeout=0.05)
            except queue.Empty:
                if worker.is_alive() or not done.empty():
                    continue
                return  # stopped from outside (the interpreter's exit): no more items
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()
        with _running_lock:
            _running.pop(worker, None)
