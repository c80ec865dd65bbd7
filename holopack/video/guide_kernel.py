"""The guided filter of the matte's edge (matte.guide_edge) in one Numba kernel.

He, Sun and Tang's guided filter makes the matte locally a linear function of the
frame's luma: over each (2r + 1)^2 window k, a_k = cov(I, p) / (var(I) + eps),
b_k = mean(p) - a_k mean(I), and the output at a pixel is mean(a) I + mean(b) over the
windows that hold it. Only edge pixels need the output, so a and b are computed only
within r of an edge pixel (cv2 box filters over the whole subject took about as long
as the rest of the keyed frame). Windows are cut at the picture's border (means over
the pixels inside). Numpy twin: guide_reference.guide_edge.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..kernel_cache import refresh
from ..work_pool import run
from ..work_queue import claim
from .key_kernel import ALONE_PIXELS, KB, KG, KR

# the luma weights are compiled in as constants, the work queue's claim into the kernels
refresh(__file__, ["key_kernel.py", "../work_queue.py"])


@njit(cache=True, inline="always")
def _luma(frame, y, x):
    """BT.601 luma of pixel (y, x) of a uint8 (H, W, 3) frame, in 0-1."""
    return (KR * frame[y, x, 0] + KG * frame[y, x, 1] + KB * frame[y, x, 2]) / 255.0


@njit(cache=True, inline="always")
def _luma_row(frame, y, luma):
    """Row ``y`` of the frame's luma (the first pass): each tap of the coefficients'
    windows reads it instead of computing it again, 25 times per pixel at radius 2."""
    for x in range(frame.shape[1]):
        luma[y, x] = _luma(frame, y, x)


@njit(cache=True, inline="always")
def _coefficients_row(luma, alpha, near, y, radius, eps, coef_a, coef_b):
    """Row ``y`` of a and b, where ``near`` is set (the second pass). Along a run of
    near pixels the window's sums slide: the column entering is added and the one
    leaving taken away, 2 (2r + 1) taps a pixel instead of (2r + 1)^2."""
    height, width = alpha.shape
    v0, v1 = max(0, y - radius), min(height, y + radius + 1)
    running = False
    si = sp = sip = sii = 0.0
    for x in range(width):
        if not near[y, x]:
            running = False
            continue
        lo, hi = max(0, x - radius), min(width, x + radius + 1)
        if running:  # the window moved one pixel right
            if x + radius < width:
                si, sp, sip, sii = _column_sums(luma, alpha, v0, v1, x + radius, 1.0, si, sp, sip, sii)
            if x - radius - 1 >= 0:
                si, sp, sip, sii = _column_sums(luma, alpha, v0, v1, x - radius - 1, -1.0, si, sp, sip, sii)
        else:
            si = sp = sip = sii = 0.0
            for u in range(lo, hi):
                si, sp, sip, sii = _column_sums(luma, alpha, v0, v1, u, 1.0, si, sp, sip, sii)
            running = True
        n = float((v1 - v0) * (hi - lo))
        mi = si / n
        mp = sp / n
        a = (sip / n - mi * mp) / (sii / n - mi * mi + eps)
        coef_a[y, x] = a
        coef_b[y, x] = mp - a * mi


@njit(cache=True, inline="always")
def _column_sums(luma, alpha, v0, v1, u, sign, si, sp, sip, sii):
    """The window sums with column ``u`` (rows v0..v1-1) added (sign 1) or taken away (-1)."""
    for v in range(v0, v1):
        i = luma[v, u]
        p = alpha[v, u]
        si += sign * i
        sp += sign * p
        sip += sign * (i * p)
        sii += sign * (i * i)
    return si, sp, sip, sii


@njit(cache=True, inline="always")
def _filtered_row(luma, alpha, edge, y, radius, coef_a, coef_b, out):
    """Row ``y`` of the output: mean a x luma + mean b on edge pixels (the third pass),
    the window's sums sliding along a run of edge pixels as in _coefficients_row."""
    height, width = alpha.shape
    v0, v1 = max(0, y - radius), min(height, y + radius + 1)
    running = False
    sa = sb = 0.0
    for x in range(width):
        if not edge[y, x]:
            out[y, x] = alpha[y, x]
            running = False
            continue
        lo, hi = max(0, x - radius), min(width, x + radius + 1)
        if running:
            if x + radius < width:
                for v in range(v0, v1):
                    sa += coef_a[v, x + radius]
                    sb += coef_b[v, x + radius]
            if x - radius - 1 >= 0:
                for v in range(v0, v1):
                    sa -= coef_a[v, x - radius - 1]
                    sb -= coef_b[v, x - radius - 1]
        else:
            sa = sb = 0.0
            for v in range(v0, v1):
                for u in range(lo, hi):
                    sa += coef_a[v, u]
                    sb += coef_b[v, u]
            running = True
        n = float((v1 - v0) * (hi - lo))
        out[y, x] = min(1.0, max(0.0, (sa / n) * luma[y, x] + sb / n))


def guide_edge(frame, alpha, edge, near, radius, eps, coef_a, coef_b, out):
    """frame uint8 (H, W, 3); alpha float32 (H, W); edge uint8 (H, W): pixels to
    filter; near uint8 (H, W): pixels within ``radius`` of an edge pixel; eps: the
    regularisation (luma in 0-1); coef_a, coef_b float32 (H, W): scratch; out float32
    (H, W), overwritten: the filtered matte on edge pixels, clipped to [0, 1], alpha
    elsewhere. Three runs over the rows on the threads of holopack.work_pool (the luma,
    a and b, the output): each reads the one before within ``radius``, so every row of
    a run is done before the next starts. Computing the luma once, not at every tap,
    took the coefficients of the bench clip's 1080p frames (a 385 x 297 window, 18% of
    it near the edge) from 2.3-4.2 ms to 1.5-2.7 ms of one thread (medians over 21
    frames, three turns in one process); the values are the same. Sliding the windows'
    sums along runs of near and edge pixels took a call to 0.72 of its time (quartiles
    0.67-0.89; 1.85 against 2.64 ms, one thread, 105 calls of the same clip, five pairs
    each in turns: benchmarks/guide_turns.py, 2 AMD EPYC cores), the output moved by at
    most 3e-8. Raw: benchmarks/results/2026-12-06/guided-filter-sliding.txt."""
    luma = np.empty(alpha.shape, np.float64)
    for stage in range(3):
        run(
            _guide_rows,
            np.zeros(1, np.int64),
            stage,
            frame,
            alpha,
            edge,
            near,
            radius,
            eps,
            luma,
            coef_a,
            coef_b,
            out,
            alone=alpha.size <= ALONE_PIXELS,
        )


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _guide_rows(next_row, stage, frame, alpha, edge, near, radius, eps, luma, coef_a, coef_b, out):
    """One thread's share of one stage of guide_edge: rows claimed from next_row."""
    height = alpha.shape[0]
    y = claim(next_row)
    while y < height:
        if stage == 0:
            _luma_row(frame, y, luma)
        elif stage == 1:
            _coefficients_row(luma, alpha, near, y, radius, eps, coef_a, coef_b)
        else:
            _filtered_row(luma, alpha, edge, y, radius, coef_a, coef_b, out)
        y = claim(next_row)
