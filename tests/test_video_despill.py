"""Spill of screens of every colour: one channel or two held down on the rim
(holopack.video.despill), checked against the screen's excess written out in numpy."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from _matte_measures import key_clip
from _video_clips import disc_over_screen
from scipy import ndimage

from holopack.video import despill

MAGENTA = (190, 40, 200)
YELLOW = (200, 190, 40)
CYAN = (40, 190, 200)


@pytest.mark.parametrize(
    "colour, mode",
    [
        ((40, 180, 60), 1),  # a green screen: green held
        ((35, 71, 181), 2),  # blue
        ((182, 34, 35), 0),  # red
        (MAGENTA, 3 + 1),  # red and blue over green
        ((255, 0, 255), 3 + 1),  # the two exactly alike
        (YELLOW, 3 + 2),  # red and green over blue
        ((172, 178, 17), 3 + 2),  # a yellow-green wall: green barely leads
        (CYAN, 3 + 0),  # green and blue over red
        ((128, 128, 128), -1),  # a grey: nothing
    ],
)
def test_a_key_colour_holds_down_the_channels_that_lead_it(colour, mode):
    assert despill.despill_mode(colour) == mode


def screen_excess(rgb: np.ndarray, screen) -> np.ndarray:
    """How far the screen's colour leads in rgb (..., 3), written out per screen: the
    channel that leads it over the larger other, or the smaller of the two that lead
    it over the third."""
    r, g, b = (rgb[..., c].astype(np.float64) for c in range(3))
    return {
        MAGENTA: np.minimum(r, b) - g,
        YELLOW: np.minimum(r, g) - b,
        CYAN: np.minimum(g, b) - r,
    }[tuple(screen)]


@pytest.mark.parametrize("mode", [0, 1, 2, 3, 4, 5])
def test_despilled_planes_lower_the_leading_channels_by_their_excess(mode):
    rng = np.random.default_rng(mode)
    picture = rng.integers(0, 256, (19, 23, 3)).astype(np.uint8)
    mask = (rng.uniform(size=(19, 23)) < 0.6).astype(np.uint8)
    planes = list(cv2.split(picture))
    despill.despill_planes(planes, mode, mask)
    got = cv2.merge(planes).astype(np.int64)
    want = picture.astype(np.int64)
    for y, x in zip(*np.nonzero(mask)):
        c = want[y, x].copy()
        if mode < 3:  # that channel down to the larger other
            c[mode] = min(c[mode], max(v for i, v in enumerate(c) if i != mode))
        else:  # the two others down together by their common part over channel mode - 3
            pair = [i for i in range(3) if i != mode - 3]
            spill = max(0, min(c[pair]) - c[mode - 3])
            c[pair] -= spill
        want[y, x] = c
    np.testing.assert_array_equal(got, want)


def disc_clip(tmp_path, screen, subject, keyed_elsewhere: bool = False, spill: float = 0.2):
    """_video_clips.disc_over_screen's disc of colour ``subject`` over a screen of colour
    ``screen``, a share ``spill`` of the screen's light on its rim: an H.264 MP4, or
    (keyed_elsewhere) a WebM keyed by colorkey -> (path, truth (N, H, W) float64)."""
    path = str(tmp_path / ("keyed.webm" if keyed_elsewhere else "screen.mp4"))
    return path, disc_over_screen(
        path, screen, subject, spill, count=10, x0=48, seed=3, keyed=keyed_elsewhere
    )


def rim_excess(path, truth, screen, key="auto"):
    """-> (the keying model, the largest per-frame mean excess of the screen's colour on
    the output's pixels within 3 px inside the disc's edge)."""
    worst = 0.0
    keyed = list(key_clip(path, key))  # ten frames of 128 px
    for i, (_, out, _) in enumerate(keyed):
        solid = truth[i] > 0
        rim = solid & (ndimage.distance_transform_edt(solid) <= 3) & (out.max(axis=-1) > 0)
        worst = max(worst, float(np.maximum(screen_excess(out, screen), 0.0)[rim].mean()))
    return keyed[-1][0], worst


GREY = (120, 120, 120)


@pytest.mark.parametrize("screen", [MAGENTA, CYAN])
def test_a_screen_of_two_leading_channels_keyed_by_difference_is_despilled(tmp_path, screen):
    # a magenta or cyan screen is no green or blue one: keyed by its clean plate, and its
    # light on the grey disc's rim taken off as a green screen's is
    path, truth = disc_clip(tmp_path, screen, GREY)
    model, spill = rim_excess(path, truth, screen)
    assert model.despill == despill.despill_mode(screen)
    assert "rim despilled" in model.key
    assert spill <= 2.0


def test_a_subject_of_the_walls_own_hue_is_not_despilled(tmp_path):
    # an orange disc before a yellow wall: its own yellow (green over blue) is far more
    # than the wall's light adds on its rim, so it is left as it is
    orange = (220, 140, 40)
    path, truth = disc_clip(tmp_path, YELLOW, orange)
    model, spill = rim_excess(path, truth, YELLOW)
    assert model.despill == -1
    assert spill > 60.0  # the disc's own colour, kept


def test_a_yellow_key_named_takes_the_yellow_off_the_rim(tmp_path):
    path, truth = disc_clip(tmp_path, YELLOW, GREY)
    model, spill = rim_excess(path, truth, YELLOW, key="#C8BE28")
    assert model.despill == 3 + 2
    assert spill <= 2.0


def test_a_clip_keyed_elsewhere_from_a_magenta_screen_has_its_rim_despilled(tmp_path):
    # (a tenth of the screen's light: with a fifth, colorkey's blend already makes the
    # rim part clear, and only opaque pixels are measured for the lean)
    path, truth = disc_clip(tmp_path, MAGENTA, GREY, keyed_elsewhere=True, spill=0.1)
    model, spill = rim_excess(path, truth, MAGENTA)
    assert model.alpha and model.despill == 3 + 1
    assert spill <= 2.0


def test_a_yellow_key_leaves_a_skin_coloured_rim_its_own_colour(tmp_path):
    # skin leads the yellow way by 40 codes of its own, the screen's light adds 30 more
    # on the rim: the despill takes the 30 off and leaves the 40 (taken off in full, the
    # rim of a face before a yellow wall turned purple)
    skin = (210, 160, 120)
    path, truth = disc_clip(tmp_path, YELLOW, skin)
    model, spill = rim_excess(path, truth, YELLOW, key="#C8BE28")
    assert model.despill == 3 + 2
    assert 36.0 <= model.despill_allowance <= 46.0
    assert 34.0 <= spill <= 48.0
