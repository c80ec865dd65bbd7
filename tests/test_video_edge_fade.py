"""--edge-fade auto: a subject the frame cuts (a waist-up presenter) fades out towards
the cut, in linear light, over a fifth of its extent; a subject the frame does not cut
is left as it was, and nothing else changes."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from _video_clips import green_background, srgb_encode, subject_frames

import holopack
from holopack.cli import main
from holopack.video.options import video_options
from holopack.video.process import prepare_scene

SIZE, FRAMES = 240, 8
SQUARE = 256


def _write_clip(path, cut: float | None) -> None:
    """The dancing twin over a green screen; ``cut``: keep only this top share of each
    frame, so the frame's bottom edge cuts the body."""
    background = green_background(SIZE)
    pictures = []
    for linear, alpha in subject_frames(size=SIZE, frames=FRAMES, seed=0, sway=10):
        picture = srgb_encode(linear + (1 - alpha[..., None]) * background).astype(np.uint8)
        if cut is not None:
            picture = picture[: int(SIZE * cut)]
        pictures.append(np.ascontiguousarray(picture))
    h, w = pictures[0].shape[:2]
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    cmd += ["-s", f"{w}x{h}", "-r", "12", "-i", "-", "-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv444p"]
    subprocess.run(cmd + [str(path)], input=b"".join(p.tobytes() for p in pictures), check=True)


def _processed(path, edge_fade: str) -> np.ndarray:
    scene = prepare_scene(holopack.load(str(path)), video_options(edge_fade=edge_fade))
    scene.media.set_size(SQUARE)
    return np.stack(list(scene.media.frames()))


def _linear(codes: np.ndarray) -> np.ndarray:
    c = codes.astype(np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def test_a_subject_cut_by_the_frame_fades_out_towards_the_cut(tmp_path):
    path = tmp_path / "bust.mp4"
    _write_clip(path, cut=0.62)
    plain, faded = _processed(path, "none"), _processed(path, "auto")
    lit_rows = np.flatnonzero(plain.max(axis=(0, 2, 3)) > 0)
    top, cut = int(lit_rows[0]), int(lit_rows[-1]) + 1  # the cut: where the frame's edge lands
    length = 0.2 * (cut - top)
    plain_light = _linear(plain).sum(axis=(0, 2, 3))
    faded_light = _linear(faded).sum(axis=(0, 2, 3))
    # above the fade, the same pictures to the code
    above = int(np.floor(cut - length)) - 1
    assert np.array_equal(plain[:, :above], faded[:, :above])
    assert np.array_equal(plain[:, cut:], faded[:, cut:])
    # in it, each row's light scaled by a smoothstep from 0 at the cut to 1 a fifth up
    rows = [r for r in range(above + 1, cut) if plain_light[r] > 0]
    assert len(rows) >= 8
    for r in rows:
        t = min(1.0, max(0.0, (cut - (r + 0.5)) / length))
        want = t * t * (3 - 2 * t)
        got = faded_light[r] / plain_light[r]
        assert abs(got - want) <= 0.02 + 0.02 * want, f"row {r} of cut {cut}: kept {got:.3f}, want {want:.3f}"
    assert faded_light[cut - 1] <= 0.01 * plain_light[cut - 1]


def test_a_subject_inside_the_frame_is_not_faded(tmp_path):
    path = tmp_path / "whole.mp4"
    _write_clip(path, cut=None)
    assert np.array_equal(_processed(path, "none"), _processed(path, "auto"))


def test_inspect_names_the_edge_the_frame_cuts_the_subject_at(tmp_path, capsys):
    path = tmp_path / "bust.mp4"
    _write_clip(path, cut=0.62)
    assert main(["inspect", str(path)]) == 0
    assert "the frame cuts the subject at: bottom" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["sideways", "0.2"])
def test_a_wrong_edge_fade_is_one_line_and_nothing_written(tmp_path, capsys, value):
    path = tmp_path / "bust.mp4"
    _write_clip(path, cut=0.62)
    out = tmp_path / "out.mp4"
    with pytest.raises(SystemExit) as stop:  # the command line's own check, before any work
        main(["export", str(path), "-o", str(out), "--edge-fade", value])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--edge-fade: takes auto" in err[0], err
    assert not out.exists()
