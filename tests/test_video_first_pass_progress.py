"""A clip's first pass reads the whole clip before the first output frame: on a
terminal it draws its own progress line, which an error clears; off a terminal the log
keeps the export's lines alone."""

from __future__ import annotations

import io

import pytest
from _video_clips import make_clip

from holopack.pipeline import ExportPlan, ExportSettings, default_twin
from holopack.progress import PassProgress
from holopack.scene.load import load

FRAMES = 12


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def green_clip(tmp_path_factory):
    path, _ = make_clip("green", str(tmp_path_factory.mktemp("first-pass")), frames=FRAMES)
    return path


def test_the_first_pass_reports_every_frame_it_reads_up_to_the_clips_length(green_clip):
    calls: list[tuple[int, int]] = []
    settings = ExportSettings(device="3dcircle-42f2", key="auto", crop="auto")
    ExportPlan(load(green_clip), settings, None, lambda done, total: calls.append((done, total)))
    assert calls
    done = [d for d, _ in calls]
    assert done == sorted(done) and all(0 < d <= t for d, t in calls)
    assert calls[-1] == (FRAMES, FRAMES)


def test_a_model_and_a_plain_clip_have_no_first_pass(green_clip):
    calls: list[tuple[int, int]] = []

    def record(done: int, total: int) -> None:
        calls.append((done, total))

    ExportPlan(load(green_clip), ExportSettings(device="3dcircle-42f2", key="none", crop="fit"), None, record)
    ExportPlan(load(default_twin()), ExportSettings(device="3dcircle-42f2"), None, record)
    assert calls == []


def test_the_line_is_drawn_on_a_terminal_and_cleared_when_the_pass_fails():
    terminal = _Terminal()
    line = PassProgress("clip.mp4 first pass", terminal)
    for done in range(1, 31):
        line(done, 40)  # the container said 40; the reader finds more
    line(45, 45)
    line.finish()
    text = terminal.getvalue()
    assert text.startswith("\rclip.mp4 first pass [")
    last = text.split("\r")[-1]
    assert "[########################] 45/45 frames" in last and " in 0:" in last
    assert text.endswith("\n") and text.count("\n") == 1  # drawn over itself, ended once

    failed = _Terminal()
    line = PassProgress("clip.mp4 first pass", failed)
    line(3, 40)
    line.abandon()
    assert failed.getvalue().endswith("\r\033[K")  # the error prints on a clean line


def test_off_a_terminal_the_first_pass_writes_nothing():
    log = io.StringIO()
    line = PassProgress("clip.mp4 first pass", log)
    for done in range(1, 41):
        line(done, 40)
    line.finish()
    line.abandon()
    assert log.getvalue() == ""


def test_a_wall_of_fans_reports_its_clips_first_pass_too(green_clip, tmp_path):
    from holopack.wall import WallPlan
    from holopack.wall.layout import load_wall

    (tmp_path / "wall.toml").write_text(
        "device = '3dcircle-42f2'\n[grid]\nrows = 1\ncols = 2\npitch = 450.0\n"
    )
    calls: list[tuple[int, int]] = []

    def record(done: int, total: int) -> None:
        calls.append((done, total))

    settings = ExportSettings(key="auto", crop="auto", size=64)
    WallPlan(load(green_clip), load_wall(tmp_path / "wall.toml"), settings, first_pass=record)
    assert calls and calls[-1] == (FRAMES, FRAMES)


def test_the_line_belongs_to_a_clip_exported_with_a_bar_and_goes_when_its_block_fails(green_clip):
    from holopack.progress import first_pass_line

    clip, model = load(green_clip), load(default_twin())
    for scene, progress in ((model, True), (clip, False), (clip, print)):
        with first_pass_line(scene, progress) as line:
            assert line is None
    with pytest.raises(RuntimeError), first_pass_line(clip, True) as line:
        assert isinstance(line, PassProgress) and line.label.endswith(".mp4 first pass")
        line(3, FRAMES)
        raise RuntimeError("the pass failed")
    assert line._line is None  # abandoned: nothing left to finish
