"""ffmpeg decodes a keyed video already cropped and scaled, and hands the first pass
only its samples: the frames must be the ones the plain reader's frames would give.

The clips are lossless RGB H.264 (libx264rgb, CRF 0), so the frames written are the
frames decoded and the references are computed from them with numpy (block means) or
OpenCV (resizes), never through the decoder under test.
"""

from __future__ import annotations

import os
import subprocess

import cv2
import imageio_ffmpeg
import numpy as np
import pytest
from _video_clips import encode_clip

import holopack
from holopack.errors import InputError
from holopack.video.crop import Placement, window
from holopack.video.decode import sample_filter, window_filter

W, H, N = 96, 64, 7


def source_frames() -> list[np.ndarray]:
    """Smooth gradients with a sharp bright square moving over them: (H, W, 3) uint8."""
    y, x = np.mgrid[0:H, 0:W]
    frames = []
    for i in range(N):
        f = np.stack([x * 2.5, y * 3.5 + 10 * i, (x + y) * 1.3], -1)
        f[10 + 3 * i : 30 + 3 * i, 20 + 5 * i : 36 + 5 * i] = (250, 40, 200)
        frames.append(np.clip(f, 0, 255).astype(np.uint8))
    return frames


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("window") / "rgb.mp4"
    frames = source_frames()
    encode_clip(str(path), frames, 10, ["-c:v", "libx264rgb", "-crf", "0", "-preset", "ultrafast"])
    media = holopack.load(str(path)).media
    assert media.open_filtered is not None
    decoded = list(media.frames())
    assert len(decoded) == N and all(np.array_equal(a, b) for a, b in zip(decoded, frames))  # lossless
    return media, frames


def windowed(media, placement: Placement) -> list[np.ndarray]:
    win = window(media.width, media.height, placement)
    return list(media.open_filtered(window_filter(win), (placement.size, placement.size)))


def test_a_halved_window_is_the_mean_of_each_two_by_two_block(clip):
    media, frames = clip
    # source x 0..63 and y 8..63 land, halved, on x 8..39 and y 0..27 of a 40 px square
    out = windowed(media, Placement(scale=0.5, offset_x=8.0, offset_y=-4.0, size=40))
    assert len(out) == N
    for got, frame in zip(out, frames):
        part = frame[8:64, 0:64].astype(np.float64)
        blocks = part.reshape(28, 2, 32, 2, 3).mean(axis=(1, 3))
        expected = np.zeros((40, 40, 3))
        expected[0:28, 8:40] = blocks
        assert got.shape == (40, 40, 3) and got.dtype == np.uint8
        assert np.abs(got - expected).max() <= 1.0
        assert not got[28:].any() and not got[:, :8].any()  # black outside the source


# ffmpeg's area filter and OpenCV's INTER_AREA agree within a code on smooth pictures;
# at a sharp edge that a non-integer ratio cuts, they weigh the cut pixels a little
# differently (measured: up to 23 codes of the square's 250-code edge at 0.37).
@pytest.mark.parametrize(
    "placement, mean_limit, max_limit",
    [
        (Placement(scale=0.37, offset_x=3.3, offset_y=6.8, size=40), 0.5, 32),  # shrunk
        (Placement(scale=1.6, offset_x=-40.5, offset_y=-20.2, size=48), 0.2, 2),  # enlarged
    ],
)
def test_any_window_matches_opencv_resizing_the_same_pixels(clip, placement, mean_limit, max_limit):
    media, frames = clip
    s = placement.size
    # the window by hand: source pixels whose output lands in the square
    sc, ox, oy = placement.scale, placement.offset_x, placement.offset_y
    x0, x1 = max(0, int(np.floor(-ox / sc))), min(W, int(np.ceil((s - ox) / sc)))
    y0, y1 = max(0, int(np.floor(-oy / sc))), min(H, int(np.ceil((s - oy) / sc)))
    u0, u1 = max(0, round(x0 * sc + ox)), min(s, round(x1 * sc + ox))
    v0, v1 = max(0, round(y0 * sc + oy)), min(s, round(y1 * sc + oy))
    interpolation = cv2.INTER_LINEAR if sc >= 1 else cv2.INTER_AREA
    for got, frame in zip(windowed(media, placement), frames):
        expected = np.zeros((s, s, 3), np.uint8)
        expected[v0:v1, u0:u1] = cv2.resize(
            frame[y0:y1, x0:x1], (u1 - u0, v1 - v0), interpolation=interpolation
        )
        diff = np.abs(got.astype(int) - expected)
        assert diff.mean() <= mean_limit and diff.max() <= max_limit, (diff.mean(), diff.max())
        outside = np.ones((s, s), bool)
        outside[v0:v1, u0:u1] = False
        assert not got[outside].any()


# (pixel format, encoder options): chroma halved both ways and across only, and 10 bits
# converted to 8
SUBSAMPLED = [
    ("yuv420p", ["-c:v", "libx264", "-crf", "16"]),
    ("yuv422p", ["-c:v", "libx264", "-crf", "16"]),
    ("yuv420p10le", ["-c:v", "libx265", "-x265-params", "log-level=error:lossless=1"]),
]


@pytest.mark.parametrize(("pix_fmt", "codec"), SUBSAMPLED, ids=[p for p, _ in SUBSAMPLED])
def test_a_window_cropped_before_its_conversion_has_the_whole_frames_pixels(tmp_path, pix_fmt, codec):
    """The keyer's reader crops the window (with a margin, on the 8 x 8 grid) in the
    decoded picture's own format before converting it to RGB: only that part is
    converted. The chroma upsampling must see what it sees on the whole frame: the same
    pixels as the window cut from the whole frame converted."""
    path = tmp_path / f"{pix_fmt}.mp4"
    width, height = 202, 118  # not multiples of 8: the margin meets the edges off the grid
    y, x = np.mgrid[0:height, 0:width]
    frames = []
    for i in range(3):
        f = np.stack([x * 1.2 + 9 * i, y * 2.1, (x * y) % 251], -1)
        f[30:70, 40 + 9 * i : 90 + 9 * i] = (250, 40, 200)  # a sharp-edged patch: chroma edges
        frames.append(np.clip(f, 0, 255).astype(np.uint8))
    encode_clip(str(path), frames, 10, [*codec, "-pix_fmt", pix_fmt])
    media = holopack.load(str(path)).media
    for placement in (
        Placement(scale=0.9, offset_x=-40.5, offset_y=-11.0, size=96),  # inside: cropped on all sides
        Placement(scale=0.8, offset_x=-101.0, offset_y=-45.0, size=96),  # reaching the corner
    ):
        win = window(width, height, placement)
        assert win is not None
        whole = list(media.open_filtered(window_filter(win, media.rgb_filter), (96, 96)))
        chain = window_filter(win, media.rgb_filter, (width, height))
        assert chain.startswith("crop=")  # the pre-crop is there to be tested
        cropped = list(media.open_filtered(chain, (96, 96)))
        assert len(whole) == len(cropped) == 3
        for a, b in zip(whole, cropped):
            assert np.array_equal(a, b)


def test_the_sample_filter_hands_over_every_third_frame_and_counts_them_all(clip):
    media, frames = clip
    read = media.open_filtered(sample_filter(3), (W, H), True)
    assert read.decoded == -1  # nothing read yet
    got = list(read)
    assert len(got) == 3 and all(np.array_equal(a, frames[i]) for a, i in zip(got, (0, 3, 6)))
    assert read.decoded == N


def test_a_reader_stopped_early_leaves_no_ffmpeg_behind(clip):
    media, _ = clip
    frames = iter(media.open_filtered("null", (W, H)))
    next(frames)
    frames.close()  # what a reader that seeks back or stops does
    ps = ["ps", "-o", "pid=,stat=,comm=", "--ppid", str(os.getpid())]
    children = subprocess.run(ps, capture_output=True, text=True).stdout
    assert "ffmpeg" not in children


def test_a_failing_decode_is_one_input_error_naming_the_file(clip):
    media, _ = clip
    with pytest.raises(InputError) as caught:
        list(media.open_filtered("nosuchfilter=1", (W, H)))
    message = str(caught.value)
    assert media.path in message and "\n" not in message


def test_a_sound_track_ahead_of_the_picture_changes_neither_frames_nor_count(clip, tmp_path):
    media, frames = clip
    path = tmp_path / "sound-first.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=1"]
        + ["-i", media.path, "-map", "0:a", "-map", "1:v", "-c:v", "copy", "-c:a", "aac", str(path)],
        check=True,
    )
    with_sound = holopack.load(str(path)).media
    read = with_sound.open_filtered(sample_filter(2), (W, H), True)
    got = list(read)
    assert read.decoded == N
    assert len(got) == 4 and all(np.array_equal(a, frames[i]) for a, i in zip(got, (0, 2, 4, 6)))


def test_the_pipe_from_ffmpeg_is_widened_to_hold_a_frame_up_to_the_limit():
    """The reader widens ffmpeg's pipe so a frame crosses in few writes: to the frame's
    size where that is under the limit, to the limit where it is over, and never
    narrower than the default 64 kB."""
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_GETPIPE_SZ"):
        pytest.skip("pipes of a settable size are Linux's")
    from holopack.video.decode import PIPE_BYTES, _widen_pipe

    with open("/proc/sys/fs/pipe-max-size") as f:
        limit = min(PIPE_BYTES, int(f.read()))
    for frame_bytes, want in ((672 * 672 * 3, PIPE_BYTES), (300 * 1024, 512 * 1024), (10, 64 * 1024)):
        read_end, write_end = os.pipe()
        try:
            _widen_pipe(read_end, frame_bytes)
            # the kernel rounds a size up to a power of two pages; under a lowered limit
            # the limit (a privileged process may still get what it asked for)
            got = fcntl.fcntl(read_end, fcntl.F_GETPIPE_SZ)
            if want <= limit:
                assert got == want, frame_bytes
            else:
                assert limit <= got <= want, frame_bytes
        finally:
            os.close(read_end)
            os.close(write_end)
