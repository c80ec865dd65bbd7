"""A dark subject (holopack.video.analyse.dark_share): a fan shows black as clear air, so
a subject whose pixels are mostly near black hardly shows on it. The first pass measures
the share of the subject that is dark as the fan will show it (keyed and despilled),
inspect reports it and export warns. The clips are PNG frames made here: a block that
walks across a screen, its colour known, so the expected share is counted from the
picture itself."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import holopack
from holopack.cli import main
from holopack.video.analyse import DARK_LEVEL, analyse
from holopack.video.options import video_options

GREEN = (30, 180, 60)
BLUE = (25, 70, 200)


def walking_block(folder, left_rgb, right_rgb=None, screen=GREEN, frames=12, split=15):
    """A 40 x 30 block walking 2 px a frame across a 100 x 80 screen, its ``split``
    columns on the left ``left_rgb`` and the rest ``right_rgb`` (the same when None), as
    PNG frames in ``folder``."""
    folder.mkdir()
    right_rgb = left_rgb if right_rgb is None else right_rgb
    for i in range(frames):
        frame = np.empty((80, 100, 3), np.uint8)
        frame[:] = screen
        x = 20 + 2 * i
        frame[20:60, x : x + split] = left_rgb
        frame[20:60, x + split : x + 30] = right_rgb
        Image.fromarray(frame).save(folder / f"frame{i:03d}.png")
    return folder


def shown_brightest(rgb, screen) -> int:
    """The brightest channel a fan shows of a solid pixel of colour ``rgb`` keyed off
    ``screen``: the screen's own channel held to the larger of the other two (no
    subject's colour exceeds them there and still belongs to the subject)."""
    c = list(rgb)
    k = int(np.argmax(screen))
    others = [c[j] for j in range(3) if j != k]
    c[k] = min(c[k], max(others))
    return max(c)


def first_pass(folder, **options):
    return analyse(holopack.load(str(folder)).media, video_options(**options), inspecting=True)


def test_a_dark_green_subject_on_a_green_screen_is_dark_as_the_fan_shows_it(tmp_path):
    # its green (60) is lit, but it is the screen's own colour and goes with the key
    dark_green = (8, 60, 12)
    assert max(dark_green) >= DARK_LEVEL > shown_brightest(dark_green, GREEN)
    model = first_pass(walking_block(tmp_path / "clip", dark_green))
    assert model.dark > 0.9
    assert any("of the subject is dark" in w for w in model.warnings)
    assert model.report()["dark"] == round(model.dark, 3)


def test_a_bright_subject_is_not_dark_and_gets_no_warning(tmp_path):
    model = first_pass(walking_block(tmp_path / "clip", (220, 210, 200)))
    assert model.dark == 0.0
    assert not any("dark" in w for w in model.warnings)


def test_the_dark_share_is_the_share_of_the_subjects_pixels_that_are_dark(tmp_path):
    # a third of the block near black, the rest bright: about a third of the subject is
    # dark (its rim, where the key mixes it with the screen, moves the share a little)
    model = first_pass(walking_block(tmp_path / "clip", (10, 12, 14), (200, 200, 200), screen=BLUE, split=10))
    assert abs(model.dark - 1 / 3) < 0.06
    assert not any("dark" in w for w in model.warnings)  # below DARK_SHARE
    # two thirds dark: warned
    model = first_pass(walking_block(tmp_path / "more", (10, 12, 14), (200, 200, 200), screen=BLUE, split=20))
    assert abs(model.dark - 2 / 3) < 0.06
    assert any("of the subject is dark" in w for w in model.warnings)


def test_levels_auto_is_suggested_where_it_would_light_the_subject(tmp_path):
    # a dim grey: --levels auto multiplies it by up to 4, past DARK_LEVEL
    grey = (30, 30, 30)
    folder = walking_block(tmp_path / "clip", grey, screen=BLUE)
    plain = first_pass(folder)
    assert plain.dark > 0.9
    (warning,) = [w for w in plain.warnings if "dark" in w]
    assert "--levels auto" in warning
    levelled = first_pass(folder, levels="auto")
    assert levelled.dark < 0.1
    assert not any("dark" in w for w in levelled.warnings)
    # a black subject stays black whatever the gain: no suggestion
    black = first_pass(walking_block(tmp_path / "black", (3, 3, 3), screen=BLUE))
    (warning,) = [w for w in black.warnings if "dark" in w]
    assert "--levels auto" not in warning


@pytest.mark.parametrize("command", ["inspect", "export"])
def test_inspect_and_export_say_so_on_one_line(tmp_path, capsys, command):
    folder = walking_block(tmp_path / "clip", (8, 60, 12))
    argv = [command, str(folder)]
    if command == "export":
        argv += ["-o", str(tmp_path / "out.mp4"), "--device", "mp4-fan"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    # inspect lists its warnings in its report, export on stderr as it goes
    said = captured.out if command == "inspect" else captured.err
    lines = [line for line in said.splitlines() if "of the subject is dark" in line]
    assert len(lines) == 1
    assert lines[0].startswith("holopack: warning: " if command == "export" else "  warning: ")
    assert "Traceback" not in captured.err
    if command == "inspect":
        assert any(line.startswith("  dark: ") for line in captured.out.splitlines())


@pytest.mark.parametrize("screen", [GREEN, BLUE, (150, 150, 150)], ids=["green", "blue", "grey"])
@pytest.mark.parametrize(
    "rgb", [(8, 60, 12), (10, 20, 70), (30, 30, 30), (3, 3, 3), (90, 200, 95), (220, 210, 200)]
)
def test_an_export_warns_of_a_dark_subject_as_inspect_does(tmp_path, rgb, screen):
    # an export's first pass measures the share only where the samples say the subject
    # may be dark (analyse.may_be_dark): it must not miss one that inspect finds
    folder = walking_block(tmp_path / "clip", rgb, screen=screen)
    media = holopack.load(str(folder)).media
    inspected = analyse(media, video_options(), inspecting=True)
    exported = analyse(media, video_options())
    warned = [any("of the subject is dark" in w for w in m.warnings) for m in (inspected, exported)]
    assert warned[0] == warned[1]
