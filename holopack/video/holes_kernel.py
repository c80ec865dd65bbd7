"""Per-region sums for holes.py in one pass (np.bincount over masked copies took
about as long as the rest of the refinements). ``nogil``: the keyer's thread lets the
export's thread run meanwhile (process.py). Numpy twin: holes_reference."""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True)
def label_sums(labels, mask, offset, count, sums):
    """labels int32 (H, W); mask uint8 (H, W); offset float32 (H, W, 3); count float64
    (L,) and sums float64 (L, 3), zeroed by the caller: for every pixel with mask set,
    count[label] += 1 and sums[label] += offset."""
    height, width = labels.shape
    for y in range(height):
        for x in range(width):
            if mask[y, x]:
                k = labels[y, x]
                count[k] += 1.0
                sums[k, 0] += offset[y, x, 0]
                sums[k, 1] += offset[y, x, 1]
                sums[k, 2] += offset[y, x, 2]
