"""Where an unlit, textured frame's time goes, per stage, and what each stage is given.

    python benchmarks/profile_render.py [--size 1024] [--frames 10] [--models ...] [--cpu]

The turntable and settings of bench_render.py (supersample 1, unlit with textures).
Per stage: each kernel the Renderer calls is timed on its own, by the wall clock
and by the process's CPU time (all threads), medians over the frames. Per frame:
how many triangles survive culling and why the others do not, the binned records
per tile, the samples the records cover against the samples left visible (the
depth pass's overdraw), and the shading pass without the textures (the same
frames with the materials' textures taken away), so that the texture fetches'
cost is the difference.

--cpu: one thread, timed by its CPU time (time.thread_time): steadier on a machine
that others load.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from holopack.openmp import configure as configure_openmp  # noqa: E402

configure_openmp()

from bench_render import MODELS, cameras, model  # noqa: E402  (the benchmark beside this script)
from stage_times import RASTER_FACTORIES, RASTER_STAGES, StageTimes  # noqa: E402

from holopack.rendering import Renderer  # noqa: E402
from holopack.rendering import raster_kernel as raster  # noqa: E402

TIMES = StageTimes()


def frame_counts(renderer: Renderer) -> dict[str, float]:
    """What the last draw gave each stage (numpy, from the Renderer's buffers)."""
    m = len(renderer._tri_idx)
    vfix = renderer._vfix
    vcode = renderer._vcode
    tri = renderer._tri_idx.astype(np.int64)
    o = vcode[tri]
    outside = (o[:, 0] & o[:, 1] & o[:, 2] & 63) != 0
    clipped = renderer._needs_clip[:m] != 0
    x = vfix[tri, 0]
    y = vfix[tri, 1]
    area = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (x[:, 2] - x[:, 0]) * (y[:, 1] - y[:, 0])
    inside = ~outside & ~clipped
    live = renderer._rec_tri[:m] >= 0
    back = inside & (area > 0) & ~live
    degenerate = inside & (area == 0)
    no_centre = inside & ~live & ~back & ~degenerate
    records = live
    bbox = renderer._rec_bbox[:m][records]
    boxes = (bbox[:, 1] - bbox[:, 0] + 1) * (bbox[:, 3] - bbox[:, 2] + 1)
    pixels = np.abs(area[records]) / float(raster.ONE * raster.ONE)
    per_tile = np.diff(renderer._tile_start)
    reached = per_tile[per_tile > 0]
    visible = int(np.count_nonzero(renderer._ids >= 0))
    return {
        "triangles": m,
        "outside the view": int(np.count_nonzero(outside)),
        "back-facing": int(np.count_nonzero(back)),
        "zero area": int(np.count_nonzero(degenerate)),
        "no pixel centre": int(np.count_nonzero(no_centre)),
        "clipped": int(np.count_nonzero(clipped)),
        "records": int(np.count_nonzero(live)),
        "median record area (px)": float(np.median(pixels)) if len(pixels) else 0.0,
        "median record box (px)": float(np.median(boxes)) if len(boxes) else 0.0,
        "binned entries": int(renderer._tile_start[-1]),
        "entries per record": float(renderer._tile_start[-1] / max(1, np.count_nonzero(live))),
        "tiles reached": len(reached),
        "mean entries per reached tile": float(reached.mean()) if len(reached) else 0.0,
        "max entries per tile": int(reached.max()) if len(reached) else 0,
        "covered samples (sum of areas)": float(pixels.sum()),
        "visible samples": visible,
        "overdraw (covered / visible)": float(pixels.sum() / max(1, visible)),
        "box samples (sum of boxes)": float(boxes.sum()),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--models", nargs="+", default=["BrainStem", "FlightHelmet"], choices=sorted(MODELS))
    parser.add_argument("--cpu", action="store_true", help="one thread, timed by its CPU time")
    args = parser.parse_args()
    if args.cpu:
        import numba

        numba.set_num_threads(1)
        TIMES.cpu_clock = time.thread_time
    print(f"load average before the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for name in args.models:
        posed, materials, textures = model(name)
        bare = [dataclasses.replace(m, base_color_texture=None, emissive_texture=None) for m in materials]
        cams = cameras(posed, args.frames)
        size = (args.size, args.size)
        renderers = {"textured": Renderer(size, 1), "untextured": Renderer(size, 1)}
        sets = {"textured": materials, "untextured": bare}
        for key, r in renderers.items():  # compile, decode textures
            r.draw(posed, sets[key], textures, cams[0].view, cams[0].projection, "unlit")
        per: dict[str, dict[str, tuple[list[float], list[float]]]] = {
            k: defaultdict(lambda: ([], [])) for k in renderers
        }
        frame: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in renderers}
        counts: dict[str, list[float]] = defaultdict(list)
        originals = TIMES.wrap(raster, RASTER_STAGES, RASTER_FACTORIES)
        try:
            for cam in cams:
                for key, r in renderers.items():  # in turns
                    TIMES.clear()
                    c0 = TIMES.cpu_clock()
                    t0 = time.perf_counter()
                    r.draw(posed, sets[key], textures, cam.view, cam.projection, "unlit")
                    frame[key][0].append(time.perf_counter() - t0)
                    frame[key][1].append(TIMES.cpu_clock() - c0)
                    for stage in TIMES.wall:
                        per[key][stage][0].append(sum(TIMES.wall[stage]))
                        per[key][stage][1].append(sum(TIMES.cpu[stage]))
                    if key == "textured":
                        for k, v in frame_counts(r).items():
                            counts[k].append(v)
        finally:
            TIMES.unwrap(raster, originals)
        tris = sum(len(p.primitive.indices) for p in posed)
        unit = "one thread's CPU" if args.cpu else "process CPU"
        print(f"\n{name} ({tris} triangles) at {args.size}^2 unlit, {args.frames} frames, medians")
        print(f"{'stage':16s} {'wall ms':>8s} {'CPU ms':>8s} {'share':>6s} {'untextured CPU':>15s}")
        total = statistics.median(frame["textured"][1])
        for stage in RASTER_STAGES:
            if stage not in per["textured"]:
                continue
            w = 1000 * statistics.median(per["textured"][stage][0])
            c = 1000 * statistics.median(per["textured"][stage][1])
            u = per["untextured"].get(stage)
            bare_c = f"{1000 * statistics.median(u[1]):.2f}" if u else "-"
            print(f"{stage:16s} {w:8.2f} {c:8.2f} {c / (1000 * total):6.0%} {bare_c:>15s}")
        for key in renderers:
            print(
                f"{'frame, ' + key:16s} {1000 * statistics.median(frame[key][0]):8.2f} "
                f"{1000 * statistics.median(frame[key][1]):8.2f} ({unit})"
            )
        for k, v in counts.items():
            med = statistics.median(v)
            print(f"  {k}: {med:.3g}" if isinstance(med, float) else f"  {k}: {med}")


if __name__ == "__main__":
    main()
