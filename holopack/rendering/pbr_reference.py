"""numpy twin of pbr.brdf_light, written straight from glTF 2.0's Appendix B, for the
tests: slow and plain, vectorised over any number of samples."""

from __future__ import annotations

import numpy as np


def brdf_cos(n, v, l, base, metallic, roughness) -> np.ndarray:
    """f(l, v) x max(N.L, 0), (..., 3) float64, for unit n, v, l (..., 3) (l towards
    the light), base (..., 3) linear RGB, metallic and roughness (...,)."""
    n, v, l, base = (np.asarray(x, np.float64) for x in (n, v, l, base))
    metallic = np.asarray(metallic, np.float64)[..., None]
    a = np.asarray(roughness, np.float64)[..., None] ** 2
    a2 = a * a
    h = l + v
    h = h / np.linalg.norm(h, axis=-1, keepdims=True)

    def dot(x, y):
        return np.sum(x * y, axis=-1, keepdims=True)

    ndl = np.clip(dot(n, l), 0.0, 1.0)
    ndv = np.clip(dot(n, v), 0.0, 1.0)
    ndh = np.clip(dot(n, h), 0.0, 1.0)
    vdh = np.clip(np.abs(dot(v, h)), 0.0, 1.0)
    c_diff = base * (1.0 - metallic)
    f0 = 0.04 * (1.0 - metallic) + base * metallic
    f = f0 + (1.0 - f0) * (1.0 - vdh) ** 5
    d = a2 / (np.pi * (ndh**2 * (a2 - 1.0) + 1.0) ** 2)
    denom = ndl * np.sqrt(ndv**2 * (1.0 - a2) + a2) + ndv * np.sqrt(ndl**2 * (1.0 - a2) + a2)
    vis = np.where(denom > 0, 0.5 / np.where(denom > 0, denom, 1.0), 0.0)
    out = ((1.0 - f) * c_diff / np.pi + f * d * vis) * ndl
    return np.where(ndl > 0, out, 0.0)
