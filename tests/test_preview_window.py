"""The preview window under Xvfb, driven by key and mouse events, checked by screenshots.

The frame maker here is ``DiscFrames`` (tests/_preview_helpers.py): it draws a disc
whose position follows the request's time and camera, so each screenshot can be
checked against where the disc must be. test_preview_pipeline.py runs the same
window on the real pipeline.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
from _preview_helpers import DEVICE_COLORS, DiscFrames, disc_center, load_scene
from _xvfb import display_for_this_process
from PIL import Image

from holopack.errors import HolopackError
from holopack.preview.overlay import Layout

COLOR = (255, 200, 0)


@pytest.fixture(scope="module")
def display():
    with display_for_this_process() as name:
        yield name


@pytest.fixture()
def scene_file(tmp_path):
    path = tmp_path / "disc.json"
    path.write_text(json.dumps({"color": list(COLOR)}))
    return path


@pytest.fixture()
def window(display, scene_file, tmp_path):
    from holopack.preview.window import PreviewWindow

    win = PreviewWindow(
        str(scene_file),
        load_scene(scene_file),
        "fan-a",
        devices=["fan-a", "fan-b"],
        loader=load_scene,
        frames_factory=DiscFrames,
        fixed_dt=1 / 30,
        output_dir=tmp_path,
        window_size=(960, 540),
    )
    try:
        yield win
    finally:
        win.close()


def shot(win) -> np.ndarray:
    assert win.wait_for_current(30), win.worker.error
    return win.grab()


def panel_pixel(win, panel: str, fx: float, fy: float) -> tuple[int, int]:
    """Row, column of the point (fx, fy) (fractions, y down) of a panel."""
    rect = getattr(win.layout, f"{panel}_panel")
    return int(rect.y + fy * rect.h), int(rect.x + fx * rect.w)


def color_at(picture, win, panel, fx, fy):
    r, c = panel_pixel(win, panel, fx, fy)
    return picture[r, c].astype(int)


def disc_visible_at(picture, win, request) -> bool:
    return np.abs(color_at(picture, win, "render", *disc_center(request)) - COLOR).max() <= 8


def test_render_on_the_left_fan_on_the_right_upright(window):
    picture = shot(window)
    assert picture.shape == (540, 960, 3)
    request = window.shown.request
    cx, cy = disc_center(request)
    assert cy < 0.5
    assert disc_visible_at(picture, window, request)
    # the same spot mirrored vertically is black: the picture is not upside down
    assert color_at(picture, window, "render", cx, 1 - cy).max() <= 8
    # nothing of the render spills into the fan panel, whose ring has the device colour
    assert np.abs(color_at(picture, window, "fan", cx, cy) - COLOR).max() > 100
    ring = color_at(picture, window, "fan", 0.5, 0.15)
    expected = np.array(DEVICE_COLORS["fan-a"]) * 0.5
    assert np.abs(ring - expected).max() <= 3
    assert color_at(picture, window, "fan", 0.5, 0.5).max() <= 8


def test_playing_moves_the_frame_and_pause_holds_it(window):
    first = shot(window)
    t0 = window.controls.time
    for _ in range(12):
        window.tick()
    second = shot(window)
    assert window.controls.time == pytest.approx(t0 + 12 / 30)
    assert disc_visible_at(second, window, window.shown.request)
    assert not np.array_equal(first, second)
    window.press(" ")
    assert not window.controls.playing
    held = window.controls.time
    for _ in range(10):
        window.tick()
    assert window.controls.time == held
    third = shot(window)
    # only the frame-rate figures in the status line may differ
    top = window.layout.render_panel.y
    assert np.array_equal(second[int(top) :], third[int(top) :])


def test_loop_wraps_and_no_loop_stops_at_the_end(window):
    window.controls.time = 1.95
    window.tick()
    window.tick()
    assert window.controls.time == pytest.approx(1.95 + 2 / 30 - 2.0)
    window.press("l")
    window.controls.time = 1.95
    for _ in range(5):
        window.tick()
    assert window.controls.time == 2.0 and not window.controls.playing


def test_step_and_scrub_keys(window):
    window.press(" ")
    window.controls.time = 0.5
    window.press(".")
    assert window.controls.frame_index == 16
    window.press(",")
    window.press(",")
    assert window.controls.frame_index == 14
    window.press("RIGHT")
    assert window.controls.time == pytest.approx(14 / 30 + 0.04)
    window.press("HOME")
    assert window.controls.time == 0.0
    window.press("END")
    assert window.controls.time == 2.0


def test_dragging_the_timeline_scrubs(window):
    bar = window.layout.timeline
    y = bar.y + bar.h / 2
    window.drag((bar.x + 10, y), (bar.x + bar.w * 0.75, y))
    assert window.controls.time == pytest.approx(0.75 * 2.0, abs=0.01)
    picture = shot(window)
    assert disc_visible_at(picture, window, window.shown.request)
    assert window.shown.request.time == pytest.approx(1.5, abs=0.01)


def test_left_drag_orbits_and_the_picture_follows(window):
    window.press(" ")
    before = shot(window)
    panel = window.layout.render_panel
    start = (panel.x + panel.w * 0.5, panel.y + panel.h * 0.5)
    window.drag(start, (start[0] - 150, start[1] + 40))
    cam = window.controls.camera
    assert cam.yaw == pytest.approx(150 * 0.4)
    assert cam.pitch == pytest.approx(40 * 0.4)
    after = shot(window)
    assert window.shown.request.camera == cam
    assert disc_visible_at(after, window, window.shown.request)
    assert not np.array_equal(before, after)
    # dragging the other way turns back
    window.drag((start[0] - 150, start[1] + 40), start)
    assert window.controls.camera.yaw == pytest.approx(0.0, abs=1e-9)


def test_wheel_zooms_and_right_drag_pans(window):
    window.scroll(3)
    assert window.controls.camera.zoom == pytest.approx(0.9**3)
    panel = window.layout.fan_panel  # the camera can be moved from either panel
    start = (panel.x + 100, panel.y + 100)
    window.drag(start, (start[0] + 50, start[1] - 20), button="right")
    pan = window.controls.camera.pan
    assert pan[0] < 0 and pan[1] < 0
    window.press("r")
    assert window.controls.camera == type(window.controls.camera)()


def test_animation_device_brightness_keys(window):
    window.press("n")
    assert window.controls.animation == 1 and window.controls.time == 0.0
    window.press("a")
    assert window.controls.animation == 0
    window.press("2")
    assert window.controls.animation == 1
    window.press("d")
    assert window.controls.device == "fan-b"
    window.press("+")
    window.press("+")
    assert window.controls.brightness == pytest.approx(1.25**2)
    picture = shot(window)
    ring = color_at(picture, window, "fan", 0.5, 0.15)
    assert np.abs(ring - np.array(DEVICE_COLORS["fan-b"]) * min(1.0, 0.5 * 1.25**2)).max() <= 3
    window.press("-")
    assert window.controls.brightness == pytest.approx(1.25)
    window.press("d")
    assert window.controls.device == "fan-a"


def test_overlay_draws_the_rim_and_hub(window):
    window.press(" ")
    plain = shot(window)
    window.press("o")
    assert window.controls.overlay
    lined = shot(window)
    panel = window.layout.fan_panel
    # the rim passes through the top centre of the panel, the hub ring at 10 % radius
    r, c = int(panel.y), int(panel.x + panel.w / 2)
    rim = lined[r : r + 4, c].astype(int)
    # a yellow rim: strong red and green, little blue
    assert ((rim[:, 0] > 150) & (rim[:, 1] > 110) & (rim[:, 2] < 120)).any(), rim
    assert plain[r : r + 4, c].max() <= 60
    hub_row = int(panel.y + panel.h / 2 - 0.1 * panel.h / 2)
    assert lined[hub_row - 2 : hub_row + 3, c, 0].max() > 150
    assert not np.array_equal(plain, lined)


def test_help_and_status_text(window):
    window.press(" ")
    plain = shot(window)
    window.press("?")
    assert window.controls.help
    helped = shot(window)
    w = helped.shape[1]
    corner = (slice(40, 200), slice(w - 200, w))
    assert np.abs(helped[corner].astype(int) - plain[corner]).sum() > 1000
    window.press("h")
    assert not window.controls.help
    status = window.status_lines()[0]
    assert "slide" in status and "fan-a" in status and "fps" in status
    # the worker's time a frame is its own speed: known once it has made a frame,
    # although this test asks for frames one at a time
    assert window.worker.frames_done > 0 and window.render_fps() > 0
    assert " ms each)" in status
    window.press("[")  # a speed other than 1x is on the status line, 1x is not
    assert "1/2x" in window.status_lines()[0]
    window.press("]")
    assert "/2x" not in window.status_lines()[0] and window.controls.speed == 1.0
    # the status line is drawn: light pixels in the top strip
    assert (helped[:20, :300] > 200).sum() > 50


def test_screenshot_key_writes_the_window(window, tmp_path):
    window.press(" ")
    shot(window)
    window.press("S")
    window.tick()
    pngs = [p for p in os.listdir(tmp_path) if p.endswith(".png")]
    assert len(pngs) == 1
    saved = np.asarray(Image.open(tmp_path / pngs[0]).convert("RGB"))
    now = window.grab()
    panel = window.layout.render_panel
    # the status line above and the message line over the panels' foot change
    rows = slice(int(panel.y), int(panel.y + panel.h * 0.8))
    assert saved.shape == now.shape
    assert np.array_equal(saved[rows], now[rows])
    assert any("saved" in m for m in window.messages)


def test_hot_reload_keeps_camera_and_time(window, scene_file):
    window.press(" ")
    window.controls.time = 1.0
    window.controls.orbit(-100, 0)
    camera = window.controls.camera
    shot(window)
    time.sleep(0.01)
    scene_file.write_text(json.dumps({"color": [0, 120, 255]}))
    os.utime(scene_file, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    assert not window.check_file()  # first sight of a change: wait until it settles
    assert window.check_file()
    assert window.worker.wait_idle(10)
    deadline = time.monotonic() + 10
    while window.controls.generation == 0 and time.monotonic() < deadline:
        window.tick()
    assert window.controls.generation == 1
    picture = shot(window)
    assert window.controls.camera == camera and window.controls.time == 1.0
    spot = color_at(picture, window, "render", *disc_center(window.shown.request))
    assert np.abs(spot - (0, 120, 255)).max() <= 8


def test_a_broken_reload_keeps_the_last_good_frame(window, scene_file):
    shot(window)
    scene_file.write_text("{not json")
    window.worker.request_reload()
    assert window.worker.wait_idle(10)
    deadline = time.monotonic() + 5
    while window.worker.error is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert window.worker.error and "reload failed" in window.worker.error
    window.tick()
    picture = shot(window)
    assert disc_visible_at(picture, window, window.shown.request)


def test_scripted_run_writes_a_screenshot(window, tmp_path):
    out = tmp_path / "scripted.png"
    panel = window.layout.render_panel
    script = [
        {"frame": 2, "key": " "},
        {"frame": 3, "drag": [panel.x + 200, panel.y + 200, panel.x + 100, panel.y + 200]},
        {"frame": 4, "key": "o"},
    ]
    assert window.run(frames=6, script=script, screenshot=str(out)) == 0
    assert window.controls.camera.yaw == pytest.approx(40.0)
    assert window.controls.overlay and not window.controls.playing
    saved = np.asarray(Image.open(out).convert("RGB"))
    assert disc_visible_at(saved, window, window.shown.request)


def test_the_ui_keeps_running_while_frames_are_slow(display, scene_file):
    """A frame maker that takes 0.3 s must not hold the UI loop up."""
    from holopack.preview.window import PreviewWindow

    slow = lambda scene, device: DiscFrames(scene, device, delay=0.3)  # noqa: E731
    win = PreviewWindow(
        str(scene_file),
        load_scene(scene_file),
        "fan-a",
        loader=load_scene,
        frames_factory=slow,
        window_size=(640, 360),
    )
    try:
        started = time.perf_counter()
        for _ in range(20):
            win.tick()
        elapsed = time.perf_counter() - started
        # 20 UI frames passed while at most a few slow frames could have been made
        assert win.worker.frames_done <= elapsed / 0.3 + 1
        assert win.frame_count == 20
        assert elapsed < 20 * 0.3
    finally:
        win.close()


def test_layout_hit_regions():
    layout = Layout(1280, 720)
    left, right, bar = layout.render_panel, layout.fan_panel, layout.timeline
    assert left.w == right.w and left.x + left.w < right.x
    assert left.y + left.h < bar.y
    assert layout.hit(left.x + 5, left.y + 5) == "render"
    assert layout.hit(right.x + right.w - 5, right.y + 5) == "fan"
    assert layout.hit(bar.x + 3, bar.y + bar.h / 2) == "timeline"
    assert layout.timeline_fraction(bar.x + bar.w / 4) == pytest.approx(0.25)
    assert layout.hit(2, 2) is None


def test_no_display_names_the_fix(monkeypatch, scene_file):
    from holopack.preview.window import PreviewWindow

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(HolopackError) as info:
        PreviewWindow(
            str(scene_file), load_scene(scene_file), "fan-a", loader=load_scene, frames_factory=DiscFrames
        )
    message = str(info.value)
    assert "xvfb-run holopack preview" in message and "holopack export" in message
    assert "\n" not in message


def test_a_failing_frame_is_reported_not_fatal(display, scene_file):
    from holopack.errors import InputError
    from holopack.preview.window import PreviewWindow

    class Failing(DiscFrames):
        def frame(self, request):
            if request.time > 0.2:
                raise InputError("the clip cannot be drawn here", "model.glb")
            return super().frame(request)

    win = PreviewWindow(
        str(scene_file),
        load_scene(scene_file),
        "fan-a",
        loader=load_scene,
        frames_factory=Failing,
        fixed_dt=1 / 30,
        window_size=(640, 360),
    )
    try:
        assert win.wait_for_current(30)
        for _ in range(10):
            win.tick()
        started = time.monotonic()
        assert not win.wait_for_current(30)
        assert time.monotonic() - started < 10
        assert win.worker.error == "model.glb: the clip cannot be drawn here"
        win.tick()  # the window carries on and shows the message
        picture = win.grab()
        bar = win.layout.timeline
        strip = picture[int(bar.y) - 30 : int(bar.y) - 5, int(bar.x) : int(bar.x) + 300]
        assert ((strip[..., 0] > 200) & (strip[..., 2] < 150)).sum() > 20  # red-orange text
        win.press(" ")
        win.press("HOME")
        assert win.wait_for_current(30) and win.worker.error is None
    finally:
        win.close()


def test_the_wall_clock_starts_with_the_first_picture(display, scene_file):
    """Played by the wall clock, the clip waits for its first picture: loading and
    fitting the camera (0.9 s for Fox, 3.2 s for BrainStem) ran the clock on while both
    panels were black, so the clip started that far in, and the first fan frame (frame
    0) stood beside a left panel already drawn seconds later."""
    from holopack.preview.window import PreviewWindow

    delay = 0.4
    win = PreviewWindow(
        str(scene_file),
        load_scene(scene_file),
        "fan-a",
        loader=load_scene,
        frames_factory=lambda scene, device: DiscFrames(scene, device, delay=delay),
        window_size=(640, 360),
    )
    try:
        assert win.fixed_dt is None  # the wall clock
        started = time.perf_counter()
        while win.shown is None and time.perf_counter() - started < 30:
            picked = time.perf_counter()  # the start of the tick that shows the first picture
            win.tick()
            assert win.controls.time == 0.0
        assert picked - started >= delay and win.shown.request.time == 0.0
        # from then on the clock is the wall clock: it moved by the time between that
        # tick's start and the last tick's start, which lies between these two spans
        after = time.perf_counter()
        while time.perf_counter() - after < 0.3:
            last = time.perf_counter()
            win.tick()
        assert last - after <= win.controls.time <= time.perf_counter() - picked
    finally:
        win.close()


def test_a_folder_given_with_a_trailing_slash_is_named(display, tmp_path):
    """``holopack preview frames/`` titled the window "holopack preview - " and began
    the status line with nothing: the name of "frames/" is "frames"."""
    from holopack.preview.window import PreviewWindow, input_name

    folder = tmp_path / "frames"
    folder.mkdir()
    assert input_name(f"{folder}{os.sep}") == input_name(str(folder)) == "frames"
    assert input_name("twin.glb") == "twin.glb"
    win = PreviewWindow(
        f"{folder}{os.sep}",
        {"color": list(COLOR)},
        "fan-a",
        loader=load_scene,
        frames_factory=DiscFrames,
        fixed_dt=1 / 30,
        window_size=(640, 360),
    )
    try:
        assert win.status_lines()[0].startswith("frames  |")
        assert win.glfw.get_window_title(win.window) == "holopack preview - frames"
    finally:
        win.close()


def test_an_input_deleted_while_open_is_said_while_gone_and_reloads_when_back(window, scene_file):
    """Deleting the input left the last reload's outcome on screen and said nothing."""
    shot(window)
    assert window.note() == ("", False)
    saved = scene_file.read_text()
    scene_file.unlink()
    assert not window.check_file() and not window.check_file()
    assert window.note() == ("disc.json is gone: showing the last version read", True)
    picture = shot(window)  # the last version stays on screen
    assert disc_visible_at(picture, window, window.shown.request)
    scene_file.write_text(saved.replace(str(COLOR[2]), "255"))
    assert not window.check_file()  # back: reloaded once it has settled
    assert window.check_file()
    assert window.note() == ("", False)
    assert window.worker.wait_idle(10)
    deadline = time.monotonic() + 10
    while window.controls.generation == 0 and time.monotonic() < deadline:
        window.tick()
    assert window.controls.generation == 1


def test_the_newest_note_shows_for_a_while_and_errors_while_they_hold(window, monkeypatch):
    """The line over the timeline kept the worker's last job outcome for good: after an
    export, "exported ..." hid every later "saved ..." and stayed all session."""
    from holopack.preview import window as window_module

    now = [1000.0]
    monkeypatch.setattr(window_module.time, "monotonic", lambda: now[0])
    window.worker.status = "exported out/01_DISC.BIN: 60 frames"
    assert window.note() == ("exported out/01_DISC.BIN: 60 frames", False)
    now[0] += 1.0
    window.messages.append("saved shot.png")  # newer than the export's outcome: shown
    assert window.note() == ("saved shot.png", False)
    now[0] += window_module.NOTE_SECONDS + 0.1
    assert window.note() == ("", False)  # and gone after a while
    window.worker.status = "failed: cannot write out/01_DISC.BIN"
    now[0] += 100 * window_module.NOTE_SECONDS
    assert window.note() == ("failed: cannot write out/01_DISC.BIN", True)  # until the next note
    window.worker.error = "model.glb: the clip cannot be drawn here"
    assert window.note() == ("model.glb: the clip cannot be drawn here", True)
    window.worker.error = None
    window.messages.append("saved again.png")
    assert window.note() == ("saved again.png", False)


def test_two_screenshots_in_one_second_are_two_files(window, tmp_path):
    """``S`` named screenshots by the second: a second press in the same second
    overwrote the first."""
    window.press(" ")
    shot(window)
    names = []
    for _ in range(3):
        window.press("S")
        window.tick()
        names.append(window.messages[-1].removeprefix("saved "))
    pngs = sorted(p for p in os.listdir(tmp_path) if p.endswith(".png"))
    assert len(pngs) == 3 and len(set(names)) == 3
    assert all(os.path.exists(name) for name in names)


@pytest.mark.parametrize(
    "event, problem",
    [
        ({"frame": 1, "key": "F13"}, "key must be one character or one of SPACE, LEFT"),
        ({"frame": 1, "key": ""}, "key must be one character"),
        ({"frame": 1, "drag": [1, 2]}, "drag must be [x0, y0, x1, y1]"),
        ({"frame": 1, "drag": [1, 2, 3, 4], "button": "side"}, "button must be one of left, right, middle"),
        ({"frame": 1, "scroll": "x"}, "scroll must be a number"),
        ({"frame": "a", "key": "d"}, "frame must be a whole number"),
        ({"frame": -1, "key": "d"}, "frame must be a whole number"),
        ({"frame": 2, "keys": "d"}, "unknown field 'keys'"),
        ({"frame": 2, "screenshot": ""}, "screenshot must be the path"),
    ],
)
def test_a_bad_script_event_is_one_line_before_the_window_opens(event, problem):
    """A script's typo was an internal error (ValueError, KeyError) at its frame, after
    the window had opened and played up to it."""
    from holopack.errors import InputError
    from holopack.preview.window import load_script

    good = {"frame": 0, "key": "SPACE"}
    for script in ([good, event], json.dumps([good, event])):
        with pytest.raises(InputError) as info:
            load_script(script)
        message = str(info.value)
        assert message.startswith("script event 2 (") and problem in message and "\n" not in message
    # what the window plays is accepted: every key it names, whole-number floats from JSON
    keys = ["SPACE", "space", "left", "ESCAPE", "KP_ADD", "d", "?"]
    events = [{"frame": 3.0, "key": k} for k in keys] + [
        {"frame": 4, "drag": [1, 2.5, 3, 4], "button": "right"},
        {"scroll": -2, "wait": True, "screenshot": "out.png"},
    ]
    assert load_script(events) == events
    with pytest.raises(InputError, match=r"^script event 2 \(3\): an event is a JSON object$"):
        load_script([good, 3])  # a list given to run_preview or window.run directly


def test_a_minimised_window_plays_on_without_drawing(window):
    """Minimised, a window's framebuffer is 0 x 0 (Windows, Wayland): the layout divided
    by its size and the preview ended with ZeroDivisionError."""
    shot(window)
    made = window.worker.frames_done
    window._on_framebuffer_size(window.window, 0, 0)  # what glfw reports when minimised
    t0 = window.controls.time
    for _ in range(6):
        window.tick()
    assert window.controls.time == pytest.approx(t0 + 6 / 30)  # the clock plays on
    assert window.worker.frames_done == made  # and nothing is made for an unseen window
    window._on_framebuffer_size(window.window, *window.glfw.get_framebuffer_size(window.window))
    window.tick()
    picture = shot(window)
    assert picture.shape == (540, 960, 3)
    assert disc_visible_at(picture, window, window.shown.request)


def test_a_screenshot_that_cannot_be_written_is_a_note_not_the_end(window, tmp_path):
    """``S`` with an output folder that is gone ended the preview with the write's
    error; the window carries on and says why in the note line."""
    window.output_dir = tmp_path / "gone"
    window.press(" ")
    shot(window)
    window.press("S")
    window.tick()
    note, error = window.note()
    assert error and note.startswith("failed: ") and "the folder to write into does not exist" in note
    window.output_dir = tmp_path
    window.press("S")
    window.tick()
    assert window.note()[0].startswith("saved ") and len(list(tmp_path.glob("*.png"))) == 1


def test_the_status_line_fits_the_window_keeping_the_clock_and_device(display, tmp_path):
    """A long file name, or an 800-pixel window, cut the status line off at the window's
    edge: the device, the clock or the whole line past the name were not shown."""
    from holopack.preview import text as text_raster
    from holopack.preview.window import PreviewWindow

    name = "character-turnaround-final-approved-by-client-v7-" + "x" * 40 + ".json"
    path = tmp_path / name
    path.write_text(json.dumps({"color": list(COLOR)}))
    win = PreviewWindow(
        str(path),
        load_scene(path),
        "fan-a",
        loader=load_scene,
        frames_factory=DiscFrames,
        fixed_dt=1 / 30,
        window_size=(640, 360),
    )
    try:
        full = win.status_lines()[0]
        assert text_raster.line_width(full) > 640  # as it was drawn before
        for width in (1600, 900, 640, 420):
            line = win.status_lines(max_px=width)[0]
            assert text_raster.line_width(line) <= width
            assert "slide" in line and "0.00 / 2.00 s" in line and "fan-a" in line
        # narrower than the clock and device: the name is shortened as far as it goes
        assert win.status_lines(max_px=300)[0].startswith("c...n  |  slide")
        assert win.status_lines(max_px=10_000) == [full]  # room for everything: all of it
        shortened = win.status_lines(max_px=640)[0].split("  |  ")[0]
        assert shortened.startswith("character-tur") and shortened.endswith("xx.json") and "..." in shortened
        # drawn at the window's width
        win.tick()
        assert win.status_text.size[0] <= win.framebuffer_size[0] - 4
    finally:
        win.close()


def _reloaded(win, generation: int) -> bool:
    assert win.worker.wait_idle(10)
    deadline = time.monotonic() + 10
    while win.controls.generation < generation and time.monotonic() < deadline:
        win.tick()
    return win.controls.generation == generation


@pytest.mark.parametrize("kind", ["folder", "gltf"])
def test_a_file_the_input_reads_besides_itself_reloads_it(display, tmp_path, kind):
    """The hot reload watched only the input's own entry: a picture of a folder written
    in place, or a texture of a .gltf saved over, changed nothing it looked at, and the
    preview kept showing the old version."""
    from holopack.preview.window import PreviewWindow, gltf_file_uris

    if kind == "folder":
        path = tmp_path / "frames"
        path.mkdir()
        changed = path / "frame_001.json"
    else:
        path = tmp_path / "model.gltf"
        doc = {
            "asset": {"version": "2.0"},
            "buffers": [{"uri": "mesh%20data.bin", "byteLength": 4}, {"byteLength": 4}],
            "images": [{"uri": "data:image/png;base64,AAAA"}, {"uri": "textures/skin.json"}],
        }
        path.write_text(json.dumps(doc))
        (tmp_path / "mesh data.bin").write_bytes(b"\0" * 4)
        (tmp_path / "textures").mkdir()
        changed = tmp_path / "textures" / "skin.json"
        assert gltf_file_uris(str(path)) == ["mesh data.bin", "textures/skin.json"]
    changed.write_text(json.dumps({"color": list(COLOR)}))
    win = PreviewWindow(
        str(path),
        load_scene(changed),
        "fan-a",
        loader=lambda _: load_scene(changed),  # the input's look lives in the file it reads
        frames_factory=DiscFrames,
        fixed_dt=1 / 30,
        window_size=(640, 360),
    )
    try:
        win.press(" ")
        shot(win)
        before = os.stat(path).st_mtime_ns
        with open(changed, "r+") as f:  # written in place: the input's own entry stays as it was
            f.write(json.dumps({"color": [0, 120, 255]}))
        os.utime(changed, ns=(time.time_ns(), time.time_ns() + 10_000_000))
        assert os.stat(path).st_mtime_ns == before
        assert not win.check_file()  # first sight of a change: wait until it settles
        assert win.check_file()
        assert _reloaded(win, 1)
        picture = shot(win)
        spot = color_at(picture, win, "render", *disc_center(win.shown.request))
        assert np.abs(spot - (0, 120, 255)).max() <= 8
        assert not win.check_file()  # nothing changed since
    finally:
        win.close()
