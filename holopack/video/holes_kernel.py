"""Per-region sums for holes.py in one pass (np.bincount over masked copies took
about as long as the rest of the refinements). ``nogil``: the keyer's thread lets the
export's thread run meanwhile (process.py). Numpy twin: holes_reference."""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True)
def label_sums(labels, mask, offset, count, sums, squares):
    """labels int32 (H, W); mask uint8 (H, W); offset float32 (H, W, 3); count float64
    (L,), sums and squares float64 (L, 3), zeroed by the caller: for every pixel with
    mask set, count[label] += 1, sums[label] += offset and squares[label] += offset**2."""
    height, width = labels.shape
    for y in range(height):
        for x in range(width):
            if mask[y, x]:
                k = labels[y, x]
                a = float(offset[y, x, 0])
                b = float(offset[y, x, 1])
                c = float(offset[y, x, 2])
                count[k] += 1.0
                sums[k, 0] += a
                sums[k, 1] += b
                sums[k, 2] += c
                squares[k, 0] += a * a
                squares[k, 1] += b * b
                squares[k, 2] += c * c
