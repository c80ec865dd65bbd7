"""The OpenMP waiting policy the holopack command sets (holopack.openmp)."""
from __future__ import annotations

from holopack.openmp import WAIT_SETTINGS, configure


def test_short_spin_then_sleep_by_default():
    env = {}
    configure(env)
    assert env == {"OMP_WAIT_POLICY": "passive", "GOMP_SPINCOUNT": "1000"} == WAIT_SETTINGS


def test_the_users_own_settings_win():
    env = {"GOMP_SPINCOUNT": "0", "PATH": "/bin"}
    configure(env)
    assert env == {"GOMP_SPINCOUNT": "0", "PATH": "/bin", "OMP_WAIT_POLICY": "passive"}
