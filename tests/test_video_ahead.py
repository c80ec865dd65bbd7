"""A processed clip decoded and keyed on a worker thread ahead of its reader
(holopack/ahead.py): in order, a bounded number ahead, failures raised in their
place, the source closed when the reader stops, and the same frames as on one thread."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from _video_clips import make_clip

import holopack
from holopack import ahead as ahead_module
from holopack.ahead import ahead
from holopack.video.crop import window
from holopack.video.decode import window_filter
from holopack.video.options import video_options
from holopack.video.process import FrameProcessor, _two_stages, processed_media


def _worker_alive() -> bool:
    names = ("holopack-video-ahead", "holopack-video-matte")
    return any(t.name in names for t in threading.enumerate())


def test_items_come_in_order_each_once():
    assert list(ahead(iter(range(50)))) == list(range(50))
    assert list(ahead(iter([]))) == []
    assert not _worker_alive()


def test_the_worker_runs_at_most_depth_items_ahead():
    made, used = [], []
    lead = []

    def items():
        for i in range(30):
            lead.append(i - len(used))  # finished but not yet taken, plus this one
            made.append(i)
            yield i

    for item in ahead(items(), depth=2):
        time.sleep(0.002)  # a slow reader: the worker would run away if unbounded
        used.append(item)
    assert used == list(range(30))
    # depth finished in the queue, one handed out and in use, one being made
    assert max(lead) <= 2 + 1
    assert max(lead) >= 2  # and it does run ahead


def test_a_failure_is_raised_after_the_items_before_it():
    def items():
        yield from range(5)
        raise ValueError("frame 5 is broken")

    got = []
    with pytest.raises(ValueError, match="frame 5 is broken"):
        for item in ahead(items()):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]
    assert not _worker_alive()


@pytest.mark.parametrize("how", ["close", "drop", "raise"])
def test_stopping_early_stops_the_worker_and_closes_the_source(how):
    made, closed = [], []

    def items():
        try:
            for i in range(1000):
                made.append(i)
                yield i
        finally:
            closed.append(threading.current_thread().name)

    if how == "raise":
        with pytest.raises(RuntimeError):
            for item in ahead(items(), depth=2):
                if item == 3:
                    raise RuntimeError("the reader fails")
    else:
        stream = ahead(items(), depth=2)
        assert [next(stream) for _ in range(4)] == [0, 1, 2, 3]
        if how == "close":
            stream.close()
        else:
            del stream  # garbage: its cleanup stops the worker
    assert not _worker_alive()
    assert closed == ["holopack-video-ahead"]  # the source's cleanup ran, on the worker
    assert len(made) <= 4 + 2 + 1  # never ran on to the end


def test_a_depth_below_one_is_refused():
    with pytest.raises(ValueError, match="depth"):
        next(ahead(iter(range(3)), depth=0))


@pytest.mark.parametrize("loop", [None, "crossfade=0.5"])
def test_keyed_ahead_the_frames_are_those_keyed_on_one_thread(tmp_path, loop):
    path, _truth = make_clip("green", str(tmp_path))
    media = processed_media(holopack.load(path).media, video_options(crop="auto", loop=loop))
    media.set_size(160)
    threaded = list(media.frames())
    assert len(threaded) == media.frame_count
    if loop is None:
        alone = list(media._processed(0))  # the same stream, on this thread
        assert len(alone) == len(threaded)
        for a, b in zip(alone, threaded, strict=True):
            np.testing.assert_array_equal(a, b)
    assert not _worker_alive()


@pytest.mark.parametrize("kind", ["green", "studio"])
def test_the_two_keying_stages_give_the_frames_of_key_one_frame_after_the_other(tmp_path, kind):
    # the studio clip's refinement carries the previous frame's matte (holes.carry_parts):
    # the second stage must still see the frames in order, each after the one before
    path, _truth = make_clip(kind, str(tmp_path), seed=21, vary=True)
    media = processed_media(holopack.load(path).media, video_options(crop="auto"))
    media.set_size(200)
    placement = media.placement()
    win = window(media.width, media.height, placement)
    assert win is not None

    def window_frames():
        vf = window_filter(win, media.source.rgb_filter, (media.width, media.height))
        return media.source.open_filtered(vf, (placement.size, placement.size))

    one = FrameProcessor(media.model, placement)
    assert one.keys_in_two_stages
    expected = [one.key(frame) for frame in window_frames()]
    kept = np.arange(len(expected)) % 3 != 1  # and with frames left out, as a faster clip's
    staged = list(_two_stages(FrameProcessor(media.model, placement), window_frames(), 0, None))
    assert len(staged) == len(expected) > 10
    for a, b in zip(expected, staged, strict=True):
        np.testing.assert_array_equal(a, b)
    skipping = FrameProcessor(media.model, placement)
    expected_kept = [skipping.key(f) for f, k in zip(window_frames(), kept, strict=True) if k]
    staged_kept = list(_two_stages(FrameProcessor(media.model, placement), window_frames(), 0, kept))
    assert [f is None for f in staged_kept] == list(~kept)
    for a, b in zip(expected_kept, [f for f in staged_kept if f is not None], strict=True):
        np.testing.assert_array_equal(a, b)
    assert not _worker_alive()


def test_open_workers_are_stopped_when_the_interpreter_exits():
    # a script that reads a keyed clip part way and ends: its workers must be stopped
    # before the libraries' teardown (one left inside an OpenCV call aborted the process)
    closed = []

    def items():
        try:
            yield from range(10**6)
        finally:
            closed.append(threading.current_thread().name)

    stream = ahead(items(), depth=2)
    assert next(stream) == 0
    ahead_module._stop_all()  # what the interpreter's exit runs (atexit)
    assert closed == ["holopack-video-ahead"]  # the source closed, on its worker
    assert not _worker_alive()
    rest = list(stream)  # what was made before the stop, then the end: no wait
    assert rest == list(range(1, 1 + len(rest))) and len(rest) <= 3


def test_a_forked_child_starts_with_no_workers_of_its_parent():
    import os

    stream = ahead(iter(range(100)), depth=2)
    assert next(stream) == 0  # the parent's worker is running
    pid = os.fork()
    if pid == 0:  # the child: none of the parent's workers, and ahead() works
        ok = not ahead_module._running and list(ahead(iter(range(5)))) == list(range(5))
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert list(stream) == list(range(1, 100))
