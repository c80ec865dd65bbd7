"""Clips in the containers that cameras, old phones, Windows, broadcast and the web hand
over (AVCHD's .mts/.m2ts, transport streams, MPEG program streams, WMV, FLV, 3GP, Ogg,
MXF) load by their suffix like an MP4 and key alike. Each clip is written here by the
bundled ffmpeg from pictures made in the test, which are the reference."""

from __future__ import annotations

import numpy as np
import pytest
from _video_clips import disc_crossing, encode_clip

from holopack.errors import InputError
from holopack.pipeline import ExportPlan, ExportSettings
from holopack.scene.archive import choose_clip
from holopack.scene.load import VIDEO_SUFFIXES, load, supported_suffixes

FRAMES, SIDE, FPS = 24, 160, 25

# suffix: ffmpeg's encoder options and muxer, as the devices that write the format use them
CONTAINERS = {
    ".ts": ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "16", "-f", "mpegts"],
    ".mts": ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "16", "-f", "mpegts"],
    ".m2ts": [
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-crf",
        "16",
        "-f",
        "mpegts",
        "-mpegts_m2ts_mode",
        "1",
    ],
    ".mpg": ["-c:v", "mpeg2video", "-q:v", "2", "-f", "vob"],
    ".mpeg": ["-c:v", "mpeg1video", "-q:v", "2", "-f", "mpeg"],
    ".wmv": ["-c:v", "wmv2", "-q:v", "2", "-f", "asf"],
    ".flv": ["-c:v", "flv", "-q:v", "2", "-f", "flv"],
    ".3gp": ["-c:v", "mpeg4", "-q:v", "2", "-f", "3gp"],
    ".ogv": ["-c:v", "libtheora", "-q:v", "9", "-f", "ogg"],
    ".mxf": ["-c:v", "mpeg2video", "-q:v", "2", "-pix_fmt", "yuv422p", "-f", "mxf"],
}


def pictures() -> list[np.ndarray]:
    """An orange disc crossing an evenly lit green screen, FRAMES pictures (SIDE, SIDE, 3)."""
    return disc_crossing(SIDE, FRAMES, (40, 175, 60), (230, 120, 50), 80, 24, 50, 110)


def write(path, frames, options) -> None:
    encode_clip(str(path), frames, FPS, list(options))


def test_every_video_suffix_is_read_and_archives_look_for_the_same():
    readable = set(supported_suffixes())
    assert set(VIDEO_SUFFIXES) <= readable
    assert set(CONTAINERS) <= set(VIDEO_SUFFIXES)
    for suffix in CONTAINERS:
        assert choose_clip([f"clip{suffix}", "notes.txt"], "take.zip") == f"clip{suffix}"


@pytest.mark.parametrize("suffix", list(CONTAINERS))
def test_a_clip_in_the_container_loads_and_keys_like_its_pictures(tmp_path, suffix):
    made = pictures()
    path = tmp_path / f"clip{suffix}"
    write(path, made, CONTAINERS[suffix])
    scene = load(str(path))
    media = scene.media
    assert media is not None and scene.is_media
    assert (media.width, media.height) == (SIDE, SIDE)
    assert media.fps == pytest.approx(FPS)
    assert media.frame_count == FRAMES
    decoded = list(media.frames())
    assert len(decoded) == FRAMES
    for i in (0, FRAMES // 2, FRAMES - 1):
        # lossy codecs at high quality: a few codes on average, the disc's rim the most
        assert np.abs(decoded[i].astype(int) - made[i]).mean() < 4.0, i
    # keyed as a green-screen clip: the screen exactly black, the disc kept
    plan = ExportPlan(scene, ExportSettings(device="3dcircle-42f2", key="green"), "X.BIN")
    keyed = plan.source.frame_at(FRAMES // 2)
    lit = keyed.max(axis=-1) > 0
    assert 0.02 < lit.mean() < 0.3
    red, green = keyed[lit][:, 0].astype(int), keyed[lit][:, 1].astype(int)
    assert np.median(red) > 150 and np.median(green) < np.median(red)


@pytest.mark.parametrize("suffix", [".ts", ".mts", ".wmv", ".mxf"])
def test_a_file_of_something_else_under_a_video_suffix_is_one_clear_error(tmp_path, suffix):
    # a TypeScript source is a .ts too
    path = tmp_path / f"app{suffix}"
    path.write_text("export const answer: number = 42;\n")
    with pytest.raises(InputError, match="not a readable video"):
        load(str(path))
