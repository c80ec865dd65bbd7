"""Frames made on a worker thread ahead of their use (holopack/wall/prefetch.py): in
order, a bounded number ahead, failures raised at their frame, stopped early cleanly."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from holopack.formats.fanfile import open_fan_file
from holopack.pipeline import ExportSettings, default_twin
from holopack.scene.load import load
from holopack.wall import export_wall, load_wall
from holopack.wall.export import WallPlan
from holopack.wall.prefetch import prefetched


def _worker_alive() -> bool:
    return any(t.name == "holopack-wall-render" for t in threading.enumerate())


def test_frames_come_in_order_each_made_once():
    made = []

    def make(i):
        made.append(i)
        return i * i

    assert list(prefetched(make, 50)) == [(i, i * i) for i in range(50)]
    assert made == list(range(50))
    assert not _worker_alive()


def test_the_worker_runs_at_most_depth_frames_ahead():
    made, used, ahead = [], [], []

    def make(i):
        ahead.append(i - len(used))  # frames finished but not yet taken, plus this one
        made.append(i)
        return i

    for index, _ in prefetched(make, 30, depth=2):
        time.sleep(0.002)  # a slow consumer: the worker would run away if unbounded
        used.append(index)
    assert used == list(range(30))
    # depth finished in the queue, one handed out and in use, one being made
    assert max(ahead) <= 2 + 1
    assert max(ahead) >= 2  # and it does run ahead


def test_a_failure_is_raised_at_its_frame_after_the_frames_before_it():
    def make(i):
        if i == 5:
            raise ValueError("frame 5 is broken")
        return i

    got = []
    with pytest.raises(ValueError, match="frame 5 is broken"):
        for index, _ in prefetched(make, 20):
            got.append(index)
    assert got == [0, 1, 2, 3, 4]
    assert not _worker_alive()


def test_stopping_early_stops_the_worker():
    made = []

    def make(i):
        made.append(i)
        return i

    with pytest.raises(RuntimeError):
        for index, _ in prefetched(make, 1000, depth=2):
            if index == 3:
                raise RuntimeError("the consumer fails")
    assert not _worker_alive()
    assert len(made) <= 3 + 1 + 2 + 1  # never ran on to the end of the clip


def test_depth_below_one_is_refused():
    with pytest.raises(ValueError):
        list(prefetched(lambda i: i, 3, depth=0))


@pytest.mark.slow
def test_a_wall_export_drawn_ahead_writes_what_one_frame_at_a_time_makes(tmp_path):
    """The export draws the next canvas while it uses this one: every fan file holds
    the same codes as the frames made one after another, with nothing drawn ahead."""
    (tmp_path / "w.toml").write_text(
        'device = "3dcircle-42f2"\n[grid]\nrows = 1\ncols = 2\npitch = 380.0\n'
        '[[fans]]\nname = "A2"\nrotation = 45.0\nmirror = true\n'
    )
    export_wall(None, tmp_path / "w.toml", str(tmp_path / "out"), seconds=0.3, progress=False)
    wall = load_wall(str(tmp_path / "w.toml"))
    plan = WallPlan(load(default_twin()), wall, ExportSettings(seconds=0.3))
    files = [open_fan_file(str(tmp_path / "out" / f.file_name)).read_all() for f in wall.fans]
    assert files[0].shape[0] == plan.timeline.frame_count == 9
    for index in range(plan.timeline.frame_count):
        for fan, frame in enumerate(plan.fan_frames(index)):
            assert np.array_equal(files[fan][index], frame), (index, fan)
    assert files[0].max() > 40 and files[1].max() > 40  # the twin is lit on both fans


def test_without_a_thread_safe_kernel_layer_every_frame_is_made_in_the_loop():
    threads = []

    def make(i):
        threads.append(threading.current_thread())
        return i

    got = list(prefetched(make, 6, threads_ok=lambda: False))
    assert got == [(i, i) for i in range(6)]
    assert set(threads) == {threading.current_thread()}
    # with one, frame 0 is made here and the rest on the worker
    threads.clear()
    list(prefetched(make, 6, threads_ok=lambda: True))
    assert threads[0] is threading.current_thread()
    assert all(t.name == "holopack-wall-render" for t in threads[1:])
