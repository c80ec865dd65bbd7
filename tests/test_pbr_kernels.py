"""The PBR kernels beside their numpy twins: the BRDF (pbr.brdf_light vs
pbr_reference), the span shader's lane stages (pbr's *_lanes vs pbr_reference) and the
tone mapping (tonemap_kernel vs tonemap_reference)."""

from __future__ import annotations

import numpy as np
import pytest

from holopack.rendering import raster_kernel as raster
from holopack.rendering.pbr_kernel import brdf_light, view_terms
from holopack.rendering.pbr_reference import brdf_cos
from holopack.rendering.tangent_kernel import view_tangents as view_tangents_kernel
from holopack.rendering.tangent_reference import view_tangents as view_tangents_reference
from holopack.rendering.tonemap_kernel import ACES, NEUTRAL, NONE, tone_map
from holopack.rendering.tonemap_reference import neutral
from holopack.rendering.tonemap_reference import srgb8 as tonemap_srgb8
from holopack.rendering.tonemap_reference import tone_map as tone_map_reference


def _units(rng, count):
    v = rng.normal(size=(count, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_brdf_kernel_matches_its_numpy_twin():
    rng = np.random.default_rng(3)
    count = 2000
    n = _units(rng, count)
    v = _units(rng, count)
    v[np.sum(n * v, axis=1) < 0] *= -1  # the eye on the lit side, as in a picture
    l = _units(rng, count)
    base = rng.random((count, 3))
    metallic = rng.random(count)
    rough = 0.05 + 0.95 * rng.random(count)
    expected = brdf_cos(n, v, l, base, metallic, rough)
    got = np.zeros((count, 3))
    for i in range(count):
        m, a = metallic[i], rough[i] ** 2
        ndv = min(max(float(n[i] @ v[i]), 0.0), 1.0)
        f0 = 0.04 + (base[i] - 0.04) * m
        cd = base[i] * (1.0 - m)
        *cd_pi, view_term = view_terms(ndv, *cd, a * a)
        got[i] = brdf_light(*n[i], *v[i], *l[i], ndv, *cd_pi, *f0, a * a, view_term)
    assert np.count_nonzero(expected.max(axis=1) > 0) > count // 3
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name, code", [("none", NONE), ("neutral", NEUTRAL), ("aces", ACES)])
def test_tone_map_kernel_matches_its_numpy_twin(name, code):
    rng = np.random.default_rng(5)
    linear = (rng.random((48, 40, 3)) ** 3 * 6.0).astype(np.float32)  # HDR, mostly dark
    linear[0, 0] = np.nan
    lut, steps = raster.srgb_tables()
    alpha = np.ones(linear.shape[:2], np.float32)
    alpha[5:9] = 0.0  # uncovered rows: black in linear light, encoded as they are
    linear[5:9] = 0.0
    linear[6, 3] = 0.5  # (not tone-mapped where uncovered)
    color = np.full(linear.shape, 7, np.uint8)
    tone_map(linear, alpha, 1.3, code, lut, steps, color)
    assert np.all(color[5:9][alpha[5:9] == 0] == tonemap_srgb8(linear[5:9][alpha[5:9] == 0]))
    linear[6, 3] = 0.0
    color[6, 3] = 0
    expected = tone_map_reference(linear, 1.3, name)
    # the kernel encodes in float64 from float32 input: at most one code apart, at
    # the rare values that sit on a rounding edge
    diff = np.abs(color.astype(int) - expected.astype(int))
    assert diff.max() <= 1 and np.mean(diff > 0) < 0.01


def test_tone_map_writes_the_marked_tiles_only():
    rng = np.random.default_rng(6)
    linear = (rng.random((70, 50, 3)) * 3.0).astype(np.float32)
    alpha = np.ones(linear.shape[:2], np.float32)
    lut, steps = raster.srgb_tables()
    color = np.full(linear.shape, 7, np.uint8)
    # 16-pixel tiles, 5 down and 4 across (the last ones cut short by the picture's edges)
    tiles = np.zeros((5, 4), bool)
    tiles[0, 1] = tiles[2, 3] = tiles[4, 3] = True
    tone_map(linear, alpha, 1.0, NEUTRAL, lut, steps, color, tiles, 16)
    expected = tone_map_reference(linear, 1.0, "neutral")
    written = np.zeros(alpha.shape, bool)
    written[0:16, 16:32] = True
    written[32:48, 48:50] = True
    written[64:70, 48:50] = True
    assert np.all(color[~written] == 7)
    assert np.abs(color[written].astype(int) - expected[written].astype(int)).max() <= 1


def test_neutral_leaves_low_values_and_compresses_highlights_into_range():
    low = np.array([[0.3, 0.2, 0.1]])
    # below the knee PBR Neutral only subtracts its small toe offset
    assert np.allclose(neutral(low), low - 0.04)
    bright = neutral(np.array([[50.0, 20.0, 5.0], [1e4, 1e4, 1e4]]))
    assert np.all(bright <= 1.0 + 1e-12) and np.all(bright > 0.5)
    # a bright colour keeps its hue order while it desaturates
    assert bright[0, 0] > bright[0, 1] > bright[0, 2]


def test_lane_stages_match_their_numpy_twins():
    """The span shader's stages (pbr_kernel's *_lanes) on a lane table of random
    fragments, some normal-mapped, some back faces, some with a degenerate tangent or
    no normal: the shading normal against pbr_reference.shading_normal and the light
    reflected from two directional lights against brdf_cos."""
    from holopack.rendering import pbr_kernel as pbr
    from holopack.rendering.pbr_reference import shading_normal

    rng = np.random.default_rng(11)
    n = 97  # not a multiple of a vector's width: the loops' tails too
    lanes = np.full((pbr.Q_COLUMNS, 128), np.nan)  # lanes past n stay untouched
    normal = rng.normal(size=(n, 3)) * rng.uniform(0.2, 3.0, (n, 1))
    normal[0] = 0.0  # no normal at all: kept as it is
    eye = rng.normal(size=(n, 3))
    tangent = np.concatenate([rng.normal(size=(n, 3)), rng.choice([-1.0, 1.0], (n, 1))], axis=1)
    tangent[1, :3] = normal[1] * 2.0  # parallel to N: no frame, the normal map is skipped
    texel = rng.random((n, 3))
    scale = rng.uniform(0.0, 2.0, n)
    mapped = rng.random(n) < 0.7
    back = rng.random(n) < 0.3
    base = rng.random((n, 3))
    metallic = rng.random(n)
    rough = 0.05 + 0.95 * rng.random(n)
    for rows, values in (
        ((pbr.Q_NX, pbr.Q_NY, pbr.Q_NZ), normal),
        ((pbr.Q_EX, pbr.Q_EY, pbr.Q_EZ), eye),
        ((pbr.Q_TX, pbr.Q_TY, pbr.Q_TZ, pbr.Q_TW), tangent),
        ((pbr.Q_S0, pbr.Q_S1, pbr.Q_S2), texel),
        ((pbr.Q_R, pbr.Q_G, pbr.Q_B), base),
    ):
        lanes[list(rows), :n] = values.T
    lanes[pbr.Q_SCALE, :n] = scale
    lanes[pbr.Q_MAPPED, :n] = mapped
    lanes[pbr.Q_BACK, :n] = back
    lanes[pbr.Q_METALLIC, :n] = metallic
    lanes[pbr.Q_ROUGH, :n] = rough
    lights = [(_units(rng, 1)[0], np.array([1.0, 0.8, 0.6])), (_units(rng, 1)[0], np.array([0.3, 0.4, 2.0]))]
    pbr.unit_lanes(lanes, n, False)
    pbr.normal_lanes(lanes, n)
    pbr.material_lanes(lanes, n)
    for to_light, irradiance in lights:
        pbr.light_lanes(lanes, n, *to_light, *irradiance)

    expected_n = shading_normal(normal, tangent, texel, scale, back)
    unmapped = shading_normal(normal, np.zeros((n, 4)), texel, scale, back)
    expected_n[~mapped] = unmapped[~mapped]
    got_n = lanes[[pbr.Q_NX, pbr.Q_NY, pbr.Q_NZ], :n].T
    assert np.allclose(got_n, expected_n, rtol=1e-9, atol=1e-12)
    v = eye / np.linalg.norm(eye, axis=1, keepdims=True)
    expected = sum(brdf_cos(expected_n, v, l, base, metallic, rough) * e for l, e in lights)
    got = lanes[[pbr.Q_OR, pbr.Q_OG, pbr.Q_OB], :n].T
    assert np.count_nonzero(expected.max(axis=1) > 0) > n // 3
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-12)
    assert np.all(np.isnan(lanes[:, n:]))


def test_view_tangents_kernel_matches_its_numpy_twin():
    rng = np.random.default_rng(7)
    world = rng.normal(size=(20000, 4)).astype(np.float32)
    world[:, 3] = np.where(world[:, 3] < 0, -1.0, 1.0)
    world[100:300] = 0.0  # a primitive without tangents
    world[400, :3] = 0.0  # a degenerate tangent still has its sign
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    rotation = np.ascontiguousarray(q.T.astype(np.float32))
    attr = np.full((20010, 26), 5.0, np.float32)
    view_tangents_kernel(world, rotation, attr, 20)
    expected = view_tangents_reference(world, rotation)
    got = attr[:20000, 20:24]
    assert np.all(attr[:, :20] == 5.0) and np.all(attr[:, 24:] == 5.0) and np.all(attr[20000:] == 5.0)
    assert np.all(got[100:300] == 0.0) and not np.any(np.signbit(got[100:300]))
    assert np.array_equal(got[:, 3], expected[:, 3])
    # one rounding per fused step: at most a unit or two in the last place of numpy's product
    assert np.allclose(got, expected, rtol=1e-6, atol=1e-7)
