"""Viewer simulation: Numba kernel against the brute-force numpy reference, and the
physical properties a viewer would check."""

from __future__ import annotations

import numpy as np
import pytest
from _polar_helpers import small_profile

from holopack.device import ViewerSimulator, load_profile
from holopack.device.simulate import linear_to_srgb8
from holopack.device.simulate_reference import simulate_reference

CASES = {
    "shared": lambda: small_profile(leds=12, slices=24),
    "ccw-offset-hub": lambda: small_profile(
        leds=10, slices=30, direction="ccw", slice0=20.0, hub=4.0, led0="inner", size_mm=1.4
    ),
    "interleaved": lambda: small_profile(
        leds=8, slices=20, blades=((0.0, 0.0), (180.0, 0.5)), blade_data="per_blade", size_mm=1.5, hub=1.0
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_kernel_matches_reference(name):
    profile = CASES[name]()
    rng = np.random.default_rng(11)
    values = rng.random(profile.codes_shape).astype(np.float32)
    sim = ViewerSimulator(profile, 48, oversample=2)
    got = sim.render_linear(values).copy()
    ref = simulate_reference(values, profile, 48, oversample=2, angle_samples=600)
    # the reference samples the angular window at 600 points: differences of ~1e-3
    assert np.abs(got - ref).max() < 0.005
    assert np.abs(got - ref).mean() < 2e-4
    assert got.mean() > 0.2


def test_full_white_fills_the_disc_and_leaves_the_hub_dark():
    profile = small_profile(leds=10, slices=32, hub=6.0)  # pitch 2: disc radius 26 mm
    sim = ViewerSimulator(profile, 104, oversample=1)
    seen = sim.render_linear(np.ones(profile.codes_shape, np.float32))
    c = np.arange(104) + 0.5 - 52
    r = np.hypot(c[:, None], c[None, :]) * 26 / 52  # mm
    assert np.allclose(seen[(r > 6.3) & (r < 25.7)], 1.0, atol=1e-5)
    assert not seen[r < 5.7].any()  # hub: no LEDs
    assert not seen[r > 26.3].any()  # outside the disc


def test_led_gaps_show_and_interleaved_blades_fill_them():
    gappy = small_profile(leds=8, slices=32, size_mm=1.0)  # 1 mm LEDs at 2 mm pitch
    sim = ViewerSimulator(gappy, 128, oversample=1)
    seen = sim.render_linear(np.ones(gappy.codes_shape, np.float32))
    row = seen[64, 64:, 0]  # centre to the right edge
    assert row.min() == 0 and row.max() == 1  # dark gaps between lit rings
    lit_fraction = (row > 0.5).mean()
    assert 0.4 < lit_fraction < 0.6
    interleaved = small_profile(
        leds=8, slices=32, size_mm=1.0, blades=((0, 0), (180, 0.5)), blade_data="per_blade"
    )
    seen2 = ViewerSimulator(interleaved, 128, oversample=1).render_linear(
        np.ones(interleaved.codes_shape, np.float32)
    )
    row2 = seen2[64, 64:, 0]
    # each blade lights every other ring at half weight: no dark gaps, evenly half lit
    assert (row2[8:60] > 0.45).all()


def test_a_single_slice_lights_its_sector_on_the_right_side():
    """Slice 0 of a clockwise fan starting at 3 o'clock spans 0..45 deg clockwise on
    screen, i.e. just below the right-hand horizontal axis."""
    profile = small_profile(leds=16, slices=8, size_mm=2.0)
    values = np.zeros(profile.codes_shape, np.float32)
    values[0] = 1.0
    seen = ViewerSimulator(profile, 64, oversample=1).render_linear(values)[:, :, 0]
    ys, xs = np.nonzero(seen > 0.5)
    assert (xs >= 32).all() and (ys >= 32).all()  # lower-right quadrant
    angles = np.degrees(np.arctan2(ys + 0.5 - 32, xs + 0.5 - 32))
    assert angles.min() > -5 and angles.max() < 50


def test_codes_render_to_srgb_bytes():
    profile = load_profile("3dcircle-42f2")
    sim = ViewerSimulator(profile, 64)
    seen = sim.render(np.full(profile.codes_shape, 63, np.uint8))
    assert seen.dtype == np.uint8 and seen.shape == (64, 64, 3)
    assert seen[32, 32].tolist() == [255, 255, 255] and seen[0, 0].tolist() == [0, 0, 0]
    assert linear_to_srgb8(np.array([0.0, 0.18, 1.0])).tolist() == [0, 118, 255]
