"""Area-weighted resampling of a square picture into a fan's polar frame.

An LED's value in a slice is the average, in linear light, of the picture over the
annular sector the LED sweeps during that slice. The weights depend only on the profile
and the render size, so they are built once (``weight_table``, cached) and applied to
every frame by a Numba sparse product: ``scatter_weights`` (pixel-major, skipping black
pixels; what Resampler uses) or ``apply_weights`` (LED-major), which give the same sums.
"""
from __future__ import annotations

import hashlib
import math
import os
import tempfile
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
from numba import njit, prange

from .profile import DeviceProfile
from .sector_weights import sector_weights

TABLE_VERSION = 1  # bump when the weights' meaning or layout changes: old cache files go stale
DENSITY = 20.0     # area samples per pixel length: pixel coverage within ~3%, built in ~1 s


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
        """The same table as a scipy.sparse CSR matrix (rows, size*size)."""
        import scipy.sparse
        return scipy.sparse.csr_matrix((self.weights, self.indices, self.indptr),
                                       shape=(self.slices * self.columns, self.size * self.size))

    @cached_property
    def by_pixel(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The same weights pixel-major (CSC): (pixptr int64 (size*size + 1,), rows int32
        (nnz,), weights float32 (nnz,)); pixel p's entries are pixptr[p]:pixptr[p+1]."""
        csc = self.to_scipy().tocsc()
        csc.sort_indices()
        return (csc.indptr.astype(np.int64), csc.indices.astype(np.int32), csc.data.astype(np.float32))


def sector_geometry(profile: DeviceProfile, size: int):
    """Sector of every (slice, column) in picture pixels.

    Returns float64 arrays, each (slices*columns,): inner radius, outer radius, start
    angle and signed angular step (row-major: slice, then column). The lit disc's rim
    maps to the inscribed circle of the ``size`` x ``size`` picture.
    """
    centres, offsets = profile.column_geometry()
    scale = (size / 2.0) / profile.radius_mm
    half = profile.led_size_mm / 2.0
    r_in = np.maximum(centres - half, 0.0) * scale
    r_out = (centres + half) * scale
    S, C = profile.slices, profile.columns
    step = profile.slice_step_rad
    start = (math.radians(profile.slice0_angle_deg) + offsets[None, :]
             + step * np.arange(S, dtype=np.float64)[:, None])
    return (np.broadcast_to(r_in, (S, C)).ravel().copy(), np.broadcast_to(r_out, (S, C)).ravel().copy(),
            start.ravel(), np.full(S * C, step))


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
    ok = (indptr.dtype == np.int64 and indices.dtype == np.int32 and weights.dtype == np.float32
          and indptr.shape == (rows + 1,) and indptr[0] == 0 and indptr[-1] == indices.size == weights.size
          and np.all(np.diff(indptr) >= 0) and (indices.size == 0 or (indices.min() >= 0
                                                                      and indices.max() < size * size)))
    return (indptr, indices, weights) if ok else None


def _store_cached(path: Path, indptr, indices, weights) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, indptr=indptr, indices=indices, weights=weights)
        os.replace(temp, path)      # atomic: concurrent runs never see half a file
    except OSError:
        pass                        # a cache that cannot be written only costs time


@lru_cache(maxsize=8)
def weight_table(profile: DeviceProfile, size: int, density: float = DENSITY) -> WeightTable:
    """The weight table of ``profile`` for a ``size`` x ``size`` picture, cached in
    memory and on disk (see cache_dir)."""
    size = int(size)
    rows = profile.slices * profile.columns
    folder = cache_dir()
    path = folder / "weights" / f"{_table_key(profile, size, density)}.npz" if folder else None
    arrays = _load_cached(path, rows, size) if path and path.exists() else None
    if arrays is None:
        r_in, r_out, start, step = sector_geometry(profile, size)
        arrays = sector_weights(size, r_in, r_out, start, step, float(density))
        if path:
            _store_cached(path, *arrays)
    return WeightTable(profile.slices, profile.columns, size, *arrays)


@njit(parallel=True, cache=True)
def apply_weights(indptr, indices, weights, picture, out):
    """out[row, ch] = sum_k weights[k] * picture[indices[k], ch] over the row's entries.

    indptr int64 (R+1,), indices int32 (nnz,), weights float32 (nnz,);
    picture float32 (P, 3) C-contiguous (a square picture reshaped); out float32 (R, 3).
    """
    for row in prange(indptr.shape[0] - 1):
        a = 0.0
        b = 0.0
        c = 0.0
        for k in range(indptr[row], indptr[row + 1]):
            p = indices[k]
            w = weights[k]
            a += w * picture[p, 0]
            b += w * picture[p, 1]
            c += w * picture[p, 2]
        out[row, 0] = a
        out[row, 1] = b
        out[row, 2] = c


@njit(cache=True)
def scatter_weights(pixptr, rows, weights, picture, out):
    """The same sums as apply_weights, pixel-major: each pixel adds its share to the LED
    cells it lies in. Black pixels (all channels 0, most of a fan picture) are skipped,
    and the picture is read once, in order.

    pixptr int64 (P+1,), rows int32 (nnz,), weights float32 (nnz,): the table by pixel;
    picture float32 (P, 3); out float32 (R, 3), overwritten.

    Deliberately serial: a frame takes about a millisecond, and a parallel region's
    barrier costs tens of times that whenever another process holds a core.
    """
    out[:] = 0.0
    for p in range(pixptr.shape[0] - 1):
        a = picture[p, 0]
        b = picture[p, 1]
        c = picture[p, 2]
        if a == 0.0 and b == 0.0 and c == 0.0:
            continue
        for k in range(pixptr[p], pixptr[p + 1]):
            r = rows[k]
            w = weights[k]
            out[r, 0] += w * a
            out[r, 1] += w * b
            out[r, 2] += w * c


class Resampler:
    """Per-frame area-weighted resampling for one profile and render size.

    ``resample(picture, out=None)``: picture float32 (size, size, 3) linear light, row 0
    at the top -> float32 (slices, columns, 3) linear light, column order as the file
    stores it (LED 0 outer or inner per the profile; blade-major for per-blade data).
    """

    def __init__(self, profile: DeviceProfile, size: int):
        self.profile = profile
        self.size = int(size)
        self.table = weight_table(profile, self.size)
        self.shape = (profile.slices, profile.columns, 3)
        self._by_pixel = self.table.by_pixel

    def resample(self, picture: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        n = self.size
        if picture.shape != (n, n, 3):
            raise ValueError(f"picture must be ({n}, {n}, 3), got {picture.shape}")
        flat = np.ascontiguousarray(picture, dtype=np.float32).reshape(n * n, 3)
        if out is None:
            out = np.empty(self.shape, np.float32)
        pixptr, rows, weights = self._by_pixel
        scatter_weights(pixptr, rows, weights, flat, out.reshape(-1, 3))
        return out
