"""Fades from or to black or white, found on the backdrop and undone before keying.

Stock and studio clips open with a fade from black (or white) and end with one to black.
In a fade every pixel is ``s x light + o`` in linear light: s < 1 the share of the clip,
o the share of the colour it fades from (0 for black, 1 - s for white). The keyer, set
up on the clip at full light, took the dimmed or washed-out screen for no screen: a
green-screen clip fading in from black over 12 frames kept its whole screen lit in 8 of
them, one fading in from white in all 12 (tests/test_video_fade.py).

``fade_of`` fits s and o from the frame's outer ring, where the backdrop is, against the
backdrop the keyer keys to (the clean plate, or the key colour). A frame found faded is
keyed as its light before the fade (``Fade.undo``), and what the fan shows of it is the
keyed subject at the fade's share of its light (``Fade.redo``): a fade from white
becomes one from black, as black is what a fan shows as clear air. The first pass
undoes its samples' and its small copies' fades the same way (``undo_fades``), so that
the key colour, the gates and the subject's extent are the unfaded clip's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..colour import SRGB8_TO_LINEAR, linear_to_srgb

# A frame is faded when its backdrop's light is scaled by less than this (a fade from
# black or to it) ...
FADE_SCALE = 0.94
# ... and the light it fades from, o / (1 - s), is a grey: between black (0) and white (1)
# within this much. A backdrop brighter than the one the key was set up on (a screen
# lit more in the middle than at the border the key colour came from, under --crop auto)
# has s > 1, and is left alone where the keyer keys to a colour.
FADE_GREY_TOLERANCE = 0.15
# Against a clean plate, which is the backdrop pixel by pixel, a ring brighter by this
# much at least (and at most EXPOSURE_MAX, the light it comes from black) is the camera's
# auto exposure opening up, undone as a fade is: a teal wall whose exposure pumped 20%
# either way kept its wall lit in the brighter third of the frames (the worst 55% exactly
# black), the darker third being a fade already.
EXPOSURE_SCALE = 1.0 / FADE_SCALE
EXPOSURE_MAX = 2.0
# Below this share of its light the frame is black for the fan whatever its subject.
FADE_BLACK = 0.03
# A faded frame whose noise undo magnifies more than this (Fade.noise_gain) is shown as
# black: a green-screen clip fading in from white kept 87-100% of its screen lit in the
# frames with a quarter of its light or less (gain 9.8-27 there), and none from a third
# on (gain 6.5; from black the gain stays below 4.3 down to 3% of the light)
MAX_NOISE_GAIN = 8.0
# a backdrop this dark (sRGB code of its median's brightest channel) is black already
BLACK_CODE = 24
# a grey backdrop whose light varies less than this along the ring (interquartile range,
# linear light) gives no spread to measure a fade by: the lines from black and from
# white are tried instead
SPREAD_FLOOR = 0.01
# ring pixels the fit reads, at most (evenly spread): with 4096 of them a 672 px frame
# with no fade took 0.5 ms, with 1024 0.18 ms (0.08 with the backdrop's ring kept)
RING_PIXELS = 1024
# ring pixels whose light is within this of the first fit (linear light) refine it
FIT_BAND = 0.04
# a fit must explain this share of the ring: less, and the ring is not the backdrop
FIT_SHARE = 0.5
# and this much more of it than no fade does, within a band of this share of the
# backdrop's light and this much more (linear light): a dark studio's grey at 0.07 fades
# by 0.018 at 75% of its light, and a fixed band of 0.02 missed it
EXPLAINED_MORE = 0.25
EXPLAINED_SHARE = 0.06
EXPLAINED_FLOOR = 0.002


@dataclass(frozen=True)
class Fade:
    """A frame's light as ``scale x light + offset`` of the clip's (linear light)."""

    scale: float
    offset: float

    @property
    def black(self) -> bool:
        """Whether so little of the clip's light is left that the fan shows nothing."""
        return self.scale < FADE_BLACK

    def noise_gain(self, code: int) -> float:
        """How much ``undo`` magnifies a code's noise around sRGB code ``code`` (at least
        1): near white, where a fade from white puts the backdrop, a code is a wide step
        of light, and divided by the scale it is wider still."""
        table = self.undo(np.arange(256, dtype=np.uint8)).astype(np.float64)
        lo, hi = max(code - 4, 0), min(code + 4, 255)
        return max(1.0, float(table[hi] - table[lo]) / max(hi - lo, 1))

    def undo(self, frame: np.ndarray) -> np.ndarray:
        """uint8 sRGB (..., 3) -> the same codes as the light before the fade."""
        light = (SRGB8_TO_LINEAR - np.float32(self.offset)) / np.float32(self.scale)
        return _codes_table(light)[frame]

    def redo(self, shown: np.ndarray) -> np.ndarray:
        """uint8 sRGB (..., 3) premultiplied over black -> at the fade's share of its light."""
        return _codes_table(SRGB8_TO_LINEAR * np.float32(self.scale))[shown]


def _codes_table(light: np.ndarray) -> np.ndarray:
    """(256,) linear light -> (256,) uint8 sRGB codes, rounded, clipped to [0, 255]."""
    codes = linear_to_srgb(np.clip(light.astype(np.float64), 0.0, 1.0)) * 255.0
    return np.clip(codes + 0.5, 0, 255).astype(np.uint8)


def ring_indices(height: int, width: int) -> np.ndarray:
    """int64 (P,) flat indices of the frame's outer ring (3% of the short side, 2 px at
    least), every n-th so that P <= RING_PIXELS."""
    ring = max(2, int(round(0.03 * min(height, width))))
    mask = np.zeros((height, width), bool)
    mask[:ring], mask[-ring:], mask[:, :ring], mask[:, -ring:] = True, True, True, True
    flat = np.flatnonzero(mask.ravel())
    return flat[:: max(1, -(-len(flat) // RING_PIXELS))]


@dataclass(frozen=True)
class RingBackdrop:
    """The backdrop's light on a frame's outer ring, taken once for a stream of frames
    of one size: ring int64 (P,) flat pixel indices (``ring_indices``), light float64
    (P, 3) linear, median float64 (3,) per channel. Gathered from the whole backdrop
    with each frame, a 672 px frame's fade took 0.78 ms of the export's keying thread
    (the 1080p bench clip), 0.48 ms so (a frame with no fade alone: 0.08 ms)."""

    ring: np.ndarray
    light: np.ndarray
    median: np.ndarray
    plate: bool = False  # the backdrop is a clean plate: a brighter ring is exposure


def ring_backdrop(backdrop_linear: np.ndarray, height: int, width: int, plate: bool = False) -> RingBackdrop:
    """backdrop_linear float32 (H, W, 3) or (3,): what the keyer keys to, in linear light,
    for frames of ``height`` x ``width``; plate: whether it is a clean plate (see
    EXPOSURE_SCALE) -> its RingBackdrop."""
    ring = ring_indices(height, width)
    if backdrop_linear.ndim == 1:
        light = np.broadcast_to(backdrop_linear.astype(np.float64), (len(ring), 3)).copy()
    else:
        light = backdrop_linear.reshape(-1, 3)[ring].astype(np.float64)
    return RingBackdrop(ring, light, np.median(light, axis=0), plate)


def fade_of(frame: np.ndarray, backdrop: RingBackdrop, previous: Fade | None = None) -> Fade | None:
    """frame uint8 (H, W, 3) sRGB; backdrop: the keyer's backdrop on its ring
    (``ring_backdrop``); previous: the frame before's fade, if it had one -> the frame's
    fade, or None where it is none (its backdrop as the keyer expects it, or brighter) or
    the ring is not its backdrop. Black padding (a frame placed in a larger square) is
    no backdrop and is left out."""
    pixels = frame.reshape(-1, 3)[backdrop.ring]
    keep = pixels.max(axis=1) > 0
    kept = int(keep.sum())
    if kept < 16:
        # a black frame where the backdrop is lit: the whole clip faded to black
        lit = float(np.median(backdrop.light.max(axis=1))) > float(SRGB8_TO_LINEAR[BLACK_CODE])
        return Fade(0.0, 0.0) if lit else None
    whole = kept == len(keep)
    seen = SRGB8_TO_LINEAR[pixels if whole else pixels[keep]].astype(np.float64)  # (N, 3)
    expected = backdrop.light if whole else backdrop.light[keep]
    m_seen = np.median(seen, axis=0)
    m_expected = backdrop.median if whole else np.median(expected, axis=0)
    if (np.abs(m_seen - m_expected) <= EXPLAINED_SHARE * m_expected.max() + EXPLAINED_FLOOR).all():
        # the ring's light is the backdrop's, as it is, within the band no fade leaves it
        # in: the usual frame, settled in well under a millisecond, not the 4-6 ms that
        # fitting lines to a 672 px frame's ring took
        return None
    # the first line from the channels' medians (a subject that reaches the border is
    # less than half of it), or for a grey backdrop from the spread of its light along
    # the ring (a fade narrows it by s)
    start = _line(m_expected, m_seen)
    if float(m_expected.std()) < 0.01:
        start = _spread_line(expected.mean(axis=1), seen.mean(axis=1), *start)
    # Then lines from a light faded from: the frame before's, and black and white, each
    # with the median over the ring of each pixel's share of the clip's light on the line
    # from it
    starts = [start]
    greys = [0.0, 1.0]
    if previous is not None and previous.scale < 1.0:
        greys.insert(0, previous.offset / (1.0 - previous.scale))
    e, v = expected.mean(axis=1), seen.mean(axis=1)
    for grey in greys:
        apart = np.abs(e - grey) > 0.02
        if int(apart.sum()) >= 16:
            share = float(np.median((v[apart] - grey) / (e[apart] - grey)))
            starts.append((share, (1.0 - share) * grey))
    for scale, offset in starts:
        if scale is None:
            continue
        near = np.abs(seen - (scale * expected + offset)) <= FIT_BAND
        if float(near.mean()) < FIT_SHARE:
            continue
        # the line refitted to the pixels near it, in narrowing bands (a subject on the
        # ring pulls the first fit off the backdrop's, and the next drops it); where such
        # a fit is no fade (the spread of a washed-out frame's light is its codec's
        # noise) the line itself
        fit = (scale, offset)
        for band in (FIT_BAND, FIT_BAND / 2, FIT_BAND / 4):
            near = np.abs(seen - (fit[0] * expected + fit[1])) <= band
            if int(near.sum()) < 16:
                break
            refit = _line(expected[near], seen[near])
            if refit[0] is None:
                break
            fit = (refit[0], refit[1])
        fade = _fade(*fit, backdrop.plate) or _fade(scale, offset, backdrop.plate)
        if fade is not None and _explains(fade, expected, seen):
            return fade
    return None


def _explains(fade: Fade, expected: np.ndarray, seen: np.ndarray) -> bool:
    """Whether ``fade`` explains the ring clearly better than no fade: more of its
    pixels (by EXPLAINED_MORE of the ring) lie within the band of the faded
    backdrop than of the backdrop itself. A moving subject that crossed the ring of a
    textured backdrop bent the fit to a fade of 0.83 that the backdrop's own pixels,
    as they were, did not show (held-out textured clips 24 and 26: IoU 0.93 and 0.85)."""
    faded = _near(seen, fade.scale * expected + fade.offset, expected)
    return float(faded.mean()) >= float(_near(seen, expected, expected).mean()) + EXPLAINED_MORE


def _near(seen: np.ndarray, line: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """bool (N,): the ring pixels whose light ``seen`` (N, 3) lies within the band of
    ``line`` (N, 3) that _explains measures by, ``expected`` (N, 3) the backdrop's."""
    band = EXPLAINED_SHARE * expected.max(axis=1) + EXPLAINED_FLOOR
    return np.abs(seen - line).max(axis=1) <= band


def _fade(scale: float | None, offset: float, plate: bool = False) -> Fade | None:
    """The fitted line as a fade, or None where it is none: fading from a light that is
    no grey, or about as bright as the backdrop (FADE_SCALE <= s), or brighter where
    ``plate`` is False (against a plate: up to EXPOSURE_SCALE, or past EXPOSURE_MAX)."""
    if scale is None:
        return None
    if plate and EXPOSURE_SCALE <= scale <= EXPOSURE_MAX:
        # exposure: a gain on the clip's light, from black (o / (1 - s) about 0)
        if abs(offset) > FADE_GREY_TOLERANCE * (scale - 1.0):
            return None
        return Fade(float(scale), float(offset))
    if not scale < FADE_SCALE:
        return None
    scale = max(scale, 0.0)
    grey = offset / (1.0 - scale)  # the light faded from
    if not -FADE_GREY_TOLERANCE <= grey <= 1.0 + FADE_GREY_TOLERANCE:
        return None
    return Fade(float(scale), float(offset))


def _spread_line(expected: np.ndarray, seen: np.ndarray, scale, offset) -> tuple[float | None, float]:
    """A grey backdrop's line from the spread of its light along the ring: (s, o) with s
    the ratio of the interquartile ranges of ``seen`` to ``expected`` (N,) and o what
    puts the medians on the line; ``scale`` and ``offset`` as they are where the
    backdrop hardly varies (its spread within SPREAD_FLOOR)."""
    q_expected = np.percentile(expected, [25, 50, 75])
    q_seen = np.percentile(seen, [25, 50, 75])
    spread = float(q_expected[2] - q_expected[0])
    if spread < SPREAD_FLOOR:
        return scale, offset
    s = float(q_seen[2] - q_seen[0]) / spread
    return s, float(q_seen[1] - s * q_expected[1])


def _line(expected: np.ndarray, seen: np.ndarray) -> tuple[float | None, float]:
    """Least squares seen = s x expected + o over all values -> (s, o); where the
    expected values hardly differ (a grey backdrop of one level, its three medians
    equal), o = 0: a fade from black, the usual one. (None, 0) where nothing is lit."""
    x = np.asarray(expected, np.float64).ravel()
    y = np.asarray(seen, np.float64).ravel()
    if float(np.abs(x).max(initial=0.0)) <= 1e-4:
        return None, 0.0
    spread = float(x.std())
    if spread < 0.01:
        return float((x * y).sum() / (x * x).sum()), 0.0
    scale = float(((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum())
    return scale, float(y.mean() - scale * x.mean())


def keyable(fade: Fade, frame: np.ndarray, ring: np.ndarray) -> tuple[Fade, float]:
    """A frame's fade as the keyer takes it, and how much undoing it magnifies the
    frame's noise (Fade.noise_gain at its ring's median brightest code): where that
    passes MAX_NOISE_GAIN the frame is too washed out to key, and its fade is black."""
    if fade.black:
        return fade, 1.0
    gain = fade.noise_gain(int(np.median(frame.reshape(-1, 3)[ring].max(axis=1))))
    return (Fade(0.0, 0.0), gain) if gain > MAX_NOISE_GAIN else (fade, gain)


def undo_fades(
    frames: np.ndarray, backdrop_linear: np.ndarray, plate: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """frames uint8 (K, H, W, 3+), in clip order, undone in place where they are faded
    against ``backdrop_linear`` (float32 (H, W, 3) or (3,), and ``plate``, as
    ring_backdrop takes them) ->
    (bool (K,): the frames that show nothing (faded to black, or too washed out to key),
    left as they are; float64 (K,): how much the undoing magnified each frame's noise,
    1 where it did nothing)."""
    k, h, w = frames.shape[:3]
    backdrop = ring_backdrop(backdrop_linear, h, w, plate)
    blank = np.zeros(k, bool)
    gains = np.ones(k)
    previous = None
    for i in range(k):
        rgb = frames[i, ..., :3]
        previous = fade_of(np.ascontiguousarray(rgb), backdrop, previous)
        if previous is None:
            continue
        fade, gains[i] = keyable(previous, rgb, backdrop.ring)
        if fade.black:
            blank[i] = True
        else:
            frames[i, ..., :3] = fade.undo(rgb)
    return blank, gains
