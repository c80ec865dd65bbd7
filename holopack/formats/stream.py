"""Stream frames into a file of any registered format, atomically.

The one loop that export and decode share: open the format's writer on a temporary
path, write each frame as it is made, close, rename. On any failure (Ctrl-C included)
the writer is aborted and the temporary output removed.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable

import numpy as np

from .. import interrupt
from ..atomic import atomic_output
from ..errors import InputError, OutputError
from ..format_registry import Format


class FrameWriter(ABC):
    """Context-manager plumbing shared by writers: ``close`` on success, ``abort``
    (which by default does nothing beyond what ``close`` would skip) on failure."""

    @abstractmethod
    def write(self, frame: np.ndarray) -> None:
        """Append one frame."""

    def close(self) -> None:  # noqa: B027  a hook: most writers have nothing to finish
        pass

    def abort(self) -> None:  # noqa: B027  a hook: most writers have nothing to drop
        pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()


class FanFileWriter(FrameWriter):
    """A fan's own binary file: an optional header, one packed frame per ``write``,
    an optional trailer. Subclasses name their format and pack the frames."""

    format_name = ""

    def __init__(self, path: str, profile, fps: float):
        if profile.format != self.format_name:
            raise InputError(f"profile {profile.name!r} writes {profile.format}, not {self.format_name}")
        self.path = os.fspath(path)
        self.profile = profile
        self.fps = fps
        self.frames = 0
        try:
            self._file = open(self.path, "wb")
            self._file.write(self.header())
        except OSError as e:
            raise OutputError(f"cannot write ({e.strerror})", self.path) from None

    def header(self) -> bytes:
        return b""

    def trailer(self) -> bytes:
        return b""

    @abstractmethod
    def pack(self, codes: np.ndarray) -> bytes:
        """One frame of (slices, leds, 3) uint8 codes as the file stores it."""

    def write(self, codes: np.ndarray) -> None:
        self._file.write(self.pack(codes))
        self.frames += 1

    def write_packed(self, data: bytes) -> None:
        """Append one frame that ``pack`` already made (on a cluster worker)."""
        self._file.write(data)
        self.frames += 1

    def close(self) -> None:
        if not self._file.closed:
            self._file.write(self.trailer())
            self._file.close()

    def abort(self) -> None:
        self._file.close()


def write_stream(
    fmt: Format, output: str, profile, fps: float, frames: Iterable[np.ndarray], progress=None
) -> int:
    """Write ``frames`` to ``output`` in ``fmt``; return how many were written.

    ``progress`` has ``update(done)`` (a holopack.progress.Progress or alike).
    """
    count = 0
    with atomic_output(output, directory=fmt.directory) as temp:
        writer = fmt.writer_class()(temp, profile, fps)
        try:
            for frame in frames:
                writer.write(frame)
                count += 1
                if progress is not None:
                    progress.update(count)
                interrupt.check()  # a Ctrl-C that C code swallowed: see holopack.interrupt
            writer.close()
        except BaseException:
            abort = getattr(writer, "abort", None)
            if abort:
                abort()
            raise
    return count
