"""The clean plate of a static camera: per pixel, the value the most samples agree on.

A temporal median fails where the subject covers a pixel in more than half of the
samples; the background, being still, is the tightest cluster even when it is seen in
fewer of them. Its numpy twin is ``plate_reference.plate_mode``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..kernel_cache import refresh
from ..work_pool import run, threads
from ..work_queue import claim

refresh(__file__, ["../work_queue.py"])  # the kernels compile the work queue's claim into themselves


@njit(cache=True, inline="always")
def _difference(samples, i, j, y, x):
    """The sum of |channel differences| of samples ``i`` and ``j`` at pixel (y, x)."""
    d = 0.0
    for c in range(3):
        d += abs(float(samples[i, y, x, c]) - float(samples[j, y, x, c]))
    return d


@njit(cache=True, inline="always")
def _mean_of_agreeing(samples, best, y, x, tolerance, plate):
    """plate[y, x] = the mean of the samples that agree with sample ``best`` at (y, x)
    (within ``tolerance``); returns how many there are (at least ``best`` itself)."""
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    n = 0
    for j in range(samples.shape[0]):
        if _difference(samples, best, j, y, x) <= tolerance:
            s0 += samples[j, y, x, 0]
            s1 += samples[j, y, x, 1]
            s2 += samples[j, y, x, 2]
            n += 1
    plate[y, x, 0] = s0 / n
    plate[y, x, 1] = s1 / n
    plate[y, x, 2] = s2 / n
    return n


@njit(cache=True, inline="always")
def _mode_row(samples, y, tolerance, counts, pixel, plate, support):
    """plate_mode's row ``y``; counts: int64 (K,) and pixel: int32 (K, 3) scratch."""
    k = samples.shape[0]
    for x in range(samples.shape[2]):
        # the K samples of the pixel side by side, as integers: the pairs below read them
        # from one small block instead of K planes of the stack
        for i in range(k):
            for c in range(3):
                pixel[i, c] = samples[i, y, x, c]
        # Where the first sample agrees with every other one it is the first with the
        # most agreeing (all K): K - 1 comparisons instead of K (K - 1) / 2. Most of a
        # still background is such a pixel (1080p bench clip, 24 samples at 1 MP: 80%
        # of the pixels; plate_mode 0.55-0.62 s instead of 1.6-2.1 s, load about 5).
        r, g, b = pixel[0, 0], pixel[0, 1], pixel[0, 2]
        agree = 1 if tolerance >= 0 else 0
        for j in range(1, k):
            if abs(r - pixel[j, 0]) + abs(g - pixel[j, 1]) + abs(b - pixel[j, 2]) <= tolerance:
                agree += 1
            else:
                break
        if agree == k:
            support[y, x] = _mean_of_agreeing(samples, 0, y, x, tolerance, plate) / k
            continue
        # each pair is compared once, and counts for both (each sample agrees with itself)
        counts[:] = 1 if tolerance >= 0 else 0
        for i in range(k):
            r, g, b = pixel[i, 0], pixel[i, 1], pixel[i, 2]
            for j in range(i + 1, k):
                if abs(r - pixel[j, 0]) + abs(g - pixel[j, 1]) + abs(b - pixel[j, 2]) <= tolerance:
                    counts[i] += 1
                    counts[j] += 1
        best, best_count = 0, -1
        for i in range(k):
            if counts[i] > best_count:
                best, best_count = i, counts[i]
        support[y, x] = _mean_of_agreeing(samples, best, y, x, tolerance, plate) / k


@njit(cache=True, inline="always")
def _nearest_row(samples, prediction, unsure, y, tolerance, plate):
    """plate_nearest's row ``y``."""
    for x in range(samples.shape[2]):
        if not unsure[y, x]:
            continue
        best, best_d = 0, 1e30
        for j in range(samples.shape[0]):
            d = 0.0
            for c in range(3):
                d += abs(float(samples[j, y, x, c]) - float(prediction[y, x, c]))
            if d < best_d:
                best, best_d = j, d
        if best_d > 2 * tolerance:
            for c in range(3):
                plate[y, x, c] = prediction[y, x, c]
        else:
            _mean_of_agreeing(samples, best, y, x, tolerance, plate)


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _plate_rows(
    next_row, next_slot, scratch, samples, tolerance, prediction, unsure, nearest, plate, support
):
    """One thread's share of plate_mode (``nearest`` False) or plate_nearest (True):
    rows claimed from next_row, on the threads of holopack.work_pool. Each thread takes
    its own scratch (counts int64 (T, K), pixel int32 (T, K, 3)) by claiming a slot:
    the loop allocates nothing, so it runs without reference counting."""
    height = samples.shape[1]
    counts_all, pixel_all = scratch
    slot = claim(next_slot)
    counts = counts_all[slot]
    pixel = pixel_all[slot]
    while True:
        y = claim(next_row)
        if y >= height:
            break
        if nearest:
            _nearest_row(samples, prediction, unsure, y, tolerance, plate)
        else:
            _mode_row(samples, y, tolerance, counts, pixel, plate, support)


def _run_rows(samples, tolerance, prediction, unsure, nearest, plate, support) -> None:
    """_plate_rows on the pool's threads, each with its own scratch (counts int64 (K,),
    pixel int32 (K, 3)), claimed by slot."""
    t, k = threads(), samples.shape[0]
    scratch = (np.empty((t, k), np.int64), np.empty((t, k, 3), np.int32))
    rows, slots = np.zeros(1, np.int64), np.zeros(1, np.int64)
    run(_plate_rows, rows, slots, scratch, samples, tolerance, prediction, unsure, nearest, plate, support)


def plate_mode(samples, tolerance, plate, support):
    """samples uint8 (K, H, W, 3); tolerance: largest sum of |channel differences| for
    two samples to agree; plate float32 (H, W, 3) and support float32 (H, W), both
    overwritten: plate = mean of the largest agreeing group (the first sample with the
    most agreeing others, and those), support = that group's share of the K samples."""
    none = np.zeros((0, 0, 3), np.float32)
    _run_rows(samples, tolerance, none, np.zeros((0, 0), np.bool_), False, plate, support)


def plate_nearest(samples, prediction, unsure, tolerance, plate):
    """Where ``unsure`` (bool (H, W)) is set, replace plate (float32 (H, W, 3)) with the
    mean of the samples (uint8 (K, H, W, 3)) that agree with the sample nearest to
    ``prediction`` (float32 (H, W, 3), the plate inpainted from its sure pixels), or
    with the prediction itself when no sample comes within 2 x tolerance of it."""
    _run_rows(samples, tolerance, prediction, unsure, True, plate, np.zeros((0, 0), np.float32))
