"""Channel sampling: each interpolation mode against facts that do not depend on
the implementation (polynomials, rotation angles, clamping)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from holopack.animate.clip import sample_channel, sample_keys, slerp
from holopack.scene.types import Channel


def axis_angle(axis, angle):
    axis = np.asarray(axis, np.float64) / np.linalg.norm(axis)
    return np.concatenate([axis * math.sin(angle / 2), [math.cos(angle / 2)]])


def angle_about(q, axis):
    """Signed rotation angle of unit quaternion q about ``axis`` (q must be about it)."""
    axis = np.asarray(axis, np.float64) / np.linalg.norm(axis)
    return 2 * math.atan2(float(q[:3] @ axis), float(q[3]))


def test_linear_is_a_straight_line_and_clamps_outside():
    times = np.array([1.0, 2.0, 4.0], np.float32)
    values = np.array([[0, 0, 0], [10, 20, 30], [10, 0, 30]], np.float32)
    ch = Channel(node=0, path="translation", interpolation="LINEAR", times=times, values=values)
    np.testing.assert_allclose(sample_channel(ch, 1.5), [5, 10, 15])
    np.testing.assert_allclose(sample_channel(ch, 3.0), [10, 10, 30])
    np.testing.assert_allclose(sample_channel(ch, 2.0), [10, 20, 30])
    np.testing.assert_allclose(sample_channel(ch, -5.0), [0, 0, 0])  # before the first key
    np.testing.assert_allclose(sample_channel(ch, 99.0), [10, 0, 30])  # after the last key
    single = Channel(0, "scale", "LINEAR", times[:1], values[1:2])
    np.testing.assert_allclose(sample_channel(single, 0.0), [10, 20, 30])
    np.testing.assert_allclose(sample_channel(single, 7.0), [10, 20, 30])


def test_step_holds_each_key_until_the_next():
    times = np.array([0.0, 1.0, 2.0], np.float32)
    values = np.array([[1.0], [2.0], [3.0]], np.float32)
    for t, expected in [(0.0, 1), (0.999, 1), (1.0, 2), (1.5, 2), (2.0, 3), (5.0, 3), (-1.0, 1)]:
        assert sample_keys(times, values, "STEP", t)[0] == expected


def test_cubicspline_reproduces_a_cubic_polynomial():
    # Hermite interpolation with exact derivatives as tangents is exact for cubics,
    # whatever the (uneven) key spacing: this checks the dt scaling of the tangents.
    coeffs = np.array([[0.5, -1.0, 2.0, 3.0], [-2.0, 0.25, 0.0, -1.0]])  # 2 components

    def f(t):
        return np.array([((c[0] * t + c[1]) * t + c[2]) * t + c[3] for c in coeffs])

    def df(t):
        return np.array([(3 * c[0] * t + 2 * c[1]) * t + c[2] for c in coeffs])

    times = np.array([0.0, 0.3, 1.0, 2.5], np.float64)
    values = np.stack([np.stack([df(t), f(t), df(t)]) for t in times])  # (K, 3, C)
    for t in np.linspace(0, 2.5, 23):
        np.testing.assert_allclose(sample_keys(times, values, "CUBICSPLINE", t), f(t), rtol=1e-12, atol=1e-12)
    # clamped to the key values, not the tangents, outside
    np.testing.assert_allclose(sample_keys(times, values, "CUBICSPLINE", -1.0), f(0.0))
    np.testing.assert_allclose(sample_keys(times, values, "CUBICSPLINE", 9.0), f(2.5))


def test_cubicspline_rotation_is_normalised():
    times = np.array([0.0, 1.0])
    q0 = axis_angle([0, 1, 0], 0.0)
    q1 = axis_angle([0, 1, 0], 1.5)
    tangent = np.array([0.3, 0.7, -0.2, 0.4])
    values = np.stack([np.stack([tangent, q0, tangent]), np.stack([tangent, q1, tangent])])
    for t in (0.0, 0.2, 0.5, 0.9, 1.0):
        q = sample_keys(times, values, "CUBICSPLINE", t, is_rotation=True)
        assert abs(np.linalg.norm(q) - 1) < 1e-12


def test_slerp_turns_at_constant_speed_about_the_axis():
    axis = [1, 2, -0.5]
    q0 = axis_angle(axis, 0.2)
    q1 = axis_angle(axis, 2.4)
    for s in np.linspace(0, 1, 11):
        q = slerp(q0, q1, s)
        assert abs(np.linalg.norm(q) - 1) < 1e-12
        assert angle_about(q, axis) == pytest.approx(0.2 + s * 2.2, abs=1e-9)


def test_slerp_takes_the_short_way_when_signs_differ():
    axis = [0, 0, 1]
    q0 = axis_angle(axis, 0.0)
    q1 = -axis_angle(axis, math.pi / 2)  # same rotation, opposite hemisphere
    mid = slerp(q0, q1, 0.5)
    # a quarter turn halved is an eighth of a turn, not the long way round
    assert abs(angle_about(mid, axis)) == pytest.approx(math.pi / 4, abs=1e-9)
    times = np.array([0.0, 1.0], np.float32)
    ch = Channel(0, "rotation", "LINEAR", times, np.stack([q0, q1]).astype(np.float32))
    q = sample_channel(ch, 0.5)
    assert abs(angle_about(q, axis)) == pytest.approx(math.pi / 4, abs=1e-6)


def test_slerp_of_nearly_equal_rotations_is_stable():
    q0 = axis_angle([0, 1, 0], 1.0)
    q1 = axis_angle([0, 1, 0], 1.0 + 1e-7)
    q = slerp(q0, q1, 0.5)
    assert np.all(np.isfinite(q))
    assert angle_about(q, [0, 1, 0]) == pytest.approx(1.0 + 5e-8, abs=1e-9)


def test_linear_rotation_keys_that_are_not_unit_are_normalised():
    times = np.array([0.0, 1.0], np.float32)
    values = np.array([[0, 0, 0, 2.0], [0, 0, 0, 3.0]], np.float32)
    ch = Channel(0, "rotation", "LINEAR", times, values)
    np.testing.assert_allclose(sample_channel(ch, 0.5), [0, 0, 0, 1])
    np.testing.assert_allclose(sample_channel(ch, -1), [0, 0, 0, 1])


def test_morph_weight_channels_sample_all_targets():
    times = np.array([0.0, 2.0], np.float32)
    values = np.array([[0, 1, 0.5], [1, 0, 0.5]], np.float32)
    ch = Channel(0, "weights", "LINEAR", times, values)
    np.testing.assert_allclose(sample_channel(ch, 0.5), [0.25, 0.75, 0.5])
