"""Slow, obviously-correct numpy twins of key_kernel.matte, key_kernel.unmix and
key_kernel.composite."""

from __future__ import annotations

import numpy as np

KR, KG, KB = 0.299, 0.587, 0.114


def ycbcr(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB codes -> (..., 3) float64 BT.601 Y, Cb, Cr (0-255 scale, no offset)."""
    rgb = rgb.astype(np.float64)
    y = KR * rgb[..., 0] + KG * rgb[..., 1] + KB * rgb[..., 2]
    return np.stack([y, 0.564 * (rgb[..., 2] - y), 0.713 * (rgb[..., 0] - y)], axis=-1)


def normalised_chroma(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) sRGB codes -> (..., 2) chroma * 100 / (Y + 16)."""
    ycc = ycbcr(rgb)
    return ycc[..., 1:] * (100.0 / (ycc[..., :1] + 16.0))


def matte(frame, plate, key_uv, params, prev_frame, prev_score, has_prev):
    """As key_kernel.matte; returns (alpha float32 (H, W), new prev_score float32 (H, W))."""
    use_plate, plate_lo, plate_hi, use_key, key_lo, key_hi, still = [float(p) for p in params]
    score = np.full(frame.shape[:2], 64.0)  # key_kernel.SCORE_LIMIT
    if use_plate > 0.5:
        d = np.sqrt(((ycbcr(frame) - plate) ** 2).sum(-1))
        score = np.minimum(score, (d - plate_lo) / (plate_hi - plate_lo))
    if use_key > 0.5:
        d = np.sqrt(((normalised_chroma(frame) - np.asarray(key_uv, np.float64)) ** 2).sum(-1))
        score = np.minimum(score, (d - key_lo) / (key_hi - key_lo))
    if not (use_plate > 0.5 or use_key > 0.5):
        score[:] = 1.0
    score = np.maximum(score, -64.0)
    if has_prev:
        change = np.abs(frame.astype(np.int32) - prev_frame.astype(np.int32)).max(-1)
        score = np.where(change <= still, 0.5 * (score + prev_score), score)
    return np.clip(score, 0.0, 1.0).astype(np.float32), score.astype(np.float32)


def composite(frame, alpha, band, background, despill, allowance, gain):
    """As key_kernel.composite; returns out uint8 (H, W, 3)."""
    a = alpha.astype(np.float64)[..., None]
    c = np.maximum(0.0, frame.astype(np.float64) - (1.0 - a) * background)
    if 0 <= despill <= 2:  # one channel held to the larger of the other two
        others = [i for i in range(3) if i != despill]
        limited = np.minimum(c[..., despill], np.maximum(c[..., others[0]], c[..., others[1]]))
        c[..., despill] = np.where(band != 0, limited, c[..., despill])
    elif despill >= 3:  # the two channels other than despill - 3, lowered to it together
        low = despill - 3
        pair = [i for i in range(3) if i != low]
        common = np.minimum(c[..., pair[0]], c[..., pair[1]])
        spill = np.where(band != 0, np.maximum(common - c[..., low] - allowance, 0.0), 0.0)
        for i in pair:
            c[..., i] = c[..., i] - spill
    out = np.minimum(255, np.floor(c * gain + 0.5)).astype(np.uint8)
    out[alpha <= 0] = 0
    return out


def edge_inputs(frame, plate, background_linear):
    """The offset and linear_distance that key_kernel.matte fills in its pass; returns
    (offset float32 (H, W, 3), linear_distance float32 (H, W)), the sRGB curve written
    out here."""
    c = frame.astype(np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    offset = ycbcr(frame) - plate
    distance = np.sqrt(((linear - background_linear) ** 2).sum(-1))
    return offset.astype(np.float32), distance.astype(np.float32)


def _window_max(x: np.ndarray, radius: int, fill: float) -> np.ndarray:
    """Max over the (2r + 1)^2 window cut at the border (padding with ``fill``)."""
    h, w = x.shape
    padded = np.pad(x.astype(np.float64), radius, constant_values=fill)
    out = np.full((h, w), fill)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            out = np.maximum(out, padded[dy : dy + h, dx : dx + w])
    return out


def unmix(alpha, score, lo, hi, linear_distance, reach, colour=False, frame=None, background_linear=None):
    """As key_kernel.unmix; returns out float32 (H, W). With ``colour``, frame uint8
    (H, W, 3) and background_linear (H, W, 3) as the kernel takes them (the sRGB curve
    written out here)."""
    a = alpha.astype(np.float64)
    near = _window_max((a <= 0).astype(np.float64), 1, 0.0) > 0
    local = _window_max(np.maximum(0.0, lo + score.astype(np.float64) * (hi - lo)), 2, 0.0)
    if colour:
        share = _colour_shares(a, near, frame, background_linear, reach)
    else:
        share = np.clip(
            linear_distance / np.maximum(_window_max(linear_distance, reach, 0.0), 1e-6), 0.0, 1.0
        )
    keyed_edge = near & (a > 0)
    out = np.where(keyed_edge & (local >= hi), share, np.where(keyed_edge, np.minimum(a, share), a))
    out = np.where(np.isnan(out), a, out)  # no colour mixes to the pixel: its own ramp
    return out.astype(np.float32)


def _colour_shares(alpha, near, frame, background_linear, reach, bar=0.1):
    """Every pixel's colour share (key_kernel.unmix): projected on the line from its
    backdrop to each neighbour within ``reach`` inside the subject (alpha > 0 and not
    ``near`` clear background), the neighbour leaving the least residual (relative to
    the pixel's own squared distance) wins; NaN where none leaves at most ``bar``."""
    h, w = alpha.shape
    c = frame.astype(np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(np.float32)
    backdrop = background_linear.astype(np.float64)
    f = linear.astype(np.float64) - backdrop
    length = (f * f).sum(-1)
    pad = reach
    inside = np.pad((alpha > 0) & ~near, pad, constant_values=False)  # outside the picture: never
    lp = np.pad(linear.astype(np.float64), ((pad, pad), (pad, pad), (0, 0)))
    best = np.full((h, w), np.inf)
    share = np.ones((h, w))
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            if dy == 0 and dx == 0:
                continue
            candidate = inside[pad + dy : pad + dy + h, pad + dx : pad + dx + w]
            s = lp[pad + dy : pad + dy + h, pad + dx : pad + dx + w] - backdrop
            norm = (s * s).sum(-1)
            t = (f * s).sum(-1) / np.where(norm > 1e-8, norm, 1.0)
            e = f - t[..., None] * s
            residual = (e * e).sum(-1) / np.maximum(length, 1e-12)
            better = candidate & (norm > 1e-8) & (residual < best)
            best = np.where(better, residual, best)
            share = np.where(better, np.clip(t, 0.0, 1.0), share)
    return np.where(best > bar, np.nan, share)


def colour_share(coverage, refined, frame, background_linear, inset, c0, c1, gate):
    """As key_kernel.colour_share (the sRGB curve and the Sobel written out here);
    returns out float32 (H, W)."""
    h, w = coverage.shape
    c = frame.astype(np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    p = np.pad(refined.astype(np.float64), 1, mode="edge")
    gx = (p[:-2, 2:] - p[:-2, :-2]) + 2 * (p[1:-1, 2:] - p[1:-1, :-2]) + (p[2:, 2:] - p[2:, :-2])
    gy = (p[2:, :-2] - p[:-2, :-2]) + 2 * (p[2:, 1:-1] - p[:-2, 1:-1]) + (p[2:, 2:] - p[:-2, 2:])
    norm = np.hypot(gx, gy)
    safe = np.maximum(norm, 1e-30)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    sx = np.clip(xs + inset * gx / safe, 0, w - 1)
    sy = np.clip(ys + inset * gy / safe, 0, h - 1)
    x0 = np.minimum(np.floor(sx).astype(int), max(w - 2, 0))
    y0 = np.minimum(np.floor(sy).astype(int), max(h - 2, 0))
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
    inner = (1 - fy) * ((1 - fx) * linear[y0, x0] + fx * linear[y0, x1]) + fy * (
        (1 - fx) * linear[y1, x0] + fx * linear[y1, x1]
    )
    f = inner - background_linear
    contrast = (f * f).sum(-1)
    share = np.clip(((linear - background_linear) * f).sum(-1) / np.maximum(contrast, 1e-12), 0, 1)
    weight = np.clip((np.sqrt(contrast) - c0) / max(c1 - c0, 1e-9), 0, 1)
    value = weight * share + (1 - weight) * coverage
    value = np.where(value >= gate, value, 0.0)
    use = (coverage > 0) & (coverage < 1) & (norm > 1e-6) & (weight > 0)
    return np.where(use, value, coverage).astype(np.float32)
