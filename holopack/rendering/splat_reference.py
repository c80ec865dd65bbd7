"""A slow, obviously-correct numpy Gaussian splat renderer: the twin the tests hold
splat_kernel.py to.

The same forward pass of 3D Gaussian Splatting, one splat at a time: its projection
written with numpy's matrices (Sigma = R S S^T R^T, Sigma2D = J W Sigma W^T J^T +
0.3 I, J the Jacobian of the projection in pixels at the centre, its normalised device
x and y clamped to +-1.3 as the 3DGS rasteriser clamps them), then, in depth order, a loop over
the pixels of its 3-sigma box that blends it under what is already there.
"""

from __future__ import annotations

import math

import numpy as np

_C0 = 0.28209479177387814
_C1 = 0.4886025119029199
_C2 = [1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396]
_C3 = [
    -0.5900435899266435,
    2.890611442640554,
    -0.4570457994644658,
    0.3731763325901154,
    -0.4570457994644658,
    1.445305721320277,
    -0.5900435899266435,
]


def sh_basis(direction: np.ndarray, count: int) -> np.ndarray:
    """(count,) float64: the first ``count`` real spherical harmonics (1, 4, 9 or 16) at
    the unit ``direction`` (3,), in the order 3DGS stores their coefficients."""
    x, y, z = (float(v) for v in direction)
    xx, yy, zz = x * x, y * y, z * z
    basis = [
        _C0,
        -_C1 * y,
        _C1 * z,
        -_C1 * x,
        _C2[0] * x * y,
        _C2[1] * y * z,
        _C2[2] * (2 * zz - xx - yy),
        _C2[3] * x * z,
        _C2[4] * (xx - yy),
        _C3[0] * y * (3 * xx - yy),
        _C3[1] * x * y * z,
        _C3[2] * y * (4 * zz - xx - yy),
        _C3[3] * z * (2 * zz - 3 * xx - 3 * yy),
        _C3[4] * x * (4 * zz - xx - yy),
        _C3[5] * z * (xx - yy),
        _C3[6] * x * (xx - 3 * yy),
    ]
    return np.array(basis[:count])


def rotation_matrix(q: np.ndarray) -> np.ndarray:
    """(3, 3) float64 rotation of the quaternion q = (x, y, z, w), normalised here (a
    zero quaternion: no rotation)."""
    q = np.asarray(q, np.float64)
    n = np.linalg.norm(q)
    x, y, z, w = q / n if n > 0 else (0.0, 0.0, 0.0, 1.0)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def render(splats, view: np.ndarray, projection: np.ndarray, eye: np.ndarray, width: int, height: int):
    """splats : holopack.scene.types.Splats; view, projection : (4, 4) float64 (OpenGL
    conventions); eye : (3,) the camera's position in the splats' coordinates. Returns
    (colour (H, W, 3) float64 premultiplied over black, transmittance (H, W) float64)."""
    colour = np.zeros((height, width, 3))
    transmittance = np.ones((height, width))
    drawn = []  # (depth, index, (px, py), inverse covariance, rgb, opacity, box)
    for i in range(len(splats.means)):
        mean = splats.means[i].astype(np.float64)
        v = view[:3, :3] @ mean + view[:3, 3]
        clip = projection @ np.append(v, 1.0)
        if not (clip[3] > 0 and clip[2] >= -clip[3] and np.isfinite(clip[:2]).all()):
            continue
        pixel = np.array([(clip[0] / clip[3] * 0.5 + 0.5) * width, (0.5 - clip[1] / clip[3] * 0.5) * height])
        # d(ndc)/dv by the quotient rule, then d(pixel)/d(ndc); taken with the centre's
        # ndc x and y clamped to +-1.3 (3DGS clamps tx/tz, ty/tz to 1.3 tan(fov/2))
        at = np.clip(clip[:2] / clip[3], -1.3, 1.3) * clip[3]
        jndc = (projection[:2, :3] * clip[3] - np.outer(at, projection[3, :3])) / clip[3] ** 2
        jacobian = np.diag([0.5 * width, -0.5 * height]) @ jndc
        rs = rotation_matrix(splats.rotations[i]) @ np.diag(splats.scales[i].astype(np.float64))
        sigma = rs @ rs.T
        t = jacobian @ view[:3, :3]
        sigma2d = t @ sigma @ t.T + 0.3 * np.eye(2)
        det = np.linalg.det(sigma2d)
        if not (det > 0 and np.isfinite(det)):
            continue
        largest = np.linalg.eigvalsh(sigma2d).max()
        radius = math.ceil(3.0 * math.sqrt(largest))
        x0 = max(math.ceil(pixel[0] - radius - 0.5), 0)
        x1 = min(math.floor(pixel[0] + radius - 0.5), width - 1)
        y0 = max(math.ceil(pixel[1] - radius - 0.5), 0)
        y1 = min(math.floor(pixel[1] + radius - 0.5), height - 1)
        if x0 > x1 or y0 > y1:
            continue
        direction = mean - eye
        if np.linalg.norm(direction) > 0:
            direction = direction / np.linalg.norm(direction)
        sh = splats.sh[i].astype(np.float64)  # (K, 3)
        rgb = np.maximum(sh_basis(direction, len(sh)) @ sh + 0.5, 0.0)
        box = (x0, x1, y0, y1)
        drawn.append((-v[2], i, pixel, np.linalg.inv(sigma2d), rgb, float(splats.opacities[i]), box))
    drawn.sort(key=lambda d: d[0])  # front to back; equal depths in file order (a stable sort)
    for _, _, pixel, inverse, rgb, opacity, (x0, x1, y0, y1) in drawn:
        ys, xs = np.mgrid[y0 : y1 + 1, x0 : x1 + 1]
        d = np.stack([xs + 0.5 - pixel[0], ys + 0.5 - pixel[1]], axis=-1)
        power = -0.5 * np.einsum("...i,ij,...j->...", d, inverse, d)
        alpha = np.minimum(0.99, opacity * np.exp(power))
        before = transmittance[y0 : y1 + 1, x0 : x1 + 1]
        blend = (alpha >= 1.0 / 255.0) & (power <= 0) & (before >= 1e-4)
        weight = np.where(blend, alpha * before, 0.0)
        colour[y0 : y1 + 1, x0 : x1 + 1] += weight[..., None] * rgb
        transmittance[y0 : y1 + 1, x0 : x1 + 1] = np.where(blend, before * (1.0 - alpha), before)
    return colour, transmittance
