"""Sampling animation channels (glTF 2.0, section 3.11 "Animations").

A channel holds K keys; sampling it at time ``t`` gives one value of width C
(3 for translation/scale, 4 for a rotation quaternion x, y, z, w, T for morph
weights). Before the first key the first value holds, after the last key the last
one: the caller wraps looping time itself.

Interpolation:

* ``STEP``: the value of the last key at or before ``t``;
* ``LINEAR``: straight lines, except rotations, which are slerped along the
  shorter arc (the second quaternion's sign is flipped when the dot product is
  negative) and normalised;
* ``CUBICSPLINE``: cubic Hermite with the stored in/out tangents scaled by the key
  interval; rotations are normalised afterwards.

Few keys are involved per frame, so this is plain numpy; the results are float64.
"""

from __future__ import annotations

import math

import numpy as np

from ..scene.types import Channel


def sample_channel(channel: Channel, time: float) -> np.ndarray:
    """The channel's value at ``time``: (C,) float64."""
    return sample_keys(channel.times, channel.values, channel.interpolation, time, channel.path == "rotation")


def sample_keys(
    times: np.ndarray, values: np.ndarray, interpolation: str, time: float, is_rotation: bool = False
) -> np.ndarray:
    """Sample keyframes at ``time``.

    times  : (K,) strictly increasing
    values : (K, C) for LINEAR/STEP, (K, 3, C) [in-tangent, value, out-tangent] for
             CUBICSPLINE
    returns (C,) float64; unit length when ``is_rotation``.
    """
    cubic = interpolation == "CUBICSPLINE"
    last = len(times) - 1
    # index of the last key at or before time (-1 before the first key)
    k = int(np.searchsorted(times, time, side="right")) - 1
    if k < 0 or k >= last:
        key = 0 if k < 0 else last
        value = np.array(values[key, 1] if cubic else values[key], np.float64)
        return _normalised(value) if is_rotation else value

    t0 = float(times[k])
    t1 = float(times[k + 1])
    dt = t1 - t0
    s = (float(time) - t0) / dt
    if interpolation == "STEP":
        value = np.array(values[k], np.float64)
    elif cubic:
        v0 = values[k, 1].astype(np.float64)
        v1 = values[k + 1, 1].astype(np.float64)
        out0 = values[k, 2].astype(np.float64) * dt
        in1 = values[k + 1, 0].astype(np.float64) * dt
        s2 = s * s
        s3 = s2 * s
        value = (
            (2 * s3 - 3 * s2 + 1) * v0 + (s3 - 2 * s2 + s) * out0 + (-2 * s3 + 3 * s2) * v1 + (s3 - s2) * in1
        )
    elif is_rotation:
        return slerp(values[k], values[k + 1], s)
    else:
        v0 = values[k].astype(np.float64)
        v1 = values[k + 1].astype(np.float64)
        value = v0 + (v1 - v0) * s
    return _normalised(value) if is_rotation else value


def slerp(q0: np.ndarray, q1: np.ndarray, s: float) -> np.ndarray:
    """Spherical interpolation of quaternions (x, y, z, w) along the shorter arc.

    q0, q1 : (4,); returns (4,) float64 of unit length.
    """
    a = _normalised(np.asarray(q0, np.float64))
    b = _normalised(np.asarray(q1, np.float64))
    dot = float(a @ b)
    if dot < 0.0:  # q and -q are the same rotation: take the short way round
        b = -b
        dot = -dot
    if dot > 0.9995:
        # nearly parallel: sin(theta) ~ 0, linear interpolation is exact enough
        return _normalised(a + (b - a) * s)
    theta = math.acos(min(dot, 1.0))
    sin_theta = math.sin(theta)
    wa = math.sin((1.0 - s) * theta) / sin_theta
    wb = math.sin(s * theta) / sin_theta
    return _normalised(wa * a + wb * b)


def _normalised(q: np.ndarray) -> np.ndarray:
    norm = float(np.sqrt(q @ q))
    if norm < 1e-12:
        return np.array([0.0, 0.0, 0.0, 1.0]) if len(q) == 4 else q
    return q / norm
