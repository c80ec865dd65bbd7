"""The whole wall as a viewer sees it: every fan's LEDs drawn at its place and turn.

Each preview pixel under a fan shows the LED cell it lies in: the ring whose LED
covers its radius and the slice that sweeps its angle, undoing the fan's rotation and
mirror. That is the viewer simulation without its motion blur and LED-edge smoothing
(holopack.device.simulate draws those for one fan); it costs one gather per pixel,
which keeps writing preview.mp4 beside nine fan files a small part of the export.
Light adds where circles overlap, so a double-lit overlap would show.
"""

from __future__ import annotations

import math

import numpy as np

from ..colour import SRGB8_TO_LINEAR
from ..device.simulate import _LUT
from .canvas import CanvasGeometry
from .layout import Fan
from .preview_kernel import draw_overlaps, draw_single

# The preview's longer side in pixels: 768 px across a 3 x 3 wall of 42-F2 fans is
# 1.1 px per LED pitch, enough to see every fan's rings and seams. Its CPU time was
# the largest of the whole export at 1024 px (x264 veryfast 22-27 ms per frame, more
# than the canvas render's 16 ms); 768 px with ultrafast (export.PREVIEW_PRESET) takes
# 6-8 ms of x264 and 4-6 ms of drawing (python benchmarks/bench_wall.py --preview).
PREVIEW_SIZE = 768


def fan_local_polar(fan: Fan, x_mm: np.ndarray, y_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wall points (mm, y up) -> (radius mm, angle in the fan's own picture: radians
    clockwise from 3 o'clock with y down), undoing the turn and then the mirror."""
    dx, dy = x_mm - fan.x, y_mm - fan.y
    t = math.radians(fan.rotation)
    c, s = math.cos(t), math.sin(t)
    lx, ly = c * dx + s * dy, -s * dx + c * dy  # turn back clockwise
    if fan.mirror:
        lx = -lx
    return np.hypot(lx, ly), np.arctan2(-ly, lx)


def led_lookup(fan: Fan, r_mm: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """int64 flat (slice * columns + column) of the LED lighting each point, -1 where
    none does (hub, gaps between LEDs, outside the disc). Of two LEDs whose cells
    overlap, the one whose centre is nearer."""
    p = fan.profile
    centres, offsets = p.column_geometry()  # an InputError for a video profile
    # the schema sets every polar field of a polar profile
    assert p.led_size_mm is not None and p.slice0_angle_deg is not None
    slices = p.codes_shape[0]
    half = p.led_size_mm / 2.0
    out = np.full(r_mm.shape, -1, np.int64)
    best = np.full(r_mm.shape, np.inf)
    step = p.slice_step_rad
    for col, (centre, offset) in enumerate(zip(centres, offsets)):
        d = np.abs(r_mm - centre)
        hit = (d <= half) & (d < best)
        if not hit.any():
            continue
        slice_ = np.floor((phi[hit] - math.radians(p.slice0_angle_deg) - offset) / step) % slices
        out[hit] = slice_.astype(np.int64) * p.columns + col
        best[hit] = d[hit]
    return out


class WallPreview:
    """``picture(frames)`` -> uint8 (h, w, 3) sRGB of the wall, longer side ``size``
    (even sides; an internal buffer, valid until the next call). frames[k]: what fan
    k's file gets (WallPlan.fan_frames): codes uint8 (S, C, 3) for a polar fan, its
    own sRGB picture uint8 (N, N, 3) for a video fan.

    Built once: every preview pixel's sources (the LED over it on each fan that lights
    it, or the video fan's picture pixel), grouped by pixel, with each source's code ->
    linear light table; a frame is then one pass over the lit pixels (draw_lit_pixels).
    """

    def __init__(self, geometry: CanvasGeometry, size: int = PREVIEW_SIZE):
        w_mm, h_mm = geometry.size_mm
        self.ppm = size / max(w_mm, h_mm)
        self.width = 2 * max(1, int(round(w_mm * self.ppm / 2)))
        self.height = 2 * max(1, int(round(h_mm * self.ppm / 2)))
        self.color = np.zeros((self.height, self.width, 3), np.uint8)
        pixels, sources, bases, luts = [], [], [], []
        self.spans = []  # (start, stop) of each fan's frame in self.values
        value_at = lut_at = 0
        for fan in geometry.wall.fans:
            p = fan.profile
            radius = p.radius_mm if p.is_polar else p.physical_diameter_mm / 2.0
            cx, cy = (fan.x - geometry.left) * self.ppm, (geometry.top - fan.y) * self.ppm
            x0, x1 = max(0, int(cx - radius * self.ppm) - 1), min(self.width, int(cx + radius * self.ppm) + 2)
            y0, y1 = (
                max(0, int(cy - radius * self.ppm) - 1),
                min(self.height, int(cy + radius * self.ppm) + 2),
            )
            ys, xs = np.mgrid[y0:y1, x0:x1]
            x_mm = geometry.left + (xs + 0.5) / self.ppm
            y_mm = geometry.top - (ys + 0.5) / self.ppm
            r, phi = fan_local_polar(fan, x_mm, y_mm)
            flat = (ys * self.width + xs).ravel()
            if p.is_polar:
                led = led_lookup(fan, r, phi).ravel()
                keep = led >= 0
                source = led[keep]
                lut = np.power(
                    np.arange(p.max_code + 1, dtype=np.float32) / np.float32(p.max_code), np.float32(p.gamma)
                )
                slices, columns, _ = p.codes_shape
                count = slices * columns
            else:
                keep = (r <= radius).ravel()
                side = p.video_size + (p.video_size % 2)
                # the fan's own picture pixel under each point (y down, centre at side/2)
                lx = r * np.cos(phi) / (2 * radius) * side + side / 2.0
                ly = r * np.sin(phi) / (2 * radius) * side + side / 2.0
                j = np.clip(np.floor(lx), 0, side - 1).astype(np.int64).ravel()
                i = np.clip(np.floor(ly), 0, side - 1).astype(np.int64).ravel()
                source = (i * side + j)[keep]
                lut = SRGB8_TO_LINEAR.astype(np.float32)
                count = side * side
            pixels.append(flat[keep])
            sources.append(value_at + 3 * source)
            bases.append(np.full(source.size, lut_at, np.int64))
            luts.append(lut)
            self.spans.append((value_at, value_at + 3 * count))
            value_at += 3 * count
            lut_at += lut.size
        pixel = np.concatenate(pixels) if pixels else np.zeros(0, np.int64)
        source = np.concatenate(sources) if sources else np.zeros(0, np.int64)
        base = np.concatenate(bases) if bases else np.zeros(0, np.int64)
        order = np.argsort(pixel, kind="stable")  # a pixel's sources together, fan order kept
        pixel, source, base = pixel[order], source[order], base[order]
        starts = np.flatnonzero(np.diff(pixel, prepend=-1))
        counts = np.diff(np.append(starts, pixel.size))
        one = np.repeat(counts == 1, counts)
        self.luts = np.concatenate(luts).astype(np.float32) if luts else np.zeros(1, np.float32)
        # a lone source's colour is its code's sRGB byte: the same table as self.luts
        self.tables = _LUT[np.round(np.clip(self.luts, 0.0, 1.0) * (_LUT.size - 1)).astype(np.int64)]
        one_pixel, one_source, one_base = (
            np.ascontiguousarray(a[one], np.int32) for a in (pixel, source, base)
        )
        self.single = (one_pixel, one_source, one_base)
        many = np.repeat(counts > 1, counts)
        shared = starts[counts > 1]
        self.overlaps = (
            np.ascontiguousarray(pixel[shared], np.int32),
            np.append(np.cumsum(counts[counts > 1]) - counts[counts > 1], many.sum()).astype(np.int32),
            np.ascontiguousarray(source[many], np.int32),
            np.ascontiguousarray(base[many], np.int32),
        )
        if value_at >= 2**31 or self.width * self.height * 3 >= 2**31:
            raise ValueError("wall preview too large for 32-bit indices")
        self.values = np.zeros(value_at, np.uint8)

    def picture(self, frames: list) -> np.ndarray:
        for (start, stop), frame in zip(self.spans, frames):
            self.values[start:stop] = np.asarray(frame, np.uint8).reshape(-1)
        out = self.color.reshape(-1)
        draw_single(*self.single, self.values, self.tables, out)
        pixel, runptr, source, base = self.overlaps
        draw_overlaps(pixel, runptr, source, base, self.values, self.luts, _LUT, out)
        return self.color
