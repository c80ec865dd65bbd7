"""An interlaced clip (a camcorder's or a broadcast master's 1080i) is read as whole
pictures, not as two fields woven together with a moving subject's edges combed."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np

import holopack
from holopack.video.decode import probe_stream

WIDTH, HEIGHT, STEP = 320, 240, 8  # the bar moves STEP px a field


def _field_picture(k: int) -> np.ndarray:
    """The scene at field time k (two fields a frame): a white bar on black."""
    picture = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    x = 40 + STEP * k
    picture[40:200, x : x + 40] = 255
    return picture


def _write_interlaced(path, frames: int = 12) -> None:
    """Top field first: even rows from field 2n, odd rows from field 2n + 1, coded as
    interlaced H.264 and flagged so."""
    woven = []
    for n in range(frames):
        picture = _field_picture(2 * n)
        picture[1::2] = _field_picture(2 * n + 1)[1::2]
        woven.append(picture.tobytes())
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    cmd += ["-s", f"{WIDTH}x{HEIGHT}", "-r", "25", "-i", "-", "-vf", "setfield=tff", "-c:v", "libx264"]
    cmd += ["-flags", "+ildct+ilme", "-x264-params", "tff=1", "-crf", "10", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(cmd, input=b"".join(woven), check=True)


def _bar_columns(row: np.ndarray) -> tuple[int, int]:
    lit = np.flatnonzero(row.mean(axis=-1) > 128)
    return int(lit[0]), int(lit[-1]) + 1


def test_an_interlaced_clip_is_read_as_whole_pictures(tmp_path):
    path = tmp_path / "camcorder.mp4"
    _write_interlaced(path)
    frames = list(holopack.load(str(path)).media.frames())
    assert len(frames) == 12  # one picture a frame: the clip keeps its rate and count
    for n in (3, 6, 9):
        frame = frames[n]
        top_field_x = 40 + STEP * 2 * n
        for y in range(60, 180):
            x0, x1 = _bar_columns(frame[y])
            # as stored, odd rows showed the bar STEP px to the right of even rows
            assert abs(x0 - top_field_x) <= 2 and abs(x1 - (top_field_x + 40)) <= 2, (n, y, x0, x1)


def test_a_progressive_clip_is_not_touched_by_deinterlacing(tmp_path):
    path = tmp_path / "progressive.mp4"
    pictures = [_field_picture(2 * n) for n in range(6)]
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    cmd += ["-s", f"{WIDTH}x{HEIGHT}", "-r", "25", "-i", "-", "-c:v", "libx264", "-crf", "10", str(path)]
    subprocess.run(cmd, input=b"".join(p.tobytes() for p in pictures), check=True)
    stream = probe_stream(str(path))
    assert not stream.interlaced and stream.deinterlace_filter() is None
    frame = list(holopack.load(str(path)).media.frames())[4]
    assert _bar_columns(frame[100]) == _bar_columns(frame[101]) == (40 + STEP * 8, 80 + STEP * 8)
