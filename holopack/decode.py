"""holopack decode: a device file back into pictures, as a viewer of the fan sees them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import islice

from .atomic import check_output_path
from .containment import check_output_not_folder, check_output_not_input, check_regular
from .device import ViewerSimulator
from .errors import InputError
from .formats import format_for_path, get_format
from .formats.fanfile import open_fan_file
from .formats.stream import write_stream
from .formats.target import check_frame_limit
from .limits import BoundError, check_bound
from .progress import Progress

_TAKEN = ".mp4, .webm, .gif, a .png of one frame or a folder of PNG frames (a name ending in / or with no extension)"


def _extension(output: str) -> str:
    """The extension of the output's last name ("" for "frames/", "frames" and an
    existing folder: those are the PNG frames' folder)."""
    text = os.fspath(output)
    if text.endswith(("/", os.sep)) or os.path.isdir(text):
        return ""
    return os.path.splitext(os.path.basename(text))[1]


@dataclass
class DecodeResult:
    path: str
    frames: int
    format: str


def decode(
    path: str, output: str, device=None, size: int = 512, max_frames: int | None = None, progress: bool = True
) -> DecodeResult:
    if not os.path.exists(path):
        raise InputError("no such file", path)
    check_regular(path, "fan file")
    try:
        check_bound("size", size, integer=True)
        if max_frames is not None:
            check_bound("frames", max_frames, integer=True)
    except BoundError as exc:
        raise InputError(f"--{'size' if 'pixels' in str(exc) else 'frames'} {exc}") from None
    check_output_not_input(output, [path])
    check_output_path(output)
    polar = open_fan_file(path, device)
    profile = polar.profile
    out_fmt = format_for_path(output, kind="video")
    if out_fmt is None and _extension(output):
        # "out.avi" or "out.BIN" written as a folder of PNGs under that name misleads
        # whoever opens it next: refused, as export refuses it
        raise InputError(f"decode cannot write a {_extension(output)} file; it writes {_TAKEN}", output)
    if out_fmt is None or not os.path.splitext(output)[1]:
        out_fmt = get_format("png")
    check_output_not_folder(output, folder_ok=out_fmt.directory)
    if out_fmt.even_size and size % 2:
        size += 1
    known = polar.frame_count if polar.frame_count is not None else sum(1 for _ in polar.frames())
    total = known if max_frames is None else min(known, max_frames)
    check_frame_limit(out_fmt, output, total, fewer="--frames 1")
    simulator = ViewerSimulator(profile, size)
    bar = Progress(total, label=os.path.basename(output), enabled=progress)
    frames = (simulator.render(codes) for codes in islice(polar.frames(), total))
    count = write_stream(out_fmt, output, profile, polar.fps or profile.fps, frames, bar)
    bar.finish()
    return DecodeResult(path=output, frames=count, format=out_fmt.name)
