"""The first run: seconds to the first frame of ``holopack export`` with a cold Numba cache,
and how many kernel specialisations it compiled.

    python benchmarks/bench_first_run.py [--runs 3] [--device 3dcircle-42f2] [--load N]
                                         [--warm] [--shading lit|unlit|pbr]

Each run starts ``python -m holopack export`` of the default twin (one second of it)
in a new process with an empty ``NUMBA_CACHE_DIR`` and an empty weight-table cache, as
a fresh installation would, and times the line the command prints when its first frame
is out ("kernels ready after ..."), in wall-clock seconds and in the CPU seconds the
process and its finished children had used by then (compiling is one thread's work per
process, so on a busy machine the CPU time is close to what one core of an idle machine
would take and the wall time is not; a cold export compiles its band shader and builds
the weight table in a second process, holopack.pipeline.compile_ahead, so on two idle
cores the wall time is less than the CPU time; timeline_first_run.py shows when each
process does what). Afterwards it counts the machine-code files Numba
cached (one ``.nbc`` per compiled specialisation: a kernel compiled for two sets of
argument types counts twice) and lists them per kernel. ``--warm`` adds one run with
the cache the last cold run left, for comparison. Times are medians of the runs; on a
busy machine say what else was running (``--load N`` adds N busy processes of our own).
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from holopack.bench.load import competing_load  # noqa: E402

READY = "kernels ready after"
FRAME_LINE = re.compile(r"\] ([1-9]\d*)/\d+ frames")


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """User + system CPU seconds of a live process (all its threads), then the same plus
    its child processes that it has waited for (a cold export compiles the encoder in
    one), from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return sum(int(v) for v in fields[11:13]) / tick, sum(int(v) for v in fields[11:15]) / tick


def one_run(
    device: str, cache: str, folder: str, shading: str | None = None
) -> tuple[float, tuple[float, float]]:
    """Wall seconds from start to the first frame, and CPU seconds (this process, and
    with its children) by then."""
    env = dict(
        os.environ,
        NUMBA_CACHE_DIR=cache,
        HOLOPACK_CACHE_DIR=cache + "-tables",  # each run's own: the weight table is cold too
        PYTHONPATH=str(ROOT),
    )
    out = os.path.join(folder, "LOOP.BIN")
    if os.path.exists(out):
        os.remove(out)
    cmd = [sys.executable, "-m", "holopack", "export", "--device", device, "--seconds", "1", "-o", out]
    if shading is not None:
        cmd += ["--shading", shading]
    start = time.perf_counter()
    first = None
    cpu = (0.0, 0.0)
    lines = []
    with subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line.rstrip())
            if first is None and (READY in line or FRAME_LINE.search(line)):
                first = time.perf_counter() - start
                cpu = _cpu_seconds(proc.pid)
        if proc.wait() != 0:
            raise SystemExit("export failed:\n" + "\n".join(lines))
    if first is None:
        raise SystemExit("the export printed no first-frame line:\n" + "\n".join(lines))
    return first, cpu


def specialisations(cache: str) -> collections.Counter:
    """kernel (module.function) -> number of cached specialisations."""
    counts: collections.Counter = collections.Counter()
    for path in glob.glob(os.path.join(cache, "**", "*.nbc"), recursive=True):
        name = os.path.basename(path).split("-")[0]  # module.function-LINE.pyXY.N.nbc
        counts[name] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--device", default="3dcircle-42f2")
    parser.add_argument("--load", type=int, default=0, help="busy processes run meanwhile")
    parser.add_argument("--warm", action="store_true", help="one more run with a warm cache")
    parser.add_argument("--shading", help="export's --shading (default: export's own default)")
    args = parser.parse_args()
    print(
        f"load average before the run: {os.getloadavg()[0]:.1f}; competing load: {args.load}; "
        f"shading: {args.shading or 'default'}"
    )
    times = []
    cpu_times = []
    all_times = []
    counts: collections.Counter = collections.Counter()
    with tempfile.TemporaryDirectory(prefix="holopack-first-run-") as folder, competing_load(args.load):
        for run in range(args.runs):
            cache = os.path.join(folder, f"numba-{run}")
            os.makedirs(cache)
            seconds, (cpu, cpu_all) = one_run(args.device, cache, folder, args.shading)
            counts = specialisations(cache)
            times.append(seconds)
            cpu_times.append(cpu)
            all_times.append(cpu_all)
            print(
                f"run {run + 1}: first frame after {seconds:.1f} s ({cpu:.1f} CPU s, "
                f"{cpu_all:.1f} with the second process), {sum(counts.values())} specialisations",
                flush=True,
            )
        if args.warm:
            seconds, (cpu, _) = one_run(args.device, cache, folder, args.shading)
            print(f"warm cache: first frame after {seconds:.1f} s ({cpu:.1f} CPU s)")
    print(
        f"\nmedian first frame (cold cache): {statistics.median(times):.1f} s, "
        f"{statistics.median(cpu_times):.1f} CPU s ({statistics.median(all_times):.1f} with the "
        f"second process), over {len(times)} runs"
    )
    print(f"specialisations compiled: {sum(counts.values())} in {len(counts)} kernels")
    for name, n in sorted(counts.items()):
        print(f"  {name}: {n}")


if __name__ == "__main__":
    main()
