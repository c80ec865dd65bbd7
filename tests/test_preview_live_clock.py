"""The preview plays live: animation time follows the wall clock, the left panel is
drawn every UI frame, and a fan view that cannot keep up skips frames instead of
playing them late (issue: a walk played as a slideshow under load)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from _xvfb import display_for_this_process

from holopack.scene.load import load

ROOT = Path(__file__).resolve().parent.parent
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"
SIZE = 96


@pytest.fixture(scope="module")
def display():
    with display_for_this_process() as name:
        yield name


class _SlowFrames:
    """PipelineFrames whose fan frames (rendered here, or from the window's picture)
    take at least ``delay`` seconds; records the device frame index of each frame it
    made."""

    def __init__(self, scene, device, delay=0.25):
        from holopack.preview.source import PipelineFrames

        self._inner = PipelineFrames(scene, device, size=SIZE)
        self.delay = delay
        self.made: list[int] = []

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def frame(self, request):
        pair = self._inner.frame(request)
        time.sleep(self.delay)
        self.made.append(request.frame_index)
        return pair

    def fan_frame(self, request, picture):
        pair = self._inner.fan_frame(request, picture)
        time.sleep(self.delay)
        self.made.append(request.frame_index)
        return pair


@pytest.mark.display
@pytest.mark.parametrize("panel", ["gl", "numba"])
def test_a_slow_fan_view_drops_frames_and_never_slows_the_clock_or_the_left_panel(display, panel):
    """Animation time follows the wall clock; the left panel is drawn every UI frame
    (by the window's OpenGL or by holopack's renderer); the worker skips the device
    frames it cannot make instead of playing them late."""
    from holopack.preview.window import PreviewWindow

    makers: list[_SlowFrames] = []

    def factory(scene, device):
        makers.append(_SlowFrames(scene, device))
        return makers[-1]

    window = PreviewWindow(
        str(TWIN),
        load(TWIN),
        "3dcircle-42f2",
        frames_factory=factory,
        window_size=(480, 270),
        live_panel=panel,
    )
    try:
        assert window.wait_for_current(120), window.worker.error  # camera fitted, kernels loaded
        assert type(window.live.drawer).__name__ == {"gl": "SceneDrawer", "numba": "NumbaDrawer"}[panel]
        window.controls.playing = True
        before_warm_tick = time.perf_counter()
        window.tick()  # the clock counts from this tick (the wait above is not play time)
        drawn_before, previous, advanced = window.live.frames_drawn, window.controls.time, 0.0
        made_before = len(makers[-1].made)
        started = time.perf_counter()
        ticks = 0
        # at least 1.5 s and three fan frames (a busy machine makes them slowly)
        while time.perf_counter() - started < 1.5 or (
            len(makers[-1].made) - made_before < 3 and time.perf_counter() - started < 20
        ):
            last_start = time.perf_counter()
            window.tick()
            ticks += 1
            # summed tick by tick: the clip loops (a tick is far shorter than the clip)
            advanced += (window.controls.time - previous) % window.controls.duration
            previous = window.controls.time
        ended = time.perf_counter()
        elapsed = ended - started
        # the clock is the wall clock: it moved by the time between the first and the
        # last tick's start, which lies between these two spans
        assert last_start - started <= advanced <= ended - before_warm_tick
        assert window.live.frames_drawn - drawn_before == ticks  # every UI frame drew the left panel
        made = makers[-1].made[made_before:]
        device_frames = elapsed * window.controls.fps
        assert 0 < len(made) <= elapsed / 0.25 + 1 < device_frames / 3
        # the frames it did make are the clock's frames at the time: far apart, not 1 by 1.
        # One step may be short: when a UI tick on a busy machine stalls for longer than a
        # fan frame, the newest request when the worker comes free is one frame on. A
        # worker that played the frames in turn would step by 1 every time.
        loop_frames = round(window.controls.duration * window.controls.fps)
        steps = np.diff(made) % loop_frames  # the clip loops
        assert len(steps) and np.all(steps >= 1) and steps.mean() >= 2, made
    finally:
        window.close()


def test_slow_ui_frames_cost_the_live_panel_pixels_down_to_half_and_fast_ones_give_them_back():
    from holopack.preview.live import MIN_SCALE, LiveRender

    live = LiveRender(drawer=None)
    budget = 1 / 60
    for _ in range(100):
        live.adapt(3 * budget, budget)
    assert live.scale == MIN_SCALE == 0.5
    live.adapt(0.9 * budget, budget)  # about on time: no change either way
    assert live.scale == MIN_SCALE
    for _ in range(100):
        live.adapt(0.2 * budget, budget)
    assert live.scale == 1.0
