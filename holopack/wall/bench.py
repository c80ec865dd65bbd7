"""``holopack bench --wall``: how fast a wall is made, as a ratio to real time.

Times the export loop of ``export --wall`` frame by frame (one canvas render, every
fan's resampling and quantisation, every fan's file written, the preview frame), and
in the same run the single-fan export of the same input to the first fan's device as
a peer, so the figures can be compared on a busy machine. Median frame times.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

from ..formats import get_format
from ..formats.mp4 import MP4Writer
from ..pipeline import ExportPlan, ExportSettings, default_twin
from ..scene.load import load
from .export import PREVIEW_PRESET, WallPlan
from .layout import load_wall
from .preview import WallPreview
from .weights import FanEncoder


def bench_wall(
    input_path, wall_path: str, frames: int = 60, warmup: int = 5, animation=None, preview: bool = True
) -> dict:
    """A report dict: per-stage median milliseconds, end-to-end fps and x real time,
    and the single-fan peer's fps measured alternately in the same run."""
    wall = load_wall(wall_path)
    path = os.fspath(input_path) if input_path else default_twin()
    scene = load(path)
    settings = ExportSettings(animation=animation, seconds=(frames + warmup) / wall.fps)
    plan = WallPlan(scene, wall, settings)
    total = plan.timeline.frame_count
    shower = WallPreview(plan.geometry) if preview else None
    first = wall.fans[0]
    peer = ExportPlan(
        scene,
        ExportSettings(device=first.profile, animation=animation, seconds=settings.seconds),
        "peer" + first.profile.layout.get("suffix", ".bin") if first.profile.is_polar else "peer.mp4",
    )
    stages = {"render": [], "fans": [], "write": [], "preview": [], "wall": [], "single_fan": []}
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
        try:
            for index in range(total):
                t0 = time.perf_counter()
                frame = plan.source.frame(index)
                t1 = time.perf_counter()
                flat = frame.linear.reshape(-1)
                occupied = plan.tiles.place(frame.tiles)
                outputs = [
                    enc.encode(flat, occupied, index)
                    if isinstance(enc, FanEncoder)
                    else enc.picture_from_linear(enc.linear(frame.linear))
                    for enc in plan.fans
                ]
                t2 = time.perf_counter()
                for writer, out in zip(writers, outputs):
                    writer.write(out)
                t3 = time.perf_counter()
                if preview_writer is not None:
                    preview_writer.write(shower.picture(outputs))
                t4 = time.perf_counter()
                peer_writer.write(peer.output_frame(index))
                t5 = time.perf_counter()
                if index >= warmup:
                    for name, dt in zip(
                        ("render", "fans", "write", "preview", "wall", "single_fan"),
                        (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0, t5 - t4),
                    ):
                        stages[name].append(dt)
        finally:
            for writer in writers + [peer_writer] + ([preview_writer] if preview_writer else []):
                writer.close()
    ms = {name: 1000.0 * statistics.median(times) for name, times in stages.items()}
    wall_fps = 1000.0 / ms["wall"]
    return {
        "input": os.path.basename(path),
        "wall": wall.name,
        "fans": len(wall.fans),
        "canvas_px": [plan.geometry.width, plan.geometry.height],
        "fps": plan.fps,
        "frames_timed": len(stages["wall"]),
        "median_ms": ms,
        "wall_fps": wall_fps,
        "x_real_time": wall_fps / plan.fps,
        "x_real_time_files_only": 1000.0 / (ms["wall"] - ms["preview"]) / plan.fps,
        "single_fan_fps": 1000.0 / ms["single_fan"],
        "wall_time_per_single_fan_time": ms["wall"] / ms["single_fan"],
    }


def format_wall_report(r: dict) -> str:
    ms = r["median_ms"]
    return "\n".join(
        [
            f"wall {r['wall']}: {r['fans']} fans, canvas {r['canvas_px'][0]} x {r['canvas_px'][1]} px, "
            f"{r['input']}, {r['frames_timed']} frames timed (median per frame)",
            f"  render (one canvas)      {ms['render']:8.1f} ms",
            f"  every fan's codes        {ms['fans']:8.1f} ms",
            f"  every fan's file         {ms['write']:8.1f} ms",
            f"  preview.mp4              {ms['preview']:8.1f} ms",
            f"  end to end               {ms['wall']:8.1f} ms = {r['wall_fps']:.1f} fps = "
            f"{r['x_real_time']:.2f} x real time at {r['fps']:g} fps "
            f"({r['x_real_time_files_only']:.2f} x without the preview)",
            f"  peer: one fan alone      {ms['single_fan']:8.1f} ms = {r['single_fan_fps']:.1f} fps; "
            f"the wall takes {r['wall_time_per_single_fan_time']:.2f} x its time",
        ]
    )
