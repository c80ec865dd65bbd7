"""Dithering, quantisation and the per-frame PolarEncoder."""

from __future__ import annotations

import numpy as np
import pytest
from _polar_helpers import small_profile, with_render_size

from holopack.device import PolarEncoder, decode_codes, load_profile
from holopack.device.dither import Ditherer, bayer, blue_noise, legacy_level_thresholds


def test_threshold_maps_are_permutations_of_even_steps():
    for tile in (bayer(8), blue_noise(64)):
        n = tile.size
        assert np.allclose(np.sort(tile.ravel()), (np.arange(n) + 0.5) / n)


def test_blue_noise_has_little_low_frequency_energy():
    spectrum = np.abs(np.fft.fft2(blue_noise(64) - 0.5)) ** 2
    f = np.fft.fftfreq(64)
    radius = np.hypot(f[:, None], f[None, :])
    low = spectrum[(radius > 0) & (radius < 0.1)].mean()
    high = spectrum[radius > 0.3].mean()
    assert low < 0.1 * high
    white = np.abs(np.fft.fft2(np.random.default_rng(0).random((64, 64)) - 0.5)) ** 2
    assert low < 0.1 * white[(radius > 0) & (radius < 0.1)].mean()


@pytest.mark.parametrize("method", ["ordered", "blue-noise"])
@pytest.mark.parametrize("value", [0.0, 0.13, 0.5, 0.77, 1.0])
def test_dither_preserves_the_mean(method, value):
    profile = small_profile(bit_depth=2, slices=64, leds=64, dither=method)
    d = Ditherer(profile)
    codes = d.quantise(np.full(profile.codes_shape, value, np.float32))
    assert codes.min() >= 0 and codes.max() <= 3
    assert abs(codes.mean() / 3 - value) < 0.01
    # only the two codes around the value appear
    lo = int(np.floor(value * 3))
    assert set(np.unique(codes)) <= {lo, min(lo + 1, 3)}


def test_rounding_without_dither():
    profile = small_profile(bit_depth=6)
    values = np.random.default_rng(1).random(profile.codes_shape, dtype=np.float32)
    codes = Ditherer(profile, "none").quantise(values.copy())
    assert np.array_equal(codes, np.floor(values * 63 + 0.5).astype(np.uint8))


def test_dither_varies_per_frame_and_averages_out():
    profile = small_profile(
        bit_depth=1, leds=32, slices=32, dither="ordered", extra="dither_per_frame = true"
    )
    d = Ditherer(profile)
    value = np.full(profile.codes_shape, 0.3, np.float32)
    frames = [d.quantise(value.copy(), k).astype(float) for k in range(64)]
    assert not np.array_equal(frames[0], frames[1])
    # every position sees the value on average over time, not just on average over space
    assert np.abs(np.mean(frames, axis=0) - 0.3).max() < 0.1
    fixed = small_profile(bit_depth=1, leds=32, slices=32, dither="ordered")
    f = Ditherer(fixed)
    assert np.array_equal(f.quantise(value.copy(), 0), f.quantise(value.copy(), 5))


def test_legacy_pattern_follows_the_documented_table():
    # Rows of the 2 x 12 table in doc/ordered_dither.txt (level -> lit rays of an even
    # bit column); odd columns use the same rows shifted by 6 rays.
    table = {
        2: "100000000000",
        3: "100000100000",
        4: "110000100000",
        7: "111000111000",
        12: "111111111110",
        13: "111111111111",
    }
    thresholds = legacy_level_thresholds(24, 2)  # (rays, columns, channels)
    for level, row in table.items():
        lit_even = "".join("1" if level >= t else "0" for t in thresholds[:12, 0, 0])
        lit_odd = "".join("1" if level >= t else "0" for t in thresholds[:12, 1, 0])
        assert lit_even == row
        assert lit_odd == row[6:] + row[:6]
        assert thresholds[:12, 0, 1].tolist() == thresholds[:12, 1, 0].tolist()  # parity of LED + channel
    # 13 distinct duty cycles 0/12 .. 12/12
    profile = with_render_size("legacy-224", 96)
    d = Ditherer(profile)
    duties = set()
    for v255 in range(256):
        codes = d.quantise(np.full(profile.codes_shape, v255 / 255, np.float32))
        duties.add(round(codes[:12, 0, 0].mean() * 12))
        assert codes[:12, 0, 0].sum() == max(0, min(12, int(v255 / 17.01) - 1))
    assert duties == set(range(13))


def test_encoder_uniform_picture_gives_uniform_codes():
    profile = with_render_size("3dcircle-42f2", 160)
    enc = PolarEncoder(profile)
    grey = np.full((160, 160, 3), 0.18, np.float32)
    codes = enc.encode(grey, 0)
    assert codes.shape == (512, 112, 3) and codes.dtype == np.uint8
    expected = 0.18 ** (1 / 2.2) * 63
    assert set(np.unique(codes)) <= {int(np.floor(expected)), int(np.ceil(expected))}
    assert abs(codes.mean() - expected) < 0.05
    out = np.empty_like(codes)
    assert enc.encode(np.zeros_like(grey), 1, out=out) is out and not out.any()
    white = enc.encode(np.full_like(grey, 1.0), 2)
    assert (white == 63).all()
    # decoding the codes gives back the linear light within a quantisation step
    assert abs(decode_codes(codes, profile).mean() - 0.18) < 0.01


def test_brightness_limit_scales_linear_light():
    profile = load_profile("diy-apa102")
    enc = PolarEncoder(profile, 96)
    codes = enc.encode(np.ones((96, 96, 3), np.float32), 0)
    light = decode_codes(codes, profile)
    assert abs(light.mean() - profile.brightness_limit) < 0.01


def test_renderer_tile_map_gives_the_same_codes_as_scanning():
    """Export hands the resampler the renderer's map of lit tiles; the codes must be
    exactly those of a resampler that finds the black tiles by reading the picture."""
    from holopack.pipeline import ExportPlan, ExportSettings, default_twin
    from holopack.scene.load import load

    plan = ExportPlan(load(default_twin()), ExportSettings(device="3dcircle-42f2", seconds=1.0), None)
    for index in (0, 11, 23):
        picture = plan.source.picture(index)
        assert picture.tiles is not None and not picture.tiles.all()
        given = plan.encoder.encode(picture.linear_light(), index, occupied=picture.tiles).copy()
        scanned = plan.encoder.encode(picture.linear_light(), index).copy()
        assert np.array_equal(given, scanned) and given.any()


@pytest.mark.parametrize(
    "device,method,limit",
    [
        ("3dcircle-42f2", None, 1.0),
        ("diy-apa102", None, 0.6),
        ("legacy-224", None, 1.0),
        ("3dcircle-42f2", "none", 0.8),
    ],
)
def test_fused_quantiser_matches_numpy_reference(device, method, limit):
    from dataclasses import replace

    from holopack.device.quantise_kernel import encode_codes
    from holopack.device.quantise_reference import encode_codes_reference

    profile = replace(with_render_size(device, 64), brightness_limit=limit)
    ditherer = Ditherer(profile, method)
    rng = np.random.default_rng(17)
    linear = rng.random(profile.codes_shape, dtype=np.float32) ** 3  # mostly dark, as on a fan
    linear[rng.random(profile.codes_shape) < 0.5] = 0.0
    linear.flat[:6] = [np.nan, -0.5, 1.0, 1.5, np.inf, 1e-12]
    for frame in (0, 7):
        thresholds = ditherer.thresholds(frame)
        out = np.empty(profile.codes_shape, np.uint8)
        encode_codes(linear, thresholds, limit, 1.0 / profile.gamma, profile.max_code, out)
        expected, margin = encode_codes_reference(
            linear, thresholds, limit, profile.gamma, profile.max_code, margin=True
        )
        # float32 may round a value that lies within 1e-4 of a step to its other side
        differ = out.astype(int) != expected
        assert np.all(np.abs(out.astype(int) - expected) <= 1)
        assert np.all(margin[differ] < 1e-4) and differ.mean() < 1e-3
        assert out.max() <= profile.max_code and out.flat[0] == 0 and out.flat[1] == 0
    # the encoder uses it
    encoder = PolarEncoder(profile)
    codes = encoder.quantise(linear, 7)
    encode_codes(linear, encoder.ditherer.thresholds(7), limit, 1.0 / profile.gamma, profile.max_code, out)
    assert np.array_equal(codes, out)
