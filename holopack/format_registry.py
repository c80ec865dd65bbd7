"""One registry of file formats; nothing else in holopack branches on a format's name.

A format is one module under holopack/formats/ that ends with a declaration
``FORMAT = Format(...)``: its writer, reader, sniffing, the device profile's ``[file]``
table and constraints, and its naming rule (docs/formats.md walks through one). The
registry holds the module names, one line each, and imports them when first asked.

This module sits below both holopack.device and holopack.formats: the profile parser
(device) asks it for a format's ``[file]`` table and the formats import the profile
type, so neither package imports the other's upward side.

A writer is a class ``Writer(path, profile, fps)`` with ``write(frame)`` and ``close()``
(and context-manager support). It writes to exactly the path it is given: the
pipeline hands it a temporary path beside the target and renames on success, so no
writer needs to care about partial output.

kind "video": ``write`` takes (H, W, 3) uint8 sRGB pictures.
kind "polar": ``write`` takes (slices, leds, 3) uint8 codes in [0, 2**bit_depth - 1],
RGB order; the writer applies the device's channel order and bit layout.

A reader, where there is one, is ``read(path, profile=None)`` returning an object with
``profile``, ``fps``, ``frame_count`` and ``frames()`` (an iterator of what the writer
took).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import InputError

KINDS = ("video", "polar")


@dataclass(frozen=True)
class Format:
    """What one format module declares.

    file_table: the device profile's ``[file]`` keys (a holopack.schema schema), or None
    when no device profile writes this format (previews such as GIF). check_profile:
    ``(colour, geometry) -> fault or None``, what this format demands of a profile's
    checked ``[colour]`` and ``[geometry]`` tables. naming: the
    holopack.formats.names.NameRule a device's files follow unless the profile's
    ``[file]`` table overrides it. sniff: ``(head, size, path) -> bool`` for telling a
    file of this format without a profile; sniff_first: the sniff checks a magic
    number, so it is tried before the guesses by size.
    """

    name: str
    kind: str  # "video" | "polar"
    suffixes: tuple[str, ...]
    writer: type
    naming: Any  # holopack.formats.names.NameRule
    reader: Callable | None = None
    description: str = ""
    directory: bool = False  # the output is a folder (a PNG sequence)
    even_size: bool = False  # the codec needs even picture sides (yuv420p)
    file_table: dict | None = None
    check_profile: Callable[[dict, dict], str | None] | None = None
    default_profile: str | None = None
    sniff: Callable[[bytes, int, str], bool] | None = None
    sniff_first: bool = False
    codec: str | None = None  # the video codec (ffmpeg's name), for a video format
    frame_limit: int | None = None  # the most frames one file holds (one picture: 1)

    def writer_class(self):
        return self.writer

    def reader_function(self):
        if self.reader is None:
            raise InputError(f"holopack cannot read {self.name} files")
        return self.reader


_MODULES: list[str] = []
_FORMATS: dict[str, Format] = {}


def register_format(fmt: Format | str) -> None:
    """Add a format: a Format, or the name of a module that declares ``FORMAT``
    (imported when the registry is first asked)."""
    if isinstance(fmt, str):
        _MODULES.append(fmt)
    else:
        _FORMATS[fmt.name] = fmt


def _loaded() -> dict[str, Format]:
    while _MODULES:
        fmt = importlib.import_module(_MODULES.pop(0)).FORMAT
        _FORMATS[fmt.name] = fmt
    return _FORMATS


def list_formats() -> list[Format]:
    return list(_loaded().values())


def get_format(name: str) -> Format:
    formats = _loaded()
    try:
        return formats[name]
    except KeyError:
        known = ", ".join(sorted(formats))
        raise InputError(f"unknown format {name!r} (formats: {known})") from None


def format_for_path(path: str, kind: str | None = None) -> Format | None:
    """The format whose suffix the path carries (case-insensitive), or None."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    for fmt in _loaded().values():
        if suffix in fmt.suffixes and (kind is None or fmt.kind == kind):
            return fmt
    return None


def profile_formats(kind: str | None = None) -> list[Format]:
    """Formats a device profile may name, polar ones first."""
    out = [f for f in _loaded().values() if f.file_table is not None and kind in (None, f.kind)]
    return sorted(out, key=lambda f: f.kind != "polar")


# The built-in formats, one line each. Devices' native layouts are documented in docs/
# and in each module.
register_format("holopack.formats.mp4")
register_format("holopack.formats.gif")
register_format("holopack.formats.picture")  # before png: "NAME.png" names one picture
register_format("holopack.formats.png")
register_format("holopack.formats.circle42f2")
register_format("holopack.formats.legacy224")
register_format("holopack.formats.polarstream")
register_format("holopack.formats.webm")
