"""Stream frames into a file of any registered format, atomically.

The one loop that export and decode share: open the format's writer on a temporary
path, write each frame as it is made, close, rename. On any failure (Ctrl-C included)
the writer is aborted and the temporary output removed.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ..atomic import atomic_output
from .registry import Format


class FrameWriter:
    """Context-manager plumbing shared by writers: ``close`` on success, ``abort``
    (which by default does nothing beyond what ``close`` would skip) on failure."""

    def write(self, frame: np.ndarray) -> None:  # pragma: no cover - every writer overrides
        raise NotImplementedError

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_stream(fmt: Format, output: str, profile, fps: float, frames: Iterable[np.ndarray],
                 progress=None) -> int:
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
            writer.close()
        except BaseException:
            abort = getattr(writer, "abort", None)
            if abort:
                abort()
            raise
    return count
