"""The per-frame matte (with what its refinements read, in the same pass), the edge
unmixing and the premultiplied colour, as Numba passes.

Colour distances are measured in YCbCr (BT.601 luma and opponent chroma, an
approximately perceptual split of brightness from colour):

- the plate distance is the YCbCr distance to the clean plate, which follows uneven
  light and any static backdrop;
- the key distance is the distance in brightness-normalised chroma (Cb, Cr) * 100 /
  (Y + 16) to the key colour, so a darker or brighter patch of the same green screen
  keys alike.

Each distance maps to a score (0 at the noise gate ``lo``, 1 at ``hi``), the lower
score of the two wins (a pixel is background if either model says so), and where the
pixel did not change since the previous frame its score is averaged with the previous
score, so a still edge does not flicker with the noise. The numpy twins are in
``key_reference``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..kernel_cache import refresh
from ..work_pool import run
from ..work_queue import claim

refresh(__file__, ["../work_queue.py"])  # the kernels compile the work queue's claim into themselves

# BT.601 luma weights and chroma scales
KR, KG, KB = 0.299, 0.587, 0.114
CB_SCALE, CR_SCALE = 0.564, 0.713
CHROMA_SOFTEN = 16.0  # added to Y before dividing, so near-black pixels have small chroma
SCORE_LIMIT = 64.0  # stored scores are clamped to [-SCORE_LIMIT, SCORE_LIMIT]
# Up to this many pixels a refinement runs on the calling thread alone (a stray keyed
# pixel's own window, matte.refinement_windows, is 25 x 25 to 37 x 37): waking the work
# pool's helper costs more than it would take over.
ALONE_PIXELS = 4096


def matte(
    frame,
    plate,
    key_uv,
    params,
    prev_frame,
    prev_score,
    has_prev,
    background_linear,
    srgb_linear,
    alpha,
    offset,
    linear_distance,
):
    """frame uint8 (H, W, 3); plate float32 (H, W, 3) YCbCr of the clean plate;
    key_uv float32 (2,) normalised chroma of the key colour; params float32 (7,):
    use_plate, plate_lo, plate_hi, use_key, key_lo, key_hi, still_limit;
    prev_frame uint8 (H, W, 3) and prev_score float32 (H, W): the previous frame and its
    scores (prev_score is overwritten with this frame's); has_prev: bool;
    background_linear float32 (H, W, 3): the background in linear light; srgb_linear
    float32 (256,): sRGB code -> linear. Overwritten: alpha float32 (H, W) with the
    matte in [0, 1], and in the same pass what the matte's refinements read: offset
    float32 (H, W, 3) with the frame's YCbCr minus the plate's, linear_distance float32
    (H, W) with |frame - background| in linear RGB."""
    run(
        _matte_rows,
        np.zeros(1, np.int64),
        frame,
        plate,
        key_uv,
        params,
        prev_frame,
        prev_score,
        has_prev,
        background_linear,
        srgb_linear,
        alpha,
        offset,
        linear_distance,
    )


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _matte_rows(
    next_row,
    frame,
    plate,
    key_uv,
    params,
    prev_frame,
    prev_score,
    has_prev,
    background_linear,
    srgb_linear,
    alpha,
    offset,
    linear_distance,
):
    """One thread's share of matte: rows claimed from next_row."""
    height, width = frame.shape[0], frame.shape[1]
    use_plate = params[0] > 0.5
    use_key = params[3] > 0.5
    # float32 arithmetic throughout (the inputs and outputs are float32): the matte of
    # the bench clip's 672 x 672 frames took 5.8 ms of one thread in float64, 3.9 ms so;
    # alpha moves by < 3e-5. (A vectorised form, the three-channel stores and the table
    # reads split off into a second loop, took 5.1 ms.)
    one = np.float32(1.0)
    plate_lo = params[1]
    plate_inv = one / max(np.float32(1e-6), params[2] - params[1])
    key_lo = params[4]
    key_inv = one / max(np.float32(1e-6), params[5] - params[4])
    still = params[6]
    kr, kg, kb = np.float32(KR), np.float32(KG), np.float32(KB)
    cbs, crs = np.float32(CB_SCALE), np.float32(CR_SCALE)
    soften, hundred = np.float32(CHROMA_SOFTEN), np.float32(100.0)
    limit, half, zero = np.float32(SCORE_LIMIT), np.float32(0.5), np.float32(0.0)
    ku, kv = key_uv[0], key_uv[1]
    y = claim(next_row)
    while y < height:
        # row views: the pixel loop indexes one row of each array (one stride less per
        # access, and the three channel reads share their row); the same arithmetic
        fr, pl, bl, pf = frame[y], plate[y], background_linear[y], prev_frame[y]
        off, dist, ps, al = offset[y], linear_distance[y], prev_score[y], alpha[y]
        for x in range(width):
            c0, c1, c2 = fr[x, 0], fr[x, 1], fr[x, 2]
            r = np.float32(c0)
            g = np.float32(c1)
            b = np.float32(c2)
            luma = kr * r + kg * g + kb * b
            cb = cbs * (b - luma)
            cr = crs * (r - luma)
            dy = luma - pl[x, 0]
            du = cb - pl[x, 1]
            dv = cr - pl[x, 2]
            off[x, 0] = dy
            off[x, 1] = du
            off[x, 2] = dv
            e0 = srgb_linear[c0] - bl[x, 0]
            e1 = srgb_linear[c1] - bl[x, 1]
            e2 = srgb_linear[c2] - bl[x, 2]
            dist[x] = np.sqrt(e0 * e0 + e1 * e1 + e2 * e2)
            score = limit
            if use_plate:
                d = np.sqrt(dy * dy + du * du + dv * dv)
                score = min(score, (d - plate_lo) * plate_inv)
            if use_key:
                norm = hundred / (luma + soften)
                du = cb * norm - ku
                dv = cr * norm - kv
                d = np.sqrt(du * du + dv * dv)
                score = min(score, (d - key_lo) * key_inv)
            if not use_plate and not use_key:
                score = one
            score = max(-limit, score)
            if has_prev:
                change = max(
                    abs(np.int32(c0) - np.int32(pf[x, 0])),
                    abs(np.int32(c1) - np.int32(pf[x, 1])),
                    abs(np.int32(c2) - np.int32(pf[x, 2])),
                )
                if np.float32(change) <= still:
                    score = half * (score + ps[x])
            ps[x] = score
            al[x] = min(one, max(zero, score))
        y = claim(next_row)


def composite(frame, alpha, band, background, despill, allowance, gain, out):
    """frame uint8 (H, W, 3); alpha float32 (H, W); band uint8 (H, W): 1 within a few
    pixels of the matte's edge; background float32 (H, W, 3) sRGB codes of what is
    behind the subject (the plate, the key colour, or zeros); despill: the key's
    despill mode (holopack.video.despill: -1 none, 0-2 one channel, 3-5 two);
    allowance: float32, the excess a two-channel mode leaves (codes); gain: levels
    factor; out uint8 (H, W, 3), overwritten: (frame - (1 - alpha) * background) *
    gain, despilled on the band, exactly 0 where alpha is 0."""
    run(_composite_rows, np.zeros(1, np.int64), frame, alpha, band, background, despill, allowance, gain, out)


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _composite_rows(next_row, frame, alpha, band, background, despill, allowance, gain, out):
    """One thread's share of composite: rows claimed from next_row."""
    height, width = frame.shape[0], frame.shape[1]
    y = claim(next_row)
    while y < height:
        alpha_row = alpha[y]
        for x in range(width):
            a = alpha_row[x]
            if a <= 0.0:
                out[y, x, 0] = 0
                out[y, x, 1] = 0
                out[y, x, 2] = 0
                continue
            rest = 1.0 - a
            c0 = max(0.0, frame[y, x, 0] - rest * background[y, x, 0])
            c1 = max(0.0, frame[y, x, 1] - rest * background[y, x, 1])
            c2 = max(0.0, frame[y, x, 2] - rest * background[y, x, 2])
            if despill >= 0 and band[y, x] != 0:
                # holopack.video.despill's modes: one channel held to the larger other,
                # or two lowered by their common part over the third
                if despill == 0:
                    c0 = min(c0, max(c1, c2))
                elif despill == 1:
                    c1 = min(c1, max(c0, c2))
                elif despill == 2:
                    c2 = min(c2, max(c0, c1))
                elif despill == 3:  # cyan: green and blue over red
                    spill = max(0.0, min(c1, c2) - c0 - allowance)
                    c1 -= spill
                    c2 -= spill
                elif despill == 4:  # magenta: red and blue over green
                    spill = max(0.0, min(c0, c2) - c1 - allowance)
                    c0 -= spill
                    c2 -= spill
                else:  # yellow: red and green over blue
                    spill = max(0.0, min(c0, c1) - c2 - allowance)
                    c0 -= spill
                    c1 -= spill
            out[y, x, 0] = min(255, int(c0 * gain + 0.5))
            out[y, x, 1] = min(255, int(c1 * gain + 0.5))
            out[y, x, 2] = min(255, int(c2 * gain + 0.5))
        y = claim(next_row)


def unmix(alpha, score, lo, hi, linear_distance, reach, colour, frame, background_linear, srgb_linear, out):
    """matte.unmix_edge in one pass over the keyed pixels. alpha, score,
    linear_distance float32 (H, W); lo, hi: the distances the score's 0 and 1 stand
    for; reach: the edge reach in pixels; colour: unmix by colour (frame uint8 (H, W,
    3), background_linear float32 (H, W, 3), srgb_linear float32 (256,): see below;
    without it they are not read); out float32 (H, W), overwritten. A keyed pixel
    (alpha > 0) with clear background (alpha <= 0) in its 3 x 3 neighbourhood takes a
    share, clipped to 1, where a distance of at least ``hi`` (from the score) lies
    within 2 px, else min(alpha, share); every other pixel keeps alpha. The share:
    linear distance / (the largest within ``reach``); with ``colour``, the pixel's
    colour as a mix of the backdrop behind it and the neighbour within ``reach`` inside
    the subject (keyed, no clear pixel beside it) whose colour explains it best: the
    projection of (pixel - backdrop) on (neighbour - backdrop), when the part of it off
    that line is at most COLOUR_LINE_RESIDUAL of it; where no such neighbour's colour
    mixes to it, the pixel keeps alpha (the score's ramp). Windows are cut at the
    border."""
    run(
        _unmix_rows,
        np.zeros(1, np.int64),
        alpha,
        score,
        lo,
        hi,
        linear_distance,
        reach,
        colour,
        frame,
        background_linear,
        srgb_linear,
        out,
        alone=alpha.size <= ALONE_PIXELS,
    )


# The colour unmixing's bar: a pixel whose colour lies off the line from the backdrop
# to its best-fitting neighbour's by more than this share of its squared distance from
# the backdrop is not a mix of the two (matte.unmix_edge).
COLOUR_LINE_RESIDUAL = 0.1


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _unmix_rows(
    next_row, alpha, score, lo, hi, linear_distance, reach, colour, frame, background_linear, srgb_linear, out
):
    """One thread's share of unmix: rows claimed from next_row."""
    height, width = alpha.shape
    span = hi - lo
    y = claim(next_row)
    while y < height:
        v0, v1 = max(0, y - 1), min(height, y + 2)
        # whether column x - 1, x and x + 1 of rows y - 1 to y + 1 hold a clear pixel:
        # each column is read once per row, not three times (the same test)
        left = False
        here = _column_clear(alpha, v0, v1, 0)
        for x in range(width):
            right = _column_clear(alpha, v0, v1, x + 1) if x + 1 < width else False
            a = alpha[y, x]
            out[y, x] = a
            near = left or here or right
            left, here = here, right
            if a <= 0.0 or not near:
                continue
            local = 0.0
            for v in range(max(0, y - 2), min(height, y + 3)):
                for u in range(max(0, x - 2), min(width, x + 3)):
                    local = max(local, lo + score[v, u] * span)
            if colour:
                share = _colour_share(y, x, reach, alpha, frame, background_linear, srgb_linear)
                # no neighbour's colour mixes to it: the matte's own ramp
                out[y, x] = a if share < 0.0 else (share if local >= hi else min(a, share))
                continue
            linear_local = 0.0
            for v in range(max(0, y - reach), min(height, y + reach + 1)):
                for u in range(max(0, x - reach), min(width, x + reach + 1)):
                    linear_local = max(linear_local, linear_distance[v, u])
            share = min(1.0, max(0.0, linear_distance[y, x] / max(linear_local, 1e-6)))
            out[y, x] = share if local >= hi else min(a, share)
        y = claim(next_row)


@njit(cache=True, inline="always")
def _colour_share(y, x, reach, alpha, frame, background_linear, srgb_linear):
    """unmix's colour share of pixel (y, x) (see unmix), or -1 where no neighbour's colour
    mixes to it."""
    height, width = alpha.shape
    fr = float(srgb_linear[frame[y, x, 0]]) - float(background_linear[y, x, 0])
    fg = float(srgb_linear[frame[y, x, 1]]) - float(background_linear[y, x, 1])
    fb = float(srgb_linear[frame[y, x, 2]]) - float(background_linear[y, x, 2])
    length = fr * fr + fg * fg + fb * fb
    best = np.inf
    share = 1.0
    for v in range(max(0, y - reach), min(height, y + reach + 1)):
        for u in range(max(0, x - reach), min(width, x + reach + 1)):
            if alpha[v, u] <= 0.0 or _clear_near(alpha, v, u):
                continue  # not the subject's inside: an edge pixel or the backdrop
            # the neighbour's colour against this pixel's backdrop: what it would mix with
            sr = float(srgb_linear[frame[v, u, 0]]) - float(background_linear[y, x, 0])
            sg = float(srgb_linear[frame[v, u, 1]]) - float(background_linear[y, x, 1])
            sb = float(srgb_linear[frame[v, u, 2]]) - float(background_linear[y, x, 2])
            norm = sr * sr + sg * sg + sb * sb
            if norm <= 1e-8:
                continue
            t = (fr * sr + fg * sg + fb * sb) / norm
            er, eg, eb = fr - t * sr, fg - t * sg, fb - t * sb
            residual = (er * er + eg * eg + eb * eb) / max(length, 1e-12)
            if residual < best:
                best = residual
                share = min(1.0, max(0.0, t))
    if best > COLOUR_LINE_RESIDUAL:
        return -1.0  # no neighbour inside, or none whose colour mixes to this one
    return share


@njit(cache=True, inline="always")
def _clear_near(alpha, y, x):
    """Is alpha <= 0 anywhere in the 3 x 3 neighbourhood of (y, x) (cut at the border)?"""
    height, width = alpha.shape
    for v in range(max(0, y - 1), min(height, y + 2)):
        for u in range(max(0, x - 1), min(width, x + 2)):
            if alpha[v, u] <= 0.0:
                return True
    return False


@njit(cache=True, inline="always")
def _column_clear(alpha, v0, v1, x):
    """Is alpha[v, x] <= 0 for any row v in [v0, v1)?"""
    for v in range(v0, v1):
        if alpha[v, x] <= 0.0:
            return True
    return False


def colour_share(coverage, refined, frame, background_linear, srgb_linear, inset, c0, c1, gate, out):
    """matte.colour_edge in one pass over the partly covered pixels. coverage float32
    (H, W): coverage_edge's alpha; refined float32 (H, W): the matte it came from, whose
    gradient (3 x 3 Sobel, the border's pixels repeated) points into the subject; frame
    uint8 (H, W, 3); background_linear float32 (H, W, 3): the plate in linear light;
    srgb_linear float32 (256,); inset: how far inwards (pixels) the subject's colour is
    read; c0, c1: the subject's contrast to the plate (linear RGB distance) where the
    colour's share starts to count and where it counts alone; gate: shares below it
    become 0; out float32 (H, W), overwritten. On a pixel with 0 < coverage < 1: the
    subject's colour F is the frame (linear light, bilinear) ``inset`` pixels inwards
    along the gradient, B the plate, share = (I - B).(F - B) / |F - B|^2 clipped to
    [0, 1], weight = (|F - B| - c0) / (c1 - c0) clipped to [0, 1], out = weight share +
    (1 - weight) coverage (0 under gate). Every other pixel, and one without a gradient,
    keeps its coverage. Samples are clamped to the picture."""
    run(
        _colour_share_rows,
        np.zeros(1, np.int64),
        coverage,
        refined,
        frame,
        background_linear,
        srgb_linear,
        inset,
        c0,
        c1,
        gate,
        out,
        alone=coverage.size <= ALONE_PIXELS,
    )


@njit(cache=True, inline="always")
def _clamped(refined, y, x):
    """refined[y, x] with the border's pixels repeated outside the picture."""
    height, width = refined.shape
    return refined[min(height - 1, max(0, y)), min(width - 1, max(0, x))]


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _colour_share_rows(
    next_row, coverage, refined, frame, background_linear, srgb_linear, inset, c0, c1, gate, out
):
    """One thread's share of colour_share: rows claimed from next_row."""
    height, width = coverage.shape
    span = max(c1 - c0, 1e-9)
    y = claim(next_row)
    while y < height:
        for x in range(width):
            a = coverage[y, x]
            out[y, x] = a
            if a <= 0.0 or a >= 1.0:
                continue
            # Sobel: the rows' differences weighted 1, 2, 1 (and the columns')
            dx = 0.0
            dy = 0.0
            for k in range(-1, 2):
                w = 2.0 if k == 0 else 1.0
                dx += w * (_clamped(refined, y + k, x + 1) - _clamped(refined, y + k, x - 1))
                dy += w * (_clamped(refined, y + 1, x + k) - _clamped(refined, y - 1, x + k))
            norm = math.sqrt(dx * dx + dy * dy)
            if norm <= 1e-6:
                continue
            # inset pixels inwards, bilinear, clamped to the picture
            sx = min(float(width - 1), max(0.0, x + inset * dx / norm))
            sy = min(float(height - 1), max(0.0, y + inset * dy / norm))
            x0 = min(int(sx), width - 2) if width > 1 else 0
            y0 = min(int(sy), height - 2) if height > 1 else 0
            fx = sx - x0
            fy = sy - y0
            x1 = min(x0 + 1, width - 1)
            y1 = min(y0 + 1, height - 1)
            dot = 0.0
            contrast = 0.0
            for c in range(3):
                top = (1.0 - fx) * srgb_linear[frame[y0, x0, c]] + fx * srgb_linear[frame[y0, x1, c]]
                bottom = (1.0 - fx) * srgb_linear[frame[y1, x0, c]] + fx * srgb_linear[frame[y1, x1, c]]
                f = (1.0 - fy) * top + fy * bottom - background_linear[y, x, c]
                dot += (srgb_linear[frame[y, x, c]] - background_linear[y, x, c]) * f
                contrast += f * f
            weight = min(1.0, max(0.0, (math.sqrt(contrast) - c0) / span))
            if weight <= 0.0:
                continue
            share = min(1.0, max(0.0, dot / max(contrast, 1e-12)))
            value = weight * share + (1.0 - weight) * a
            out[y, x] = value if value >= gate else 0.0
        y = claim(next_row)
