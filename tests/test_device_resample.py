"""The area-weighted resampler: weights, kernel against references, analytic checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _polar_helpers import small_profile, with_render_size
from numba import njit

from holopack.device.resample_kernel import (
    Resampler,
    WeightTable,
    apply_weights,
    gather_tiled,
    sector_geometry,
    sum_tiles,
    tiled_table,
    weight_table,
)
from holopack.device.resample_reference import apply_weights_reference, sector_average_reference
from holopack.device.rgb_sum import weighted_rgb_sum

PROFILES = {
    "small": lambda: small_profile(),
    "ccw-inner-offset": lambda: small_profile(direction="ccw", led0="inner", slice0=33.0, hub=3.0, leds=12),
    "interleaved": lambda: small_profile(
        blades=((0.0, 0.0), (180.0, 0.5)), blade_data="per_blade", size_mm=3.0, hub=1.0, leds=10, slices=48
    ),
    "42f2": lambda: with_render_size("3dcircle-42f2", 224),
    "legacy": lambda: with_render_size("legacy-224", 224),
    "diy": lambda: with_render_size("diy-apa102", 160),
}


@pytest.mark.parametrize("name", list(PROFILES))
def test_rows_sum_to_one_and_uniform_stays_uniform(name):
    profile = PROFILES[name]()
    size = profile.render_size
    table = weight_table(profile, size)
    sums = np.add.reduceat(table.weights.astype(np.float64), table.indptr[:-1])
    assert np.all(np.diff(table.indptr) > 0)  # every sector lies in the picture
    assert np.allclose(sums, 1.0, atol=1e-5)
    assert table.indices.min() >= 0 and table.indices.max() < size * size
    colour = np.array([0.2, 0.5, 0.9], np.float32)
    picture = np.broadcast_to(colour, (size, size, 3)).copy()
    out = Resampler(profile, size).resample(picture)
    assert out.shape == profile.codes_shape
    assert np.allclose(out, colour, atol=2e-6)


@pytest.mark.parametrize("name", ["small", "interleaved", "42f2"])
def test_kernel_matches_numpy_reference(name):
    profile = PROFILES[name]()
    size = profile.render_size
    t = weight_table(profile, size)
    rng = np.random.default_rng(3)
    picture = rng.random((size * size, 3), dtype=np.float32)
    out = np.empty((t.indptr.size - 1, 3), np.float32)
    apply_weights(t.indptr, t.indices, t.weights, picture, out)
    ref = apply_weights_reference(t.indptr, t.indices, t.weights, picture)
    assert np.allclose(out, ref, rtol=1e-5, atol=1e-6)
    assert np.allclose(out, t.to_scipy() @ picture, rtol=1e-5, atol=1e-6)
    # the tiled kernel Resampler uses: same sums, with black tiles (skipped) and lit ones
    picture[: size * size // 3] = 0.0
    picture[size * size // 2 :: 7] = 0.0
    ref = apply_weights_reference(t.indptr, t.indices, t.weights, picture)
    resampled = np.full(profile.codes_shape, np.nan, np.float32)
    Resampler(profile, size, tile=16).resample(picture.reshape(size, size, 3), out=resampled)
    assert np.allclose(resampled.reshape(-1, 3), ref, rtol=1e-5, atol=1e-6)


@njit(cache=False)
def _rgb_sums(picture, offsets, weights, bounds):
    out = np.empty((bounds.shape[0], 3), np.float32)
    for i in range(bounds.shape[0]):
        out[i, 0], out[i, 1], out[i, 2] = weighted_rgb_sum(
            picture, offsets, weights, bounds[i, 0], bounds[i, 1]
        )
    return out


def test_vector_rgb_sum_is_the_scalar_sum():
    """The one-load-per-triple sum against float32 scalar arithmetic in the same order
    (bit-identical), on the picture's last triple too, where the ignored fourth lane is
    the one float past the last triple, and on empty ranges."""
    rng = np.random.default_rng(8)
    picture = rng.random(3 * 50 + 1, dtype=np.float32)
    picture[-1] = np.nan  # the ignored lane must not leak into the sums
    offsets = (3 * rng.integers(0, 50, 400)).astype(np.uint32)
    offsets[-3:] = 3 * 49
    weights = rng.random(400, dtype=np.float32)
    bounds = np.array([[0, 0], [0, 1], [5, 17], [17, 300], [300, 400], [399, 400], [7, 3]], np.int64)
    out = _rgb_sums(picture, offsets, weights, bounds)
    for (k0, k1), got in zip(bounds, out):
        want = np.zeros(3, np.float32)
        for k in range(k0, k1):
            want += weights[k] * picture[offsets[k] : offsets[k] + 3]
        assert np.array_equal(got, want)


def test_a_table_that_reads_the_last_pixel():
    """A table reaching the picture's last pixel needs one float past it: sum_tiles
    pads the picture then, and the kernel refuses a picture shorter than the span."""
    size = 4
    indptr = np.array([0, 2, 3, 5], np.int64)
    indices = np.array([0, 5, 15, 14, 15], np.int32)
    weights = np.array([0.25, 0.75, 1.0, 0.5, 0.5], np.float32)
    tiled = tiled_table(WeightTable(1, 3, size, indptr, indices, weights), 2)
    assert tiled.span == 3 * size * size + 1
    picture = np.random.default_rng(2).random(size * size * 3, dtype=np.float32)
    occupied = np.ones(tiled.grid**2, np.bool_)
    out = np.full(9, np.nan, np.float32)
    sum_tiles(tiled, occupied, picture, out)
    ref = apply_weights_reference(indptr, indices, weights, picture.reshape(-1, 3))
    assert np.allclose(out.reshape(-1, 3), ref, rtol=1e-6)
    with pytest.raises(ValueError, match="span"):
        gather_tiled(
            tiled.groupptr,
            tiled.reachptr,
            tiled.reach,
            tiled.order,
            tiled.indptr,
            tiled.offsets,
            tiled.weights,
            tiled.span,
            occupied,
            picture,
            out,
        )


@pytest.mark.parametrize("tile", [1, 7, 32, 1000])
def test_tiled_table_holds_every_entry_once(tile):
    profile = PROFILES["interleaved"]()
    size = profile.render_size
    table = weight_table(profile, size)
    tiled = tiled_table(table, tile)
    grid = -(-size // tile)
    assert tiled.grid == grid and tiled.groupptr[-1] <= len(tiled.order)
    assert sorted(tiled.order.tolist()) == list(range(table.indptr.size - 1))
    for j in range(0, len(tiled.order), 37):  # a sample of rows: same entries
        row = int(tiled.order[j])
        mine = sorted(
            zip(
                (tiled.offsets[tiled.indptr[j] : tiled.indptr[j + 1]] // 3).tolist(),
                tiled.weights[tiled.indptr[j] : tiled.indptr[j + 1]].tolist(),
            )
        )
        theirs = sorted(
            zip(
                table.indices[table.indptr[row] : table.indptr[row + 1]].tolist(),
                table.weights[table.indptr[row] : table.indptr[row + 1]].tolist(),
            )
        )
        assert mine == theirs
    # every row of a group reads exactly the group's tiles; groups go in raster order
    firsts = []
    for g in range(0, len(tiled.groupptr) - 1, max(1, len(tiled.groupptr) // 40)):
        reach = set(tiled.reach[tiled.reachptr[g] : tiled.reachptr[g + 1]].tolist())
        for row in tiled.order[tiled.groupptr[g] : tiled.groupptr[g + 1]]:
            pixels = table.indices[table.indptr[row] : table.indptr[row + 1]]
            assert set(((pixels // size // tile) * grid + (pixels % size) // tile).tolist()) == reach
        firsts.append(min(reach))
    assert firsts == sorted(firsts)


def test_occupied_map_skips_black_tiles_and_nothing_else():
    """A lit blob in one corner: scanning the picture, the exact map of lit tiles and an
    all-lit map give the same sums; a map that wrongly calls the blob's tiles black drops
    them (so the map is really used, not re-derived)."""
    profile = PROFILES["42f2"]()
    size = profile.render_size
    rng = np.random.default_rng(11)
    picture = np.zeros((size, size, 3), np.float32)
    picture[40:70, 150:190] = rng.random((30, 40, 3), dtype=np.float32)
    resampler = Resampler(profile, size, tile=32)
    t = weight_table(profile, size)
    ref = apply_weights_reference(t.indptr, t.indices, t.weights, picture.reshape(-1, 3))
    grid = resampler.tiled.grid
    exact = np.zeros((grid, grid), bool)
    exact[40 // 32 : 70 // 32 + 1, 150 // 32 : 190 // 32 + 1] = True
    for occupied in (None, exact, np.ones((grid, grid), bool)):
        out = np.full(profile.codes_shape, np.nan, np.float32)
        resampler.resample(picture, out=out, occupied=occupied)
        assert np.allclose(out.reshape(-1, 3), ref, rtol=1e-5, atol=1e-6)
    assert np.count_nonzero(ref.sum(1)) > 50
    out = resampler.resample(picture, occupied=np.zeros((grid, grid), bool))
    assert not np.any(out)
    with pytest.raises(ValueError, match="occupied"):
        resampler.resample(picture, occupied=np.ones((grid + 1, grid), bool))


@pytest.mark.parametrize("name", ["small", "ccw-inner-offset", "interleaved"])
def test_sector_averages_match_brute_force(name):
    profile = PROFILES[name]()
    size = profile.render_size
    rng = np.random.default_rng(5)
    # a smooth picture plus pixel noise: both geometry and per-pixel weights matter
    y, x = np.mgrid[0:size, 0:size] / size
    picture = np.stack([np.sin(6 * x) ** 2, y, x * y], axis=-1)
    picture = (picture + 0.3 * rng.random(picture.shape)).astype(np.float32)
    out = Resampler(profile, size).resample(picture)
    ref = sector_average_reference(picture, profile, samples=64)
    assert np.abs(out - ref).max() < 0.02
    assert np.abs(out - ref).mean() < 0.003


def test_linear_ramp_gives_the_analytic_sector_mean():
    """Over a ramp f = x (pixel centres), an LED's value is the mean of x over its
    sector: cx + (2/3)(r1^3 - r0^3)(sin p1 - sin p0) / ((r1^2 - r0^2)(p1 - p0))."""
    profile = with_render_size("3dcircle-42f2", 320)
    size = 320
    x = np.arange(size, dtype=np.float32) + 0.5
    picture = np.broadcast_to(x[None, :, None], (size, size, 3)).copy()
    out = Resampler(profile, size).resample(picture)[:, :, 0].ravel()
    r0, r1, p0, step = sector_geometry(profile, size)
    p1 = p0 + step
    expected = size / 2 + (2 / 3) * (r1**3 - r0**3) * (np.sin(p1) - np.sin(p0)) / ((r1**2 - r0**2) * step)
    err = np.abs(out - expected)
    # piecewise-constant pixels can move a mean by at most half a pixel
    assert err.max() < 0.5
    assert err.mean() < 0.05


def test_sectors_tile_the_disc():
    """For LEDs as wide as their pitch from the centre out, the sectors tile the disc, so
    summing weight x sector area over all LEDs gives each pixel's area inside the disc."""
    profile = with_render_size("3dcircle-42f2", 96)
    size = 96
    t = weight_table(profile, size)
    r0, r1, _, step = sector_geometry(profile, size)
    area = 0.5 * (r1**2 - r0**2) * abs(step)
    rows = np.repeat(np.arange(area.size), np.diff(t.indptr))
    coverage = np.bincount(t.indices, weights=t.weights * area[rows], minlength=size * size).reshape(
        size, size
    )
    c = (np.arange(size) + 0.5) - size / 2
    r = np.hypot(c[:, None], c[None, :])
    inside = r < size / 2 - 1
    outside = r > size / 2 + 1
    # the area integral is sampled at DENSITY points per pixel length: errors of a few %
    assert np.allclose(coverage[inside], 1.0, atol=0.05)
    assert np.abs(coverage[inside] - 1).mean() < 0.005
    assert np.all(coverage[outside] == 0)
    assert math.isclose(coverage.sum(), math.pi * (size / 2) ** 2, rel_tol=1e-3)


def test_slice_zero_starts_at_its_angle_and_turns_the_right_way():
    """A bright dot just clockwise (on screen) of 3 o'clock lands in slice 0 for a
    clockwise fan and in the last slice for a counter-clockwise one."""
    size = 64
    picture = np.zeros((size, size, 3), np.float32)
    picture[size // 2 + 1, size - 6] = 1.0  # right of centre, one row below: angle > 0
    cw = Resampler(small_profile(direction="cw"), size).resample(picture)
    ccw = Resampler(small_profile(direction="ccw"), size).resample(picture)
    assert np.argmax(cw[:, :, 0].max(axis=1)) == 0
    assert np.argmax(ccw[:, :, 0].max(axis=1)) == 63
    # LED 0 is the outer one: the dot near the rim lights a low LED index
    assert np.argmax(cw[0, :, 0]) <= 2
    inner = Resampler(small_profile(direction="cw", led0="inner"), size).resample(picture)
    assert np.argmax(inner[0, :, 0]) >= 13


def test_weight_tables_are_cached_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("HOLOPACK_CACHE_DIR", str(tmp_path))
    profile = small_profile(leds=9, slices=40, slice0=12.5)
    built = weight_table.__wrapped__(profile, 48)
    files = list((tmp_path / "weights").glob("*.npz"))
    assert len(files) == 1
    loaded = weight_table.__wrapped__(profile, 48)
    for name in ("indptr", "indices", "weights"):
        assert np.array_equal(getattr(built, name), getattr(loaded, name))
    # another geometry gets its own file; a damaged file is rebuilt, not trusted
    weight_table.__wrapped__(small_profile(leds=9, slices=40, slice0=13.0), 48)
    assert len(list((tmp_path / "weights").glob("*.npz"))) == 2
    files[0].write_bytes(b"not a table")
    again = weight_table.__wrapped__(profile, 48)
    assert np.array_equal(again.weights, built.weights)
    monkeypatch.setenv("HOLOPACK_CACHE_DIR", "")
    assert weight_table.__wrapped__(profile, 48).nnz == built.nnz
