"""The commands' wiring: every command runs its own function, documents itself, and the
options and value types several commands share read the same on each of them."""

from __future__ import annotations

import argparse

import pytest

from holopack.cli import build_parser

COMMANDS = (
    "export",
    "inspect",
    "devices",
    "decode",
    "preview",
    "warmup",
    "pack",
    "validate",
    "bench",
    "push",
    "fan",
    "emulate-fan",
)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _fault(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(list(argv))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_every_command_runs_a_function_named_after_it_and_has_a_help_line():
    parser = build_parser()
    subparsers = _subparsers(parser)
    assert set(subparsers) == set(COMMANDS)
    listed = parser.format_help()
    for name, sub in subparsers.items():
        run = sub.get_default("run")
        assert callable(run), name
        assert run.__name__ == "cmd_" + name.replace("-", "_"), (name, run.__name__)
        summary = (run.__doc__ or "").strip().splitlines()[0]
        assert summary and summary in " ".join(listed.split()), (name, summary)


def test_a_command_with_a_longer_docstring_shows_it_as_its_description():
    subparsers = _subparsers(build_parser())
    for name in ("pack", "validate", "push", "fan", "emulate-fan"):
        text = " ".join(subparsers[name].format_help().split())
        assert subparsers[name].description, name
        # the description's words, not the one-line help, head the command's own help
        assert " ".join(subparsers[name].description.split())[:60] in text, name


@pytest.mark.parametrize("command", ["export", "pack"])
def test_cluster_options_are_the_same_on_export_and_pack(command):
    sub = _subparsers(build_parser())[command]
    by_flag = {a.option_strings[0]: a for a in sub._actions if a.option_strings}
    assert by_flag["--cluster"].metavar == "ADDRESS"
    assert "Dask cluster whose scheduler is at ADDRESS" in by_flag["--cluster"].help
    assert by_flag["--shared-fs"].help.startswith("with --cluster: the workers see this machine's files")
    args = build_parser().parse_args(
        [
            command,
            "in.toml" if command == "pack" else "in.glb",
            "-o",
            "out",
            "--cluster",
            "tcp://h:1",
            "--shared-fs",
        ]
    )
    assert args.cluster == "tcp://h:1" and args.shared_fs is True


@pytest.mark.parametrize("command", [["export", "-o", "x.mp4"], ["preview"], ["bench"]])
def test_wall_option_is_the_same_on_export_preview_and_bench(command):
    args = build_parser().parse_args([*command, "--wall", "w.toml"])
    assert args.wall == "w.toml"


@pytest.mark.parametrize(
    "argv, words",
    [
        (["push", "x", "--fan", "h", "--retries", "-1"], "expected a whole number >= 0, got '-1'"),
        (["push", "x", "--fan", "h", "--retries", "two"], "expected a whole number, got 'two'"),
        (["push", "x", "--fan", "h", "--backoff", "-0.5"], "expected a number >= 0, got '-0.5'"),
        (["push", "x", "--fan", "h", "--pace", "inf"], "expected a finite number, got 'inf'"),
        (["push", "x", "--fan", "h", "--upload-port", "65536"], "a port is 0-65535, got 65536"),
        (["emulate-fan", "--device", "legacy-224", "--store", "s", "--port", "-2"], "got '-2'"),
        (
            ["emulate-fan", "--device", "legacy-224", "--store", "s", "--port", "1", "--garble-acks", "x"],
            "got 'x'",
        ),
        # the same words from a command that is not a fan command
        (["bench", "--warmup", "-1"], "expected a whole number >= 0, got '-1'"),
        # where 0 is refused too, a negative count is refused in the same words as 0
        (["decode", "x.BIN", "-o", "d", "--frames", "-1"], "expected a positive whole number, got '-1'"),
        (["decode", "x.BIN", "-o", "d", "--frames", "0"], "expected a positive whole number, got '0'"),
    ],
)
def test_fan_commands_word_a_bad_number_as_every_other_command(capsys, argv, words):
    err = _fault(capsys, *argv)
    assert err.startswith("holopack: error: argument ")
    assert err.endswith(words), err


def test_shared_value_types_accept_their_range():
    args = build_parser().parse_args(
        [
            "push",
            "x",
            "--fan",
            "h",
            "--retries",
            "0",
            "--backoff",
            "0",
            "--pace",
            "0.03",
            "--upload-port",
            "0",
        ]
    )
    assert (args.retries, args.backoff, args.pace, args.upload_port) == (0, 0.0, 0.03, 0)
    args = build_parser().parse_args(
        ["emulate-fan", "--device", "3dcircle-42f2", "--store", "s", "--port", "65535"]
    )
    assert args.port == 65535


@pytest.mark.parametrize(
    "argv, words",
    [
        # argparse's prefix matching read these as --frames, --device and --output
        (["decode", "x.BIN", "-o", "d", "--frame", "10"], "unrecognized arguments: --frame 10"),
        (["export", "-o", "twin.mp4", "--dev", "legacy-224"], "unrecognized arguments: --dev"),
        (["export", "--out", "twin.mp4"], "the following arguments are required: -o/--output"),
    ],
)
def test_an_option_named_in_part_is_refused_not_read_as_a_longer_one(capsys, argv, words):
    assert _fault(capsys, *argv) == f"holopack: error: {words}"
