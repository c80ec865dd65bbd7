"""Shared by test_pack*.py and test_validate*.py: one small package, built once per run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"
DUCK = ROOT / "tests" / "data" / "Duck" / "Duck.glb"

SECONDS = 0.5
SIZE = 96
FPS = 30
FRAMES = int(round(SECONDS * FPS))

_BUILT: dict = {}


def write_video(
    path,
    frames: int = 12,
    size: int = 64,
    fps: float = 30.0,
    centre=None,
    radius: float = 10.0,
    colour=(40, 200, 255),
    background=(0, 0, 0),
) -> None:
    """A disc circling ``centre`` (default: the middle) on ``background``, as H.264."""
    import imageio_ffmpeg

    cx, cy = centre if centre is not None else ((size - 1) / 2, (size - 1) / 2)
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (size, size),
        fps=fps,
        macro_block_size=2,
        ffmpeg_log_level="error",
        output_params=["-crf", "10"],
    )
    writer.send(None)
    y, x = np.mgrid[0:size, 0:size]
    for i in range(frames):
        a = 2 * np.pi * i / frames
        frame = np.empty((size, size, 3), np.uint8)
        frame[:] = background
        disc = (x - cx - 4 * np.cos(a)) ** 2 + (y - cy - 4 * np.sin(a)) ** 2 < radius**2
        frame[disc] = colour
        writer.send(frame)
    writer.close()


PLAYLIST = """\
devices = ["3dcircle-42f2", "hypervsn"]

[defaults]
seconds = {seconds}
size = {size}

[[items]]
input = "{twin}"
name = "twin"

[[items]]
input = "{duck}"
name = "Duck turntable"
turntable = {duck_turntable}

[[items]]
input = "clip.mp4"
name = "logo"
"""


def write_playlist(folder: Path, name: str = "shop.toml", duck_turntable: float = 90.0) -> Path:
    path = folder / name
    path.write_text(
        PLAYLIST.format(
            seconds=SECONDS,
            size=SIZE,
            twin=TWIN.as_posix(),
            duck=DUCK.as_posix(),
            duck_turntable=duck_turntable,
        )
    )
    return path


def built_package(tmp_path_factory):
    """(playlist path, package folder, PackReport): made once, then shared read-only.
    Tests that change it work on a copy (``copy_package``)."""
    if "package" not in _BUILT:
        from holopack.pack import pack

        folder = tmp_path_factory.mktemp("pack")
        write_video(folder / "clip.mp4")
        playlist = write_playlist(folder)
        out = folder / "package"
        report = pack(playlist, out, jobs=2, progress=False, preview_frames=6, preview_size=64)
        _BUILT["package"] = (playlist, out, report)
    return _BUILT["package"]


def copy_package(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def mtimes(folder: Path) -> dict:
    return {
        p.relative_to(folder).as_posix(): os.stat(p).st_mtime_ns for p in folder.rglob("*") if p.is_file()
    }
