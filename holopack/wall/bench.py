"""``holopack bench --wall``: how fast a wall is made, as a ratio to real time.

Two loops over the same frames, each beside the single-fan export of the same input to
the first fan's device (the peer), so the figures can be compared on a busy machine:

1. the stage loop: one canvas render, every fan's resampling and quantisation, every
   fan's file written, the preview frame, each timed in turn (median per frame), and
   the peer's frame timed after each wall frame: where the time goes;
2. the end-to-end loop: exactly ``export --wall``'s loop, the next canvas drawn on a
   worker thread while the fans of this one are made and written (prefetch.py),
   timed in blocks that alternate with blocks of the peer's export loop: the frame
   rate the export reaches, reported as a ratio to real time.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from functools import partial

import numpy as np

from .. import options
from ..formats import get_format
from ..formats.mp4 import MP4Writer
from ..notices import held, leaving_out
from ..pipeline import ExportPlan, ExportSettings, default_twin
from ..pipeline.frames import PARTIAL_LOOP
from ..scene.load import load
from .export import PREVIEW_PRESET, WallPlan
from .layout import load_wall
from .prefetch import prefetched
from .preview import WallPreview

BLOCKS = 3  # end-to-end blocks of the wall, each followed by one of the peer


def bench_wall(
    input_path,
    wall_path: str,
    frames: int = 60,
    warmup: int = 5,
    animation=None,
    preview: bool = True,
    video: dict | None = None,
    look: dict | None = None,
) -> dict:
    """A report dict: per-stage median milliseconds, end-to-end fps and x real time,
    and the single-fan peer's fps measured alternately in the same run. ``video``:
    key/crop/loop/levels for video input, as ExportSettings takes them (both the wall
    and its peer process the clip with them); ``look``: the shading options and the
    material variant (holopack.options.LOOK_OPTIONS) both draw with."""
    chosen = {**(video or {}), **options.settings_fields(look or {})[0]}  # both faces' own options
    wall = load_wall(wall_path)
    path = os.fspath(input_path) if input_path else default_twin()
    scene = load(path)
    # both loops run warmup + frames frames, twice: a clip of that length
    settings = ExportSettings(animation=animation, seconds=(2 * frames + warmup) / wall.fps, **chosen)
    first = wall.fans[0]
    # the wall and its peer cut the clip alike: a notice is said once, but not one about
    # the clip's length, which is the bench's own choice, not a --seconds of the user's
    with held(), leaving_out(PARTIAL_LOOP):
        plan = WallPlan(scene, wall, settings)
        peer = ExportPlan(
            scene,
            ExportSettings(device=first.profile, animation=animation, seconds=settings.seconds, **chosen),
            "peer" + first.profile.layout.get("suffix", ".bin") if first.profile.is_polar else "peer.mp4",
        )
    shower = WallPreview(plan.geometry) if preview else None
    stages: dict[str, list[float]] = {
        name: [] for name in ("render", "fans", "write", "preview", "in_sequence", "single_fan")
    }
    blocks: dict[str, list[float]] = {"wall": [], "single_fan": []}
    with tempfile.TemporaryDirectory(prefix="holopack-bench-wall-") as folder:
        writers = [
            get_format(f.profile.format).writer_class()(
                os.path.join(folder, f.file_name), f.profile, plan.fps
            )
            for f in wall.fans
        ]
        peer_writer = peer.format.writer_class()(
            os.path.join(folder, "peer" + ("" if peer.polar else ".mp4")), peer.profile, plan.fps
        )
        preview_writer = (
            MP4Writer(os.path.join(folder, "preview.mp4"), None, plan.fps, preset=PREVIEW_PRESET)
            if preview
            else None
        )

        def wall_frame(index: int, canvas) -> None:
            fan_frames = plan.frames_from(canvas, index)
            for writer, out in zip(writers, fan_frames):
                writer.write(out)
            if preview_writer is not None and shower is not None:  # both made for a preview
                preview_writer.write(shower.picture(fan_frames))

        try:
            for index in range(warmup + frames):
                t0 = time.perf_counter()
                canvas = plan.canvas(index)
                t1 = time.perf_counter()
                fan_frames = plan.frames_from(canvas, index)
                t2 = time.perf_counter()
                for writer, out in zip(writers, fan_frames):
                    writer.write(out)
                t3 = time.perf_counter()
                if preview_writer is not None and shower is not None:  # both made for a preview
                    preview_writer.write(shower.picture(fan_frames))
                t4 = time.perf_counter()
                peer_writer.write(peer.output_frame(index))
                t5 = time.perf_counter()
                if index >= warmup:
                    for name, dt in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0, t5 - t4)):
                        stages[name].append(dt)
            start = warmup + frames
            size = max(1, frames // BLOCKS)
            for block in range(BLOCKS):
                first_index = start + block * size
                count = min(size, warmup + 2 * frames - first_index)
                if count <= 0:
                    break
                t0 = time.perf_counter()
                for index, canvas in prefetched(partial(_canvas_at, plan, first_index), count):
                    wall_frame(first_index + index, canvas)
                t1 = time.perf_counter()
                for index in range(first_index, first_index + count):
                    peer_writer.write(peer.output_frame(index))
                t2 = time.perf_counter()
                blocks["wall"].append((t1 - t0) / count)
                blocks["single_fan"].append((t2 - t1) / count)
        finally:
            for writer in writers + [peer_writer] + ([preview_writer] if preview_writer else []):
                writer.close()
    ms = {name: 1000.0 * statistics.median(times) for name, times in stages.items()}
    ms["wall"] = 1000.0 * statistics.median(blocks["wall"])
    ms["single_fan_end_to_end"] = 1000.0 * statistics.median(blocks["single_fan"])
    wall_fps = 1000.0 / ms["wall"]
    return {
        "input": os.path.basename(path),
        "wall": wall.name,
        "fans": len(wall.fans),
        "canvas_px": [plan.geometry.width, plan.geometry.height],
        "fps": plan.fps,
        "frames_timed": len(stages["in_sequence"]),
        "median_ms": ms,
        "wall_fps": wall_fps,
        "x_real_time": wall_fps / plan.fps,
        "x_real_time_in_sequence": 1000.0 / ms["in_sequence"] / plan.fps,
        "x_real_time_files_only_in_sequence": 1000.0 / (ms["in_sequence"] - ms["preview"]) / plan.fps,
        "single_fan_fps": 1000.0 / ms["single_fan_end_to_end"],
        "wall_time_per_single_fan_time": ms["wall"] / ms["single_fan_end_to_end"],
    }


def _canvas_at(plan: WallPlan, first: int, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Canvas ``first + i`` of ``plan`` (a block's frames, counted from its first)."""
    return plan.canvas(first + i)


def format_wall_report(r: dict) -> str:
    ms = r["median_ms"]
    seq = ms["in_sequence"]

    def share(name: str) -> str:
        return f"{ms[name]:8.1f} ms  {100.0 * ms[name] / seq:3.0f} %"

    return "\n".join(
        [
            f"wall {r['wall']}: {r['fans']} fans, canvas {r['canvas_px'][0]} x {r['canvas_px'][1]} px, "
            f"{r['input']}, {r['frames_timed']} frames timed (median per frame)",
            "stages, one after another:",
            f"  render (one canvas)      {share('render')}",
            f"  every fan's codes        {share('fans')}",
            f"  every fan's file         {share('write')}",
            f"  preview.mp4              {share('preview')}",
            f"  in sequence              {seq:8.1f} ms = {r['x_real_time_in_sequence']:.2f} x real time "
            f"({r['x_real_time_files_only_in_sequence']:.2f} x without the preview)",
            f"  peer: one fan alone      {ms['single_fan']:8.1f} ms",
            "end to end (the export's loop, next canvas drawn meanwhile):",
            f"  wall                     {ms['wall']:8.1f} ms = {r['wall_fps']:.1f} fps = "
            f"{r['x_real_time']:.2f} x real time at {r['fps']:g} fps",
            f"  peer: one fan alone      {ms['single_fan_end_to_end']:8.1f} ms = {r['single_fan_fps']:.1f} fps; "
            f"the wall takes {r['wall_time_per_single_fan_time']:.2f} x its time",
        ]
    )
