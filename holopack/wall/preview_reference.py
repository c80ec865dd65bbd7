"""Slow, obviously-correct numpy twins of preview_kernel's kernels (for tests)."""

from __future__ import annotations

import numpy as np


def draw_single_reference(pixel, source, table_base, values, tables, out):
    """Same effect as preview_kernel.draw_single."""
    channels = source[:, None].astype(np.int64) + np.arange(3)
    out.reshape(-1, 3)[pixel] = tables[table_base[:, None] + values[channels]]


def draw_overlaps_reference(pixel, runptr, source, lut_base, values, luts, out):
    """Same effect as preview_kernel.draw_overlaps, with the exact sRGB formula in
    float64 instead of a table (so bytes may differ by one where the table rounds)."""
    owner = np.repeat(pixel, np.diff(runptr))
    light = np.zeros((out.size // 3, 3), np.float64)
    channels = source[:, None].astype(np.int64) + np.arange(3)
    np.add.at(light, owner, luts[lut_base[:, None] + values[channels]].astype(np.float64))
    v = np.clip(light[pixel], 0.0, 1.0)
    e = np.where(v <= 0.0031308, 12.92 * v, 1.055 * np.power(v, 1 / 2.4) - 0.055)
    out.reshape(-1, 3)[pixel] = np.floor(e * 255 + 0.5).astype(np.uint8)
