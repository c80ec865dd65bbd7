"""The edge's coverage from the outline's geometry (holopack.video.matte.coverage_edge),
against area shares worked out here by hand."""

from __future__ import annotations

import numpy as np

from holopack.video.matte import COVERAGE_LEVEL, MATTE_GATE, coverage_edge, vector_length


def test_a_straight_outline_between_pixel_centres_gives_each_pixel_its_area_share():
    # the refined matte falls by 0.3 per pixel across a vertical outline at x = 20.3
    # (its COVERAGE_LEVEL line); pixel x spans [x - 0.5, x + 0.5], so the subject on
    # the left covers min(1, max(0, 20.3 - (x - 0.5))) of it
    outline, slope = 20.3, 0.3
    xs = np.arange(40, dtype=np.float64)
    row = np.clip(COVERAGE_LEVEL + slope * (outline - xs), 0.0, 1.0)
    matte = np.tile(row, (9, 1)).astype(np.float32)
    share = np.clip(outline - (xs - 0.5), 0.0, 1.0)
    share[share < MATTE_GATE] = 0.0
    out = coverage_edge(matte)
    assert out.dtype == np.float32
    # the middle row, on the ramp's straight part (Sobel reads the slope exactly there)
    np.testing.assert_allclose(out[4, 17:24], share[17:24], atol=1e-5)
    assert out[4, 21] == 0.0  # 0.2 px of the subject's light before the gate: none
    assert (out[:, :15] == 1.0).all() and (out[:, 26:] == 0.0).all()


def test_a_steep_outline_is_not_widened_and_a_flat_matte_is_cut_at_the_outline_level():
    # a binary outline stays binary where it lies on a pixel boundary
    matte = np.zeros((8, 8), np.float32)
    matte[:, :4] = 1.0
    np.testing.assert_array_equal(coverage_edge(matte), matte)
    # a flat patch (no outline in it) 0.1 below the outline's level is background, 0.1
    # above it subject: with no slope, the least slope (COVERAGE_MIN_SLOPE) decides
    flat = np.full((8, 8), COVERAGE_LEVEL, np.float32)
    assert (coverage_edge(flat - 0.1) == 0.0).all()
    assert (coverage_edge(flat + 0.1) == 1.0).all()


def test_the_edge_colour_places_a_mixed_pixel_where_the_outline_misses_it():
    # a vertical outline at x = 10.3 between a subject F and a plate B, each pixel the
    # exact linear-light mix of its area share; the refined matte's 0.55 line is 0.4 px
    # off (at x = 10.7), so the coverage alone misplaces the mixed pixels
    from holopack.video.matte import codes_to_linear, colour_edge

    outline = 10.3
    xs = np.arange(24, dtype=np.float64)
    share = np.clip(outline - (xs - 0.5), 0.0, 1.0)
    subject, plate = np.array([200.0, 140.0, 60.0]), np.array([40.0, 40.0, 44.0])
    f_lin, b_lin = codes_to_linear(subject).astype(np.float64), codes_to_linear(plate).astype(np.float64)
    linear = share[:, None] * f_lin + (1 - share[:, None]) * b_lin
    codes = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055) * 255
    frame = np.tile(np.round(codes).astype(np.uint8)[None], (9, 1, 1))
    background = np.tile(b_lin.astype(np.float32), (9, 24, 1))
    refined = np.tile(np.clip(COVERAGE_LEVEL + 0.3 * (10.7 - xs), 0, 1), (9, 1)).astype(np.float32)
    coverage = coverage_edge(refined)
    out = colour_edge(coverage, refined, frame, background)
    assert out.dtype == np.float32
    mixed = (coverage[4] > 0) & (coverage[4] < 1)
    assert mixed.any()
    # the colour's share is the area share, to the rounding of the codes
    np.testing.assert_allclose(out[4, mixed], share[mixed], atol=0.01)
    # (the coverage put 0.2 of the subject on pixel 11, which holds none; pixel 10,
    # 0.8 covered, it calls solid, and a solid pixel keeps its coverage)
    assert np.abs(coverage[4, mixed] - share[mixed]).max() > 0.15
    assert np.abs(out[4] - share).sum() < np.abs(coverage[4] - share).sum() - 0.15
    # solid and clear pixels keep the coverage: nothing is added to a clear one
    np.testing.assert_array_equal(out[:, ~mixed], coverage[:, ~mixed])
    # with the subject as dark as the plate the colour tells nothing: the coverage stands
    same = np.tile(np.round(np.full((24, 3), plate)).astype(np.uint8)[None], (9, 1, 1))
    np.testing.assert_array_equal(colour_edge(coverage, refined, same, background), coverage)


def test_the_slope_is_the_same_bits_wherever_its_arrays_lie_in_memory():
    # the same gradients copied to buffers that start 0..7 floats past an allocation:
    # every copy gives one result, sqrt(x^2 + y^2) correctly rounded per operation
    # (float64 then rounded to float32 lies within an ulp of it)
    rng = np.random.default_rng(5)
    gx = rng.normal(0, 0.2, (421, 419)).astype(np.float32)
    gy = rng.normal(0, 0.2, (421, 419)).astype(np.float32)
    results = []
    for offset in range(8):
        xs = np.empty(gx.size + 8, np.float32)[offset : offset + gx.size].reshape(gx.shape)
        ys = np.empty(gy.size + 8, np.float32)[offset : offset + gy.size].reshape(gy.shape)
        xs[...], ys[...] = gx, gy
        results.append(vector_length(xs, ys).copy())
    for other in results[1:]:
        np.testing.assert_array_equal(other, results[0])
    exact = np.sqrt(gx.astype(np.float64) ** 2 + gy.astype(np.float64) ** 2)
    np.testing.assert_allclose(results[0], exact, rtol=2.5e-7, atol=0)
