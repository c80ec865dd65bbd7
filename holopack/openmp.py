"""How Numba's OpenMP worker threads wait between kernels.

libgomp reads these settings once, when the first parallel kernel loads it, so
``configure`` must run before that: importing holopack calls it, and so does the command.

- Spinning for libgomp's default time (milliseconds) on a CPU shared with other work
  (an encoder, OpenCV's pool, a second job) made two threads several times slower than
  one: the idle worker holds the core the other work needs.
- Sleeping at once (``OMP_WAIT_POLICY=passive`` alone) makes every kernel call wait for
  the worker to wake: 20-50 us measured, as long as the whole polar resample of a small
  fan.
- So workers spin ``GOMP_SPINCOUNT`` = 1000 rounds (about as long as one wake-up) and
  then sleep: back-to-back kernels find them awake, and waiting costs at most about
  twice the better of the two choices (the classic spin-then-block rule).

Measured with ``python benchmarks/run_suite.py --only threads`` (export fps) and
``python benchmarks/bench_resample.py`` (a kernel called back to back); see
docs/benchmarks.md.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

WAIT_SETTINGS = {"OMP_WAIT_POLICY": "passive", "GOMP_SPINCOUNT": "1000"}


def configure(environ: MutableMapping[str, str] | None = None) -> None:
    """Set the waiting policy where the user has not set one."""
    environ = os.environ if environ is None else environ
    for name, value in WAIT_SETTINGS.items():
        environ.setdefault(name, value)
