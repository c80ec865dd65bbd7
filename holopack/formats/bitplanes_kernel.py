"""Numba kernel: bytes of codes -> bit-planes, as the 42-F2 ``.BIN`` stores a slice
(bitplanes_reference.py is the numpy twin, the form pack_frame had before).

Eight source bytes are read as one little-endian 64-bit word: masking one bit of each
byte leaves bits 0, 8, ..., 56, and one multiplication gathers them into the top byte
in either order (the terms never overlap, so nothing carries). The numpy form (shift,
mask and packbits once per plane, after a fancy-indexed channel swap) took 0.9 ms of
CPU time per 42-F2 frame, 8 ms per frame of a 3 x 3 wall of them; pack_frame now takes
0.29 ms (this kernel 0.16-0.21 ms of it; measured on 2 busy cores, 2026-12-02).
"""

from __future__ import annotations

import numpy as np
from numba import njit

ONES = np.uint64(0x0101010101010101)  # bit 0 of every byte
# byte k's bit at 8k times 2 ** (9j) lands at 63 - k when j = 7 - k: top byte, first byte highest
GATHER_MSB_FIRST = np.uint64(0x8040201008040201)
# times 2 ** (8j + 7 - j) it lands at 56 + k when j = 7 - k: top byte, first byte lowest
GATHER_LSB_FIRST = np.uint64(0x0102040810204080)


@njit(cache=True, nogil=True)
def pack_bitplanes_words(words, depth, gather, out):
    """out[s, p, j] = bit (depth - 1 - p) of the eight bytes of words[s, j] gathered by
    ``gather`` (GATHER_MSB_FIRST or GATHER_LSB_FIRST).

    words uint64 (S, W): the source bytes (codes below 2**depth) eight at a time, read
    little-endian; depth int (1..8); out uint8 (S, depth, W).
    """
    S, W = words.shape
    ones = np.uint64(0x0101010101010101)
    top = np.uint64(56)
    for s in range(S):
        for j in range(W):
            x = words[s, j]
            for p in range(depth):
                m = (x >> np.uint64(depth - 1 - p)) & ones
                out[s, p, j] = np.uint8((m * gather) >> top)


def pack_bitplanes(source: np.ndarray, depth: int, msb_first: bool, out: np.ndarray) -> None:
    """out[s, p, j] = the byte holding bit (depth - 1 - p) of source[s, 8j : 8j + 8],
    the first of them in the byte's top bit when ``msb_first`` (else its lowest).

    source uint8 (S, N) codes below 2**depth, N a multiple of 8; out uint8 (S, depth, N // 8).
    """
    words = np.ascontiguousarray(source, np.uint8).view("<u8")  # little-endian on any machine
    if words.dtype.byteorder not in ("=", "<", "|") or words.dtype != np.uint64:
        words = words.astype(np.uint64)
    pack_bitplanes_words(words, int(depth), GATHER_MSB_FIRST if msb_first else GATHER_LSB_FIRST, out)
