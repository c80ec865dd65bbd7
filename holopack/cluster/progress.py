"""One combined progress line for a run spread over workers, and per-worker figures.

    export 12/40 chunks  384/1280 frames  48.2 fps  2 workers alive  ETA 0:18

On a terminal the line is redrawn in place; off one (a log, CI) a line every few
seconds and a final one. ``summary_lines`` gives each worker's tasks, frames and
rendering rate.
"""

from __future__ import annotations

import time
from collections import defaultdict

from ..progress import ProgressLine, clock


class RunProgress(ProgressLine):
    """``items``: tasks of the run (chunks or files); ``frames``: frames of the run
    when known ahead (an export), else None (a playlist: frames are counted as files
    finish); ``alive``: a function giving the number of workers alive."""

    def __init__(
        self,
        label: str,
        items: int,
        frames: int | None,
        alive,
        *,
        unit: str = "items",
        enabled: bool = True,
        stream=None,
        log_every: float = 5.0,
    ):
        super().__init__(stream, enabled and items > 0, log_every)
        self.label, self.items, self.frames, self.unit = label, int(items), frames, unit
        self.alive = alive
        self.items_done = 0
        self.frames_done = 0
        self.per_worker: dict = defaultdict(lambda: [0, 0, 0.0])  # worker -> [tasks, frames, seconds]

    def done(self, frames: int, worker: str = "", seconds: float = 0.0) -> None:
        """A task finished: ``frames`` frames, rendered by ``worker`` in ``seconds``."""
        self.items_done += 1
        self.frames_done += int(frames)
        figures = self.per_worker[worker or "?"]
        figures[0] += 1
        figures[1] += int(frames)
        figures[2] += float(seconds)
        self.tick()

    def line(self, now: float | None = None) -> str:
        now = time.perf_counter() if now is None else now
        elapsed = max(now - self.start, 1e-9)
        rate = self.frames_done / elapsed
        frames = f"{self.frames_done}/{self.frames}" if self.frames else f"{self.frames_done}"
        if self.items_done >= self.items:
            eta = f"in {clock(elapsed)}"
        elif self.items_done:
            eta = f"ETA {clock(elapsed / self.items_done * (self.items - self.items_done))}"
        else:
            eta = "ETA ?"
        alive = self.alive()
        return (
            f"{self.label} {self.items_done}/{self.items} {self.unit}  {frames} frames  "
            f"{rate:5.1f} fps  {alive} worker{'s' if alive != 1 else ''} alive  {eta}"
        )

    def tick(self) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if self._due(now):
            self._write(self.line(now), final=False)

    def finish(self) -> None:
        if self.enabled:
            self._write(self.line(), final=True)

    def summary_lines(self) -> list[str]:
        """One line per worker: tasks, frames, its time inside tasks and its rate (frames
        per second of that time)."""
        lines = []
        for worker, (tasks, frames, seconds) in sorted(self.per_worker.items()):
            rate = frames / seconds if seconds > 0 else 0.0
            lines.append(
                f"  {worker}: {tasks} task{'s' if tasks != 1 else ''}, {frames} frames, "
                f"{seconds:.1f} s in tasks, {rate:.1f} fps"
            )
        return lines
