"""A synthetic Gaussian splat twin: the bundled default twin's surface as splats.

    python benchmarks/splat_twin.py OUT.ply [--count 20000] [--degree 1] [--seed 0]

Splats are sampled on the rest pose's triangles (by area), each a flat disc lying in its
triangle (two axes as wide as the samples' spacing, the third a tenth of it), coloured
with its material's base colour (sRGB-encoded, as a capture's colours are) and, from
degree 1, a little view-dependent sheen; a few hundred faint floaters scattered around
it, as a capture has. Written in the standard 3DGS PLY layout (``write_ply``), so that
what holopack reads is what a capture tool hands over. The benchmarks and the pictures
in docs/splats.md use it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from holopack.colour import linear_to_srgb  # noqa: E402
from holopack.scene.types import Splats  # noqa: E402

SH_C0 = 0.28209479177387814


def twin_splats(count: int, degree: int = 1, seed: int = 0, floaters: int = 300) -> Splats:
    """``count`` splats on the default twin's rest pose, plus ``floaters`` faint ones."""
    from holopack.resources import default_twin
    from holopack.scene.load import load

    rng = np.random.default_rng(seed)
    scene = load(default_twin())
    corners, colours = [], []
    for posed in scene.pose(None, 0.0):
        tri = posed.positions[posed.primitive.indices].astype(np.float64)  # (T, 3, 3)
        corners.append(tri)
        material = scene.materials[posed.primitive.material] if posed.primitive.material is not None else None
        base = material.base_color_factor[:3] if material is not None else np.full(3, 0.8)
        colours.append(np.repeat(linear_to_srgb(base)[None], len(tri), axis=0))
    tri = np.concatenate(corners)
    rgb = np.concatenate(colours)
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area = 0.5 * np.linalg.norm(cross, axis=1)
    pick = rng.choice(len(tri), size=count, p=area / area.sum())
    u, v = rng.random(count), rng.random(count)
    flip = u + v > 1
    u[flip], v[flip] = 1 - u[flip], 1 - v[flip]
    t = tri[pick]
    means = t[:, 0] + u[:, None] * (t[:, 1] - t[:, 0]) + v[:, None] * (t[:, 2] - t[:, 0])
    spacing = np.sqrt(area.sum() / count)
    normal = cross[pick] / np.maximum(np.linalg.norm(cross[pick], axis=1, keepdims=True), 1e-12)
    rotations = _z_to(normal)
    scales = np.empty((count, 3))
    scales[:, :2] = spacing * rng.uniform(0.6, 0.9, (count, 2))
    scales[:, 2] = spacing * 0.1
    opacities = rng.uniform(0.85, 0.99, count)
    k = (degree + 1) ** 2
    sh = np.zeros((count, k, 3))
    shade = rgb[pick] * rng.uniform(0.9, 1.05, (count, 1))
    sh[:, 0] = (shade - 0.5) / SH_C0
    if k > 1:
        sh[:, 1:4] = rng.normal(0.0, 0.05, (count, 3, 3))
    lo, hi = means.min(0), means.max(0)
    centre, reach = (lo + hi) / 2, (hi - lo).max()
    f_means = centre + rng.uniform(-1.5, 1.5, (floaters, 3)) * reach
    f_rot = rng.normal(size=(floaters, 4))
    f_rot /= np.linalg.norm(f_rot, axis=1, keepdims=True)
    return Splats(
        means=np.concatenate([means, f_means]).astype(np.float32),
        scales=np.concatenate([scales, np.full((floaters, 3), spacing * 3)]).astype(np.float32),
        rotations=np.concatenate([rotations, f_rot]).astype(np.float32),
        opacities=np.concatenate([opacities, np.full(floaters, 0.05)]).astype(np.float32),
        sh=np.concatenate([sh, rng.normal(0, 0.3, (floaters, k, 3))]).astype(np.float32),
    )


def _z_to(normal: np.ndarray) -> np.ndarray:
    """(N, 4) x y z w unit quaternions turning +Z onto each unit normal."""
    z = np.array([0.0, 0.0, 1.0])
    axis = np.cross(z, normal)
    w = 1.0 + normal @ z
    q = np.concatenate([axis, w[:, None]], axis=1)
    opposite = w < 1e-9
    q[opposite] = (1.0, 0.0, 0.0, 0.0)  # half a turn about X
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def write_ply(path: str | Path, splats: Splats) -> None:
    """``splats`` in the standard 3DGS binary PLY layout (the inverse of holopack's
    reading: log scales, opacity logits, quaternions w x y z, f_rest channel by channel)."""
    n, k = len(splats.means), splats.sh.shape[1]
    names = ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
    names += [f"f_rest_{i}" for i in range(3 * (k - 1))]
    names += ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    rows = np.zeros(n, [(name, "<f4") for name in names])
    for i, axis in enumerate("xyz"):
        rows[axis] = splats.means[:, i]
    for c in range(3):
        rows[f"f_dc_{c}"] = splats.sh[:, 0, c]
        for j in range(k - 1):
            rows[f"f_rest_{c * (k - 1) + j}"] = splats.sh[:, 1 + j, c]
    p = np.clip(splats.opacities.astype(np.float64), 1e-6, 1 - 1e-6)
    rows["opacity"] = np.log(p / (1 - p))
    for i in range(3):
        rows[f"scale_{i}"] = np.log(np.maximum(splats.scales[:, i].astype(np.float64), 1e-30))
    for i, column in enumerate((3, 0, 1, 2)):  # w x y z
        rows[f"rot_{i}"] = splats.rotations[:, column]
    header = f"ply\nformat binary_little_endian 1.0\nelement vertex {n}\n"
    header += "".join(f"property float {name}\n" for name in names) + "end_header\n"
    with open(path, "wb") as f:
        f.write(header.encode("ascii"))
        f.write(rows.tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--degree", type=int, default=1, choices=(0, 1, 2, 3))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    write_ply(args.out, twin_splats(args.count, args.degree, args.seed))


if __name__ == "__main__":
    main()
