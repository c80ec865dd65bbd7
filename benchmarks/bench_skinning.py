"""Skinning throughput of the Numba kernel next to a numpy einsum baseline, same run,
and the time to pose a whole frame.

    python benchmarks/bench_skinning.py [--repeats 30] [--models brainstem robot]

For each model, every skinned primitive is skinned with the joint matrices of one
instant of its first clip. Both sides do the same work: blend each vertex's joint
matrices, transform the position, transform the normal by the blended matrix's
inverse transpose (as a cofactor matrix) and normalise it. The baseline is
vectorised numpy (einsum); the kernel writes into preallocated arrays. Medians of
``--repeats`` runs, in millions of vertices per second.

"Pose frame" is ``pose_scene`` for one instant: sampling every channel, the node
hierarchy, morph targets, skinning and the rigid parts, fresh output arrays
included; its median is taken over instants spread across every clip.
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

from holopack.animate.pose import pose_scene, world_matrices  # noqa: E402
from holopack.animate.skin_kernel import skin_vertices  # noqa: E402
from holopack.scene.load import load  # noqa: E402

MODELS = {
    "brainstem": ROOT / "tests" / "data" / "BrainStem" / "BrainStem.glb",
    "robot": ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb",
    "cesiumman": ROOT / "tests" / "data" / "CesiumMan" / "CesiumMan.glb",
    "fox": ROOT / "tests" / "data" / "Fox" / "Fox.glb",
}


def einsum_skin(positions, normals, joints, weights, joint_matrices):
    """The numpy baseline: (N, 3) float32 positions and unit normals."""
    blended = np.einsum("nk,nkij->nij", weights, joint_matrices[joints])
    m = blended[:, :3, :3]
    out_positions = np.einsum("nij,nj->ni", m, positions) + blended[:, :3, 3]
    # cofactor matrix = det * inverse transpose; same direction up to det's sign
    cof = np.stack(
        [np.cross(m[:, 1], m[:, 2]), np.cross(m[:, 2], m[:, 0]), np.cross(m[:, 0], m[:, 1])], axis=1
    )
    det = np.einsum("ni,ni->n", m[:, 0], cof[:, 0])
    out_normals = np.einsum("nij,nj->ni", cof, normals) * np.sign(det)[:, None]
    out_normals /= np.linalg.norm(out_normals, axis=1, keepdims=True)
    return out_positions.astype(np.float32), out_normals.astype(np.float32)


def skinned_batches(scene, time_s):
    world = world_matrices(scene, 0 if scene.animations else None, time_s)
    batches = []
    for item in scene.draw_items:
        if item.skin is None:
            continue
        prim = scene.primitive(item)
        skin = scene.skins[item.skin]
        matrices = np.ascontiguousarray(world[skin.joints] @ skin.inverse_bind)
        batches.append(
            (
                prim.positions,
                prim.normals,
                prim.joints,
                prim.weights,
                matrices,
                np.empty_like(prim.positions),
                np.empty_like(prim.normals),
            )
        )
    return batches


def median_seconds(fn, repeats):
    fn()  # warm-up (compiles or loads the Numba cache)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure(name, path, repeats):
    scene = load(path)
    batches = skinned_batches(scene, 0.5)
    vertices = sum(len(b[0]) for b in batches)

    def numba_all():
        for p, n, j, w, m, op, on in batches:
            skin_vertices(p, n, j, w, m, op, on)

    def numpy_all():
        for p, n, j, w, m, _, _ in batches:
            einsum_skin(p, n, j, w, m)

    # both sides agree before either is timed
    for p, n, j, w, m, op, on in batches:
        skin_vertices(p, n, j, w, m, op, on)
        rp, rn = einsum_skin(p, n, j, w, m)
        assert np.abs(op - rp).max() < 1e-4 and np.abs(on - rn).max() < 1e-3
    t_numba = median_seconds(numba_all, repeats)
    t_numpy = median_seconds(numpy_all, max(5, repeats // 3))

    instants = []
    for a, clip in enumerate(scene.animations or [None]):
        if clip is None:
            instants.append((None, 0.0))
            continue
        instants += [(a, t) for t in np.linspace(clip.start, clip.duration, 7)]
    pose_scene(scene, *instants[0])
    frame_samples = []
    for _ in range(max(1, repeats // 10)):
        for a, t in instants:
            start = time.perf_counter()
            pose_scene(scene, a, float(t))
            frame_samples.append(time.perf_counter() - start)
    return {
        "model": name,
        "vertices": vertices,
        "primitives": len(batches),
        "numba_mvps": vertices / t_numba / 1e6,
        "numpy_mvps": vertices / t_numpy / 1e6,
        "speedup": t_numpy / t_numba,
        "numba_ms": t_numba * 1e3,
        "numpy_ms": t_numpy * 1e3,
        "pose_ms": statistics.median(frame_samples) * 1e3,
        "pose_p90_ms": statistics.quantiles(frame_samples, n=10)[-1] * 1e3
        if len(frame_samples) > 1
        else frame_samples[0] * 1e3,
        "instants": len(instants),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--models", nargs="+", default=["brainstem", "robot"], choices=sorted(MODELS))
    args = parser.parse_args(argv)
    import numba

    print(
        f"numba {numba.__version__}, {numba.get_num_threads()} threads, "
        f"{os.cpu_count()} CPUs; medians of {args.repeats} runs\n"
    )
    print(
        "| model | skinned vertices | Numba ms | numpy ms | Numba Mvert/s | numpy Mvert/s "
        "| speed-up | pose frame ms (median / p90) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.models:
        r = measure(name, MODELS[name], args.repeats)
        print(
            f"| {r['model']} | {r['vertices']} ({r['primitives']} prims) | "
            f"{r['numba_ms']:.3f} | {r['numpy_ms']:.2f} | {r['numba_mvps']:.1f} | "
            f"{r['numpy_mvps']:.1f} | {r['speedup']:.1f}x | "
            f"{r['pose_ms']:.2f} / {r['pose_p90_ms']:.2f} ({r['instants']} instants) |"
        )


if __name__ == "__main__":
    main()
