"""Numba kernels: what a viewer sees of a spinning fan, pixel by pixel."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..kernel_cache import refresh
from ..work_pool import run
from ..work_queue import claim

refresh(__file__, ["../work_queue.py"])  # the kernels compile the work queue's claim into themselves


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


def sample_polar(size, oversample, radius_mm, r_out, theta_out):
    """Radius (mm) and angle (radians, clockwise from 3 o'clock, y down) of every
    sample: float64 (size*oversample, size*oversample) each, filled in place. Rows are
    claimed by the threads of holopack.work_pool (no parallel kernel to compile)."""
    run(_polar_rows, np.zeros(1, np.int64), size, oversample, radius_mm, r_out, theta_out)


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _polar_rows(next_row, size, oversample, radius_mm, r_out, theta_out):
    """One thread's share of sample_polar: rows claimed from next_row."""
    n = size * oversample
    scale = radius_mm / (size / 2.0)
    a = claim(next_row)
    while a < n:
        y = ((a + 0.5) / oversample - size / 2.0) * scale
        for b in range(n):
            x = ((b + 0.5) / oversample - size / 2.0) * scale
            r_out[a, b] = math.sqrt(x * x + y * y)
            theta_out[a, b] = math.atan2(y, x)
        a = claim(next_row)


def simulate(
    cum,
    r_map,
    theta_map,
    oversample,
    radius_mm,
    hub_mm,
    pitch_mm,
    half_mm,
    leds,
    blade_radial,
    blade_angle,
    per_blade,
    led0_outer,
    theta0,
    step,
    out,
):
    """Time-averaged light at each output pixel.

    cum: float32 (S+1, C, 3) prefix sums over slices of the linear LED values.
    r_map, theta_map: float64 (size*oversample, size*oversample) from sample_polar.
    oversample: samples per pixel side (averaged). hub_mm, pitch_mm: geometry; half_mm:
    half the LED size; leds: LEDs per blade. blade_radial (B,): radial offsets in pitches;
    blade_angle (B,): blade angles (radians; used for per-blade data only).
    theta0: start angle of slice 0; step: signed slice angle (radians).
    out: float32 (size, size, 3) linear light.

    An LED lights a point when the point's radius is within half its size of the LED's
    centre; it shows each slice's value while it sweeps that slice, and its own width
    (half_mm either side, as an angle at that radius) blurs the sweep: the point sees the
    average of the column's values over that angular window. Blades add, each weighted
    1 / B, so a point all blades light at full value is 1. With shared data all blades sit
    at the same radii and show the same picture, so one blade stands for all of them.
    Rows are claimed by the threads of holopack.work_pool.
    """
    run(
        _simulate_rows,
        np.zeros(1, np.int64),
        cum,
        r_map,
        theta_map,
        oversample,
        radius_mm,
        hub_mm,
        pitch_mm,
        half_mm,
        leds,
        blade_radial,
        blade_angle,
        per_blade,
        led0_outer,
        theta0,
        step,
        out,
    )


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _simulate_rows(
    next_row,
    cum,
    r_map,
    theta_map,
    oversample,
    radius_mm,
    hub_mm,
    pitch_mm,
    half_mm,
    leds,
    blade_radial,
    blade_angle,
    per_blade,
    led0_outer,
    theta0,
    step,
    out,
):
    """One thread's share of simulate: output rows claimed from next_row."""
    S = cum.shape[0] - 1
    B = blade_radial.shape[0] if per_blade else 1
    size = out.shape[0]
    astep = abs(step)
    inv = 1.0 / (oversample * oversample * B)
    i = claim(next_row)
    while i < size:
        for j in range(size):
            acc0 = 0.0
            acc1 = 0.0
            acc2 = 0.0
            for a in range(i * oversample, (i + 1) * oversample):
                for b in range(j * oversample, (j + 1) * oversample):
                    r = r_map[a, b]
                    if r < hub_mm or r > radius_mm:
                        continue
                    theta = theta_map[a, b]
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
                            if 2.0 * hu >= S:
                                acc0 += cum[S, col, 0] / S
                                acc1 += cum[S, col, 1] / S
                                acc2 += cum[S, col, 2] / S
                                continue
                            for ch in range(3):
                                total = cum[S, col, ch]
                                v = (
                                    _ring_integral(cum, total, col, ch, u + hu, S)
                                    - _ring_integral(cum, total, col, ch, u - hu, S)
                                ) / (2.0 * hu)
                                if ch == 0:
                                    acc0 += v
                                elif ch == 1:
                                    acc1 += v
                                else:
                                    acc2 += v
            out[i, j, 0] = acc0 * inv
            out[i, j, 1] = acc1 * inv
            out[i, j, 2] = acc2 * inv
        i = claim(next_row)


def encode_srgb8(linear, lut, out):
    """float32 (H, W, 3) linear light -> uint8 sRGB through ``lut`` (uint8 (N,), index =
    round(clip(v, 0, 1) * (N - 1))). Rows on the threads of holopack.work_pool."""
    run(_encode_rows, np.zeros(1, np.int64), linear, lut, out)


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _encode_rows(next_row, linear, lut, out):
    """One thread's share of encode_srgb8: rows claimed from next_row."""
    n = lut.shape[0] - 1
    i = claim(next_row)
    while i < linear.shape[0]:
        for j in range(linear.shape[1]):
            for c in range(3):
                v = linear[i, j, c]
                if v < 0.0:
                    v = 0.0
                elif v > 1.0:
                    v = 1.0
                out[i, j, c] = lut[int(v * n + 0.5)]
        i = claim(next_row)
