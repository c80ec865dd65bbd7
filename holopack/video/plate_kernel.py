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


@njit(cache=True, inline="always")
def _bit_count(mask):
    """The number of set bits of a non-negative int64."""
    n = 0
    while mask:
        mask &= mask - 1
        n += 1
    return n


@njit(cache=True)
def plate_behind(order, samples, seen, tolerance, agree_share, outside_share, plate, support):
    """The backdrop at each pixel of ``order`` (int64 flat indices, nearest to the sure
    backdrop first) read from the frames in which its neighbours show theirs.

    seen int64 (H, W): bit f set where sample f shows the pixel's backdrop; -1 where not
    decided yet (every pixel of ``order``), 0 where no backdrop was seen; the sure
    backdrop's pixels next to the others hold theirs. For each pixel in turn: the frames
    that most of its decided 8-neighbours with a backdrop seen show it in; among the
    pixel's samples in those frames, the largest agreeing group (within ``tolerance``;
    the first sample with the most). The pixel's backdrop is that group's colour when the
    group holds at least ``agree_share`` of those frames and at most ``outside_share`` of
    all the frames agreeing with it lie outside them (the same colour while the
    neighbours are covered too is the subject's); then ``seen`` holds those frames, and
    where the colour is more than ``tolerance`` from the plate, plate (float32 (H, W, 3))
    and support (float32 (H, W)) take it. Otherwise no backdrop was seen there (0).
    Sequential: each pixel reads its neighbours' results. samples uint8 (K, H, W, 3),
    K <= 62. Returns how many plate pixels changed. Its numpy twin is
    plate_reference.plate_behind."""
    k, h, w = samples.shape[0], samples.shape[1], samples.shape[2]
    votes = np.zeros(k, np.int64)
    pixel = np.zeros((k, 3), np.int32)
    agree = np.zeros(k, np.int64)  # agree[i]: the samples within the tolerance of sample i
    # The pixels' samples gathered once, plane by plane in raster order, K side by side:
    # taken in ``order`` (rings inwards from the sure backdrop) straight from the K
    # planes, each pixel's 3 K bytes were K cache misses (1 MP, 24 samples: 1.0 s)
    raster = np.sort(order)
    slot = np.empty(h * w, np.int64)
    gathered = np.empty((len(raster), k, 3), np.uint8)
    for f in range(k):
        for i in range(len(raster)):
            y = raster[i] // w
            x = raster[i] - y * w
            for c in range(3):
                gathered[i, f, c] = samples[f, y, x, c]
    for i in range(len(raster)):
        slot[raster[i]] = i
    changed = 0
    for index in order:
        y = index // w
        x = index - y * w
        votes[:] = 0
        voters = 0
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                yy = y + dy
                xx = x + dx
                if (dy == 0 and dx == 0) or yy < 0 or yy >= h or xx < 0 or xx >= w:
                    continue
                mask = seen[yy, xx]
                if mask <= 0:  # not decided yet, or no backdrop seen there
                    continue
                voters += 1
                for f in range(k):
                    votes[f] += (mask >> f) & 1
        frames = 0
        for f in range(k):
            if 2 * votes[f] > voters:
                frames |= 1 << f
        seen[y, x] = 0
        if frames == 0:
            continue
        # the pixel's samples side by side, and each pair compared once
        at = slot[index]
        for i in range(k):
            for c in range(3):
                pixel[i, c] = gathered[at, i, c]
            agree[i] = 1 << i
        for i in range(k):
            for j in range(i + 1, k):
                d = (
                    abs(pixel[i, 0] - pixel[j, 0])
                    + abs(pixel[i, 1] - pixel[j, 1])
                    + abs(pixel[i, 2] - pixel[j, 2])
                )
                if d <= tolerance:
                    agree[i] |= 1 << j
                    agree[j] |= 1 << i
        best = -1
        best_n = 0
        for i in range(k):
            if (frames >> i) & 1:
                n = _bit_count(agree[i] & frames)
                if n > best_n:
                    best = i
                    best_n = n
        if best_n < agree_share * _bit_count(frames):
            continue  # the pixel is not still while its neighbours show their backdrop
        group = agree[best]
        n = _bit_count(group)
        if _bit_count(group & ~frames) > outside_share * n:
            continue
        seen[y, x] = group
        r = 0.0
        g = 0.0
        b = 0.0
        for j in range(k):
            if (group >> j) & 1:
                r += pixel[j, 0]
                g += pixel[j, 1]
                b += pixel[j, 2]
        r /= n
        g /= n
        b /= n
        if abs(plate[y, x, 0] - r) + abs(plate[y, x, 1] - g) + abs(plate[y, x, 2] - b) > tolerance:
            plate[y, x, 0] = r
            plate[y, x, 1] = g
            plate[y, x, 2] = b
            support[y, x] = n / k
            changed += 1
    return changed
