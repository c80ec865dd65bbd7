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


def shading_normal(n, tangent, texel, scale, back) -> np.ndarray:
    """numpy twin of pbr.normal_mapped / normal_lanes: the unit shading normal (..., 3)
    from the interpolated normal n (..., 3), tangent (..., 4) (xyz, bitangent sign w),
    the normal map's texel (..., 3) in [0, 1] with its scale (...,), on faces whose
    back (...,) bool faces the viewer. glTF: N' = normalize(T x s + B y s + N z) for
    the texel mapped to [-1, 1], B = w N x T, with N and T at unit length, T made
    orthogonal to N; a back face flips N, T and B. Where the tangent is parallel to
    N or absent, N' = N."""
    n, tangent, texel = (np.asarray(x, np.float64) for x in (n, tangent, texel))
    back = np.asarray(back, bool)[..., None]
    scale = np.asarray(scale, np.float64)[..., None]
    length = np.linalg.norm(n, axis=-1, keepdims=True)
    n = np.where(length > 0, n / np.where(length > 0, length, 1.0), n)
    n = np.where(back, -n, n)
    t = tangent[..., :3] - np.sum(tangent[..., :3] * n, axis=-1, keepdims=True) * n
    t_length = np.linalg.norm(t, axis=-1, keepdims=True)
    t = np.where(back, -1.0, 1.0) * t / np.where(t_length > 1e-12, t_length, 1.0)
    w = np.where(tangent[..., 3:4] >= 0, 1.0, -1.0) * np.where(back, -1.0, 1.0)
    b = w * np.cross(n, t)
    p = 2.0 * texel - 1.0
    m = t * (p[..., 0:1] * scale) + b * (p[..., 1:2] * scale) + n * p[..., 2:3]
    m_length = np.linalg.norm(m, axis=-1, keepdims=True)
    ok = (t_length > 1e-12) & (m_length > 0)
    return np.where(ok, m / np.where(ok, m_length, 1.0), n)
