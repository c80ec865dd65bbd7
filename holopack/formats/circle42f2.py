"""3D Circle 42-F2 ``.BIN``: headerless frames of RGB666 bit-planes.

Layout (rsoaresgouveia/holofan-studio, REVERSE_ENGINEERING.md and BinFormat.cs)::

    file   = frame*  [+ optional 20-byte ASCII trailer "B2DDDDEDC0EEBDF9E5B7"]
    frame  = slices x slice                       (512 x 252 = 129,024 bytes)
    slice  = planes for bits 7, 6, ... (8 - bit_depth), each LEDs*3/8 bytes (6 x 42)
    plane  = one bit of each source byte; source = LEDs x (B, G, R), LED 0 at the rim
    bit    = source byte j is bit 7 - (j & 7) of plane byte j >> 3 (MSB first)

Codes are 6-bit (0..63) on the 42-F2: the encoder builds all 8 planes and writes the
first 6. The vendor encoder's other models (48 to 256 LEDs) mostly write all 8 (its
"24 planes (RGB888)", counted per channel); a profile with ``bit_depth = 8`` writes those.
"""

from __future__ import annotations

import os
import re
from typing import Literal

import numpy as np
import numpy.typing as npt

from ..device.profile import DeviceProfile, load_profile
from ..errors import InputError
from ..format_registry import Format
from ..schema import ascii_text, boolean, choice, file_suffix
from .fanfile import PolarFile, channel_permutation, check_codes, fixed_stride_file, shared_blade_rule
from .names import NameRule
from .stream import FanFileWriter

DEFAULT_PROFILE = "3dcircle-42f2"


def _bitorder(profile: DeviceProfile) -> Literal["big", "little"]:
    return "big" if profile.layout.get("bit_order", "msb") == "msb" else "little"


def frame_bytes(profile: DeviceProfile) -> int:
    return profile.codes_shape[0] * profile.bit_depth * (profile.columns * 3 // 8)


def trailer(profile: DeviceProfile) -> bytes:
    return profile.layout.get("trailer", "B2DDDDEDC0EEBDF9E5B7").encode("ascii")


def pack_frame(codes: np.ndarray, profile: DeviceProfile) -> bytes:
    """uint8 (slices, leds, 3) RGB codes -> one frame of the file."""
    # imported here: reading and naming .BIN files (holopack devices, validate) needs no Numba
    from .bitplanes_kernel import pack_bitplanes

    codes = check_codes(codes, profile)
    S, depth = profile.codes_shape[0], profile.bit_depth
    # declared: numpy's stubs type np.empty of a shape of unknown length as 0-d
    source: npt.NDArray[np.uint8] = np.empty(codes.shape, np.uint8)
    for i, c in enumerate(channel_permutation(profile.channel_order)):  # 6 x faster than codes[..., perm]
        source[:, :, i] = codes[:, :, c]
    out = np.empty((S, depth, source.shape[1] * 3 // 8), np.uint8)
    pack_bitplanes(source.reshape(S, -1), depth, _bitorder(profile) == "big", out)
    return out.tobytes()


def unpack_frame(data: bytes, profile: DeviceProfile) -> np.ndarray:
    """One frame of the file -> uint8 (slices, leds, 3) RGB codes."""
    (S, L, _), depth = profile.codes_shape, profile.bit_depth
    planes = np.frombuffer(data, np.uint8).reshape(S, depth, L * 3 // 8)
    bits = np.unpackbits(planes, axis=2, bitorder=_bitorder(profile))  # (S, depth, L*3)
    weights = (1 << np.arange(depth - 1, -1, -1)).astype(np.uint8)  # plane 0 = top bit
    source = np.tensordot(weights, bits, axes=([0], [1])).astype(np.uint8)  # (S, L*3) codes
    source = source.reshape(S, L, 3)
    out = np.empty_like(source)
    out[:, :, channel_permutation(profile.channel_order)] = source
    return out


def device_file_name(stem: str, index: int | None = None) -> str:
    """A name the fan plays: upper-case A-Z0-9_ stem, optional zero-padded position,
    ending in ``.BIN`` (the fan silently ignores anything else, ``.bin`` included)."""
    text = re.sub(r"[^A-Z0-9_]+", "_", stem.upper()).strip("_") or "CLIP"
    return (f"{index:02d}_{text}" if index is not None else text) + ".BIN"


def check_file_name(name: str) -> str | None:
    """Why the fan would skip a file of this name, or None when it is fine."""
    base = os.path.basename(name)
    if not base.endswith(".BIN"):
        return f"{base!r} does not end in upper-case '.BIN'; the 42-F2 silently skips it"
    return None


class Writer(FanFileWriter):
    """Writes 42-F2 frames (no header); ``write(codes)`` takes uint8 (slices, leds, 3)
    RGB codes in 0..63; the vendor trailer only where the profile asks for it."""

    format_name = "42f2"

    def pack(self, codes: np.ndarray) -> bytes:
        return pack_frame(codes, self.profile)

    def trailer(self) -> bytes:
        return trailer(self.profile) if self.profile.layout.get("write_trailer") else b""


def _frame_count(path: str, size: int, profile: DeviceProfile, tail: bytes) -> tuple[int, int]:
    fb = frame_bytes(profile)
    trail = trailer(profile)
    payload = size - len(trail) if tail.endswith(trail) else size
    if payload <= 0 or payload % fb:
        raise InputError(
            f"{size:,} bytes is not a whole number of {fb:,}-byte 42-F2 frames "
            f"({profile.slices} slices x {profile.columns} LEDs)",
            path,
        )
    return payload // fb, payload


def sniff(head: bytes, size: int, path: str) -> bool:
    """True when the file's size fits the 42-F2 layout (it has no magic bytes)."""
    fb = 129_024
    if size > 20 and size % fb == 20:
        with open(path, "rb") as f:
            f.seek(-20, os.SEEK_END)
            return f.read(20) == b"B2DDDDEDC0EEBDF9E5B7"
    return size > 0 and size % fb == 0


def read(path: str, profile: DeviceProfile | None = None) -> PolarFile:
    """Open a 42-F2 .BIN file (with or without the vendor trailer)."""
    path = os.fspath(path)
    profile = profile or load_profile(DEFAULT_PROFILE)
    if profile.format != "42f2":
        raise InputError(f"profile {profile.name!r} is for {profile.format} files, not 42-F2 .BIN")
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            f.seek(max(size - 64, 0))
            tail = f.read()
    except OSError as e:
        raise InputError(f"cannot read ({e.strerror})", path) from None
    count, _ = _frame_count(path, size, profile, tail)
    fb = frame_bytes(profile)
    return fixed_stride_file(path, profile, count, 0, fb, fb, unpack_frame)


FORMAT = Format(
    "42f2",
    "polar",
    (".bin",),
    Writer,
    reader=read,
    sniff=sniff,
    description="3D Circle 42-F2 .BIN: 512 slices x 112 LEDs, RGB666 bit-planes",
    file_table={
        "bit_order": (choice(("msb", "lsb")), "msb"),
        "trailer": (ascii_text, "B2DDDDEDC0EEBDF9E5B7"),
        "write_trailer": (boolean, False),
        "suffix": (file_suffix, ".BIN"),
    },
    # 6 planes on the 42-F2 itself; the vendor encoder's other models (48 to 256 LEDs)
    # mostly keep all 8 ("24 planes (RGB888)" of LEDs / 8 bytes = 8 of 3 x LEDs / 8), in
    # the same layout: holofan-studio, REVERSE_ENGINEERING.md, "Other models"
    check_profile=shared_blade_rule("42f2", (6, 8), " (RGB666 on the 42-F2, RGB888 on its siblings)"),
    default_profile=DEFAULT_PROFILE,
    # the fan ignores files not ending in upper-case ".BIN"; it reads FAT cards whose
    # firmware is known to choke on long names, so stems stay 8.3-short
    naming=NameRule(
        ".BIN",
        "upper",
        8,
        strict="the 3D Circle 42-F2 plays only files whose name "
        "ends in upper-case '.BIN'; the fan silently drops others",
    ),
)
