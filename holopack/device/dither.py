"""Dithering and quantisation of polar frames to a device's bit depth.

Every method here is a threshold map: ``code = floor(value * max_code + t)`` with t in
[0, 1) chosen per (slice, column, channel), clipped to [0, max_code]. t = 0.5 is plain
rounding; ordered (Bayer) and blue-noise maps trade banding for fine noise, and varying
the map per frame lets the eye average the noise away over time. "legacy-2x12" is the
13-level 2 x 12 pattern of the legacy 224 fan's reference encoder
(jnweiger/led-hologram-propeller, doc/ordered_dither.txt): brightness is squeezed into
levels 0..14 (``int(v255 / 17.01)``), and a bit is lit when the level reaches its
position's threshold; bit columns of odd parity use the pattern shifted by 6 rays.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .profile import DeviceProfile


def bayer(n: int = 8) -> np.ndarray:
    """Bayer matrix (n, n) float64 with values (k + 0.5) / n^2, k a permutation of 0..n^2-1."""
    m = np.zeros((1, 1))
    while m.shape[0] < n:
        m = np.block([[4 * m, 4 * m + 2], [4 * m + 3, 4 * m + 1]])
    return (m + 0.5) / m.size


@lru_cache(maxsize=2)
def blue_noise(n: int = 64, seed: int = 7) -> np.ndarray:
    """A tileable (n, n) float64 threshold map with values (k + 0.5)/n^2, mostly high
    frequencies: white noise repeatedly high-pass filtered (periodic Gaussian) and
    rank-equalised back to a uniform histogram."""
    rng = np.random.default_rng(seed)
    field = rng.random((n, n))
    f = np.fft.fftfreq(n)
    sigma = 1.5
    low = np.exp(-2 * (np.pi * sigma) ** 2 * (f[:, None] ** 2 + f[None, :] ** 2))
    for _ in range(12):
        blurred = np.real(np.fft.ifft2(np.fft.fft2(field) * low))
        field = field - blurred
        ranks = np.empty(n * n)
        ranks[np.argsort(field, axis=None, kind="stable")] = np.arange(n * n)
        field = ((ranks + 0.5) / (n * n)).reshape(n, n)
    return field


# Legacy 2 x 12 pattern: position p of the 12-ray cycle lights at level _LEGACY_LEVEL[p].
_LEGACY_LEVEL = np.array([2, 4, 6, 8, 10, 12, 3, 5, 7, 9, 11, 13])


def legacy_level_thresholds(slices: int, columns: int) -> np.ndarray:
    """Level (0..14 scale) each (slice, column, channel) bit needs to light, int64
    (slices, columns, 3). Parity of a bit column = parity of (LED index + channel)."""
    s = np.arange(slices)[:, None, None]
    parity = (np.arange(columns)[None, :, None] + np.arange(3)[None, None, :]) % 2
    return _LEGACY_LEVEL[(s + 6 * parity) % 12]


class Ditherer:
    """Quantises (slices, columns, 3) float values in [0, 1] (gamma-encoded) to codes.

    ``quantise(values, frame_index, out)``: values float32 (S, C, 3), modified in place
    (scaled); out uint8 (S, C, 3). Thresholds for every frame are views into one
    precomputed tiling, so nothing big is allocated per frame.
    """

    def __init__(self, profile: DeviceProfile, method: str | None = None):
        self.profile = profile
        self.method = method or profile.dither
        self.max_code = profile.max_code
        S, C = profile.slices, profile.columns
        self.shape = (S, C, 3)
        if self.method == "none":
            self.period = 1
            base = np.full((S, C, 3), 0.5)
        elif self.method in ("ordered", "blue-noise"):
            tile = bayer(8) if self.method == "ordered" else blue_noise(64)
            self.period = tile.shape[0]
            p = self.period
            reps_s = -(-(S + p) // p)
            reps_c = -(-(C + p) // p)
            tiled = np.tile(tile, (reps_s, reps_c))[: S + p, : C + p]
            # each channel its own shift of the map, so grey dithers to grey noise
            # rather than coloured speckle
            base = np.stack(
                [np.roll(tiled, (k * p // 3, k * p // 5), axis=(0, 1)) for k in range(3)], axis=-1
            )
        elif self.method == "legacy-2x12":
            self.period = 1
            levels = legacy_level_thresholds(S, C)
            base = 1.0 - levels * 17.01 / 255.0
        else:
            raise ValueError(f"unknown dither {self.method!r}")
        self._base = np.ascontiguousarray(base, dtype=np.float32)
        self._work = np.empty(self.shape, np.float32)

    def thresholds(self, frame_index: int = 0) -> np.ndarray:
        """The (S, C, 3) float32 threshold map for a frame (a view; do not modify)."""
        S, C, _ = self.shape
        if self.period == 1:
            return self._base
        k = frame_index if self.profile.dither_per_frame else 0
        p = self.period
        # steps coprime with the period walk the map through all its shifts
        oy = (k * 5) % p
        ox = (k * 3 + k // p) % p
        return self._base[oy : oy + S, ox : ox + C]

    def quantise(self, values: np.ndarray, frame_index: int = 0, out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            out = np.empty(self.shape, np.uint8)
        work = self._work
        np.multiply(values, self.max_code, out=work)
        work += self.thresholds(frame_index)
        np.floor(work, out=work)
        np.clip(work, 0, self.max_code, out=work)
        np.copyto(out, work, casting="unsafe")
        return out
