"""The Gaussian splat renderer: the Numba kernel against its numpy twin, and properties
of the 3DGS forward pass checked against closed forms that share no code with either."""

from __future__ import annotations

import math

import numpy as np
import pytest

from holopack.rendering import splat_reference
from holopack.rendering.camera import look_at, orthographic, perspective
from holopack.rendering.splats import SplatRenderer
from holopack.scene.types import Splats

SH_C0 = 0.28209479


def make_splats(means, scales, rotations=None, opacities=None, sh=None) -> Splats:
    means = np.asarray(means, np.float32).reshape(-1, 3)
    n = len(means)
    if rotations is None:
        rotations = np.tile([0.0, 0.0, 0.0, 1.0], (n, 1))
    if opacities is None:
        opacities = np.full(n, 0.9)
    if sh is None:
        sh = np.zeros((n, 1, 3))
    return Splats(
        means=means,
        scales=np.asarray(scales, np.float32).reshape(n, 3),
        rotations=np.asarray(rotations, np.float32).reshape(n, 4),
        opacities=np.asarray(opacities, np.float32).reshape(n),
        sh=np.asarray(sh, np.float32).reshape(n, -1, 3),
    )


def random_splats(rng, n: int, degree: int) -> Splats:
    q = rng.normal(size=(n, 4))
    splats = make_splats(
        rng.normal(0.0, 0.7, (n, 3)),
        np.exp(rng.normal(-2.3, 0.8, (n, 3))),
        q / np.linalg.norm(q, axis=1, keepdims=True),
        rng.uniform(0.0, 1.0, n),
        rng.normal(0.0, 0.6, (n, (degree + 1) ** 2, 3)),
    )
    # the degenerate ones: no extent, no opacity, behind the camera, huge, unnormalised
    # and zero quaternions, a splat at the camera's eye
    splats.scales[0] = 0.0
    splats.scales[1, 2] = 0.0
    splats.opacities[2] = 0.0
    splats.opacities[3] = 1.0 / 255.0 * 0.999
    splats.means[4] = (0.0, 0.0, 6.0)
    splats.means[5] = (0.3, 0.1, 3.4)  # just in front of the eye: enormous on screen
    splats.scales[6] = 40.0
    splats.rotations[7] = (0.0, 0.0, 0.0, 0.0)
    splats.rotations[8] *= 7.0
    splats.means[9] = (0.0, 0.0, 3.5)
    splats.means[10] = splats.means[11]  # two at one depth: file order decides
    return splats


def camera(kind: str):
    eye = np.array([0.0, 0.0, 3.5])
    view = look_at(eye, (0.0, 0.0, 0.0))
    if kind == "perspective":
        projection = perspective(40.0, 1.0, 0.2, 20.0)
    else:
        projection = orthographic(1.6, 1.6, 0.2, 20.0)
    return view, projection, eye


@pytest.mark.parametrize(
    "seed, degree, kind, size",
    [
        (0, 0, "perspective", (48, 40)),
        (1, 1, "perspective", (37, 53)),
        (2, 2, "orthographic", (40, 40)),
        (3, 3, "perspective", (64, 33)),
    ],
)
def test_numba_kernel_matches_numpy_reference(seed, degree, kind, size):
    rng = np.random.default_rng(seed)
    splats = random_splats(rng, 300, degree)
    view, projection, eye = camera(kind)
    colour, transmittance = SplatRenderer(size, supersample=1).blend(splats, view, projection)
    ref_colour, ref_transmittance = splat_reference.render(splats, view, projection, eye, *size)
    assert np.abs(colour - ref_colour).max() < 1e-5
    assert np.abs(transmittance - ref_transmittance).max() < 1e-5
    assert (transmittance < 1.0).mean() > 0.3  # the scene covers the picture: a real comparison


def test_supersampling_is_the_mean_of_the_finer_blend():
    rng = np.random.default_rng(5)
    splats = random_splats(rng, 200, 1)
    view, projection, _ = camera("perspective")
    fine, fine_t = SplatRenderer((66, 66), supersample=1).blend(splats, view, projection)
    picture = SplatRenderer((22, 22), supersample=3).draw(splats, view, projection)
    mean = np.clip(fine.reshape(22, 3, 22, 3, 3).mean(axis=(1, 3)), 0.0, 1.0)
    np.testing.assert_array_equal(picture.color, (mean * 255 + 0.5).astype(np.uint8))
    np.testing.assert_allclose(picture.alpha, 1.0 - fine_t.reshape(22, 3, 22, 3).mean(axis=(1, 3)), atol=1e-6)
    decoded = np.where(mean <= 0.04045, mean / 12.92, ((mean + 0.055) / 1.055) ** 2.4)
    np.testing.assert_allclose(picture.linear, decoded, atol=1e-6)
    # every pixel with light lies in a tile the map marks
    lit = picture.linear.any(axis=2)
    tiles = np.kron(picture.tiles, np.ones((32, 32), bool))[:22, :22]
    assert lit.any() and not (lit & ~tiles).any()


def pinhole(width: int):
    """A camera at the origin looking down -Z, 60 degree field of view: focal length in
    pixels = width / 2 / tan(30 degrees)."""
    return np.eye(4), perspective(60.0, 1.0, 0.1, 100.0), width / 2 / math.tan(math.radians(30.0))


def test_an_isotropic_splat_is_a_gaussian_of_focal_times_scale_over_depth():
    width = 64
    view, projection, focal = pinhole(width)
    depth, scale, opacity = 5.0, 0.15, 0.8
    red = (1.0 - 0.5) / SH_C0  # colour 1 in red, 0 in green and blue
    splats = make_splats(
        [0.0, 0.0, -depth], [scale] * 3, opacities=[opacity], sh=[[red, -0.5 / SH_C0, -0.5 / SH_C0]]
    )
    colour, transmittance = SplatRenderer((width, width), supersample=1).blend(splats, view, projection)
    sigma2 = (focal * scale / depth) ** 2 + 0.3  # + the low-pass filter's 0.3 px^2
    ys, xs = np.mgrid[0:width, 0:width] + 0.5
    r2 = (xs - width / 2) ** 2 + (ys - width / 2) ** 2
    expected = opacity * np.exp(-0.5 * r2 / sigma2)
    near = r2 < (2.0 * math.sqrt(sigma2)) ** 2  # well inside the 3-sigma box and the 1/255 cut
    np.testing.assert_allclose(colour[..., 0][near], expected[near], atol=1e-4)
    np.testing.assert_allclose(1.0 - transmittance[near], expected[near], atol=1e-4)
    assert abs(colour[..., 0].max() - opacity * math.exp(-0.5 * 0.5 / sigma2)) < 1e-4  # peak: nearest centres
    assert np.abs(colour[..., 1:]).max() == 0.0
    # nothing beyond where alpha falls below 1/255
    far = opacity * np.exp(-0.5 * r2 / sigma2) < 1.0 / 255.0 * 0.99
    assert colour[..., 0][far].max() == 0.0


def test_a_splat_far_outside_the_view_is_shaped_as_if_at_1_3_half_widths():
    """A splat whose centre is 3 half-widths right of the picture's middle, large enough
    to reach into it: its footprint is the closed form of 3DGS's clamped Jacobian (the
    centre's tx/tz taken at 1.3 tan(fov/2)), not the far wider one of its own place."""
    width = 64
    view, projection, focal = pinhole(width)
    depth, scale, opacity = 5.0, 2.0, 0.8
    tan_half = math.tan(math.radians(30.0))
    x = 3.0 * tan_half * depth
    splats = make_splats([x, 0.0, -depth], [scale] * 3, opacities=[opacity])
    _, transmittance = SplatRenderer((width, width), supersample=1).blend(splats, view, projection)
    centre = width / 2 + focal * x / depth  # 128 px: off the picture
    clamped = 1.3 * tan_half
    var_x = scale**2 * (focal / depth) ** 2 * (1.0 + clamped**2) + 0.3
    var_y = scale**2 * (focal / depth) ** 2 + 0.3
    radius = math.ceil(3.0 * math.sqrt(var_x))
    ys, xs = np.mgrid[0:width, 0:width] + 0.5
    expected = opacity * np.exp(-0.5 * ((xs - centre) ** 2 / var_x + (ys - width / 2) ** 2 / var_y))
    inside = (np.abs(xs - centre) <= radius) & (np.abs(ys - width / 2) <= radius) & (expected >= 1.0 / 255.0)
    assert inside.sum() > 200  # it reaches well into the picture
    np.testing.assert_allclose(1.0 - transmittance[inside], expected[inside], atol=1e-4)
    assert (1.0 - transmittance)[~inside].max() == 0.0


def test_a_splat_is_centred_at_its_projected_mean():
    width = 96
    view, projection, focal = pinhole(width)
    mean = np.array([0.37, -0.21, -4.0])
    splats = make_splats(mean, [0.08] * 3, opacities=[0.5], sh=[[0.5 / SH_C0] * 3])
    colour, _ = SplatRenderer((width, width), supersample=1).blend(splats, view, projection)
    weight = colour[..., 0]
    ys, xs = np.mgrid[0:width, 0:width] + 0.5
    centre = (np.sum(weight * xs) / weight.sum(), np.sum(weight * ys) / weight.sum())
    expected = (width / 2 + focal * mean[0] / -mean[2], width / 2 - focal * mean[1] / -mean[2])
    assert np.hypot(centre[0] - expected[0], centre[1] - expected[1]) < 0.05


def test_the_nearer_splat_covers_the_farther_whatever_the_file_order():
    view, projection, focal = pinhole(32)
    means = np.array([[0.0, 0.0, -3.0], [0.0, 0.0, -6.0]])  # near: red, far: green
    sh = np.array([[[0.5 / SH_C0, -0.5 / SH_C0, -0.5 / SH_C0]], [[-0.5 / SH_C0, 0.5 / SH_C0, -0.5 / SH_C0]]])
    scales = np.array([[0.3] * 3, [0.6] * 3])  # the same size on screen
    pictures = []
    for order in ([0, 1], [1, 0]):
        splats = make_splats(means[order], scales[order], opacities=[0.99, 0.99], sh=sh[order])
        pictures.append(SplatRenderer((32, 32), supersample=1).blend(splats, view, projection)[0])
    np.testing.assert_array_equal(pictures[0], pictures[1])
    # the pixel next to the centre (0.5 px off on each axis): the near splat takes alpha a
    # of the light, the far one a of what is left
    a = 0.99 * math.exp(-0.5 * 0.5 / ((focal * 0.1) ** 2 + 0.3))
    np.testing.assert_allclose(pictures[0][16, 16], [a, (1.0 - a) * a, 0.0], atol=1e-6)


def test_degree_zero_colour_is_c0_times_f_dc_plus_a_half():
    view, projection, _ = pinhole(17)  # the centre pixel's centre on the axis
    f_dc = np.array([-0.2, 0.3, 1.0, -3.0])
    sh = [[[f_dc[0], f_dc[1], f_dc[2]]], [[f_dc[3], f_dc[3], f_dc[3]]]]
    means = [[0.0, 0.0, -2.0], [50.0, 0.0, -2.0]]  # the second off screen...
    splats = make_splats(means, [[3.0] * 3, [3.0] * 3], opacities=[0.5, 0.5], sh=sh)
    colour, _ = SplatRenderer((17, 17), supersample=1).blend(splats, view, projection)
    expected = np.maximum(SH_C0 * f_dc[:3] + 0.5, 0.0)
    # a splat far larger than the picture: alpha is its opacity at the centre pixel
    np.testing.assert_allclose(colour[8, 8] / 0.5, expected, rtol=1e-6)
    black = make_splats(means[0], [3.0] * 3, opacities=[0.5], sh=[[f_dc[3]] * 3])  # ... and negative: 0
    assert SplatRenderer((17, 17), supersample=1).blend(black, view, projection)[0].max() == 0.0


def test_turning_the_quaternion_a_quarter_about_the_view_axis_turns_the_picture():
    view, projection, _ = pinhole(40)
    tilt = math.radians(30.0)  # an elongated Gaussian at 30 degrees from the x axis
    q = [0.0, 0.0, math.sin(tilt / 2), math.cos(tilt / 2)]
    quarter = math.radians(30.0 + 90.0)
    turned = [0.0, 0.0, math.sin(quarter / 2), math.cos(quarter / 2)]
    draw = SplatRenderer((40, 40), supersample=1)
    args = dict(opacities=[0.9], sh=[[0.5 / SH_C0] * 3])
    before, _ = draw.blend(make_splats([0, 0, -3.0], [0.4, 0.06, 0.06], [q], **args), view, projection)
    after, _ = draw.blend(make_splats([0, 0, -3.0], [0.4, 0.06, 0.06], [turned], **args), view, projection)
    assert np.abs(before - np.rot90(before)).max() > 0.3  # not symmetric under a quarter turn
    np.testing.assert_allclose(after, np.rot90(before), atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_radix_depth_order_is_numpys_stable_sort(seed):
    from holopack.rendering.splat_kernel import depth_order

    rng = np.random.default_rng(seed)
    n = 5000
    depth = rng.normal(0.0, 3.0, n) * 10.0 ** rng.integers(-30, 30, n)
    # ties, both zeros, infinities and the smallest subnormals, mixed in
    special = [0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, 1e-300, -1e-300, 5e-324, -5e-324]
    depth[rng.integers(0, n, n // 3)] = rng.choice(special, n // 3)
    visible = np.flatnonzero(rng.random(n) < 0.8).astype(np.int64)
    m = len(visible)
    order = np.empty(m, np.int64)
    scratch = (np.empty(m, np.uint64), np.empty(m, np.uint64), np.empty(m, np.int64))
    depth_order(depth.view(np.uint64), visible, order, scratch, np.empty(1 << 16, np.int64))
    np.testing.assert_array_equal(order, visible[np.argsort(depth[visible], kind="stable")])


def test_splats_listing_more_tiles_than_a_frame_draws_are_refused_naming_the_file(monkeypatch):
    from holopack.errors import InputError
    from holopack.rendering import splats as splats_module

    monkeypatch.setattr(splats_module, "MAX_ENTRIES", 100)
    view, projection, _ = pinhole(64)  # 16 tiles of 16 px
    huge = make_splats([[0.0, 0.0, -2.0]] * 7, [[5.0] * 3] * 7)  # each covers every tile: 112
    with pytest.raises(InputError, match="cover 112 tiles") as error:
        SplatRenderer((64, 64), supersample=1, path="capture.ply").draw(huge, view, projection)
    assert "capture.ply" in str(error.value)
    six = make_splats([[0.0, 0.0, -2.0]] * 6, [[5.0] * 3] * 6)  # 96 entries: drawn
    assert SplatRenderer((64, 64), supersample=1).draw(six, view, projection).alpha.min() > 0.9


def test_the_library_render_refuses_a_splat_scene_rather_than_draw_it_black():
    import holopack
    from holopack.errors import InputError
    from holopack.scene.scene import Scene

    splats = random_splats(np.random.default_rng(9), 50, 0)
    view, projection, _ = camera("perspective")
    with pytest.raises(InputError, match="SplatRenderer"):
        holopack.render(Scene(path="s.ply", splats=splats), view, projection, (40, 30))
