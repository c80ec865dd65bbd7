"""USDZ conversions of the Khronos sample models against their glTFs, as holopack draws
them: silhouette IoU and PSNR per model and pose, counts, and load time (CPU seconds,
median of three alternating turns, USDZ / glTF).

    python benchmarks/usd_vs_gltf.py [--size 256]

Runs under a display (xvfb-run -a) like the tests; needs the `usd` extra.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))  # this tree's holopack, not an installed one

from _gl_reference import framed_camera, iou, psnr  # noqa: E402

from holopack.rendering import render  # noqa: E402
from holopack.scene.load import load  # noqa: E402

MODELS = {
    "CesiumMan": [(0.0, 0.0), (0.5, 40.0), (1.2, 200.0)],
    "RiggedFigure": [(0.0, 0.0), (0.6, 90.0), (1.1, 300.0)],
    "BrainStem": [(0.0, 30.0), (7.5, 120.0), (20.0, 250.0)],
}


def _load_seconds(path: Path) -> float:
    start = time.process_time()
    load(path)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    for name, poses in MODELS.items():
        usdz = ROOT / "tests" / "data" / "usd" / name / f"{name}.usdz"
        glb = ROOT / "tests" / "data" / name / f"{name}.glb"
        ours, reference = load(usdz), load(glb)
        print(
            f"{name}: triangles {ours.triangle_count} / {reference.triangle_count}, "
            f"joints {sorted({len(s.joints) for s in ours.skins})} / {[len(s.joints) for s in reference.skins]}, "
            f"clip {ours.animations[0].start:.4f}-{ours.animations[0].duration:.4f} s / "
            f"{reference.animations[0].start:.4f}-{reference.animations[0].duration:.4f} s"
        )
        for seconds, yaw in poses:
            view, projection = framed_camera(reference.pose(None, seconds), yaw=yaw)
            a = render(reference, view, projection, (args.size, args.size), time=seconds, supersample=1)
            b = render(ours, view, projection, (args.size, args.size), time=seconds, supersample=1)
            print(
                f"  t {seconds:5.2f} s yaw {yaw:5.1f}: IoU {iou(a.alpha > 0.5, b.alpha > 0.5):.4f} "
                f"PSNR {psnr(a.color, b.color):.2f} dB"
            )
        turns = [(_load_seconds(usdz), _load_seconds(glb)) for _ in range(3)]
        u, g = statistics.median(t[0] for t in turns), statistics.median(t[1] for t in turns)
        print(f"  load CPU s (median of 3 alternating): USDZ {u:.3f}, glTF {g:.3f}, ratio {u / g:.2f}")
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
