"""--environment, --tone-mapping and --exposure: one entry each in the option table,
the same words on the command line and in a playlist, and what they do to an export."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from holopack import options
from holopack.cli import build_parser, main
from holopack.errors import InputError
from holopack.formats.fanfile import open_fan_file
from holopack.pack.playlist import parse_playlist
from holopack.pipeline import ExportSettings

DUCK = Path(__file__).parent / "data" / "Duck" / "Duck.glb"


def _playlist(tmp_path, lines: str):
    (tmp_path / "duck.glb").write_bytes(b"glTF")
    text = f'devices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\n{lines}\n'
    return parse_playlist(text, str(tmp_path / "list.toml"))


def test_the_three_options_land_in_settings_from_the_command_line_and_a_playlist(tmp_path):
    args = build_parser().parse_args(
        ["export", "-o", "x.mp4", "--shading", "pbr", "--environment", "studio", "--tone-mapping", "aces"]
        + ["--exposure", "1.5"]
    )
    cli = ExportSettings.from_options(options.values_from_args(args, options.EXPORT))
    item = _playlist(
        tmp_path, 'shading = "pbr"\nenvironment = "studio"\ntone_mapping = "aces"\nexposure = 1.5'
    ).items[0]
    listed = item.export_settings("hypervsn")
    for settings in (cli, listed):
        assert (settings.environment, settings.tone_mapping, settings.exposure) == ("studio", "aces", 1.5)
    # not given: no environment, the shading's own tone mapping, exposure 1
    plain = ExportSettings.from_options(
        options.values_from_args(build_parser().parse_args(["export", "-o", "x.mp4"]), options.EXPORT)
    )
    assert (plain.environment, plain.tone_mapping, plain.exposure) == ("none", None, 1.0)
    assert plain == ExportSettings()


@pytest.mark.parametrize(
    "flag, key, text, toml, words",
    [
        ("--environment", "environment", "city", '"city"', "takes one of none, studio; got 'city'"),
        (
            "--tone-mapping",
            "tone_mapping",
            "filmic",
            '"filmic"',
            "takes one of none, neutral, aces; got 'filmic'",
        ),
        ("--exposure", "exposure", "0", "0", "must be greater than 0, got 0"),
        ("--exposure", "exposure", "-2", "-2", "must be greater than 0, got -2"),
        ("--exposure", "exposure", "5000", "5000", "must be at most 1000, got 5000"),
        ("--exposure", "exposure", "bright", '"bright"', "must be a number, got 'bright'"),
    ],
)
def test_a_bad_value_is_one_line_with_the_same_words_on_both_faces(
    capsys, tmp_path, flag, key, text, toml, words
):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(DUCK), "-o", str(tmp_path / "x.mp4"), flag, text])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and f"{flag}: {words}" in err and "Traceback" not in err
    assert not os.listdir(tmp_path)  # nothing written
    with pytest.raises(InputError) as info:
        _playlist(tmp_path, f"{key} = {toml}")
    message = str(info.value)
    assert message.startswith(str(tmp_path / "list.toml") + ": ")
    assert message.endswith(f"item 1 (duck): {key} {words}"), message


def _export_linear(tmp_path, name: str, *flags: str) -> tuple[np.ndarray, np.ndarray]:
    """One frame of the Duck drawn with ``flags`` as PNG: (linear RGB decoded from
    its sRGB with the standard curve, mask of the pixels the duck covers)."""
    out = tmp_path / name
    argv = ["export", str(DUCK), "-o", str(out), "--format", "png", "--size", "64", "--fps", "1"]
    argv += ["--seconds", "1", "--supersample", "1", "--no-circle-mask", "--shading", "pbr", "-q", *flags]
    assert main(argv) == 0
    names = sorted(os.listdir(out))
    assert len(names) == 1
    srgb = np.asarray(Image.open(out / names[0]).convert("RGB"), np.float64) / 255.0
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    return linear, srgb.max(axis=2) > 0.0


def test_the_options_reach_the_renderer_of_an_export(tmp_path):
    plain, covered = _export_linear(tmp_path, "plain", "--tone-mapping", "none")
    assert covered.mean() > 0.1
    # exposure multiplies linear light: twice as bright where neither is clipped or
    # too dark for 8 bits to tell
    doubled, _ = _export_linear(tmp_path, "doubled", "--tone-mapping", "none", "--exposure", "2")
    mid = (plain > 0.05) & (plain < 0.4)
    assert mid.sum() > 200
    assert np.allclose(doubled[mid] / plain[mid], 2.0, rtol=0.08)
    # the studio environment adds light (diffuse and reflected) and takes none away
    lit, _ = _export_linear(tmp_path, "studio", "--tone-mapping", "none", "--environment", "studio")
    assert np.all(lit[covered] >= plain[covered] - 1e-9), "a pixel got darker"
    assert lit[covered].mean() > 1.1 * plain[covered].mean()
    # tone mapping: PBR Neutral is the default for pbr; ACES is another curve
    neutral, _ = _export_linear(tmp_path, "neutral")
    named, _ = _export_linear(tmp_path, "named", "--tone-mapping", "neutral")
    aces, _ = _export_linear(tmp_path, "aces", "--tone-mapping", "aces")
    assert np.array_equal(neutral, named)
    assert not np.array_equal(neutral, plain) and not np.array_equal(aces, neutral)
    # below its knee PBR Neutral only takes its small toe off: darker, never brighter
    assert np.all(neutral[covered] <= plain[covered] + 1e-9)


def _lit_quad(tmp_path) -> Path:
    """A grey quad facing +Z with a point light 2 units in front of it (KHR_lights_punctual)."""
    from _gltf_builder import quad_primitive, write_gltf

    b, prim = quad_primitive()
    prim["material"] = 0
    doc = b.document([prim])
    doc["nodes"][0]["translation"] = [-0.5, -0.5, 0.0]
    doc["nodes"].append({"translation": [0.0, 0.0, 2.0], "extensions": {"KHR_lights_punctual": {"light": 0}}})
    doc["scenes"][0]["nodes"] = [0, 1]
    doc["extensions"] = {"KHR_lights_punctual": {"lights": [{"type": "point", "intensity": 8.0}]}}
    doc["extensionsUsed"] = ["KHR_lights_punctual"]
    doc["materials"] = [{"pbrMetallicRoughness": {"metallicFactor": 0.0, "roughnessFactor": 1.0}}]
    return Path(write_gltf(tmp_path / "lit.gltf", doc))


def _export(capsys, model: Path, out: Path, *flags: str) -> tuple[np.ndarray, str]:
    capsys.readouterr()
    argv = ["export", str(model), "-o", str(out), "--format", "png", "--size", "48", "--fps", "1"]
    assert main(argv + ["--seconds", "1", "--supersample", "1", "--shading", "pbr", "-q", *flags]) == 0
    err = capsys.readouterr().err
    return np.asarray(Image.open(out / sorted(os.listdir(out))[0]).convert("RGB")), err


def test_model_lights_without_lights_in_the_model_warn_once_and_keep_the_rig(tmp_path, capsys):
    rig, quiet = _export(capsys, DUCK, tmp_path / "rig")
    asked, err = _export(capsys, DUCK, tmp_path / "asked", "--model-lights")
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert warnings == [
        f"holopack: warning: {DUCK}: --model-lights: the model has no KHR_lights_punctual lights; "
        "it is lit by the default camera rig"
    ], err
    assert "model-lights" not in quiet
    assert np.array_equal(asked, rig)  # the default rig, as without the option
    # a model that has its lights uses them, without a word
    model = _lit_quad(tmp_path)
    own, err = _export(capsys, model, tmp_path / "own", "--model-lights")
    default, _ = _export(capsys, model, tmp_path / "default")
    assert "model-lights" not in err
    assert not np.array_equal(own, default)


def _fan_codes(tmp_path, name: str, *flags: str) -> np.ndarray:
    """The first frame's codes of the Duck exported with ``flags`` to the 42-F2's own
    file, read back with the fan-file reader."""
    out = tmp_path / f"{name.upper()}.BIN"
    argv = ["export", str(DUCK), "-o", str(out), "--device", "3dcircle-42f2", "--seconds", "1"]
    assert main([*argv, "--shading", "pbr", "-q", *flags]) == 0
    return next(open_fan_file(str(out)).frames()).astype(np.int64)


def test_a_fan_shows_the_exposed_and_tone_mapped_picture_the_video_export_shows(tmp_path):
    # the polar resampler reads light, not the encoded colour: it must read the light
    # after exposure and tone mapping, or a fan's file ignores both options
    plain = _fan_codes(tmp_path, "plain", "--tone-mapping", "none")
    lit = plain > 0
    assert lit.sum() > 1000
    brighter = _fan_codes(tmp_path, "brighter", "--tone-mapping", "none", "--exposure", "2.5")
    assert brighter[lit].mean() > 1.2 * plain[lit].mean()
    assert np.all(brighter >= plain - 1)  # dither may move a code by one step
    # ACES rolls the highlights off below the clip that plain exposure runs into
    aces = _fan_codes(tmp_path, "aces", "--tone-mapping", "aces", "--exposure", "2.5")
    ceiling = brighter.max()
    assert (brighter == ceiling).sum() > 4 * (aces == ceiling).sum()
