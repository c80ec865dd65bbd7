"""The video options through the command line, playlists, inspect and bench."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from _video_clips import encode_clip
from PIL import Image

import holopack
from holopack.cli import main
from holopack.errors import InputError
from holopack.inspection import describe
from holopack.pack.playlist import parse_playlist
from holopack.video import segment

SIDE, N = 96, 16


def green_disc_frames():
    """A red disc moving over a noisy green screen: (H, W, 3) uint8 each."""
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:SIDE, 0:SIDE]
    frames = []
    for i in range(N):
        disc = np.clip(14.0 - np.hypot(x - (30 + 2 * i), y - 50), 0, 1)[..., None]
        picture = disc * np.array([220.0, 60, 40]) + (1 - disc) * np.array([30.0, 180, 60])
        frames.append(np.clip(picture + rng.normal(0, 3, picture.shape) + 0.5, 0, 255).astype(np.uint8))
    return frames


@pytest.fixture(scope="module")
def green_clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("green")
    path = folder / "green.mp4"
    _clip(path, green_disc_frames())
    return path


def test_inspect_reports_the_green_screen_key_and_extent(green_clip, capsys):
    assert main(["inspect", str(green_clip), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["alpha"] is False and info["background"] == "green screen"
    assert info["key"].startswith("green #")
    x0, y0, x1, y1 = info["subject_extent"]
    # the disc's path: centre x 30..60, y 50, radius 14
    assert abs(x0 - 16) <= 3 and abs(x1 - 74) <= 3 and abs(y0 - 36) <= 3 and abs(y1 - 64) <= 3
    assert not any("background is not black" in w for w in info["warnings"])
    # the green corners are keyed and --crop auto fits the disc's path into the circle:
    # nothing will light outside it
    assert not any("outside the fan's circle" in w for w in info["warnings"]), info["warnings"]
    assert main(["inspect", str(green_clip)]) == 0
    text = capsys.readouterr().out
    assert "alpha: no; background: green screen; key: green #" in text


def decodes_of(path, monkeypatch) -> list[list[str]]:
    """The ffmpeg command lines that decode ``path`` into raw frames from here on (each
    a pass over the clip), as Popen starts them."""
    decodes: list[list[str]] = []
    start = subprocess.Popen

    def counting(args, *rest, **options):
        argv = [str(a) for a in args] if isinstance(args, list | tuple) else [str(args)]
        if str(path) in argv and "rawvideo" in argv:
            decodes.append(argv)
        return start(args, *rest, **options)

    monkeypatch.setattr(subprocess, "Popen", counting)
    return decodes


def test_inspect_of_a_keyed_clip_reads_it_once(green_clip, monkeypatch):
    # the first pass reads every frame; the corner and border warnings that read frames
    # again are dropped for a clip that export keys, so they are not worked out
    scene = holopack.load(str(green_clip))  # the load reads the stream's description
    decodes = decodes_of(green_clip, monkeypatch)
    info = describe(scene)
    assert info["background"] == "green screen"
    assert len(decodes) == 1, decodes


def test_inspect_of_an_unkeyed_lit_clip_still_warns_of_its_background(tmp_path, monkeypatch):
    # every pixel changes every frame: no key colour, no clean plate, nothing keys it
    rng = np.random.default_rng(3)
    path = tmp_path / "noise.mp4"
    frames = [rng.integers(60, 200, (SIDE, SIDE, 3), dtype=np.uint8) for _ in range(N)]
    encode_clip(str(path), frames, 16, ["-c:v", "libx264", "-crf", "18"])
    # without the person segmenter (an optional extra), which would key a moving background
    monkeypatch.setattr(segment, "unavailable_reason", lambda: "mediapipe is not installed")
    scene = holopack.load(str(path))
    decodes = decodes_of(path, monkeypatch)
    info = describe(scene)
    assert info["key"] == "none", info
    assert any("background is not black" in w for w in info["warnings"]), info["warnings"]
    assert len(decodes) == 2, decodes


def test_inspect_of_a_lit_still_warns_of_its_corners_and_calls_it_a_still(tmp_path, capsys):
    # a still is passed through as it is (no key, no crop): its grey corners would light
    Image.fromarray(np.full((40, 60, 3), 200, np.uint8)).save(tmp_path / "grey.png")
    assert main(["inspect", str(tmp_path / "grey.png")]) == 0
    text = capsys.readouterr().out
    assert "size 60x40, a still picture" in text and "0.0 fps" not in text
    assert "background is not black" in text and "outside the fan's circle" in text


def test_export_keys_the_green_screen_to_exact_black(green_clip, tmp_path):
    out = tmp_path / "frames"
    assert (
        main(
            [
                "export",
                str(green_clip),
                "--device",
                "mp4-fan",
                "--format",
                "png",
                "--size",
                str(SIDE),
                "--fps",
                "16",
                "--crop",
                "fit",
                "--key",
                "green",
                "--no-circle-mask",
                "-q",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    y, x = np.mgrid[0:SIDE, 0:SIDE]
    for i, name in enumerate(sorted(p.name for p in out.iterdir())):
        picture = np.asarray(Image.open(out / name))[..., :3].astype(int)
        far = np.hypot(x - (30 + 2 * i), y - 50) > 17
        assert (picture[far] == 0).all()  # the screen is exactly black
        near = np.hypot(x - (30 + 2 * i), y - 50) < 10
        assert picture[near][:, 0].mean() > 180  # the disc keeps its red
        rim = (np.hypot(x - (30 + 2 * i), y - 50) > 11) & ~far
        lit = picture[rim][picture[rim].max(axis=1) > 0]
        assert (lit[:, 1] <= np.maximum(lit[:, 0], lit[:, 2])).all()  # no green on the edge


def test_playlist_items_take_the_video_keys(tmp_path, green_clip):
    playlist = tmp_path / "list.toml"
    text = (
        f'devices = ["hypervsn"]\n[defaults]\nkey = "green"\n[[items]]\ninput = "{green_clip}"\n'
        'crop = "fit"\nloop = "crossfade=0.5"\nlevels = "auto"\n'
    )
    item = parse_playlist(text, str(playlist)).items[0]
    options = item.export_settings("hypervsn").video_options()
    assert options.key == "green" and options.crop == "fit"
    assert options.loop == ("crossfade", 0.5) and options.levels == "auto"
    assert item.settings_dict()["loop"] == "crossfade=0.5"
    with pytest.raises(InputError) as exc:
        parse_playlist(text.replace('crop = "fit"', 'crop = "zoom"'), str(playlist))
    assert "item 1" in str(exc.value) and "crop" in str(exc.value)


def test_bench_takes_the_video_options(green_clip, tmp_path):
    out = tmp_path / "bench.json"
    assert (
        main(
            [
                "bench",
                str(green_clip),
                "--device",
                "mp4-fan",
                "--size",
                "64",
                "--frames",
                "2",
                "--warmup",
                "0",
                "--peers",
                "none",
                "--key",
                "green",
                "--loop",
                "pingpong",
                "-q",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    report = json.loads(out.read_text())
    assert report["runs"][0]["scene"]["media"] is True


def _clip(path, frames, fps=16):
    encode_clip(str(path), frames, fps, ["-c:v", "libx264", "-pix_fmt", "yuv444p", "-crf", "10"])
    return path


def test_export_says_when_the_clip_is_left_unkeyed(tmp_path, capsys):
    # a grey studio with nothing in front of it: the key would leave nothing, so the
    # frame is kept, lit; inspect listed why, and export must say it too
    grey = np.full((SIDE, SIDE, 3), 128, np.uint8)
    clip = _clip(tmp_path / "still.mp4", [grey] * 12)
    out = tmp_path / "out.mp4"
    assert main(["export", str(clip), "--device", "mp4-fan", "--size", "64", "-q", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert (
        f"holopack: warning: {clip}: nothing moves in front of the background: the clip is not keyed" in err
    )


def test_a_crossfade_longer_than_half_the_clip_is_shortened_and_said(green_clip, tmp_path, capsys):
    out = tmp_path / "out.mp4"
    args = ["export", str(green_clip), "--device", "mp4-fan", "--size", "64", "--fps", "16", "-q", "-o"]
    assert main([*args, str(out), "--loop", "crossfade=60"]) == 0
    err = capsys.readouterr().err
    half = N // 2
    assert (
        f"--loop crossfade=60 is longer than half the {N / 16:.2f} s clip: {half / 16:.2f} s are blended"
        in err
    )
    assert main([*args, str(tmp_path / "short.mp4"), "--loop", "crossfade=0.25"]) == 0
    assert "--loop crossfade" not in capsys.readouterr().err  # 4 of the clip's frames: no cap


def test_a_green_screen_still_is_keyed_when_a_key_colour_is_named(tmp_path):
    """--key green keys a still picture as it keys a clip (it was ignored without a word);
    auto leaves a picture as it was, and a loop has nothing to close in one frame."""
    from holopack.device import load_profile
    from holopack.formats.circle42f2 import read

    still = tmp_path / "still.png"
    frame = green_disc_frames()[0]
    Image.fromarray(frame).save(still)
    profile = load_profile("3dcircle-42f2")

    def export(name, *flags):
        out = tmp_path / name
        assert (
            main(
                [
                    "export",
                    str(still),
                    "--device",
                    "3dcircle-42f2",
                    "--seconds",
                    "0.1",
                    *flags,
                    "-q",
                    "-o",
                    str(out),
                ]
            )
            == 0
        )
        return next(iter(read(str(out), profile).frames())).astype(int)

    keyed = export("01_KEYED.BIN", "--key", "green", "--crop", "fit", "--loop", "pingpong")
    plain = export("02_PLAIN.BIN", "--crop", "fit")
    # the fan's outer rings see only the screen: lit before, exactly black keyed
    centres, _ = profile.column_geometry()
    rim = centres > 0.875 * centres.max()  # the outer eighth of the radius
    assert plain[:, rim].max(axis=-1).min() > 20
    assert keyed[:, rim].max() == 0
    # the disc is kept: its red is lit on the fan in both
    assert keyed[..., 0].max() >= plain[..., 0].max() - 2 and keyed[..., 0].max() > 20
