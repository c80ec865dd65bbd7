"""Viewer simulation: polar codes -> the picture a person sees in front of the fan.

Models LED size and the gaps between LEDs, the blades (interleaved ones fill each
other's gaps), the hub, and motion blur: an LED holds its colour for a whole slice, so
it paints the slice's arc, widened by its own size. See simulate_kernel.simulate.
"""

from __future__ import annotations

import math

import numpy as np

from .encode import decode_codes
from .profile import DeviceProfile
from .simulate_kernel import encode_srgb8, sample_polar, simulate


def _srgb_lut(n: int = 1 << 16) -> np.ndarray:
    v = (np.arange(n) / (n - 1)).astype(np.float64)
    e = np.where(v <= 0.0031308, 12.92 * v, 1.055 * np.power(v, 1 / 2.4) - 0.055)
    return np.floor(e * 255 + 0.5).astype(np.uint8)


_LUT = _srgb_lut()


def linear_to_srgb8(linear: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """float (..., 3) linear light in [0, 1] -> uint8 sRGB (exact formula, any shape)."""
    v = np.clip(linear, 0.0, 1.0)
    v = np.where(v <= 0.0031308, 12.92 * v, 1.055 * np.power(v, 1 / 2.4) - 0.055)
    if out is None:
        out = np.empty(v.shape, np.uint8)
    np.copyto(out, np.floor(v * 255 + 0.5), casting="unsafe")
    return out


class ViewerSimulator:
    """``render(codes) -> uint8 (size, size, 3) sRGB``; ``render_linear(values)`` takes
    linear polar values float32 (slices, columns, 3) and returns float32 (size, size, 3)
    linear light. ``oversample`` samples per pixel side smooth the LED edges."""

    def __init__(self, profile: DeviceProfile, size: int, oversample: int = 2):
        if not profile.is_polar:
            raise ValueError(f"profile {profile.name!r} is not a polar device")
        self.profile = profile
        self.size = int(size)
        self.oversample = int(oversample)
        S, C, _ = profile.codes_shape
        self._cum = np.zeros((S + 1, C, 3), np.float32)
        self._linear = np.empty((self.size, self.size, 3), np.float32)
        p = profile
        # a polar profile (checked above): the schema sets every one of its polar fields
        assert p.hub_radius_mm is not None and p.led_pitch_mm is not None and p.led_size_mm is not None
        assert p.leds_per_blade is not None and p.slice0_angle_deg is not None
        n = self.size * self.oversample
        self._r = np.empty((n, n), np.float64)
        self._theta = np.empty((n, n), np.float64)
        sample_polar(self.size, self.oversample, float(p.radius_mm), self._r, self._theta)
        self._args = (
            float(p.radius_mm),
            float(p.hub_radius_mm),
            float(p.led_pitch_mm),
            float(p.led_size_mm) / 2.0,
            int(p.leds_per_blade),
            np.array([b.radial_offset for b in p.blades], np.float64),
            np.array([math.radians(b.angle_deg) for b in p.blades], np.float64),
            p.blade_data == "per_blade",
            p.led0 == "outer",
            math.radians(p.slice0_angle_deg),
            float(p.slice_step_rad),
        )

    def render_linear(self, values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        if values.shape != self.profile.codes_shape:
            raise ValueError(f"expected {self.profile.codes_shape} values, got {values.shape}")
        np.cumsum(values, axis=0, dtype=np.float32, out=self._cum[1:])
        if out is None:
            out = self._linear
        (radius, hub, pitch, half, leds, radial, angle, per_blade, outer, theta0, step) = self._args
        simulate(
            self._cum,
            self._r,
            self._theta,
            self.oversample,
            radius,
            hub,
            pitch,
            half,
            leds,
            radial,
            angle,
            per_blade,
            outer,
            theta0,
            step,
            out,
        )
        return out

    def render(self, codes: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """uint8 (slices, columns, 3) codes -> a new (or ``out``) uint8 (size, size, 3) sRGB picture."""
        linear = self.render_linear(decode_codes(codes, self.profile))
        if out is None:
            out = np.empty((self.size, self.size, 3), np.uint8)
        encode_srgb8(linear, _LUT, out)
        return out
