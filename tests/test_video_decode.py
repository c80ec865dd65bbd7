"""Alpha survives decoding: every container the issue names, written here with the
ffmpeg that imageio-ffmpeg ships (or Pillow), read back through holopack.load."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

import holopack
from holopack.video.decode import probe_stream

W, H, N = 64, 48, 6


def rgba_frames() -> list[np.ndarray]:
    """A soft disc moving right over a clear background: straight RGBA uint8."""
    y, x = np.mgrid[0:H, 0:W]
    frames = []
    for i in range(N):
        r = np.hypot(x - (20 + 4 * i), y - 24)
        alpha = np.clip(14.0 - r, 0.0, 1.0)
        rgba = np.zeros((H, W, 4), np.uint8)
        rgba[..., 0], rgba[..., 1], rgba[..., 2] = 230, 120, 40
        rgba[..., 3] = np.round(255 * alpha)
        frames.append(rgba)
    return frames


def encode(path, frames, params):
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [
            exe,
            "-y",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgba",
            "-s",
            f"{W}x{H}",
            "-r",
            "10",
            "-i",
            "-",
        ]
        + params
        + [str(path)],
        input=b"".join(f.tobytes() for f in frames),
        check=True,
    )


CONTAINERS = {
    "vp9.webm": [
        "-c:v",
        "libvpx-vp9",
        "-pix_fmt",
        "yuva420p",
        "-crf",
        "10",
        "-b:v",
        "0",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
    ],
    "prores4444.mov": ["-c:v", "prores_ks", "-profile:v", "4444", "-pix_fmt", "yuva444p10le"],
    "animation.mov": ["-c:v", "qtrle", "-pix_fmt", "argb"],
    "png.mov": ["-c:v", "png", "-pix_fmt", "rgba"],
}
# lossy alpha planes (VP9, ProRes) are allowed a few codes
ALPHA_TOLERANCE = {"vp9.webm": 12, "prores4444.mov": 3, "animation.mov": 0, "png.mov": 0}


@pytest.mark.parametrize("name", list(CONTAINERS))
def test_video_alpha_is_decoded_from_each_container(tmp_path, name):
    frames = rgba_frames()
    path = tmp_path / name
    encode(path, frames, CONTAINERS[name])
    media = holopack.load(str(path)).media
    assert media.alpha
    decoded = list(media.open_rgba())
    assert len(decoded) == N
    for i, (got, want) in enumerate(zip(decoded, frames)):
        assert got.shape == (H, W, 4)
        err = np.abs(got[..., 3].astype(int) - want[..., 3].astype(int))
        assert err.max() <= ALPHA_TOLERANCE[name], name
        # the clear background is clear, the disc's centre is solid
        assert got[0, 0, 3] <= ALPHA_TOLERANCE[name] and got[24, 20 + 4 * i, 3] >= 255 - ALPHA_TOLERANCE[name]
    # frames() is the same composited over black (premultiplied)
    over = next(iter(media.frames()))
    assert over.shape == (H, W, 3)
    assert over[0, 0].max() <= 2 and over[24, 20, 0] >= 200


def test_native_vp9_decoder_drops_the_alpha_that_libvpx_keeps(tmp_path):
    """Why decode.py forces libvpx-vp9: ffmpeg's own vp9 decoder returns opaque frames."""
    path = tmp_path / "a.webm"
    encode(path, rgba_frames(), CONTAINERS["vp9.webm"])
    info = probe_stream(str(path))
    assert info.alpha and info.decoder == "libvpx-vp9"
    gen = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgba", bpp=4)
    next(gen)
    native = np.frombuffer(next(gen), np.uint8).reshape(H, W, 4)
    gen.close()
    assert native[..., 3].min() == 255  # alpha lost
    assert next(iter(holopack.load(str(path)).media.open_rgba()))[0, 0, 3] < 20


def test_opaque_video_has_no_alpha(tmp_path):
    path = tmp_path / "plain.mp4"
    encode(path, rgba_frames(), ["-c:v", "libx264", "-pix_fmt", "yuv420p"])
    media = holopack.load(str(path)).media
    assert not media.alpha and media.open_rgba is None


def test_apng_webp_and_gif_transparency_become_alpha(tmp_path):
    frames = rgba_frames()
    pictures = [Image.fromarray(f) for f in frames]
    for name, kwargs in (("clip.png", {}), ("clip.webp", {"lossless": True})):
        path = tmp_path / name
        pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=100, **kwargs)
        media = holopack.load(str(path)).media
        assert media.alpha and media.frame_count == N
        got = list(media.open_rgba())
        assert np.array_equal(got[3][..., 3], frames[3][..., 3]), name
    gif = tmp_path / "clip.gif"
    pal = [p.convert("RGBA") for p in pictures]
    pal[0].save(
        gif, save_all=True, append_images=pal[1:], duration=100, disposal=2, transparency=0, optimize=False
    )
    media = holopack.load(str(gif)).media
    assert media.alpha
    first = next(iter(media.open_rgba()))
    assert first[0, 0, 3] == 0 and first[24, 20, 3] == 255


def test_folder_of_png_frames_is_a_clip_with_alpha(tmp_path):
    frames = rgba_frames()
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in enumerate(frames):  # natural order: frame10 after frame2
        Image.fromarray(f).save(folder / f"frame{i * 5}.png")
    media = holopack.load(str(folder)).media
    assert media.alpha and media.frame_count == N and media.fps > 0
    got = list(media.open_rgba())
    assert all(np.array_equal(g, f) for g, f in zip(got, frames))
