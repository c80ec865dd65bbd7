"""A progress line on stderr: frames done, frames per second, time left.

The first frames pay for loading, framing and (on a first run) compiling, so the rate and
the time left are measured only from frames made after WARMUP_FRAMES, once TIMED_FRAMES
of them are done: never an ETA of hours from one slow first frame.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

WARMUP_FRAMES = 1  # frames whose time is not the steady rate
TIMED_FRAMES = 2  # frames timed after the warm-up before a rate and ETA are shown


class ProgressLine:
    """One line on a stream, redrawn in place on a terminal (at most every tenth of a
    second); off a terminal (a log file, CI) printed every ``log_every`` seconds and once
    at the end, so logs stay readable. Subclasses say what the line holds."""

    redraw = "\r"  # what goes before a line drawn over the previous one on a terminal

    def __init__(self, stream=None, enabled: bool = True, log_every: float = 5.0):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.log_every = log_every
        self.start = time.perf_counter()
        self._last_draw = 0.0

    def _due(self, now: float, force: bool = False) -> bool:
        """Whether to draw at ``now`` (always when ``force``); a draw restarts the wait."""
        if force or now - self._last_draw >= (0.1 if self.tty else self.log_every):
            self._last_draw = now
            return True
        return False

    def _write(self, line: str, final: bool) -> None:
        if self.tty:
            self.stream.write(self.redraw + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


class Progress(ProgressLine):
    """Frames done / total, rate and ETA."""

    def __init__(
        self, total: int, label: str = "export", stream=None, enabled: bool = True, log_every: float = 5.0
    ):
        super().__init__(stream, enabled, log_every)
        self.total = max(0, int(total))
        self.label = label
        self.done = 0
        self._warm: tuple[float, int] | None = None  # (time, frames done) when warm-up ended

    def update(self, done: int | None = None) -> None:
        self.done = self.done + 1 if done is None else done
        if not self.enabled:
            return
        now = time.perf_counter()
        if self._warm is None and self.done >= WARMUP_FRAMES:
            self._warm = (now, self.done)
        # the last frame is drawn by finish(); off a terminal it would print twice
        if self._due(now, force=self.tty and self.done >= self.total):
            self._draw(now, final=False)

    def finish(self) -> None:
        if self.enabled:
            self._draw(time.perf_counter(), final=True)

    def _draw(self, now: float, final: bool) -> None:
        elapsed = max(now - self.start, 1e-9)
        steady = self.steady_rate(now)
        if final:
            rate = steady if steady is not None else self.done / elapsed
            eta = f"in {clock(elapsed)}"
        elif steady is None:
            rate = 0.0
            eta = "ETA after warm-up"
        else:
            rate = steady
            left = (self.total - self.done) / rate if rate > 0 else 0.0
            eta = f"ETA {clock(left)}"
        speed = f"{rate:5.1f} fps" if rate > 0 else "  ... fps"
        line = f"{self.label} [{bar(self.done, self.total)}] {self.done}/{self.total} frames  {speed}  {eta}"
        self._write(line, final)

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


class PassProgress:
    """A Progress for a pass before the output frames (a clip's first pass), drawn only
    on a terminal: its reader calls it with (frames done, frames in all), the total as
    the reader knows it so far. ``finish`` ends the line; ``abandon`` (the pass failed)
    clears it, so that the error is the one line left."""

    def __init__(self, label: str, stream=None):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self._line: Progress | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._line is None:
            self._line = Progress(total, self.label, self.stream)
            if not self._line.tty:  # off a terminal the log keeps the export's lines alone
                self._line.enabled = False
        self._line.total = max(self._line.total, total, done)
        self._line.update(done)

    def finish(self) -> None:
        if self._line is not None:
            self._line.finish()
            self._line = None

    def abandon(self) -> None:
        if self._line is not None and self._line.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()
        self._line = None


@contextmanager
def first_pass_line(scene, progress) -> Iterator[PassProgress | None]:
    """For a plan made inside the block: a PassProgress for ``scene``'s first pass when
    ``progress`` is True (a bar on stderr) and the scene is a clip (None otherwise),
    finished when the block ends and cleared when it raises."""
    media = scene.media if scene.is_media else None
    line = PassProgress(f"{os.path.basename(media.path)} first pass") if progress is True and media else None
    try:
        yield line
    except BaseException:
        if line is not None:
            line.abandon()
        raise
    if line is not None:
        line.finish()


def bar(done: float, total: float, width: int = 24) -> str:
    """``[####....]``'s inside: ``done`` of ``total`` (full when there is nothing to do)."""
    filled = min(width, int(width * done / total)) if total else width
    return "#" * filled + "." * (width - filled)


def clock(seconds: float) -> str:
    """m:ss (a negative time, which an estimate can give, reads 0:00)."""
    seconds = int(round(max(seconds, 0)))
    return f"{seconds // 60}:{seconds % 60:02d}"
