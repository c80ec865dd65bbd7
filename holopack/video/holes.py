"""Filling the matte's holes that are the subject, not the background behind it.

A difference key cannot tell a subject pixel from the backdrop where their colours
nearly agree (a dark grey band on a dark grey studio): those parts come out as holes
in the matte. One pixel cannot decide it, but a whole hole can: over a region of true
background the difference frame - plate is noise and averages to nearly zero, while a
region of subject that is merely close to the backdrop is offset the same way at every
pixel. So a hole, a part of the matte below one half that is enclosed by the subject
(it does not reach the picture's edge), is filled when the mean YCbCr difference over
its core (its pixels at least CORE_PX from the subject, away from mixed edge pixels)
is larger than HOLE_OFFSET_NOISE times the clip's noise (and HOLE_OFFSET_MIN codes).

Measured on the test clips (tests/_video_clips.py, 36 frames each), the mean offset
over a hole's core in YCbCr codes (5th / 50th / 95th percentile of holes of 20 px or
more): studio (noise 1.56) subject holes 1.6 / 5.4 / 9.4, background holes 0.9 / 1.6 /
2.1; static texture (noise 1.92) subject 1.9 / 5.6 / 9.2, background 0.1 / 0.2 / 0.5.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import holes_kernel

CORE_PX = 2  # a hole's core: its pixels this far from the subject (mixed edge pixels left out)
HOLE_OFFSET_NOISE = 2.0  # fill a hole whose mean offset exceeds this many times the noise
HOLE_OFFSET_MIN = 3.5  # and this many codes (compression biases a backdrop by about 2)
SOLID = 0.5  # matte at or above this is the subject
# a faint part's pixels this far from clear background are tested and filled (studio
# test clip, IoU seed 0 / seed 1: 0.9465 / 0.9465 at 2 px, 0.9470 / 0.9486 at 3 px)
FAINT_PX = 3


def region_offsets(labels: np.ndarray, mask: np.ndarray, offset: np.ndarray, count: int):
    """labels int32 (H, W) in [0, count), mask bool (H, W), offset float32 (H, W, 3) ->
    (pixels per label over the mask float64 (count,), |mean offset| float64 (count,))."""
    n = np.zeros(count, np.float64)
    sums = np.zeros((count, 3), np.float64)
    holes_kernel.label_sums(labels, mask.view(np.uint8), offset, n, sums)
    return n, np.sqrt(((sums / np.maximum(n, 1.0)[:, None]) ** 2).sum(-1))


def fill_holes(alpha: np.ndarray, offset: np.ndarray, noise: float) -> np.ndarray:
    """alpha float32 (H, W) in [0, 1]; offset float32 (H, W, 3): frame - plate in YCbCr;
    noise: the clip's median background distance -> alpha float32 (H, W) with the
    subject's holes (see the module) set to 1."""
    h, w = alpha.shape
    open_ = (alpha < SOLID).astype(np.uint8)
    count, labels = cv2.connectedComponents(open_, connectivity=4)
    if count <= 2:  # the background alone, or nothing open: no enclosed hole
        return fill_faint_parts(alpha, offset, noise)
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    kernel = np.ones((2 * CORE_PX + 1, 2 * CORE_PX + 1), np.uint8)
    core = cv2.erode(open_, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=1) > 0
    n, shift = region_offsets(labels, core, offset, count)
    fill = (n >= 1) & (shift > max(HOLE_OFFSET_NOISE * noise, HOLE_OFFSET_MIN))
    fill[0] = False  # label 0 is the subject itself
    fill[edge_labels] = False
    out = alpha.copy()
    if fill.any():
        out[fill[labels]] = 1.0
    return fill_faint_parts(out, offset, noise)


def fill_faint_parts(alpha: np.ndarray, offset: np.ndarray, noise: float) -> np.ndarray:
    """The same test for the faint parts of the subject that reach its outline (a hole
    open to the background on one side): the pixels below SOLID that lie more than
    CORE_PX from clear background (3 x 3 patches of matte 0: lone pixels of the subject
    that fell under the noise gate do not count) are grouped, and a group whose mean
    offset passes the test is set to 1. A true background region is clear within
    itself, so at most its thin rim of mixed pixels is considered, and that is left as
    it is. alpha, offset, noise as fill_holes."""
    clear = (alpha <= 0).astype(np.uint8)
    square = np.ones((3, 3), np.uint8)
    sure_background = cv2.dilate(cv2.erode(clear, square), square)
    kernel = np.ones((2 * FAINT_PX + 1, 2 * FAINT_PX + 1), np.uint8)
    far = cv2.erode(1 - sure_background, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    faint = (far > 0) & (alpha < SOLID)
    if not faint.any():
        return alpha
    count, labels = cv2.connectedComponents(faint.astype(np.uint8), connectivity=4)
    n, shift = region_offsets(labels, faint, offset, count)
    fill = (n >= 1) & (shift > max(HOLE_OFFSET_NOISE * noise, HOLE_OFFSET_MIN))
    fill[0] = False
    if not fill.any():
        return alpha
    out = alpha.copy()
    out[fill[labels]] = 1.0
    return out
