"""Reading the small text files users write by hand (profiles, playlists)."""

from __future__ import annotations

import os

from .errors import InputError


def read_text(path: str | os.PathLike, what: str) -> str:
    """The UTF-8 text of ``path``, or an InputError that names the file and says, in
    terms of ``what`` ("profile", "playlist"), why it cannot be read."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise InputError(f"{what} file not found", path) from None
    except IsADirectoryError:
        raise InputError(f"is a folder, not a {what} file", path) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.strerror})", path) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the {what} is not UTF-8 text (byte {exc.start})", path) from None


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
