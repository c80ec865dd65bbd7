"""--edge-fade auto: a subject cut by the frame fades out towards the cut.

A twin presenter is mostly filmed from the waist up: the frame's bottom edge cuts the
body. Keyed and fitted into the fan's circle, that cut is a straight line floating in
the air, the one edge of the subject that is not its own. Where the subject's extent
over the clip reaches a frame edge (``cut_edges``), its light is faded to black over
``FADE_SHARE`` of its extent across that edge (``fade_for``: a smoothstep from 0 at
the cut to 1 inside), in linear light (``apply_fade``), so the bust dissolves the way a
hologram's content is made to. Off by default: it changes the subject.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..colour import SRGB8_TO_LINEAR, linear_to_srgb
from .crop import Placement

EDGES = ("left", "top", "right", "bottom")
# the fade's length across a cut edge, as a share of the subject's extent across it: a
# waist-up presenter 800 px tall fades over its last 160 px
FADE_SHARE = 0.2
# the subject's extent reaches an edge when it ends within this share of the frame's
# side of it (or 2 px): a keyed edge stops a pixel or two short of a cut
TOUCH_SHARE = 0.005

# linear light (0-1) -> sRGB code, sampled finely enough to round like linear_to_srgb
_ENCODE_STEPS = 1 << 16
_ENCODE = np.round(255.0 * linear_to_srgb(np.linspace(0.0, 1.0, _ENCODE_STEPS))).astype(np.uint8)


def cut_edges(box: tuple | None, width: int, height: int) -> tuple[str, ...]:
    """The frame edges (of EDGES) that the subject's extent ``box`` (x0, y0, x1, y1 in
    source pixels, x1/y1 exclusive) reaches."""
    if box is None:
        return ()
    x0, y0, x1, y1 = box
    tol_x, tol_y = max(2.0, TOUCH_SHARE * width), max(2.0, TOUCH_SHARE * height)
    reached = (x0 <= tol_x, y0 <= tol_y, x1 >= width - tol_x, y1 >= height - tol_y)
    return tuple(edge for edge, hit in zip(EDGES, reached) if hit)


@dataclass(frozen=True)
class Fade:
    """The kept share of each output pixel's light, separable: ``rows`` (S,) float32
    (1 where no top/bottom fade reaches) times ``columns`` (S,) float32."""

    rows: np.ndarray
    columns: np.ndarray


def fade_for(placement: Placement, width: int, height: int, box: tuple | None) -> Fade | None:
    """The fade of the subject's cut edges (``cut_edges``) as ``placement`` shows the
    frame: 0 on the image of a cut frame edge, rising to 1 over FADE_SHARE of the box's
    extent across it (output pixels); None when no edge is cut."""
    edges = cut_edges(box, width, height)
    if not edges or box is None:
        return None
    s, sc = placement.size, placement.scale
    centres = np.arange(s, dtype=np.float64) + 0.5
    # output pixel centres in source coordinates
    src_x = (centres - placement.offset_x) / sc
    src_y = (centres - placement.offset_y) / sc
    x0, y0, x1, y1 = box
    ramps = {
        "left": (src_x, 0.0, 1.0, x1 - x0),
        "right": (src_x, float(width), -1.0, x1 - x0),
        "top": (src_y, 0.0, 1.0, y1 - y0),
        "bottom": (src_y, float(height), -1.0, y1 - y0),
    }
    factors = {"x": np.ones(s), "y": np.ones(s)}
    for edge in edges:
        coords, at, inwards, extent = ramps[edge]
        length = max(1.0, FADE_SHARE * float(extent))
        t = np.clip((coords - at) * inwards / length, 0.0, 1.0)
        factors["x" if edge in ("left", "right") else "y"] *= t * t * (3.0 - 2.0 * t)
    return Fade(rows=factors["y"].astype(np.float32), columns=factors["x"].astype(np.float32))


def apply_fade(colour: np.ndarray, fade: Fade) -> np.ndarray:
    """(S, S, 3) uint8 sRGB (premultiplied over black) times the fade in linear light,
    re-encoded: a new array. Only the rows and columns the fade reaches are touched (a
    bottom fade: the band of rows across the subject's last fifth)."""
    out = colour.copy()
    size = colour.shape[0]
    faded_rows = fade.rows < 1.0
    parts = [(slice(lo, hi), slice(0, size)) for lo, hi in _runs(faded_rows)]
    for clo, chi in _runs(fade.columns < 1.0):
        parts += [(slice(lo, hi), slice(clo, chi)) for lo, hi in _runs(~faded_rows)]
    for rows, columns in parts:
        weights = fade.rows[rows, None] * fade.columns[None, columns]
        light = SRGB8_TO_LINEAR[out[rows, columns]] * weights[..., None]
        index = np.minimum((light * (_ENCODE_STEPS - 1) + 0.5).astype(np.int32), _ENCODE_STEPS - 1)
        out[rows, columns] = _ENCODE[index]
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True in a 1-D bool array."""
    padded = np.concatenate([[False], mask, [False]])
    change = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(change[0::2].tolist(), change[1::2].tolist()))
