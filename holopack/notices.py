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


@contextlib.contextmanager
def leaving_out(*starts: str):
    """Drop the notices whose message begins with one of ``starts`` inside the block:
    for work whose settings the command chose itself (``holopack warmup``'s short
    exports, ``bench --wall``'s clip length), where a line about "--seconds" would name
    an option the user never gave."""
    outer = getattr(_held, "dropped", ())
    _held.dropped = outer + starts
    try:
        yield
    finally:
        _held.dropped = outer


@contextlib.contextmanager
def renamed(rename):
    """Pass each notice's text through ``rename`` (str -> str) inside the block: a model
    loaded from a temporary folder (holopack.scene.archive) is named as the user named it."""
    outer = getattr(_held, "rename", None)
    _held.rename = rename if outer is None else (lambda text: outer(rename(text)))
    try:
        yield
    finally:
        _held.rename = outer


def _line(kind: str, message: str, path) -> None:
    if message.startswith(getattr(_held, "dropped", ())):
        return
    where = f"{os.fspath(path)}: " if path else ""
    line = f"holopack: {kind}{where}{message}"
    rename = getattr(_held, "rename", None)
    if rename is not None:
        line = rename(line)
    if getattr(_held, "lines", None) is not None:
        if line not in _held.lines:
            _held.lines.append(line)
        return
    _emit(line)


def _emit(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
