"""A slow, obviously-correct numpy rasterizer: the twin the tests hold raster_kernel.py to.

Same rules as ``raster``: clip against near (z >= -w) and far (z <= w) in
homogeneous space, snap window coordinates to 1/256 pixel, exact integer edge
functions sampled at pixel centres (+0.5) with the top-left rule (picture y
down), counter-clockwise (OpenGL window) front faces, depth test LESS with the
window depth interpolated linearly in screen space. Triangles that need no
clipping are drawn in order first, then the clipped ones (as raster_kernel.py does).
"""

from __future__ import annotations

import numpy as np

ONE = 256


def _clip(poly: list[np.ndarray]) -> list[np.ndarray]:
    for sign in (1.0, -1.0):  # near: z + w >= 0, far: w - z >= 0
        out = []
        for i in range(len(poly)):
            a, b = poly[i], poly[(i + 1) % len(poly)]
            da = a[3] + sign * a[2]
            db = b[3] + sign * b[2]
            if da >= 0:
                out.append(a)
            if (da >= 0) != (db >= 0):
                out.append(a + da / (da - db) * (b - a))
        poly = out
        if len(poly) < 3:
            return []
    return poly


def _snap(v: np.ndarray, size: int, flip: bool) -> int:
    ndc = v[0] / v[3] if not flip else v[1] / v[3]
    s = (0.5 - ndc * 0.5) * size if flip else (ndc * 0.5 + 0.5) * size
    return int(np.floor(s * ONE + 0.5))


def rasterize(
    clip: np.ndarray, triangles: np.ndarray, double_sided: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """clip : (N, 4) float64 clip coordinates; triangles : (M, 3) int; double_sided :
    (M,) bool. Returns (ids (H, W) int32 triangle index or -1, depth (H, W) float32)."""
    ids = np.full((height, width), -1, np.int32)
    depth = np.ones((height, width), np.float32)
    ys, xs = np.mgrid[0:height, 0:width]
    px = xs.astype(np.int64) * ONE + ONE // 2
    py = ys.astype(np.int64) * ONE + ONE // 2
    direct, clipped = [], []
    for t, tri in enumerate(triangles):
        corners = clip[tri]
        if not np.all(np.isfinite(corners)):
            continue
        w = corners[:, 3]
        if np.any(corners[:, 2] < -w) or np.any(corners[:, 2] > w) or np.any(w <= 0):
            clipped.append(t)
        else:
            direct.append(t)
    jobs = []
    for t in direct:
        jobs.append((t, [clip[v] for v in triangles[t]]))
    for t in clipped:
        poly = _clip([clip[v].astype(np.float64) for v in triangles[t]])
        for i in range(1, len(poly) - 1):
            jobs.append((t, [poly[0], poly[i], poly[i + 1]]))
    for t, (a, b, c) in jobs:
        X = [_snap(v, width, False) for v in (a, b, c)]
        Y = [_snap(v, height, True) for v in (a, b, c)]
        Z = [min(max(v[2] / v[3] * 0.5 + 0.5, 0.0), 1.0) for v in (a, b, c)]
        area = (X[1] - X[0]) * (Y[2] - Y[0]) - (X[2] - X[0]) * (Y[1] - Y[0])
        if area == 0 or (area > 0 and not double_sided[t]):
            continue
        if area < 0:  # make the area positive
            X[1], X[2], Y[1], Y[2], Z[1], Z[2] = X[2], X[1], Y[2], Y[1], Z[2], Z[1]
            area = -area
        inside = np.ones((height, width), bool)
        edges = []
        for i in range(3):
            j, k = (i + 1) % 3, (i + 2) % 3
            e = (X[k] - X[j]) * (py - Y[j]) - (Y[k] - Y[j]) * (px - X[j])
            a_ = -(Y[k] - Y[j])
            top_left = a_ > 0 or (a_ == 0 and X[k] - X[j] > 0)
            inside &= (e > 0) | ((e == 0) & top_left)
            edges.append(e)
        inv = 1.0 / float(area)
        z = (edges[0] * (Z[0] * inv) + edges[1] * (Z[1] * inv) + edges[2] * (Z[2] * inv)).astype(np.float32)
        win = inside & (z < depth)
        depth[win] = z[win]
        ids[win] = t
    return ids, depth
