"""What framing from the drawn box costs, next to the sphere fit alone, same run.

    python benchmarks/bench_framing.py [--repeats 3] [--size 672]

For each model, the time to set up its camera for an export to the 42-F2's render size:
"sphere" poses the clip's framing samples and fits the enclosing sphere (the framing
before the drawn-box fit); "box" is what SceneSource does now (the same, then the box of
every sampled point projected through every view, centred and zoomed). Both are shown
as a ratio to the peer, and against one rendered frame, medians of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from holopack.pipeline import FRAMING_SAMPLES, ExportSettings, make_timeline, open_source  # noqa: E402
from holopack.pipeline.frames import _framing_points  # noqa: E402
from holopack.rendering.camera import fit_camera  # noqa: E402
from holopack.scene.load import load  # noqa: E402

MODELS = {
    "robot (animated)": ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb",
    "brainstem (animated)": ROOT / "tests" / "data" / "BrainStem" / "BrainStem.glb",
    "helmet (turntable)": ROOT / "tests" / "data" / "FlightHelmet" / "FlightHelmet.gltf",
}


def sphere_only(scene, timeline, framing):
    points = [
        _framing_points(p.positions)
        for i in timeline.loop_indices(FRAMING_SAMPLES)
        for p in scene.pose(timeline.animation, timeline.anim_time(i))
    ]
    return fit_camera(np.concatenate(points), framing, spin_axis_points=timeline.turntable != 0.0)


def median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", type=int, default=672)
    args = parser.parse_args()
    print(f"{'model':24s} {'sphere s':>9s} {'box s':>8s} {'box/sphere':>11s} {'box/frame':>10s}")
    for name, path in MODELS.items():
        scene = load(str(path))
        timeline = make_timeline(scene, ExportSettings(), 30.0)
        source = open_source(scene, timeline, args.size, supersample=2)  # warms the kernels
        source.picture(0)
        sphere = median_seconds(lambda: sphere_only(scene, timeline, source.framing), args.repeats)
        box = median_seconds(lambda: source._fit_camera(), args.repeats)
        frame = median_seconds(lambda: source.picture(1), args.repeats)
        print(f"{name:24s} {sphere:9.3f} {box:8.3f} {box / sphere:11.2f} {box / frame:10.1f}")


if __name__ == "__main__":
    main()
