"""The renderer's small-model rule: per-vertex and per-triangle stages on one thread.

    python benchmarks/bench_one_thread.py [--frames 40] [--load N]

Renders the default twin's turntable at the 42-F2's size (672², supersample 2, lit) two
ways, frame by frame in one run: as the Renderer does (below
``work_queue.PARALLEL_MIN_ITEMS`` vertices and triangles, transform, set-up and binning
run on the calling thread alone) and with those stages on every thread. Prints the
median milliseconds of each and their ratio (rule / every thread; below 1 the rule helps).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import holopack  # noqa: E402,F401  (sets the OpenMP waiting first)
from holopack.bench.load import competing_load  # noqa: E402
from holopack.pipeline import default_twin  # noqa: E402
from holopack.rendering import Renderer  # noqa: E402
from holopack.rendering import renderer as renderer_module  # noqa: E402
from holopack.rendering.camera import Framing, fit_camera  # noqa: E402
from holopack.scene.load import load  # noqa: E402
from holopack.work_queue import one_thread_below  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--load", type=int, default=0, help="busy processes run while timing")
    args = parser.parse_args()
    scene = load(default_twin())
    points = np.concatenate([p.positions for p in scene.pose(None, 0.0)])
    cams = [fit_camera(points, Framing(yaw=360.0 * i / args.frames)) for i in range(args.frames)]
    renderer = Renderer((672, 672), 2)

    def draw(cam):
        posed = scene.pose(None, 0.0)
        return renderer.draw(posed, scene.materials, scene.textures, cam.view, cam.projection)

    def every_thread(cam):
        with mock.patch.object(renderer_module, "one_thread_below", lambda items: one_thread_below(items, 0)):
            return draw(cam)

    for cam in cams[:2]:
        a, b = draw(cam), every_thread(cam)
    assert np.array_equal(a.color, b.color)
    times: dict[str, list[float]] = {"rule": [], "every": []}
    with competing_load(args.load):
        for cam in cams:
            for name, fn in (("rule", draw), ("every", every_thread)):
                t0 = time.perf_counter()
                fn(cam)
                times[name].append(time.perf_counter() - t0)
    rule = 1000.0 * statistics.median(times["rule"])
    every = 1000.0 * statistics.median(times["every"])
    print(
        f"default twin 672^2 supersample 2, load {args.load}: one thread below the minimum "
        f"{rule:.1f} ms, every thread {every:.1f} ms, ratio {rule / every:.2f}"
    )


if __name__ == "__main__":
    main()
