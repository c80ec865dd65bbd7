"""Slow, obviously-correct numpy twin of preview_kernel.add_leds (for tests)."""

from __future__ import annotations

import numpy as np


def add_leds_reference(pixels, leds, lut, codes, out):
    """Same arguments and effect as preview_kernel.add_leds."""
    np.add.at(out, pixels, lut[codes[leds]])
