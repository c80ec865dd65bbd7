"""The OpenMP waiting policy that holopack sets on import and in the command (holopack.openmp)."""

from __future__ import annotations

import os
import subprocess
import sys

from holopack.openmp import WAIT_SETTINGS, configure


def test_short_spin_then_sleep_by_default():
    env = {}
    configure(env)
    assert env == {"OMP_WAIT_POLICY": "passive", "GOMP_SPINCOUNT": "1000"} == WAIT_SETTINGS


def test_the_users_own_settings_win():
    env = {"GOMP_SPINCOUNT": "0", "PATH": "/bin"}
    configure(env)
    assert env == {"GOMP_SPINCOUNT": "0", "PATH": "/bin", "OMP_WAIT_POLICY": "passive"}


def test_importing_the_library_sets_the_policy_unless_the_user_did():
    probe = "import os, holopack; print(os.environ['OMP_WAIT_POLICY'], os.environ['GOMP_SPINCOUNT'])"
    env = {k: v for k, v in os.environ.items() if k not in WAIT_SETTINGS}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["passive", "1000"]
    env["OMP_WAIT_POLICY"] = "active"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["active", "1000"]
