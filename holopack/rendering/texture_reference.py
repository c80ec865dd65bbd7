"""Plain numpy twin of ``texture.sample_trilinear``, vectorised over sample points."""

from __future__ import annotations

import numpy as np

from .texture_kernel import CLAMP_TO_EDGE, MIRRORED_REPEAT


def wrap_indices(i: np.ndarray, n: int, mode: int) -> np.ndarray:
    if mode == CLAMP_TO_EDGE:
        return np.clip(i, 0, n - 1)
    if mode == MIRRORED_REPEAT:
        m = np.mod(i, 2 * n)
        return np.where(m < n, m, 2 * n - 1 - m)
    return np.mod(i, n)


def bilinear(level: np.ndarray, u: np.ndarray, v: np.ndarray, wrap_s: int, wrap_t: int) -> np.ndarray:
    """level (H, W, 4); u, v (K,) -> (K, 4), texel centres at (i + 0.5) / size."""
    h, w = level.shape[:2]
    x = u * w - 0.5
    y = v * h - 0.5
    x0 = np.floor(x)
    y0 = np.floor(y)
    fx = (x - x0)[:, None]
    fy = (y - y0)[:, None]
    x0 = x0.astype(np.int64)
    y0 = y0.astype(np.int64)
    xa, xb = wrap_indices(x0, w, wrap_s), wrap_indices(x0 + 1, w, wrap_s)
    ya, yb = wrap_indices(y0, h, wrap_t), wrap_indices(y0 + 1, h, wrap_t)
    return (
        (1 - fx) * (1 - fy) * level[ya, xa]
        + fx * (1 - fy) * level[ya, xb]
        + (1 - fx) * fy * level[yb, xa]
        + fx * fy * level[yb, xb]
    )


def sample(chain: list[np.ndarray], u, v, dudx, dvdx, dudy, dvdy, wrap_s: int, wrap_t: int) -> np.ndarray:
    """Trilinear samples (K, 4) from a mip chain; LOD = log2 of the longer pixel
    footprint in texels of level 0 (OpenGL's rho), clamped to the chain."""
    u, v = np.asarray(u, np.float64), np.asarray(v, np.float64)
    h0, w0 = chain[0].shape[:2]
    rho = np.maximum(
        np.hypot(np.asarray(dudx) * w0, np.asarray(dvdx) * h0),
        np.hypot(np.asarray(dudy) * w0, np.asarray(dvdy) * h0),
    )
    lod = np.clip(np.log2(np.maximum(rho, 1.0)), 0.0, len(chain) - 1)
    lo = np.floor(lod).astype(int)
    frac = (lod - lo)[:, None]
    out = np.zeros((len(u), 4))
    for level in np.unique(lo):
        sel = lo == level
        a = bilinear(chain[level], u[sel], v[sel], wrap_s, wrap_t)
        b = bilinear(chain[min(level + 1, len(chain) - 1)], u[sel], v[sel], wrap_s, wrap_t)
        out[sel] = (1 - frac[sel]) * a + frac[sel] * b
    return out
