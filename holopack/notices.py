"""One-line notices on stderr: warnings the user should act on, and decisions holopack
made on its own (a model turned to face the viewer, all clips played together).

The library prints them as they arise, so a notebook shows them too; each is one line
that names the file when there is one.
"""
from __future__ import annotations

import os
import sys


def warn(message: str, path: str | os.PathLike | None = None) -> None:
    """``holopack: warning: PATH: message`` on stderr."""
    _line("warning: ", message, path)


def note(message: str, path: str | os.PathLike | None = None) -> None:
    """``holopack: PATH: message`` on stderr: a decision that is not the default."""
    _line("", message, path)


def _line(kind: str, message: str, path) -> None:
    where = f"{os.fspath(path)}: " if path else ""
    sys.stderr.write(f"holopack: {kind}{where}{message}\n")
    sys.stderr.flush()
