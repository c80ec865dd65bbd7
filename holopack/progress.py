"""A progress line on stderr: frames done, frames per second, time left.

The first frames pay for loading, framing and (on a first run) compiling, so the rate and
the time left are measured only from frames made after WARMUP_FRAMES, once TIMED_FRAMES
of them are done: never an ETA of hours from one slow first frame.
"""

from __future__ import annotations

import sys
import time

WARMUP_FRAMES = 1  # frames whose time is not the steady rate
TIMED_FRAMES = 2  # frames timed after the warm-up before a rate and ETA are shown


class Progress:
    """Frames done / total, rate and ETA, redrawn in place on a terminal.

    Off a terminal (a log file, CI) it prints a line every ``log_every`` seconds and
    a final one, so logs stay readable.
    """

    def __init__(
        self, total: int, label: str = "export", stream=None, enabled: bool = True, log_every: float = 5.0
    ):
        self.total = max(0, int(total))
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.log_every = log_every
        self.done = 0
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._warm: tuple[float, int] | None = None  # (time, frames done) when warm-up ended

    def update(self, done: int | None = None) -> None:
        self.done = self.done + 1 if done is None else done
        if not self.enabled:
            return
        now = time.perf_counter()
        if self._warm is None and self.done >= WARMUP_FRAMES:
            self._warm = (now, self.done)
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
        steady = self.steady_rate(now)
        if final:
            rate = steady if steady is not None else self.done / elapsed
            eta = f"in {_clock(elapsed)}"
        elif steady is None:
            rate = 0.0
            eta = "ETA after warm-up"
        else:
            rate = steady
            left = (self.total - self.done) / rate if rate > 0 else 0.0
            eta = f"ETA {_clock(left)}"
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        speed = f"{rate:5.1f} fps" if rate > 0 else "  ... fps"
        line = f"{self.label} [{bar}] {self.done}/{self.total} frames  {speed}  {eta}"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def steady_rate(self, now: float | None = None) -> float | None:
        """Frames per second after the warm-up, or None until TIMED_FRAMES are timed."""
        if self._warm is None:
            return None
        now = time.perf_counter() if now is None else now
        start, done = self._warm
        timed = self.done - done
        if timed < TIMED_FRAMES or now <= start:
            return None
        return timed / (now - start)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
