"""The studio environment: SH irradiance, GGX-prefiltered radiance and the split-sum
table, each against closed forms or brute-force quadrature written here (a plain
(theta, phi) midpoint grid, no importance sampling, no code shared with
holopack/rendering/environment.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from holopack.rendering import environment as envmod
from holopack.rendering.environment import (
    Environment,
    direction_to_uv,
    irradiance,
    prefiltered,
    project_irradiance,
    sh_basis,
    split_sum,
    studio,
    studio_radiance,
    texel_directions,
)


def _sphere_grid(rows: int):
    """(N, 3) directions and (N,) solid-angle weights of a midpoint (theta, phi) grid,
    theta measured from +Z here (unlike the environment's own +Y maps)."""
    theta = math.pi * (np.arange(rows) + 0.5) / rows
    phi = 2 * math.pi * (np.arange(2 * rows) + 0.5) / (2 * rows)
    theta, phi = np.meshgrid(theta, phi, indexing="ij")
    d = np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)], -1)
    w = np.sin(theta) * (math.pi / rows) * (math.pi / rows)
    return d.reshape(-1, 3), w.reshape(-1)


def _random_units(count: int, seed: int = 1) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(count, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _with_sh(sh) -> Environment:
    return Environment(
        sh=sh, specular=np.zeros((2, 2, 4, 3), np.float32), lut=np.zeros((2, 2, 2), np.float32)
    )


def test_the_sh_basis_is_orthonormal():
    d, w = _sphere_grid(200)
    y = sh_basis(d)
    gram = (y * w[:, None]).T @ y
    np.testing.assert_allclose(gram, np.eye(9), atol=1e-4)  # the midpoint rule's own error


def test_a_constant_environment_gives_pi_times_its_radiance():
    radiance = np.array([0.7, 0.2, 1.5])
    sh = project_irradiance(lambda d: np.tile(radiance, (len(d), 1)))
    normals = _random_units(200)
    np.testing.assert_allclose(
        irradiance(_with_sh(sh), normals), np.tile(math.pi * radiance, (200, 1)), rtol=1e-9
    )


def test_studio_irradiance_matches_brute_force_integration_within_one_percent():
    d, w = _sphere_grid(200)
    weighted = studio_radiance(d) * w[:, None]
    normals = np.concatenate([_random_units(100), np.eye(3), -np.eye(3)])
    brute = np.concatenate([np.maximum(part @ d.T, 0.0) @ weighted for part in np.array_split(normals, 8)])
    got = irradiance(studio(), normals)
    assert np.abs(got - brute).max() < 0.01 * brute.max()


def test_the_studio_is_neutral_and_lights_a_white_sphere_to_about_one():
    env = studio()
    normals = texel_directions(90, 180).reshape(-1, 3)
    e = irradiance(env, normals)
    np.testing.assert_allclose(e[:, 0], e[:, 1])
    np.testing.assert_allclose(e[:, 0], e[:, 2])
    assert 0.98 < e.max() / math.pi < 1.02  # a white Lambertian sphere's brightest point
    up, down = irradiance(env, np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]]))[:, 0]
    assert down < 0.2 * up  # dark floor, bright overhead
    assert np.all(env.specular[:, :, :, 0] == env.specular[:, :, :, 1])


def test_the_studio_is_built_once():
    assert studio() is studio()
    env = studio()
    assert env.sh.shape == (9, 3) and env.sh.dtype == np.float64
    assert env.specular.ndim == 4 and env.specular.shape[3] == 3 and env.specular.dtype == np.float32
    assert env.lut.shape[0] == env.lut.shape[1] and env.lut.shape[2] == 2 and env.lut.dtype == np.float32


def test_the_equirectangular_mapping_is_the_documented_one():
    d = np.array([[0.0, 0.0, -1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    u, v = direction_to_uv(d)
    np.testing.assert_allclose(u[:4], [0.5, 0.75, 0.0, 0.25], atol=1e-12)
    np.testing.assert_allclose(v, [0.5, 0.5, 0.5, 0.5, 0.0], atol=1e-12)
    h, w = 8, 16
    u, v = direction_to_uv(texel_directions(h, w).reshape(-1, 3))
    j, i = np.meshgrid(np.arange(w), np.arange(h))
    np.testing.assert_allclose(u, ((j + 0.5) / w).reshape(-1), atol=1e-12)
    np.testing.assert_allclose(v, ((i + 0.5) / h).reshape(-1), atol=1e-12)


def test_prefiltered_level_zero_is_the_radiance():
    env = studio()
    _, h, w, _ = env.specular.shape
    centres = texel_directions(h, w).reshape(-1, 3)
    np.testing.assert_allclose(prefiltered(env, centres, 0.0), studio_radiance(centres), rtol=1e-6)
    anywhere = _random_units(500)
    span = studio_radiance(centres).max()
    assert np.abs(prefiltered(env, anywhere, 0.0) - studio_radiance(anywhere)).max() < 0.02 * span


def _ggx_d(n_dot_h, alpha):
    a2 = alpha * alpha
    return a2 / (math.pi * ((n_dot_h * n_dot_h) * (a2 - 1) + 1) ** 2)


@pytest.mark.parametrize("level", [2, 3, 5])
def test_prefiltered_levels_match_a_brute_force_ggx_integral(level):
    # with N = V = R, Karis's estimator converges to the integral of L(l) D(h) (N.L)
    # over the hemisphere, divided by that of D(h) (N.L); h = normalise(R + l)
    env = studio()
    levels, h, w, _ = env.specular.shape
    roughness = level / (levels - 1)
    d, weight = _sphere_grid(240)
    radiance = studio_radiance(d)
    span = env.specular[level].max() - env.specular[level].min()
    centres = texel_directions(h, w)
    for i, j in ((3, 5), (10, 40), (16, 32), (24, 10), (30, 60)):
        r = centres[i, j]
        n_dot_l = d @ r
        half = d + r
        half /= np.linalg.norm(half, axis=1, keepdims=True)
        lobe = np.where(n_dot_l > 0, _ggx_d(half @ r, roughness**2) * n_dot_l * weight, 0.0)
        expected = (radiance * lobe[:, None]).sum(axis=0) / lobe.sum()
        got = prefiltered(env, r[None], roughness)[0]
        assert np.abs(got - expected).max() < 0.025 * span, (i, j)


def test_prefiltered_roughness_between_levels_is_linear():
    env = studio()
    levels = env.specular.shape[0]
    d = _random_units(50)
    low, high = prefiltered(env, d, 1 / (levels - 1)), prefiltered(env, d, 2 / (levels - 1))
    np.testing.assert_allclose(prefiltered(env, d, 1.25 / (levels - 1)), 0.75 * low + 0.25 * high, rtol=1e-12)


def test_split_sum_at_zero_roughness_is_schlick_fresnel_and_sums_to_one():
    env = studio()
    size = env.lut.shape[0]
    n_dot_v = (np.arange(size) + 1) / size
    fc = (1 - n_dot_v) ** 5
    np.testing.assert_allclose(env.lut[:, 0, 0], 1 - fc, atol=1e-6)
    np.testing.assert_allclose(env.lut[:, 0, 1], fc, atol=1e-6)
    np.testing.assert_allclose(split_sum(env, 1.0, 0.0).sum(axis=1), 1.0, atol=1e-6)


def test_split_sum_of_the_roughest_surface_seen_head_on_is_one_minus_ln2():
    # alpha = 1: D = 1 / pi and Vis = 0.5 / (N.L + N.V); with N.V = 1 and F0 = 1 the
    # integral of D Vis N.L is the integral over [0, 1] of mu / (1 + mu), 1 - ln 2
    ab = split_sum(studio(), 1.0, 1.0)[0]
    assert abs(ab.sum() - (1 - math.log(2))) < 0.005


def _brute_force_dfg(n_dot_v, roughness, rows=400):
    alpha = roughness**2
    a2 = alpha**2
    d, w = _sphere_grid(rows)
    v = np.array([math.sqrt(1 - n_dot_v**2), 0.0, n_dot_v])
    nl = d[:, 2]
    keep = nl > 0
    d, w, nl = d[keep], w[keep], nl[keep]
    h = d + v
    h /= np.linalg.norm(h, axis=1, keepdims=True)
    vis = 0.5 / (nl * np.sqrt(n_dot_v**2 * (1 - a2) + a2) + n_dot_v * np.sqrt(nl**2 * (1 - a2) + a2))
    f = _ggx_d(h[:, 2], alpha) * vis * nl * w
    fc = (1 - h @ v) ** 5
    return np.array([((1 - fc) * f).sum(), (fc * f).sum()])


@pytest.mark.parametrize("n_dot_v, roughness", [(0.9, 0.4), (0.5, 0.6), (0.25, 0.8), (0.75, 1.0)])
def test_split_sum_matches_brute_force_quadrature(n_dot_v, roughness):
    got = split_sum(studio(), n_dot_v, roughness)[0]
    np.testing.assert_allclose(got, _brute_force_dfg(n_dot_v, roughness), atol=0.01)


def test_split_sum_reads_the_table_at_its_grid_points():
    env = studio()
    size = env.lut.shape[0]
    i, j = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    got = split_sum(env, ((i + 1) / size).ravel(), (j / (size - 1)).ravel())
    np.testing.assert_allclose(got, env.lut.reshape(-1, 2), atol=1e-6)


def test_an_environment_from_any_radiance_function_is_consistent():
    # a sky that is bright towards +X only: irradiance and specular both follow it
    env = envmod.from_radiance(lambda d: np.repeat(np.maximum(d[:, :1], 0.0), 3, axis=1))
    e = irradiance(env, np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]]))[:, 0]
    # integral of max(x, 0) max(n.x, 0): 2 pi / 3 facing it; SH order 2 gives 0 behind
    # it only approximately
    assert abs(e[0] - 2 * math.pi / 3) < 0.03 * 2 * math.pi / 3 and e[1] < 0.05 * e[0]
    facing = prefiltered(env, np.array([[1.0, 0.0, 0.0]]), 0.0)[0, 0]
    assert facing > 0.95


def test_the_cached_studio_cannot_be_changed_by_accident():
    env = studio()
    for array in (env.sh, env.specular, env.lut):
        with pytest.raises(ValueError):
            array[(0,) * array.ndim] = 1.0
    assert hash(env) == hash(studio())
