"""Holopack's malloc thresholds (holopack/allocator.py) against glibc's own, on the video path.

    python benchmarks/bench_allocator.py [--turns 3] [--frames 300] [--load N]

The clip of bench_key.py (a 1920x1080 green-screen clip, --frames frames at 30 fps) goes
through three commands, each in a fresh process, in turns: once as holopack sets the
allocator, once with HOLOPACK_MALLOC=system (glibc as it sets itself up):

  first pass  holopack inspect CLIP            (the analysis that reads the whole clip)
  keyed       holopack export CLIP --key auto --crop auto -o X.BIN (to the 3dcircle-42f2)
  plain       holopack export CLIP --key none --crop fit -o X.BIN

Per command and setting: the median wall, user and system seconds and peak resident
memory (the child's rusage: the largest of it and the processes it waited for) over
the turns, and the ratio of the walls. ``--load N`` runs N busy processes while the
commands are timed (holopack.bench.load). Report ``uptime`` beside the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))

from holopack.bench.load import competing_load  # noqa: E402

SETTINGS = {"holopack": {}, "glibc": {"HOLOPACK_MALLOC": "system"}}


def timed(cmd: list[str], extra: dict[str, str]) -> tuple[float, float, float, float]:
    """-> (wall s, user s, system s, peak RSS MiB) of one run of cmd."""
    start = time.perf_counter()
    child = subprocess.Popen(
        cmd, env={**os.environ, **extra}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    error = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {error.strip()}")
    return wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--load", type=int, default=0, help="busy processes while the commands are timed")
    args = parser.parse_args()
    exe = [sys.executable, "-m", "holopack"]
    with tempfile.TemporaryDirectory() as folder:
        clip = os.path.join(folder, "clip.mp4")
        # made in a process of its own: a child forked from this one would start with its
        # memory, and Linux keeps a process's peak across exec
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sys; sys.path[:0] = {[HERE, os.path.join(HERE, '..', 'tests')]!r}; "
                f"from bench_key import make_clip; make_clip({clip!r}, {args.frames})",
            ],
            check=True,
        )
        out = os.path.join(folder, "X.BIN")
        export = exe + ["export", clip, "--device", "3dcircle-42f2", "-o", out, "-q"]
        commands = {
            "first pass": exe + ["inspect", clip],
            "keyed": export + ["--key", "auto", "--crop", "auto"],
            "plain": export + ["--key", "none", "--crop", "fit"],
        }
        runs: dict[tuple[str, str], list[tuple[float, float, float, float]]] = {}
        with competing_load(args.load) as load:
            timed_turns(args.turns, commands, out, runs)
    print(
        f"1080p clip, {args.frames} frames, {args.turns} turns, load average {os.getloadavg()[0]:.2f}, "
        f"{load['processes']} busy processes ({load['cpu_seconds'] or 0:.0f} CPU s)"
    )
    report(commands, runs)


def timed_turns(turns: int, commands: dict[str, list[str]], out: str, runs: dict) -> None:
    """Each command under each setting in turn, ``turns`` times, into runs[(command, setting)]."""
    for turn in range(turns):
        for name, cmd in commands.items():
            for setting, extra in SETTINGS.items():
                if os.path.exists(out):
                    os.remove(out)
                runs.setdefault((name, setting), []).append(timed(cmd, extra))
        print(f"turn {turn + 1} of {turns} done", file=sys.stderr, flush=True)


def report(commands: dict[str, list[str]], runs: dict) -> None:
    """Per command and setting the medians over the turns, then holopack's wall / glibc's."""
    print(f"{'command':11s} {'allocator':9s} {'wall s':>7s} {'user s':>7s} {'sys s':>6s} {'peak MiB':>9s}")
    for name in commands:
        medians = {}
        for setting in SETTINGS:
            columns = list(zip(*runs[(name, setting)], strict=True))
            medians[setting] = [statistics.median(c) for c in columns]
            wall, user, system, peak = medians[setting]
            walls = ", ".join(f"{w:.2f}" for w in columns[0])
            print(f"{name:11s} {setting:9s} {wall:7.2f} {user:7.2f} {system:6.2f} {peak:9.0f}   ({walls})")
        print(f"{name:11s} holopack / glibc wall {medians['holopack'][0] / medians['glibc'][0]:.2f}")


if __name__ == "__main__":
    main()
