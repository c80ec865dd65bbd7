"""``holopack.render`` called from plain Python next to the render of ``holopack export``.

    python benchmarks/bench_library.py [--model bunny] [--size 1024] [--frames 12]
                                       [--supersample 1] [--load N]

This script is plain Python: it never goes through the command line. It renders the
same turntable frames (unlit with textures) two ways, taking turns frame by frame so
that a machine whose load changes treats them alike:

- ``library``: ``holopack.render(scene, view, projection, size)``, the one-call form a
  notebook uses (posing included; it keeps one Renderer between calls);
- ``export``: what ``holopack export`` does per frame: ``scene.pose`` then
  ``Renderer.draw`` on the Renderer the export made once.

and prints the median milliseconds of each and their ratio (library / export; 1.0 means
as fast), with the settings that decide speed as this process sees them: Numba's thread
count and threading layer and the OpenMP wait policy, which ``import holopack`` sets
when the user has not (the command sets the same; see holopack.openmp).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import holopack  # noqa: E402  (after the path: the checkout's holopack)
from holopack.bench.load import competing_load  # noqa: E402
from holopack.openmp import WAIT_SETTINGS  # noqa: E402
from holopack.rendering import Renderer  # noqa: E402
from holopack.rendering.camera import Framing, fit_camera  # noqa: E402

MODELS = {
    "bunny": ROOT / "tests" / "data" / "stanford-bunny" / "stanford-bunny.obj",
    "BrainStem": ROOT / "tests" / "data" / "BrainStem" / "BrainStem.glb",
    "FlightHelmet": ROOT / "tests" / "data" / "FlightHelmet" / "FlightHelmet.gltf",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=list(MODELS), default="bunny")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--supersample", type=int, default=1)
    parser.add_argument("--load", type=int, default=0, help="busy processes run while timing")
    args = parser.parse_args()

    import numba

    scene = holopack.load(MODELS[args.model])
    points = np.concatenate([p.positions for p in scene.pose(None, 0.0)])
    cams = [fit_camera(points, Framing(yaw=360.0 * i / args.frames, pitch=10.0)) for i in range(args.frames)]
    size = (args.size, args.size)
    renderer = Renderer(size, args.supersample)

    def library(cam):
        return holopack.render(
            scene, cam.view, cam.projection, size, shading="unlit", supersample=args.supersample
        )

    def export_path(cam):
        posed = scene.pose(None, 0.0)
        return renderer.draw(posed, scene.materials, scene.textures, cam.view, cam.projection, "unlit")

    for cam in cams[:2]:  # compile, decode textures
        a, b = library(cam), export_path(cam)
    assert np.array_equal(a.color, b.color), "the two call forms drew different pictures"

    times: dict[str, list[float]] = {"library": [], "export": []}
    with competing_load(args.load) as load:
        for cam in cams:
            for name, fn in (("library", library), ("export", export_path)):
                t0 = time.perf_counter()
                fn(cam)
                times[name].append(time.perf_counter() - t0)
    lib = 1000.0 * statistics.median(times["library"])
    exp = 1000.0 * statistics.median(times["export"])
    load_cpu = "?" if load["cpu_seconds"] is None else f"{load['cpu_seconds']:.1f}"
    policy = ", ".join(f"{k}={os.environ.get(k)}" for k in WAIT_SETTINGS)
    print(
        f"numba {numba.__version__}, {numba.get_num_threads()} threads, layer {numba.threading_layer()}; "
        f"{policy}; load {load['processes']} busy processes ({load_cpu} CPU s)"
    )
    print(
        f"{args.model} {args.size}^2 supersample {args.supersample} unlit: library {lib:.1f} ms, "
        f"export {exp:.1f} ms, ratio {lib / exp:.2f}"
    )


if __name__ == "__main__":
    main()
