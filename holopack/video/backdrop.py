"""What a picture's border says about its background: lit or black, and the key that
clears it. Shared by inspect's warnings and by export, which keys a still picture only
when told to (holopack.video.process.prepare_scene)."""

from __future__ import annotations

import numpy as np

# A fan shows black as "off": a background brighter than this (mean sRGB code of the
# frame's border) turns into a visible disc of light.
BACKGROUND_LIMIT = 24
# how the warning of a lit background begins (inspect drops it where export's defaults fix it)
NOT_BLACK = "the background is not black"
# A border is one colour, which ``--key COLOR`` keys out, when this share of its pixels
# lies within BORDER_TOLERANCE (each channel, sRGB codes) of its median colour: a product
# shot on a white sweep, a wall behind a talking head.
BORDER_UNIFORM = 0.8
BORDER_TOLERANCE = 24


def frame_border(frame: np.ndarray) -> np.ndarray:
    """The outermost ring of pixels of an (H, W, C) uint8 frame as (N, 3) RGB."""
    ring = np.concatenate([frame[0], frame[-1], frame[:, 0], frame[:, -1]])
    return ring[:, :3]


def lit_background(borders: list[np.ndarray]) -> str | None:
    """The warning for a background that the fan would show lit, given the border rings
    of some frames ((N, 3) uint8 each, ``frame_border``), or None where it is black: the
    median of the frames' mean border levels above BACKGROUND_LIMIT."""
    if not borders:
        return None
    level = float(np.median([b.mean() for b in borders]))
    if level <= BACKGROUND_LIMIT:
        return None
    return (
        f"{NOT_BLACK} (mean border level {level:.0f}/255): the fan will show it as a lit "
        f"disc; {key_advice(np.concatenate(borders))}"
    )


def key_advice(border: np.ndarray) -> str:
    """How to key out a background whose border pixels are ``border`` (N, 3) uint8 sRGB:
    by its colour, named, where the border is one colour (BORDER_UNIFORM); otherwise by a
    colour of the user's choosing. The keyer takes a named colour as the backdrop's (a
    white or grey one by a clean plate of that colour: holopack.video.analyse)."""
    median = np.median(border, axis=0)
    near = np.abs(border.astype(np.int16) - median).max(axis=1) <= BORDER_TOLERANCE
    if near.mean() >= BORDER_UNIFORM:
        r, g, b = (int(round(c)) for c in median)
        return f"key it out to black with --key '#{r:02X}{g:02X}{b:02X}'"
    return "key it out to black (--key COLOR names the backdrop's colour)"
