"""Peers and mistakes found by the push sweep (benchmarks/push_sweep.py)."""

from __future__ import annotations

import os

import pytest

from holopack.cli import main
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
