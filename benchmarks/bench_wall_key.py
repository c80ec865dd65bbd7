"""A green-screen clip on a wall: keyed against the plain wall, per frame.

    python benchmarks/bench_wall_key.py [--seconds 1] [--repeats 3] [--wall rows x cols]

The clip is bench_key.py's (1920x1080 H.264 of the twin over a lit, noisy green
screen). The wall is a grid of 3dcircle-42f2 fans (2 x 2 by default) at its default
canvas. Three ways, in alternating turns in one run:

  plain   --key none --crop fit   (the wall before the video options: fit_to_canvas)
  fit     --key green --crop fit  (keyed on the canvas's grid, the whole frame)
  auto    --key auto --crop auto  (the defaults: the subject's extent in the canvas)

For each it times the plan (WallPlan: the first pass over the clip for a keyed way)
and then every frame's canvas and fan frames (WallPlan.fan_frames, as export drives it
but on one thread, without the files), in CPU seconds (this process and its ffmpeg children) and wall seconds; medians of the turns.
Report `uptime` beside the figures.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one

WAYS = {
    "plain": {"key": "none", "crop": "fit"},
    "fit": {"key": "green", "crop": "fit"},
    "auto": {"key": "auto", "crop": "auto"},
}


def cpu() -> float:
    """CPU seconds of this process and its finished children (ffmpeg decodes, and for a
    keyed clip also crops and scales, in a child process of its own)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def turn(clip: str, wall, options: dict) -> dict:
    from holopack.pipeline import ExportSettings
    from holopack.scene.load import load
    from holopack.wall import WallPlan

    c0, t0 = cpu(), time.perf_counter()
    plan = WallPlan(load(clip), wall, ExportSettings(**options))
    c1, t1 = cpu(), time.perf_counter()
    n = plan.timeline.frame_count
    canvas = f"{plan.geometry.width} x {plan.geometry.height}"
    for index in range(n):
        plan.fan_frames(index)
    t2 = time.perf_counter()
    video = plan.source._video
    assert video is not None
    video.close()  # ends the decoder, whose CPU time then counts
    del plan, video
    gc.collect()
    c2 = cpu()
    return {
        "plan_cpu_s": c1 - c0,
        "plan_s": t1 - t0,
        "frame_cpu_ms": 1000 * (c2 - c1) / n,
        "frame_ms": 1000 * (t2 - t1) / n,
        "frames": n,
        "canvas": canvas,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--wall", default="2x2", help="ROWSxCOLS of 3dcircle-42f2 fans")
    args = parser.parse_args()
    from bench_key import make_clip

    from holopack.wall import parse_wall

    rows, cols = (int(v) for v in args.wall.lower().split("x"))
    wall = parse_wall(
        f'device = "3dcircle-42f2"\n[grid]\nrows = {rows}\ncols = {cols}\npitch = 420.0\n', "bench.toml"
    )
    with tempfile.TemporaryDirectory(prefix="holopack-wall-key-") as folder:
        clip = os.path.join(folder, "clip.mp4")
        make_clip(clip, int(round(30 * args.seconds)))
        runs: dict[str, list[dict]] = {name: [] for name in WAYS}
        for _ in range(args.repeats):
            for name, options in WAYS.items():
                runs[name].append(turn(clip, wall, options))
    first = runs["plain"][0]
    print(
        f"wall {rows}x{cols} 3dcircle-42f2, canvas {first['canvas']} px, 1080p clip, "
        f"{first['frames']} frames; medians of {args.repeats} alternating turns"
    )
    plain = statistics.median(r["frame_cpu_ms"] for r in runs["plain"])
    for name, rs in runs.items():
        med = {
            k: statistics.median(r[k] for r in rs)
            for k in ("plan_cpu_s", "plan_s", "frame_cpu_ms", "frame_ms")
        }
        print(
            f"{name:6s} plan {med['plan_cpu_s']:6.2f} CPU s ({med['plan_s']:5.2f} s)   per frame "
            f"{med['frame_cpu_ms']:7.1f} CPU ms ({med['frame_ms']:6.1f} ms)   x{med['frame_cpu_ms'] / plain:4.2f} plain"
        )


if __name__ == "__main__":
    main()
