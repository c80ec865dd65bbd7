"""Filling the matte's holes that are the subject, not the background behind it.

A difference key cannot tell a subject pixel from the backdrop where their colours
nearly agree (a dark grey band on a dark grey studio): those parts come out as holes
in the matte. One pixel cannot decide it, but a whole hole can: over a region of true
background the difference frame - plate is noise and averages to nearly zero, while a
region of subject that is merely close to the backdrop is offset the same way at every
pixel. So a hole, a part of the matte below one half that is enclosed by the subject
(it does not reach the picture's edge), is filled when the mean YCbCr difference over
its core (its pixels at least CORE_PX from the subject, away from mixed edge pixels)
is larger than HOLE_OFFSET_NOISE times the clip's noise (and HOLE_OFFSET_MIN codes),
or when its chroma offset is coherent (COHERENCE: larger than its spread).

Measured on the test clips (tests/_video_clips.py, 36 frames each), the mean offset
over a hole's core in YCbCr codes (5th / 50th / 95th percentile of holes of 20 px or
more): studio (noise 1.56) subject holes 1.6 / 5.4 / 9.4, background holes 0.9 / 1.6 /
2.1; static texture (noise 1.92) subject 1.9 / 5.6 / 9.2, background 0.1 / 0.2 / 0.5.

The clip's noise is measured at the border, where a still backdrop is coded once and
then repeated (H.264 measures 0 there), but a codec errs most beside the subject: the
blocks it shares with the subject are coded again every frame, and their backdrop is
shifted as a whole (frame - plate over a true background gap between arm and body: +4.7
luma codes, uniform 1 to 5 px from the subject, in one frame, -4.5 in another; studio
clip seed 21, CRF 25). A gap of backdrop then looks as offset as a part of the subject.
So the bar is also raised to EDGE_NOISE_FACTOR times what the backdrop beside the
subject shows in the same frame (edge_noise): a region must stand out from the backdrop
as coded there, not merely from the plate.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import holes_kernel

CORE_PX = 2  # a hole's core: its pixels this far from the subject (mixed edge pixels left out)
HOLE_OFFSET_NOISE = 2.0  # fill a hole whose mean offset exceeds this many times the noise
HOLE_OFFSET_MIN = 3.5  # and this many codes (compression biases a backdrop by about 2)
SOLID = 0.5  # matte at or above this is the subject
# A region is filled when its mean offset exceeds this many times the edge noise (the
# 90th percentile of the mean offset over 8 x 8 blocks of the backdrop 2-4 px outside the
# subject). Studio clips, 10 seeds (0, 1, 14, 21, 22, 26-30), worst-frame true background
# exactly 0 / clip IoU: without it 5 of 10 under 99.5% (98.79% at worst), IoU
# 0.9437-0.9629; at 1.25, 2 under (99.19%); at 1.5, 1 (99.40%, seed 21, whose 1 px edge
# halo alone takes 0.49%), IoU 0.9382-0.9603 (-0.0007 to -0.0104; seed 27 +0.001); the
# static and green test clips unchanged.
EDGE_NOISE_FACTOR = 1.5
EDGE_RING_PX = (2, 4)  # the backdrop this far outside the subject (nearer is its mixed edge)
EDGE_BLOCK_PX = 8  # the mean offset over blocks of about the size of a gap between limbs
EDGE_BLOCK_MIN = 10  # ring pixels a block must hold to count
# a faint part's pixels this far from clear background are tested and filled (studio
# test clip, IoU seed 0 / seed 1: 0.9465 / 0.9465 at 2 px, 0.9470 / 0.9486 at 3 px)
FAINT_PX = 3
# A hole whose mean offset stays under the bar is still filled when its chroma offset
# is coherent: larger than its spread over the hole's core. A part of the subject is one
# colour, offset the same way at every pixel; a gap of backdrop shows noise and the
# codec's bleed of the subject's chroma into it, which varies across the gap. Enclosed
# holes of 20 px of core or more in the studio clips, seeds 21-30: the subject's
# coherence 0.82 / 1.37 (10th percentile / median), the backdrop's 0.31 / 0.69 / 1.23
# (median / 90th / 99th). With cores of COHERENT_MIN_PX or more, over seeds 1, 21-30
# and 39 the backdrop's highest was 1.10 (seeds 1 and 39: at 1.0 their worst frames
# fell from 99.89% / 99.49% exactly black to 99.27% / 99.10%); at 1.2, 1.1 x that,
# studio seeds 0, 1, 14, 21-50 keep every worst frame's black as it was and gain up
# to 0.024 IoU (table in docs/video.md).
COHERENCE = 1.2
# The coherence rules (COHERENCE and JOINT_*) only for a backdrop of no screen colour. On
# a green screen the codec's bleed of the subject's chroma into a gap between arm and
# body runs one way over the whole gap: a 320 px clip of a fast walk (keying_sweep.py's
# green-120-fast, seed 21) filled such gaps of 437 and 680 px (coherence 1.28 and 1.23,
# offset 0.4 and 0.5 x the bar), and its worst frame kept 98.98% of the background
# exactly black (seed 22: 99.25%). Without them: 99.58% and 99.67%, IoU +0.0007 and
# +0.0005; every other screen clip measured (keying_sweep.py's green and blue clips,
# the fast walk's seeds 23-24, held-out green seeds 21-30, 41-50, 31-32 at 480 px,
# CesiumMan, Fox and BrainStem seeds 13, 61, 62) the same to the last digit, but
# green-crf28 (+0.0001).
COHERENT_MIN_PX = 60  # a core this large at least: the spread of fewer pixels is unsure
COHERENCE_MIN_SPREAD = 0.5  # codes: a hole flatter than this is not taken as more coherent
# Two weaker signs together also fill a hole of such a core: a chroma coherence above
# JOINT_COHERENCE and a mean offset above JOINT_OFFSET x the bar. The subject's parts
# left open by each test alone (the grey crescents beside the eyes, the band across the
# head where its offset is low) mostly show both; a gap of backdrop seldom does.
# Enclosed holes of 60 px of core or more left open by both tests on studio seeds
# 21-30: the subject's 34 (17851 px), coherence 0.82-1.17, offset 0.40-0.91 x the bar
# (10th / 90th percentile); the backdrop's 201, coherence at most 0.92, offset at most
# 0.78 x the bar. Filled by this rule on seeds 21-30: 11 of the subject's (5582 px),
# none of the backdrop's; on seeds 0, 1, 14 and 31-40 (not used to choose): 6 of the
# subject's (3291 px), none of the backdrop's (coherence above 1.0 alone took 3 gaps
# of backdrop on seeds 1 and 39, 1536 px).
JOINT_COHERENCE = 1.0
JOINT_OFFSET = 0.6
# A thin hole, no pixel of it CORE_PX from the subject (a crescent 3-4 px wide beside
# an eye, a slit between two plates of the head), was never tested. It is tested on its
# pixels THIN_CORE_PX from the subject, nearer the mixed edge, so against a bar raised
# by THIN_OFFSET. Such holes on studio seeds 21-30: the subject's 540 (20925 px), their
# mean offset 0.63 / 1.47 / 2.28 x the bar (10th / 50th / 90th percentile), the
# backdrop's 3 (173 px) at most 1.19 x; at THIN_OFFSET 1.2 the subject's 335 (11618 px)
# are filled and none of the backdrop's (at 1.0 one of 48 px, seed 25); on seeds 0, 1,
# 14 and 31-40 (not used to choose) 277 of the subject's (10692 px) and one of the
# backdrop's (18 px, seed 40).
THIN_CORE_PX = 1
THIN_OFFSET = 1.2
# A part of the subject close to the backdrop is found in some frames and missed in the
# next, as its offset hovers about the bar (the grey band across the head). What the
# previous frame's matte held, moved as the subject moved (the shift of its solid part's
# centroid), is evidence no single frame carries: a part left open here whose pixels were
# CARRY_SHARE or more solid there at the carried place is filled when its mean offset
# passes CARRY_OFFSET x the bar. Held-out studio seeds 21-30, clip IoU: every seed gains
# (+0.0007 to +0.0058), worst-frame background exactly 0 stays at 99.58% or more; seeds
# 41-50 (not used to choose) +0.0005 to +0.0051. Chosen with the shift from phase
# correlation (cv2.phaseCorrelate, 4 ms of one thread on a 424 x 420 window; mean IoU
# 0.9635 as with the centroid): without the motion (the previous matte where it stood)
# background exactly 0 fell to 99.14% on seed 21, an arm having swept over a gap of
# backdrop; at a share of 0.7 to 99.51%; at 0.9 the gains were smaller (+0.0002 to
# +0.0034); an offset factor of 0, 0.15 or 0.3 filled within 0.0003 of 0.5, 0.7 less.
CARRY_SHARE = 0.8
CARRY_OFFSET = 0.5
CARRY_MIN_PX = 5
# The same evidence the other way: a hole that only a weaker sign fills (the chroma
# coherence, the two signs together, a thin hole's offset; not its core's offset over
# the bar) is left open where OPEN_BEFORE_SHARE of its pixels were open (below SOLID)
# in the previous frame's matte at the carried place. Such fills of 20 px or more,
# counted against the truth (held-out studio seeds 21-30 and 41-45; keying_sweep.py's
# square studio and static clips at seeds 21-23; held-out static seeds 21-23): the
# subject's 1,691 holes, of which 21 were open before (1,674 px; 15 of them exactly 0
# there); the backdrop's 9 (2,854 px), of which 4 were open before (1,217 px), among
# them a gap between arm and body (514 px, coherence 1.13, 0.95 x the bar) that left
# the vignetted studio seed 22's worst frame 99.22% exactly black, and one (537 px,
# coherence 1.23) that the 12-frame studio seed 23 then carried through three more
# frames (99.11%); at seed 24 the studio with noise 4 filled one more (507 px,
# coherence 1.15, 0.70 x the bar; 99.14%), faint but not clear in the frame before.
# Those three clips now pass the black bar (+0.0018 to +0.0136 IoU); others lose up
# to 0.0026 (a portrait clip's dark eyes; table in docs/video.md).
OPEN_BEFORE_SHARE = 0.8


def region_offsets(
    labels: np.ndarray, mask: np.ndarray, offset: np.ndarray, count: int, coherent: bool = False
):
    """labels int32 (H, W) in [0, count), mask bool (H, W), offset float32 (H, W, 3) ->
    (pixels per label over the mask float64 (count,), |mean offset| float64 (count,)),
    and with ``coherent`` a third, the chroma coherence float64 (count,): |mean (Cb, Cr)
    offset| / its spread (the root of the summed variances of Cb and Cr, at least
    COHERENCE_MIN_SPREAD)."""
    n = np.zeros(count, np.float64)
    sums = np.zeros((count, 3), np.float64)
    squares = np.zeros((count, 3), np.float64)
    holes_kernel.label_sums(labels, mask.view(np.uint8), offset, n, sums, squares)
    mean = sums / np.maximum(n, 1.0)[:, None]
    shift = np.sqrt((mean**2).sum(-1))
    if not coherent:
        return n, shift
    chroma = (mean[:, 1:] ** 2).sum(-1)
    spread = squares[:, 1:].sum(-1) / np.maximum(n, 1.0) - chroma  # summed variances
    return n, shift, np.sqrt(chroma / np.maximum(spread, COHERENCE_MIN_SPREAD**2))


def far_from_clear(alpha: np.ndarray) -> np.ndarray:
    """alpha float32 (H, W) -> bool (H, W): the pixels more than FAINT_PX from clear
    background (3 x 3 patches of matte 0: lone pixels of the subject that fell under the
    noise gate do not count)."""
    clear = (alpha <= 0).astype(np.uint8)
    square = np.ones((3, 3), np.uint8)
    sure_background = cv2.dilate(cv2.erode(clear, square), square)
    kernel = np.ones((2 * FAINT_PX + 1, 2 * FAINT_PX + 1), np.uint8)
    return cv2.erode(1 - sure_background, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0


def edge_noise(
    alpha: np.ndarray, outside: np.ndarray, labels: np.ndarray, far: np.ndarray, offset: np.ndarray
) -> float:
    """alpha float32 (H, W); outside bool (L,): the open labels that reach the picture's
    edge; labels int32 (H, W): the open regions (matte below SOLID, label 0 the subject);
    far bool (H, W): far_from_clear(alpha); offset float32 (H, W, 3) -> the 90th
    percentile of |mean offset| in YCbCr codes over EDGE_BLOCK_PX-square blocks of the
    backdrop EDGE_RING_PX outside the subject (blocks holding at least EDGE_BLOCK_MIN
    such pixels). The backdrop is what reaches the edge and lies within FAINT_PX of clear
    background (not the faint parts that fill_faint_parts tests). 0 when fewer than 5
    blocks (no subject, or all subject). Only the ring's pixels are gathered (hole test
    of a 420 x 420 window, one thread's CPU: 3.0 ms without the edge noise, 7.3 ms with
    full-size box filters for it, 4.0 ms so)."""
    solid = (alpha >= SOLID).astype(np.uint8)
    inner, outer = (
        cv2.dilate(solid, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
        for r in EDGE_RING_PX
    )
    ring = cv2.findNonZero(cv2.subtract(outer, inner))  # x, y of each; None when empty
    if ring is None:
        return 0.0
    xs, ys = ring.reshape(-1, 2).T
    keep = outside[labels[ys, xs]]
    ys, xs = ys[keep], xs[keep]
    keep = ~far[ys, xs]
    ys, xs = ys[keep], xs[keep]
    if len(ys) < 5 * EDGE_BLOCK_MIN:
        return 0.0
    width = alpha.shape[1] // EDGE_BLOCK_PX + 1
    block = (ys // EDGE_BLOCK_PX) * width + xs // EDGE_BLOCK_PX
    count = np.bincount(block).astype(np.float64)
    values = offset[ys, xs]
    sums = np.stack([np.bincount(block, weights=values[:, c], minlength=len(count)) for c in range(3)], -1)
    full = count >= EDGE_BLOCK_MIN
    if full.sum() < 5:
        return 0.0
    means = sums[full] / count[full][:, None]
    return float(np.percentile(np.sqrt((means**2).sum(-1)), 90))


def fill_holes(
    alpha: np.ndarray,
    offset: np.ndarray,
    noise: float,
    previous: np.ndarray | None = None,
    screen: bool = False,
) -> np.ndarray:
    """alpha float32 (H, W) in [0, 1]; offset float32 (H, W, 3): frame - plate in YCbCr;
    noise: the clip's median background distance; previous float32 (H, W) or None: the
    previous frame's final matte on the same pixels (carry_parts, and the veto of
    OPEN_BEFORE_SHARE); screen: the backdrop
    is a coloured screen (no chroma coherence test: see the note on COHERENCE) -> alpha
    float32 (H, W) with the subject's holes (see the module) set to 1."""
    filled, bar = _fill_holes(alpha, offset, noise, screen, previous)
    if previous is None:
        return filled
    return carry_parts(filled, offset, bar, previous)


def _fill_holes(
    alpha: np.ndarray, offset: np.ndarray, noise: float, screen: bool, previous: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """fill_holes but for the parts carried from the previous frame (``previous`` only
    vetoes the weaker signs' holes that were open there: see OPEN_BEFORE_SHARE) ->
    (alpha, the bar in YCbCr codes)."""
    open_ = (alpha < SOLID).astype(np.uint8)
    count, labels = cv2.connectedComponents(open_, connectivity=4)
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    edge_labels = edge_labels[edge_labels > 0]  # label 0 is the subject itself
    outside = np.zeros(count, bool)
    outside[edge_labels] = True
    far = far_from_clear(alpha)
    edge = edge_noise(alpha, outside, labels, far, offset)
    bar = max(HOLE_OFFSET_NOISE * noise, HOLE_OFFSET_MIN, EDGE_NOISE_FACTOR * edge)
    if count <= 2:  # the background alone, or nothing open: no enclosed hole
        return fill_faint_parts(alpha, offset, bar, far), bar
    kernel = np.ones((2 * CORE_PX + 1, 2 * CORE_PX + 1), np.uint8)
    core = cv2.erode(open_, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=1)
    kernel = np.ones((2 * THIN_CORE_PX + 1, 2 * THIN_CORE_PX + 1), np.uint8)
    near_core = cv2.erode(open_, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=1)
    # one pass sums both: a hole's core under its own label, the pixels THIN_CORE_PX but
    # not CORE_PX from the subject under label + count (a second pass over the window
    # cost 0.23 ms of one thread's CPU per frame of the studio test clip, 2.0 ms in all)
    split = labels + count * cv2.subtract(near_core, core).astype(np.int32)
    n, shift, coherence = region_offsets(split, near_core > 0, offset, 2 * count, coherent=True)
    n_thin, shift_thin = n[count:], shift[count:]
    n, shift, coherence = n[:count], shift[:count], coherence[:count]
    coherent = (coherence > COHERENCE) | ((coherence > JOINT_COHERENCE) & (shift > JOINT_OFFSET * bar))
    fill = (n >= 1) & ((shift > bar) | ((n >= COHERENT_MIN_PX) & coherent & (not screen)))
    # no pixel CORE_PX from the subject: the pixels THIN_CORE_PX from it are its core
    fill |= (n < 1) & (n_thin >= 1) & (shift_thin > THIN_OFFSET * bar)
    fill[0] = False
    fill[edge_labels] = False
    if previous is not None:
        fill &= ~open_before(labels, fill & ~(shift > bar), alpha, previous)
    if not fill.any():
        return fill_faint_parts(alpha, offset, bar, far), bar
    out = alpha.copy()
    filled = fill[labels]
    out[filled] = 1.0
    if (alpha[filled] <= 0).any():  # far_from_clear reads only the clear pixels
        far = far_from_clear(out)
    return fill_faint_parts(out, offset, bar, far), bar


def open_before(labels: np.ndarray, weak: np.ndarray, alpha: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """labels int32 (H, W): the open regions; weak bool (L,): the labels filled by a
    weaker sign; alpha, previous float32 (H, W): this frame's matte and the previous
    frame's final one -> bool (L,): the weak labels of which OPEN_BEFORE_SHARE or more
    of the pixels were open (below SOLID) in ``previous`` at the place the subject's
    shift (subject_shift) carried them from."""
    out = np.zeros(len(weak), bool)
    if not weak.any():
        return out
    points = cv2.findNonZero(weak[labels].view(np.uint8))  # x, y of each
    xs, ys = points.reshape(-1, 2).T
    dy, dx = subject_shift(previous, alpha)
    h, w = alpha.shape
    py, px = ys - dy, xs - dx
    seen = (py >= 0) & (py < h) & (px >= 0) & (px < w)
    was_open = np.zeros(len(ys), bool)
    was_open[seen] = previous[py[seen], px[seen]] < SOLID
    n = np.bincount(labels[ys, xs], minlength=len(weak))
    n_open = np.bincount(labels[ys[was_open], xs[was_open]], minlength=len(weak))
    out[weak] = n_open[weak] >= OPEN_BEFORE_SHARE * n[weak]
    return out


def fill_faint_parts(alpha: np.ndarray, offset: np.ndarray, bar: float, far: np.ndarray) -> np.ndarray:
    """The same test for the faint parts of the subject that reach its outline (a hole
    open to the background on one side): the pixels below SOLID that lie more than
    FAINT_PX from clear background (far_from_clear) are grouped, and a group whose mean
    offset passes the test is set to 1. A true background region is clear within
    itself, so at most its thin rim of mixed pixels is considered, and that is left as
    it is. alpha, offset as fill_holes; bar: the mean offset in YCbCr codes above which
    a group is filled (fill_holes's); far: far_from_clear(alpha)."""
    faint = far & (alpha < SOLID)
    if not faint.any():
        return alpha
    count, labels = cv2.connectedComponents(faint.astype(np.uint8), connectivity=4)
    n, shift = region_offsets(labels, faint, offset, count)
    fill = (n >= 1) & (shift > bar)
    fill[0] = False
    if not fill.any():
        return alpha
    out = alpha.copy()
    out[fill[labels]] = 1.0
    return out


def subject_shift(previous: np.ndarray, alpha: np.ndarray) -> tuple[int, int]:
    """previous, alpha float32 (H, W): the previous frame's matte and this frame's ->
    (rows, columns): the whole-pixel shift of the solid part's centroid from previous to
    alpha, (0, 0) when either has no solid pixel."""
    centres = []
    for matte in (previous, alpha):
        solid = (matte >= SOLID).view(np.uint8)
        # the solid pixels per row and per column (two cv2.reduce: 0.1 ms of one
        # thread's CPU on a 424 x 420 window, cv2.moments of both mattes 0.5 ms)
        rows = cv2.reduce(solid, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
        cols = cv2.reduce(solid, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
        total = float(rows.sum())
        if total <= 0:
            return 0, 0
        centres.append(
            (float(rows @ np.arange(len(rows))) / total, float(cols @ np.arange(len(cols))) / total)
        )
    (y0, x0), (y1, x1) = centres
    return int(round(y1 - y0)), int(round(x1 - x0))


def carry_parts(alpha: np.ndarray, offset: np.ndarray, bar: float, previous: np.ndarray) -> np.ndarray:
    """alpha float32 (H, W): fill_holes's matte of this frame; offset float32 (H, W, 3):
    frame - plate in YCbCr; bar: fill_holes's bar in codes; previous float32 (H, W): the
    previous frame's final matte on the same pixels -> alpha float32 (H, W) with the
    parts left open that the subject carried (see CARRY_SHARE) set to 1. The parts are
    the open pixels more than FAINT_PX from clear background (enclosed holes and faint
    parts alike), grouped 4-connected; a group of at least CARRY_MIN_PX pixels is filled
    when CARRY_SHARE of them were solid in the previous matte at the place the subject's
    shift (subject_shift) carried them from, and its mean offset exceeds CARRY_OFFSET x
    bar. Only the open pixels are looked up in the previous matte (building the whole
    shifted matte took 0.65 ms of one thread's CPU on a 424 x 420 window)."""
    open_far = far_from_clear(alpha) & (alpha < SOLID)
    # x, y of each; None when empty (np.nonzero took 3x the CPU)
    points = cv2.findNonZero(open_far.view(np.uint8))
    if points is None:
        return alpha
    xs, ys = points.reshape(-1, 2).T
    count, labels = cv2.connectedComponents(open_far.view(np.uint8), connectivity=4)
    dy, dx = subject_shift(previous, alpha)
    h, w = alpha.shape
    py, px = ys - dy, xs - dx
    seen = (py >= 0) & (py < h) & (px >= 0) & (px < w)
    before = np.zeros(len(ys), bool)
    before[seen] = previous[py[seen], px[seen]] >= SOLID
    n = np.bincount(labels[ys, xs], minlength=count)
    solid_before = np.bincount(labels[ys[before], xs[before]], minlength=count)
    fill = (n >= CARRY_MIN_PX) & (solid_before >= CARRY_SHARE * n)
    fill[0] = False
    if not fill.any():  # the offsets only for a part that was solid before
        return alpha
    _, shift = region_offsets(labels, open_far, offset, count)
    fill &= shift > CARRY_OFFSET * bar
    if not fill.any():
        return alpha
    out = alpha.copy()
    out[fill[labels]] = 1.0
    return out
