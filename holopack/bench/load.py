"""A controlled competing load for benchmarks: N processes that keep a core busy.

Shop PCs and designers' laptops are never idle, and a parallel kernel that splits its
work statically waits for its slowest thread. ``competing_load(n)`` starts ``n`` busy
processes for the duration of a measurement, so that holopack and its peers (llvmpipe,
warpPolar, libx264) are timed under the same, known load. Each process spins in plain
Python and leaves by itself when its parent is gone, so a killed bench leaves nothing
running.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

# Spin in chunks of about 10 ms between checks that the parent is still there.
BUSY_LOOP = """
import os
parent = os.getppid()
while os.getppid() == parent:
    for _ in range(200000):
        pass
"""
MAX_PROCESSES = 256


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live child, from /proc (None where there is none)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def competing_load(processes: int) -> Iterator[dict]:
    """Run ``processes`` busy processes while the ``with`` block runs.

    Yields a dict that is filled in when the block ends: ``processes``, ``kind``
    ("busy loop"), ``seconds`` (wall time under load) and ``cpu_seconds`` (CPU time the
    load actually took, summed over its processes; None where /proc is missing), so a
    report shows that the load was real.
    """
    if not 0 <= processes <= MAX_PROCESSES:
        raise ValueError(f"load must be 0..{MAX_PROCESSES} processes, got {processes}")
    summary: dict = {"processes": processes, "kind": "busy loop", "seconds": 0.0, "cpu_seconds": 0.0}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", BUSY_LOOP],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(processes)
    ]
    started = time.perf_counter()
    try:
        yield summary
    finally:
        summary["seconds"] = time.perf_counter() - started
        used = [_cpu_seconds(child.pid) for child in children]
        times = [t for t in used if t is not None]
        summary["cpu_seconds"] = float(sum(times)) if len(times) == len(used) else None
        for child in children:
            child.kill()
        for child in children:
            child.wait()
