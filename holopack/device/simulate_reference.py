"""Plain-numpy reference of the viewer simulation, by brute force.

For every output sample, every blade and every LED whose radial band holds the sample,
the angular window the LED's width covers is sampled at ``angle_samples`` points and the
slice under each point looked up directly: no prefix sums, no closed forms.
"""

from __future__ import annotations

import math

import numpy as np

from .profile import DeviceProfile


def simulate_reference(
    values, profile: DeviceProfile, size: int, oversample: int = 2, angle_samples: int = 400
):
    """values float (S, C, 3) linear -> float64 (size, size, 3) linear light."""
    S, L, B = profile.slices, profile.leds_per_blade, len(profile.blades)
    scale = profile.radius_mm / (size / 2.0)
    sub = (np.arange(oversample) + 0.5) / oversample
    coords = (np.arange(size)[:, None] + sub[None, :]).ravel() - size / 2.0
    y, x = np.meshgrid(coords * scale, coords * scale, indexing="ij")
    r = np.hypot(x, y)
    theta = np.arctan2(y, x)
    lit = (r >= profile.hub_radius_mm) & (r <= profile.radius_mm)
    half = profile.led_size_mm / 2.0
    half_angle = np.where(r > half / math.pi, half / np.maximum(r, 1e-12), math.pi)
    t = (np.arange(angle_samples) + 0.5) / angle_samples * 2.0 - 1.0  # [-1, 1]
    acc = np.zeros(r.shape + (3,))
    step = profile.slice_step_rad
    theta0 = math.radians(profile.slice0_angle_deg)
    for bl, blade in enumerate(profile.blades):
        per_blade = profile.blade_data == "per_blade"
        off = math.radians(blade.angle_deg) if per_blade else 0.0
        for k in range(L):
            centre = profile.hub_radius_mm + (k + 0.5 + blade.radial_offset) * profile.led_pitch_mm
            band = lit & (np.abs(r - centre) <= half)
            if not band.any():
                continue
            col = (bl * L if per_blade else 0) + (L - 1 - k if profile.led0 == "outer" else k)
            angles = theta[band][:, None] + half_angle[band][:, None] * t[None, :]
            slices = np.floor((angles - theta0 - off) / step).astype(int) % S
            acc[band] += values[slices, col].mean(axis=1)
    acc /= B
    return acc.reshape(size, oversample, size, oversample, 3).mean(axis=(1, 3))
