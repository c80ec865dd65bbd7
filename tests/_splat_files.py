"""Small Gaussian splat PLYs for the tests, written here from the published 3DGS layout
with numpy alone (holopack's reader is what the tests check)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SH_C0 = 0.28209479177387814


def write_splat_ply(path: Path, means, scales, opacities, colours, quaternions=None) -> Path:
    """A degree-0 3DGS PLY: ``scales`` linear (written as logs), ``opacities`` in (0, 1)
    (written as logits), ``colours`` the degree-0 colour in [0, 1] (written as f_dc),
    ``quaternions`` w x y z (default: no rotation)."""
    means = np.asarray(means, np.float64).reshape(-1, 3)
    n = len(means)
    names = ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2", "opacity"]
    names += ["scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    rows = np.zeros((n, len(names)), "<f4")
    rows[:, 0:3] = means
    rows[:, 6:9] = (np.asarray(colours, np.float64).reshape(n, 3) - 0.5) / SH_C0
    p = np.asarray(opacities, np.float64).reshape(n)
    rows[:, 9] = np.log(p / (1.0 - p))
    rows[:, 10:13] = np.log(np.asarray(scales, np.float64).reshape(n, 3))
    rows[:, 13:17] = (1.0, 0.0, 0.0, 0.0) if quaternions is None else quaternions
    header = f"ply\nformat binary_little_endian 1.0\nelement vertex {n}\n"
    header += "".join(f"property float {name}\n" for name in names) + "end_header\n"
    path.write_bytes(header.encode("ascii") + rows.tobytes())
    return path


def sphere_twin(path: Path, count: int = 600, floaters: int = 0, seed: int = 0, radius: float = 1.0) -> Path:
    """``count`` opaque splats on a sphere of ``radius`` at the origin, red on top (+Y)
    and blue below, and ``floaters`` faint ones far out."""
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(count, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    colours = np.where(d[:, 1:2] > 0, [0.9, 0.1, 0.1], [0.1, 0.1, 0.9])
    means = d * radius
    scales = np.full((count, 3), radius * 0.12)
    opacities = np.full(count, 0.95)
    if floaters:
        far = rng.uniform(-20.0, 20.0, (floaters, 3)) * radius
        means = np.concatenate([means, far])
        scales = np.concatenate([scales, np.full((floaters, 3), radius * 0.05)])
        opacities = np.concatenate([opacities, np.full(floaters, 0.05)])
        colours = np.concatenate([colours, np.full((floaters, 3), 0.5)])
    return write_splat_ply(path, means, scales, opacities, colours)
