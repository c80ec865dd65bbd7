"""The subject's extent over the whole clip (--crop auto's box): every frame counts, not
only the first pass's samples."""

from __future__ import annotations

import math
import os
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

import holopack
from holopack.video import analyse as analysis
from holopack.video.options import video_options

W, H, FRAMES = 320, 240, 48  # 48 frames: the first pass samples every second frame
SCREEN = (35, 180, 70)
BLOCK = (40, 100)  # the subject: a block this wide and tall
TOP = 70
SWAY = 60  # the block's left edge swings this far each way of BASE_X
BASE_X = 120


def block_left(i: int) -> int:
    """The block's left edge in frame i: a sway of period 12 frames, so its extremes
    (frames 3, 9, 15...) are odd frames, between the samples (0, 2, 4...)."""
    return BASE_X + int(round(SWAY * math.sin(2 * math.pi * i / 12)))


def clip_frames(alpha: bool = False, speck: bool = False) -> list[np.ndarray]:
    """(H, W, 3) uint8 frames of the block swaying over a noisy green screen, or (H, W, 4)
    RGBA frames of the block alone (alpha); speck: one white pixel far from it in frame 5."""
    rng = np.random.default_rng(5)
    out = []
    for i in range(FRAMES):
        if alpha:
            frame = np.zeros((H, W, 4), np.uint8)
            colour = (200, 80, 60, 255)
        else:
            frame = np.clip(np.array(SCREEN) + rng.normal(0, 3, (H, W, 3)) + 0.5, 0, 255).astype(np.uint8)
            colour = (200, 80, 60)
        x = block_left(i)
        frame[TOP : TOP + BLOCK[1], x : x + BLOCK[0]] = colour
        if speck and i == 5:
            frame[12, W - 12] = 255
        out.append(frame)
    return out


def write_clip(folder: str, form: str, speck: bool = False) -> str:
    frames = clip_frames(alpha=form == "alpha png", speck=speck)
    if form == "mp4":
        path = os.path.join(folder, "sway.mp4")
        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo"]
        cmd += ["-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", "24", "-i", "-"]
        cmd += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "14", path]
        subprocess.run(cmd, input=b"".join(f.tobytes() for f in frames), check=True)
        return path
    path = os.path.join(folder, "sway")
    os.makedirs(path)
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(os.path.join(path, f"frame{i:03d}.png"))
    return path


def true_extent(frames) -> tuple[int, int, int, int]:
    """The block's drawn extent (x0, y0, x1, y1) over the given frame indices."""
    lefts = [block_left(i) for i in frames]
    return min(lefts), TOP, max(lefts) + BLOCK[0], TOP + BLOCK[1]


@pytest.mark.parametrize("form", ["mp4", "png", "alpha png"])
def test_the_extent_holds_a_subject_that_reaches_furthest_between_samples(tmp_path, form):
    media = holopack.load(write_clip(str(tmp_path), form)).media
    step = math.ceil(FRAMES / analysis.SAMPLE_FRAMES)
    sampled = true_extent(range(0, FRAMES, step))
    whole = true_extent(range(FRAMES))
    # the clip is what the test is about: its samples miss both ends of the sway
    assert step == 2 and sampled[0] > whole[0] + 5 and sampled[2] < whole[2] - 5

    model = analysis.analyse(media, video_options(crop="auto"))
    x0, y0, x1, y1 = model.box
    assert x0 <= whole[0] and y0 <= whole[1] and x1 >= whole[2] and y1 >= whole[3], (model.box, whole)
    # and not much more: the every-frame copy's cells are under 2 source pixels here
    cell = W / analysis.extent_size(W, H)[0]
    slack = 2 * cell + 1
    assert x0 >= whole[0] - slack and y0 >= whole[1] - slack, (model.box, whole)
    assert x1 <= whole[2] + slack and y1 <= whole[3] + slack, (model.box, whole)


def test_a_lone_speck_in_a_frame_between_samples_does_not_widen_the_extent(tmp_path):
    media = holopack.load(write_clip(str(tmp_path), "mp4", speck=True)).media
    model = analysis.analyse(media, video_options(crop="auto"))
    whole = true_extent(range(FRAMES))
    x0, y0, x1, y1 = model.box
    assert x0 <= whole[0] and x1 >= whole[2]
    assert y0 >= whole[1] - 5 and x1 <= whole[2] + 5, (model.box, whole)  # the speck: (W - 12, 12)


def test_every_frame_copy_counts_the_clip_and_matches_the_frames(tmp_path):
    # the copy ffmpeg writes in the first pass's decode holds each frame once, in order,
    # area-averaged as cv2 averages the decoded frame (within the codec's chroma rounding)
    path = write_clip(str(tmp_path), "mp4")
    media = holopack.load(path).media
    every = os.path.join(str(tmp_path), "every.rgb")
    _, count, _, _ = analysis.read_clip(media, every=every)
    w, h = analysis.extent_size(W, H)
    copy = np.fromfile(every, np.uint8).reshape(-1, h, w, 3)
    assert len(copy) == count == FRAMES
    import cv2

    decoded = list(media.frames())
    for i in (0, 3, FRAMES - 1):
        reference = cv2.resize(decoded[i], (w, h), interpolation=cv2.INTER_AREA).astype(np.int32)
        assert np.median(np.abs(copy[i].astype(np.int32) - reference)) <= 2


def test_the_extent_distance_to_the_plate_is_the_ycbcr_distance():
    # the quadratic form against the published BT.601 YCbCr (key_reference, float64)
    from holopack.video.key_reference import ycbcr

    rng = np.random.default_rng(2)
    frames = rng.integers(0, 256, (3, 9, 11, 3), dtype=np.uint8)
    plate = rng.uniform(0, 255, (9, 11, 3)).astype(np.float32)
    reference = ((ycbcr(frames) - ycbcr(plate)) ** 2).sum(-1)
    np.testing.assert_allclose(analysis.ycc_distance2(frames, plate), reference, rtol=1e-4, atol=1e-2)
