"""Reading the small text files users write by hand (profiles, playlists, walls)."""

from __future__ import annotations

import os
import tomllib

from .containment import read_regular
from .errors import InputError

# The most a hand-written text file may hold (the shipped profiles are 2-2.5 KB): named
# by mistake, /dev/zero filled the memory and a FIFO hung; now each is one line
# (containment.open_regular refuses anything but a regular file).
TEXT_LIMIT = 8 * 1024 * 1024


def read_text(path: str | os.PathLike, what: str) -> str:
    """The UTF-8 text of ``path``, or an InputError that names the file and says, in
    terms of ``what`` ("profile", "playlist", "wall"), why it cannot be read. Only a
    regular file of at most TEXT_LIMIT bytes is read."""
    data = read_regular(path, what, limit=TEXT_LIMIT)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Notepad's "Unicode"
        raise InputError(f"the {what} is UTF-16 text; save it as UTF-8", path)
    try:
        # utf-8-sig drops the byte-order mark Windows editors start UTF-8 files with,
        # which tomllib refuses as "Invalid statement (at line 1, column 1)"
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"the {what} is not UTF-8 text (byte {exc.start})", path) from None


def toml_loads(text: str) -> dict:
    """``tomllib.loads``, with a file nested too deeply for the parser (``a = [[[[...``
    50,000 deep, or as many inline tables; a RecursionError that reached the user as an
    internal error) refused as invalid TOML like any other: a TOMLDecodeError."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError("arrays or tables nested too deeply") from None


def show_value(value) -> str:
    """A TOML value as an error message shows it: strings quoted, tables and arrays
    by kind, so that a huge table does not flood the line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value)
