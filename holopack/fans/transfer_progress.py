"""One progress line on stderr for uploads: bytes done, rate, time left, fans done.

Threads (one per fan) report bytes through ``add``; the line is redrawn in place on a
terminal and printed every few seconds elsewhere, like holopack.progress.Progress.
"""

from __future__ import annotations

import sys
import threading
import time


class TransferProgress:
    def __init__(
        self, total_bytes: int, label: str = "push", stream=None, enabled: bool = True, log_every: float = 5.0
    ):
        self.total = max(0, int(total_bytes))
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.log_every = log_every
        self.done = 0
        self.note = ""
        self.start = time.perf_counter()
        self._last = 0.0
        self._lock = threading.Lock()

    def add(self, nbytes: int, note: str | None = None) -> None:
        """``nbytes`` more (negative: an attempt that failed and will be sent again)."""
        with self._lock:
            self.done += nbytes
            if note is not None:
                self.note = note
            now = time.perf_counter()
            if self.enabled and now - self._last >= (0.1 if self.tty else self.log_every):
                self._last = now
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
            self.stream.write(("\r\033[K" if self.tty else "") + line + "\n")
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
            when = f"in {_clock(elapsed)}"
        else:
            when = f"ETA {_clock((self.total - self.done) / rate if rate > 0 else 0)}"
        width = 24
        filled = min(width, int(width * self.done / self.total)) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        line = (
            f"{self.label} [{bar}] {self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB "
            f"{rate / 1e6:6.3g} MB/s  {when}  {self.note}"
        ).rstrip()
        if self.tty:
            self.stream.write("\r\033[K" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(max(seconds, 0)))
    return f"{seconds // 60}:{seconds % 60:02d}"
