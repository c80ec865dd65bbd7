"""A progress line on stderr: frames done, frames per second, time left."""
from __future__ import annotations

import sys
import time


class Progress:
    """Frames done / total, rate and ETA, redrawn in place on a terminal.

    Off a terminal (a log file, CI) it prints a line every ``log_every`` seconds and
    a final one, so logs stay readable.
    """

    def __init__(self, total: int, label: str = "export", stream=None, enabled: bool = True,
                 log_every: float = 5.0):
        self.total = max(0, int(total))
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.log_every = log_every
        self.done = 0
        self.start = time.perf_counter()
        self._last_draw = 0.0

    def update(self, done: int | None = None) -> None:
        self.done = self.done + 1 if done is None else done
        if not self.enabled:
            return
        now = time.perf_counter()
        interval = 0.1 if self.tty else self.log_every
        # the last frame is drawn by finish(); off a terminal it would print twice
        if now - self._last_draw >= interval or (self.tty and self.done >= self.total):
            self._last_draw = now
            self._draw(now, final=False)

    def finish(self) -> None:
        if self.enabled:
            self._draw(time.perf_counter(), final=True)

    def _draw(self, now: float, final: bool) -> None:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        if final:
            eta = f"in {_clock(elapsed)}"
        else:
            left = (self.total - self.done) / rate if rate > 0 else 0.0
            eta = f"ETA {_clock(left)}"
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        line = f"{self.label} [{bar}] {self.done}/{self.total} frames  {rate:5.1f} fps  {eta}"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
