"""Texture decoding, mipmaps and the Numba trilinear sampler against numpy."""

import numpy as np
import pytest
from numba import njit

from holopack.colour import linear_to_srgb, srgb_to_linear
from holopack.rendering import texture_reference
from holopack.rendering.texel_mix import data_pointer, mix_texels, prefetch_texel
from holopack.rendering.texture_kernel import (
    CLAMP_TO_EDGE,
    LINEAR,
    LINEAR_MIPMAP_NEAREST,
    MIRRORED_REPEAT,
    NEAREST,
    NEAREST_MIPMAP_LINEAR,
    NEAREST_MIPMAP_NEAREST,
    REPEAT,
    TexturePool,
    decode_texture,
    drawn_filters,
    mip_chain,
    sample_trilinear,
    stored_chain,
)
from holopack.scene.types import Texture


@njit
def _sample_many(pool, levels, level_count, wrap, t, uv, d, out):
    for i in range(uv.shape[0]):
        r = sample_trilinear(
            pool, levels, level_count, wrap, t, uv[i, 0], uv[i, 1], d[i, 0], d[i, 1], d[i, 2], d[i, 3]
        )
        for c in range(4):
            out[i, c] = r[c]


@njit
def _mix_many(pool, rows, weights, out):
    for i in range(rows.shape[0]):
        out[i] = mix_texels(
            pool,
            rows[i, 0],
            rows[i, 1],
            rows[i, 2],
            rows[i, 3],
            weights[i, 0],
            weights[i, 1],
            weights[i, 2],
            weights[i, 3],
        )


def test_vector_texel_mix_is_the_weighted_sum():
    """Four RGBA16 texels per vector load: each channel stays in its lane, every row is
    the one asked for (the pool's last row included), float32 arithmetic within 1e-7 of
    float64 over the full 16-bit range."""
    rng = np.random.default_rng(9)
    pool = rng.integers(0, 65536, (300, 4)).astype(np.uint16)
    pool[-1] = (65535, 0, 12345, 1)
    rows = rng.integers(0, 300, (500, 4))
    rows[0] = 299
    weights = rng.random((500, 4)) / 65535.0
    out = np.zeros((500, 4))
    _mix_many(pool, rows, weights, out)
    expected = np.einsum("nk,nkc->nc", weights, pool[rows].astype(np.float64))
    assert np.allclose(out, expected, rtol=1e-6, atol=1e-9)
    assert np.allclose(out[0], weights[0].sum() * np.array([65535, 0, 12345, 1]), rtol=1e-6)


@njit
def _mix_many_at(pool, rows, weights, out):
    _mix_many_pointer(data_pointer(pool), rows, weights, out)


@njit
def _mix_many_pointer(texels, rows, weights, out):
    for i in range(rows.shape[0]):
        out[i] = mix_texels(
            texels,
            rows[i, 0],
            rows[i, 1],
            rows[i, 2],
            rows[i, 3],
            weights[i, 0],
            weights[i, 1],
            weights[i, 2],
            weights[i, 3],
        )


@njit
def _read_flat(array, indices, out):
    p = data_pointer(array)
    for i in range(indices.shape[0]):
        out[i] = p[indices[i]]


def test_texel_mix_through_a_pointer_equals_through_the_array():
    """The sampler hands mix_texels a pointer to the pool's first texel (data_pointer):
    the same rows, the same sums, to the bit."""
    rng = np.random.default_rng(10)
    pool = rng.integers(0, 65536, (300, 4)).astype(np.uint16)
    rows = rng.integers(0, 300, (500, 4))
    rows[0] = 299
    weights = rng.random((500, 4)) / 65535.0
    by_array = np.zeros((500, 4))
    by_pointer = np.zeros((500, 4))
    _mix_many(pool, rows, weights, by_array)
    _mix_many_at(pool, rows, weights, by_pointer)
    assert np.array_equal(by_array, by_pointer)


def test_data_pointer_reads_the_flattened_array_and_wants_it_contiguous():
    levels = np.arange(2 * 16 * 3, dtype=np.int64).reshape(2, 16, 3) * 7
    indices = np.array([0, 1, 47, 48, 95])
    out = np.zeros(5, np.int64)
    _read_flat(levels, indices, out)
    assert np.array_equal(out, levels.ravel()[indices])
    with pytest.raises(Exception, match="data_pointer"):
        _read_flat(levels[:, ::2], indices, out)


def test_srgb_round_trip_and_known_values():
    v = np.linspace(0, 1, 1001)
    assert np.allclose(linear_to_srgb(srgb_to_linear(v)), v, atol=1e-6)
    assert srgb_to_linear(np.array([0.5]))[0] == pytest.approx(0.21404, abs=1e-5)


def test_mip_chain_sizes_and_energy():
    rng = np.random.default_rng(1)
    img = rng.random((64, 32, 4)).astype(np.float32)
    chain = mip_chain(img)
    assert [lv.shape[:2] for lv in chain] == [(64, 32), (32, 16), (16, 8), (8, 4), (4, 2), (2, 1), (1, 1)]
    for lv in chain:  # power-of-two box filtering keeps the mean
        assert np.allclose(lv.mean(axis=(0, 1)), img.mean(axis=(0, 1)), atol=1e-5)
    odd = mip_chain(rng.random((5, 3, 4)).astype(np.float32))
    assert [lv.shape[:2] for lv in odd] == [(5, 3), (2, 1), (1, 1)]


@pytest.mark.parametrize(
    "wrap_s,wrap_t", [(REPEAT, REPEAT), (CLAMP_TO_EDGE, MIRRORED_REPEAT), (MIRRORED_REPEAT, CLAMP_TO_EDGE)]
)
def test_trilinear_matches_numpy(wrap_s, wrap_t):
    rng = np.random.default_rng(2)
    pixels = (rng.random((24, 40, 4)) * 255).astype(np.uint8)
    textures = [
        Texture(pixels=(rng.random((8, 8, 4)) * 255).astype(np.uint8)),
        Texture(pixels=pixels, wrap_s=wrap_s, wrap_t=wrap_t),
    ]
    pool, levels, level_count, wrap = TexturePool().pack(textures)
    k = 4000
    uv = rng.uniform(-3, 3, (k, 2))
    # derivatives from magnification to far beyond the smallest level
    d = rng.normal(size=(k, 4)) * (10.0 ** rng.uniform(-4, 0.5, (k, 1)))
    out = np.zeros((k, 4))
    _sample_many(pool, levels, level_count, wrap, 1, uv, d, out)
    chain = stored_chain(textures[1])
    expected = texture_reference.sample(
        chain, uv[:, 0], uv[:, 1], d[:, 0], d[:, 1], d[:, 2], d[:, 3], wrap_s, wrap_t
    )
    assert np.allclose(out, expected, atol=1e-9)
    # and the stored texels are the decoded ones to 16 bits
    assert all(
        np.abs(a - b).max() <= 0.5 / 65535 + 1e-7  # float32 levels
        for a, b in zip(chain, decode_texture(textures[1]))
    )


@pytest.mark.parametrize(
    "mag_filter,min_filter",
    [
        (NEAREST, NEAREST),
        (NEAREST, LINEAR),
        (LINEAR, NEAREST_MIPMAP_NEAREST),
        (NEAREST, LINEAR_MIPMAP_NEAREST),
        (NEAREST, NEAREST_MIPMAP_LINEAR),
        (NEAREST, None),
        (None, NEAREST),
        (LINEAR, NEAREST_MIPMAP_LINEAR),  # many exporters' default
        (NEAREST, NEAREST_MIPMAP_NEAREST),
    ],
)
def test_sampler_filters_match_numpy(mag_filter, min_filter):
    rng = np.random.default_rng(5)
    pixels = (rng.random((24, 40, 4)) * 255).astype(np.uint8)
    texture = Texture(
        pixels=pixels,
        wrap_s=MIRRORED_REPEAT,
        wrap_t=CLAMP_TO_EDGE,
        mag_filter=mag_filter,
        min_filter=min_filter,
    )
    pool, levels, level_count, wrap = TexturePool().pack([Texture(pixels=pixels[:8, :8]), texture])
    k = 4000
    uv = rng.uniform(-3, 3, (k, 2))
    d = rng.normal(size=(k, 4)) * (10.0 ** rng.uniform(-4, 0.5, (k, 1)))
    out = np.zeros((k, 4))
    _sample_many(pool, levels, level_count, wrap, 1, uv, d, out)
    chain = stored_chain(texture)
    mag, minify = drawn_filters(mag_filter, min_filter)
    expected = texture_reference.sample(
        chain, *uv.T, *d.T, MIRRORED_REPEAT, CLAMP_TO_EDGE, mag_filter=mag, min_filter=minify
    )
    assert np.allclose(out, expected, atol=1e-9)
    if mag_filter == NEAREST:  # magnified points read one texel of level 0, unblended
        # (stored_chain's levels are float32: within 2e-6, an eighth of a 16-bit step)
        h0, w0 = chain[0].shape[:2]
        rho = np.maximum(np.hypot(d[:, 0] * w0, d[:, 1] * h0), np.hypot(d[:, 2] * w0, d[:, 3] * h0))
        texels = chain[0].reshape(-1, 4)
        magnified = out[rho <= 1.0]
        assert len(magnified) > 100
        assert all(np.abs(texels - row).max(axis=1).min() < 2e-6 for row in magnified)


def test_texture_decoded_once_per_texture():
    rng = np.random.default_rng(3)
    tex = Texture(pixels=(rng.random((4, 4, 3)) * 255).astype(np.uint8))
    pool = TexturePool()
    a = pool.pack([tex])
    assert pool.pack([tex]) is a
    assert a[0].shape == (16 + 4 + 1, 4)
    assert np.all(a[0][:16, 3] == 65535)  # RGB without alpha is opaque


@pytest.mark.parametrize("wrap_mode", [REPEAT, CLAMP_TO_EDGE, MIRRORED_REPEAT])
def test_huge_and_broken_uvs_stay_inside_the_texture(wrap_mode):
    rng = np.random.default_rng(4)
    tex = Texture(pixels=(rng.random((6, 10, 4)) * 255).astype(np.uint8), wrap_s=wrap_mode, wrap_t=wrap_mode)
    pool, levels, level_count, wrap = TexturePool().pack([tex])
    uv = np.array([[1e18, -1e18], [-3e15, 7e16], [np.nan, 0.5], [np.inf, -np.inf], [0.5, 0.5]])
    d = np.zeros((len(uv), 4))
    out = np.zeros((len(uv), 4))
    _sample_many(pool, levels, level_count, wrap, 0, uv, d, out)
    assert np.all(np.isfinite(out))
    assert np.all(out >= -1e-6) and np.all(out <= 1 + 1e-6)


def test_prefetch_texel_is_only_a_hint():
    """texel_mix.prefetch_texel compiles for a pool pointer, changes nothing and may be
    given rows outside the pool (packed_maps asks for the next fragment's texels, which
    it clamps to the level but never checks against the pool)."""

    @njit
    def first_channels(pool, rows):
        p = data_pointer(pool)
        s = 0
        for r in rows:
            prefetch_texel(p, r)
            prefetch_texel(p, r + 1_000_000)
            prefetch_texel(p, -r - 1_000_000)
            s += p[4 * r]
        return s

    pool = np.arange(64, dtype=np.uint16).reshape(16, 4)
    before = pool.copy()
    assert first_channels(pool, np.array([3, 0, 15])) == 12 + 0 + 60
    assert np.array_equal(pool, before)


def _mip_chain_by_sub_texels(level0: np.ndarray) -> list[np.ndarray]:
    """Mip levels by cutting each texel of a side of n into k sub-texels (k = the next
    level's side, max(n // 2, 1)): n x k sub-texels, of which each next-level texel
    averages its own run of n, which is its span of the parent by area. The obviously
    correct form of mip_chain (whole images, float64; slow)."""
    levels = [np.asarray(level0, np.float32)]
    while levels[-1].shape[0] > 1 or levels[-1].shape[1] > 1:
        src = levels[-1].astype(np.float64)
        h, w = src.shape[:2]
        nh, nw = max(1, h // 2), max(1, w // 2)
        fine = src.repeat(nh, axis=0).repeat(nw, axis=1)  # (h nh, w nw, 4)
        levels.append(fine.reshape(nh, h, nw, w, 4).mean(axis=(1, 3)).astype(np.float32))
    return levels


@pytest.mark.parametrize("shape", [(64, 32), (5, 3), (1, 7), (7, 1), (33, 65), (2, 3), (211, 4)])
def test_mip_chain_is_the_area_average_of_each_texel_span(shape):
    rng = np.random.default_rng(sum(shape))
    img = (rng.random(shape + (4,)) * 3.0).astype(np.float32)
    got, expected = mip_chain(img), _mip_chain_by_sub_texels(img)
    assert [lv.shape for lv in got] == [lv.shape for lv in expected]
    for a, b in zip(got, expected):
        assert np.allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("n", [1023, 211, 13, 7, 3])
def test_odd_sided_mip_levels_keep_a_ramp_where_the_sampler_reads_it(n):
    """A texture whose value is u itself at each texel centre, u = (i + 0.5) / n: every
    mip level, read at its own texel centres (j + 0.5) / its width, must give about u
    back (the area average of a linear function over a span centred there is its value
    at the centre; of these steps, within 0.03 of the level's texel here). Pairs with
    the odd last texel folded in gave the pair centres (2 j + 1) / n instead: off by up
    to 0.49 of a texel of 211's level 1, 0.72 of level 2, 0.90 of 1023's level 4."""
    ramp = ((np.arange(n) + 0.5) / n).astype(np.float32)
    img = np.zeros((1, n, 4), np.float32)
    img[0, :, 0] = ramp
    img[0, :, 3] = 1.0
    pixels = np.round(img * 65535).astype(np.uint16)  # linear data, no sRGB curve
    texture = Texture(pixels=pixels, wrap_s=CLAMP_TO_EDGE, wrap_t=CLAMP_TO_EDGE)
    pool, levels, level_count, wrap = TexturePool().pack([], data=[texture])
    for index, level in enumerate(mip_chain(img)[1:], start=1):
        width = level.shape[1]
        centres = (np.arange(width) + 0.5) / width
        tolerance = 0.05 / width  # a twentieth of the level's texel
        assert np.abs(level[0, :, 0] - centres).max() < tolerance, width
        # the trilinear sampler at a footprint of 2**index level-0 texels reads that
        # level alone (an integer level of detail), and the same values
        uv = np.stack([centres, np.full(width, 0.5)], axis=1)
        d = np.tile([2.0**index / n, 0.0, 0.0, 0.0], (width, 1))
        out = np.zeros((width, 4))
        _sample_many(pool, levels, level_count, wrap, 0, uv, d, out)
        assert np.abs(out[:, 0] - centres).max() < tolerance + 1e-4, width  # + 16-bit texels


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_srgb_textures_decode_by_table_as_by_the_formula(dtype, channels):
    rng = np.random.default_rng(channels)
    top = np.iinfo(dtype).max
    pixels = rng.integers(0, top + 1, (19, 23, channels)).astype(dtype)
    pixels[0, :4, 0] = [0, 1, top - 1, top]  # both ends of the range
    got = decode_texture(Texture(pixels=pixels))
    # the formula on every texel, as decode_texture computed it before the table
    rgba = np.concatenate(
        [
            pixels[:, :, :1].repeat(3, 2) if channels < 3 else pixels[:, :, :3],
            pixels[:, :, 1:2]
            if channels == 2
            else pixels[:, :, 3:4]
            if channels == 4
            else np.full((19, 23, 1), top, dtype),
        ],
        axis=2,
    )
    values = rgba.astype(np.float32) / np.float32(top)
    values[:, :, :3] = srgb_to_linear(values[:, :, :3])
    expected = mip_chain(values)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert np.array_equal(a, b)
