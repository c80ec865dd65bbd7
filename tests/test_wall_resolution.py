"""The wall's canvas resolution follows the fans' LED geometry, and a model drawn at it
still shows on a fan what a single fan's own export shows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from holopack import export
from holopack.device import load_profile
from holopack.formats.fanfile import open_fan_file
from holopack.wall import export_wall, parse_wall
from holopack.wall.canvas import canvas_geometry, finest_led_spacing_mm

ONE_FAN = 'device = "3dcircle-42f2"\n[[fans]]\nname = "A"\nx = 0.0\ny = 0.0\n'


def _profile(tmp_path, text):
    path = tmp_path / "p.toml"
    path.write_text(text)
    return load_profile(str(path))


def test_finest_spacing_of_the_42f2_is_its_led_pitch():
    # published geometry: 112 LEDs at 1.875 mm; the rim ring (centre 209.0625 mm) turns
    # 2 pi / 512 per slice = 2.566 mm, coarser than the pitch
    p = load_profile("3dcircle-42f2")
    assert finest_led_spacing_mm(p) == pytest.approx(1.875)


def test_finest_spacing_is_the_rim_spacing_when_rings_are_far_apart(tmp_path):
    p = _profile(
        tmp_path,
        'base = "diy-apa102"\nname = "sparse"\n[geometry]\nslices = 256\nleds_per_blade = 10\n'
        "hub_radius_mm = 0.0\nled_pitch_mm = 20.0\nled_size_mm = 2.0\n",
    )
    # rings every 10 mm (the second blade half a pitch out); the rim ring's centre is
    # 10 pitches out (9.5 + 0.5) = 200 mm and turns 2 pi / 256 per slice = 4.91 mm
    assert finest_led_spacing_mm(p) == pytest.approx(200.0 * 2 * math.pi / 256)


def test_slices_closer_than_an_led_is_wide_show_nothing_finer():
    # legacy-224: 2700 slices, 0.49 mm apart at the rim, under 1.875 mm LEDs
    p = load_profile("legacy-224")
    assert 209.0625 * 2 * math.pi / p.slices < 0.5
    assert finest_led_spacing_mm(p) == pytest.approx(1.875)


def test_interleaved_blades_halve_the_radial_spacing():
    # the DIY fan's second blade sits half a 6.944 mm pitch further out; its rim ring
    # (12 + 36 pitches = 262.0 mm) turns 2 pi / 240 = 6.86 mm per slice
    p = load_profile("diy-apa102")
    assert finest_led_spacing_mm(p) == pytest.approx(6.944 / 2)


def test_model_canvas_is_one_pixel_per_led_spacing_and_pictures_three():
    wall = parse_wall(ONE_FAN + '[[fans]]\nname = "B"\nx = 420.0\ny = 0.0\n', "w.toml")
    model = canvas_geometry(wall)
    picture = canvas_geometry(wall, media=True)
    assert model.px_per_mm == pytest.approx(1 / 1.875)
    assert (model.width, model.height) == (448, 224)
    assert picture.px_per_mm == pytest.approx(3 / 1.875)


@pytest.mark.slow
def test_one_fan_wall_of_the_twin_shows_what_a_single_fan_shows(tmp_path):
    """A one-fan wall frames the model as a single fan does. At the single fan's own
    render density (--size 672 across the fan) the files are the same bytes; at the
    wall's default density each LED is within a fraction of a 6-bit step on average."""
    (tmp_path / "w.toml").write_text(ONE_FAN)
    export(None, str(tmp_path / "SINGLE.BIN"), device="3dcircle-42f2", seconds=0.2, progress=False)
    single = open_fan_file(str(tmp_path / "SINGLE.BIN")).read_all().astype(np.float64)
    export_wall(None, tmp_path / "w.toml", str(tmp_path / "same"), seconds=0.2, size=672, progress=False)
    same = open_fan_file(str(tmp_path / "same" / "A.BIN")).read_all()
    np.testing.assert_array_equal(same, single.astype(np.uint8))
    export_wall(None, tmp_path / "w.toml", str(tmp_path / "wall"), seconds=0.2, progress=False, preview=False)
    wall = open_fan_file(str(tmp_path / "wall" / "A.BIN")).read_all().astype(np.float64)
    assert single.max() > 40  # the twin is lit
    # measured 0.40 codes and 34.8 dB (1 px per LED pitch); 0.21 and 39.6 dB at 2 px
    assert np.abs(wall - single).mean() < 0.5
    mse = np.mean(((wall / 63) ** 2.2 - (single / 63) ** 2.2) ** 2)
    assert 10 * math.log10(1 / mse) > 33.0
