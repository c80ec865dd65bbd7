"""One frame's matte and colour: the per-frame half of keying, shared by the first pass
(holopack.video.analyse keys its sampled frames with it) and the export
(holopack.video.process), so the sample and the output get the same matte.

``model`` below is the first pass's holopack.video.analyse.VideoModel (its key colour,
thresholds, plate and despill choice); this module does not import it, so that the
first pass can use the per-frame half without a cycle."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from ..colour import SRGB8_TO_LINEAR, linear_to_srgb
from . import despill, guide_kernel, key_kernel
from .fade import Fade, RingBackdrop, fade_of, keyable, ring_backdrop
from .holes import EDGE_BLOCK_PX, FAINT_PX, SOLID, fill_holes

MATTE_GATE = 0.1  # matte values below this become exact 0 (halo of chroma blur)


def ycbcr(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.float32)
    y = key_kernel.KR * rgb[..., 0] + key_kernel.KG * rgb[..., 1] + key_kernel.KB * rgb[..., 2]
    return np.stack(
        [y, key_kernel.CB_SCALE * (rgb[..., 2] - y), key_kernel.CR_SCALE * (rgb[..., 0] - y)], axis=-1
    ).astype(np.float32)


# Lossless pictures (VideoModel.edge_px 1: PNG frames, APNG, GIF) keep a ramp: the
# matte tightened by this much at each end (static clips, 9 seeds with the default twin
# and Fox: IoU 0.9701-0.9839; at 0.38, the ramp lossy clips had before coverage_edge,
# 0.0017-0.0020 lower; worst-frame background exactly 0 99.57% at worst; at 0.34 Fox
# seed 31 stays at 0.9693). Edges from a lossy codec take coverage_edge instead; on
# lossless pictures it loses 0.008-0.009 IoU (static seeds 21-23).
LOSSLESS_MATTE_CONTRAST = 0.3
EDGE_BAND_PX = 4  # despill reaches this far into the subject from the matte's edge


@dataclass
class KeyState:
    """The previous frame and its scores: what keeps a still edge from flickering."""

    frame: np.ndarray  # (H, W, 3) uint8
    score: np.ndarray  # (H, W) float32
    background_linear: np.ndarray | None = None  # (H, W, 3) float32, linear light
    alpha: np.ndarray | None = None  # (H, W) float32: the previous frame's final matte (holes.carry_parts)
    fade: Fade | None = None  # the previous frame's fade (holopack.video.fade)
    ring_backdrop: RingBackdrop | None = None  # the background on the frames' ring (fade.ring_backdrop)


SRGB_LINEAR = SRGB8_TO_LINEAR  # (256,) float32: sRGB code -> linear light


def codes_to_linear(codes: np.ndarray) -> np.ndarray:
    """float sRGB codes (..., 3) in [0, 255] -> float32 linear light, the sRGB curve
    (IEC 61966-2-1) in float32: within 3e-7 of colour.srgb_to_linear, which works in
    float64 and took 0.48 s for a one-megapixel plate against 0.03 s here."""
    v = np.asarray(codes, np.float32) * np.float32(1 / 255.0)
    out = np.power((v + np.float32(0.055)) * np.float32(1 / 1.055), np.float32(2.4), dtype=np.float32)
    low = v <= np.float32(0.04045)
    out[low] = v[low] * np.float32(1 / 12.92)
    return out


def background_for(model, plate_rgb: np.ndarray | None, shape) -> np.ndarray:
    if model.use_plate and plate_rgb is not None:
        return np.ascontiguousarray(plate_rgb, np.float32)
    if model.use_key:
        return np.broadcast_to(np.asarray(model.key_rgb, np.float32), shape).copy()
    return np.zeros(shape, np.float32)


def key_frame(
    model,
    frame: np.ndarray,
    plate_ycc: np.ndarray | None,
    plate_rgb: np.ndarray | None,
    state: KeyState | None,
    gain: float = 1.0,
    background: np.ndarray | None = None,
    background_linear: np.ndarray | None = None,
):
    """frame (H, W, 3) uint8 RGB, plates (H, W, 3) float32 at the same size -> (colour
    (H, W, 3) uint8 premultiplied over black, alpha (H, W) float32, the new state).
    score_frame then finish_frame, one after the other."""
    scored, state = score_frame(model, frame, plate_ycc, plate_rgb, state, background, background_linear)
    out, alpha = finish_frame(model, scored, state, gain)
    return out, alpha, state


@dataclass
class ScoredFrame:
    """A frame after the matte kernel, with all that the rest of its keying reads
    (finish_frame). It shares no array with the KeyState, which the next frame's kernel
    overwrites: that kernel may run while this frame is finished (process.ProcessedMedia
    keys a clip in two stages on two threads)."""

    frame: np.ndarray  # (H, W, 3) uint8 RGB
    alpha: np.ndarray  # (H, W) float32: the kernel's matte, refined in place by finish_frame
    offset: np.ndarray  # (H, W, 3) float32: the frame's YCbCr minus the plate's
    linear_distance: np.ndarray  # (H, W) float32: |frame - background| in linear RGB
    score: np.ndarray  # (H, W) float32: this frame's scores (a copy of the state's)
    background: np.ndarray  # (H, W, 3) float32: what the composite despills towards
    fade: Fade | None = None  # the frame's fade, undone in ``frame`` (holopack.video.fade)


def score_frame(
    model,
    frame: np.ndarray,
    plate_ycc: np.ndarray | None,
    plate_rgb: np.ndarray | None,
    state: KeyState | None,
    background: np.ndarray | None = None,
    background_linear: np.ndarray | None = None,
) -> tuple[ScoredFrame, KeyState]:
    """key_frame's first half: the matte kernel on ``frame`` (as key_frame's arguments),
    stepping the state from the previous frame to this one -> (the scored frame, the
    new state). It reads of the state only what the kernel of the frame before wrote."""
    frame = np.ascontiguousarray(frame[..., :3])
    h, w = frame.shape[:2]
    if plate_ycc is None:
        plate_ycc = np.zeros((h, w, 3), np.float32)
    if background is None:
        background = background_for(model, plate_rgb, (h, w, 3))
    alpha = np.empty((h, w), np.float32)
    if state is None:
        state = KeyState(frame.copy(), np.zeros((h, w), np.float32))
        has_prev = False
    else:
        has_prev = True
    if state.background_linear is None:
        state.background_linear = (
            codes_to_linear(background) if background_linear is None else background_linear
        )
    # a frame faded from or to black or white is keyed as its light before the fade
    fade = None
    if model.use_plate or model.use_key:
        if state.ring_backdrop is None:
            state.ring_backdrop = ring_backdrop(state.background_linear, h, w, model.use_plate)
        fade = fade_of(frame, state.ring_backdrop, state.fade)
    state.fade = fade
    params = model.params
    if fade is not None:
        assert state.ring_backdrop is not None
        fade, gain = keyable(fade, frame, state.ring_backdrop.ring)
        if not fade.black:
            # its noise as the undone frame has it: the gates widened by what undo magnifies
            frame = fade.undo(frame)
            params = params.copy()
            params[[1, 2, 4, 5, 6]] *= np.float32(gain)
    offset = np.empty((h, w, 3), np.float32)
    linear_distance = np.empty((h, w), np.float32)
    key_kernel.matte(
        frame,
        np.ascontiguousarray(plate_ycc, np.float32),
        model.key_uv,
        params,
        state.frame,
        state.score,
        has_prev,
        np.ascontiguousarray(state.background_linear, np.float32),
        SRGB_LINEAR,
        alpha,
        offset,
        linear_distance,
    )
    state.frame[...] = frame
    if fade is not None and fade.black:
        alpha[...] = 0.0  # nothing of the clip's light is left: its matte is noise
    scored = ScoredFrame(frame, alpha, offset, linear_distance, state.score.copy(), background, fade)
    return scored, state


def finish_frame(
    model, scored: ScoredFrame, state: KeyState, gain: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """key_frame's second half: the scored frame's matte refined (refine_matte), its edge
    and spill bands found, composited -> (colour (H, W, 3) uint8 premultiplied over
    black, alpha (H, W) float32). Frames must be finished in their order: a backdrop of
    no screen colour carries the previous frame's matte (KeyState.alpha)."""
    alpha = refine_matte(model, scored, state)
    band = edge_band(alpha)
    frame = scored.frame
    lit = None
    if model.despill >= 0:
        add_spill_band(band, alpha, frame, model.key_uv)
        if model.see_through:
            assert state.background_linear is not None  # set by score_frame
            lit = screen_light(band, alpha, frame, state.background_linear, model.despill)
    out = np.empty(frame.shape, np.uint8)
    allowance = np.float32(model.despill_allowance)
    key_kernel.composite(
        frame, alpha, band, scored.background, model.despill, allowance, np.float32(gain), out
    )
    if lit is not None:  # the screen's light unmixed in linear light, not in codes
        ys, xs, rows, columns, colour = lit
        codes = np.minimum(srgb_codes(colour) * gain + 0.5, 255.0).astype(np.uint8)
        codes[alpha[ys, xs][rows, columns] <= 0] = 0
        out[ys, xs][rows, columns] = codes
    if scored.fade is not None:
        out = scored.fade.redo(out)
    return out, alpha


def key_matte(
    model,
    frame: np.ndarray,
    plate_ycc: np.ndarray | None,
    plate_rgb: np.ndarray | None,
    state: KeyState | None,
    background: np.ndarray | None = None,
    background_linear: np.ndarray | None = None,
) -> tuple[np.ndarray, KeyState]:
    """key_frame's matte without the colour (the first pass needs the colour only for
    --levels auto): -> (alpha (H, W) float32, the new state)."""
    scored, state = score_frame(model, frame, plate_ycc, plate_rgb, state, background, background_linear)
    return refine_matte(model, scored, state), state


def refine_matte(model, scored: ScoredFrame, state: KeyState) -> np.ndarray:
    """The scored frame's matte refined in the subject's window and any stray's ->
    alpha (H, W) float32 (scored.alpha itself); the state keeps it for the next frame
    where a backdrop of no screen colour carries parts (holes.carry_parts)."""
    alpha = scored.alpha
    assert state.background_linear is not None  # set by score_frame
    window = subject_window(alpha, WINDOW_PAD)
    # a backdrop of no screen colour: a part the hole test leaves open is still the
    # subject where the previous frame's matte, moved with the subject, held it
    carry = model.use_plate and model.key_rgb is None
    if window is not None:
        for i, (ys, xs) in enumerate(refinement_windows(alpha, window)):
            # a stray's window (after the subject's) has nothing the hole test fills
            holes = i == 0
            previous = state.alpha[ys, xs] if holes and carry and state.alpha is not None else None
            alpha[ys, xs] = refined_edge(
                model, alpha, scored, state.background_linear, ys, xs, holes, previous
            )
    state.alpha = alpha.copy() if carry else None
    return alpha


def refined_edge(
    model, alpha, scored: ScoredFrame, background_linear, ys, xs, holes: bool = True, previous=None
) -> np.ndarray:
    """The matte kernel's alpha refined on the window (ys, xs) (row and column slices)
    -> float32 (h, w): the window's final matte. ``scored``: the frame's kernel outputs;
    ``background_linear`` (H, W, 3) float32; ``holes``: run the hole test (refine);
    ``previous``: the previous frame's final matte on the window, or None (refine)."""
    # refined there only: elsewhere the matte is 0, which the ramp and the coverage keep
    refined = refine(
        model,
        alpha[ys, xs],
        scored.frame[ys, xs],
        scored.offset[ys, xs],
        scored.linear_distance[ys, xs],
        scored.score[ys, xs],
        background_linear[ys, xs],
        holes,
        previous,
    )
    # lossless pictures keep the ramp; a lossy codec's edge is set by its coverage
    if model.edge_px == 1:
        edge = feather(refined, LOSSLESS_MATTE_CONTRAST)
    else:
        edge = coverage_edge(refined)
    if model.use_plate and model.key_rgb is None:
        # a backdrop of no screen colour: the edge's own colour places its partly
        # covered pixels (a coloured screen's spill tints the rim, so there the ramp
        # or the coverage alone decides)
        edge = colour_edge(edge, refined, scored.frame[ys, xs], background_linear[ys, xs])
    return edge


# The refinements below reach at most this far from a keyed pixel (holes, unmixing,
# the guided filter, their 3 x 3 tests), so they run on the keyed pixels' bounding box
# widened by it: a subject a quarter of the picture costs a quarter.
WINDOW_PAD = 12


def subject_window(alpha: np.ndarray, pad: int):
    """alpha float32 (H, W) -> (row slice, column slice) of the pixels above 0 widened
    by ``pad`` (clipped to the picture), or None when none is."""
    rows = np.flatnonzero(alpha.max(axis=1) > 0)
    if not len(rows):
        return None
    cols = np.flatnonzero(alpha[rows[0] : rows[-1] + 1].max(axis=0) > 0)
    h, w = alpha.shape
    return (
        slice(max(0, rows[0] - pad), min(h, rows[-1] + 1 + pad)),
        slice(max(0, cols[0] - pad), min(w, cols[-1] + 1 + pad)),
    )


# A stray keyed pixel of the backdrop's noise far from the subject widened the window of
# the whole frame: on the 1080p bench clip, 26 of 40 frames had 1 to 17 such pixels
# (matte at most 0.37) and a window of 344 000 px at the median against the subject's
# 114 000. So keyed pixels further apart than this (rows or columns with nothing keyed
# between them) are refined in windows of their own: twice the reach, so that no window
# reaches another's pixels, and a hole-test block more, so that the subject's window can
# start where the single window's blocks start (holes.edge_noise).
STRAY_GAP = 2 * WINDOW_PAD + EDGE_BLOCK_PX
STRAY_PX = 2 * FAINT_PX  # a stray group within this square has no part the hole test fills


def refinement_windows(alpha: np.ndarray, window) -> list:
    """alpha float32 (H, W): the matte kernel's; window: subject_window(alpha,
    WINDOW_PAD) -> [(row slice, column slice), ...]: where to refine. Either that one
    window, or the subject's window (first) and one for each group of keyed pixels set apart
    from it (and from one another) by STRAY_GAP rows or columns with nothing keyed. The
    split is taken only when it refines to the same matte: every other group lies within
    a STRAY_PX square and stays under holes.SOLID, so the hole test finds nothing to
    fill in it (neither a hole nor a faint part: tests/test_video_refine_windows.py), the local
    refinements reach less than WINDOW_PAD, and the subject's window is widened towards
    the single window's corner to a whole number of the hole test's blocks from it, so
    that the edge noise sums the same blocks. Otherwise the one window."""
    groups = []
    for rows in _runs(np.flatnonzero(alpha[window[0], window[1]].max(axis=1) > 0), STRAY_GAP):
        band = alpha[window[0].start + rows[0] : window[0].start + rows[1], window[1]]
        for cols in _runs(np.flatnonzero(band.max(axis=0) > 0), STRAY_GAP):
            cell = band[:, cols[0] : cols[1]]
            inner = np.flatnonzero(cell.max(axis=1) > 0)
            y0, y1 = window[0].start + rows[0] + inner[0], window[0].start + rows[0] + inner[-1] + 1
            x0, x1 = window[1].start + cols[0], window[1].start + cols[1]
            groups.append((y0, y1, x0, x1, float(cell.max())))
    if len(groups) == 1:
        return [window]
    main = max(
        range(len(groups)), key=lambda i: (groups[i][1] - groups[i][0]) * (groups[i][3] - groups[i][2])
    )
    for i, (y0, y1, x0, x1, peak) in enumerate(groups):
        if i != main and (peak >= SOLID or y1 - y0 > STRAY_PX or x1 - x0 > STRAY_PX):
            return [window]
    h, w = alpha.shape
    windows = []
    for i, (y0, y1, x0, x1, _) in enumerate(groups):
        top, left = max(0, y0 - WINDOW_PAD), max(0, x0 - WINDOW_PAD)
        if i == main:  # the hole test's blocks start at the window's corner
            top -= (top - window[0].start) % EDGE_BLOCK_PX
            left -= (left - window[1].start) % EDGE_BLOCK_PX
        windows.append((slice(top, min(h, y1 + WINDOW_PAD)), slice(left, min(w, x1 + WINDOW_PAD))))
    return [windows[main]] + windows[:main] + windows[main + 1 :]


def _runs(index: np.ndarray, gap: int) -> list:
    """Sorted indices -> [(start, stop), ...] of the runs whose neighbours lie less than
    ``gap`` apart (a gap of ``gap`` - 1 empty places or fewer stays in the run)."""
    breaks = np.flatnonzero(np.diff(index) > gap)
    starts = np.concatenate([index[:1], index[breaks + 1]])
    stops = np.concatenate([index[breaks], index[-1:]]) + 1
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def refine(
    model, alpha, frame, offset, linear_distance, score, background_linear, holes: bool = True, previous=None
) -> np.ndarray:
    """The matte kernel's alpha (H, W) float32 refined: the subject's holes filled
    (holes.fill_holes, with a clean plate, unless ``holes`` is False), the edge unmixed
    in linear light (unmix_edge) and guided by the luma (guide_edge). frame (H, W, 3)
    uint8; offset (H, W, 3), linear_distance (H, W) and score (H, W) float32 from the
    matte kernel; background_linear (H, W, 3) float32: the backdrop in linear light;
    previous (H, W) float32 or None: the previous frame's final matte on the same pixels
    (holes.carry_parts)."""
    if model.use_plate and holes:
        alpha = fill_holes(
            alpha, np.ascontiguousarray(offset), model.noise, previous, screen=model.key_rgb is not None
        )
    lo, hi = (model.params[1], model.params[2]) if model.use_plate else (model.params[4], model.params[5])
    # by colour on lossless pictures of a backdrop of no screen colour (see unmix_edge)
    by_colour = model.edge_px == 1 and model.key_rgb is None
    alpha = unmix_edge(
        alpha,
        score,
        float(lo),
        float(hi),
        linear_distance,
        model.edge_px,
        by_colour,
        frame,
        background_linear,
    )
    return guide_edge(alpha, frame, model.edge_px)


def unmix_edge(
    alpha: np.ndarray,
    score: np.ndarray,
    lo: float,
    hi: float,
    linear_distance: np.ndarray,
    reach_px: int = 2,
    by_colour: bool = False,
    frame: np.ndarray | None = None,
    background_linear: np.ndarray | None = None,
) -> np.ndarray:
    """alpha, score float32 (H, W); lo, hi: the distances the score's 0 and 1 stand for;
    linear_distance float32 (H, W): |frame - background| in linear-light RGB; reach_px:
    how far inwards the subject's full contrast is looked for (VideoModel.edge_px);
    by_colour: read the share from the colour (see below), which needs frame uint8
    (H, W, 3) and background_linear float32 (H, W, 3), the picture and its backdrop in
    linear light.
    On the keyed pixels next to clear background, alpha = linear distance / (the
    largest linear distance within reach_px): a mixed edge pixel is as far from the
    background as its share of the subject beside it, whatever the subject's contrast,
    and light mixes linearly (a lens or motion blurs light, not sRGB codes). The ramp
    would call any pixel past its upper end solid; the score, measured from the noise
    gate, shrank every share (static test clip: the outermost subject pixels' matte too
    low by 0.26 on average); sRGB distances instead of linear: green test clip IoU
    0.971 against 0.975.

    Lossless pictures keep every pixel's colour, so there (``by_colour``, on a backdrop
    of no screen colour) the share is read from the colour itself (key_kernel.unmix with ``colour``): the pixel as a mix of its backdrop
    and the neighbour inside the subject whose colour explains it best; a pixel that no
    neighbour's colour mixes to keeps the score's ramp. By distance alone, a solid edge
    pixel beside a part of the subject of more contrast took a share below 1: a subject
    of many colours (BrainStem's parts, a patterned dress) lost its outer pixels.
    Held-out static-texture clips (``benchmarks/held_out_keying.py --kinds textured``,
    raw in benchmarks/results/2026-12-06/unmix-by-colour.txt), clip IoU by distance ->
    by colour: BrainStem seeds 61 / 62 0.9443 -> 0.9535, 0.9453 -> 0.9537; CesiumMan
    0.9777 -> 0.9798, 0.9777 -> 0.9795; Fox 0.9840 -> 0.9854, 0.9851 -> 0.9863; the
    default twin seeds 0 and 21-26 +0.0015 to +0.0019 (0.9747-0.9856 -> 0.9766-0.9872).
    Edge jitter lower on all 13 (BrainStem 0.053 -> 0.037); the worst frame's background
    exactly 0 the same or down by at most 0.03 points (seed 24: 99.61% -> 99.58%). Taking
    a pixel no colour explains as solid gained more (BrainStem 0.9578) but left seeds 22
    and 24 at 99.54-99.55% exactly black. H.264 halves the chroma and smears the colours
    beside an edge; there the colour lost (green and studio seed 21 0.9729 -> 0.9631
    and 0.9663 -> 0.9592, their worst frames 99.81% -> 99.42% and 99.58% -> 99.28%
    exactly black), so lossy pictures keep the distance. A green screen's spill tints the
    subject's rim away from the colour inside it: the default twin and BrainStem over a
    green screen in PNG frames, seeds 21-23, lost 0.0002-0.0027 IoU and 0.02-0.11 points
    of exact black by colour, so a screen keeps the distance (as colour_edge leaves a
    screen's edge to the coverage)."""
    colour = by_colour and frame is not None and background_linear is not None
    if not colour:  # not read: any arrays of the types will do
        frame = np.zeros((1, 1, 3), np.uint8)
        background_linear = np.zeros((1, 1, 3), np.float32)
    out = np.empty_like(alpha)
    key_kernel.unmix(
        np.ascontiguousarray(alpha, np.float32),
        np.ascontiguousarray(score, np.float32),
        np.float32(lo),
        np.float32(hi),
        np.ascontiguousarray(linear_distance, np.float32),
        int(reach_px),
        colour,
        np.ascontiguousarray(frame, np.uint8),
        np.ascontiguousarray(background_linear, np.float32),
        SRGB_LINEAR,
        out,
    )
    return out


# The guided filter's regularisation (luma in 0-1): edges of less contrast than about
# sqrt(GUIDE_EPS) are smoothed, not followed (studio clip IoU 0.9547 without the filter,
# 0.9629 at 1e-4 and 1e-3, 0.9614 at 1e-2).
GUIDE_EPS = 1e-3


def guide_edge(alpha: np.ndarray, frame: np.ndarray, radius: int) -> np.ndarray:
    """alpha float32 (H, W), frame uint8 (H, W, 3), radius in pixels -> float32 (H, W).
    A guided filter (He, Sun and Tang 2010) of the matte by the frame's luma, on the
    edge only (pixels neither inside the solid subject nor inside clear background):
    the matte there becomes locally a linear function of the luma, which is at full
    resolution where 4:2:0 video halves the chroma a key reads, so the edge follows the
    picture's. The radius is VideoModel.edge_px (test clips, IoU with the filter at
    radius 1 / 2 / 3: studio 0.955 / 0.959 / 0.961, green 0.971 / 0.971 / 0.969, static
    PNG 0.979 / 0.975 / 0.967; without it 0.947, 0.968, 0.975)."""
    square = np.ones((3, 3), np.uint8)
    # the ufunc, as cv2's stubs type its results as integer-or-floating arrays
    inside = np.bitwise_or(
        cv2.erode((alpha >= 1.0).view(np.uint8), square), cv2.erode((alpha <= 0.0).view(np.uint8), square)
    )
    edge = (inside == 0).view(np.uint8)
    near = cv2.dilate(edge, np.ones((2 * radius + 1, 2 * radius + 1), np.uint8))
    h, w = alpha.shape
    coef_a, coef_b = np.zeros((h, w), np.float32), np.zeros((h, w), np.float32)
    out = np.empty((h, w), np.float32)
    guide_kernel.guide_edge(
        np.ascontiguousarray(frame),
        np.ascontiguousarray(alpha, np.float32),
        edge,
        near,
        int(radius),
        np.float32(GUIDE_EPS),
        coef_a,
        coef_b,
        out,
    )
    return out


def feather(alpha: np.ndarray, contrast: float = LOSSLESS_MATTE_CONTRAST) -> np.ndarray:
    """alpha float32 (H, W) -> float32 (H, W): the matte's ramp tightened by
    ``contrast`` at each end (LOSSLESS_MATTE_CONTRAST) and the faint rest gated to exact 0 (never adds light to the
    background). The edge is not softened further: its shares are measured
    (unmix_edge), and a blur inwards took 0.01 IoU from the static test clip."""
    alpha = np.clip((alpha - contrast) * (1.0 / (1.0 - 2 * contrast)), 0.0, 1.0)
    alpha[alpha < MATTE_GATE] = 0.0
    return alpha


# The refined matte's level taken as the subject's outline. The matte's edge shares are
# biased outwards (studio test clip, seed 0: mixed pixels of truth 0.25 / 0.5 / 0.75 at
# 0.47 / 0.62 / 0.78 on average), so the outline is taken a little above one half
# (held-out studio seeds 21-30 and green 21-26, clip IoU against the ramp: at 0.5
# +0.0007 to +0.0023, but studio seed 21's worst frame only 99.43% background exactly 0;
# at 0.55 -0.0001 to +0.0044, 99.54% at worst; at 0.6 -0.0042 to +0.0055).
COVERAGE_LEVEL = 0.55
COVERAGE_MIN_SLOPE = 0.05  # matte units per pixel: flatter is not an edge (0.02-0.1 alike)


def vector_length(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x, y float32 (H, W), overwritten -> x holding sqrt(x**2 + y**2), each value the
    same bits wherever the arrays lie in memory. cv2.magnitude's vector loop and its
    scalar ends round differently (up to 2 ulps apart on a 421 x 419 window), and which
    pixels take which depends on the buffers' alignment, so keying one clip twice could
    differ in the matte's last bits; numpy's multiply, add and sqrt round each value
    alone (a 420 x 420 window: 0.86-1.1 ms of one thread against 0.78-0.85, Sobels
    included)."""
    np.multiply(x, x, out=x)
    np.multiply(y, y, out=y)
    np.add(x, y, out=x)
    return np.sqrt(x, out=x)


def coverage_edge(alpha: np.ndarray, level: float = COVERAGE_LEVEL) -> np.ndarray:
    """alpha float32 (H, W), the refined matte -> float32 (H, W) in [0, 1]: each pixel's
    share of the subject estimated from the outline's geometry rather than its colour.
    The outline is the matte's ``level`` line, found to a fraction of a pixel: a
    pixel's signed distance to it is (alpha - level) / |gradient of alpha| (Sobel, in
    pixels), and a pixel a distance d inside a straight outline is 0.5 + d covered
    (clipped to [0, 1]). The truth of a rendered or filmed edge is such an area share;
    the ramp (feather) instead maps the matte's value, so a steep edge came out nearly
    binary (mixed pixels of truth 0.25 / 0.5 / 0.75 at 0.43 / 0.73 / 0.93 on the studio
    test clip). With a constant slope instead of the measured one (0.3 or 0.45 matte
    units per pixel) held-out studio and green clips score up to 0.004 lower and keep
    less of the background black. Values under MATTE_GATE become exact 0."""
    # the 3 x 3 Sobel sums 8 times the slope per pixel. In place, as each new
    # window-sized array costs fresh pages: a 420 x 420 window took 2.9 ms of one
    # thread's CPU with numpy temporaries, 0.67 ms so (the ramp: 0.27 ms)
    gx = cv2.Sobel(alpha, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(alpha, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    slope = vector_length(gx, gy)
    np.maximum(slope, np.float32(COVERAGE_MIN_SLOPE), out=slope)
    out = np.subtract(alpha, np.float32(level), out=gy)
    np.divide(out, slope, out=out)
    out += np.float32(0.5)
    np.clip(out, 0.0, 1.0, out=out)
    out[out < MATTE_GATE] = 0.0
    return out


# The subject's contrast to the plate (linear-light RGB distance) at which the edge's
# colour starts to count, and from which it counts alone (colour_edge). Held-out studio
# seeds 21-30, clip IoU against the coverage alone: +0.0009 to +0.0036 at 0.01 / 0.04,
# +0.0007 to +0.0034 at 0.02 / 0.08 (on seeds 21, 22, 26 and 30, 84% of the truly mixed
# pixels have a subject 0.16 or more from the plate).
COLOUR_CONTRAST = (0.01, 0.04)
# Pixels inwards along the matte's gradient where the subject's colour is read. Further in,
# past the codec's blur of the outermost solid pixel, was no better (held-out studio
# seeds 21-30, clip IoU: at 1.5 px +0.0002 to -0.0007, at 2 px +0.0001 to -0.0011).
COLOUR_INSET = 1.0


def colour_edge(
    coverage: np.ndarray, refined: np.ndarray, frame: np.ndarray, background_linear: np.ndarray
) -> np.ndarray:
    """coverage float32 (H, W): coverage_edge's alpha (or feather's, for lossless
    pictures); refined float32 (H, W): the matte it came from; frame uint8 (H, W, 3);
    background_linear float32 (H, W, 3): the clean plate in linear light -> float32
    (H, W). On the partly covered pixels, the share the pixel's colour shows: light
    mixes as I = a F + (1 - a) B, B known from the plate and F, the subject beside the
    pixel, read COLOUR_INSET pixels inwards along the refined matte's gradient, so
    a = (I - B).(F - B) / |F - B|^2, weighed against the coverage by how far F stands
    from B (COLOUR_CONTRAST): where the subject's colour is near the plate's the
    coverage stands. The coverage's outline is right on average but its shares scatter
    (held-out studio seeds 21-30, pixels of truth 1/2: 0.53-0.66 on average, 12% at 0
    and 34% at 1 on seed 21); with a contrast above 0.16 the colour's share is 0.31 /
    0.50 / 0.68 on average for truths of 0.25 / 0.5 / 0.75. Fully covered and clear
    pixels keep their value: the codec's blur darkens the subject's outermost solid
    pixel (its colour's share 0.86 on average), and a clear pixel must stay exactly
    black. (Taking the colour's share also on the solid pixels beside a clear one,
    where a third of the truly mixed pixels are called solid: held-out studio seeds
    21-30, clip IoU +0.0008 to -0.0008, no better than the coverage.) After the ramp of
    lossless pictures (static PNG clips, seeds 21-30 and 41-50) it gains +0.0022 to
    +0.0039 IoU. Numba kernel: key_kernel.colour_share."""
    out = np.empty_like(coverage)
    key_kernel.colour_share(
        np.ascontiguousarray(coverage, np.float32),
        np.ascontiguousarray(refined, np.float32),
        np.ascontiguousarray(frame),
        np.ascontiguousarray(background_linear, np.float32),
        SRGB_LINEAR,
        np.float32(COLOUR_INSET),
        np.float32(COLOUR_CONTRAST[0]),
        np.float32(COLOUR_CONTRAST[1]),
        np.float32(MATTE_GATE),
        out,
    )
    return out


def edge_band(alpha: np.ndarray, px: int = EDGE_BAND_PX) -> np.ndarray:
    """(H, W) uint8: 1 where the matte is partly or wholly solid within ``px`` of a clear pixel."""
    clear = (alpha <= 0).astype(np.uint8)
    near = cv2.dilate(clear, np.ones((2 * px + 1, 2 * px + 1), np.uint8))
    return np.bitwise_and(near, alpha > 0).astype(np.uint8)


# A keyed pixel whose chroma lies this near the key's (as a share of the key's own
# chroma) is the screen showing through: the spill band reaches EDGE_BAND_PX around it
# too, as a gap of screen between arm and body that the codec's halved chroma blurs
# into the subject has no clear pixel near (held-out green CesiumMan seed 31: the spill
# on the rim was all there, 3.20/255 in the worst frame).
SCREEN_CHROMA_SHARE = 0.4


@functools.cache
def _srgb_codes_table() -> np.ndarray:
    """float32 (65536,): linear light k / 65535 as an sRGB code (0-255, unrounded)."""
    return linear_to_srgb(np.arange(65536, dtype=np.float64) / 65535.0) * np.float32(255.0)


def srgb_codes(linear: np.ndarray) -> np.ndarray:
    """float linear light in [0, 1] -> float32 sRGB codes (0-255), by a 16-bit table (a
    step of linear light moves a code by 0.05 at most; linear_to_srgb's power took 6 ms
    of one thread's CPU for 50 000 pixels, the table 1)."""
    index = np.clip(linear, 0.0, 1.0) * np.float32(65535.0) + np.float32(0.5)
    return _srgb_codes_table()[index.astype(np.int32)]


# Light of the screen seen through a part of the subject that lets it through (a glow,
# smoke, a veil) is a mix of the two, and the key's score, made for solid subjects, calls
# it solid: a public motion-graphics clip (a spinning sign whose white glow trails over
# the green screen) kept a green haze around the sign 40 px wide on the fan. Such a
# pixel's share of the screen is its excess in the key's channel over the larger of the
# other two, over the backdrop's own (linear light: light mixes linearly). A spilled rim
# shows the same excess, so only a group of such pixels that reaches SCREEN_LIGHT_MIN_PX
# pixels past the edge band (deeper than spill reaches) is taken: its pixels of share
# above SCREEN_LIGHT_SHARE keep 1 - share of their alpha at most, and all of it is unmixed
# and despilled in linear light.
SCREEN_LIGHT_DESPILL = 0.05  # a pixel this much the screen's is screen light (grouped)
SCREEN_LIGHT_SHARE = 0.15  # and from this much on, its alpha is 1 - its share
SCREEN_LIGHT_MIN_PX = 20  # pixels of a group past the edge band: more than a spilled rim
# the screen's own excess in linear light, below which a plate pixel is no screen (a dark
# green screen, sRGB (0, 54, 5), has 0.035)
SCREEN_LIGHT_MIN_EXCESS = 0.01


def screen_light(
    band: np.ndarray, alpha: np.ndarray, frame: np.ndarray, background_linear: np.ndarray, mode: int
):
    """band uint8 (H, W): edge_band's with the spill band; alpha float32 (H, W), lowered
    in place where the screen's light shows through the subject (see SCREEN_LIGHT_SHARE);
    frame uint8 (H, W, 3); background_linear float32 (H, W, 3): the screen behind, in
    linear light; mode: the key's despill mode (holopack.video.despill) -> None, or (row slice, column
    slice of the window, the rows and columns in it of the pixels so lit int (n,) each,
    their colour unmixed from the screen and despilled float32 (n, 3) in linear light)."""
    window = subject_window(alpha, 1)
    if window is None:
        return None
    ys, xs = window
    codes = frame[ys, xs]
    a = alpha[ys, xs]
    # light of the screen needs the key's colour to lead, in codes as in light (one
    # curve): only those pixels are converted and grouped (540 px frames of a glow
    # clip, one thread's CPU: 10 ms converting the whole window, 2.3 ms so)
    over = (despill.excess_codes(cv2.split(codes), mode) > 0).view(np.uint8)
    over &= (a > 0).view(np.uint8)
    points = cv2.findNonZero(over)
    if points is None or len(points) < SCREEN_LIGHT_MIN_PX:
        return None
    px, py = points.reshape(-1, 2).T
    light = SRGB8_TO_LINEAR[codes[py, px]]
    screen = background_linear[ys, xs][py, px]
    excess = despill.excess(light, mode)
    own = despill.excess(screen, mode)
    # behind a pixel the plate holds no screen (a part of the subject that never moved)
    # nothing shows through: no share there, where a division by its excess near 0 would
    # call any green tint the screen
    share = np.where(own > SCREEN_LIGHT_MIN_EXCESS, excess / np.maximum(own, SCREEN_LIGHT_MIN_EXCESS), 0.0)
    keep = share > SCREEN_LIGHT_DESPILL
    px, py, light, screen, share = px[keep], py[keep], light[keep], screen[keep], share[keep]
    lit = np.zeros(a.shape, np.uint8)
    lit[py, px] = 1
    count, labels = cv2.connectedComponents(lit, connectivity=8)
    if count <= 1:
        return None
    at = labels[py, px]
    deep = np.bincount(at[band[ys, xs][py, px] == 0], minlength=count)
    # it reaches the clear background: the subject's own green inside it is not light
    # of the screen behind
    clear = (a <= 0).view(np.uint8)
    beside_clear = cv2.dilate(clear, np.ones((3, 3), np.uint8))[py, px] > 0
    reaches = np.zeros(count, bool)
    reaches[at[beside_clear]] = True
    taken = (deep >= SCREEN_LIGHT_MIN_PX) & reaches
    taken[0] = False
    if not taken.any():
        return None
    inside = taken[at]
    px, py, light, screen, share = px[inside], py[inside], light[inside], screen[inside], share[inside]
    held = a[py, px]
    seen = share > SCREEN_LIGHT_SHARE
    held[seen] = np.minimum(held[seen], 1.0 - np.minimum(share[seen], 1.0))
    held[held < MATTE_GATE] = 0.0
    a[py, px] = held
    colour = despill.despilled(np.maximum(light - (1.0 - held)[:, None] * screen, 0.0), mode)
    return ys, xs, py, px, colour


def add_spill_band(
    band: np.ndarray, alpha: np.ndarray, frame: np.ndarray, key_uv, px: int = EDGE_BAND_PX
) -> None:
    """band uint8 (H, W), edge_band's, widened in place to the keyed pixels within ``px``
    of a pixel of the screen's colour; alpha float32 (H, W); frame uint8 (H, W, 3);
    key_uv float32 (2,): the key colour's chroma * 100 / (Y + CHROMA_SOFTEN)."""
    window = subject_window(alpha, px)
    key = np.asarray(key_uv, np.float64)
    if window is None or not key.any():
        return
    ys, xs = window
    # |(Cb, Cr) / s - key| <= share |key| with s = (Y + CHROMA_SOFTEN) / 100 > 0 is
    # |(Cb, Cr) - key s| <= share |key| s: three linear maps of RGB, one cv2.transform
    # (a 420 x 420 window: 1.2 ms of one thread's CPU, against about 11 ms for keying a
    # placed 672 px frame; numpy's YCbCr and a division took about 1.5x as long)
    luma = np.array([key_kernel.KR, key_kernel.KG, key_kernel.KB])
    cb = key_kernel.CB_SCALE * (np.array([0.0, 0.0, 1.0]) - luma)
    cr = key_kernel.CR_SCALE * (np.array([1.0, 0.0, 0.0]) - luma)
    s = np.append(luma, key_kernel.CHROMA_SOFTEN) / 100.0  # s as a row of [R, G, B, 1]
    bound = SCREEN_CHROMA_SHARE * float(np.hypot(key[0], key[1]))
    rows = np.stack([np.append(cb, 0.0) - key[0] * s, np.append(cr, 0.0) - key[1] * s, bound * s])
    maps = cv2.transform(frame[ys, xs].astype(np.float32), rows.astype(np.float32))
    # compared squared, in numpy: the same bits wherever the arrays lie (vector_length)
    off = np.square(maps[..., 0]) + np.square(maps[..., 1])
    screen = (off <= np.square(maps[..., 2])).view(np.uint8)
    near = cv2.dilate(screen, np.ones((2 * px + 1, 2 * px + 1), np.uint8))
    band[ys, xs] |= near & (alpha[ys, xs] > 0)
