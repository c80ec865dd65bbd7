"""A folder of numbered PNG frames (frame_00000.png, ...), for editors and checks."""

from __future__ import annotations

import os

import numpy as np

from ..format_registry import Format
from .names import NameRule
from .stream import FrameWriter


class PNGSequenceWriter(FrameWriter):
    """``path`` is a folder (created by the pipeline); ``write`` takes (H, W, 3) uint8."""

    def __init__(self, path: str, profile=None, fps: float = 30.0):
        from PIL import Image

        self._image = Image
        self.path = path
        self.fps = fps
        os.makedirs(path, exist_ok=True)
        self.frames_written = 0

    def write(self, picture: np.ndarray) -> None:
        name = os.path.join(self.path, f"frame_{self.frames_written:05d}.png")
        self._image.fromarray(np.ascontiguousarray(picture, np.uint8)).save(name, compress_level=3)
        self.frames_written += 1


FORMAT = Format(
    "png",
    "video",
    ("", ".png"),
    PNGSequenceWriter,
    description="a folder of numbered PNG frames",
    directory=True,
    naming=NameRule("", "lower", None),
)
