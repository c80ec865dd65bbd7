"""The option table: one definition per option, the same checks and words on every face."""

from __future__ import annotations

import dataclasses

import pytest

from holopack import options
from holopack.cli import build_parser, main
from holopack.errors import InputError
from holopack.pack.playlist import parse_playlist
from holopack.pipeline import ExportSettings
from holopack.rendering.camera import Framing
from holopack.rendering.lights import Lights


def _cli_fault(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["export", "-o", "x.mp4", *argv])
    assert exit_info.value.code == 2
    return capsys.readouterr().err.strip()


def _playlist_fault(tmp_path, line: str) -> str:
    (tmp_path / "duck.glb").write_bytes(b"glTF")
    text = f'devices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\n{line}\n'
    with pytest.raises(InputError) as info:
        parse_playlist(text, str(tmp_path / "list.toml"))
    return str(info.value)


@pytest.mark.parametrize(
    "flag, key, text, value",
    [
        ("--seconds", "seconds", "-1", "-1"),
        ("--seconds", "seconds", "99999", "99999"),
        ("--loops", "loops", "0", "0"),
        ("--speed", "speed", "5000", "5000"),
        ("--size", "size", "4", "4"),
        ("--size", "size", "100000", "100000"),
        ("--fov", "fov", "200", "200"),
        ("--margin", "margin", "0.95", "0.95"),
        ("--yaw", "yaw", "720", "720"),
        ("--distance", "distance", "1e9", "1e9"),
        ("--turntable", "turntable", "50000", "50000"),
    ],
)
def test_a_bad_value_reads_the_same_on_the_command_line_and_in_a_playlist(
    capsys, tmp_path, flag, key, text, value
):
    cli = _cli_fault(capsys, flag, text)
    listed = _playlist_fault(tmp_path, f"{key} = {value}")
    # "holopack: error: argument --seconds: must be ..." and
    # "list.toml: item 1 (duck): seconds must be ..." end in the same words
    fault = cli.split(f"argument {flag}: ", 1)[1]
    assert listed.endswith(f"{key} {fault}"), (cli, listed)
    assert fault.startswith("must be ")


def test_every_numeric_option_has_a_range_with_an_upper_bound():
    for opt in options.OPTIONS:
        if opt.kind in ("number", "integer", "turntable"):
            assert opt.hi is not None and opt.lo is not None, opt.name
            with pytest.raises(options.Fault):
                opt.check(opt.hi * 2 + 1)


def test_absurd_values_are_one_clean_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "-o", "x.mp4", "--fps", "1e12"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and "--fps: must be at most 1000" in err and "Traceback" not in err


def test_defaults_are_stated_once_in_the_table_or_in_framing():
    framing = Framing()
    for opt in options.OPTIONS:
        where, _, attr = opt.settings_field.rpartition(".")
        if where == "framing":
            assert opt.default == getattr(framing, attr), opt.name
    settings = ExportSettings()
    assert settings.speed == options.default("speed")
    assert settings.device == options.default("device")
    args = build_parser().parse_args(["export", "-o", "x.mp4"])
    assert ExportSettings.from_options(options.values_from_args(args, options.EXPORT)) == settings
    preview = build_parser().parse_args(["preview"])
    assert preview.device == options.option("device").default_for(options.PREVIEW)


def test_command_line_values_land_in_settings_and_framing():
    args = build_parser().parse_args(
        [
            "export",
            "-o",
            "x.mp4",
            "--device",
            "hypervsn",
            "--seconds",
            "2",
            "--yaw",
            "30",
            "--fov",
            "0",
            "--unlit",
            "--light",
            "rim=1.5",
            "--light",
            "key_direction=0,1,1",
            "--no-circle-mask",
            "--supersample",
            "3",
        ]
    )
    settings = ExportSettings.from_options(options.values_from_args(args, options.EXPORT))
    assert settings.device == "hypervsn" and settings.seconds == 2.0
    assert settings.framing == dataclasses.replace(Framing(), yaw=30.0, fov=0.0)
    assert settings.shading == "unlit" and settings.circle_mask is False
    assert settings.supersample == 3
    assert settings.lights == {"rim": 1.5, "key_direction": [0.0, 1.0, 1.0]}


def test_lights_from_a_table_override_only_what_it_names():
    base = Lights()
    lights = Lights.from_table({"rim": 1.5, "key_direction": [0, 1, 1], "fill": 0.0, "rim_color": [1, 0, 0]})
    assert lights.rim == 1.5 and lights.rim_color == (1.0, 0.0, 0.0)
    assert lights.key.direction == (0.0, 1.0, 1.0) and lights.key.intensity == base.key.intensity
    assert lights.fill.intensity == 0.0 and lights.fill.direction == base.fill.direction
    assert lights.ambient == base.ambient and lights.specular == base.specular


@pytest.mark.parametrize(
    "table, words",
    [
        ({"glow": 2}, "has an unknown setting 'glow'"),
        ({"rim": "bright"}, "rim must be a number, got 'bright'"),
        ({"key_direction": [0, 1]}, "key_direction must be an array of 3 numbers"),
        ({"ambient": True}, "ambient must be a number, got true"),
    ],
)
def test_bad_lights_read_the_same_on_every_face(capsys, tmp_path, table, words):
    with pytest.raises(options.Fault, match=words):
        Lights.from_table(table)
    key, value = next(iter(table.items()))
    toml_value = {True: "true"}.get(value, value) if not isinstance(value, (list, str)) else value
    toml_value = f'"{value}"' if isinstance(value, str) else str(toml_value).replace("True", "true")
    assert words in _playlist_fault(tmp_path, f"lights = {{ {key} = {toml_value} }}")
    if not isinstance(value, (bool, str)):
        text = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
        code = main(["export", "-o", str(tmp_path / "x.mp4"), "--light", f"{key}={text}"])
        assert code == 2 and words in capsys.readouterr().err


def test_a_new_option_is_one_entry(monkeypatch):
    extra = options.Option("brightness", "number", "light scale", default=1.0, lo=0, lo_open=True, hi=8.0)
    monkeypatch.setattr(options, "OPTIONS", options.OPTIONS + (extra,))
    monkeypatch.setitem(options.BY_NAME, "brightness", extra)
    args = build_parser().parse_args(["export", "-o", "x.mp4", "--brightness", "2"])
    settings = ExportSettings.from_options(options.values_from_args(args, options.EXPORT))
    assert settings.brightness == 2.0
    assert options.check_values({"brightness": 0.5}, options.PLAYLIST) == {"brightness": 0.5}


def test_format_help_names_every_registered_format():
    from holopack.format_registry import list_formats

    help_text = options.option("format").help
    named = help_text.split(":", 1)[1].split("(")[0]
    words = {w.strip(" ,") for w in named.replace(" or ", ", ").split(",")}
    assert words == {f.name for f in list_formats()}, help_text


def test_help_spells_each_value_as_the_readme_synopsis_does():
    # README's `holopack export` synopsis: --device NAME, --seconds S, --size PX, ...
    usage = build_parser()._subparsers._group_actions[0].choices["export"].format_usage()
    for spelled in (
        "-o OUT",
        "--device NAME",
        "--format FMT",
        "--animation NAME|INDEX|all",
        "--seconds S",
        "--loops N",
        "--speed X",
        "--fps N",
        "--size PX",
        "--supersample N",
        "--yaw DEG",
        "--pitch DEG",
        "--distance D",
        "--fov DEG",
        "--margin F",
        "--turntable DEG_PER_S",
        "--light KEY=VALUE",
        "--exposure X",
    ):
        assert spelled in usage, spelled
