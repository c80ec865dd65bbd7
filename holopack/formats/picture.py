"""One PNG picture: an output named ``NAME.png`` for a job of one frame.

A name ending in ``.png`` reads as one picture, so it is written as one; a job of more
frames is refused before anything renders (``frame_limit``), and a folder of numbered
frames is asked for by a name ending in ``/`` (holopack.formats.png).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..format_registry import Format
from .names import NameRule
from .stream import FrameWriter


class PictureWriter(FrameWriter):
    """``write`` takes one (H, W, 3) uint8 picture; ``close`` saves it to ``path``."""

    def __init__(self, path: str, profile=None, fps: float = 30.0):
        self.path = path
        self.fps = fps
        self.frames_written = 0
        self._picture: np.ndarray | None = None

    def write(self, picture: np.ndarray) -> None:
        if self._picture is not None:  # the callers check the count first; this is the guard
            raise InputError("a .png holds one picture; name a folder (ending in /) for more frames")
        self._picture = np.ascontiguousarray(picture, np.uint8)
        self.frames_written = 1

    def close(self) -> None:
        if self._picture is None:
            return
        from PIL import Image

        Image.fromarray(self._picture).save(self.path, format="PNG", compress_level=3)

    def abort(self) -> None:
        self._picture = None


FORMAT = Format(
    "picture",
    "video",
    (".png",),
    PictureWriter,
    description="one PNG picture (a job of one frame)",
    naming=NameRule(".png", "lower", None),
    frame_limit=1,
)
