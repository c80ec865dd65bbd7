"""What generating MikkTSpace tangents adds to loading a normal-mapped model, and what
carrying tangents adds to posing, each as a ratio against its peer in the same run.

    python benchmarks/bench_tangents.py [--repeats 5]

Load: FlightHelmet as shipped (its TANGENT accessors are read) against the same file
with TANGENT removed from every primitive, so that holopack generates them for the
normal textures (scene/tangents.py). Pose: the rest pose of FlightHelmet with its
tangents against the same scene with ``tangents`` dropped. Medians of ``--repeats``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from holopack.animate.pose import forget_pose_cache, pose_scene  # noqa: E402
from holopack.scene.load import load  # noqa: E402

HELMET = ROOT / "tests" / "data" / "FlightHelmet"


def median_seconds(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "FlightHelmet"
        shutil.copytree(HELMET, copy)
        doc = json.loads((copy / "FlightHelmet.gltf").read_text())
        for mesh in doc["meshes"]:
            for prim in mesh["primitives"]:
                prim["attributes"].pop("TANGENT", None)
        stripped = copy / "NoTangents.gltf"
        stripped.write_text(json.dumps(doc))
        shipped = str(HELMET / "FlightHelmet.gltf")
        triangles = sum(len(p.indices) for m in load(shipped).meshes for p in m.primitives)
        read = median_seconds(lambda: load(shipped), args.repeats)
        generated = median_seconds(lambda: load(str(stripped)), args.repeats)
    print(f"FlightHelmet, {triangles} triangles, median of {args.repeats}")
    print(f"load, TANGENT read:      {read:7.3f} s")
    print(f"load, tangents generated: {generated:7.3f} s   ratio {generated / read:5.2f}")

    scene = load(shipped)
    with_tangents = median_seconds(lambda: pose_scene(scene, None, 0.0), args.repeats * 4)
    for mesh in scene.meshes:
        for prim in mesh.primitives:
            prim.tangents = None
    forget_pose_cache(scene)
    without = median_seconds(lambda: pose_scene(scene, None, 0.0), args.repeats * 4)
    print(f"pose, no tangents:        {without * 1000:7.2f} ms")
    print(f"pose, with tangents:      {with_tangents * 1000:7.2f} ms   ratio {with_tangents / without:5.2f}")


if __name__ == "__main__":
    main()
