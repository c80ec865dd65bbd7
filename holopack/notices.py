"""One-line notices on stderr: warnings the user should act on, and decisions holopack
made on its own (a model turned to face the viewer, all clips played together).

The library prints them, so a notebook shows them too; each is one line that names the
file when there is one. Inside ``held()`` (an export) they are kept until the work
succeeds: a failed command prints its one error line and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

_held = threading.local()


def warn(message: str, path: str | os.PathLike | None = None) -> None:
    """``holopack: warning: PATH: message`` on stderr."""
    _line("warning: ", message, path)


def note(message: str, path: str | os.PathLike | None = None) -> None:
    """``holopack: PATH: message`` on stderr: a decision that is not the default."""
    _line("", message, path)


@contextlib.contextmanager
def held():
    """Keep the notices raised inside; print them when the block succeeds."""
    outer = getattr(_held, "lines", None)
    _held.lines = []
    try:
        yield
        lines = _held.lines
    finally:
        _held.lines = outer
    for line in lines:
        _emit(line)


def _line(kind: str, message: str, path) -> None:
    where = f"{os.fspath(path)}: " if path else ""
    line = f"holopack: {kind}{where}{message}"
    if getattr(_held, "lines", None) is not None:
        if line not in _held.lines:
            _held.lines.append(line)
        return
    _emit(line)


def _emit(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
