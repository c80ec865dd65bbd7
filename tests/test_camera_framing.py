"""Framing: every vertex of the clip lands inside the fan's circle, from any yaw."""

import numpy as np
import pytest

from holopack.rendering.camera import Framing, bounding_sphere, fit_camera, look_at, orthographic, perspective


def _ndc(points, cam):
    homo = np.c_[points, np.ones(len(points))]
    clip = (cam.projection @ cam.view @ homo.T).T
    return clip[:, :3] / clip[:, 3:4]


@pytest.mark.parametrize("fov", [0.0, 20.0, 30.0, 60.0])
@pytest.mark.parametrize("yaw,pitch", [(0, 0), (37, 0), (90, 15), (200, -30)])
def test_fitted_points_inside_circle(fov, yaw, pitch):
    rng = np.random.default_rng(1)
    pts = rng.normal(size=(3000, 3)) * [0.3, 1.0, 0.2] + [5, -2, 1]
    framing = Framing(yaw=yaw, pitch=pitch, fov=fov, margin=0.1)
    cam = fit_camera(pts, framing)
    ndc = _ndc(pts, cam)
    r = np.hypot(ndc[:, 0], ndc[:, 1])
    assert r.max() <= 0.9 + 1e-6
    assert np.all(np.abs(ndc[:, 2]) < 1)  # nothing clipped by near/far
    # and the subject is not tiny: the sphere fills the circle, so the widest point is
    # at least half of it (an elongated cloud fills less than a round one)
    assert r.max() > 0.45


def test_turntable_axis_framing_holds_for_every_angle():
    rng = np.random.default_rng(2)
    pts = rng.uniform(-1, 1, size=(2000, 3)) * [2.0, 0.5, 0.3] + [1.0, 0.0, 0.0]
    for yaw in range(0, 360, 30):
        cam = fit_camera(pts, Framing(yaw=yaw, margin=0.05), spin_axis_points=True)
        ndc = _ndc(pts, cam)
        assert np.hypot(ndc[:, 0], ndc[:, 1]).max() <= 0.95 + 1e-6


def test_bounding_sphere_encloses_all_points():
    rng = np.random.default_rng(3)
    pts = rng.standard_cauchy(size=(500, 3))
    center, radius = bounding_sphere(pts)
    assert np.linalg.norm(pts - center, axis=1).max() <= radius * (1 + 1e-9)


def test_matrices_match_opengl_conventions():
    view = look_at([0, 0, 5], [0, 0, 0])
    proj = perspective(90.0, 1.0, 1.0, 10.0)
    # a point on the near plane maps to ndc z = -1, on the far plane to +1
    for z, expected in ((4.0, -1.0), (-5.0, 1.0)):
        clip = proj @ view @ np.array([0, 0, z, 1.0])
        assert clip[2] / clip[3] == pytest.approx(expected)
    # +Y up stays up; +X right stays right
    clip = proj @ view @ np.array([1.0, 2.0, 0.0, 1.0])
    assert clip[0] > 0 and clip[1] > 0
    ortho = orthographic(2.0, 2.0, 1.0, 3.0)
    assert (ortho @ np.array([2.0, -2.0, -1.0, 1.0]))[:3] == pytest.approx([1, -1, -1])


def _bird(rng):
    """A lopsided cloud: a round body and a long thin wing far out to one side."""
    body = rng.normal(size=(2000, 3)) * 0.3
    wing = np.c_[rng.uniform(0.3, 3.0, 1500), rng.normal(size=1500) * 0.05, rng.normal(size=1500) * 0.2]
    return np.concatenate([body, wing]) + [2.0, 1.0, -0.5]


@pytest.mark.parametrize("fov", [0.0, 30.0])
@pytest.mark.parametrize("yaw", [0, 70])
def test_drawn_box_is_centred_and_fills_the_circle_to_the_margin(fov, yaw):
    from holopack.rendering.camera import fit_drawn_box

    pts = _bird(np.random.default_rng(4))
    framing = Framing(yaw=yaw, fov=fov, margin=0.1)
    sphere = fit_camera(pts, framing)
    cam = fit_drawn_box(sphere, pts, [sphere.view], framing.margin)
    ndc = _ndc(pts, cam)
    lo, hi = ndc[:, :2].min(0), ndc[:, :2].max(0)
    assert np.hypot(*((lo + hi) / 2)) < 1e-6  # the box is centred
    assert np.hypot(ndc[:, 0], ndc[:, 1]).max() == pytest.approx(0.9, abs=1e-6)  # filled to the margin
    assert np.all(np.abs(ndc[:, 2]) < 1)  # nothing clipped in depth
    before = _ndc(pts, sphere)
    lo0, hi0 = before[:, :2].min(0), before[:, :2].max(0)
    assert np.hypot(*((lo0 + hi0) / 2)) > 0.03  # the sphere fit alone was off-centre


def test_drawn_box_holds_for_every_turntable_angle():
    from holopack.rendering.camera import camera_for_sphere, fit_drawn_box

    pts = _bird(np.random.default_rng(5))
    framing = Framing(margin=0.05)
    sphere = fit_camera(pts, framing, spin_axis_points=True)
    views = [
        camera_for_sphere(sphere.center, sphere.radius, Framing(yaw=-a, margin=0.05)).view
        for a in range(0, 360, 15)
    ]
    cam = fit_drawn_box(sphere, pts, views, framing.margin)
    reach = []
    for view in views:
        homo = np.c_[pts, np.ones(len(pts))]
        clip = (cam.projection @ view @ homo.T).T
        xy = clip[:, :2] / clip[:, 3:4]
        reach.append(np.hypot(xy[:, 0], xy[:, 1]).max())
    assert max(reach) <= 0.95 + 1e-6 and max(reach) > 0.9
