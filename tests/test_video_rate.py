"""A clip faster than the device is keyed at the device's rate: a 60 fps clip on a
30 fps fan shows every other frame, and only those go through the keyer (before, every
frame was keyed and half of them dropped)."""

from __future__ import annotations

import numpy as np
import pytest
from _video_clips import disc_crossing
from test_video_crop_loop import write_mp4

from holopack.pipeline import ExportPlan, ExportSettings
from holopack.pipeline.frames import Timeline, VideoSource
from holopack.scene.load import load
from holopack.scene.scene import Scene
from holopack.scene.types import MediaSource
from holopack.video.process import FrameProcessor

FRAMES, SIDE = 40, 96


def green_clip(path, fps: int) -> None:
    """A bright disc crossing a green screen, FRAMES frames at ``fps``."""
    write_mp4(path, disc_crossing(SIDE, FRAMES, (30, 170, 40), (220, 120, 60), 48, 14, 25, 71), fps=fps)


def keyed_frames(path, monkeypatch, asked=None, **settings):
    """(the pictures of the output frames ``asked`` (default: every one), the frames
    keyed: the matte kernel's calls) of an export to the 42-F2 (30 fps)."""
    calls = []
    score = FrameProcessor.score

    def counted(self, placed):
        calls.append(1)
        return score(self, placed)

    monkeypatch.setattr(FrameProcessor, "score", counted)
    plan = ExportPlan(
        load(str(path)), ExportSettings(device="3dcircle-42f2", key="green", **settings), "X.BIN"
    )
    asked = range(plan.timeline.frame_count) if asked is None else asked
    pictures = [plan.source.frame_at(i).copy() for i in asked]
    return pictures, len(calls)


def test_a_60_fps_clip_on_a_30_fps_fan_keys_only_the_frames_it_shows(tmp_path, monkeypatch):
    path = tmp_path / "fast.mp4"
    green_clip(path, 60)
    shown, keyed = keyed_frames(path, monkeypatch)
    assert len(shown) == FRAMES // 2
    # the frames shown and at most the look-ahead: two keyed frames wait for the reader,
    # one more is finished and one scored (process.KEY_AHEAD, SCORE_AHEAD)
    assert keyed <= len(shown) + 4, keyed
    # the same pictures as a clip made at 30 fps of those very frames, keyed in full
    slow = tmp_path / "slow.mp4"
    write_mp4(slow, list(load(str(path)).media.frames())[::2], fps=30)
    made, keyed_slow = keyed_frames(slow, monkeypatch)
    assert keyed_slow >= len(made)
    for a, b in zip(shown, made):
        assert np.abs(a.astype(int) - b).mean() < 1.0
    # the disc is keyed out of the screen: lit where it stands, black around it
    last = shown[-1]
    assert last.max(axis=-1).astype(bool).mean() < 0.5 and last.max() > 100


def test_a_looped_fast_clip_still_blends_every_frame(tmp_path, monkeypatch):
    # pingpong replays frames the reader does not ask for: all of them are keyed
    path = tmp_path / "fast.mp4"
    green_clip(path, 60)
    _, keyed = keyed_frames(path, monkeypatch, loop="pingpong")
    assert keyed >= FRAMES


@pytest.mark.parametrize(
    ("clip_fps", "count", "start", "expected"),
    [
        (60.0, 10, 0, [0, 2, 4, 6, 8]),
        (60.0, 5, 0, [0, 2, 4]),  # the next pass starts at frame 1 (output 3 shows frame 6 % 5)
        (60.0, 5, 3, [1, 3]),
        (24.0, 6, 0, [0, 1, 2, 3, 4, 5]),  # slower than the device: every frame, some twice
        (90.0, 9, 0, [0, 3, 6]),
    ],
)
def test_a_pass_keeps_the_frames_its_output_frames_show(clip_fps, count, start, expected):
    media = MediaSource(path="clip.mp4", width=8, height=8, fps=clip_fps, frame_count=count, open_frames=iter)
    source = VideoSource(
        Scene(path="clip.mp4", media=media), Timeline(fps=30.0, frame_count=100, animation=None), 8
    )
    kept = source.kept_frames(start)
    assert list(np.flatnonzero(kept)) == expected
    # every output frame of the pass reads a kept frame
    i = start
    while True:
        shown = source.source_index(i)
        if i > start and shown < source.source_index(i - 1):
            break
        assert kept[shown]
        i += 1


@pytest.mark.parametrize("loop", [None, "crossfade=0.4"])
def test_a_reader_that_skips_frames_has_only_the_frames_it_is_shown_keyed(tmp_path, monkeypatch, loop):
    """The preview drops frames to keep time: asked for every third output frame, the
    clip keys those (and a few read ahead), not the frames between, and each picture is
    the frame asked for, keyed as the sequential export keys it (within the temporal
    smoothing's difference). A crossfaded loop blends each frame with one from the clip's
    end, and keys only those too."""
    path = tmp_path / "clip.mp4"
    green_clip(path, 30)
    sequential, keyed_all = keyed_frames(path, monkeypatch, loop=loop)
    asked = list(range(0, len(sequential), 3))
    skipping, keyed = keyed_frames(path, monkeypatch, asked, loop=loop)
    assert keyed_all >= len(sequential)
    # the frames asked for (and the end's frames they blend with), and at most the
    # look-ahead of each stream for the first stride's guess
    blended = sum(1 for i in asked if loop and i < FRAMES - len(sequential))
    assert keyed <= len(asked) + blended + 6 * (2 if loop else 1), (keyed, keyed_all)
    for i, picture in zip(asked, skipping):
        assert np.abs(picture.astype(int) - sequential[i]).mean() < 2.0, i


def test_a_skipping_reader_near_the_clips_end_wraps_without_fault(tmp_path, monkeypatch):
    # strides that run past the clip's end (where its next pass starts) guess no skips there
    path = tmp_path / "clip.mp4"
    green_clip(path, 30)
    asked = [0, 7, 14, 21, 28, 35, 39, 3, 11, 19, 27]
    pictures, _ = keyed_frames(path, monkeypatch, asked)
    sequential, _ = keyed_frames(path, monkeypatch)
    for i, picture in zip(asked, pictures):
        assert np.abs(picture.astype(int) - sequential[i]).mean() < 2.0, i
