"""USD reader (.usdz, .usdc, .usda, .usd) through Pixar's usd-core (``import pxr``).

usd-core is an optional extra (``pip install 'holopack[usd]'``): pxr is imported here
on first use only, never by ``import holopack``; without it a USD input is refused in
one line saying what to install. What is read and what is not: docs/formats.md, "USD
and USDZ". The parts: ``package`` (the containment rule for layers and textures),
``geometry`` (topology in numpy), ``materials`` (UsdPreviewSurface), ``skel``
(UsdSkel), ``reader`` (the stage as a Scene).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterator

from ... import notices
from ...errors import InputError
from ..scene import Scene

INSTALL = "pip install 'holopack[usd]'"


def available() -> bool:
    """True when usd-core is installed (looks for the package only; imports nothing)."""
    try:
        return importlib.util.find_spec("pxr") is not None
    except (ImportError, ValueError):
        return False


def load_usd(path: str | os.PathLike, selection: tuple[str, str, str] | None = None) -> Scene:
    """Read a .usdz/.usdc/.usda/.usd file into a Scene; raise InputError on any fault.
    ``selection``: (prim path, variant set, variant) to compose the stage with (else the
    file's own selections). The Scene lists the stage's variant sets' variants as its
    ``variants``; Scene.with_variant composes the stage anew in one of them."""
    path = os.fspath(path)
    if not available():
        raise InputError(f"reading USD needs the optional USD reader: {INSTALL}", path)
    from .reader import UsdReader

    reader = UsdReader(path, selection)
    with _quiet_diagnostics() as said:
        try:
            scene = reader.read()
        except InputError:
            raise
        except MemoryError:
            raise InputError("unreadable USD: the file needs more memory than is available", path) from None
        except RecursionError:
            raise InputError("unreadable USD: the file is nested too deeply", path) from None
        except Exception as exc:  # pxr's Tf.ErrorException and anything else: one line
            detail = _first_line(str(exc)) or _first_line(said()) or type(exc).__name__
            raise InputError(f"unreadable USD: {detail}", path) from None
    for message in reader.notices:
        notices.warn(message, path)
    choices = reader.choices
    if choices:
        scene.variant_loader = lambda index: load_usd(path, choices[index])
    return scene


def _first_line(text: str) -> str:
    """The message of pxr's first diagnostic in ``text`` ("Error in 'function' at line N
    in file F : 'message'" -> message), else the first non-empty line; at most 200
    characters."""
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith(("Error in", "Warning: in", "Coding Error")) and " : " in line:
            line = line.rsplit(" : ", 1)[1].strip().strip("'")
        return line[:200]
    return ""


@contextlib.contextmanager
def _quiet_diagnostics() -> Iterator:
    """pxr writes its warnings and errors to file descriptor 2 from C++; they are kept
    (the caller may quote one in its error line) rather than shown, so that a broken
    file is one line, as with every other reader. holopack's own notices wait until the
    descriptor is back (UsdReader.notices)."""
    with tempfile.TemporaryFile() as sink:
        sys.stderr.flush()  # what Python wrote before goes out first
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)

        def said() -> str:
            sink.seek(0)
            return sink.read(4096).decode("utf-8", "replace")

        try:
            yield said
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
