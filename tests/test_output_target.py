"""Export and validate agree on names; the output's extension says the format written."""

import os
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from holopack.cli import main
from holopack.device import load_profile
from holopack.errors import InputError, OutputError
from holopack.formats import get_format
from holopack.formats.names import check_output_name, name_rule
from holopack.formats.target import format_for_target

CIRCLE = load_profile("3dcircle-42f2")
HYPERVSN = load_profile("hypervsn")
# the 42-F2's published rule, written out here: 8.3 names, upper case, ".BIN"
LEGAL_42F2 = re.compile(r"[A-Z0-9_]{1,8}\.BIN")


def _cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    return rc, capsys.readouterr().err


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.characters(min_codepoint=32, max_codepoint=0x17F, blacklist_characters="/\\\x00"),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from([".BIN", ".bin", ".Bin"]),
)
def test_export_refuses_exactly_the_names_validate_fails_and_suggests_a_legal_one(stem, suffix):
    name = stem + suffix
    problems = name_rule(CIRCLE).problems(name, need_position=False)
    if LEGAL_42F2.fullmatch(name):
        assert problems == []
        check_output_name(CIRCLE, get_format("42f2"), name)
        return
    assert problems
    with pytest.raises(InputError) as caught:
        check_output_name(CIRCLE, get_format("42f2"), name)
    suggested = caught.value.message.split("nearest legal name: ")[1]
    assert LEGAL_42F2.fullmatch(suggested), suggested
    assert name_rule(CIRCLE).problems(suggested, need_position=False) == []


def test_nearest_names_keep_what_they_can():
    rule = name_rule(CIRCLE)
    assert rule.nearest("my clip.bin") == "MY_CLIP.BIN"
    assert rule.nearest("01_twin dance.BIN") == "01_TWIN.BIN"
    assert rule.nearest("Loop.BIN") == "LOOP.BIN"
    assert name_rule(HYPERVSN).nearest("Clip.MP4") == "clip.mp4"


def test_a_bad_name_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "my long clip.BIN"
    rc, err = _cli(capsys, "export", "--device", "3dcircle-42f2", "-o", out, "--seconds", "0.1", "-q")
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert "nearest legal name: " + str(tmp_path / "MY_LONG.BIN") in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("where", ["here", "cluster"])
def test_a_bad_name_is_refused_before_the_input_is_read(tmp_path, monkeypatch, where):
    """A keyed clip's first pass, or a large model's load, is not paid for an output
    the device would not play."""
    from holopack.cluster import export as cluster_export
    from holopack.cluster.executors import InProcessExecutor
    from holopack.pipeline import exporting

    def must_not_load(path, *args, **kwargs):
        raise AssertionError(f"{path} was read before the output's name was checked")

    def export_to(out):
        if where == "here":
            return exporting.export(None, str(out), device="3dcircle-42f2", progress=False)
        with InProcessExecutor() as executor:
            return cluster_export.export_chunked(
                None, str(out), device="3dcircle-42f2", progress=False, executor=executor
            )

    monkeypatch.setattr(exporting, "load", must_not_load)
    monkeypatch.setattr(cluster_export, "load", must_not_load)
    with pytest.raises(InputError, match="does not play this name.*nearest legal name"):
        export_to(tmp_path / "my clip.bin")
    with pytest.raises(InputError, match="extension|takes|format"):
        export_to(tmp_path / "LOOP.XYZ")
    assert os.listdir(tmp_path) == []
    folder = tmp_path / "LOOP.BIN"
    folder.mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        export_to(folder)
    assert os.listdir(tmp_path) == ["LOOP.BIN"] and os.listdir(folder) == []


@pytest.mark.parametrize(
    "device,name,fmt",
    [
        ("hypervsn", "clip.gif", "gif"),
        ("hypervsn", "clip.mp4", "mp4"),
        ("3dcircle-42f2", "LOOP.BIN", "42f2"),
        ("3dcircle-42f2", "preview.gif", "gif"),
        ("3dcircle-42f2", "preview.mp4", "mp4"),
        ("3dcircle-42f2", "loop.hps", "polarstream"),
        ("3dcircle-42f2", "look.png", "picture"),
        ("hypervsn", "look.PNG", "picture"),
        ("legacy-224", "LOOP.bin", "legacy224"),
        ("diy-apa102", "loop.hps", "polarstream"),
    ],
)
def test_the_extension_chooses_the_format(device, name, fmt):
    assert format_for_target(load_profile(device), name).name == fmt


@pytest.mark.parametrize(
    "device,name",
    [
        ("hypervsn", "clip.BIN"),
        ("hypervsn", "clip.avi"),
        ("3dcircle-42f2", "LOOP.txt"),
        ("hypervsn", "clip.hps"),
        ("mp4-fan", "clip"),
    ],
)
def test_an_extension_the_device_cannot_take_is_refused(device, name):
    with pytest.raises(InputError, match="takes"):
        format_for_target(load_profile(device), name)


def test_an_explicit_format_must_match_the_extension():
    with pytest.raises(InputError, match="--format gif"):
        format_for_target(HYPERVSN, "clip.mp4", "gif")
    assert format_for_target(HYPERVSN, "clip.gif", "gif").name == "gif"


def test_gif_and_mp4_are_written_as_named(tmp_path, capsys):
    gif = tmp_path / "01_clip.gif"
    rc, err = _cli(
        capsys, "export", "--device", "hypervsn", "-o", gif, "--size", "48", "--seconds", "0.2", "-q"
    )
    assert rc == 0, err
    assert gif.read_bytes()[:6] in (b"GIF87a", b"GIF89a")
    mp4 = tmp_path / "01_clip.mp4"
    rc, err = _cli(
        capsys, "export", "--device", "hypervsn", "-o", mp4, "--size", "48", "--seconds", "0.2", "-q"
    )
    assert rc == 0, err
    assert mp4.read_bytes()[4:8] == b"ftyp"
    rc, err = _cli(capsys, "export", "--device", "hypervsn", "-o", tmp_path / "clip.avi", "-q")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "clip.avi" in err
    assert not (tmp_path / "clip.avi").exists()


def test_export_warns_as_validate_does_about_a_missing_play_position(tmp_path, capsys):
    from holopack.pack.validate import validate

    out = tmp_path / "TWIN.BIN"
    rc, err = _cli(capsys, "export", "--device", "3dcircle-42f2", "-o", out, "--seconds", "0.1", "-q")
    assert rc == 0
    assert "warning" in err and "play position" in err
    report = validate(str(out))
    assert any("play position" in w.message for w in report.warnings)


def test_a_video_fan_needs_no_play_position_so_export_does_not_warn(tmp_path, capsys):
    rc, err = _cli(
        capsys, "export", "--device", "mp4-fan", "-o", tmp_path / "twin.mp4", "--seconds", "0.1", "-q"
    )
    assert rc == 0 and (tmp_path / "twin.mp4").stat().st_size > 0
    assert "play position" not in err


@pytest.mark.parametrize("device", ["mp4-fan", "hypervsn"])
def test_validate_of_a_lone_video_asks_no_play_position_as_export_does(tmp_path, capsys, device):
    from holopack.pack.validate import validate

    out = tmp_path / "twin.mp4"
    rc, err = _cli(capsys, "export", "--device", device, "-o", out, "--seconds", "0.1", "-q")
    assert rc == 0 and "play position" not in err
    report = validate(str(out), device=device)
    assert not any("play position" in w.message for w in report.warnings), report.warnings


def test_a_name_without_extension_is_refused_with_how_to_name_a_folder(tmp_path):
    with pytest.raises(InputError, match=r"a folder of PNG frames \(a name ending in /\)"):
        format_for_target(CIRCLE, str(tmp_path / "frames"))
    assert format_for_target(CIRCLE, str(tmp_path / "frames") + "/").name == "png"


LEGACY_SAMPLE = os.path.join(os.path.dirname(__file__), "data", "legacy-224", "flicker_up_down.bin")


@pytest.mark.parametrize("name", ["out.avi", "out.BIN", "out.txt"])
def test_decode_refuses_an_extension_it_cannot_write_and_writes_nothing(tmp_path, capsys, name):
    # it wrote a folder of PNGs named "out.avi"
    rc, err = _cli(capsys, "decode", LEGACY_SAMPLE, "-o", tmp_path / name, "--frames", "1", "-q")
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert f"decode cannot write a {os.path.splitext(name)[1]} file" in err and ".mp4, .webm, .gif" in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name,kind", [("frames/", "folder"), ("frames", "folder"), ("clip.webm", "file")])
def test_decode_writes_a_folder_or_the_video_its_name_asks_for(tmp_path, capsys, name, kind):
    rc, err = _cli(capsys, "decode", LEGACY_SAMPLE, "-o", str(tmp_path / name), "--frames", "2", "-q")
    assert rc == 0, err
    out = tmp_path / name.rstrip("/")
    if kind == "folder":
        assert sorted(p.name for p in out.iterdir()) == ["frame_00000.png", "frame_00001.png"]
    else:
        assert out.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # the EBML header of a WebM


def _pixels(path):
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"))


def test_decode_to_a_png_name_writes_that_one_picture_as_the_folder_holds_it(tmp_path, capsys):
    # "look.png" was written as a folder of frames named look.png
    rc, err = _cli(capsys, "decode", LEGACY_SAMPLE, "-o", tmp_path / "look.png", "--frames", "1", "-q")
    assert rc == 0, err
    assert (tmp_path / "look.png").is_file() and err.strip().endswith(": 1 frame")
    rc, err = _cli(
        capsys, "decode", LEGACY_SAMPLE, "-o", str(tmp_path / "frames") + "/", "--frames", "1", "-q"
    )
    assert rc == 0, err
    assert np.array_equal(_pixels(tmp_path / "look.png"), _pixels(tmp_path / "frames" / "frame_00000.png"))


def test_a_png_name_for_many_frames_is_refused_before_any_work(tmp_path, capsys):
    rc, err = _cli(capsys, "decode", LEGACY_SAMPLE, "-o", tmp_path / "look.png", "--frames", "3", "-q")
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert "look.png" in err and "3 frames" in err and "ending in /" in err and "--frames 1" in err
    rc, err = _cli(
        capsys,
        "export",
        "--device",
        "mp4-fan",
        "-o",
        tmp_path / "still.png",
        "--size",
        "48",
        "--seconds",
        "0.2",
        "-q",
    )
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert "still.png" in err and "6 frames" in err and "ending in /" in err
    assert os.listdir(tmp_path) == []


def test_export_of_one_frame_to_a_png_name_writes_the_frame_the_folder_gets(tmp_path, capsys):
    common = ("--device", "mp4-fan", "--size", "48", "--fps", "10", "--seconds", "0.1", "-q")
    rc, err = _cli(capsys, "export", "-o", tmp_path / "still.png", *common)
    assert rc == 0, err
    rc, err = _cli(capsys, "export", "-o", str(tmp_path / "frames") + "/", *common)
    assert rc == 0, err
    assert [p.name for p in (tmp_path / "frames").iterdir()] == ["frame_00000.png"]
    still = _pixels(tmp_path / "still.png")
    assert still.shape == (48, 48, 3) and still.max() > 0
    assert np.array_equal(still, _pixels(tmp_path / "frames" / "frame_00000.png"))
