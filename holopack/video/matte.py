"""One frame's matte and colour: the per-frame half of keying, shared by the first pass
(holopack.video.analyse keys its sampled frames with it) and the export
(holopack.video.process), so the sample and the output get the same matte.

``model`` below is the first pass's holopack.video.analyse.VideoModel (its key colour,
thresholds, plate and despill choice); this module does not import it, so that the
first pass can use the per-frame half without a cycle."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..colour import SRGB8_TO_LINEAR
from . import guide_kernel, key_kernel
from .holes import fill_holes

MATTE_GATE = 0.1  # matte values below this become exact 0 (halo of chroma blur)


def ycbcr(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.float32)
    y = key_kernel.KR * rgb[..., 0] + key_kernel.KG * rgb[..., 1] + key_kernel.KB * rgb[..., 2]
    return np.stack(
        [y, key_kernel.CB_SCALE * (rgb[..., 2] - y), key_kernel.CR_SCALE * (rgb[..., 0] - y)], axis=-1
    ).astype(np.float32)


# The matte's ramp is tightened by this much at each end: edge pixels of a subject that
# the key colour spilled on, or that chroma subsampling smeared, are held solid, and the
# faint halo outside them clear (green test clip, matte IoU over the clip: 0.968 at
# 0.05, 0.9716 at 0.25, 0.9718 at 0.3). Since edge shares are measured from the
# background (unmix_edge) the compression halo of the studio clip needs 0.38 to stay
# black (true background exactly 0 in the worst frame, seed 1: 99.39% at 0.3, 99.51% at
# 0.38, 99.57% at 0.45; the IoU moves by less than 0.002 over that range).
MATTE_CONTRAST = 0.38
# Lossless pictures (VideoModel.edge_px 1: PNG frames, APNG, GIF) have no codec halo to
# hold black, so their ramp is tightened less (static clips, 9 seeds with the default
# twin and Fox: IoU +0.0017 to +0.0020, 0.9701-0.9839, all now over 0.97; worst-frame
# background exactly 0 down by 0.01-0.09 points, 99.57% at worst; at 0.34 Fox seed 31
# stays at 0.9693).
LOSSLESS_MATTE_CONTRAST = 0.3
EDGE_BAND_PX = 4  # despill reaches this far into the subject from the matte's edge


@dataclass
class KeyState:
    """The previous frame and its scores: what keeps a still edge from flickering."""

    frame: np.ndarray  # (H, W, 3) uint8
    score: np.ndarray  # (H, W) float32
    background_linear: np.ndarray | None = None  # (H, W, 3) float32, linear light


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
    (H, W, 3) uint8 premultiplied over black, alpha (H, W) float32, the new state)."""
    frame = np.ascontiguousarray(frame[..., :3])
    if background is None:
        background = background_for(model, plate_rgb, frame.shape)
    alpha, state = key_matte(model, frame, plate_ycc, plate_rgb, state, background, background_linear)
    band = edge_band(alpha)
    out = np.empty(frame.shape, np.uint8)
    key_kernel.composite(frame, alpha, band, background, model.despill, np.float32(gain), out)
    return out, alpha, state


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
    frame = np.ascontiguousarray(frame[..., :3])
    h, w = frame.shape[:2]
    if plate_ycc is None:
        plate_ycc = np.zeros((h, w, 3), np.float32)
    alpha = np.empty((h, w), np.float32)
    if state is None:
        state = KeyState(frame.copy(), np.zeros((h, w), np.float32))
        has_prev = False
    else:
        has_prev = True
    if background is None:
        background = background_for(model, plate_rgb, (h, w, 3))
    if state.background_linear is None:
        state.background_linear = (
            codes_to_linear(background) if background_linear is None else background_linear
        )
    offset = np.empty((h, w, 3), np.float32)
    linear_distance = np.empty((h, w), np.float32)
    key_kernel.matte(
        frame,
        np.ascontiguousarray(plate_ycc, np.float32),
        model.key_uv,
        model.params,
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
    window = subject_window(alpha, WINDOW_PAD)
    if window is not None:
        ys, xs = window
        # feathered there only: elsewhere the matte is 0, which feathering keeps
        contrast = LOSSLESS_MATTE_CONTRAST if model.edge_px == 1 else MATTE_CONTRAST
        alpha[ys, xs] = feather(
            refine(
                model,
                alpha[ys, xs],
                frame[ys, xs],
                offset[ys, xs],
                linear_distance[ys, xs],
                state.score[ys, xs],
            ),
            contrast,
        )
    return alpha, state


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


def refine(model, alpha, frame, offset, linear_distance, score) -> np.ndarray:
    """The matte kernel's alpha (H, W) float32 refined: the subject's holes filled
    (holes.fill_holes, with a clean plate), the edge unmixed in linear light
    (unmix_edge) and guided by the luma (guide_edge). frame (H, W, 3) uint8; offset
    (H, W, 3), linear_distance (H, W) and score (H, W) float32 from the matte kernel."""
    if model.use_plate:
        alpha = fill_holes(alpha, np.ascontiguousarray(offset), model.noise)
    lo, hi = (model.params[1], model.params[2]) if model.use_plate else (model.params[4], model.params[5])
    alpha = unmix_edge(alpha, score, float(lo), float(hi), linear_distance, model.edge_px)
    return guide_edge(alpha, frame, model.edge_px)


def unmix_edge(
    alpha: np.ndarray, score: np.ndarray, lo: float, hi: float, linear_distance: np.ndarray, reach_px: int = 2
) -> np.ndarray:
    """alpha, score float32 (H, W); lo, hi: the distances the score's 0 and 1 stand for;
    linear_distance float32 (H, W): |frame - background| in linear-light RGB; reach_px:
    how far inwards the subject's full contrast is looked for (VideoModel.edge_px).
    On the keyed pixels next to clear background, alpha = linear distance / (the
    largest linear distance within reach_px): a mixed edge pixel is as far from the
    background as its share of the subject beside it, whatever the subject's contrast,
    and light mixes linearly (a lens or motion blurs light, not sRGB codes). The ramp
    would call any pixel past its upper end solid; the score, measured from the noise
    gate, shrank every share (static test clip: the outermost subject pixels' matte too
    low by 0.26 on average); sRGB distances instead of linear: green test clip IoU
    0.971 against 0.975."""
    out = np.empty_like(alpha)
    key_kernel.unmix(
        np.ascontiguousarray(alpha, np.float32),
        np.ascontiguousarray(score, np.float32),
        np.float32(lo),
        np.float32(hi),
        np.ascontiguousarray(linear_distance, np.float32),
        int(reach_px),
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


def feather(alpha: np.ndarray, contrast: float = MATTE_CONTRAST) -> np.ndarray:
    """alpha float32 (H, W) -> float32 (H, W): the matte's ramp tightened by
    ``contrast`` at each end (MATTE_CONTRAST, or LOSSLESS_MATTE_CONTRAST) and the faint rest gated to exact 0 (never adds light to the
    background). The edge is not softened further: its shares are measured
    (unmix_edge), and a blur inwards took 0.01 IoU from the static test clip."""
    alpha = np.clip((alpha - contrast) * (1.0 / (1.0 - 2 * contrast)), 0.0, 1.0)
    alpha[alpha < MATTE_GATE] = 0.0
    return alpha


def edge_band(alpha: np.ndarray, px: int = EDGE_BAND_PX) -> np.ndarray:
    """(H, W) uint8: 1 where the matte is partly or wholly solid within ``px`` of a clear pixel."""
    clear = (alpha <= 0).astype(np.uint8)
    near = cv2.dilate(clear, np.ones((2 * px + 1, 2 * px + 1), np.uint8))
    return np.bitwise_and(near, alpha > 0).astype(np.uint8)
