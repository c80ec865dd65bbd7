"""One registry of file formats; the pipeline picks a writer here and never by name.

A format's writer is a class ``Writer(path, profile, fps)`` with ``write(frame)`` and
``close()`` (and context-manager support). It writes to exactly the path it is given:
the pipeline hands it a temporary path beside the target and renames on success, so
no writer needs to care about partial output.

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
from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class Format:
    name: str
    kind: str  # "video" | "polar"
    suffixes: tuple[str, ...]
    writer: str  # "module:Class"
    reader: str | None = None  # "module:function"
    description: str = ""
    directory: bool = False  # the output is a folder (a PNG sequence)

    def writer_class(self):
        return _resolve(self.writer)

    def reader_function(self):
        if self.reader is None:
            raise InputError(f"holopack cannot read {self.name} files")
        return _resolve(self.reader)


def _resolve(target: str):
    module_name, attr = target.split(":")
    return getattr(importlib.import_module(module_name), attr)


_FORMATS: dict[str, Format] = {}


def register_format(fmt: Format) -> None:
    _FORMATS[fmt.name] = fmt


def list_formats() -> list[Format]:
    return list(_FORMATS.values())


def get_format(name: str) -> Format:
    try:
        return _FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(_FORMATS))
        raise InputError(f"unknown format {name!r} (formats: {known})") from None


def format_for_path(path: str, kind: str | None = None) -> Format | None:
    """The format whose suffix the path carries (case-insensitive), or None."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    for fmt in _FORMATS.values():
        if suffix in fmt.suffixes and (kind is None or fmt.kind == kind):
            return fmt
    return None


# The built-in formats. Devices' native layouts are documented in docs/ and in each module.
register_format(Format(
    "mp4", "video", (".mp4",), "holopack.formats.mp4:MP4Writer", "holopack.formats.mp4:read",
    "square H.264 MP4, yuv420p, black background (HYPERVSN platform, MP4 fans)"))
register_format(Format(
    "gif", "video", (".gif",), "holopack.formats.gif:GIFWriter", None,
    "animated GIF (previews)"))
register_format(Format(
    "png", "video", ("", ".png"), "holopack.formats.png:PNGSequenceWriter", None,
    "a folder of numbered PNG frames", directory=True))
register_format(Format(
    "42f2", "polar", (".bin",), "holopack.formats.circle42f2:Writer",
    "holopack.formats.circle42f2:read",
    "3D Circle 42-F2 .BIN: 512 slices x 112 LEDs, RGB666 bit-planes"))
register_format(Format(
    "legacy224", "polar", (".bin",), "holopack.formats.legacy224:Writer",
    "holopack.formats.legacy224:read",
    "legacy 224-LED fan .bin: 2700 rays x 112 LEDs, 1 bit per channel"))
register_format(Format(
    "polarstream", "polar", (".hps",), "holopack.formats.polarstream:Writer",
    "holopack.formats.polarstream:read",
    "holopack polar stream: open, self-describing, lossless (docs/polarstream.md)"))
