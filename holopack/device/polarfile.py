"""What every fan-file reader returns: a profile, a rate, a frame count and frames."""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from .profile import DeviceProfile


class PolarFile:
    """A fan file opened for reading.

    ``frames()`` yields uint8 (slices, columns, 3) codes in RGB order, one frame at a
    time, read lazily from the file. ``frame_count`` is None only for a polar stream
    written while streaming and still without its count (then frames() reads to the end).
    """

    def __init__(self, path: str, profile: DeviceProfile, fps: float, frame_count: int | None,
                 reader: Callable[[], Iterator[np.ndarray]]):
        self.path = path
        self.profile = profile
        self.fps = float(fps)
        self.frame_count = frame_count
        self._reader = reader

    def frames(self) -> Iterator[np.ndarray]:
        return self._reader()

    def read_all(self) -> np.ndarray:
        """All frames as uint8 (frames, slices, columns, 3)."""
        frames = list(self.frames())
        if not frames:
            return np.zeros((0,) + self.profile.codes_shape, np.uint8)
        return np.stack(frames)

    def __repr__(self) -> str:
        return (f"PolarFile({self.path!r}, profile={self.profile.name!r}, fps={self.fps:g}, "
                f"frames={self.frame_count})")


def channel_permutation(order: str) -> list[int]:
    """Indices that take RGB channels to ``order`` (e.g. "BGR" -> [2, 1, 0])."""
    return ["RGB".index(ch) for ch in order]


def check_codes(codes: np.ndarray, profile: DeviceProfile) -> np.ndarray:
    """Check a frame handed to a writer: uint8 (slices, columns, 3) within the bit depth."""
    codes = np.asarray(codes)
    if codes.shape != profile.codes_shape:
        raise ValueError(f"{profile.name} frames are {profile.codes_shape} codes, got {codes.shape}")
    if codes.dtype != np.uint8:
        raise ValueError(f"codes must be uint8, got {codes.dtype}")
    if profile.bit_depth < 8 and codes.max(initial=0) > profile.max_code:
        raise ValueError(f"codes exceed {profile.max_code} ({profile.bit_depth}-bit device)")
    return codes
