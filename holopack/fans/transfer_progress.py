"""One progress line on stderr for uploads: bytes done, rate, time left, fans done.

Threads (one per fan) report bytes through ``add``; the line is redrawn in place on a
terminal and printed every few seconds elsewhere, like holopack.progress.Progress.
"""

from __future__ import annotations

import threading
import time

from ..progress import ProgressLine, bar, clock


class TransferProgress(ProgressLine):
    redraw = "\r\033[K"  # the note at the end makes lines of different lengths

    def __init__(self, total_bytes: int, label: str = "push", **line):
        """``line``: ProgressLine's stream, enabled and log_every."""
        super().__init__(**line)
        self.total = max(0, int(total_bytes))
        self.label = label
        self.done = 0
        self.note = ""
        self._lock = threading.Lock()

    def add(self, nbytes: int, note: str | None = None) -> None:
        """``nbytes`` more (negative: an attempt that failed and will be sent again)."""
        with self._lock:
            self.done += nbytes
            if note is not None:
                self.note = note
            now = time.perf_counter()
            if self.enabled and self._due(now):
                self._draw(now, final=False)

    def skip(self, nbytes: int) -> None:
        """``nbytes`` that will not be sent after all (already on the fan)."""
        with self._lock:
            self.total -= nbytes

    def message(self, line: str) -> None:
        """A line of its own (a file finished, a retry), above the progress line."""
        if not self.enabled:
            return
        with self._lock:
            self.stream.write((self.redraw if self.tty else "") + line + "\n")
            self.stream.flush()

    def set_note(self, note: str) -> None:
        with self._lock:
            self.note = note

    def finish(self) -> None:
        if self.enabled:
            with self._lock:
                self._draw(time.perf_counter(), final=True)

    def _draw(self, now: float, final: bool) -> None:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        if final:
            when = f"in {clock(elapsed)}"
        else:
            when = f"ETA {clock((self.total - self.done) / rate if rate > 0 else 0)}"
        line = (
            f"{self.label} [{bar(self.done, self.total)}] {self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB "
            f"{rate / 1e6:6.3g} MB/s  {when}  {self.note}"
        ).rstrip()
        self._write(line, final)
