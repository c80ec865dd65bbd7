"""The preview window on the real pipeline: the default twin under Xvfb.

The preview must show exactly what export writes: its left panel is compared with a
Source built independently from holopack.pipeline, frame for frame.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from _xvfb import clean_env, display_for_this_process
from PIL import Image

from holopack import pipeline
from holopack.preview.overlay import Layout
from holopack.preview.source import PipelineFrames
from holopack.rendering.camera import Framing
from holopack.scene.load import load

ROOT = Path(__file__).resolve().parent.parent
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"
SIZE = 96  # small renders keep the suite fast; the window scales them up


@pytest.fixture(scope="module")
def display():
    with display_for_this_process() as name:
        yield name


@pytest.fixture(scope="module")
def twin():
    return load(TWIN)


def reference_picture(scene, device, animation, index, framing=None):
    """What export renders for frame ``index``, built without the preview."""
    settings = pipeline.ExportSettings(device=device, animation=animation)
    profile = pipeline.resolve_profile(device)
    timeline = pipeline.make_timeline(scene, settings, profile.fps)
    source = pipeline.open_source(
        scene,
        timeline,
        SIZE,
        framing=framing or Framing(),
        supersample=profile.supersample,
        lights=profile.lights,
        **settings.look(),  # export's shading (pbr by default), not the library's
    )
    return source.picture(index).color


def open_window(scene, device, tmp_path):
    from holopack.preview.window import PreviewWindow

    return PreviewWindow(
        str(TWIN),
        scene,
        device,
        devices=[device],
        frames_factory=partial(PipelineFrames, size=SIZE),
        fixed_dt=1 / 30,
        output_dir=tmp_path,
        window_size=(800, 450),
    )


def panel(picture, rect):
    return picture[int(rect.y) + 2 : int(rect.y + rect.h) - 2, int(rect.x) + 2 : int(rect.x + rect.w) - 2]


def test_twin_left_fan_right_and_the_preview_is_the_export_frame(display, twin, tmp_path):
    win = open_window(twin, "mp4-fan", tmp_path)
    try:
        for _ in range(5):
            win.tick()
        assert win.wait_for_current(120), win.worker.error
        first = win.grab()
        shown = win.shown
        assert shown.request.frame_index == 5
        expected = reference_picture(twin, "mp4-fan", 0, 5)
        assert np.array_equal(shown.render, expected)
        layout = win.layout
        left, right = panel(first, layout.render_panel), panel(first, layout.fan_panel)
        # the robot is lit in the middle of both panels; the fan's corners stay black
        assert (left.max(axis=2) > 40).mean() > 0.05
        assert (right.max(axis=2) > 40).mean() > 0.05
        corner = right[: right.shape[0] // 10, : right.shape[1] // 10]
        assert corner.max() <= 30

        # playing on changes the picture
        for _ in range(15):
            win.tick()
        assert win.wait_for_current(120), win.worker.error
        played = win.grab()
        assert win.shown.request.frame_index == 20
        assert np.abs(panel(played, layout.render_panel).astype(int) - left).mean() > 1.0

        # an orbit drag turns the camera: the picture equals export with that framing
        win.press(" ")
        rect = layout.render_panel
        start = (rect.x + rect.w / 2, rect.y + rect.h / 2)
        win.drag(start, (start[0] + 150, start[1]))
        assert win.wait_for_current(120), win.worker.error
        cam = win.controls.camera
        assert cam.yaw == pytest.approx(360 - 60)
        turned = win.grab()
        assert (
            np.abs(panel(turned, layout.render_panel).astype(int) - panel(played, layout.render_panel)).mean()
            > 1.0
        )
        expected = reference_picture(twin, "mp4-fan", 0, 20, Framing(yaw=cam.yaw, pitch=cam.pitch))
        differ = np.abs(win.shown.render.astype(int) - expected).max(axis=2) > 2
        assert differ.mean() < 0.002  # the same camera up to rounding on a few edge pixels
    finally:
        win.close()


def test_export_key_writes_what_is_on_screen(display, twin, tmp_path):
    win = open_window(twin, "mp4-fan", tmp_path)
    try:
        win.press("2")  # the second clip (short), to keep the export quick
        win.press(" ")
        win.controls.orbit(-50, 0)
        win.render_size = SIZE
        win.tick()
        win.press("E")
        win.tick()
        assert win.worker.wait_idle(300)
        assert win.worker.status.startswith("exported"), win.worker.status
        out = tmp_path / "RobotExpressive-mp4-fan.mp4"
        assert out.exists() and out.stat().st_size > 1000
        from holopack.formats.mp4 import read

        video = read(str(out))
        clip = twin.animations[1]
        assert video.frame_count == round(clip.duration * 30)
        # the exported frame 0 is the preview's frame 0 with the same camera (H.264 aside)
        first = next(iter(video.frames()))
        win.controls.time = 0.0
        assert win.wait_for_current(120)
        assert first.shape == win.shown.render.shape
        error = np.abs(first.astype(int) - win.shown.fan.astype(int)).mean()
        assert error < 6
        # and not the default camera: the orbit was exported too
        unturned = reference_picture(twin, "mp4-fan", 1, 0)
        mask = pipeline.circle_mask(SIZE)
        unturned = (unturned * mask + 0.5).astype(np.uint8)
        assert np.abs(first.astype(int) - unturned).mean() > 2 * error
    finally:
        win.close()


def test_headless_command_line_run(display, tmp_path):
    out = tmp_path / "shot.png"
    env = clean_env(DISPLAY=display, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "holopack",
            "preview",
            str(TWIN),
            "--device",
            "mp4-fan",
            "--size",
            str(SIZE),
            "--frames",
            "6",
            "--screenshot",
            str(out),
            "--script",
            '[{"frame": 2, "key": "o"}]',
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    shot = np.asarray(Image.open(out).convert("RGB"))
    layout = Layout(shot.shape[1], shot.shape[0])
    left, right = panel(shot, layout.render_panel), panel(shot, layout.fan_panel)
    assert (left.max(axis=2) > 40).mean() > 0.05 and (right.max(axis=2) > 40).mean() > 0.05
    # the overlay's yellow rim crosses the top middle of the fan panel
    rect = layout.fan_panel
    column = shot[int(rect.y) : int(rect.y) + 4, int(rect.x + rect.w / 2)].astype(int)
    assert ((column[:, 0] > 150) & (column[:, 1] > 110) & (column[:, 2] < 120)).any()


def test_no_display_from_the_command_line(tmp_path):
    env = {k: v for k, v in clean_env().items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "holopack", "preview", str(TWIN)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "xvfb-run holopack preview" in result.stderr
    assert "Traceback" not in result.stderr


def test_fan_panel_is_the_device_simulation_and_E_writes_the_same_codes(display, twin, tmp_path):
    """On a polar fan the right panel is ViewerSimulator(PolarEncoder(render)); the
    exported .BIN holds the very codes the preview simulated."""
    from holopack.device import PolarEncoder, ViewerSimulator, load_profile
    from holopack.formats.fanfile import open_fan_file
    from holopack.preview.source import FAN_VIEW_OVERSAMPLE, FAN_VIEW_PX

    device = "3dcircle-42f2"
    profile = load_profile(device)
    win = open_window(twin, device, tmp_path)
    try:
        win.press("2")  # "Death": 29 frames, a quick export
        win.press(" ")
        win.press(".")
        win.press(".")
        assert win.wait_for_current(120), win.worker.error
        index = win.shown.request.frame_index
        assert index == 2
        settings = pipeline.ExportSettings(device=device, animation=1)
        timeline = pipeline.make_timeline(twin, settings, profile.fps)
        source = pipeline.open_source(
            twin, timeline, SIZE, supersample=profile.supersample, lights=profile.lights, **settings.look()
        )
        picture = source.picture(index)
        assert np.array_equal(win.shown.render, picture.color)
        codes = PolarEncoder(profile, SIZE).encode(picture.linear_light(), index)
        fan = ViewerSimulator(profile, FAN_VIEW_PX, oversample=FAN_VIEW_OVERSAMPLE).render(codes)
        assert np.array_equal(win.shown.fan, fan)

        win.render_size = SIZE
        win.press("E")
        win.tick()
        assert win.worker.wait_idle(300)
        assert win.worker.status.startswith("exported"), win.worker.status
        from holopack.formats.names import name_rule

        out = Path(win.export_path(profile))
        assert out.parent == tmp_path and not name_rule(profile).problems(out.name, need_position=False)
        assert out.name.endswith(".BIN") and "ROBOT" in out.name
        written = open_fan_file(str(out), profile)
        assert written.frame_count == round(twin.animations[1].duration * profile.fps)
        frames = written.frames()
        for _ in range(index):
            next(frames)
        assert np.array_equal(next(frames), codes)
    finally:
        win.close()


def test_hot_reload_of_a_model_file(display, tmp_path):
    """Overwriting the input with another model reloads it; the camera stays."""
    import shutil

    data = ROOT / "tests" / "data"
    path = tmp_path / "model.glb"
    shutil.copy(data / "Duck" / "Duck.glb", path)
    from holopack.preview.window import PreviewWindow

    win = PreviewWindow(
        str(path),
        load(path),
        "mp4-fan",
        devices=["mp4-fan"],
        frames_factory=partial(PipelineFrames, size=SIZE),
        fixed_dt=1 / 30,
        output_dir=tmp_path,
        window_size=(800, 450),
    )
    try:
        assert win.controls.animations[0][0] == "turntable"
        win.controls.orbit(-30, -20)
        camera = win.controls.camera
        assert win.wait_for_current(120), win.worker.error
        duck = win.shown.render.copy()
        shutil.copy(data / "CesiumMan" / "CesiumMan.glb", path)
        os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10_000_000))
        win.check_file()
        assert win.check_file()
        assert win.worker.wait_idle(60)
        for _ in range(3):
            win.tick()
        assert win.controls.generation == 1, win.worker.error
        assert win.controls.animations[0][0] != "turntable"  # CesiumMan's clip
        assert win.controls.camera == camera
        assert win.wait_for_current(120), win.worker.error
        assert win.shown.request.generation == 1
        assert np.abs(win.shown.render.astype(int) - duck).mean() > 2.0
    finally:
        win.close()


def test_a_bad_animation_name_is_an_input_error_and_closes_the_window(display, twin, tmp_path):
    from holopack.errors import InputError
    from holopack.preview.window import PreviewWindow

    with pytest.raises(InputError, match="no animation named 'Moonwalk'.*Dance"):
        PreviewWindow(
            str(TWIN),
            twin,
            "mp4-fan",
            animation="Moonwalk",
            frames_factory=partial(PipelineFrames, size=SIZE),
        )
    # glfw was shut down cleanly: the next window opens, on the clip asked for by name
    win = PreviewWindow(
        str(TWIN),
        twin,
        "mp4-fan",
        animation="idle",
        frames_factory=partial(PipelineFrames, size=SIZE),
        window_size=(640, 360),
    )
    try:
        assert win.controls.animation_name == "Idle"
    finally:
        win.close()


def test_an_unknown_device_fails_before_a_window_opens(display):
    from holopack.errors import InputError
    from holopack.preview import run_preview

    with pytest.raises(InputError, match="no-such-fan"):
        run_preview(str(TWIN), "no-such-fan", frames=1)


def test_the_shading_options_of_the_command_line_reach_both_panels(monkeypatch):
    """``holopack preview --shading pbr ...`` hands the option table's values on, and
    the frame maker shades with them as export does; without them, export's defaults."""
    import holopack.preview
    from holopack import options
    from holopack.cli import build_parser

    seen: dict = {}
    monkeypatch.setattr(holopack.preview, "run_preview", lambda *args, **kwargs: seen.update(kwargs) or 0)
    given = ["--shading", "pbr", "--environment", "studio", "--tone-mapping", "aces", "--exposure", "1.5"]
    args = build_parser().parse_args(["preview", str(TWIN), *given, "--model-lights"])
    assert args.run(args) == 0
    look = seen["look"]
    assert look == {
        "shading": "pbr",
        "environment": "studio",
        "tone_mapping": "aces",
        "exposure": 1.5,
        "model_lights": True,
        "variant": None,
    }
    frames = PipelineFrames(load(TWIN), "mp4-fan", size=SIZE, look=options.settings_fields(look)[0])
    source = frames._source(None)[0]
    assert (
        source.shading,
        source.environment,
        source.tone_mapping,
        source.exposure,
        source.model_lights,
    ) == (
        "pbr",
        "studio",
        "aces",
        1.5,
        True,
    )

    args = build_parser().parse_args(["preview", str(TWIN)])
    assert args.run(args) == 0
    defaults = pipeline.ExportSettings()
    plain = PipelineFrames(load(TWIN), "mp4-fan", size=SIZE, look=options.settings_fields(seen["look"])[0])
    assert plain.look == defaults.look()


def test_the_windows_export_keeps_the_video_options_it_previews(display, tmp_path):
    """E writes the keyed, cropped and looped clip the window shows: the file the
    command line exports with the same --key/--crop/--loop/--levels, to the byte."""
    from holopack.cli import main
    from holopack.preview.window import PreviewWindow

    sys.path.insert(0, str(ROOT / "tests"))
    from test_video_crop_loop import sliding_disc, write_mp4

    clip = tmp_path / "disc.mp4"
    (tmp_path / "window").mkdir()
    screen = np.array([40, 200, 60], np.uint8)
    write_mp4(clip, [np.where(f.max(-1, keepdims=True) > 0, f, screen) for f in sliding_disc()])
    video = {"key": "green", "crop": "fit", "loop": "crossfade=0.25", "levels": "auto"}
    win = PreviewWindow(
        str(clip),
        load(clip),
        "3dcircle-42f2",
        devices=["3dcircle-42f2"],
        frames_factory=partial(PipelineFrames, size=SIZE, video=video),
        fixed_dt=1 / 30,
        output_dir=tmp_path / "window",
        window_size=(800, 450),
    )
    win.render_size = SIZE  # as `holopack preview --size` sets it
    try:
        assert win.wait_for_current(120), win.worker.error
        win.press("E")
        win.tick()
        assert win.worker.wait_idle(120)
        assert win.worker.status.startswith("exported"), win.worker.status
    finally:
        win.close()
    (written,) = (tmp_path / "window").iterdir()
    flags = [f"--{name}={value}" for name, value in video.items()]
    exported = tmp_path / "01_DISC.BIN"
    args = ["export", str(clip), "--device", "3dcircle-42f2", "--size", str(SIZE), *flags, "-q"]
    assert main([*args, "-o", str(exported)]) == 0
    assert written.read_bytes() == exported.read_bytes()


@pytest.mark.parametrize(
    "lengths, asked",
    [
        ((2.0, 2.0, 2.0), None),  # one clip per joint: export plays all of them by default
        ((1.0, 2.0, 4.0), "all"),  # alternatives: all only when asked for
    ],
)
def test_all_clips_together_is_previewed_as_export_plays_it(display, tmp_path, lengths, asked):
    """``--animation all`` opened the window and then failed on its first frame (the
    frame maker had no entry for it), and a file of one clip per joint showed its first
    clip alone where export plays every clip together. The preview's picture is the
    export's for the same choice, and ``n`` reaches the combined clip, listed last."""
    from _facing_models import per_joint_clips

    from holopack.preview.window import PreviewWindow

    path = tmp_path / "walk.gltf"
    per_joint_clips(lengths=lengths).write(path)
    scene = load(str(path))
    expected_index = scene.animation_index(asked)
    assert expected_index == scene.all_clips_index == 3
    win = PreviewWindow(
        str(path),
        scene,
        "mp4-fan",
        animation=asked,
        frames_factory=partial(PipelineFrames, size=SIZE),
        fixed_dt=1 / 30,
        window_size=(640, 360),
    )
    try:
        c = win.controls
        assert [name for name, _ in c.animations] == ["joint0_move", "joint1_move", "joint2_move", "all"]
        assert c.animation == expected_index and c.duration == pytest.approx(max(lengths))
        for _ in range(20):
            win.tick()
        assert win.wait_for_current(120), win.worker.error
        index = win.shown.request.frame_index
        assert index == 20
        expected = reference_picture(scene, "mp4-fan", asked, index)
        assert np.array_equal(win.shown.render, expected)
        # every joint has risen at frame 20: the picture is not the first clip's alone
        assert not np.array_equal(expected, reference_picture(scene, "mp4-fan", 0, index))
        win.press("n")  # from the last entry, round to the first clip
        assert c.animation == 0 and c.animation_name == "joint0_move"
        win.press("4")
        assert c.animation == expected_index and "all (4/4)" in win.status_lines()[0]
    finally:
        win.close()


def test_closing_a_video_preview_leaves_no_read_ahead_thread(display, tmp_path):
    """A clip is decoded and keyed ahead on a thread of its own (holopack.ahead); it
    outlived the closed window (seen after a sweep's reloads: the process then aborted
    once at exit, 'terminate called without an active exception'). Each replaced frame
    maker and the last one are closed with their threads."""
    import threading

    from _video_clips import cell_grid

    from holopack.preview.window import PreviewWindow

    def reading_ahead():
        return [t for t in threading.enumerate() if t.name == "holopack-video-ahead" and t.is_alive()]

    folder = tmp_path / "clip"
    folder.mkdir()
    grid = cell_grid(48, 32)
    for i in range(6):
        Image.fromarray(np.roll(grid, 4 * i, axis=1)).save(folder / f"f{i:02d}.png")
    before = reading_ahead()
    win = PreviewWindow(
        str(folder),
        load(str(folder)),
        "mp4-fan",
        devices=["mp4-fan", "hypervsn"],
        frames_factory=partial(PipelineFrames, size=SIZE),
        fixed_dt=1 / 30,
        window_size=(640, 360),
    )
    try:
        assert win.wait_for_current(60), win.worker.error
        assert len(reading_ahead()) > len(before)  # the clip is being read ahead
        win.press("d")  # another device: a new frame maker, the old one closed
        assert win.wait_for_current(60), win.worker.error
        assert len(reading_ahead()) == len(before) + 1
    finally:
        win.close()
    assert reading_ahead() == before


def test_an_animation_asked_of_a_model_without_clips_is_refused_as_export_refuses_it(display):
    """``preview Duck.glb --animation 1`` opened on the turntable, silently, where
    ``export`` says the file has no such clip."""
    from holopack.errors import InputError
    from holopack.preview.window import PreviewWindow

    duck = ROOT / "tests" / "data" / "Duck" / "Duck.glb"
    scene = load(duck)
    with pytest.raises(InputError) as refused:
        pipeline.make_timeline(scene, pipeline.ExportSettings(animation=1), 30.0)
    with pytest.raises(InputError) as info:
        PreviewWindow(
            str(duck), scene, "mp4-fan", animation=1, frames_factory=partial(PipelineFrames, size=SIZE)
        )
    assert str(info.value) == str(refused.value) and "out of range (0 animations)" in str(info.value)
