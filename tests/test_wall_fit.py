"""The wall's picture fit (holopack.wall.fit_kernel) against its numpy twin, and the
box filter's own properties."""

from __future__ import annotations

import numpy as np
import pytest

from holopack.colour import SRGB8_TO_LINEAR
from holopack.wall.fit_kernel import fit_codes
from holopack.wall.fit_reference import fit_codes_reference
from holopack.wall.source import box_taps


def _taps(w, h, width, height, scale, left, top):
    ix, wx = box_taps(w, width, scale, left)
    iy, wy = box_taps(h, height, scale, top)
    return ix, wx, iy, wy


@pytest.mark.parametrize(
    "w, h, width, height, scale, left, top",
    [
        (320, 180, 150, 120, 0.43, 5.3, 21.7),  # shrunk, black bands above and below
        (257, 193, 211, 205, 0.79, 3.1, 26.2),  # shrunk a little, odd sizes
        (64, 48, 230, 170, 3.3, 9.6, 6.1),  # enlarged: source pixels as squares
        (90, 120, 200, 200, 1.61, 27.5, 3.4),  # portrait, enlarged
        (100, 100, 60, 60, 1.0, -20.25, -20.75),  # cut by the canvas on every side
    ],
)
def test_the_kernel_gives_the_numpy_twins_canvas_to_the_bit(w, h, width, height, scale, left, top):
    rng = np.random.default_rng(w * 7 + h)
    picture = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    taps = _taps(w, h, width, height, scale, left, top)
    got = fit_codes(picture, SRGB8_TO_LINEAR, *taps, width, height)
    want = fit_codes_reference(picture, SRGB8_TO_LINEAR, *taps, width, height)
    assert got.shape == (height, width, 3) and got.dtype == np.float32
    assert (want > 0).mean() > 0.3
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_a_shrunk_picture_keeps_its_light_and_a_flat_one_its_level():
    """Box averaging conserves light: the canvas's sum is the picture's times the area
    scale when the picture lands wholly inside; a flat grey stays that grey inside."""
    rng = np.random.default_rng(5)
    h, w, scale = 90, 160, 0.37
    picture = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    width, height = 80, 60
    taps = _taps(w, h, width, height, scale, 4.25, 9.5)
    canvas = fit_codes(picture, SRGB8_TO_LINEAR, *taps, width, height).astype(np.float64)
    light = SRGB8_TO_LINEAR[picture].astype(np.float64).sum(axis=(0, 1)) * scale * scale
    assert np.allclose(canvas.sum(axis=(0, 1)), light, rtol=1e-5)
    grey = np.full((h, w, 3), 118, np.uint8)
    flat = fit_codes(grey, SRGB8_TO_LINEAR, *taps, width, height)
    inside = flat[12:40, 8:60]  # canvas pixels wholly covered by the picture
    assert np.allclose(inside, SRGB8_TO_LINEAR[118], rtol=1e-6)
    assert flat[:9].max() == 0.0 and flat[:, :4].max() == 0.0  # black where no picture lands
