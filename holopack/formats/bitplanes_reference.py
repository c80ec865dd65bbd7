"""Slow, obviously-correct numpy twin of bitplanes_kernel.pack_bitplanes (for tests)."""

from __future__ import annotations

import numpy as np


def pack_bitplanes_reference(source, depth, msb_first, out):
    """Same arguments and effect as bitplanes_kernel.pack_bitplanes: one packbits per
    plane, top plane first."""
    order = "big" if msb_first else "little"
    for p in range(depth):
        bit = depth - 1 - p
        out[:, p, :] = np.packbits((source >> np.uint8(bit)) & np.uint8(1), axis=1, bitorder=order)
