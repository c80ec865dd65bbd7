"""Which format an output path gets: the one its extension names, if the device takes it.

A device takes its own file format, the preview formats (an MP4, a GIF, a folder of
PNGs: what the viewer sees) and, for a fan with a polar layout, the open polar stream.
An extension outside that set is refused rather than written in another format under a
misleading name.
"""

from __future__ import annotations

import os

from ..errors import InputError
from ..format_registry import Format, get_format, list_formats
from .names import name_rule


def _extension(output: str) -> str:
    return os.path.splitext(os.path.basename(os.path.normpath(os.fspath(output))))[1]


def _is_folder_target(output: str) -> bool:
    text = os.fspath(output)
    return text.endswith(("/", os.sep)) or os.path.isdir(text)


def formats_taken(profile) -> list[Format]:
    """The formats a device can be given, its own first."""
    native = get_format(profile.format)
    taken = [native]
    for fmt in list_formats():
        if fmt is native:
            continue
        if fmt.kind == "video" or (
            fmt.kind == "polar" and profile.kind == "polar" and fmt.name == "polarstream"
        ):
            taken.append(fmt)
    return taken


def describe_taken(profile) -> str:
    """'.BIN (its own), .mp4, .gif, a folder of PNG frames (a name ending in /), .hps,
    .webm' for messages."""
    parts = []
    for i, fmt in enumerate(formats_taken(profile)):
        if fmt.directory:
            # "frames" without a dot is asked for by a trailing slash: say how
            parts.append("a folder of PNG frames (a name ending in /)")
            continue
        suffix = _native_suffix(profile, fmt) if i == 0 else fmt.suffixes[0]
        if i == 0:
            suffix += " (its own)"
        elif fmt.frame_limit == 1:
            suffix += " (one frame)"
        parts.append(suffix)
    return ", ".join(parts)


def _native_suffix(profile, fmt: Format) -> str:
    return name_rule(profile).suffix if fmt.name == profile.format else fmt.suffixes[0]


def format_for_target(profile, output: str, explicit: str | None = None) -> Format:
    """The format to write ``output`` in for ``profile``.

    With ``explicit`` (--format) the extension must agree with it; without, the
    extension chooses among the formats the device takes (its own wins a tie: ``.bin``
    on a 42-F2 is the fan's file). Raises InputError naming the output otherwise.
    """
    ext = _extension(output).lower()
    folder = _is_folder_target(output)
    if explicit:
        fmt = get_format(explicit)
        if fmt.directory:
            if ext not in fmt.suffixes and not folder:
                raise InputError(
                    f"--format {fmt.name} writes a folder of PNG frames; give a folder "
                    "name without an extension",
                    output,
                )
        elif ext not in fmt.suffixes:
            raise InputError(
                f"--format {fmt.name} writes {fmt.suffixes[0]} files but the name ends in "
                f"{ext or 'no extension'}; name it ...{fmt.suffixes[0]}",
                output,
            )
        return fmt
    taken = formats_taken(profile)
    # an existing folder named like a file ("out.mp4/") is still asked for by its
    # extension: export then refuses the folder before rendering
    if folder and ext and any(ext in f.suffixes for f in taken if not f.directory):
        folder = output.endswith(("/", os.sep))
    if folder or not ext:
        if folder:
            return next(f for f in taken if f.directory)
        raise InputError(
            f"the output has no extension, so its format is unclear; {profile.name} "
            f"takes {describe_taken(profile)}",
            output,
        )
    for fmt in taken:
        if ext in fmt.suffixes:
            return fmt
    raise InputError(f"{profile.name} cannot take a {ext} file; it takes {describe_taken(profile)}", output)


def check_frame_limit(fmt: Format, output: str, frames: int, fewer: str = "") -> None:
    """Refuse, before anything renders, a job of more frames than the format's file holds
    (one picture for ``NAME.png``). ``fewer`` names the option that asks for fewer."""
    if fmt.frame_limit is None or frames <= fmt.frame_limit:
        return
    also = f", or add {fewer}" if fewer else ""
    raise InputError(
        f"a {_extension(output) or fmt.suffixes[0]} file holds one picture and this makes "
        f"{frames} frames; name a folder (ending in /) for numbered PNG frames{also}",
        output,
    )
