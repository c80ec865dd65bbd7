"""The despill band (holopack.video.matte.edge_band and add_spill_band): where the
key's dominant channel is held to the others, checked on pictures drawn here."""

from __future__ import annotations

import numpy as np

from holopack.video.matte import EDGE_BAND_PX, SCREEN_CHROMA_SHARE, add_spill_band, edge_band

KEY_RGB = (30, 180, 60)


def key_uv(rgb) -> np.ndarray:
    # BT.601 chroma over brightness, written out: Cb, Cr * 100 / (Y + 16)
    r, g, b = (float(c) for c in rgb)
    y = 0.299 * r + 0.587 * g + 0.114 * b
    return np.array([0.564 * (b - y), 0.713 * (r - y)], np.float32) * np.float32(100.0 / (y + 16.0))


def subject_with_a_screen_gap():
    """A white subject filling the middle of a green frame, with an olive stripe on
    its left and a 2 px gap of the screen on its right that the matte holds solid."""
    frame = np.zeros((60, 80, 3), np.uint8)
    frame[...] = KEY_RGB
    alpha = np.zeros((60, 80), np.float32)
    frame[10:50, 10:70] = (235, 235, 235)
    alpha[10:50, 10:70] = 1.0
    frame[20:40, 25:28] = (85, 107, 47)  # the subject's own green: olive
    frame[15:45, 50:52] = KEY_RGB  # the gap, keyed solid
    return frame, alpha


def test_the_band_reaches_around_a_screen_gap_the_matte_holds_but_not_the_subjects_own_green():
    frame, alpha = subject_with_a_screen_gap()
    band = edge_band(alpha)
    # the matte's own band: only the keyed pixels within EDGE_BAND_PX of clear ones
    ys, xs = np.nonzero(band)
    assert (
        (ys < 10 + EDGE_BAND_PX)
        | (ys >= 50 - EDGE_BAND_PX)
        | (xs < 10 + EDGE_BAND_PX)
        | (xs >= 70 - EDGE_BAND_PX)
    ).all()
    assert band[30, 46] == 0
    add_spill_band(band, alpha, frame, key_uv(KEY_RGB))
    # every keyed pixel within EDGE_BAND_PX of the gap (a square reach) is in the band now
    assert band[15 - EDGE_BAND_PX : 45 + EDGE_BAND_PX, 50 - EDGE_BAND_PX : 52 + EDGE_BAND_PX].all()
    assert band[30, 50 - EDGE_BAND_PX - 1] == 0 and band[30, 52 + EDGE_BAND_PX] == 0
    # the olive stripe and the white around it, far from clear pixels and the gap, are not
    assert band[16:44, 20:33].sum() == 0
    # clear background never is
    assert band[alpha <= 0].sum() == 0


def test_no_key_colour_or_no_subject_leaves_the_band_as_it_was():
    frame, alpha = subject_with_a_screen_gap()
    band = edge_band(alpha)
    before = band.copy()
    add_spill_band(band, alpha, frame, np.zeros(2, np.float32))
    np.testing.assert_array_equal(band, before)
    empty = np.zeros_like(alpha)
    band = edge_band(empty)
    add_spill_band(band, empty, frame, key_uv(KEY_RGB))
    assert band.sum() == 0


def test_the_screen_test_is_the_chroma_distance_to_the_key_within_its_share():
    # px = 0: the band gains exactly the pixels of the screen's colour, which are the
    # pixels whose brightness-normalised chroma lies within SCREEN_CHROMA_SHARE of the
    # key's length from it, worked out here per pixel
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, (64, 64, 3)).astype(np.uint8)
    frame[::3, ::2] = np.clip(np.array(KEY_RGB) + rng.normal(0, 25, (22, 32, 3)), 0, 255).astype(np.uint8)
    alpha = np.ones((64, 64), np.float32)
    band = np.zeros((64, 64), np.uint8)
    key = key_uv(KEY_RGB)
    add_spill_band(band, alpha, frame, key, px=0)
    uv = np.array([[key_uv(p) for p in row] for row in frame])
    off = np.hypot(uv[..., 0] - key[0], uv[..., 1] - key[1]) / np.hypot(key[0], key[1])
    want = off <= SCREEN_CHROMA_SHARE
    clear_cut = np.abs(off - SCREEN_CHROMA_SHARE) > 1e-4
    assert 50 < want.sum() < 64 * 64 - 50
    np.testing.assert_array_equal(band.astype(bool)[clear_cut], want[clear_cut])
