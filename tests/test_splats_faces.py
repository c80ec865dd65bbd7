"""A Gaussian splat twin through every face: export (every output format), inspect, the
preview's worker, the bench's scene line, and walls of fans."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from _splat_files import sphere_twin
from PIL import Image

from holopack.cli import main
from holopack.pipeline import ExportSettings, SplatSource, export, make_timeline, open_source
from holopack.scene.load import load

ONE_FAN = 'device = "3dcircle-42f2"\n[[fans]]\nname = "A"\nx = 0.0\ny = 0.0\n'


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    return sphere_twin(tmp_path_factory.mktemp("splats") / "sphere.ply", count=800, floaters=40)


def lit_centre(picture: np.ndarray) -> tuple[float, float]:
    """(x, y) centre of the lit pixels' box."""
    ys, xs = np.nonzero(picture.max(axis=2) > 30)
    return (xs.min() + xs.max() + 1) / 2, (ys.min() + ys.max() + 1) / 2


def test_png_frames_show_the_sphere_centred_red_on_top(twin, tmp_path):
    out = tmp_path / "frames"
    result = export(str(twin), str(out) + "/", format="png", size=64, seconds=0.2, fps=10, progress=False)
    assert result.frames == 2
    frames = sorted(out.glob("*.png"))
    assert len(frames) == 2
    picture = np.asarray(Image.open(frames[0]).convert("RGB")).astype(int)
    cx, cy = lit_centre(picture)
    assert abs(cx - 32) <= 2 and abs(cy - 32) <= 2  # the floaters did not pull the framing
    top, bottom = picture[12:24, 24:40].mean(axis=(0, 1)), picture[40:52, 24:40].mean(axis=(0, 1))
    assert top[0] > 2 * top[2] and bottom[2] > 2 * bottom[0]  # +Y up: red above blue
    # a disc that fills the fan's circle (radius 32) and stays inside it
    ys, xs = np.nonzero(picture.max(axis=2) > 30)
    reach = np.hypot(xs + 0.5 - 32, ys + 0.5 - 32)
    assert 26 < reach.max() < 32 and len(xs) > 0.5 * 64 * 64


def test_up_minus_y_turns_the_capture_over(twin, tmp_path):
    out = tmp_path / "turned.png"
    export(
        str(twin),
        str(out),
        format="picture",
        size=64,
        up="-y",
        front="-z",
        seconds=0.05,
        fps=20,
        progress=False,
    )
    picture = np.asarray(Image.open(out).convert("RGB")).astype(int)
    top, bottom = picture[12:24, 24:40].mean(axis=(0, 1)), picture[40:52, 24:40].mean(axis=(0, 1))
    assert top[2] > 2 * top[0] and bottom[0] > 2 * bottom[2]


@pytest.mark.parametrize("device, name", [("3dcircle-42f2", "SPLAT.BIN"), ("mp4-fan", "splat.mp4")])
def test_device_files_are_written_for_a_splat_twin(twin, tmp_path, device, name):
    result = export(str(twin), str(tmp_path / name), device=device, seconds=0.2, size=96, progress=False)
    assert result.frames == round(0.2 * result.fps) and result.bytes > 0


def test_the_turntable_turns_the_splats(twin):
    scene = load(twin)
    timeline = make_timeline(scene, ExportSettings(), 30.0)
    assert timeline.seconds == 8.0 and timeline.turntable == 45.0  # one turn as a still model's
    source = open_source(scene, timeline, 48, supersample=1)
    assert isinstance(source, SplatSource)
    first, quarter = source.picture(0), source.picture(60)  # 2 s: a quarter turn
    # seen from the side the sphere still splits red over blue, but the picture changed
    assert not np.array_equal(first.color, quarter.color)
    assert first.linear.dtype == np.float32 and first.tiles is not None


def test_inspect_reports_count_degree_and_the_framed_extent(twin, capsys):
    assert main(["inspect", str(twin)]) == 0
    out = capsys.readouterr().out
    assert "840 Gaussian splats, spherical harmonics of degree 0" in out
    assert main(["inspect", "--json", str(twin)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["kind"] == "splats" and info["splats"] == 840 and info["sh_degree"] == 0
    # the extent leaves the faint floaters out; the bounds hold every centre
    assert max(abs(v) for v in info["extent"]["min"] + info["extent"]["max"]) < 1.05
    assert max(abs(v) for v in info["bounds"]["min"] + info["bounds"]["max"]) > 5.0
    assert info["faint"] == 40


def test_inspect_warns_of_a_twin_too_large_to_draw_quickly(monkeypatch, twin, capsys):
    import holopack.inspection as inspection

    monkeypatch.setattr(inspection, "MANY_SPLATS", 500)
    main(["inspect", str(twin)])
    assert "840 splats: rendering will be slow" in capsys.readouterr().out


def test_a_one_fan_wall_of_splats_writes_the_single_fans_bytes(twin, tmp_path):
    """At the single fan's own render density (--size 672 across the 42-F2) a one-fan
    wall frames and draws the splats as the fan's own export does."""
    from holopack.formats.fanfile import open_fan_file
    from holopack.wall import export_wall

    (tmp_path / "w.toml").write_text(ONE_FAN)
    export(str(twin), str(tmp_path / "SINGLE.BIN"), device="3dcircle-42f2", seconds=0.2, progress=False)
    export_wall(str(twin), tmp_path / "w.toml", str(tmp_path / "wall"), seconds=0.2, size=672, progress=False)
    single = open_fan_file(str(tmp_path / "SINGLE.BIN")).read_all()
    assert single.max() > 40  # the sphere is lit
    np.testing.assert_array_equal(open_fan_file(str(tmp_path / "wall" / "A.BIN")).read_all(), single)


def test_a_splat_twin_spans_a_stacked_wall_red_above_blue(twin, tmp_path):
    """Two fans one above the other: the sphere is framed across both, so the top fan
    shows its red upper half and the bottom fan its blue lower half."""
    from holopack.formats.fanfile import open_fan_file
    from holopack.wall import export_wall

    (tmp_path / "w.toml").write_text(ONE_FAN + '[[fans]]\nname = "B"\nx = 0.0\ny = -420.0\n')
    export_wall(str(twin), tmp_path / "w.toml", str(tmp_path / "wall"), seconds=0.1, progress=False)
    means = {}
    for fan in ("A", "B"):
        codes = open_fan_file(str(tmp_path / "wall" / f"{fan}.BIN")).read_all().astype(np.float64)
        means[fan] = codes.reshape(-1, 3).mean(axis=0)
    assert means["A"][0] > 3 * means["A"][2]  # top fan: red
    assert means["B"][2] > 3 * means["B"][0]  # bottom fan: blue


def test_the_preview_worker_draws_the_fan_frame_from_the_splats(twin):
    from holopack.preview.controls import CameraState, FrameRequest
    from holopack.preview.source import PipelineFrames

    frames = PipelineFrames(load(twin), "3dcircle-42f2", size=64, fan_size=96)
    request = FrameRequest(
        animation=None,
        time=0.0,
        frame_index=0,
        camera=CameraState(),
        device="3dcircle-42f2",
        brightness=1.0,
        generation=0,
    )
    pair = frames.frame(request)
    assert pair.render is not None and pair.render.max() > 100
    assert pair.fan is not None and pair.fan.max() > 50


def test_the_preview_window_shows_the_splats_in_both_panels(twin, tmp_path):
    import subprocess
    import sys

    from _xvfb import clean_env, display_for_this_process

    from holopack.preview.overlay import Layout

    out = tmp_path / "shot.png"
    root = Path(__file__).resolve().parents[1]
    with display_for_this_process() as name:
        result = subprocess.run(
            [sys.executable, "-m", "holopack", "preview", str(twin), "--device", "3dcircle-42f2"]
            + ["--size", "96", "--frames", "3", "--screenshot", str(out)],
            env=clean_env(DISPLAY=name, PYTHONPATH=str(root)),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 0, result.stderr
    shot = np.asarray(Image.open(out).convert("RGB")).astype(int)
    layout = Layout(shot.shape[1], shot.shape[0])
    for rect in (layout.render_panel, layout.fan_panel):
        panel = shot[int(rect.y) : int(rect.y + rect.h), int(rect.x) : int(rect.x + rect.w)]
        red = (panel[..., 0] > 120) & (panel[..., 0] > 2 * panel[..., 2])
        blue = (panel[..., 2] > 120) & (panel[..., 2] > 2 * panel[..., 0])
        assert red.mean() > 0.05 and blue.mean() > 0.05  # the sphere, red over blue, in each
