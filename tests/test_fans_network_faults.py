"""Peers and mistakes found by the push sweep (benchmarks/push_sweep.py)."""

from __future__ import annotations

import os

import pytest

from holopack.cli import main
from holopack.errors import InputError
from holopack.fans.emulator import EmulatedFan
from holopack.fans.fleet import load_fleet, push_fleet
from tests._fans_helpers import make_device_folder

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _own_push_journal(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def folder(tmp_path):
    return make_device_folder(str(tmp_path / "shop"), frames=(2, 1, 1))


@pytest.mark.parametrize(
    "typed", ["192.168.4.1:20320:1", "192.168.4.1:", ":20320", "http://192.168.4.1/", "192.168.4.1:70000"]
)
def test_a_mistyped_fan_address_is_refused_as_typed_before_any_traffic(folder, typed, capsys):
    assert main(["push", folder, "--fan", typed, "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"holopack: error: fan address {typed!r}") and len(err.splitlines()) == 1
    assert "IPv6" not in err  # none of these is an IPv6 address missing its brackets


@pytest.mark.parametrize("second", ["127.0.0.1", "LOCALHOST:20320"])
def test_fleet_entries_that_reach_one_fan_are_refused_before_any_traffic(tmp_path, folder, second):
    first = "127.0.0.1:20320" if second == "127.0.0.1" else "localhost"
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        '[defaults]\ndevice = "3dcircle-42f2"\n'
        f'[[fans]]\nname = "door"\naddress = "{first}"\n[[fans]]\nname = "window"\naddress = "{second}"\n'
    )
    with pytest.raises(InputError, match="fans door and window are the same fan"):
        push_fleet(load_fleet(str(fleet)), folder, timeout=0.5, retries=0, progress=False)


@pytest.mark.parametrize("fleet", [False, True])
def test_a_report_folder_that_cannot_be_written_is_refused_before_any_traffic(
    tmp_path, folder, fleet, capsys
):
    (tmp_path / "taken").write_text("a file where the folder would go\n")
    reports = tmp_path / "taken" / "reports"
    with EmulatedFan("3dcircle-42f2", str(tmp_path / "card")) as fan:
        if fleet:
            (tmp_path / "fleet.toml").write_text(f'[[fans]]\naddress = "{fan.address}"\n')
            target = ["--fleet", str(tmp_path / "fleet.toml")]
        else:
            target = ["--fan", fan.address]
        rc = main(["push", folder, *target, "--report", str(reports), "--device", "3dcircle-42f2", "-q"])
    err = capsys.readouterr().err
    assert rc == 1 and "cannot write reports" in err and "nothing was sent" in err
    assert fan.events == []
