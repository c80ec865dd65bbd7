"""Matte measures against ground truth (plain numpy/scipy; no holopack.video code in
the measuring): see tests/test_video_keying.py."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

import holopack
from holopack.video.analyse import analyse, source_frames
from holopack.video.crop import fit_placement
from holopack.video.options import video_options
from holopack.video.process import FrameProcessor


def key_clip(path, key: str = "auto", see_through: str = "none"):
    media = holopack.load(path).media
    model = analyse(media, video_options(key=key, crop="fit", see_through=see_through))
    processor = FrameProcessor(model, fit_placement(media.width, media.height, media.width))
    for frame in source_frames(media):
        out = processor(frame)
        yield model, out, processor.last_alpha.copy()


def measure(path, truth, key: str = "auto", see_through: str = "none"):
    """-> (model, clip IoU, least share of true background exactly 0 in a frame,
    largest per-frame spill in codes, mean edge jitter), keyed with ``key`` (--key) and
    ``see_through`` (--see-through)."""
    last = {}

    def frames():
        for i, (model, out, alpha) in enumerate(key_clip(path, key, see_through)):
            last["model"] = model
            yield out, alpha, truth[i]

    iou, black, spill, jitter = measure_frames(frames())
    return last.get("model"), iou, black, spill, jitter


def measure_frames(frames):
    """frames: (output (H, W, 3) uint8, matte (H, W) float32, truth (H, W) float32) in
    clip order -> (clip IoU, least share of true background exactly 0 in a frame,
    largest per-frame spill in codes, mean edge jitter)."""
    inter = union = 0.0
    zero, spill, jitter = [], [], []
    previous = None
    for out, alpha, t in frames:
        inter += np.minimum(alpha, t).sum()
        union += np.maximum(alpha, t).sum()
        zero.append((out[t == 0].max(axis=-1) == 0).mean())
        rim = (t > 0) & (ndimage.distance_transform_edt(t > 0) <= 3)
        o = out.astype(np.float64)
        spill.append(np.maximum(0.0, o[..., 1] - np.maximum(o[..., 0], o[..., 2]))[rim].mean())
        if previous is not None:
            solid = t > 0
            edge = ndimage.binary_dilation(solid ^ ndimage.binary_erosion(solid), iterations=2)
            still = edge & (np.abs(t - previous[1]) <= 0.02)
            if still.sum() > 50:
                jitter.append(np.abs(alpha - previous[0])[still].mean())
        previous = (alpha, t)
    return inter / union, min(zero), max(spill), float(np.mean(jitter))
