"""A run of an export's frames, rendered and packed on a worker.

What travels back is what the file stores, never float pictures (shipping float
frames cut throughput to a third): a fan file's frames as the format's ``pack``
makes them (42-F2 bit-planes, legacy rays), other formats' frames as the uint8 codes
or sRGB pictures their writer takes, zlib-compressed (black, the most common value,
is zeros).

Frames are pure functions of their index (the pose, the turntable angle and the
dither map all come from the frame index; no writer carries state from one frame to
the next but the frame counter), so chunks rendered anywhere, in any order, and
written in frame order make the same bytes as a serial export.
"""

from __future__ import annotations

import collections
import os
import threading
import time
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .inputs import materialise, worker_name

if TYPE_CHECKING:
    from ..pipeline.settings import ExportSettings

DEFAULT_CHUNK_FRAMES = 16  # fastest of 16/32/64 in benchmarks/bench_cluster.py: see docs/cluster.md
ZLIB_LEVEL = 1  # fast: a 42-F2 frame (129 KB, mostly zeros) packs in well under a millisecond
PLANS_KEPT = 4


@dataclass(frozen=True)
class ChunkJob:
    """Frames [start, stop) of one export run. ``settings``: an ExportSettings whose
    device is a DeviceProfile (workers need no profile file); ``output_name``: the
    target's file name (its suffix picks the format); ``run``: names the run, so that
    a worker builds the run's plan (scene, camera fit, encoder) once for all its chunks."""

    run: str
    settings: ExportSettings
    output_name: str
    start: int
    stop: int


@dataclass
class Chunk:
    """A chunk's frames, packed. kind "packed": ``data`` holds the file's bytes of each
    frame, ``lengths`` long; kind "frames": uint8 arrays of ``shape`` one after another.
    ``worker``: who rendered it; ``seconds``: its time there."""

    start: int
    stop: int
    kind: str
    data: bytes
    lengths: tuple = ()
    shape: tuple = ()
    worker: str = ""
    seconds: float = 0.0

    @property
    def nbytes(self) -> int:
        return len(self.data)

    def frames(self):
        """What the writer takes, frame by frame: bytes (packed) or uint8 arrays."""
        raw = zlib.decompress(self.data)
        if self.kind == "packed":
            offset = 0
            for length in self.lengths:
                yield raw[offset : offset + length]
                offset += length
            return
        frames = np.frombuffer(raw, np.uint8).reshape((self.stop - self.start, *self.shape))
        yield from frames


class _WorkerPlan:
    def __init__(self, job: ChunkJob, ref):
        from ..formats.stream import FanFileWriter
        from ..pipeline import ExportPlan
        from ..scene.load import load

        self.plan = ExportPlan(load(materialise(ref)), job.settings, job.output_name)
        writer = self.plan.format.writer_class()
        # a fan file's writer packs frames with its profile alone; the instance writes its
        # header to the null device and is used only for ``pack``
        self.packer = (
            writer(os.devnull, self.plan.profile, self.plan.fps)
            if issubclass(writer, FanFileWriter)
            else None
        )


_PLANS: collections.OrderedDict = collections.OrderedDict()
_LOCK = threading.Lock()


def _plan_for(job: ChunkJob, ref) -> _WorkerPlan:
    # per thread too: a worker with several task threads must not share one renderer's buffers
    key = (job.run, threading.get_ident())
    with _LOCK:
        plan = _PLANS.get(key)
        if plan is not None:
            _PLANS.move_to_end(key)
            return plan
    plan = _WorkerPlan(job, ref)
    with _LOCK:
        _PLANS[key] = plan
        while len(_PLANS) > PLANS_KEPT:
            _PLANS.popitem(last=False)
    return plan


def render_chunk(job: ChunkJob, ref) -> Chunk:
    """On a worker: frames [job.start, job.stop) rendered, encoded and packed."""
    started = time.perf_counter()
    state = _plan_for(job, ref)
    plan, packer = state.plan, state.packer
    if packer is not None:
        parts = [packer.pack(plan.output_frame(i)) for i in range(job.start, job.stop)]
        data = zlib.compress(b"".join(parts), ZLIB_LEVEL)
        chunk = Chunk(job.start, job.stop, "packed", data, lengths=tuple(len(p) for p in parts))
    else:
        frames = [np.ascontiguousarray(plan.output_frame(i), np.uint8) for i in range(job.start, job.stop)]
        data = zlib.compress(np.stack(frames).tobytes(), ZLIB_LEVEL)
        chunk = Chunk(job.start, job.stop, "frames", data, shape=tuple(frames[0].shape))
    chunk.worker = worker_name()
    chunk.seconds = time.perf_counter() - started
    return chunk


def chunk_ranges(frames: int, chunk_frames: int) -> list[tuple[int, int]]:
    """[start, stop) of each chunk, in order."""
    step = max(1, int(chunk_frames))
    return [(s, min(frames, s + step)) for s in range(0, frames, step)]
