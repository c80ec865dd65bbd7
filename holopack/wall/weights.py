"""Each polar fan's resampling weights over its own region of the wall's canvas.

The fan's LED sectors (its profile's geometry in mm) are placed at its centre on the
canvas, turned and mirrored as mounted (canvas.fan_angles), kept where the fan owns
the sector's centre and weighted by area over the canvas pixels (weights_kernel). The table is then regrouped by
canvas tile with the single-fan resampler's own ``tiled_table``, so a frame is summed
by the same kernel (``sum_tiles``), which skips tiles the renderer left black.
Tables are cached on disk like the single-fan ones (resample.cache_dir).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace

import numpy as np

from ..device.dither import Ditherer
from ..device.quantise_kernel import encode_codes
from ..device.resample_kernel import (
    DENSITY,
    TiledTable,
    WeightTable,
    _load_cached,
    _store_cached,
    cache_dir,
    sum_tiles,
    tiled_table,
)
from ..rendering import TILE
from .canvas import CanvasGeometry, fan_angles
from .layout import Fan
from .weights_kernel import owned_sector_weights

TABLE_VERSION = 2  # bump when the weights' meaning changes: cached tables go stale


def fan_sectors(geometry: CanvasGeometry, fan: Fan):
    """A polar fan's sectors on the canvas: float64 arrays (slices*columns,) of inner and
    outer radius in canvas px, canvas start angle and signed step (rows: slice, then
    column in file order), and its centre (cx, cy) in canvas px."""
    p = fan.profile
    centres, offsets = p.column_geometry()  # an InputError for a video profile
    # the schema sets every polar field of a polar profile
    assert p.led_size_mm is not None and p.slice0_angle_deg is not None
    half = p.led_size_mm / 2.0
    ppm = geometry.px_per_mm
    S, C, _ = p.codes_shape
    r_in = np.broadcast_to(np.maximum(centres - half, 0.0) * ppm, (S, C)).ravel().copy()
    r_out = np.broadcast_to((centres + half) * ppm, (S, C)).ravel().copy()
    step = p.slice_step_rad
    start = (
        math.radians(p.slice0_angle_deg) + offsets[None, :] + step * np.arange(S, dtype=np.float64)[:, None]
    ).ravel()
    start, steps = fan_angles(fan, start, np.full(S * C, step))
    cx, cy = geometry.fan_centre(fan)
    return r_in, r_out, start, steps, cx, cy


def fan_circles(geometry: CanvasGeometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every fan's centre x, y and circle radius in canvas px, float64 (F,) each."""
    fans = geometry.wall.fans
    centres = np.array([geometry.fan_centre(f) for f in fans], np.float64).reshape(-1, 2)
    radii = np.array([f.radius_mm * geometry.px_per_mm for f in fans], np.float64)
    return np.ascontiguousarray(centres[:, 0]), np.ascontiguousarray(centres[:, 1]), radii


def fan_weight_table(geometry: CanvasGeometry, index: int, density: float = DENSITY) -> WeightTable:
    """The weights of fan ``index`` over the canvas, as a WeightTable whose ``size`` is
    the canvas width (indices are ``y * width + x``)."""
    fan = geometry.wall.fans[index]
    r_in, r_out, start, step, cx, cy = fan_sectors(geometry, fan)
    H, W = geometry.height, geometry.width
    rows = r_in.size
    circles = fan_circles(geometry)
    key = _key(geometry, index, (r_in, r_out, start, step) + circles, density)
    folder = cache_dir()
    path = folder / "wall-weights" / f"{key}.npz" if folder else None
    arrays = _load_cached(path, rows, max(W, H)) if path and path.exists() else None
    if arrays is None:
        arrays = owned_sector_weights(W, H, r_in, r_out, start, step, float(density), *circles, index)
        if path:
            _store_cached(path, *arrays)
    slices, columns, _ = fan.profile.codes_shape
    return WeightTable(slices, columns, W, *arrays)


def _key(geometry, index, arrays, density) -> str:
    """Digest of everything a fan's weights depend on: its sectors, every fan's circle,
    the canvas size."""
    h = hashlib.sha256()
    h.update(f"v{TABLE_VERSION}:{geometry.width}x{geometry.height}:{density!r}:{index}".encode())
    for a in arrays:
        h.update(np.ascontiguousarray(a, np.float64).tobytes())
    return h.hexdigest()[:32]


def canvas_tiled_table(table: WeightTable, height: int, tile: int = TILE):
    """``tiled_table`` for a table over a height x table.size canvas.

    tiled_table groups by tiles of a square picture; the indices are moved onto a
    square of side max(width, height) for the grouping and back to the canvas's rows
    afterwards, so the occupancy map it reads is that square's (see CanvasTiles)."""
    width = table.size
    side = max(width, height)
    y, x = np.divmod(table.indices.astype(np.int64), width)
    square = replace(table, size=side, indices=(y * side + x).astype(np.int32))
    tiled = tiled_table(square, tile)
    sy, sx = np.divmod(tiled.offsets.astype(np.int64) // 3, side)
    offsets = ((sy * width + sx) * 3).astype(np.uint32)
    return replace(tiled, offsets=offsets, span=int(offsets.max()) + 4 if offsets.size else 0)


class CanvasTiles:
    """The renderer's tile map (ceil(H/TILE), ceil(W/TILE)) bool placed on the square
    grid canvas_tiled_table groups by: flat bool (grid * grid,)."""

    def __init__(self, width: int, height: int, tile: int = TILE):
        self.grid = -(-max(width, height) // tile)
        self.rows, self.cols = -(-height // tile), -(-width // tile)
        self._square = np.zeros((self.grid, self.grid), np.bool_)

    def place(self, tiles: np.ndarray) -> np.ndarray:
        self._square[: self.rows, : self.cols] = tiles
        return self._square.reshape(-1)


class FanEncoder:
    """One polar fan of a wall: canvas linear light -> the fan's device codes.

    ``encode(canvas_flat, occupied, frame_index)``: canvas_flat float32 (H*W*3,) linear
    light; occupied flat bool from CanvasTiles.place -> uint8 (slices, columns, 3) codes
    in RGB order (an internal buffer, valid until the next call), dithered and quantised
    exactly like a single fan's (PolarEncoder.quantise).
    """

    def __init__(self, geometry: CanvasGeometry, index: int):
        self.fan = geometry.wall.fans[index]
        self.profile = self.fan.profile
        self.table = fan_weight_table(geometry, index)
        self.tiled = canvas_tiled_table(self.table, geometry.height)
        self.ditherer = Ditherer(self.profile)
        self.shape = self.profile.codes_shape
        self.linear = np.empty(self.shape, np.float32)
        self.codes = np.empty(self.shape, np.uint8)

    def to_polar(self, canvas_flat: np.ndarray, occupied: np.ndarray) -> np.ndarray:
        """float32 (slices, columns, 3) linear light of each LED (an internal buffer)."""
        sum_tiles(self.tiled, occupied, canvas_flat, self.linear.reshape(-1))
        return self.linear

    def encode(self, canvas_flat: np.ndarray, occupied: np.ndarray, frame_index: int) -> np.ndarray:
        return self.quantise(self.to_polar(canvas_flat, occupied), frame_index)

    def quantise(self, linear: np.ndarray, frame_index: int) -> np.ndarray:
        """float32 (slices, columns, 3) linear light -> the fan's codes (internal buffer)."""
        p = self.profile
        return encode_codes(
            linear,
            self.ditherer.thresholds(frame_index),
            float(p.brightness_limit),
            1.0 / float(p.gamma),
            int(p.max_code),
            self.codes,
        )


def fused_tiled_table(tables: list[TiledTable]) -> tuple[TiledTable, list[int]]:
    """Several fans' tiled tables over one canvas as one table whose rows are the fans'
    rows one after another, so one ``sum_tiles`` call (one parallel region) resamples
    every fan. Returns the table and each fan's first row.

    The groups keep each fan's order; rows without entries (which the kernel zeroes
    after the groups) move behind every fan's groups."""
    if not tables:
        raise ValueError("no tables to fuse")
    if len({(t.tile, t.grid) for t in tables}) > 1:
        raise ValueError("the tables tile different canvases")
    rows = [t.order.size for t in tables]
    first_row = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(np.int64)
    grouped = [int(t.groupptr[-1]) if t.groupptr.size else 0 for t in tables]
    before = np.concatenate([[0], np.cumsum(grouped)[:-1]]).astype(np.int64)
    reach_before = np.concatenate([[0], np.cumsum([t.reach.size for t in tables])[:-1]]).astype(np.int64)
    groupptr = np.concatenate(
        [t.groupptr[:-1] + b for t, b in zip(tables, before)] + [np.array([sum(grouped)], np.int64)]
    )
    reachptr = np.concatenate(
        [t.reachptr[:-1] + b for t, b in zip(tables, reach_before)]
        + [np.array([sum(t.reach.size for t in tables)], np.int64)]
    )
    order = np.concatenate(
        [t.order[:g].astype(np.int64) + f for t, g, f in zip(tables, grouped, first_row)]
        + [t.order[g:].astype(np.int64) + f for t, g, f in zip(tables, grouped, first_row)]
    )
    counts = np.concatenate(
        [np.diff(t.indptr)[:g] for t, g in zip(tables, grouped)]
        + [np.diff(t.indptr)[g:] for t, g in zip(tables, grouped)]
    )
    reach = np.concatenate([t.reach for t in tables]).astype(np.int32)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    offsets = np.concatenate([t.offsets for t in tables])
    weights = np.concatenate([t.weights for t in tables])
    # groups in raster order of their first tile over the whole canvas, as in one fan's
    # table: the kernel's threads take equal runs of groups, and fan by fan one thread
    # got the fans the model covers and the other the empty ones (the one call took
    # three times as long as nine balanced calls)
    sizes = np.diff(groupptr)
    rank = np.argsort(reach[reachptr[:-1]], kind="stable")
    rows_new = _runs(groupptr[:-1][rank], sizes[rank])
    grouped_total = int(groupptr[-1])
    rows_new = np.concatenate([rows_new, np.arange(grouped_total, order.size)])
    row_counts = counts[rows_new]
    entries = _runs(indptr[:-1][rows_new], row_counts)
    reach_sizes = np.diff(reachptr)[rank]
    fused = TiledTable(
        tile=tables[0].tile,
        grid=tables[0].grid,
        groupptr=np.concatenate([[0], np.cumsum(sizes[rank])]).astype(np.int64),
        reachptr=np.concatenate([[0], np.cumsum(reach_sizes)]).astype(np.int64),
        reach=reach[_runs(reachptr[:-1][rank], reach_sizes)],
        order=order[rows_new].astype(np.uint32),
        indptr=np.concatenate([[0], np.cumsum(row_counts)]).astype(np.int64),
        offsets=offsets[entries],
        weights=weights[entries],
        span=max(t.span for t in tables),
    )
    return fused, [int(f) for f in first_row]


def _runs(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ranges starts[i] : starts[i] + counts[i] (int64)."""
    counts = np.asarray(counts, np.int64)
    shift = np.asarray(starts, np.int64) - (np.cumsum(counts) - counts)
    return np.repeat(shift, counts) + np.arange(int(counts.sum()), dtype=np.int64)


class FusedResample:
    """Every polar fan of a wall resampled in one kernel call.

    Nine calls of the tiled gather for a 3 x 3 wall of 42-F2 fans wake the kernel's
    worker threads nine times per frame; with every tile empty (the calls' fixed cost
    alone) they took 3.3-3.7 ms of CPU time per frame on a busy 2-core machine. One
    call over the fused table took 3.3-4.3 ms of CPU time per frame against 4.3-5.3 ms
    for the nine calls, the elapsed times within each other's noise (7-11 ms on that
    machine; python benchmarks/bench_wall.py --fused).
    ``run(canvas_flat, occupied)`` fills each encoder's ``linear`` buffer (views into
    one float32 (rows * 3,) array) with the same bits as its own call would.
    """

    def __init__(self, encoders: list[FanEncoder]):
        self.encoders = encoders
        self.table, first_rows = fused_tiled_table([e.tiled for e in encoders])
        self.out = np.zeros(3 * int(self.table.order.size), np.float32)
        for enc, row in zip(encoders, first_rows):
            size = int(np.prod(enc.shape))
            enc.linear = self.out[3 * row : 3 * row + size].reshape(enc.shape)

    def run(self, canvas_flat: np.ndarray, occupied: np.ndarray) -> None:
        sum_tiles(self.table, occupied, canvas_flat, self.out)
