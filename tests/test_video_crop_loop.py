"""Cropping into the fan's circle, loops that close, levels that keep black black."""

from __future__ import annotations

import math
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

import holopack
from holopack.cli import main
from holopack.pack.analyse import scan
from holopack.pack.validate import SEAM_FACTOR, validate
from holopack.pipeline import resolve_profile
from holopack.video.crop import circle_placement, fit_placement, place
from holopack.video.options import video_options
from holopack.video.process import processed_media

N, SIDE = 24, 128


def write_mp4(path, frames, fps=24):
    h, w = frames[0].shape[:2]
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{w}x{h}",
            "-r",
            str(fps),
            "-i",
            "-",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv444p",
            "-crf",
            "8",
            str(path),
        ],
        input=b"".join(np.ascontiguousarray(f).tobytes() for f in frames),
        check=True,
    )


def sliding_disc(width=SIDE, height=SIDE, frames=N, level=120, radius=24.0):
    """A disc sliding left to right over black, once (the clip was not made to loop)."""
    y, x = np.mgrid[0:height, 0:width]
    out = []
    for i in range(frames):
        cx = 0.3 * width + 0.4 * width * i / (frames - 1)
        disc = np.clip(radius - np.hypot(x - cx, y - 0.5 * height), 0, 1)
        out.append((np.stack([disc, disc * 0.8, disc * 0.5], -1) * level).astype(np.uint8))
    return out


@pytest.fixture(scope="module")
def disc_clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("disc") / "disc.mp4"
    write_mp4(path, sliding_disc())
    return str(path)


def test_circle_placement_puts_the_box_corners_on_the_margin_circle():
    for box, size, margin in (
        ((10, 20, 110, 220), 672, 0.08),
        ((0, 0, 1920, 1080), 720, 0.0),
        ((500, 100, 700, 900), 256, 0.2),
    ):
        p = circle_placement(box, size, margin)
        corners = [(box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])]
        for cx, cy in corners:
            r = math.hypot(cx * p.scale + p.offset_x - size / 2, cy * p.scale + p.offset_y - size / 2)
            assert r == pytest.approx(size / 2 * (1 - margin), rel=1e-6)


def test_fit_placement_matches_todays_fit_square():
    from holopack.scene.media import fit_square

    picture = np.random.default_rng(0).integers(0, 256, (90, 160, 3)).astype(np.uint8)
    assert np.array_equal(place(picture, fit_placement(160, 90, 64)), fit_square(picture, 64))


def test_crop_auto_centres_the_clip_extent_and_holds_it(disc_clip):
    media = processed_media(holopack.load(disc_clip).media, video_options(crop="auto"))
    media.set_size(200)
    frames = list(media.frames())
    lit = np.stack(frames).max(axis=(0, 3)) > 20  # everywhere the disc went
    ys, xs = np.nonzero(lit)
    # the extent over the clip is centred and inside the margin circle
    assert abs((xs.min() + xs.max()) / 2 - 99.5) <= 3 and abs((ys.min() + ys.max()) / 2 - 99.5) <= 3
    assert np.hypot(xs - 99.5, ys - 99.5).max() <= 100 * (1 - 0.08) + 2
    # the disc keeps its size in every frame (a fixed crop, no zooming)
    areas = [(f.max(-1) > 60).sum() for f in frames]
    assert max(areas) - min(areas) <= 0.1 * max(areas)


def _steps(frames):
    f = [x.astype(np.float64) for x in frames]
    return [np.abs(f[i + 1] - f[i]).mean() for i in range(len(f) - 1)], np.abs(f[-1] - f[0]).mean()


def test_crossfade_closes_the_seam(disc_clip):
    plain = processed_media(holopack.load(disc_clip).media, video_options(crop="fit"))
    plain.set_size(SIDE)
    steps, seam = _steps(list(plain.frames()))
    assert seam > 5 * np.median(steps)  # the source jumps at its seam
    media = processed_media(holopack.load(disc_clip).media, video_options(crop="fit", loop="crossfade=0.25"))
    media.set_size(SIDE)
    frames = list(media.frames())
    assert len(frames) == media.frame_count == N - 6
    steps, seam = _steps(frames)
    # the seam is no larger than a step within the blend, far below the source's jump
    assert seam <= 1.1 * max(steps) and seam <= SEAM_FACTOR * np.median(steps)


def test_pingpong_plays_forward_then_back(disc_clip):
    media = processed_media(holopack.load(disc_clip).media, video_options(crop="fit", loop="pingpong"))
    media.set_size(SIDE)
    frames = list(media.frames())
    assert len(frames) == media.frame_count == 2 * N - 2
    for k in range(1, N - 1):
        assert np.array_equal(frames[k], frames[2 * N - 2 - k])
    steps, seam = _steps(frames)
    assert seam <= 1.5 * max(steps)


@pytest.mark.parametrize("loop", ["crossfade=0.25", "pingpong"])
def test_validate_reports_a_closed_seam_either_way(disc_clip, tmp_path, loop):
    out = tmp_path / "loop.mp4"
    assert (
        main(
            [
                "export",
                disc_clip,
                "--device",
                "mp4-fan",
                "--size",
                "128",
                "--crop",
                "fit",
                "--loop",
                loop,
                "-q",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    facts = scan(str(out), resolve_profile("mp4-fan"))
    assert facts.seam <= SEAM_FACTOR * facts.step
    messages = [f.message for f in validate(str(out), "mp4-fan").findings]
    seam = [m for m in messages if m.startswith("loop seam")]
    assert seam and "visibly jumps" not in seam[0]
    # and without a loop option the same measure reports the jump
    plain = tmp_path / "plain.mp4"
    assert (
        main(
            [
                "export",
                disc_clip,
                "--device",
                "mp4-fan",
                "--size",
                "128",
                "--crop",
                "fit",
                "-q",
                "-o",
                str(plain),
            ]
        )
        == 0
    )
    assert any("visibly jumps" in f.message for f in validate(str(plain), "mp4-fan").findings)


def test_levels_auto_stretches_the_subject_and_keeps_black(disc_clip):
    plain = processed_media(holopack.load(disc_clip).media, video_options(crop="fit"))
    levelled = processed_media(holopack.load(disc_clip).media, video_options(crop="fit", levels="auto"))
    plain.set_size(SIDE)
    levelled.set_size(SIDE)
    a, b = next(iter(plain.frames())), next(iter(levelled.frames()))
    assert levelled.model.gain > 1.5
    assert b.max() >= 240 and a.max() <= 130
    assert np.array_equal(a == 0, b == 0)  # black stays exactly black


def test_bad_video_options_are_one_line_errors(disc_clip, tmp_path, capsys):
    for option, value in (
        ("--key", "purple"),
        ("--crop", "zoom"),
        ("--loop", "crossfade=-1"),
        ("--loop", "forever"),
        ("--levels", "max"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(["export", disc_clip, "-o", str(tmp_path / "x.mp4"), option, value])
        assert exc.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and option in err[0]
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize(
    "rate, codec, suffix",
    [
        ("30000/1001", ["-c:v", "libx264", "-preset", "veryfast"], ".mp4"),  # B-frames, NTSC rate
        (
            "25",
            ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "40", "-deadline", "realtime", "-cpu-used", "8"],
            ".webm",
        ),
        ("60", ["-c:v", "libx264", "-preset", "veryfast", "-g", "24"], ".mov"),
    ],
)
def test_a_crossfades_tail_sought_to_starts_at_its_frame(tmp_path, rate, codec, suffix):
    # The tail of a crossfade (frames N - F on) is sought to rather than decoded from the
    # clip's start: it must be the same frames, to the bit, from the same first frame.
    from holopack.video.process import placed_frames

    path = str(tmp_path / f"counter{suffix}")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi"]
    cmd += ["-i", f"testsrc2=size=160x120:rate={rate}:duration=3", *codec, "-pix_fmt", "yuv420p", path]
    subprocess.run(cmd, check=True)
    media = holopack.load(path).media
    placement = fit_placement(media.width, media.height, 96)
    whole = [frame.copy() for frame in placed_frames(media, placement)]
    assert len(whole) == media.frame_count
    for start in (1, len(whole) // 2 - 1, len(whole) - 5):
        tail = list(placed_frames(media, placement, start))
        assert len(tail) == len(whole) - start, (start, len(tail))
        assert all(np.array_equal(a, b) for a, b in zip(tail, whole[start:], strict=True)), start


@pytest.mark.parametrize(
    "rate, codec, suffix",
    [
        (
            "25",
            ["-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-deadline", "realtime", "-cpu-used", "8"],
            ".webm",
        ),
        ("30000/1001", ["-c:v", "prores_ks", "-profile:v", "4444", "-pix_fmt", "yuva444p10le"], ".mov"),
        ("60", ["-c:v", "qtrle", "-pix_fmt", "argb"], ".mov"),
        ("24", ["-c:v", "png", "-pix_fmt", "rgba"], ".mov"),
    ],
)
def test_a_crossfades_tail_of_a_clip_with_alpha_sought_to_starts_at_its_frame(tmp_path, rate, codec, suffix):
    # A clip with alpha is read whole (not through ffmpeg's filter): its crossfade tail is
    # sought to as well, and must be the same RGBA frames, to the bit, from the same frame.
    from holopack.video.analyse import source_frames
    from holopack.video.process import rgba_frames_from

    path = str(tmp_path / f"alpha{suffix}")
    # the alpha moves with the frame number, so that a frame off is a different alpha
    moving = "format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='mod(3*X+11*N,256)'"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi"]
    cmd += ["-i", f"testsrc2=size=160x120:rate={rate}:duration=2", "-vf", moving, *codec, path]
    subprocess.run(cmd, check=True)
    media = holopack.load(path).media
    assert media.alpha
    whole = [frame.copy() for frame in source_frames(media)]
    assert len(whole) == media.frame_count and whole[0].shape == (120, 160, 4)
    assert rgba_frames_from(media, 0) is None  # from the start: read as ever
    for start in (1, len(whole) // 2 - 1, len(whole) - 5):
        tail = list(rgba_frames_from(media, start))
        assert len(tail) == len(whole) - start, (start, len(tail))
        assert all(np.array_equal(a, b) for a, b in zip(tail, whole[start:], strict=True)), start
