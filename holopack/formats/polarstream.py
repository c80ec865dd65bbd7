"""holopack polar stream (``.hps``): an open, lossless, self-describing fan format.

Specified in docs/polarstream.md. In short (all integers little-endian)::

    header  magic "\\x89HPS\\r\\n\\x1a\\n", u16 version = 1, u16 flags = 0,
            u32 slices, u32 columns, u8 channels = 3, u8 bits per channel, u16 zero,
            u32 fps x 1000, u32 frame count (0xFFFFFFFF while streaming),
            u32 profile length P, u32 CRC32 of the header (count field excluded),
            P bytes of the device profile as UTF-8 TOML
    frame   "HPSF", u32 frame index, slices x columns x 3 bytes (one code per byte,
            channels in the profile's channel order), u32 CRC32 of index + codes
"""

from __future__ import annotations

import os
import struct
import zlib
from typing import IO

import numpy as np

from ..containment import open_regular
from ..device.profile import DeviceProfile, parse_profile
from ..errors import InputError, OutputError
from ..format_registry import Format
from ..schema import file_suffix
from .fanfile import PolarFile, channel_permutation, check_codes
from .names import NameRule

MAGIC = b"\x89HPS\r\n\x1a\n"
VERSION = 1
FRAME_SYNC = b"HPSF"
UNKNOWN_COUNT = 0xFFFFFFFF
_FIXED = struct.Struct("<8sHHIIBBHIIII")  # 40 bytes
COUNT_OFFSET = 28


def _header_crc(fixed: bytes, profile_text: bytes) -> int:
    # the frame count is left out so that patching it at close keeps the header valid
    return zlib.crc32(fixed[:COUNT_OFFSET] + fixed[COUNT_OFFSET + 4 : 36] + profile_text)


def _profile_text(profile: DeviceProfile) -> str:
    # the resolved profile, so the file does not depend on the shipped profile a
    # ``base = "..."`` line named when it was written
    if profile.raw:
        return profile.to_toml()
    if profile.text:
        return profile.text
    raise ValueError(f"profile {profile.name!r} has no TOML text to embed")


def header_bytes(profile: DeviceProfile, fps: float, count: int = UNKNOWN_COUNT) -> bytes:
    text = _profile_text(profile).encode("utf-8")
    if not 1 <= round(fps * 1000) <= 0xFFFFFFFF:  # stored in millihertz, 0 means broken
        raise InputError(f"a polar stream stores 0.001 to 4,294,967 fps, got {fps:g}")
    fixed = _FIXED.pack(
        MAGIC,
        VERSION,
        0,
        profile.slices,
        profile.columns,
        3,
        profile.bit_depth,
        0,
        int(round(fps * 1000)),
        count,
        len(text),
        0,
    )
    return fixed[:36] + struct.pack("<I", _header_crc(fixed, text)) + text


class Writer:
    """Writes a polar stream to a path or a binary file object.

    With a seekable output the frame count is patched in at ``close()``; with
    ``streaming=True`` (or an unseekable output such as a pipe or socket) it stays
    0xFFFFFFFF and readers read frames until the end.
    """

    def __init__(self, path, profile: DeviceProfile, fps: float, streaming: bool = False):
        if not profile.is_polar:
            raise InputError(f"profile {profile.name!r} has no polar layout for a polar stream")
        self.profile = profile
        self.fps = float(fps)
        self.frames = 0
        self._perm = channel_permutation(profile.channel_order)
        self._file: IO[bytes] | None  # None once closed or aborted
        if isinstance(path, (str, os.PathLike)):
            self.path = os.fspath(path)
            try:
                self._file = open(self.path, "wb")
            except OSError as e:
                raise OutputError(f"cannot write ({e.strerror})", self.path) from None
            self._own = True
        else:
            self.path = getattr(path, "name", "<stream>")
            self._file = path
            self._own = False
        try:
            seekable = self._file.seekable()
        except (AttributeError, OSError):
            seekable = False
        self._patch = seekable and not streaming
        self._start = self._file.tell() if self._patch else 0
        self._file.write(header_bytes(profile, self.fps))

    def write(self, codes: np.ndarray) -> None:
        if self._file is None:
            raise ValueError(f"{self.path}: write to a closed polar stream")
        codes = check_codes(codes, self.profile)
        head = FRAME_SYNC + struct.pack("<I", self.frames)
        payload = np.ascontiguousarray(codes[:, :, self._perm]).tobytes()
        crc = zlib.crc32(payload, zlib.crc32(head[4:]))
        self._file.write(head + payload + struct.pack("<I", crc))
        self.frames += 1

    def close(self) -> None:
        if self._file is None:
            return
        if self._patch:
            end = self._file.tell()
            self._file.seek(self._start + COUNT_OFFSET)
            self._file.write(struct.pack("<I", self.frames))
            self._file.seek(end)
        self._file.flush()
        if self._own:
            self._file.close()
        self._file = None

    def abort(self) -> None:
        if self._file is not None and self._own:
            self._file.close()
        self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def sniff(head: bytes, size: int, path: str) -> bool:
    return head[:8] == MAGIC


def _read_exact(f, n: int, path: str, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise InputError(f"file ends inside {what} ({len(data)} of {n} bytes)", path)
    return data


def read(path, profile: DeviceProfile | None = None) -> PolarFile:
    """Open a polar stream file. The profile is the one embedded in the file unless one
    is given, which must then match the file's slices, columns and bit depth. For a file
    whose header still says 0xFFFFFFFF (written while streaming), ``frame_count`` is the
    number of whole frames on disk now and ``frames()`` reads on to the end of the file."""
    name = os.fspath(path)
    try:
        with open_regular(name, "polar stream") as f:
            fixed = _read_exact(f, _FIXED.size, name, "the header")
            (magic, version, _flags, slices, columns, channels, bits, _zero, mfps, count, plen, crc) = (
                _FIXED.unpack(fixed)
            )
            if magic != MAGIC:
                raise InputError("not a holopack polar stream (wrong magic bytes)", name)
            if version != VERSION:
                raise InputError(
                    f"polar stream version {version} is newer than this holopack reads ({VERSION})", name
                )
            if plen > 1 << 20:
                raise InputError(f"embedded profile length {plen:,} bytes is implausible", name)
            text = _read_exact(f, plen, name, "the embedded profile")
        size = os.path.getsize(name)
    except OSError as e:
        raise InputError(f"cannot read ({e.strerror})", name) from None
    if _header_crc(fixed, text) != crc:
        raise InputError("header checksum does not match (the file is damaged)", name)
    data_start = _FIXED.size + plen
    if channels != 3 or not 1 <= bits <= 8 or slices == 0 or columns == 0 or mfps == 0:
        raise InputError(
            f"header holds impossible values ({slices} slices, {columns} columns, "
            f"{channels} channels, {bits} bits, {mfps / 1000:g} fps)",
            name,
        )
    if profile is None:
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("embedded profile is not UTF-8 text", name) from None
        profile = parse_profile(decoded, f"{name} (embedded profile)")
    if (profile.slices, profile.columns, profile.bit_depth) != (slices, columns, bits):
        raise InputError(
            f"file holds {slices} slices x {columns} columns at {bits} bits but profile "
            f"{profile.name!r} has {profile.slices} x {profile.columns} at "
            f"{profile.bit_depth}",
            name,
        )
    frame_size = slices * columns * 3
    record = 8 + frame_size + 4
    on_disk = (size - data_start) // record
    streaming = count == UNKNOWN_COUNT
    if not streaming and on_disk < count:
        raise InputError(f"header promises {count} frames but the file holds {on_disk}", name)
    inverse = np.argsort(channel_permutation(profile.channel_order))

    def frames():
        return _read_frames(name, data_start, None if streaming else count, (slices, columns), bits, inverse)

    return PolarFile(name, profile, mfps / 1000.0, on_disk if streaming else count, frames)


def _read_frames(
    name: str, start: int, count: int | None, shape: tuple[int, int], bits: int, inverse: np.ndarray
):
    """uint8 (slices, columns, 3) RGB codes of each frame record from byte ``start``;
    ``count`` None (a stream written while streaming) reads to the end of the file."""
    slices, columns = shape
    frame_size = slices * columns * 3
    with open(name, "rb") as g:
        g.seek(start)
        index = 0
        while count is None or index < count:
            head = g.read(8)
            if not head and count is None:
                return
            if len(head) != 8:
                raise InputError(f"file ends inside frame {index}", name)
            if head[:4] != FRAME_SYNC:
                raise InputError(f"frame {index} does not start with 'HPSF' (damaged file)", name)
            (stored_index,) = struct.unpack("<I", head[4:])
            payload = _read_exact(g, frame_size, name, f"frame {index}")
            (crc,) = struct.unpack("<I", _read_exact(g, 4, name, f"frame {index}'s checksum"))
            if zlib.crc32(payload, zlib.crc32(head[4:])) != crc:
                raise InputError(f"frame {index} fails its CRC32 check (damaged file)", name)
            if stored_index != index:
                raise InputError(f"frame {index} is numbered {stored_index} (frames missing?)", name)
            codes = np.frombuffer(payload, np.uint8).reshape(slices, columns, 3)
            if bits < 8 and codes.max(initial=0) >= 1 << bits:
                raise InputError(f"frame {index} holds codes above the {bits}-bit range", name)
            yield codes[:, :, inverse].copy()
            index += 1


FORMAT = Format(
    "polarstream",
    "polar",
    (".hps",),
    Writer,
    reader=read,
    sniff=sniff,
    sniff_first=True,
    description="holopack polar stream: open, self-describing, lossless (docs/polarstream.md)",
    file_table={"suffix": (file_suffix, ".hps")},
    naming=NameRule(".hps", "lower", None),
)
