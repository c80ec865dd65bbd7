"""Animated GIF, for short previews (thumbnails of packages, decoded device files).

GIF holds 256 colours per frame; Pillow quantises each frame. Pillow assembles the
whole animation before writing, so this is for previews, not hour-long loops.
"""

from __future__ import annotations

import numpy as np

from ..format_registry import Format
from .names import NameRule
from .stream import FrameWriter


class GIFWriter(FrameWriter):
    def __init__(self, path: str, profile=None, fps: float = 15.0, max_side: int | None = None):
        self.path = path
        self.fps = float(fps)
        self.max_side = max_side
        self._frames: list = []
        self.frames_written = 0

    def write(self, picture: np.ndarray) -> None:
        from PIL import Image

        image = Image.fromarray(np.ascontiguousarray(picture, np.uint8))
        if self.max_side and max(image.size) > self.max_side:
            image.thumbnail((self.max_side, self.max_side), Image.Resampling.LANCZOS)
        self._frames.append(
            image.quantize(colors=255, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        )
        self.frames_written += 1

    def close(self) -> None:
        if not self._frames:
            return
        duration = int(round(1000.0 / self.fps)) if self.fps > 0 else 100
        first, rest = self._frames[0], self._frames[1:]
        first.save(
            self.path,
            format="GIF",
            save_all=True,
            append_images=rest,
            loop=0,
            duration=duration,
            disposal=1,
            optimize=False,
        )
        self._frames = []

    def abort(self) -> None:
        self._frames = []


FORMAT = Format(
    "gif",
    "video",
    (".gif",),
    GIFWriter,
    description="animated GIF (previews)",
    naming=NameRule(".gif", "lower", None),
)
