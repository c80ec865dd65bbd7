"""Spill suppression: the light of a screen taken off the subject's rim.

A screen lights the subject's edge with its own colour, and a codec's halved chroma
spreads the screen into the rim. The keyer holds the screen's colour down there (on
matte.edge_band, a few pixels deep). What "the screen's colour" is depends on the
screen, so each key colour has a despill ``mode`` (an int, so that the Numba kernels take
it as it is):

- ``NONE`` (-1): a grey key, nothing held down;
- 0, 1, 2: one channel leads (a red, green or blue screen): that channel is held to
  the larger of the other two, its excess over them is spill;
- ``SECONDARY`` + c (3, 4, 5): two channels lead and channel c is left low (a cyan,
  magenta or yellow screen): the common part of the two over channel c is spill, and
  both are lowered by it. Holding one of them alone did nothing: on a yellow screen red
  and green rise together, and the larger stays held to the other (a clip of a man
  before a yellow-green wall kept a yellow rim on his hair).

Which mode a colour takes: sorted high, middle, low, one channel leads where the high
stands at least as far above the middle as the middle above the low.

A secondary's excess is also a colour subjects have: skin, blond hair and orange lead the
yellow way, pinks the magenta way. Taken off in full, a man's face before a yellow-green
wall (MDN's chroma-keying clip keyed by its colour) got a purple rim 4 px wide. So a
secondary mode comes with an ``allowance`` in codes: the excess the subject's own
pixels away from the edge show (``ALLOWANCE_PERCENTILE`` of it, analyse measures it on
the samples), and only the excess above it is taken off. A primary keeps no allowance:
its screens are green and blue, colours subjects rarely lead with, and a green shirt's
rim greyed is the despill users know.

key_kernel.composite carries the same rule pixel by pixel (its numpy twin:
key_reference.composite); here are the array forms the first pass and the export use.
"""

from __future__ import annotations

import cv2
import numpy as np

NONE = -1
SECONDARY = 3
# the share of the subject's deep pixels whose own excess a secondary's despill leaves
ALLOWANCE_PERCENTILE = 90.0


def despill_mode(rgb) -> int:
    """A key colour (3,) (codes or light) -> its despill mode (see the module doc):
    NONE where its channels are all equal."""
    colour = np.asarray(rgb, np.float64).reshape(3)
    order = np.argsort(-colour, kind="stable")
    high, middle, low = colour[order]
    if high <= low:
        return NONE
    if high - middle >= middle - low:
        return int(order[0])
    return SECONDARY + int(order[2])


def held_channels(mode: int) -> tuple[int, ...]:
    """The channels a mode lowers: () for NONE, one for a primary, two for a secondary."""
    if mode < 0:
        return ()
    if mode < SECONDARY:
        return (mode,)
    return tuple(c for c in range(3) if c != mode - SECONDARY)


def other_channels(mode: int) -> tuple[int, ...]:
    """The channels a mode leaves as they are (all three for NONE)."""
    held = held_channels(mode)
    return tuple(c for c in range(3) if c not in held)


def excess(colour: np.ndarray, mode: int) -> np.ndarray:
    """colour float (..., 3) -> float (...): how far the screen's colour leads in it
    (negative where it does not): a primary's channel over the larger other; a
    secondary's smaller held channel over the low one. mode must not be NONE."""
    held = held_channels(mode)
    others = other_channels(mode)
    if len(held) == 1:
        return colour[..., held[0]] - np.maximum(colour[..., others[0]], colour[..., others[1]])
    return np.minimum(colour[..., held[0]], colour[..., held[1]]) - colour[..., others[0]]


def despilled(colour: np.ndarray, mode: int, allowance: float = 0.0) -> np.ndarray:
    """colour float (..., 3) -> a copy with the excess above ``allowance`` (a
    secondary's; a primary's is 0) taken off each held channel."""
    out = np.array(colour, dtype=np.result_type(colour, np.float32), copy=True)
    if mode < 0:
        return out
    spill = np.maximum(excess(out, mode) - (allowance if mode >= SECONDARY else 0.0), 0.0)
    for c in held_channels(mode):
        out[..., c] -= spill
    return out


def excess_codes(planes, mode: int) -> np.ndarray:
    """planes: a picture's three uint8 channel planes (cv2.split) -> uint8: excess,
    0 where not positive (saturating, in OpenCV)."""
    held = held_channels(mode)
    others = other_channels(mode)
    if len(held) == 1:
        return cv2.subtract(planes[held[0]], cv2.max(planes[others[0]], planes[others[1]]))
    return cv2.subtract(cv2.min(planes[held[0]], planes[held[1]]), planes[others[0]])


def despill_planes(planes: list, mode: int, mask: np.ndarray, allowance: float = 0.0) -> None:
    """planes: a picture's uint8 channel planes (a list from cv2.split), despilled in
    place where ``mask`` (uint8 (H, W)) is set, a secondary's ``allowance`` (codes,
    rounded to a whole code) kept."""
    if mode < 0:
        return
    spill = excess_codes(planes, mode)
    if mode >= SECONDARY and allowance > 0:
        spill = cv2.subtract(spill, np.full_like(spill, min(255, int(round(allowance)))))
    for c in held_channels(mode):
        planes[c] = cv2.copyTo(cv2.subtract(planes[c], spill), mask, planes[c])


def allowance(colours: np.ndarray, mode: int) -> float:
    """colours uint8 or float (N, 3): the subject's pixels away from its edge -> the
    excess (codes) a secondary mode leaves on the rim: ALLOWANCE_PERCENTILE of theirs,
    0 where it is not positive; 0 for a primary or NONE, or without pixels."""
    if mode < SECONDARY or not len(colours):
        return 0.0
    own = excess(np.asarray(colours, np.float64), mode)
    return max(0.0, float(np.percentile(own, ALLOWANCE_PERCENTILE)))
