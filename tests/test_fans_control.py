"""`holopack fan` against emulated fans: everyday commands reach the fan, and the commands
that erase content are never sent without --yes and the fan's address typed back. The
emulator records every connection it serves, so "nothing was sent" is checked as "the fan
saw no event at all"."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from holopack.cli import main
from holopack.fans.emulator import EmulatedFan


@pytest.fixture(autouse=True)
def _own_push_journal(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def fan(tmp_path):
    card = tmp_path / "card"
    card.mkdir()
    for name in ("01_TWIN.BIN", "02_DUCK.BIN"):
        (card / name).write_bytes(b"clip")
    with EmulatedFan("3dcircle-42f2", str(card)) as f:
        yield f


@pytest.fixture
def legacy(tmp_path):
    card = tmp_path / "legacy-card"
    card.mkdir()
    for i, name in enumerate(("01_A.bin", "02_B.bin")):
        (card / name).write_bytes(b"clip")
        os.utime(card / name, ns=(10**18 + i, 10**18 + i))
    with EmulatedFan("legacy-224", str(card)) as f:
        yield f


def test_everyday_commands_reach_the_fan(fan, capsys):
    for argv in (["next"], ["prev"], ["brightness", "up"], ["brightness", "down"]):
        assert main(["fan", fan.address, *argv]) == 0
    assert fan.commands == ["next", "prev", "brightness-up", "brightness-down"]


def test_play_and_pause_send_the_toggle_only_when_it_changes_something(fan, capsys):
    assert main(["fan", fan.address, "play"]) == 0  # the emulated fan starts playing
    assert fan.commands == []
    assert main(["fan", fan.address, "pause"]) == 0
    assert main(["fan", fan.address, "pause"]) == 0
    assert fan.commands == ["play-pause"]
    capsys.readouterr()
    assert main(["fan", fan.address, "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"]["playing"] is False


def test_status_lists_the_clips(fan, capsys):
    assert main(["fan", fan.address, "list"]) == 0
    out = capsys.readouterr().out
    assert "01_TWIN" in out and "02_DUCK" in out and "2 clips" in out


@pytest.mark.parametrize("action", ["format", "clear-cache"])
def test_erasing_commands_are_not_sent_without_yes_and_the_typed_address(fan, action, capsys, monkeypatch):
    cards = sorted(os.listdir(fan.store))
    assert main(["fan", fan.address, action]) == 2
    assert main(["fan", fan.address, action, "--confirm", fan.host]) == 2  # confirmation but no --yes
    assert main(["fan", fan.address, action, "--yes", "--confirm", "10.0.0.1"]) == 2
    monkeypatch.setattr(sys, "stdin", io.StringIO("127.0.0.2\n"))
    assert main(["fan", fan.address, action, "--yes"]) == 2
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["fan", fan.address, action, "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.count("nothing was sent") == 5 and "Traceback" not in err
    assert fan.events == []  # not one connection reached the fan
    assert sorted(os.listdir(fan.store)) == cards
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{fan.host}\n"))
    assert main(["fan", fan.address, action, "--yes"]) == 0
    assert fan.commands == [action]


def test_format_with_yes_and_confirmation_erases_the_card(fan, capsys):
    assert main(["fan", fan.address, "format", "--yes", "--confirm", fan.address]) == 0
    assert fan.commands == ["format"] and os.listdir(fan.store) == []


def test_42f2_has_no_per_clip_delete(fan, capsys):
    assert main(["fan", fan.address, "delete", "1", "--yes", "--confirm", fan.host]) == 2
    assert "no per-clip delete" in capsys.readouterr().err
    assert fan.events == []


def test_legacy_delete_needs_yes_and_confirmation_then_removes_one_clip(legacy, capsys):
    address = f"127.0.0.1:{legacy.port}"
    assert main(["fan", address, "delete", "1", "--device", "legacy-224"]) == 2
    assert main(["fan", address, "delete", "1", "--device", "legacy-224", "--yes", "--confirm", "x"]) == 2
    assert legacy.events == []
    assert (
        main(
            [
                "fan",
                address,
                "delete",
                "02_B.bin",
                "--device",
                "legacy-224",
                "--yes",
                "--confirm",
                "127.0.0.1",
            ]
        )
        == 0
    )
    assert legacy.commands == ["delete"]
    assert os.listdir(legacy.store) == ["01_A.bin"]


def test_legacy_play_pause_and_unsupported_commands(legacy, capsys):
    address = f"127.0.0.1:{legacy.port}"
    assert main(["fan", address, "pause", "--device", "legacy-224"]) == 0
    assert main(["fan", address, "play", "--device", "legacy-224"]) == 0
    assert main(["fan", address, "next", "--device", "legacy-224"]) == 2
    assert legacy.commands == ["pause", "play"]
    assert "no public source" in capsys.readouterr().err


def test_push_never_sends_an_erasing_command_even_when_a_file_cannot_be_kept(tmp_path, capsys):
    from holopack.fans.emulator import Faults

    (tmp_path / "A.BIN").write_bytes(b"a" * 129024)
    card = tmp_path / "card"
    with EmulatedFan("3dcircle-42f2", str(card), faults=Faults(disk_bytes=10)) as f:
        assert (
            main(["push", str(tmp_path / "A.BIN"), "--fan", f.address, "--device", "3dcircle-42f2", "-q"])
            == 1
        )
    assert f.commands == []


def test_emulate_fan_command_serves_a_push_from_another_process(tmp_path):
    store, log = tmp_path / "card", tmp_path / "events.jsonl"
    emu = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "holopack",
            "emulate-fan",
            "--device",
            "3dcircle-42f2",
            "--port",
            "0",
            "--store",
            str(store),
            "--log",
            str(log),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = emu.stdout.readline()
        address = line.split(" listening on ")[1].split(",")[0]
        assert address.startswith("127.0.0.1:")
        data = os.urandom(3 * 129024)
        (tmp_path / "LOOP.BIN").write_bytes(data)
        assert (
            main(["push", str(tmp_path / "LOOP.BIN"), "--fan", address, "--device", "3dcircle-42f2", "-q"])
            == 0
        )
        assert main(["fan", address, "next"]) == 0
    finally:
        emu.terminate()
        emu.wait(timeout=10)
    assert emu.returncode == 0
    assert (store / "LOOP.BIN").read_bytes() == data
    events = [json.loads(x) for x in log.read_text().splitlines()]
    assert [e["kind"] for e in events if e["kind"] != "status"] == ["upload", "command"]
    assert events[-2]["command"] == "next"


def test_a_fan_of_another_kind_is_named_as_the_likely_cause(fan, legacy, capsys):
    # a legacy fan spoken to as a 42-F2 (the default) stays silent; a 42-F2 spoken to
    # as a legacy fan drops the link: neither says why, so the line says what was tried
    assert main(["fan", f"127.0.0.1:{legacy.port}", "status", "--timeout", "0.5"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "spoken to as a 3dcircle-42f2" in err[0] and "--device (legacy-224)" in err[0]
    assert main(["fan", fan.address, "status", "--device", "legacy-224", "--timeout", "0.5"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "spoken to as a legacy-224" in err[0] and "--device (3dcircle-42f2)" in err[0]
    assert "Traceback" not in "".join(err)
