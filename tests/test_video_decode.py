"""Alpha survives decoding: every container the issue names, written here with the
ffmpeg that imageio-ffmpeg ships (or Pillow), read back through holopack.load."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from _video_clips import CELLS, cell_grid
from PIL import Image

import holopack
from holopack.errors import InputError
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
    # Apple's "HEVC with alpha": the alpha in a second layer that ffmpeg -i does not show
    "hevc-alpha.mov": ["-c:v", "libx265", "-x265-params", "log-level=error", "-pix_fmt", "yuva420p"]
    + ["-crf", "10", "-tag:v", "hvc1"],
}
# lossy alpha planes (VP9, ProRes, HEVC) are allowed a few codes
ALPHA_TOLERANCE = {
    "vp9.webm": 12,
    "prores4444.mov": 3,
    "animation.mov": 0,
    "png.mov": 0,
    "hevc-alpha.mov": 12,
}


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


def test_a_webm_muxed_again_by_ffmpeg_keeps_its_alpha(tmp_path):
    """ffmpeg writes a WebM's alpha flag, when it muxes one again (a trim with -c copy, a
    re-encode), as a tag that it prints as "ALPHA_MODE", not Matroska's AlphaMode
    ("alpha_mode"); the alpha itself is all there. Read as opaque, such a clip was keyed
    as a studio."""
    first = tmp_path / "first.webm"
    encode(first, rgba_frames(), CONTAINERS["vp9.webm"])
    again = tmp_path / "again.webm"
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run([exe, "-y", "-loglevel", "error", "-i", str(first), "-c", "copy", str(again)], check=True)
    shown = subprocess.run([exe, "-hide_banner", "-i", str(again)], capture_output=True, text=True).stderr
    assert "ALPHA_MODE" in shown and "alpha_mode" not in shown  # the case this test is for
    media = holopack.load(str(again)).media
    assert media.alpha
    for got, want in zip(media.open_rgba(), rgba_frames(), strict=True):
        assert np.abs(got[..., 3].astype(int) - want[..., 3].astype(int)).max() <= ALPHA_TOLERANCE["vp9.webm"]


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


# Container facts that users' clips carry and the alpha clips above do not: a known
# 3 x 3 grid of colour cells (_video_clips.CELLS), so a squeezed, turned or
# mis-levelled picture shows as cells whose centres are off.
def cell_means(frame: np.ndarray) -> np.ndarray:
    """(3, 3, 3) float: the mean of each cell's inner 40 % (clear of 4:2:0 chroma edges)."""
    h, w = frame.shape[:2]
    out = np.zeros((3, 3, 3))
    for r in range(3):
        for c in range(3):
            ys = slice(int(h * (r + 0.3) / 3), int(h * (r + 0.7) / 3) + 1)
            xs = slice(int(w * (c + 0.3) / 3), int(w * (c + 0.7) / 3) + 1)
            out[r, c] = frame[ys, xs, :3].reshape(-1, 3).mean(0)
    return out


def encode_rgb(path, pictures, params, vf="format=yuv420p", pre=()):
    h, w = pictures[0].shape[:2]
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", *pre, "-f", "rawvideo", "-pix_fmt"]
        + ["rgb24" if pictures[0].shape[2] == 3 else "rgba", "-s", f"{w}x{h}", "-r", "10", "-i", "-"]
        + ["-vf", vf, *params, str(path)],
        input=b"".join(np.ascontiguousarray(p).tobytes() for p in pictures),
        check=True,
    )


X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "10"]


@pytest.mark.parametrize("name", ["anamorphic.mp4", "anamorphic-prores4444.mov"])
def test_non_square_pixels_are_read_at_the_shape_players_show(tmp_path, name):
    """A 48 x 36 clip whose pixels are 4:3 wide (SAR 4:3) shows 64 x 36: read at the
    stored size, the picture came out squeezed to three quarters of its width."""
    shown = cell_grid(64, 36)
    stored = np.asarray(Image.fromarray(shown).resize((48, 36), Image.Resampling.NEAREST))
    path = tmp_path / name
    if name.endswith(".mov"):
        alpha = np.dstack([stored, np.full((36, 48), 255, np.uint8)])
        params = ["-c:v", "prores_ks", "-profile:v", "4444"]
        encode_rgb(path, [alpha] * 3, params, vf="setsar=4/3,format=yuva444p10le")
    else:
        encode_rgb(path, [stored] * 3, X264, vf="setsar=4/3,format=yuv444p")
    media = holopack.load(str(path)).media
    assert (media.width, media.height) == (64, 36)
    frames = list(media.frames())
    assert len(frames) == 3 and frames[0].shape == (36, 64, 3)
    assert np.abs(cell_means(frames[0]) - CELLS).max() <= 8
    if media.open_filtered is not None:  # the keyer's filtered decode sees the same picture
        filtered = list(media.open_filtered(media.rgb_filter, (64, 36)))
        assert filtered[0].shape == (36, 64, 4 if media.alpha else 3)  # RGBA where it has alpha
        assert np.abs(filtered[0][..., :3].astype(int) - frames[0]).max() <= 2


def test_phone_clip_with_a_display_matrix_is_read_upright_without_a_warning(tmp_path, caplog):
    """A portrait phone clip is stored landscape with a display matrix that turns it:
    read upright, at the portrait size, and imageio-ffmpeg's warning that the decoded
    size differs from the stored one (right here) does not reach the user."""
    shown = cell_grid(36, 48)
    stored = tmp_path / "stored.mp4"
    encode_rgb(stored, [np.ascontiguousarray(np.rot90(shown, -1))] * 3, X264, vf="format=yuv444p")
    path = tmp_path / "phone.mp4"
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    cmd = [exe, "-y", "-loglevel", "error", "-display_rotation", "90", "-i", str(stored), "-c", "copy"]
    subprocess.run(cmd + [str(path)], check=True)
    with caplog.at_level("WARNING"):
        media = holopack.load(str(path)).media
        frames = list(media.frames())
    assert (media.width, media.height) == (36, 48)
    assert frames[0].shape == (48, 36, 3)
    assert np.abs(cell_means(frames[0]) - CELLS).max() <= 8
    assert not [r for r in caplog.records if r.name.startswith("imageio")]


def test_a_cover_picture_stored_ahead_of_the_clip_is_not_read_as_the_clip(tmp_path):
    """A Matroska file may hold its cover as a one-frame video stream before the clip:
    its rate (25 fps) and its single frame were taken for the clip's."""
    clip = tmp_path / "clip.mp4"
    encode_rgb(clip, [cell_grid(64, 48)] * 12, X264)  # 12 frames at 10 fps
    cover = tmp_path / "cover.png"
    Image.fromarray(np.full((32, 32, 3), (255, 0, 0), np.uint8)).save(cover)
    path = tmp_path / "with-cover.mkv"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(cover), "-i", str(clip)]
    cmd += ["-map", "0", "-map", "1", "-c:v:0", "mjpeg", "-c:v:1", "copy", str(path)]
    subprocess.run(cmd, check=True)
    media = holopack.load(str(path)).media
    assert (media.width, media.height, media.fps, media.frame_count) == (64, 48, 10, 12)
    assert probe_stream(str(path)).index == 1
    frames = list(media.frames())
    assert len(frames) == 12 and np.abs(cell_means(frames[0]) - CELLS).max() <= 8
    filtered = list(media.open_filtered("format=rgb24", (64, 48)))
    assert len(filtered) == 12 and np.abs(filtered[0].astype(int) - frames[0]).max() <= 2


def test_sixteen_bit_grey_pictures_keep_their_levels(tmp_path):
    """Pillow opens a 16-bit grey PNG as mode I;16 and its convert("RGBA") clips the
    values at 255: the folder came out white. Stored as v * 257, v comes back."""
    grey = cell_grid(30, 30)[..., 0]
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(grey.astype(np.uint16) * 257).save(folder / f"f{i}.png")
    assert Image.open(folder / "f0.png").mode.startswith("I")
    for source in (folder, folder / "f0.png"):
        media = holopack.load(str(source)).media
        frame = next(iter(media.frames()))
        assert np.array_equal(frame, np.dstack([grey] * 3)), source


def test_animated_webp_plays_at_its_own_frame_durations(tmp_path):
    """Pillow's WebP reader knows a frame's duration only once it has decoded it:
    read before, every frame counted 100 ms and a 25 fps WebP played at 10 fps."""
    pictures = []
    for i in range(6):  # frames differ, or Pillow merges them
        rgba = np.dstack([cell_grid(30, 20), np.full((20, 30), 255, np.uint8)])
        rgba[:2, :2] = 40 * i
        pictures.append(Image.fromarray(rgba))
    path = tmp_path / "clip.webp"
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=40, lossless=True)
    media = holopack.load(str(path)).media
    assert media.frame_count == 6
    assert media.fps == pytest.approx(25.0, abs=0.01)


def test_sound_only_file_is_refused_as_having_no_video(tmp_path):
    path = tmp_path / "voice.mp4"
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    cmd = [exe, "-y", "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=0.3", "-c:a", "aac"]
    subprocess.run(cmd + [str(path)], check=True)
    with pytest.raises(InputError, match="only sound, no video stream"):
        holopack.load(str(path))


def test_video_cut_off_before_its_first_picture_is_named_damaged(tmp_path):
    """A download cut short after the index: ffmpeg's last line was "Conversion
    failed!"; the reason is the line that names the damage."""
    whole = tmp_path / "whole.mp4"
    encode_rgb(whole, [cell_grid(32, 32)] * 4, X264 + ["-movflags", "+faststart"])
    data = whole.read_bytes()
    moov = data.index(b"moov") - 4
    size = int.from_bytes(data[moov : moov + 4], "big")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: moov + size + 16])  # the index and a few bytes of the pictures
    with pytest.raises(InputError, match="the video is damaged or cut short"):
        holopack.load(str(cut))


def test_sound_running_on_after_the_picture_does_not_lengthen_the_clip(tmp_path):
    """The container's duration is its longest stream's: 1 s of picture with 3 s of
    sound counted 30 frames, and the loop held its last picture for 2 s."""
    picture = tmp_path / "picture.mp4"
    pictures = [np.ascontiguousarray(np.roll(cell_grid(32, 32), i, axis=1)) for i in range(10)]
    encode_rgb(picture, pictures, X264)
    path = tmp_path / "with-sound.mp4"
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    cmd = [exe, "-y", "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=3", "-i", str(picture)]
    subprocess.run(cmd + ["-map", "0:a", "-map", "1:v", "-c:a", "aac", "-c:v", "copy", str(path)], check=True)
    media = holopack.load(str(path)).media
    assert media.fps == pytest.approx(10.0)
    assert media.frame_count == 10 == sum(1 for _ in media.frames())


def test_file_cut_off_mid_clip_counts_the_frames_it_holds_and_warns(tmp_path, capsys):
    """A download cut off partway: the index still promises the whole clip. The clip
    is what the file holds (its packets' span), and the user is told."""
    whole = tmp_path / "whole.mp4"
    pictures = [np.ascontiguousarray(np.roll(cell_grid(32, 32), 3 * i, axis=1)) for i in range(40)]
    encode_rgb(whole, pictures, X264 + ["-g", "10", "-movflags", "+faststart"])
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    media = holopack.load(str(cut)).media
    decoded = sum(1 for _ in media.frames())
    assert 5 < decoded < 40
    assert abs(media.frame_count - decoded) <= 1  # the last packet may be partial
    assert "the file is cut short" in capsys.readouterr().err


def test_premultiply_kernel_matches_its_numpy_twin():
    """alpha_kernel.premultiply_into against alpha_reference.premultiply: every code
    against every alpha, and a random frame, with and without the alpha kept."""
    from holopack.video import alpha_reference
    from holopack.video.decode import premultiply

    code, alpha = np.meshgrid(np.arange(256, dtype=np.uint8), np.arange(256, dtype=np.uint8))
    every = np.stack([code, 255 - code, code // 2 + 7, alpha], axis=-1)
    noisy = np.random.default_rng(5).integers(0, 256, (37, 53, 4), dtype=np.uint8)
    for rgba in (every, noisy, noisy[:, ::2]):  # the last one a strided view
        for keep in (False, True):
            got, want = premultiply(rgba, keep_alpha=keep), alpha_reference.premultiply(rgba, keep_alpha=keep)
            assert got.shape == rgba.shape[:2] + (4 if keep else 3,) and got.dtype == np.uint8
            assert np.array_equal(got, want)
    # the rounding itself: to the nearest code (0.502 of a code is 1), nothing where clear
    assert premultiply(np.array([[[255, 128, 1, 128]]], np.uint8)).tolist() == [[[128, 64, 1]]]
    assert premultiply(np.array([[[200, 10, 0, 0]]], np.uint8)).tolist() == [[[0, 0, 0]]]
