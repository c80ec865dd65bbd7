"""End to end: the export pipeline writes playable, correct files and nothing partial."""

import os
import subprocess
import sys

import numpy as np
import pytest
from _video_probe import probe, read_frames, write_video

from holopack.errors import InputError
from holopack.pipeline import ExportSettings, export, make_timeline
from holopack.scene.load import load


def _lit(picture, level=24):
    return picture.max(axis=2) > level


def _outside_circle(size, slack=1.5):
    c = (size - 1) / 2
    y, x = np.mgrid[0:size, 0:size]
    return np.hypot(x - c, y - c) > size / 2 + slack


def test_default_twin_mp4_is_valid_and_inside_circle(tmp_path):
    out = tmp_path / "twin.mp4"
    result = export(None, str(out), device="mp4-fan", size=160, seconds=1.0, progress=False)
    info = probe(out)
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["width"] == info["height"] == 160
    assert info["fps"] == 30
    assert info["frames"] == result.frames == 30
    frames = read_frames(out)
    for f in frames[::5]:
        lit = _lit(f)
        assert lit.sum() > 200, "the twin is visible"
        assert not lit[_outside_circle(160)].any(), "nothing outside the fan's circle"
    # the animation plays: frames differ
    assert np.abs(frames[0].astype(int) - frames[15].astype(int)).mean() > 0.5


def test_duck_turntable_is_centred_and_turns(tmp_path):
    out = tmp_path / "duck.mp4"
    export(
        str(_models()["duck"]),
        str(out),
        device="hypervsn",
        size=128,
        seconds=1.0,
        supersample=1,
        progress=False,
    )
    frames = read_frames(out)
    assert len(frames) == 30
    for f in (frames[0], frames[10], frames[20]):
        lit = _lit(f)
        ys, xs = np.nonzero(lit)
        # centred: the lit pixels' bounding box is centred on the frame (within 15%)
        assert abs((xs.min() + xs.max()) / 2 - 63.5) < 0.15 * 128
        assert abs((ys.min() + ys.max()) / 2 - 63.5) < 0.15 * 128
        assert not lit[_outside_circle(128)].any()
        # textured duck: yellow dominates (red and green above blue)
        mean = f[lit].mean(axis=0)
        assert mean[0] > mean[2] and mean[1] > mean[2]
    assert np.abs(frames[0].astype(int) - frames[10].astype(int)).mean() > 1.0


def test_video_input_repacked_square_aspect_kept(tmp_path):
    src = tmp_path / "wide.mp4"
    pic = np.zeros((90, 160, 3), np.uint8)
    pic[:, :] = (200, 40, 40)  # the whole 16:9 picture is lit
    write_video(src, [pic] * 10, fps=10)
    out = tmp_path / "square.mp4"
    export(
        str(src), str(out), device="mp4-fan", size=64, circle_mask=False, progress=False, crop="fit"
    )  # the whole frame (--crop auto, the default, fits a subject's extent)
    info = probe(out)
    assert info["width"] == info["height"] == 64
    assert info["frames"] == 30  # 1 s of source at the device's 30 fps
    f = read_frames(out)[5]
    rows = np.nonzero(_lit(f).any(axis=1))[0]
    cols = np.nonzero(_lit(f).any(axis=0))[0]
    assert cols.min() <= 1 and cols.max() >= 62  # full width
    height = rows.max() - rows.min() + 1
    assert abs(height - 36) <= 2  # 64 * 9/16, centred between black bars
    assert abs((rows.min() + rows.max()) / 2 - 31.5) <= 1.5


def test_gif_input_and_png_sequence(tmp_path):
    from PIL import Image

    frames = []
    for k in range(4):
        im = np.zeros((40, 40, 3), np.uint8)
        im[10:30, 5 + 5 * k : 15 + 5 * k] = 255
        frames.append(Image.fromarray(im))
    src = tmp_path / "loop.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, loop=0)
    out = tmp_path / "frames"
    result = export(
        str(src), str(out), device="mp4-fan", format="png", size=40, fps=10, circle_mask=False, progress=False
    )
    names = sorted(os.listdir(out))
    assert len(names) == result.frames == 4
    first = np.asarray(Image.open(out / names[0]))
    last = np.asarray(Image.open(out / names[3]))
    assert _lit(first)[20].nonzero()[0].min() < _lit(last)[20].nonzero()[0].min()


def test_timeline_counts_and_seam():
    scene = load(_models()["robot"])
    clip = scene.animations[scene.animation_index("Wave")]
    tl = make_timeline(scene, ExportSettings(animation="Wave"), fps=30)
    length = clip.duration - clip.start
    assert tl.frame_count == round(length * 30)
    assert tl.anim_time(0) == pytest.approx(clip.start)
    assert tl.anim_time(tl.frame_count - 1) == pytest.approx(clip.start + length - 1 / 30, abs=1e-6)
    # a clip of 0.958 s is 28.75 frames: 29 frames, evenly spread, seamless
    run = make_timeline(scene, ExportSettings(animation="Running"), fps=30)
    assert run.frame_count == 29
    assert run.anim_time(29) == run.anim_time(0)
    two = make_timeline(scene, ExportSettings(animation="Wave", loops=2), fps=30)
    assert two.frame_count == 2 * tl.frame_count
    assert two.anim_time(tl.frame_count) == pytest.approx(clip.start)
    fast = make_timeline(scene, ExportSettings(animation="Wave", speed=2.0), fps=30)
    assert fast.frame_count == round(length / 2 * 30)
    static = make_timeline(load(_models()["duck"]), ExportSettings(seconds=4), fps=25)
    assert static.frame_count == 100 and static.angle(100) == pytest.approx(360.0)


def test_failed_export_leaves_nothing(tmp_path, monkeypatch):
    from holopack.formats import mp4

    calls = {"n": 0}
    original = mp4.MP4Writer.write

    def failing(self, picture):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return original(self, picture)

    monkeypatch.setattr(mp4.MP4Writer, "write", failing)
    out = tmp_path / "x.mp4"
    with pytest.raises(KeyboardInterrupt):
        export(str(_models()["duck"]), str(out), device="mp4-fan", size=32, seconds=1, progress=False)
    assert os.listdir(tmp_path) == []


def test_polar_export_size(tmp_path):
    out = tmp_path / "LOOP.BIN"
    result = export(None, str(out), device="3dcircle-42f2", seconds=0.2, progress=False)
    assert result.frames == 6
    assert os.path.getsize(out) == 6 * 129024


def test_42f2_name_rule(tmp_path):
    with pytest.raises(InputError, match=r"\.BIN"):
        export(None, str(tmp_path / "loop.bin"), device="3dcircle-42f2", seconds=0.1, progress=False)


def test_cli_bad_input_is_one_line(tmp_path):
    bad = tmp_path / "broken.glb"
    bad.write_bytes(os.urandom(300))
    proc = subprocess.run(
        [sys.executable, "-m", "holopack", "export", str(bad), "-o", str(tmp_path / "o.mp4")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in proc.stderr
    assert not (tmp_path / "o.mp4").exists()


def test_cli_unwritable_output(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "holopack", "export", "-o", str(tmp_path / "missing" / "o.mp4")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1 and "does not exist" in proc.stderr


def _models():
    from conftest import MODELS

    return MODELS


def test_framing_covers_the_whole_clip_whatever_the_length():
    from holopack.pipeline import open_source

    scene = load(_models()["robot"])
    short = make_timeline(scene, ExportSettings(seconds=0.2), fps=30)
    whole = make_timeline(scene, ExportSettings(), fps=30)
    a = open_source(scene, short, 32).camera
    b = open_source(scene, whole, 32).camera
    assert np.allclose(a.view, b.view) and np.allclose(a.projection, b.projection)


def _lit_box(folder):
    """Centre offset and reach of everything lit over all PNG frames, in units of the
    circle's radius: plain numpy on the pictures."""
    from PIL import Image

    xs, ys = [], []
    size = None
    for name in sorted(os.listdir(folder)):
        picture = np.asarray(Image.open(os.path.join(folder, name)).convert("RGB"))
        size = picture.shape[0]
        y, x = np.nonzero(_lit(picture))
        xs.append(x)
        ys.append(y)
    x, y = np.concatenate(xs), np.concatenate(ys)
    c = (size - 1) / 2
    radius = size / 2
    centre = np.array([(x.min() + x.max()) / 2 - c, (y.min() + y.max()) / 2 - c])
    reach = np.hypot(x - c, y - c).max()
    return float(np.hypot(*centre) / radius), float(reach / radius)


def _lopsided_bird(path):
    from _facing_models import box_faces
    from _gltf_builder import GltfBuilder

    b = GltfBuilder()
    positions, indices = [], []
    for lo, hi in [((-0.4, -0.3, -0.3), (0.4, 0.3, 0.3)), ((0.4, 0.0, -0.05), (4.0, 0.1, 0.05))]:
        corners, tris = box_faces(lo, hi)
        indices.append(tris + sum(len(p) for p in positions))
        positions.append(corners)
    mesh = b.triangle_mesh(np.concatenate(positions).astype(np.float32), np.concatenate(indices))
    b.root(b.node(mesh=mesh, translation=[5.0, 2.0, 1.0]))
    b.doc["materials"] = [{"pbrMetallicRoughness": {"baseColorFactor": [0.9, 0.6, 0.2, 1.0]}}]
    b.doc["meshes"][mesh]["primitives"][0]["material"] = 0
    b.write(path)


@pytest.mark.parametrize("which", ["bird", "duck"])
def test_a_lopsided_model_is_centred_in_the_circle_and_fills_it(tmp_path, models, which):
    if which == "bird":
        src = tmp_path / "bird.gltf"
        _lopsided_bird(src)
    else:
        src = models["duck"]
    out = tmp_path / "frames"
    export(
        str(src),
        str(out),
        device="mp4-fan",
        format="png",
        size=96,
        fps=8,
        seconds=2.0,
        circle_mask=False,
        progress=False,
    )
    offset, reach = _lit_box(out)
    assert offset < 0.05, f"the box of what is lit sits {offset:.1%} of the radius off-centre"
    assert 0.7 <= reach <= 1.0


def test_export_and_validate_agree_that_a_lopsided_bird_is_centred(tmp_path):
    from holopack.pack.validate import validate

    src = tmp_path / "bird.gltf"
    _lopsided_bird(src)
    out = tmp_path / "01_BIRD.BIN"
    export(str(src), str(out), device="3dcircle-42f2", seconds=0.5, progress=False)
    report = validate(str(out))
    assert report.ok and not report.warnings, report.text()
    facts = [f.message for f in report.findings if "centre offset" in f.message]
    offset = float(facts[0].split("centre offset ")[1].split("%")[0])
    assert offset < 5.0


def test_seconds_that_cut_a_loop_warn_with_the_nearest_whole_loop_length(tmp_path, capsys):
    from holopack.cli import main

    walk = tmp_path / "walk.gltf"
    from _facing_models import per_joint_clips

    per_joint_clips(lengths=(1.0, 1.0, 1.0)).write(walk)  # one loop: 1 s = 30 frames
    out = tmp_path / "01_walk.mp4"
    assert main(["export", str(walk), "-o", str(out), "--size", "32", "--seconds", "2.4", "-q"]) == 0
    err = capsys.readouterr().err
    assert "2.40 loops" in err and "nearest whole-loop length is --seconds 2 " in err
    assert "(choices: 2 s (2 loops) or 3 s (3 loops))" in err
    assert main(["export", str(walk), "-o", str(out), "--size", "32", "--seconds", "3", "-q"]) == 0
    assert "whole-loop" not in capsys.readouterr().err


@pytest.mark.parametrize("size", [1, 2, 5, 64, 65, 721])
def test_circle_mask_applied_is_the_masks_product_to_the_bit(size):
    """CircleMask.apply multiplies the rim alone and keeps or clears the rest: it must
    give (color x circle_mask + 0.5) as uint8, whatever the size, on a contiguous
    picture and on a view of a four-channel one (a clip with alpha's colour)."""
    from holopack.pipeline import CircleMask, circle_mask

    rng = np.random.default_rng(size)
    rgba = rng.integers(0, 256, (size, size, 4), dtype=np.uint8)
    mask = CircleMask(size)
    for color in (np.ascontiguousarray(rgba[..., :3]), rgba[..., :3]):
        want = (color * circle_mask(size) + 0.5).astype(np.uint8)
        got = mask.apply(color)
        assert got.dtype == np.uint8 and np.array_equal(got, want)
    assert not np.shares_memory(got, rgba)  # a new picture: the source's is left as it was
