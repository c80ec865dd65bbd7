"""Area-weighted resampling of a square picture into a fan's polar frame.

An LED's value in a slice is the average, in linear light, of the picture over the
annular sector the LED sweeps during that slice. The weights depend only on the profile
and the render size, so they are built once (``weight_table``, cached) and applied to
every frame by a Numba sparse product: ``apply_weights`` (the table's own row order) or
``gather_tiled`` (rows grouped by picture tile, skipping tiles known to be black; what
Resampler uses), which give the same sums.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numba import njit

from ..kernel_cache import refresh
from ..work_pool import run
from ..work_queue import claim, claim_block
from .profile import DeviceProfile
from .rgb_sum import weighted_rgb_sum
from .sector_weights_kernel import sector_weights

# gather_tiled compiles rgb_sum's loop into itself, every kernel the work queue's claim
refresh(__file__, ["rgb_sum.py", "../work_queue.py"])

# LED rows per item a thread claims in apply_weights (holopack.work_queue): a row sums a
# few tens of pixels, so single rows would make the claims a noticeable share of the work
ROW_BLOCK = 64

TABLE_VERSION = 1  # bump when the weights' meaning or layout changes: old cache files go stale
DENSITY = 20.0  # area samples per pixel length: pixel coverage within ~3%, built in ~1 s


@dataclass(frozen=True, eq=False)
class WeightTable:
    """Sparse (CSR) weights: row ``s * columns + c`` is LED column c in slice s.

    indptr: int64 (slices*columns + 1,); indices: int32 (nnz,) flat pixel index
    ``y * size + x``; weights: float32 (nnz,), each non-empty row sums to 1.
    """

    slices: int
    columns: int
    size: int
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray

    @property
    def nnz(self) -> int:
        return int(self.indices.shape[0])

    def to_scipy(self):
        """The same table as a scipy.sparse CSR matrix (rows, size*size); needs scipy,
        which holopack itself does not (its Numba kernels are faster: see
        benchmarks/bench_resample.py)."""
        import scipy.sparse

        return scipy.sparse.csr_matrix(
            (self.weights, self.indices, self.indptr),
            shape=(self.slices * self.columns, self.size * self.size),
        )


@dataclass(frozen=True, eq=False)
class TiledTable:
    """A WeightTable's rows regrouped by the square picture tiles they read.

    A group holds the rows that read exactly the same set of tiles, and groups are
    ordered by their first tile (tiles in raster order), so a pass over the groups
    reads the picture a tile at a time, and a frame whose coverage is known per tile
    (the renderer bins its triangles into such tiles) skips every row that reads only
    empty tiles. Within a group, rows with the same number of entries sit together,
    so the entry loop's exit is predictable. Rows without entries are in no group
    (the kernel writes them 0).

    groupptr int64 (groups+1,): group g is tiled rows groupptr[g]:groupptr[g+1];
    reachptr int64 (groups+1,), reach int32: the tiles every row of group g reads;
    order uint32 (R,): the table row of each tiled row;
    indptr int64 (R+1,), offsets uint32 (nnz,), weights float32 (nnz,): the tiled
    rows' entries, ``offsets`` = 3 * pixel index (the first channel of the pixel in a
    flat (P * 3,) picture), unsigned so the inner loop needs no negative-index fix-ups;
    span: how many floats of the flat picture the sums may touch (the last entry's
    triple and the float after it, which the vector load reads and ignores; see
    rgb_sum), 0 when there are no entries.
    """

    tile: int
    grid: int
    groupptr: np.ndarray
    reachptr: np.ndarray
    reach: np.ndarray
    order: np.ndarray
    indptr: np.ndarray
    offsets: np.ndarray
    weights: np.ndarray
    span: int


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated aranges ``starts[i] : starts[i] + counts[i]`` (int64)."""
    counts = counts.astype(np.int64)
    shift = starts.astype(np.int64) - (np.cumsum(counts) - counts)
    return np.repeat(shift, counts) + np.arange(int(counts.sum()), dtype=np.int64)


def tiled_table(table: WeightTable, tile: int) -> TiledTable:
    """``table`` regrouped by ``tile`` x ``tile`` pixel tiles (see TiledTable)."""
    tile = int(tile)
    if tile < 1:
        raise ValueError(f"tile must be a positive number of pixels, got {tile}")
    n = table.size
    grid = (n + tile - 1) // tile
    ntiles = grid * grid
    counts = np.diff(table.indptr)
    rows = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    entry_tile = (table.indices // n // tile) * grid + (table.indices % n) // tile
    # each row's distinct tiles, sorted, as a padded (rows, widest) table: -1 = none
    pairs = np.unique(rows * ntiles + entry_tile)
    pair_row, pair_tile = pairs // ntiles, pairs % ntiles
    per_row = np.bincount(pair_row, minlength=counts.size)
    first = np.cumsum(per_row) - per_row
    tile_sets = np.full((counts.size, max(1, int(per_row.max(initial=0)))), -1, np.int64)
    tile_sets[pair_row, np.arange(pairs.size) - first[pair_row]] = pair_tile
    # a group = the rows that read exactly the same tiles, so a frame's tile map says
    # exactly which rows can be lit; groups are ordered by their first tile (raster
    # order: the picture is read a tile at a time), rows without entries go last
    sets, set_of_row = np.unique(tile_sets, axis=0, return_inverse=True)
    set_of_row = set_of_row.ravel()
    home = np.where(sets[:, 0] >= 0, sets[:, 0], ntiles)
    set_rank = np.empty(len(sets), np.int64)
    set_rank[np.lexsort((np.arange(len(sets)), home))] = np.arange(len(sets))
    order = np.lexsort((counts, set_rank[set_of_row]))
    ranked = set_rank[set_of_row[order]]
    starts = np.flatnonzero(np.diff(ranked, prepend=-1))
    groupptr = np.append(starts, len(order)).astype(np.int64)
    group_sets = sets[np.argsort(set_rank)[ranked[starts]]]
    if len(group_sets) and group_sets[-1, 0] < 0:  # the rows without entries
        groupptr, group_sets = groupptr[:-1], group_sets[:-1]
    reach_counts = (group_sets >= 0).sum(axis=1)
    reachptr = np.concatenate([[0], np.cumsum(reach_counts)]).astype(np.int64)
    new_counts = counts[order]
    entries = _ranges(table.indptr[:-1][order], new_counts)
    offsets = table.indices[entries].astype(np.uint32) * np.uint32(3)
    return TiledTable(
        tile=tile,
        grid=grid,
        groupptr=groupptr,
        reachptr=reachptr,
        reach=group_sets[group_sets >= 0].astype(np.int32),
        order=order.astype(np.uint32),
        indptr=np.concatenate([[0], np.cumsum(new_counts)]).astype(np.int64),
        offsets=offsets,
        weights=np.ascontiguousarray(table.weights[entries]),
        span=int(offsets.max()) + 4 if offsets.size else 0,
    )


def sector_geometry(profile: DeviceProfile, size: int):
    """Sector of every (slice, column) in picture pixels.

    Returns float64 arrays, each (slices*columns,): inner radius, outer radius, start
    angle and signed angular step (row-major: slice, then column). The lit disc's rim
    maps to the inscribed circle of the ``size`` x ``size`` picture.
    """
    centres, offsets = profile.column_geometry()  # an InputError for a video profile
    # so the profile is polar, and the schema sets every one of its polar fields
    assert profile.led_size_mm is not None and profile.slice0_angle_deg is not None
    scale = (size / 2.0) / profile.radius_mm
    half = profile.led_size_mm / 2.0
    r_in = np.maximum(centres - half, 0.0) * scale
    r_out = (centres + half) * scale
    S, C, _ = profile.codes_shape
    step = profile.slice_step_rad
    start = (
        math.radians(profile.slice0_angle_deg)
        + offsets[None, :]
        + step * np.arange(S, dtype=np.float64)[:, None]
    )
    return (
        np.broadcast_to(r_in, (S, C)).ravel().copy(),
        np.broadcast_to(r_out, (S, C)).ravel().copy(),
        start.ravel(),
        np.full(S * C, step),
    )


def cache_dir() -> Path | None:
    """Where weight tables are kept between runs: $HOLOPACK_CACHE_DIR, else
    $XDG_CACHE_HOME/holopack or ~/.cache/holopack; None when HOLOPACK_CACHE_DIR is "" (off)."""
    env = os.environ.get("HOLOPACK_CACHE_DIR")
    if env is not None:
        return Path(env) if env else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "holopack"


def _table_key(profile: DeviceProfile, size: int, density: float) -> str:
    """Digest of everything the weights depend on (the sector geometry, exactly)."""
    r_in, r_out, start, step = sector_geometry(profile, size)
    h = hashlib.sha256()
    h.update(f"v{TABLE_VERSION}:{size}:{density!r}:{profile.slices}:{profile.columns}".encode())
    for a in (r_in, r_out, start, step):
        h.update(np.ascontiguousarray(a, np.float64).tobytes())
    return h.hexdigest()[:32]


def _load_cached(path: Path, rows: int, size: int):
    try:
        with np.load(path) as z:
            indptr, indices, weights = z["indptr"], z["indices"], z["weights"]
    except (OSError, ValueError, KeyError, EOFError):
        return None
    ok = (
        indptr.dtype == np.int64
        and indices.dtype == np.int32
        and weights.dtype == np.float32
        and indptr.shape == (rows + 1,)
        and indptr[0] == 0
        and indptr[-1] == indices.size == weights.size
        and np.all(np.diff(indptr) >= 0)
        and (indices.size == 0 or (indices.min() >= 0 and indices.max() < size * size))
    )
    return (indptr, indices, weights) if ok else None


def _store_cached(path: Path, indptr, indices, weights) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, indptr=indptr, indices=indices, weights=weights)
        os.replace(temp, path)  # atomic: concurrent runs never see half a file
    except OSError:
        pass  # a cache that cannot be written only costs time


@lru_cache(maxsize=8)
def weight_table(profile: DeviceProfile, size: int, density: float = DENSITY) -> WeightTable:
    """The weight table of ``profile`` for a ``size`` x ``size`` picture, cached in
    memory and on disk (see cache_dir)."""
    size = int(size)
    S, C, _ = profile.codes_shape
    rows = S * C
    folder = cache_dir()
    path = folder / "weights" / f"{_table_key(profile, size, density)}.npz" if folder else None
    arrays = _load_cached(path, rows, size) if path and path.exists() else None
    if arrays is None:
        r_in, r_out, start, step = sector_geometry(profile, size)
        arrays = sector_weights(size, r_in, r_out, start, step, float(density))
        if path:
            _store_cached(path, *arrays)
    return WeightTable(S, C, size, *arrays)


def apply_weights(indptr, indices, weights, picture, out):
    """out[row, ch] = sum_k weights[k] * picture[indices[k], ch] over the row's entries.

    indptr int64 (R+1,), indices int32 (nnz,), weights float32 (nnz,);
    picture float32 (P, 3) C-contiguous (a square picture reshaped); out float32 (R, 3).
    Rows in blocks, on the threads of holopack.work_pool (no parallel kernel to compile).
    """
    run(_weight_rows, np.zeros(1, np.int64), indptr, indices, weights, picture, out)


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _weight_rows(next_block, indptr, indices, weights, picture, out):
    """One thread's share of apply_weights: blocks of ROW_BLOCK rows from next_block."""
    rows = indptr.shape[0] - 1
    first, stop = claim_block(next_block, ROW_BLOCK, rows)
    while first < stop:
        for row in range(first, stop):
            a = b = c = 0.0
            for k in range(indptr[row], indptr[row + 1]):
                p = indices[k]
                w = weights[k]
                a += w * picture[p, 0]
                b += w * picture[p, 1]
                c += w * picture[p, 2]
            out[row, 0] = a
            out[row, 1] = b
            out[row, 2] = c
        first, stop = claim_block(next_block, ROW_BLOCK, rows)


def occupied_tiles(bits, tile, out):
    """out[ty, tx] = whether tile (ty, tx) of a picture holds a pixel that is not 0.

    bits: the float32 (N, N, 3) picture viewed as uint32 (N, N * 3): OR-ing bit
    patterns needs no float compares and no per-pixel branch (a -0.0 counts as lit,
    which only costs that tile's time). A row of a tile that has light ends the
    tile's scan; only black tiles are read whole. out: bool (grid, grid), overwritten.
    Rows of tiles on the threads of holopack.work_pool.
    """
    run(_scan_rows, np.zeros(1, np.int64), bits, tile, out)


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _scan_rows(next_row, bits, tile, out):
    """One thread's share of occupied_tiles: rows of tiles claimed from next_row."""
    n = bits.shape[0]
    ty = claim(next_row)
    while ty < out.shape[0]:
        for tx in range(out.shape[1]):
            x0 = tx * tile * 3
            x1 = min(n, (tx + 1) * tile) * 3
            seen = np.uint32(0)
            for y in range(ty * tile, min(n, (ty + 1) * tile)):
                for x in range(x0, x1):
                    seen |= bits[y, x]
                if seen != 0:
                    break
            out[ty, tx] = seen != 0
        ty = claim(next_row)


def gather_tiled(groupptr, reachptr, reach, order, indptr, offsets, weights, span, occupied, picture, out):
    """apply_weights' sums over a TiledTable, skipping the groups whose rows read only
    unoccupied tiles (their sums are 0: the picture is black there).

    span: the table's span (picture must hold at least that many floats: see
    TiledTable); occupied bool (tiles,) flat; picture float32 (P * 3,) flat; out float32
    (R * 3,) flat, every row written. Each row is summed in registers and written once,
    so any thread count gives the same bits. Groups are claimed by the threads of
    holopack.work_pool, which release the GIL (a wall renders its next frame meanwhile).
    """
    if picture.shape[0] < span:
        raise ValueError("picture is shorter than the table's span (pad it: see sum_tiles)")
    run(
        _gather_groups,
        np.zeros(1, np.int64),
        groupptr,
        reachptr,
        reach,
        order,
        indptr,
        offsets,
        weights,
        occupied,
        picture,
        out,
    )
    rows = 3 * order[groupptr[-1] :].astype(np.int64)  # rows without entries
    out[rows] = 0.0
    out[rows + 1] = 0.0
    out[rows + 2] = 0.0


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _gather_groups(
    next_group, groupptr, reachptr, reach, order, indptr, offsets, weights, occupied, picture, out
):
    """One thread's share of gather_tiled: groups of rows claimed from next_group."""
    one = np.uint64(1)
    two = np.uint64(2)
    groups = groupptr.shape[0] - 1
    g = claim(next_group)
    while g < groups:
        live = False
        for k in range(reachptr[g], reachptr[g + 1]):
            if occupied[reach[k]]:
                live = True
                break
        for j in range(groupptr[g], groupptr[g + 1]):
            a = np.float32(0.0)
            b = np.float32(0.0)
            c = np.float32(0.0)
            if live:
                a, b, c = weighted_rgb_sum(picture, offsets, weights, indptr[j], indptr[j + 1])
            row = np.uint64(3) * np.uint64(order[j])
            out[row] = a
            out[row + one] = b
            out[row + two] = c
        g = claim(next_group)


def sum_tiles(tiled: TiledTable, occupied: np.ndarray, picture: np.ndarray, out: np.ndarray) -> None:
    """gather_tiled over ``tiled`` for a flat float32 picture (P * 3,) into a flat out
    (R * 3,). A table whose last triple is the picture's last pixel needs one float
    more than the picture has; only then is the picture copied with a zero after it."""
    if picture.shape[0] < tiled.span:
        padded = np.zeros(tiled.span, np.float32)
        padded[: picture.shape[0]] = picture
        picture = padded
    gather_tiled(
        tiled.groupptr,
        tiled.reachptr,
        tiled.reach,
        tiled.order,
        tiled.indptr,
        tiled.offsets,
        tiled.weights,
        tiled.span,
        occupied,
        picture,
        out,
    )


class Resampler:
    """Per-frame area-weighted resampling for one profile and render size.

    ``resample(picture, out=None, occupied=None)``: picture float32 (size, size, 3)
    linear light, row 0 at the top -> float32 (slices, columns, 3) linear light, column
    order as the file stores it (LED 0 outer or inner per the profile; blade-major for
    per-blade data). ``occupied``: optional bool (grid, grid) map of the ``tile``-pixel
    tiles that may hold light (the renderer's RenderedPicture.tiles); a tile marked False must be
    black. Without it the picture is scanned for black tiles first.
    """

    def __init__(self, profile: DeviceProfile, size: int, tile: int = 32):
        self.profile = profile
        self.size = int(size)
        self.table = weight_table(profile, self.size)
        self.tiled = tiled_table(self.table, tile)
        self.shape = profile.codes_shape
        self._scanned = np.empty((self.tiled.grid, self.tiled.grid), np.bool_)

    @property
    def tile(self) -> int:
        return self.tiled.tile

    def resample(
        self, picture: np.ndarray, out: np.ndarray | None = None, occupied: np.ndarray | None = None
    ) -> np.ndarray:
        n = self.size
        if picture.shape != (n, n, 3):
            raise ValueError(f"picture must be ({n}, {n}, 3), got {picture.shape}")
        picture = np.ascontiguousarray(picture, dtype=np.float32)
        if occupied is None:
            occupied_tiles(picture.reshape(n, n * 3).view(np.uint32), self.tiled.tile, self._scanned)
            occupied = self._scanned
        elif occupied.shape != self._scanned.shape:
            raise ValueError(
                f"occupied must be {self._scanned.shape} tiles of {self.tiled.tile} px, got {occupied.shape}"
            )
        if out is None:
            out = np.empty(self.shape, np.float32)
        sum_tiles(
            self.tiled,
            np.ascontiguousarray(occupied, np.bool_).reshape(-1),
            picture.reshape(-1),
            out.reshape(-1),
        )
        return out
