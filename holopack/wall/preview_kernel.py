"""Numba kernel of the wall preview: add each fan's LED light at its preview pixels, one thread: a
fan's 90,000 pixels take well under a millisecond, less than waking a second thread
(preview_reference.py is the numpy twin)."""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def add_leds(pixels, leds, lut, codes, out):
    """out[pixels[k]] += lut[codes[leds[k]]] per channel.

    pixels int64 (K,) distinct flat preview pixel indices; leds int64 (K,) flat LED
    index (slice * columns + column); lut float32 (max_code + 1,) code -> linear light;
    codes uint8 (S * C, 3); out float32 (P, 3), added to.
    """
    for k in range(pixels.shape[0]):
        p = pixels[k]
        led = leds[k]
        out[p, 0] += lut[codes[led, 0]]
        out[p, 1] += lut[codes[led, 1]]
        out[p, 2] += lut[codes[led, 2]]
