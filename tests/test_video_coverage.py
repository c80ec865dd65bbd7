"""The edge's coverage from the outline's geometry (holopack.video.matte.coverage_edge),
against area shares worked out here by hand."""

from __future__ import annotations

import numpy as np

from holopack.video.matte import COVERAGE_LEVEL, MATTE_GATE, coverage_edge


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
