"""What a viewer of the fan would measure on an exported file, read with code of its own.

The 42-F2 ``.BIN`` is decoded here from the published description
(shared docs/device-formats.md: 512 slices x 6 MSB-first bit-planes of 42 bytes, 112 LEDs
of (B, G, R), LED 0 at the rim, slice s at s * 360/512 degrees clockwise from 3 o'clock),
and MP4 frames are read with ffmpeg through imageio-ffmpeg; none of holopack's readers,
simulator or validate code is used. Positions are in units of the circle's radius with the
circle's centre at (0, 0), y down.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SLICES, LEDS, PLANES, PLANE_BYTES = 512, 112, 6, 42
FRAME_BYTES = SLICES * PLANES * PLANE_BYTES
TRAILER = b"B2DDDDEDC0EEBDF9E5B7"


def read_42f2(path) -> np.ndarray:
    """All frames of a 42-F2 file: float32 (F, 512 slices, 112 LEDs, 3 RGB) in 0..1,
    LED 0 at the rim."""
    data = open(path, "rb").read()
    if len(data) % FRAME_BYTES == len(TRAILER) and data.endswith(TRAILER):
        data = data[: -len(TRAILER)]
    assert len(data) % FRAME_BYTES == 0, f"{len(data)} bytes is not a whole number of frames"
    planes = np.frombuffer(data, np.uint8).reshape(-1, SLICES, PLANES, PLANE_BYTES)
    bits = np.unpackbits(planes, axis=-1)  # (F, S, 6, 336): byte j of a plane -> bit 7 - j % 8
    weights = (1 << (7 - np.arange(PLANES))).astype(np.uint16)  # planes hold bits 7..2
    values = np.tensordot(bits.astype(np.uint16), weights, axes=([2], [0]))  # (F, S, 336)
    bgr = values.reshape(-1, SLICES, LEDS, 3).astype(np.float32) / 252.0
    return bgr[..., ::-1]


def polar_points() -> tuple[np.ndarray, np.ndarray]:
    """x, y of every LED cell centre: float64 (512, 112) each, radius units, y down."""
    angle = (np.arange(SLICES) + 0.5) * (2 * np.pi / SLICES)
    radius = (LEDS - np.arange(LEDS) - 0.5) / LEDS
    return np.cos(angle)[:, None] * radius[None, :], np.sin(angle)[:, None] * radius[None, :]


def read_mp4(path) -> np.ndarray:
    """All frames of a video: float32 (F, H, W, 3) in 0..1 (sRGB values as stored)."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = reader.__next__()
    w, h = meta["size"]
    frames = [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]
    return np.stack(frames).astype(np.float32) / 255.0


def square_points(size: int) -> tuple[np.ndarray, np.ndarray]:
    """x, y of every pixel centre of a square picture, radius units (the inscribed circle)."""
    c = (np.arange(size) + 0.5 - size / 2) / (size / 2)
    return np.broadcast_to(c[None, :], (size, size)), np.broadcast_to(c[:, None], (size, size))


@dataclass
class Measures:
    centre_offset: float  # distance of the lit bounding box's centre from the circle's centre
    extent: float  # half the larger side of that box
    width: float
    height: float
    saturation: float  # mean (max - min) / max over lit cells of all frames
    motion: float  # largest mean |frame - first frame| over the lit cells, 0..1
    lit_fraction: float


def measure(frames: np.ndarray, x: np.ndarray, y: np.ndarray, threshold: float) -> Measures:
    """frames : (F, ..., 3) float in 0..1 over cells at x, y (same leading shape)."""
    level = frames.max(axis=-1)
    lit = level > threshold
    union = lit.any(axis=0)
    assert union.any(), "nothing is lit in any frame"
    xs, ys = x[union], y[union]
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    colour = frames[lit]
    hi, lo = colour.max(axis=-1), colour.min(axis=-1)
    saturation = float(np.mean((hi - lo) / np.maximum(hi, 1e-6)))
    first = frames[0][union]
    motion = max((float(np.abs(f[union] - first).mean()) for f in frames[1:]), default=0.0)
    return Measures(
        centre_offset=float(np.hypot((x0 + x1) / 2, (y0 + y1) / 2)),
        extent=float(max(x1 - x0, y1 - y0) / 2),
        width=float(x1 - x0),
        height=float(y1 - y0),
        saturation=saturation,
        motion=motion,
        lit_fraction=float(union.mean()),
    )


def measure_42f2(path) -> Measures:
    x, y = polar_points()
    return measure(read_42f2(path), x, y, threshold=2.5 / 63)


def measure_mp4(path) -> Measures:
    frames = read_mp4(path)
    x, y = square_points(frames.shape[1])
    return measure(frames, x, y, threshold=12 / 255)
