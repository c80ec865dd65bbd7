"""A long export split into chunks of frames, rendered by an executor's workers.

The client plans the export (format, frame count, output name checks: every input
fault is reported before any work is sent), ships the input once, submits chunks
through a bounded window and writes them in frame order into a temporary file beside
the target, renamed when complete. Memory stays flat in the clip's length: at most
``window`` chunks are in flight or waiting to be written.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field, replace

from .. import interrupt
from ..atomic import atomic_output, check_output_path
from ..errors import InputError
from ..first_run import stop_notice
from ..formats.stream import FanFileWriter
from ..formats.target import check_frame_limit
from ..notices import held
from ..pipeline import ExportPlan, ExportResult, ExportSettings, default_twin
from ..pipeline.exporting import check_target
from ..scene.load import load
from ..scene.scene import Scene
from .chunks import DEFAULT_CHUNK_FRAMES, ChunkJob, chunk_ranges, render_chunk
from .executors import Executor, ordered
from .progress import RunProgress

WINDOW_PER_SLOT = 2  # chunks in flight per worker thread: one running, one queued behind it


@dataclass
class ClusterExportResult(ExportResult):
    """An ExportResult with what the run moved and who rendered it."""

    chunks: int = 0
    bytes_moved: int = 0  # chunk results to the client plus the input shipped to the cluster
    workers: dict = field(default_factory=dict)  # worker -> [tasks, frames, seconds]
    summary: list = field(default_factory=list)  # one line per worker


def export_chunked(
    input=None,
    output: str = "",
    settings: ExportSettings | None = None,
    *,
    executor: Executor,
    chunk_frames: int = DEFAULT_CHUNK_FRAMES,
    progress=True,
    **overrides,
) -> ClusterExportResult:
    """holopack.export on ``executor``'s workers: the same bytes as a serial export.
    Warnings and decisions print once the file is written, as export's do."""
    with held():
        return _export_chunked(input, output, settings, executor, chunk_frames, progress, overrides)


def _export_chunked(input, output, settings, executor, chunk_frames, progress, overrides):
    settings = replace(settings or ExportSettings(), **overrides)
    if not output:
        raise InputError("no output path given (-o OUT)")
    check_output_path(output)
    if isinstance(input, Scene):
        raise InputError("an export on a cluster takes an input file, not a loaded Scene")
    path = default_twin() if input is None else os.fspath(input)
    check_target(settings, output)
    plan = ExportPlan(load(path), settings, output)
    # workers get the parsed profile, so a profile file of the user's needs no copy there
    settings = replace(settings, device=plan.profile)
    total = plan.timeline.frame_count
    check_frame_limit(plan.format, output, total)
    ranges = chunk_ranges(total, chunk_frames)
    ref = executor.input_ref(path)
    run = uuid.uuid4().hex
    name = os.path.basename(os.path.abspath(output))
    jobs = ((ChunkJob(run, settings, name, start, stop), ref) for start, stop in ranges)
    display = RunProgress(
        f"{name} on {executor.name}",
        len(ranges),
        total,
        executor.alive,
        unit="chunks",
        enabled=bool(progress) and not callable(progress),
    )
    moved = 0
    written = 0
    with atomic_output(output, directory=plan.format.directory) as temp:
        writer = plan.format.writer_class()(temp, plan.profile, plan.fps)
        packed = isinstance(writer, FanFileWriter)
        try:
            window = WINDOW_PER_SLOT * max(1, executor.slots)
            stream = ordered(executor, render_chunk, jobs, window, tick=display.tick)
            for chunk in stream:
                if chunk.start != written:
                    raise RuntimeError(f"chunk starts at frame {chunk.start}, expected {written}")
                for frame in chunk.frames():
                    if packed:
                        writer.write_packed(frame)
                    else:
                        writer.write(frame)
                written = chunk.stop
                moved += chunk.nbytes
                executor.bytes_received += chunk.nbytes
                executor.task_seconds += chunk.seconds
                stop_notice()  # a cold first run: the first chunk's worker has compiled
                display.done(chunk.stop - chunk.start, chunk.worker, chunk.seconds)
                if callable(progress):
                    progress(written, total)
                interrupt.check()  # a Ctrl-C that C code swallowed: see holopack.interrupt
            writer.close()
        except BaseException:
            stream.close()  # cancels the chunks still in flight
            abort = getattr(writer, "abort", None)
            if abort:
                abort()
            raise
    display.finish()
    moved += getattr(executor, "bytes_shipped", 0)
    return ClusterExportResult.of(
        plan,
        output,
        chunks=len(ranges),
        bytes_moved=moved,
        workers={k: list(v) for k, v in display.per_worker.items()},
        summary=display.summary_lines(),
    )
