"""Plain numpy twin of ``texture.sample_trilinear``, vectorised over sample points."""

from __future__ import annotations

import numpy as np

from .texture_kernel import (
    CLAMP_TO_EDGE,
    LINEAR,
    LINEAR_MIPMAP_NEAREST,
    MIRRORED_REPEAT,
    NEAREST,
    NEAREST_MIPMAP_LINEAR,
    NEAREST_MIPMAP_NEAREST,
)


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


def nearest(level: np.ndarray, u: np.ndarray, v: np.ndarray, wrap_s: int, wrap_t: int) -> np.ndarray:
    """level (H, W, 4); u, v (K,) -> (K, 4): the texel each point falls in."""
    h, w = level.shape[:2]
    x = wrap_indices(np.floor(u * w).astype(np.int64), w, wrap_s)
    y = wrap_indices(np.floor(v * h).astype(np.int64), h, wrap_t)
    return level[y, x]


def sample(
    chain: list[np.ndarray],
    u,
    v,
    dudx,
    dvdx,
    dudy,
    dvdy,
    wrap_s: int,
    wrap_t: int,
    mag_filter: int | None = None,
    min_filter: int | None = None,
) -> np.ndarray:
    """Filtered samples (K, 4) from a mip chain; LOD = log2 of the longer pixel
    footprint in texels of level 0 (OpenGL's rho), clamped to the chain. Magnified
    (rho <= 1): level 0, by ``mag_filter``; minified, by ``min_filter`` as OpenGL
    defines each (NEAREST and LINEAR read level 0, *_MIPMAP_NEAREST the nearest level,
    *_MIPMAP_LINEAR the two around the LOD); None: LINEAR and LINEAR_MIPMAP_LINEAR.
    The kernel draws texture_kernel.drawn_filters of a file's filters: give it those."""
    u, v = np.asarray(u, np.float64), np.asarray(v, np.float64)
    h0, w0 = chain[0].shape[:2]
    rho = np.maximum(
        np.hypot(np.asarray(dudx) * w0, np.asarray(dvdx) * h0),
        np.hypot(np.asarray(dudy) * w0, np.asarray(dvdy) * h0),
    )
    top = len(chain) - 1
    lod = np.clip(np.log2(np.maximum(rho, 1.0)), 0.0, top)
    # OpenGL magnifies up to a level of detail of 0.5 when magFilter is LINEAR and
    # minFilter NEAREST_MIPMAP_*, else up to 0 (OpenGL 4.6, 8.14)
    switch = (
        0.5
        if mag_filter != NEAREST and min_filter in (NEAREST_MIPMAP_NEAREST, NEAREST_MIPMAP_LINEAR)
        else 0.0
    )
    magnified = ~(rho > 2.0**switch)
    if min_filter is not None:
        lod = np.where(magnified, 0.0, lod)
    if min_filter in (NEAREST, LINEAR):
        lod = np.where(magnified, lod, 0.0)
    elif min_filter in (NEAREST_MIPMAP_NEAREST, LINEAR_MIPMAP_NEAREST):
        nearest_level = np.where(lod <= 0.5, 0.0, np.minimum(np.ceil(lod + 0.5) - 1, top))
        lod = np.where(magnified, lod, nearest_level)
    texel_of = np.where(
        magnified,
        mag_filter == NEAREST,
        min_filter in (NEAREST, NEAREST_MIPMAP_NEAREST, NEAREST_MIPMAP_LINEAR),
    )
    lo = np.floor(lod).astype(int)
    frac = (lod - lo)[:, None]
    out = np.zeros((len(u), 4))
    for level in np.unique(lo):
        for point in (False, True):
            sel = (lo == level) & (texel_of == point)
            if not sel.any():
                continue
            fetch = nearest if point else bilinear
            a = fetch(chain[level], u[sel], v[sel], wrap_s, wrap_t)
            b = fetch(chain[min(level + 1, top)], u[sel], v[sel], wrap_s, wrap_t)
            out[sel] = (1 - frac[sel]) * a + frac[sel] * b
    return out
