"""The matte's refinements run in the subject's window and in small windows of their
own for stray keyed pixels far from it (matte.refinement_windows): the matte must be
the one a single window around everything gives, and the split must be left alone
where it could differ."""

from __future__ import annotations

import numpy as np
import pytest

from holopack.video import matte
from holopack.video.analyse import VideoModel
from holopack.video.matte import STRAY_GAP, WINDOW_PAD, key_matte, refinement_windows, subject_window

S = 200
LO, HI = 6.0, 18.0  # the plate's noise gate and full score (YCbCr distance)


def plate_model() -> VideoModel:
    params = np.array([1.0, LO, HI, 0.0, 0.0, 0.0, 8.0], np.float32)
    return VideoModel(
        width=S, height=S, frame_count=2, alpha=False, kind="studio", key="plate", use_plate=True,
        params=params, noise=1.5, edge_px=2,
    )  # fmt: skip


def scene(stray_offset: float, stray_size: int = 1, seed: int = 0):
    """A grey gradient plate and a frame with a soft-edged subject (a ring around a hole
    of backdrop, a patch nearly the backdrop's colour inside it) and stray pixels of
    ``stray_offset`` codes (one of them a square of ``stray_size``) far from it."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:S, 0:S].astype(np.float32)
    plate = np.stack([60 + 0.2 * x, 62 + 0.1 * y, 58 + 0.1 * (x + y)], -1).astype(np.float32)
    frame = plate + rng.normal(0, 1.0, plate.shape).astype(np.float32)
    r = np.hypot(y - 120.3, x - 131.7)
    cover = np.clip(46.0 - r, 0, 1) * np.clip(r - 11.0, 0, 1)  # ring, anti-aliased edges
    subject = np.array([190.0, 120.0, 90.0], np.float32)
    frame = cover[..., None] * subject + (1 - cover[..., None]) * frame
    frame[112:120, 150:160] += 5.0  # a faint patch of the subject, nearly the backdrop
    # stray pixels: above-left of the subject, so the single window's corner is theirs
    for sy, sx in ((13, 9), (29, 181), (181, 7)):
        frame[sy : sy + stray_size, sx : sx + stray_size] += stray_offset
    frame = np.clip(frame + 0.5, 0, 255).astype(np.uint8)
    return frame, plate


def ycbcr_plate(plate: np.ndarray) -> np.ndarray:
    return matte.ycbcr(plate)


def keyed(frame, plate, split: bool, monkeypatch) -> np.ndarray:
    model = plate_model()
    with monkeypatch.context() as m:
        if not split:
            m.setattr(matte, "refinement_windows", lambda alpha, window: [window])
        alpha, _ = key_matte(model, frame, ycbcr_plate(plate), plate, None)
    return alpha


def raw_matte(frame, plate) -> np.ndarray:
    """The matte kernel's alpha before any refinement."""
    seen = []
    original = matte.refinement_windows

    def record(alpha, window):
        seen.append(alpha.copy())
        return original(alpha, window)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(matte, "refinement_windows", record)
        key_matte(plate_model(), frame, ycbcr_plate(plate), plate, None)
    return seen[0]


def test_stray_pixels_are_refined_apart_and_the_matte_is_the_single_windows(monkeypatch):
    # a stray YCbCr distance of about LO + 0.3 (HI - LO): matte about 0.3, under SOLID
    frame, plate = scene(stray_offset=6.5)
    raw = raw_matte(frame, plate)
    window = subject_window(raw, WINDOW_PAD)
    windows = refinement_windows(raw, window)
    assert len(windows) >= 3  # the subject's and the strays' (noise may add some)
    areas = sorted((w[0].stop - w[0].start) * (w[1].stop - w[1].start) for w in windows)
    whole = (window[0].stop - window[0].start) * (window[1].stop - window[1].start)
    assert sum(areas) < 0.6 * whole
    # the subject's window starts a whole number of hole-test blocks from the single one's
    main = windows[0]  # the subject's comes first (the strays' skip the hole test)
    assert main == max(windows, key=lambda w: (w[0].stop - w[0].start) * (w[1].stop - w[1].start))
    assert (main[0].start - window[0].start) % 8 == 0 and (main[1].start - window[1].start) % 8 == 0
    split, single = keyed(frame, plate, True, monkeypatch), keyed(frame, plate, False, monkeypatch)
    assert (single >= 0.5).sum() > 3000  # the subject was keyed, its hole test ran
    np.testing.assert_allclose(split, single, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(split > 0, single > 0)


@pytest.mark.parametrize(
    "stray_offset, stray_size",
    [(40.0, 1), (6.5, 9)],  # solid strays; a stray group wider than STRAY_PX
    ids=["solid", "wide"],
)
def test_strays_the_hole_test_could_act_on_keep_the_single_window(stray_offset, stray_size):
    frame, plate = scene(stray_offset, stray_size)
    raw = raw_matte(frame, plate)
    window = subject_window(raw, WINDOW_PAD)
    assert refinement_windows(raw, window) == [window]


def test_keyed_pixels_closer_than_the_gap_share_one_window():
    alpha = np.zeros((120, 160), np.float32)
    alpha[40:70, 40:80] = 1.0
    alpha[69 + STRAY_GAP, 20] = 0.2  # STRAY_GAP - 1 empty rows below the subject
    alpha[50, 79 + STRAY_GAP] = 0.2  # STRAY_GAP - 1 empty columns right of it
    window = subject_window(alpha, WINDOW_PAD)
    assert refinement_windows(alpha, window) == [window]
    alpha[50, 79 + STRAY_GAP] = 0.0
    alpha[50, 80 + STRAY_GAP] = 0.2  # one column further: a window of its own
    alpha[69 + STRAY_GAP, 20] = 0.0
    window = subject_window(alpha, WINDOW_PAD)
    windows = refinement_windows(alpha, window)
    assert len(windows) == 2
    (a_rows, a_cols), (b_rows, b_cols) = windows
    assert a_cols.stop <= b_cols.start or b_cols.stop <= a_cols.start  # apart
