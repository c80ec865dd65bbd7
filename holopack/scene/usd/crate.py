"""The sizes of the arrays a USD crate (.usdc) holds, read from its structure before pxr
unpacks any of them.

A crate compresses integer arrays (deltas in 2-bit codes, then LZ4): 10^8 face counts
of 3 and 3 x 10^8 indices of 0 fit in a few hundred KB, and pxr unpacks an array whole
when its value is asked for (2.1 GB for those two, then bad_alloc). Every array value
the crate's fields and time samples name starts, at its offset, with its element
count; ``array_bytes`` sums those counts times the element's size in memory, reading
only the table of contents, the FIELDS section and those counts.

The layout (pxr/usd/sdf/crateFile.cpp): an 88-byte bootstrap ("PXR-USDC", version
major.minor.patch, the table of contents' offset); the table of contents (a count, then
per section a 16-byte name, start and size); FIELDS: a count, the fields' token indices
(integer-compressed, skipped here: a size and the bytes), then the value reps
(TfFastCompression: a chunk count, 0 for one LZ4 block, else 4-byte sized blocks). A
value rep is 8 bytes: payload (low 48 bits), type (bits 48-55), array (bit 63),
inlined (bit 62).
"""

from __future__ import annotations

import struct
from typing import BinaryIO

MAGIC = b"PXR-USDC"
_ARRAY = 1 << 63
_INLINED = 1 << 62
_TIME_SAMPLES = 46
# crate type -> bytes an element takes once unpacked (VtArray of it); 8 for the rest
# (tokens, and what a mesh does not hold)
_ELEMENT = {
    1: 1, 2: 1, 3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 4, 9: 8, 10: 32, 12: 64,
    13: 32, 14: 72, 15: 128, 16: 32, 17: 16, 18: 8, 19: 16, 20: 8, 21: 4, 22: 8,
    23: 24, 24: 12, 25: 6, 26: 12, 27: 32, 28: 16, 29: 8, 30: 16,
}  # fmt: skip


class CrateError(ValueError):
    """The crate's structure is not what its header says (pxr reports it)."""


def array_bytes(f: BinaryIO, size: int, base: int = 0, limit: int = 1 << 62) -> int:
    """The bytes the arrays of the crate in ``f`` (``size`` bytes from offset ``base``)
    take once unpacked, each distinct array once; 0 for a crate older than 0.5.0 or one
    without fields. Past ``limit`` it stops and returns what it has counted (the field
    table alone may be it). CrateError when its offsets or sizes leave the file."""

    def read(at: int, n: int) -> bytes:
        if at < 0 or n < 0 or at + n > size:
            raise CrateError(f"an offset past the end of the file ({at:,} + {n:,} > {size:,})")
        f.seek(base + at)
        data = f.read(n)
        if len(data) != n:
            raise CrateError("the file ends early")
        return data

    head = read(0, 24)
    if head[:8] != MAGIC or (head[8], head[9]) < (0, 5):
        return 0
    wide = (head[8], head[9]) >= (0, 7)  # array counts: uint64 from 0.7.0, uint32 before
    todo = _field_reps(read, struct.unpack_from("<q", head, 16)[0], limit)
    if isinstance(todo, int):
        return todo
    seen: set[int] = set()
    total = 0
    # time samples' reps lie apart in a real crate, at most one per 8 bytes of it: more
    # means they overlap (every one read again and again)
    budget = [size // 8]
    while todo and total <= limit:
        rep = todo.pop()
        payload, kind = rep & ((1 << 48) - 1), (rep >> 48) & 0xFF
        if rep & _INLINED or payload in seen:
            continue
        if kind == _TIME_SAMPLES and not rep & _ARRAY:
            seen.add(payload)
            todo += _time_sample_reps(read, payload, budget)
        elif rep & _ARRAY and payload:
            seen.add(payload)
            if wide:
                (n,) = struct.unpack("<Q", read(payload, 8))
            else:
                (n,) = struct.unpack("<I", read(payload, 4))
            total += n * _ELEMENT.get(kind, 8)
    return total


def _field_reps(read, toc: int, limit: int) -> list[int] | int:
    """The value reps of the FIELDS section ([] without one), or the bytes of pxr's
    table of the fields when that alone passes ``limit``."""
    (sections,) = struct.unpack("<Q", read(toc, 8))
    if sections > 64:
        raise CrateError(f"{sections:,} sections in the table of contents")
    for k in range(sections):
        name, start, _ = struct.unpack("<16sqq", read(toc + 8 + 32 * k, 32))
        if name.rstrip(b"\0") == b"FIELDS":
            break
    else:
        return []
    count, skip = struct.unpack("<QQ", read(start, 16))
    at = start + 16 + skip
    (packed,) = struct.unpack("<Q", read(at, 8))
    if count * 8 > 255 * packed + 64:  # LZ4 expands at most ~255 times
        raise CrateError(f"{count:,} fields in {packed:,} bytes")
    if count * 16 > limit:  # a token index and a rep each
        return count * 16
    return list(struct.unpack(f"<{count}Q", _decompress(read(at + 8, packed), count * 8)))


def _time_sample_reps(read, at: int, budget: list[int]) -> list[int]:
    """The value reps of a TimeSamples value at ``at``: an offset (from where it is read)
    to the times' rep, after which an offset to a count and that many value reps.
    ``budget[0]``: the reps the crate may still hold."""
    (jump,) = struct.unpack("<q", read(at, 8))
    times_at = at + jump
    (times,) = struct.unpack("<Q", read(times_at, 8))
    (jump,) = struct.unpack("<q", read(times_at + 8, 8))
    values_at = times_at + 8 + jump
    (n,) = struct.unpack("<Q", read(values_at, 8))
    budget[0] -= n + 1
    if budget[0] < 0:
        raise CrateError("its time samples name more values than the file holds")
    return [times, *struct.unpack(f"<{n}Q", read(values_at + 8, n * 8))]


def _decompress(data: bytes, expected: int) -> bytes:
    """TfFastCompression's buffer: a chunk count (0: one LZ4 block follows), else per
    chunk a 4-byte size and an LZ4 block."""
    if not data:
        raise CrateError("no value reps")
    chunks, at, out = data[0], 1, bytearray()
    if chunks == 0:
        out += _lz4_block(data[1:], expected)
    for _ in range(chunks):
        (n,) = struct.unpack_from("<i", data, at)
        out += _lz4_block(data[at + 4 : at + 4 + n], expected - len(out))
        at += 4 + n
    if len(out) != expected:
        raise CrateError(f"the value reps unpack to {len(out):,} bytes, not {expected:,}")
    return bytes(out)


def _lz4_block(src: bytes, limit: int) -> bytearray:
    """An LZ4 block (the format LZ4_decompress_safe reads), at most ``limit`` bytes out."""
    out = bytearray()
    i, n = 0, len(src)
    while i < n:
        token = src[i]
        i += 1
        literals = token >> 4
        if literals == 15:
            while i < n:
                literals += src[i]
                i += 1
                if src[i - 1] != 255:
                    break
        out += src[i : i + literals]
        i += literals
        if i >= n:
            break
        if i + 2 > n:
            raise CrateError("an LZ4 block ends inside a match")
        offset = src[i] | src[i + 1] << 8
        i += 2
        match = (token & 15) + 4
        if token & 15 == 15:
            while i < n:
                match += src[i]
                i += 1
                if src[i - 1] != 255:
                    break
        if not 0 < offset <= len(out) or len(out) + match > limit:
            raise CrateError("an LZ4 block with a match outside its output")
        start = len(out) - offset
        if offset >= match:
            out += out[start : start + match]
        else:  # overlapping: the last ``offset`` bytes repeat
            out += (out[start:] * (match // offset + 1))[:match]
    if len(out) > limit:
        raise CrateError("an LZ4 block unpacks past its size")
    return out
