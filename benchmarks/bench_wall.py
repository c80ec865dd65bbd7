"""Speed of a wall of fans against one fan alone, in the same run.

    python benchmarks/bench_wall.py [WALL.toml] [--input MODEL] [--frames 30] [--repeats 3]

Default wall: a 3 x 3 square grid of 3D Circle 42-F2 fans 420 mm apart, the bundled
twin. Each repeat runs ``holopack.wall.bench.bench_wall`` (the export loop of
``export --wall`` timed frame by frame, and the single-fan export of the same input
timed alternately with it) and prints the wall's time per frame as a multiple of the
single fan's, and both as a ratio to real time; the last line gives the medians over
the repeats. Multiply the single fan's frame rate on a quiet machine (README) by
1 / (wall time per single-fan time) to estimate the wall's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

from holopack.openmp import configure
from holopack.wall.bench import bench_wall

GRID_3X3 = 'device = "3dcircle-42f2"\n[grid]\nrows = 3\ncols = 3\npitch = 420.0\nlayout = "square"\n'


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wall", nargs="?", help="wall file (default: 3 x 3 42-F2 fans)")
    parser.add_argument("--input", help="model, picture or video (default: the bundled twin)")
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    configure()
    with tempfile.TemporaryDirectory() as folder:
        wall = args.wall
        if wall is None:
            wall = os.path.join(folder, "grid3x3.toml")
            with open(wall, "w") as f:
                f.write(GRID_3X3)
        ratios, files_only, real = [], [], []
        for repeat in range(args.repeats):
            r = bench_wall(args.input, wall, frames=args.frames)
            ratio = r["wall_time_per_single_fan_time"]
            ms = r["median_ms"]
            no_preview = (ms["wall"] - ms["preview"]) / ms["single_fan"]
            ratios.append(ratio)
            files_only.append(no_preview)
            real.append(r["x_real_time"])
            print(
                f"run {repeat + 1}: wall {ms['wall']:.1f} ms/frame ({r['x_real_time']:.2f} x real time), "
                f"one fan {ms['single_fan']:.1f} ms; wall / one fan = {ratio:.2f} "
                f"({no_preview:.2f} without the preview)"
            )
        print(
            f"median of {args.repeats}: wall / one fan = {statistics.median(ratios):.2f} "
            f"({statistics.median(files_only):.2f} without the preview), "
            f"{statistics.median(real):.2f} x real time on this machine now"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
