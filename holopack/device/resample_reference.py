"""Plain-numpy references for the resampler, slow and obviously correct.

- ``apply_weights_reference``: the weighted sums of resample.apply_weights, one row at a time.
- ``sector_average_reference``: each LED's sector average by brute force, sampling the
  sector on a uniform (r, phi) grid with the polar area element, independent of the
  weight-table code.
"""

from __future__ import annotations

import numpy as np

from .profile import DeviceProfile


def apply_weights_reference(indptr, indices, weights, picture):
    """picture float32 (P, 3) -> float64 (R, 3): row r = sum of weights * picture[indices]."""
    rows = len(indptr) - 1
    out = np.zeros((rows, 3))
    for r in range(rows):
        lo, hi = indptr[r], indptr[r + 1]
        out[r] = (weights[lo:hi, None].astype(np.float64) * picture[indices[lo:hi]]).sum(axis=0)
    return out


def sector_average_reference(picture, profile: DeviceProfile, samples: int = 48):
    """Average of ``picture`` (N, N, 3) over every LED's sector, by dense sampling.

    Returns float64 (slices, columns, 3). Each sector gets ``samples`` x ``samples``
    midpoint samples in (r, phi); each sample takes the value of the pixel it falls in
    and counts with weight r (the area element r dr dphi).
    """
    n = picture.shape[0]
    centres, offsets = profile.column_geometry()
    scale = (n / 2.0) / profile.radius_mm
    half = profile.led_size_mm / 2.0
    step = profile.slice_step_rad
    start0 = np.radians(profile.slice0_angle_deg)
    out = np.zeros((profile.slices, profile.columns, 3))
    u = (np.arange(samples) + 0.5) / samples
    for c in range(profile.columns):
        r0 = max(centres[c] - half, 0.0) * scale
        r1 = (centres[c] + half) * scale
        r = r0 + (r1 - r0) * u  # (samples,)
        for s in range(profile.slices):
            phi = start0 + offsets[c] + step * (s + u)  # (samples,)
            x = n / 2.0 + r[:, None] * np.cos(phi)[None, :]
            y = n / 2.0 + r[:, None] * np.sin(phi)[None, :]
            j = np.clip(np.floor(x).astype(int), 0, n - 1)
            i = np.clip(np.floor(y).astype(int), 0, n - 1)
            w = np.broadcast_to(r[:, None], x.shape)
            out[s, c] = (picture[i, j] * w[..., None]).sum(axis=(0, 1)) / w.sum()
    return out
