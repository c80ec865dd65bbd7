"""Where a shading="pbr" frame's time goes, per stage and per term, in one run.

    python benchmarks/profile_pbr.py [--size 1024] [--frames 8] [--model FlightHelmet] [--cpu]

Per stage: each kernel the Renderer calls is timed on its own (transform and
setup, binning, visibility, shading and resolve, tone mapping). Per term: the same
turntable is drawn with one feature of the materials or the lights taken away
(no normal map, no metallic-roughness map, no lights, no tone mapping...) and the
median frame time is set beside the full frame's, so that each term's cost is the
difference. Variants take turns frame by frame, as in bench_pbr.py.

--cpu: one thread, timed by that thread's CPU time (time.thread_time) instead of the
wall clock. On a machine others are loading, wall-clock medians of the same code moved
by up to 30 % between runs (FlightHelmet's shading pass at 1024^2, load 3 to 7 on 2
cores; a term's difference, often a few ms, drowns in that), one thread's CPU time by
under 10 %: the mode to weigh a change to the shading by. The issue's bar is about
bench_pbr.py's 2-thread wall-clock figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from holopack.openmp import configure as configure_openmp  # noqa: E402

configure_openmp()

from bench_pbr import MODELS, turntable  # noqa: E402  (the benchmark beside this script)
from stage_times import RASTER_FACTORIES, RASTER_STAGES, StageTimes  # noqa: E402

from holopack.rendering import Renderer  # noqa: E402
from holopack.rendering import raster_kernel as raster  # noqa: E402
from holopack.rendering.punctual import default_rig  # noqa: E402

TIMES = StageTimes()
CLOCK = {"now": time.perf_counter}  # time.thread_time under --cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--model", default="FlightHelmet", choices=sorted(MODELS))
    parser.add_argument(
        "--cpu", action="store_true", help="one thread, timed by its CPU time (steadier under load)"
    )
    args = parser.parse_args()
    if args.cpu:
        import numba

        numba.set_num_threads(1)
        CLOCK["now"] = TIMES.cpu_clock = time.thread_time
    scene, posed, cams = turntable(args.model, args.frames)
    size = (args.size, args.size)
    rig = default_rig()

    def without(**fields):
        return [dataclasses.replace(m, **fields) for m in scene.materials]

    variants = {
        "unlit": ("unlit", scene.materials, rig, {}),
        "lit": ("lit", scene.materials, rig, {}),
        "pbr": ("pbr", scene.materials, rig, {}),
        "pbr, no tone mapping": ("pbr", scene.materials, rig, {"tone_mapping": "none"}),
        "pbr, no normal map": ("pbr", without(normal_texture=None), rig, {}),
        "pbr, no metal-rough map": ("pbr", without(metallic_roughness_texture=None), rig, {}),
        "pbr, no maps": ("pbr", without(normal_texture=None, metallic_roughness_texture=None), rig, {}),
        "pbr, no lights": ("pbr", scene.materials, [], {}),
        "pbr, one light": ("pbr", scene.materials, rig[:1], {}),
        "pbr + studio": ("pbr", scene.materials, rig, {"environment": "studio"}),
    }
    renderers = {name: Renderer(size, 1, lights=v[2]) for name, v in variants.items()}

    def draw(name, cam):
        shading, materials, _, extra = variants[name]
        return renderers[name].draw(
            posed, materials, scene.textures, cam.view, cam.projection, shading, **extra
        )

    for name in variants:  # compile and decode outside the timing
        draw(name, cams[0])
    frame_times: dict[str, list[float]] = defaultdict(list)
    for cam in cams:
        for name in variants:
            t0 = CLOCK["now"]()
            draw(name, cam)
            frame_times[name].append(CLOCK["now"]() - t0)
    base = statistics.median(frame_times["unlit"])
    full = statistics.median(frame_times["pbr"])
    unit = "one thread's CPU ms" if args.cpu else "ms"
    print(f"{args.model} at {args.size}^2, {args.frames} frames, medians in {unit}")
    print(f"{'variant':28s} {'ms':>7s} {'/unlit':>7s} {'pbr minus it':>13s} {'fastest':>8s}")
    for name in variants:
        ms = statistics.median(frame_times[name])
        fastest = 1000 * min(frame_times[name])
        print(f"{name:28s} {1000 * ms:7.1f} {ms / base:7.2f} {1000 * (full - ms):13.1f} {fastest:8.1f}")
    # per stage: the kernels of the unlit and the pbr frame
    import holopack.rendering.pbr_setup as pbr_setup

    tone = pbr_setup.tone_map
    originals = TIMES.wrap(raster, RASTER_STAGES, RASTER_FACTORIES)
    try:
        pbr_setup.tone_map = TIMES.timed("tone_map", tone)
        print(f"\n{'stage':20s} {'unlit ms':>9s} {'pbr ms':>9s}")
        per: dict[str, dict[str, list[float]]] = {"unlit": defaultdict(list), "pbr": defaultdict(list)}
        for cam in cams:  # taking turns, as above
            for name in ("unlit", "pbr"):
                TIMES.clear()
                draw(name, cam)
                for stage, t in (TIMES.cpu if args.cpu else TIMES.wall).items():
                    per[name][stage] += t
        medians = {name: {k: 1000 * statistics.median(t) for k, t in d.items()} for name, d in per.items()}
        for stage in list(RASTER_STAGES) + ["tone_map"]:
            a = medians["unlit"].get(stage)
            b = medians["pbr"].get(stage)
            if a is None and b is None:
                continue
            print(
                f"{stage:20s} {'-' if a is None else f'{a:.1f}':>9s} {'-' if b is None else f'{b:.1f}':>9s}"
            )
    finally:
        TIMES.unwrap(raster, originals)
        pbr_setup.tone_map = tone


if __name__ == "__main__":
    main()
