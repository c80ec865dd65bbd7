"""Rendering one package file in a worker process.

This module imports nothing heavy at the top: a worker process sets
NUMBA_NUM_THREADS=1 in ``init_worker`` before Numba is first imported, so that N
workers on N cores do not each start N threads.
"""

from __future__ import annotations

import os
import time

_QUEUE = None  # the parent's progress queue, set by init_worker


def init_worker(queue, parent: int | None = None) -> None:
    global _QUEUE
    if parent is not None:
        from .lifeline import bind_to_parent

        bind_to_parent(parent)  # die with the parent, leave signals to it
    os.environ["NUMBA_NUM_THREADS"] = "1"
    _QUEUE = queue


class _QueueProgress:
    """Frame counts of a worker's export go to the parent, which draws one combined
    line for all workers."""

    def __init__(self, unit: str, queue):
        self.unit, self.queue = unit, queue
        self._last = 0.0
        self._started = False

    def _send(self, message) -> None:
        if self.queue is not None:
            try:
                self.queue.put_nowait(message)
            except Exception:  # progress is cosmetic; never fail a render over it
                pass

    def __call__(self, done: int, total: int) -> None:
        if not self._started:
            self._started = True
            self._send(("start", self.unit, int(total)))
        now = time.monotonic()
        if now - self._last >= 0.2 or done >= total:
            self._last = now
            self._send(("frame", self.unit, int(done)))


def render_unit(job: dict, queue=None) -> dict:
    """Export one playlist item for one device, then read the file back for its
    previews and statistics. ``job`` is built by package.py; returns the manifest facts.
    """
    from .. import pipeline
    from ..atomic import atomic_output
    from ..containment import allow_outside_files
    from ..scene.sources import file_sha256
    from .analyse import scan

    queue = queue if queue is not None else _QUEUE
    started = time.time()
    with allow_outside_files(job.get("allow_outside_files", False)):
        result = pipeline.export(
            job["input"], job["output"], job["settings"], progress=_QueueProgress(job["unit"], queue)
        )
    render_seconds = time.time() - started

    from ..device import load_profile

    profile = job.get("profile") or load_profile(job["device"])  # a cluster job carries it
    facts = scan(
        job["output"], profile, preview_frames=job["preview_frames"], preview_size=job["preview_size"]
    )
    if facts.previews:
        from PIL import Image

        middle = facts.previews[len(facts.previews) // 2][1]
        with atomic_output(job["thumbnail"]) as temp:
            Image.fromarray(middle).save(temp, format="PNG")
        from ..formats.gif import GIFWriter

        gif_fps = min(25.0, max(1.0, len(facts.previews) / max(result.seconds, 1e-6)))
        with atomic_output(job["preview"]) as temp:
            with GIFWriter(temp, fps=gif_fps) as gif:
                for _, picture in facts.previews:
                    gif.write(picture)
    import numba

    return {
        "unit": job["unit"],
        "pid": os.getpid(),
        "numba_threads": int(numba.config.NUMBA_NUM_THREADS),  # type: ignore[attr-defined]  # read from the environment at import
        "frames": result.frames,
        "fps": result.fps,
        "seconds": round(result.seconds, 6),
        "size": result.size,
        "format": result.format,
        "bytes": os.path.getsize(job["output"]),
        "sha256": file_sha256(job["output"]),
        "read_back_frames": facts.frames,
        "seam": round(facts.seam, 6),
        "step": round(facts.step, 6),
        "peak": round(facts.peak, 6),
        "render_seconds": round(render_seconds, 3),
    }
