"""Speed of a wall of fans against one fan alone, in the same run.

    python benchmarks/bench_wall.py [WALL.toml] [--input MODEL] [--frames 30] [--repeats 3]
    python benchmarks/bench_wall.py --resolution     # canvas density: fidelity and render time
    python benchmarks/bench_wall.py --preview        # preview.mp4: size and x264 preset, CPU time
    python benchmarks/bench_wall.py --fused          # nine gather calls against one fused call

Default wall: a 3 x 3 square grid of 3D Circle 42-F2 fans 420 mm apart, the bundled
twin. Each repeat runs ``holopack.wall.bench.bench_wall`` (the stages of ``export
--wall`` timed in turn, then its own loop, the next canvas drawn on a worker thread,
timed in blocks alternating with blocks of the single-fan export of the same input)
and prints the wall's time per frame as a multiple of the single fan's, and both as a
ratio to real time; the last line gives the medians over the repeats. Multiply the
single fan's frame rate on a quiet machine (README) by 1 / (wall time per single-fan
time) to estimate the wall's.

The other modes measure the choices the wall export makes, each against its
alternative in the same process: CPU time (os.times, the x264 child included where
there is one) is the figure to read on a shared machine, elapsed time only beside it.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time

import numpy as np

# the holopack of the tree this script sits in, not an installed one (comparing trees)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from holopack import export  # noqa: E402
from holopack.device.resample_kernel import sum_tiles  # noqa: E402
from holopack.formats.fanfile import open_fan_file  # noqa: E402
from holopack.formats.mp4 import MP4Writer  # noqa: E402
from holopack.openmp import configure  # noqa: E402
from holopack.pipeline import ExportSettings, default_twin  # noqa: E402
from holopack.scene.load import load  # noqa: E402
from holopack.wall import canvas as wall_canvas  # noqa: E402
from holopack.wall import export_wall, load_wall  # noqa: E402
from holopack.wall.bench import bench_wall  # noqa: E402
from holopack.wall.export import WallPlan  # noqa: E402
from holopack.wall.preview import WallPreview  # noqa: E402

GRID_3X3 = 'device = "3dcircle-42f2"\n[grid]\nrows = 3\ncols = 3\npitch = 420.0\nlayout = "square"\n'
ONE_FAN = 'device = "3dcircle-42f2"\n[[fans]]\nname = "A"\nx = 0.0\ny = 0.0\n'


def cpu_seconds(children: bool = False) -> float:
    t = os.times()
    return t.user + t.system + ((t.children_user + t.children_system) if children else 0.0)


def resolution(folder: str) -> None:
    """A one-fan wall of the twin at several canvas densities against the single fan's
    own export (its 672 px render), and the 3 x 3 wall's canvas render time."""
    one = os.path.join(folder, "one.toml")
    with open(one, "w") as f:
        f.write(ONE_FAN)
    single_path = os.path.join(folder, "SINGLE.BIN")
    export(None, single_path, device="3dcircle-42f2", seconds=0.2, progress=False)
    single = open_fan_file(single_path).read_all().astype(np.float64)
    wall = load_wall(os.path.join(folder, "grid3x3.toml"))
    scene = load(default_twin())
    saved = dict(wall_canvas.PX_PER_SPACING)
    try:
        for per in (1.0, 1.5, 2.0, 3.0):
            wall_canvas.PX_PER_SPACING["model"] = per
            out = os.path.join(folder, f"one-{per}")
            export_wall(None, one, out, seconds=0.2, progress=False, preview=False)
            got = open_fan_file(os.path.join(out, "A.BIN")).read_all().astype(np.float64)
            mse = np.mean(((got / 63) ** 2.2 - (single / 63) ** 2.2) ** 2)
            psnr = 10 * math.log10(1 / mse) if mse > 0 else math.inf
            plan = WallPlan(scene, wall, ExportSettings(seconds=1.0))
            plan.canvas(0)
            t0, c0 = time.perf_counter(), cpu_seconds()
            for i in range(1, 11):
                plan.canvas(i)
            dt, dc = (time.perf_counter() - t0) / 10, (cpu_seconds() - c0) / 10
            print(
                f"{per:g} px per LED spacing: one fan vs its own export {np.abs(got - single).mean():.2f} "
                f"codes, {psnr:.1f} dB; 3 x 3 canvas {plan.geometry.width} px, render "
                f"{1000 * dc:.1f} ms CPU ({1000 * dt:.1f} ms elapsed) per frame"
            )
    finally:
        wall_canvas.PX_PER_SPACING.update(saved)


def _wall_frames(folder: str):
    wall = load_wall(os.path.join(folder, "grid3x3.toml"))
    plan = WallPlan(load(default_twin()), wall, ExportSettings(seconds=2.0))
    return plan, [[f.copy() for f in plan.fan_frames(i)] for i in range(0, 40, 4)]


def preview(folder: str) -> None:
    plan, frames = _wall_frames(folder)
    for size, preset in [(1024, "veryfast"), (1024, "ultrafast"), (768, "veryfast"), (768, "ultrafast")]:
        shower = WallPreview(plan.geometry, size)
        writer = MP4Writer(os.path.join(folder, f"p{size}{preset}.mp4"), None, 30.0, preset=preset)
        n = 40
        own, child, t0 = cpu_seconds(), cpu_seconds(True) - cpu_seconds(), time.perf_counter()
        for k in range(n):
            writer.write(shower.picture(frames[k % len(frames)]))
        writer.close()  # the x264 child's CPU time is counted once it has exited
        dt = time.perf_counter() - t0
        own_ms = 1000 * (cpu_seconds() - own) / n
        x264_ms = 1000 * ((cpu_seconds(True) - cpu_seconds()) - child) / n
        print(
            f"preview {size} px, x264 {preset}: drawing {own_ms:.1f} + x264 {x264_ms:.1f} ms CPU "
            f"per frame ({1000 * dt / n:.1f} ms elapsed)"
        )


def fused(folder: str) -> None:
    plan, _ = _wall_frames(folder)
    linear, tiles = plan.canvas(10)
    flat, occupied = linear.reshape(-1), plan.tiles.place(tiles).copy()
    outs = [np.zeros(int(np.prod(e.shape)), np.float32) for e in plan.fans]

    def nine():
        for enc, out in zip(plan.fans, outs):
            sum_tiles(enc.tiled, occupied, flat, out)

    def one():
        plan.resample.run(flat, occupied)

    for rnd in range(3):
        for name, f in (("nine calls", nine), ("one fused call", one)):
            f()
            t0, c0 = time.perf_counter(), cpu_seconds()
            for _ in range(30):
                f()
            print(
                f"round {rnd + 1}: {name}: {1000 * (cpu_seconds() - c0) / 30:.1f} ms CPU "
                f"({1000 * (time.perf_counter() - t0) / 30:.1f} ms elapsed) per frame"
            )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wall", nargs="?", help="wall file (default: 3 x 3 42-F2 fans)")
    parser.add_argument("--input", help="model, picture or video (default: the bundled twin)")
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--resolution", action="store_true", help="canvas density: fidelity and render time")
    mode.add_argument("--preview", action="store_true", help="preview size and x264 preset: CPU time")
    mode.add_argument("--fused", action="store_true", help="nine gather calls against one fused call")
    args = parser.parse_args(argv)
    configure()
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "grid3x3.toml"), "w") as f:
            f.write(GRID_3X3)
        if args.resolution:
            resolution(folder)
            return 0
        if args.preview:
            preview(folder)
            return 0
        if args.fused:
            fused(folder)
            return 0
        wall = args.wall or os.path.join(folder, "grid3x3.toml")
        ratios, real, sequence = [], [], []
        for repeat in range(args.repeats):
            r = bench_wall(args.input, wall, frames=args.frames)
            ms = r["median_ms"]
            ratio = r["wall_time_per_single_fan_time"]
            ratios.append(ratio)
            real.append(r["x_real_time"])
            sequence.append(ms["in_sequence"] / ms["single_fan"])
            print(
                f"run {repeat + 1}: wall {ms['wall']:.1f} ms/frame ({r['x_real_time']:.2f} x real time), "
                f"one fan {ms['single_fan_end_to_end']:.1f} ms; wall / one fan = {ratio:.2f} "
                f"(stages in sequence: {sequence[-1]:.2f}; render {ms['render']:.1f}, fans "
                f"{ms['fans']:.1f}, files {ms['write']:.1f}, preview {ms['preview']:.1f} ms)",
                flush=True,
            )
        print(
            f"median of {args.repeats}: wall / one fan = {statistics.median(ratios):.2f} "
            f"(stages in sequence {statistics.median(sequence):.2f}), "
            f"{statistics.median(real):.2f} x real time on this machine now"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
