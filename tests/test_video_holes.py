"""Holes in the matte: a part of the subject close to the backdrop is filled, a gap
that shows the backdrop is not (holopack.video.holes). The pictures are built here
with plain numpy: a ring of solid subject around a patch, the patch either the
backdrop plus zero-mean noise or the backdrop offset by a few codes plus the same noise."""

from __future__ import annotations

import numpy as np

from holopack.video.holes import fill_holes, subject_shift

NOISE = 1.5  # per channel, in YCbCr codes


def _ring_picture(patch_offset: float, open_side: bool, seed: int = 0):
    """-> (alpha (64, 64) float32, offset (64, 64, 3) float32, patch mask)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:64, 0:64]
    r = np.hypot(y - 32, x - 32)
    subject = (r <= 24) & (r > 12)
    patch = r <= 12
    if open_side:  # the patch reaches the outline: a notch through the ring to the right
        subject &= ~((np.abs(y - 32) <= 5) & (x > 32))
        patch |= (np.abs(y - 32) <= 5) & (x > 32) & (r <= 24)
    offset = rng.normal(0.0, NOISE, (64, 64, 3)).astype(np.float32)
    offset[subject] += np.float32(40.0)  # the subject stands far from the backdrop
    offset[patch, 0] += np.float32(patch_offset)
    alpha = np.where(subject, 1.0, 0.0).astype(np.float32)
    alpha[patch] = np.clip(rng.normal(0.25, 0.1, patch.sum()), 0, 0.45)  # faint, below solid
    return alpha, offset, patch


def test_an_enclosed_patch_offset_from_the_backdrop_is_filled():
    alpha, offset, patch = _ring_picture(patch_offset=6.0, open_side=False)
    out = fill_holes(alpha, offset, NOISE / 1.2)
    assert (out[patch] == 1.0).all()


def test_an_enclosed_patch_of_backdrop_and_noise_is_left_open():
    alpha, offset, patch = _ring_picture(patch_offset=0.0, open_side=False)
    alpha[patch] = 0.0  # the key calls the backdrop clear
    out = fill_holes(alpha, offset, NOISE / 1.2)
    assert (out[patch] == 0.0).all()


def test_a_faint_part_that_reaches_the_outline_is_filled_away_from_the_background():
    alpha, offset, patch = _ring_picture(patch_offset=6.0, open_side=True)
    out = fill_holes(alpha, offset, NOISE / 1.2)
    y, x = np.mgrid[0:64, 0:64]
    deep = patch & (np.hypot(y - 32, x - 32) <= 10)  # well inside, away from the clear outside
    assert (out[deep] == 1.0).all()
    assert (out[~patch & (alpha == 0)] == 0.0).all()  # the clear background stays clear


def test_the_clear_background_and_the_solid_subject_are_unchanged():
    alpha, offset, patch = _ring_picture(patch_offset=0.0, open_side=True)
    alpha[patch] = 0.0
    out = fill_holes(alpha, offset, NOISE / 1.2)
    np.testing.assert_array_equal(out, alpha)


def _coded_beside_the_subject(patch_offset: float, alpha_in_patch: float):
    """The ring picture as a codec leaves it: the backdrop beside the subject (up to 8 px
    outside it, where a codec's blocks also hold the subject) shifted by 5 luma codes,
    as the enclosed patch is (background) or more (a part of the subject)."""
    alpha, offset, patch = _ring_picture(patch_offset=patch_offset, open_side=False, seed=3)
    y, x = np.mgrid[0:64, 0:64]
    r = np.hypot(y - 32, x - 32)
    offset[(r > 24) & (r <= 32), 0] += np.float32(5.0)
    alpha[patch] = np.where(alpha[patch] > 0, alpha_in_patch, 0.0)
    return alpha, offset, patch


def test_a_gap_shifted_as_the_backdrop_beside_the_subject_is_left_open():
    # studio clip seed 21: the backdrop between arm and body shifted by the codec as a
    # whole, as much as the backdrop just outside the subject; the clip's own noise
    # (measured at the still border) is 0
    alpha, offset, patch = _coded_beside_the_subject(patch_offset=5.0, alpha_in_patch=0.2)
    out = fill_holes(alpha, offset, 0.0)
    np.testing.assert_array_equal(out[patch], alpha[patch])


def test_a_part_that_stands_out_from_the_coded_backdrop_is_still_filled():
    alpha, offset, patch = _coded_beside_the_subject(patch_offset=14.0, alpha_in_patch=0.2)
    out = fill_holes(alpha, offset, 0.0)
    assert (out[patch] == 1.0).all()


def _chroma_patch(cb_at_centre: float, cb_across: float):
    """The ring picture with the enclosed patch offset in Cb only, by ``cb_at_centre``
    plus ``cb_across`` times x / 10 (x from the centre, -10 to 10 over the core): a mean
    offset under the bar (3.5 codes) in either case."""
    alpha, offset, patch = _ring_picture(patch_offset=0.0, open_side=False, seed=5)
    x = np.mgrid[0:64, 0:64][1] - 32
    offset[patch, 1] += (cb_at_centre + cb_across * x[patch] / 10.0).astype(np.float32)
    return alpha, offset, patch


def test_an_enclosed_part_offset_coherently_in_chroma_is_filled_under_the_bar():
    # studio clips: a light band across the head, as bright as the backdrop behind it
    # and 1-3 codes off its chroma at every pixel, was cleared as background
    alpha, offset, patch = _chroma_patch(cb_at_centre=-3.0, cb_across=0.0)
    out = fill_holes(alpha, offset, 0.0)
    assert (out[patch] == 1.0).all()


def test_on_a_screen_a_gap_offset_coherently_in_chroma_is_left_open():
    # a green screen between arm and body, the codec's bleed of the subject's chroma into
    # it one way over the whole gap (coherence 1.23-1.28 on a fast walk at 320 px): a
    # part of the subject near a screen's own colour would be keyed out anyway
    alpha, offset, patch = _chroma_patch(cb_at_centre=-3.0, cb_across=0.0)
    out = fill_holes(alpha, offset, 0.0, screen=True)
    np.testing.assert_array_equal(out[patch], alpha[patch])
    # a part that stands out by its mean offset is filled on a screen too
    alpha, offset, patch = _ring_picture(patch_offset=6.0, open_side=False)
    out = fill_holes(alpha, offset, NOISE / 1.2, screen=True)
    assert (out[patch] == 1.0).all()


def test_a_coherent_hole_that_was_open_in_the_frame_before_is_left_open():
    # vignetted studio seed 22: a gap between arm and body, coherence 1.13 and 0.95 x the
    # bar in one frame, keyed clear in the frame before; the frames after carried it
    alpha, offset, patch = _chroma_patch(cb_at_centre=-3.0, cb_across=0.0)
    previous = np.where(alpha >= 0.5, 1.0, 0.0).astype(np.float32)
    out = fill_holes(alpha, offset, 0.0, previous)
    np.testing.assert_array_equal(out[patch], alpha[patch])
    # studio seed 24 with more noise: the gap faint, not clear, in the frame before
    previous[patch] = 0.3
    out = fill_holes(alpha, offset, 0.0, previous)
    np.testing.assert_array_equal(out[patch], alpha[patch])
    # the frame before held it as the subject: filled
    previous[patch] = 0.8
    out = fill_holes(alpha, offset, 0.0, previous)
    assert (out[patch] == 1.0).all()
    # a hole that stands out by its offset is filled whatever the frame before showed
    alpha, offset, patch = _ring_picture(patch_offset=6.0, open_side=False)
    previous = np.where(alpha >= 0.5, 1.0, 0.0).astype(np.float32)
    out = fill_holes(alpha, offset, NOISE / 1.2, previous)
    assert (out[patch] == 1.0).all()


def test_an_enclosed_gap_whose_chroma_varies_across_it_is_left_open():
    # a gap of backdrop with the codec's bleed of the subject's chroma, strong on the
    # body's side and gone on the other: as large a mean offset, but no coherent one
    alpha, offset, patch = _chroma_patch(cb_at_centre=-3.0, cb_across=6.0)
    alpha[patch] = 0.0
    out = fill_holes(alpha, offset, 0.0)
    np.testing.assert_array_equal(out[patch], alpha[patch])


def _joint_patch(cb_across: float):
    """The ring picture with the enclosed patch offset by -2.5 Cb plus cb_across times
    x / 10 (x from the centre) and +1 luma: a mean offset of about 0.77 x the bar (3.5
    codes) and, without cb_across, a chroma coherence of about 1.1 (under COHERENCE)."""
    alpha, offset, patch = _ring_picture(patch_offset=1.0, open_side=False, seed=7)
    x = np.mgrid[0:64, 0:64][1] - 32
    offset[patch, 1] += (-2.5 + cb_across * x[patch] / 10.0).astype(np.float32)
    return alpha, offset, patch


def test_a_hole_both_somewhat_coherent_and_somewhat_offset_is_filled():
    # studio clips: the grey parts of the head that each test alone left open (coherence
    # 0.82-1.17, offset 0.40-0.91 x the bar) mostly show both signs; gaps of backdrop not
    from holopack.video.holes import HOLE_OFFSET_MIN, JOINT_OFFSET, region_offsets

    alpha, offset, patch = _joint_patch(cb_across=0.0)
    labels = patch.astype(np.int32)
    _, shift, coherence = region_offsets(labels, patch, offset, 2, coherent=True)
    assert JOINT_OFFSET * HOLE_OFFSET_MIN < shift[1] < HOLE_OFFSET_MIN
    assert 1.0 < coherence[1] < 1.2
    out = fill_holes(alpha, offset, 0.0)
    assert (out[patch] == 1.0).all()


def test_a_hole_as_offset_whose_chroma_varies_across_it_is_left_open():
    alpha, offset, patch = _joint_patch(cb_across=4.0)
    alpha[patch] = 0.0
    out = fill_holes(alpha, offset, 0.0)
    np.testing.assert_array_equal(out[patch], alpha[patch])


def _slit_picture(slit_offset: float, seed: int = 11):
    """A solid square of subject (offset 40 codes) around a slit 3 px wide and 20 long:
    no pixel of it is CORE_PX (2) from the subject. -> (alpha, offset, slit mask)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:64, 0:64]
    subject = (np.abs(y - 32) <= 20) & (np.abs(x - 32) <= 20)
    slit = (np.abs(y - 32) <= 1) & (np.abs(x - 32) <= 10)
    subject &= ~slit
    offset = rng.normal(0.0, NOISE, (64, 64, 3)).astype(np.float32)
    offset[subject] += np.float32(40.0)
    offset[slit, 0] += np.float32(slit_offset)
    alpha = np.where(subject, 1.0, 0.0).astype(np.float32)
    return alpha, offset, slit


def test_a_thin_hole_offset_from_the_backdrop_is_filled():
    # studio clips: crescents 3-4 px wide beside the eyes had no core and were never tested
    alpha, offset, slit = _slit_picture(slit_offset=6.0)
    out = fill_holes(alpha, offset, 0.0)
    assert (out[slit] == 1.0).all()


def test_a_thin_hole_of_backdrop_or_of_a_small_offset_is_left_open():
    # a thin hole is tested nearer the mixed edge, against the bar raised by THIN_OFFSET:
    # 4 codes passes the bar (3.5) of a hole with a core, not a thin one's (4.2)
    for slit_offset in (0.0, 4.0):
        alpha, offset, slit = _slit_picture(slit_offset)
        out = fill_holes(alpha, offset, 0.0)
        np.testing.assert_array_equal(out[slit], alpha[slit])


def _moved(a: np.ndarray, dx: int) -> np.ndarray:
    """a (H, W, ...) moved right by dx >= 0 pixels, zeros coming in."""
    out = np.zeros_like(a)
    out[:, dx:] = a[:, : a.shape[1] - dx]
    return out


def _carried_pictures(patch_offset: float, dx: int = 4):
    """The ring picture this frame, and the previous frame's final matte: the same ring
    with its patch solid (found then), dx pixels to the left of where it is now."""
    alpha, offset, patch = _ring_picture(patch_offset, open_side=False)
    previous = np.where(patch | (alpha >= 1.0), 1.0, 0.0).astype(np.float32)
    alpha, offset, patch = _moved(alpha, dx), _moved(offset, dx), _moved(patch, dx)
    return alpha, offset, patch, previous


def test_a_part_found_in_the_frame_before_where_the_subject_moved_it_is_filled_under_the_bar():
    # 2.5 codes: under the hole test's bar (3.5) and over half of it
    alpha, offset, patch, previous = _carried_pictures(patch_offset=2.5)
    assert (fill_holes(alpha, offset, 0.0)[patch] < 1.0).all()  # one frame alone leaves it open
    out = fill_holes(alpha, offset, 0.0, previous)
    y, x = np.mgrid[0:64, 0:64]
    deep = np.hypot(y - 32, x - 36) <= 8  # the patch's pixels more than 3 px from its ring
    assert (out[deep] == 1.0).all()
    assert (out[alpha == 0] == 0.0)[~patch[alpha == 0]].all()  # clear background outside stays clear


def test_a_part_solid_before_only_where_the_subject_did_not_carry_it_is_left_open():
    # the previous matte held the patch 12 px off its carried place: nothing to carry
    alpha, offset, patch, previous = _carried_pictures(patch_offset=2.5)
    previous = np.zeros_like(previous)
    previous[8:56, 8:56] = 1.0
    previous[20:44, 28:52] = 0.0  # solid around, open where the ring's patch is carried to
    out = fill_holes(alpha, offset, 0.0, previous)
    np.testing.assert_array_equal(out[patch], fill_holes(alpha, offset, 0.0)[patch])


def test_a_gap_of_backdrop_covered_by_the_subject_before_is_left_open():
    # an arm that swept over a gap of backdrop: solid before, no offset now
    alpha, offset, patch, previous = _carried_pictures(patch_offset=0.0)
    alpha[patch] = 0.0
    out = fill_holes(alpha, offset, 0.0, previous)
    assert (out[patch] == 0.0).all()


def test_the_subject_shift_is_how_far_its_solid_part_moved():
    alpha, _, _ = _ring_picture(patch_offset=0.0, open_side=False)
    solid = np.where(alpha >= 1.0, 1.0, 0.0).astype(np.float32)
    for dx in (0, 3, 7):
        assert subject_shift(solid, _moved(solid, dx)) == (0, dx)
    now = np.zeros_like(solid)  # moved down 5 and left 2
    now[5:, :-2] = solid[:-5, 2:]
    assert subject_shift(solid, now) == (5, -2)
    assert subject_shift(np.zeros_like(solid), now) == (0, 0)  # nothing solid before
