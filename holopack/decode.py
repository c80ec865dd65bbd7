"""holopack decode: a device file back into pictures, as a viewer of the fan sees them."""
from __future__ import annotations

import os
from dataclasses import dataclass

from itertools import islice

from .errors import InputError
from .formats import format_for_path, get_format
from .formats.stream import write_stream
from .progress import Progress


@dataclass
class DecodeResult:
    path: str
    frames: int
    format: str


def read_device_file(path: str, device=None):
    """Open a fan file: (profile, PolarFile). The profile comes from ``device`` or, when
    None, from the file (the polar stream carries it; .BIN/.bin are told apart by layout)."""
    from .device import load_profile

    if not os.path.exists(path):
        raise InputError("no such file", path)
    profile = load_profile(device) if device else None
    if profile is not None:
        fmt = get_format(profile.format)
    else:
        fmt = _guess_format(path)
        profile = None
    polar = fmt.reader_function()(path, profile)
    return polar.profile, polar


def _guess_format(path: str):
    with open(path, "rb") as f:
        head = f.read(8)
    size = os.path.getsize(path)
    for fmt_name in ("polarstream", "legacy224", "42f2"):
        fmt = get_format(fmt_name)
        sniff = _sniffers().get(fmt_name)
        if sniff and sniff(head, size, path):
            return fmt
    raise InputError("cannot tell which fan this file is for; name the device with --device", path)


def _sniffers():
    from .formats import circle42f2, legacy224, polarstream

    return {name: getattr(module, "sniff", None) for name, module in
            (("polarstream", polarstream), ("legacy224", legacy224), ("42f2", circle42f2))}


def decode(path: str, output: str, device=None, size: int = 512, max_frames: int | None = None,
           progress: bool = True) -> DecodeResult:
    from .device import ViewerSimulator

    profile, polar = read_device_file(path, device)
    out_fmt = format_for_path(output, kind="video")
    if out_fmt is None or not os.path.splitext(output)[1]:
        out_fmt = get_format("png")
    if out_fmt.name == "mp4" and size % 2:
        size += 1
    total = polar.frame_count if max_frames is None else min(polar.frame_count, max_frames)
    simulator = ViewerSimulator(profile, size)
    bar = Progress(total, label=os.path.basename(output), enabled=progress)
    frames = (simulator.render(codes) for codes in islice(polar.frames(), total))
    count = write_stream(out_fmt, output, profile, polar.fps or profile.fps, frames, bar)
    bar.finish()
    return DecodeResult(path=output, frames=count, format=out_fmt.name)
