"""holopack validate: a good package passes; packages and files broken by hand fail
with messages that say what is wrong and where."""

from __future__ import annotations

import argparse
import json
import math
import os

import numpy as np
import pytest
from _pack_helpers import SIZE, built_package, copy_package, write_video

from holopack.device import load_profile
from holopack.pack.validate import validate

PROFILE = load_profile("3dcircle-42f2")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return built_package(tmp_path_factory)


def messages(report, level="error"):
    return [f"{f.where}: {f.message}" for f in report.findings if f.level == level]


def run_cli(argv):
    from holopack.pack.cli import add_validate_parser, cmd_validate

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    add_validate_parser(sub)
    return cmd_validate(parser.parse_args(argv))


# -- packages -------------------------------------------------------------------------
def test_the_packed_package_passes(package, capsys):
    _, out, _ = package
    report = validate(out)
    assert report.ok, report.text()
    assert report.files == 6
    text = report.text()
    assert text.splitlines()[-1].startswith("PASS")
    assert "loop seam" in text  # reported for every file
    # each device folder's total, named once (it read "3dcircle-42f2: 3dcircle-42f2: 3 files")
    totals = [line for line in text.splitlines() if " files, " in line and "bytes" in line]
    assert [t.split("] ", 1)[1].split(",")[0] for t in totals] == [
        "3dcircle-42f2: 3 files",
        "hypervsn: 3 files",
    ]
    assert run_cli(["validate", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("PASS")
    assert run_cli(["validate", str(out / "hypervsn"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["files"] == 3


def test_a_wrong_name_fails(package, tmp_path):
    _, out, _ = package
    copy = copy_package(out, tmp_path / "p")
    files = copy / "3dcircle-42f2" / "files"
    os.rename(files / "02_DUCK.BIN", files / "02_duck.bin")
    report = validate(copy)
    assert not report.ok
    errors = "\n".join(messages(report))
    assert "3dcircle-42f2/files/02_DUCK.BIN: is listed in the manifest but missing" in errors
    assert "3dcircle-42f2/files/02_duck.bin: is not in the manifest" in errors
    assert "'.BIN'" in errors
    assert run_cli(["validate", str(copy), "-q"]) == 1


def test_a_truncated_file_fails(package, tmp_path):
    _, out, _ = package
    copy = copy_package(out, tmp_path / "p")
    target = copy / "3dcircle-42f2" / "files" / "01_TWIN.BIN"
    size = target.stat().st_size
    with open(target, "r+b") as f:
        f.truncate(size - 1000)
    report = validate(copy)
    assert not report.ok
    errors = "\n".join(messages(report))
    assert f"01_TWIN.BIN: is {size - 1000:,} bytes; the manifest says {size:,}" in errors
    assert "01_TWIN.BIN: cannot be read as a 3dcircle-42f2 file" in errors
    assert "129,024-byte" in errors
    # the other files are still checked and fine
    assert not any("02_DUCK" in m or "hypervsn" in m for m in messages(report))


def test_an_off_centre_video_fails(package, tmp_path):
    _, out, _ = package
    copy = copy_package(out, tmp_path / "p")
    target = copy / "hypervsn" / "files" / "03_logo.mp4"
    write_video(target, frames=15, size=SIZE, centre=(SIZE * 0.85, SIZE * 0.85), radius=12)
    report = validate(copy)
    assert not report.ok
    errors = "\n".join(messages(report))
    assert "hypervsn/files/03_logo.mp4: the subject is outside the fan's circle" in errors
    assert "hypervsn/files/03_logo.mp4: the subject is off-centre" in errors
    assert "SHA-256 does not match" in errors or "the manifest says" in errors


def test_a_zip_package_is_checked_like_a_folder(package, tmp_path):
    import shutil

    _, out, _ = package
    archive = shutil.make_archive(str(tmp_path / "pkg"), "zip", out)
    report = validate(archive)
    assert report.ok, report.text()
    assert report.files == 6


# -- lone files, against independent expectations -------------------------------------
def polar_clip(tmp_path, name, frames, profile=PROFILE):
    from holopack.formats.circle42f2 import Writer

    path = tmp_path / name
    with Writer(str(path), profile, profile.fps) as writer:
        for codes in frames:
            writer.write(codes)
    return path


def disc_codes(profile=PROFILE, radius_share=0.5, centre_share=0.0, level=50):
    """Codes lighting the LED cells whose centre lies in a disc of ``radius_share`` of the
    fan's radius, centred ``centre_share`` of the radius right of the middle."""
    centres, _ = profile.column_geometry()
    angles = (
        math.radians(profile.slice0_angle_deg) + (np.arange(profile.slices) + 0.5) * profile.slice_step_rad
    )
    x = centres[None, :] * np.cos(angles)[:, None]
    y = centres[None, :] * np.sin(angles)[:, None]
    R = profile.radius_mm
    inside = (x - centre_share * R) ** 2 + y**2 < (radius_share * R) ** 2
    codes = np.zeros(profile.codes_shape, np.uint8)
    codes[inside] = level
    return codes


def test_a_clean_fan_file_passes_and_the_seam_is_measured(tmp_path):
    a = disc_codes(level=40)
    b = disc_codes(level=50)
    path = polar_clip(tmp_path, "01_DISC.BIN", [a, b, a, b])
    report = validate(path)
    assert report.ok, report.text()
    assert "recognised as a 3dcircle-42f2 file" in report.text()
    seam = [f.message for f in report.findings if "loop seam" in f.message][0]
    expected = np.abs(b.astype(int) - a.astype(int)).mean() / 63
    assert f"differ by {100 * expected:.1f}%" in seam


def test_a_seam_jump_is_reported(tmp_path):
    frames = [disc_codes(level=10)] * 9 + [disc_codes(level=63, radius_share=0.8)]
    report = validate(polar_clip(tmp_path, "01_JUMP.BIN", frames))
    assert report.ok
    assert any("the loop visibly jumps" in m for m in messages(report, "warning"))


def test_a_lit_background_and_an_empty_clip_fail(tmp_path):
    lit = np.full(PROFILE.codes_shape, 30, np.uint8)
    report = validate(polar_clip(tmp_path, "01_LIT.BIN", [lit, lit]))
    assert any("background is not black" in m for m in messages(report))
    dark = np.zeros(PROFILE.codes_shape, np.uint8)
    report = validate(polar_clip(tmp_path, "02_DARK.BIN", [dark]))
    assert any("nothing will show" in m for m in messages(report))


def test_an_off_centre_subject_on_a_fan_is_flagged(tmp_path):
    codes = disc_codes(radius_share=0.3, centre_share=0.6)
    report = validate(polar_clip(tmp_path, "01_SIDE.BIN", [codes]))
    assert any("off-centre" in m for m in messages(report, "warning"))
    centred = validate(polar_clip(tmp_path, "02_MID.BIN", [disc_codes(radius_share=0.3)]))
    assert not any("off-centre" in m for m in messages(centred, "warning"))


def test_brightness_above_the_profiles_limit_fails(tmp_path):
    profile_path = tmp_path / "dim.toml"
    profile_path.write_text('base = "3dcircle-42f2"\nname = "dim-42f2"\n[colour]\nbrightness_limit = 0.5\n')
    dim = load_profile(str(profile_path))
    path = polar_clip(tmp_path, "01_HOT.BIN", [disc_codes(dim, level=63)], profile=dim)
    report = validate(path, device=str(profile_path))
    assert any("above the device's limit 50.0%" in m for m in messages(report))
    ok = validate(
        polar_clip(tmp_path, "02_OK.BIN", [disc_codes(dim, level=30)], profile=dim), device=str(profile_path)
    )
    assert ok.ok, ok.text()


def test_file_name_rules_for_a_lone_file(tmp_path):
    codes = disc_codes()
    report = validate(polar_clip(tmp_path, "01_disc.bin", [codes]), device="3dcircle-42f2")
    errors = "\n".join(messages(report))
    assert "needs exactly '.BIN'" in errors
    report = validate(polar_clip(tmp_path, "01_TOO_LONG_NAME.BIN", [codes]), device="3dcircle-42f2")
    assert any("longer than 8 characters" in m for m in messages(report))


def test_a_video_at_the_wrong_rate_or_not_square_fails(tmp_path):
    write_video(tmp_path / "01_fast.mp4", frames=6, size=64, fps=25)
    report = validate(tmp_path / "01_fast.mp4", device="hypervsn")
    assert any("plays at 25 fps; hypervsn plays 30 fps" in m for m in messages(report))
    import imageio_ffmpeg

    writer = imageio_ffmpeg.write_frames(
        str(tmp_path / "01_wide.mp4"), (96, 64), fps=30, macro_block_size=2, ffmpeg_log_level="error"
    )
    writer.send(None)
    for _ in range(3):
        writer.send(np.zeros((64, 96, 3), np.uint8))
    writer.close()
    report = validate(tmp_path / "01_wide.mp4", device="hypervsn")
    assert any("96x64, not square" in m for m in messages(report))


def test_validate_names_a_missing_path(tmp_path):
    from holopack.errors import InputError

    with pytest.raises(InputError, match="no such file"):
        validate(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not a holopack package"):
        validate(tmp_path / "empty")


def test_a_package_for_a_users_own_profile_validates(tmp_path):
    from holopack.pack import pack

    write_video(tmp_path / "clip.mp4", frames=4, size=32)
    (tmp_path / "shopfan.toml").write_text(
        'base = "3dcircle-42f2"\nname = "shop-fan"\n[render]\nrender_size = 64\n'
    )
    playlist = tmp_path / "p.toml"
    playlist.write_text('devices = ["shopfan.toml"]\n[[items]]\ninput = "clip.mp4"\nseconds = 0.1\n')
    pack(playlist, tmp_path / "out", jobs=1, progress=False, preview_frames=2, preview_size=32)
    (tmp_path / "shopfan.toml").unlink()  # the package must not need it any more
    report = validate(tmp_path / "out")
    assert report.ok, report.text()
    assert report.files == 1 and (tmp_path / "out" / "shop-fan" / "files" / "01_CLIP.BIN").is_file()


def test_an_export_for_a_dimmed_fan_passes_its_own_brightness_check(tmp_path):
    # the limit scales the LEDs' light; codes are gamma-encoded, so a file at the limit
    # holds codes well above limit x max_code, and must still pass
    from holopack.pipeline import export

    out = tmp_path / "01_DIM.hps"
    export(None, str(out), device="diy-apa102", seconds=0.2, progress=False)
    report = validate(out, device="diy-apa102")
    assert not any("brightness" in m for m in messages(report)), report.text()
    assert report.ok, report.text()


def test_centred_means_the_box_of_what_is_lit_over_the_clip(tmp_path):
    """A heavy body left and a thin wing reaching right: its weight is off-centre but its
    outline is centred, which is what the eye (and export's framing) goes by."""
    body = disc_codes(radius_share=0.35, centre_share=-0.45)
    wing = disc_codes(radius_share=0.05, centre_share=0.75)
    bird = np.maximum(body, wing)
    report = validate(polar_clip(tmp_path, "01_BIRD.BIN", [bird]))
    assert not any("off-centre" in m for m in messages(report, "warning")), report.text()
    # the box over the whole clip: a subject that moves from left to right is centred
    # as a whole even though each frame is off to one side
    left = disc_codes(radius_share=0.2, centre_share=-0.5)
    right = disc_codes(radius_share=0.2, centre_share=0.5)
    report = validate(polar_clip(tmp_path, "02_SWAY.BIN", [left, right]))
    assert not any("off-centre" in m for m in messages(report, "warning")), report.text()
    # and a box off to one side is flagged, with its offset: the disc centre, 45 %
    side = disc_codes(radius_share=0.3, centre_share=0.45)
    report = validate(polar_clip(tmp_path, "03_SIDE.BIN", [side]))
    warning = [m for m in messages(report, "warning") if "off-centre" in m]
    assert warning and abs(float(warning[0].split("sits ")[1].split("%")[0]) - 45.0) < 3.0
