"""Legacy "224 LED" fan ``.bin``: 1 bit per channel, 2700 rays per frame.

Layout (jnweiger/led-hologram-propeller, test/file_format.txt and the bit map of
``rgb_bit_columns`` in src/encode_polar_bin.py)::

    file   = header (4096 bytes: 00 00 00 01 18 or 00 00 00 3c 18, the rest ignored)
             + frame*, frame f at 0x1000 + f * 114,688
    frame  = 2700 rays x 42 bytes (113,400) + 1,288 zero bytes
    ray    = 336 bit columns, column k is bit (k & 7) of byte k >> 3 (LSB first)

LEDs go in groups of 8 from the centre outwards, each group filling 24 columns from the
end of the ray backwards; inside a group the channels of its 8 LEDs are spread by a
fixed zig-zag (``ZIGZAG`` below). Ray n lies at 360 * (2700 - n) / 2700 deg.
"""

from __future__ import annotations

import os

import numpy as np

from ..device.profile import DeviceProfile, load_profile
from ..errors import InputError
from ..format_registry import Format
from ..schema import file_suffix, hex_bytes, pos_int
from .fanfile import (
    PolarFile,
    channel_permutation,
    check_codes,
    fixed_stride_file,
    read_head,
    shared_blade_rule,
)
from .names import NameRule
from .stream import FanFileWriter

DEFAULT_PROFILE = "legacy-224"

# Bit column (within a group of 24) of channel R, G, B of LED m (0..7) of the group.
ZIGZAG = np.array(
    [
        [16, 19, 22, 9, 12, 15, 2, 5],  # red
        [17, 20, 23, 10, 13, 0, 3, 6],  # green
        [18, 21, 8, 11, 14, 1, 4, 7],  # blue
    ]
)


def bit_columns(leds: int) -> np.ndarray:
    """int64 (leds, 3): the ray's bit column of each LED (index from the centre) and channel."""
    k = np.arange(leds)
    group_start = 3 * leds - 24 - (k // 8) * 24
    return group_start[:, None] + ZIGZAG.T[k % 8]


def ray_bytes(profile: DeviceProfile) -> int:
    return profile.columns * 3 // 8


def frame_stride(profile: DeviceProfile) -> int:
    return profile.codes_shape[0] * ray_bytes(profile) + profile.layout["frame_padding"]


def _led_order(profile: DeviceProfile) -> np.ndarray:
    """Code column index for each file LED counted from the centre."""
    idx = np.arange(profile.columns)
    return idx if profile.led0 == "inner" else idx[::-1]


def pack_frame(codes: np.ndarray, profile: DeviceProfile) -> bytes:
    """uint8 (rays, leds, 3) RGB codes in {0, 1} -> one frame with its zero padding."""
    codes = check_codes(codes, profile)
    S, L, _ = profile.codes_shape
    # file channels in the zig-zag are named R, G, B; a profile may wire them otherwise
    source = codes[:, _led_order(profile)][:, :, channel_permutation(profile.channel_order)]
    bits = np.zeros((S, 3 * L), np.uint8)
    bits[:, bit_columns(L).ravel()] = source.reshape(S, 3 * L)
    data = np.packbits(bits, axis=1, bitorder="little").tobytes()
    return data + bytes(profile.layout["frame_padding"])


def unpack_frame(data: bytes, profile: DeviceProfile) -> np.ndarray:
    """The 2700 x 42 ray bytes of one frame -> uint8 (rays, leds, 3) RGB codes."""
    S, L, _ = profile.codes_shape
    rays = np.frombuffer(data, np.uint8, count=S * ray_bytes(profile)).reshape(S, -1)
    bits = np.unpackbits(rays, axis=1, bitorder="little")
    source = bits[:, bit_columns(L).ravel()].reshape(S, L, 3)
    out = np.empty_like(source)
    out[:, :, channel_permutation(profile.channel_order)] = source
    result = np.empty_like(out)
    result[:, _led_order(profile)] = out
    return result


def header(profile: DeviceProfile) -> bytes:
    prefix = bytes.fromhex(profile.layout["header_prefix"])
    size = profile.layout["header_bytes"]
    # the fan ignores everything after the prefix; zeros keep exports reproducible
    return (prefix + bytes(size))[:size]


class Writer(FanFileWriter):
    """Writes a legacy .bin: header, then one padded frame per ``write(codes)``."""

    format_name = "legacy224"

    def header(self) -> bytes:
        return header(self.profile)

    def pack(self, codes: np.ndarray) -> bytes:
        return pack_frame(codes, self.profile)


def sniff(head: bytes, size: int, path: str) -> bool:
    """Header starts 00 00 00 xx 18 and the size fits 4096 + frames of 114,688 bytes."""
    if len(head) < 5 or head[:3] != b"\0\0\0" or head[4] != 0x18 or size <= 4096:
        return False
    rest = (size - 4096) % 114_688
    return rest == 0 or rest >= 113_400


def read(path: str, profile: DeviceProfile | None = None) -> PolarFile:
    """Open a legacy .bin. Frames sit at a fixed stride after the header; a last frame
    may lack its padding. Vendor files with irregular pages decode at the same stride."""
    path = os.fspath(path)
    profile = profile or load_profile(DEFAULT_PROFILE)
    if profile.format != "legacy224":
        raise InputError(f"profile {profile.name!r} is for {profile.format} files, not legacy .bin")
    hb = profile.layout["header_bytes"]
    stride = frame_stride(profile)
    data_bytes = profile.codes_shape[0] * ray_bytes(profile)
    size, head = read_head(path, 5)
    if size < hb + data_bytes:
        raise InputError(
            f"{size:,} bytes is too short for a legacy fan file (a {hb:,}-byte header and "
            f"frames of {data_bytes:,} bytes)",
            path,
        )
    if head[:3] != b"\0\0\0" or head[4:5] != b"\x18":
        raise InputError(f"header starts {head.hex(' ')}, not 00 00 00 xx 18: not a legacy fan file", path)
    count, rest = divmod(size - hb, stride)
    if rest >= data_bytes:
        count += 1
    return fixed_stride_file(path, profile, count, hb, stride, data_bytes, unpack_frame)


FORMAT = Format(
    "legacy224",
    "polar",
    (".bin",),
    Writer,
    reader=read,
    sniff=sniff,
    description="legacy 224-LED fan .bin: 2700 rays x 112 LEDs, 1 bit per channel",
    file_table={
        "header_prefix": (hex_bytes, "0000000118"),
        "header_bytes": (pos_int, 4096),
        "frame_padding": (pos_int, 1288),
        "suffix": (file_suffix, ".bin"),
    },
    check_profile=shared_blade_rule("legacy224", 1),
    default_profile=DEFAULT_PROFILE,
    naming=NameRule(".bin", "upper", 8),
)  # an SD-card fan: 8.3-short names, as the 42-F2
