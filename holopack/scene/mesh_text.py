"""The text of an OBJ, OFF, ASCII STL or PLY header as UTF-8 without a byte-order mark.

trimesh reads these formats as UTF-8: a byte-order mark (Windows Notepad writes one)
hides the first line (an OBJ's first vertex: every face then points one vertex too far),
UTF-16 text reads as nothing, and a Latin-1 or Windows-1252 byte in a comment or a name
(common from European exporters) makes trimesh reach for an optional package it may not
have, so the whole file is refused. Such a file's text is re-encoded here, once, and
handed to trimesh from memory; a plain UTF-8 file is never copied.

Text that is not UTF-8 and carries no byte-order mark is read as Latin-1: every byte is
a character there, so the numbers and keywords (ASCII in every one of these formats)
come through whole and only the odd letter in a name can differ from what was meant.
"""

from __future__ import annotations

import codecs

_BOMS = (  # the longest first: UTF-32's little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_PLY_END = b"end_header"


def byte_order_mark(head: bytes) -> tuple[int, str] | None:
    """(length, encoding) of the byte-order mark ``head`` starts with, or None."""
    for mark, encoding in _BOMS:
        if head.startswith(mark):
            return len(mark), encoding
    return None


def as_utf8(text: bytes) -> bytes | None:
    """``text`` (a whole text file or a header) as UTF-8 without a byte-order mark, or
    None when it already is that."""
    found = byte_order_mark(text[:4])
    if found is not None:
        length, encoding = found
        return text[length:].decode(encoding, "replace").encode("utf-8")
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return text.decode("latin-1").encode("utf-8")
    return None


def is_binary_stl(data: bytes) -> bool:
    """A binary STL: 80 header bytes, a triangle count, 50 bytes per triangle (the same
    test of size that trimesh makes; an ASCII STL may start with "solid" as well)."""
    if len(data) < 84:
        return False
    count = int.from_bytes(data[80:84], "little")
    return len(data) == 84 + 50 * count


def utf8_model(data: bytes, suffix: str) -> bytes | None:
    """A mesh file's bytes (``suffix`` ".obj", ".off", ".stl" or ".ply") with its text
    re-encoded as UTF-8 without a byte-order mark, or None when nothing needs it (then
    the file is read as it is). A binary STL has no text to re-encode; a binary PLY's
    header is re-encoded and its data left byte for byte."""
    if suffix == ".stl" and is_binary_stl(data):
        return None
    if suffix == ".ply":
        end = data.find(_PLY_END)
        if end < 0:
            return as_utf8(data)
        newline = data.find(b"\n", end)
        cut = len(data) if newline < 0 else newline + 1
        header = as_utf8(data[:cut])
        if header is None:
            return None
        if b"format ascii" in header:
            body = as_utf8(data[cut:])
            return header + (data[cut:] if body is None else body)
        return header + data[cut:]
    return as_utf8(data)
