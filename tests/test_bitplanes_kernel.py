"""The 42-F2 bit-plane packer (formats/bitplanes_kernel.py) against its numpy twin, and
a packed frame read back through the file's published layout."""

from __future__ import annotations

import numpy as np
import pytest

from holopack.device import load_profile
from holopack.formats.bitplanes_kernel import pack_bitplanes
from holopack.formats.bitplanes_reference import pack_bitplanes_reference
from holopack.formats.circle42f2 import pack_frame


@pytest.mark.parametrize("depth", [1, 5, 6, 8])
@pytest.mark.parametrize("msb_first", [True, False])
def test_kernel_matches_numpy_twin(depth, msb_first):
    rng = np.random.default_rng(depth)
    source = rng.integers(0, 1 << depth, (37, 48)).astype(np.uint8)
    source[0] = (1 << depth) - 1  # all ones
    source[1] = 0
    a = np.full((37, depth, 6), 0xAA, np.uint8)
    b = a.copy()
    pack_bitplanes(source, depth, msb_first, a)
    pack_bitplanes_reference(source, depth, msb_first, b)
    np.testing.assert_array_equal(a, b)
    assert np.all(a[0] == 0xFF) and np.all(a[1] == 0)


def test_a_42f2_frame_reads_back_by_the_published_layout():
    # slice = planes for bits 7..2 of (code << 2), each LEDs*3/8 bytes; source byte j is
    # bit 7 - (j & 7) of plane byte j >> 3; source = LEDs x (B, G, R)
    p = load_profile("3dcircle-42f2")
    rng = np.random.default_rng(9)
    codes = rng.integers(0, 64, p.codes_shape).astype(np.uint8)
    data = np.frombuffer(pack_frame(codes, p), np.uint8).reshape(p.slices, 6, p.columns * 3 // 8)
    source = (codes[:, :, ::-1].reshape(p.slices, -1).astype(np.int64)) << 2
    j = np.arange(p.columns * 3)
    for plane, bit in enumerate(range(7, 1, -1)):
        got = (data[:, plane, j >> 3] >> (7 - (j & 7))) & 1
        np.testing.assert_array_equal(got, (source >> bit) & 1)
