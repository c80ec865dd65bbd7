"""Frame time of the Gaussian splat renderer beside the mesh renderer, same run.

    python benchmarks/bench_splats.py [--counts 100000 1000000] [--size 672]
                                      [--supersample 1] [--turns 3] [--degree 3]

Synthetic splat twins of the default twin's surface (benchmarks/splat_twin.py) of each
count are drawn as export draws them (SplatSource, the 42-F2's 672 px and supersample
1 by default), a turntable frame each turn, beside the mesh renderer's frame of the
default twin itself (SceneSource: posing and drawing). The turns alternate between the
inputs, so that a machine busy with other work slows all of them alike; each row is the
median of the turns, wall-clock and CPU (all threads) milliseconds. ``uptime``'s load
averages are printed before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from holopack.openmp import configure as configure_openmp  # noqa: E402

configure_openmp()

from splat_twin import twin_splats  # noqa: E402

from holopack.pipeline import ExportSettings, make_timeline, open_source  # noqa: E402
from holopack.resources import default_twin  # noqa: E402
from holopack.scene.load import load  # noqa: E402
from holopack.scene.scene import Scene  # noqa: E402


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--size", type=int, default=672)
    parser.add_argument("--supersample", type=int, default=1)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--degree", type=int, default=3)
    args = parser.parse_args()
    print(f"load average at the start: {load_average()} ({os.cpu_count()} CPUs)")
    settings = ExportSettings()
    sources = {}
    mesh = load(default_twin())
    timeline = make_timeline(mesh, settings, 30.0)
    sources["mesh: default twin"] = open_source(mesh, timeline, args.size, supersample=args.supersample)
    for count in args.counts:
        scene = Scene(path=f"synthetic-{count}.ply", splats=twin_splats(count, args.degree, seed=count))
        timeline = make_timeline(scene, settings, 30.0)
        sources[f"splats: {count:,}"] = open_source(scene, timeline, args.size, supersample=args.supersample)
    for source in sources.values():  # compiled and warm
        source.draw(source.scene.pose(source.timeline.animation, 0.0), 0)
    wall: dict[str, list[float]] = {name: [] for name in sources}
    cpu: dict[str, list[float]] = {name: [] for name in sources}
    for turn in range(args.turns):
        index = 37 * (turn + 1)  # a turntable angle per turn
        for name, source in sources.items():
            tl = source.timeline
            c0, t0 = time.process_time(), time.perf_counter()
            source.draw(source.scene.pose(tl.animation, tl.anim_time(index)), index)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    print(
        f"{args.size} px, supersample {args.supersample}, SH degree {args.degree}, median of {args.turns} turns"
    )
    print(f"{'input':24s} {'wall ms':>9s} {'cpu ms':>9s}   turns (wall ms)")
    for name in sources:
        turns = " ".join(f"{1000 * t:.0f}" for t in wall[name])
        print(
            f"{name:24s} {1000 * statistics.median(wall[name]):9.1f} {1000 * statistics.median(cpu[name]):9.1f}   {turns}"
        )
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
