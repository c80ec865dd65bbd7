"""Numba kernel: what a viewer sees of a spinning fan, pixel by pixel."""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _ring_integral(cum, total, col, ch, x, S):
    """Integral of a column's slice values from slice position 0 to x (any real x)."""
    turns = math.floor(x / S)
    y = x - turns * S
    s = int(y)
    if s >= S:
        s = S - 1
    frac = y - s
    return turns * total + cum[s, col, ch] + frac * (cum[s + 1, col, ch] - cum[s, col, ch])


@njit(parallel=True, cache=True)
def simulate(cum, size, oversample, radius_mm, hub_mm, pitch_mm, half_mm, leds, blade_radial,
             blade_angle, per_blade, led0_outer, theta0, step, out):
    """Time-averaged light at each output pixel.

    cum: float32 (S+1, C, 3) prefix sums over slices of the linear LED values.
    size: output side in px; the lit disc (radius_mm) fills the inscribed circle.
    oversample: samples per pixel side (averaged). hub_mm, pitch_mm: geometry; half_mm:
    half the LED size; leds: LEDs per blade. blade_radial (B,): radial offsets in pitches;
    blade_angle (B,): blade angles (radians; used for per-blade data only).
    theta0: start angle of slice 0; step: signed slice angle (radians).
    out: float32 (size, size, 3) linear light.

    An LED lights a pixel when the pixel's radius is within half its size of the LED's
    centre; it shows each slice's value while it sweeps that slice, and its own width
    (half_mm either side, as an angle at that radius) blurs the sweep: the pixel sees the
    average of the column's values over that angular window. Blades add, each weighted
    1 / B, so a point all blades light at full value is 1.
    """
    S = cum.shape[0] - 1
    B = blade_radial.shape[0]
    scale = radius_mm / (size / 2.0)
    astep = abs(step)
    inv = 1.0 / (oversample * oversample)
    for i in prange(size):
        for j in range(size):
            acc0 = 0.0
            acc1 = 0.0
            acc2 = 0.0
            for a in range(oversample):
                for b in range(oversample):
                    x = (j + (b + 0.5) / oversample - size / 2.0) * scale
                    y = (i + (a + 0.5) / oversample - size / 2.0) * scale
                    r = math.sqrt(x * x + y * y)
                    if r < hub_mm or r > radius_mm:
                        continue
                    theta = math.atan2(y, x)
                    half_angle = math.pi
                    if r > half_mm / math.pi:
                        half_angle = half_mm / r
                    hu = half_angle / astep
                    for bl in range(B):
                        base = hub_mm + (0.5 + blade_radial[bl]) * pitch_mm
                        k_lo = int(math.ceil((r - half_mm - base) / pitch_mm))
                        k_hi = int(math.floor((r + half_mm - base) / pitch_mm))
                        if k_lo < 0:
                            k_lo = 0
                        if k_hi > leds - 1:
                            k_hi = leds - 1
                        off = 0.0
                        first = 0
                        if per_blade:
                            off = blade_angle[bl]
                            first = bl * leds
                        u = (theta - theta0 - off) / step
                        for k in range(k_lo, k_hi + 1):
                            col = first + (leds - 1 - k if led0_outer else k)
                            for ch in range(3):
                                total = cum[S, col, ch]
                                if 2.0 * hu >= S:
                                    v = total / S
                                else:
                                    v = (_ring_integral(cum, total, col, ch, u + hu, S)
                                         - _ring_integral(cum, total, col, ch, u - hu, S)) / (2.0 * hu)
                                if ch == 0:
                                    acc0 += v
                                elif ch == 1:
                                    acc1 += v
                                else:
                                    acc2 += v
            out[i, j, 0] = acc0 * inv / B
            out[i, j, 1] = acc1 * inv / B
            out[i, j, 2] = acc2 * inv / B
