"""Fan files read back: what every reader returns (a profile, a rate, a frame count and
frames), and ``open_fan_file``, which finds the reader from the profile or the file."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import partial

import numpy as np

from ..containment import check_regular
from ..device.profile import DeviceProfile, load_profile
from ..device.simulate import ViewerSimulator
from ..errors import InputError
from ..format_registry import get_format, list_formats


class PolarFile:
    """A fan file opened for reading.

    ``frames()`` yields uint8 (slices, columns, 3) codes in RGB order, one frame at a
    time, read lazily from the file. ``frame_count`` is None only for a polar stream
    written while streaming and still without its count (then frames() reads to the end).
    """

    def __init__(
        self,
        path: str,
        profile: DeviceProfile,
        fps: float,
        frame_count: int | None,
        reader: Callable[[], Iterator[np.ndarray]],
    ):
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
        return (
            f"PolarFile({self.path!r}, profile={self.profile.name!r}, fps={self.fps:g}, "
            f"frames={self.frame_count})"
        )


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


def open_fan_file(path, profile=None) -> PolarFile:
    """Open any polar fan file (42-F2 .BIN, legacy .bin, polar stream...); the format
    comes from the profile when given (a name, path or DeviceProfile), else from the
    file itself: each polar format declares a ``sniff(head, size, path)``, and those
    that check a magic number are asked first."""
    check_regular(path, "fan file")  # a device file or a FIFO would never end
    if profile is not None and not isinstance(profile, DeviceProfile):
        profile = load_profile(profile)
    if profile is not None:
        fmt = get_format(profile.format)
        if fmt.kind != "polar":
            raise InputError(f"profile {profile.name!r} writes {profile.format} video, not a fan file")
        return fmt.reader_function()(path, profile)
    path = os.fspath(path)
    size, head = read_head(path, 8)
    polar = sorted(
        (f for f in list_formats() if f.kind == "polar" and f.sniff is not None),
        key=lambda f: not f.sniff_first,
    )
    for fmt in polar:
        if fmt.sniff is not None and fmt.sniff(head, size, path):
            return fmt.reader_function()(path)
    raise InputError(
        "not a fan file holopack knows (42-F2 .BIN, legacy .bin or polar stream); "
        "name the device with --device to read it as one",
        path,
    )


def read_head(path: str, count: int) -> tuple[int, bytes]:
    """(size of the file in bytes, its first ``count`` bytes), or an InputError."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            return size, f.read(count)
    except OSError as e:
        raise InputError(f"cannot read ({e.strerror})", path) from None


def fixed_stride_frames(
    path: str, count: int, start: int, stride: int, size: int, unpack: Callable[[bytes], np.ndarray]
) -> Iterator[np.ndarray]:
    """``unpack`` of the ``size`` bytes at ``start + i * stride``, for each of ``count``
    frames, read one at a time (the layout of headerless and fixed-header fan files)."""
    with open(path, "rb") as f:
        for i in range(count):
            f.seek(start + i * stride)
            data = f.read(size)
            if len(data) != size:
                raise InputError("file ended inside a frame (was it changed while reading?)", path)
            yield unpack(data)


def fixed_stride_file(
    path: str, profile, count: int, start: int, stride: int, size: int, unpack_frame
) -> PolarFile:
    """A file of ``count`` frames at the device's rate, frame i the ``size`` bytes at
    ``start + i * stride``; ``unpack_frame(data, profile)`` turns them into codes."""
    frames = partial(
        fixed_stride_frames, path, count, start, stride, size, partial(unpack_frame, profile=profile)
    )
    return PolarFile(path, profile, profile.fps, count, frames)


def shared_blade_rule(name: str, bit_depth: int | tuple[int, ...], depth_note: str = ""):
    """A format's ``check_profile`` for layouts that store one shared blade of a multiple
    of 8 LEDs (whole bytes per channel plane) at one of the bit depths ``bit_depth``."""
    depths = (bit_depth,) if isinstance(bit_depth, int) else tuple(bit_depth)

    def check_profile(colour: dict, geometry: dict) -> str | None:
        if colour["bit_depth"] not in depths:
            allowed = " or ".join(str(d) for d in depths)
            return (
                f"[colour] bit_depth must be {allowed} for the {name} format{depth_note}, "
                f"got {colour['bit_depth']}"
            )
        if geometry and (geometry["blade_data"] != "shared" or geometry["leds_per_blade"] % 8):
            return f"[geometry] the {name} format stores one shared blade whose LED count is a multiple of 8"
        return None

    return check_profile


def decode_file(path, profile=None, size: int = 512):
    """(profile, iterator of uint8 (size, size, 3) sRGB pictures a viewer would see)."""
    polar = open_fan_file(path, profile)
    simulator = ViewerSimulator(polar.profile, size)
    return polar.profile, (simulator.render(codes).copy() for codes in polar.frames())
