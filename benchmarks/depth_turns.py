"""Frame times of the renderer with the working tree's depth pass against a git
revision's, frame by frame in turns in one process.

    python benchmarks/depth_turns.py [--rev main] [--frames 10] [--runs 3]

The other revision's depth pass (``raster_kernel._depth_kernel``, compiled from that
revision's source beside this tree's other kernels) stands in for this tree's; all
else is this tree's code. For each case (bench_render.py's turntable of the bunny,
BrainStem and FlightHelmet at 1024 x 1024, supersample 1: unlit with textures, lit
and pbr; the bundled default twin, lit, at the 42-F2's render size with export's
supersampling) each frame is drawn by both in turns, timed by the wall clock and the
process's CPU time (all threads); medians per run, then the median of the runs. Each
pair of pictures is compared: the visibility (record ids and depth) must be identical.

    python benchmarks/depth_turns.py --rev main --pass-only [--repeat 7]

``--pass-only``: the depth pass alone, on one thread, timed by its CPU time: for each
view of the bunny, BrainStem and FlightHelmet (unlit, 1024 x 1024) both passes run on
that frame's own records ``--repeat`` times in turns; per model the medians of each and
of the new / old ratio of each pair, with its quartiles.
"""

from __future__ import annotations

import re
import statistics
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from holopack.openmp import configure as configure_openmp  # noqa: E402

configure_openmp()

from bench_render import cameras, model  # noqa: E402
from revision import load_average, source_at, turns_parser  # noqa: E402

from holopack.rendering import Renderer  # noqa: E402
from holopack.rendering import raster_kernel as raster  # noqa: E402
from holopack.rendering.renderer import DEFAULT_SUPERSAMPLE  # noqa: E402
from holopack.scene.load import load  # noqa: E402


def depth_kernels(rev: str):
    """raster_opaque's two workers (unmasked, masked) as revision ``rev`` wrote them."""
    text = source_at(rev, "holopack/rendering/raster_kernel.py")
    start = text.index("def _depth_kernel(")
    stop = text.index("\n# each variant a global of its own", start)
    source = textwrap.dedent(text[start:stop]).replace("cache=True", "cache=False")
    namespace = dict(raster.__dict__)
    fixed = re.search(r"^DEPTH_LANES = (\d+)$", text, re.M)
    if fixed:  # a revision whose runs had one length on every CPU: that length, not ours
        namespace["DEPTH_LANES"] = int(fixed.group(1))
    exec(compile(source, f"{rev}:raster_kernel.py", "exec"), namespace)
    return namespace["_depth_kernel"](False), namespace["_depth_kernel"](True)


def runner(workers):
    def opaque_kernel(masked):
        worker = workers[1] if masked else workers[0]

        def raster_opaque(bins, grid, records, surface, depth, ids):
            raster.run(worker, np.zeros(1, np.int64), bins, grid, records, surface, depth, ids)

        return raster_opaque

    return opaque_kernel


def cases(frames):
    from holopack.pipeline import default_twin

    for name in ("bunny", "BrainStem", "FlightHelmet"):
        posed, materials, textures = model(name)
        cams = cameras(posed, frames)
        for shading in ("unlit", "lit", "pbr"):
            yield f"{name} {shading} 1024 s1", posed, materials, textures, cams, shading, (1024, 1024), 1
    scene = load(default_twin())
    posed = scene.pose(None, 0.0)
    cams = cameras(posed, frames)
    size = (672, 672)  # the 3dcircle-42f2's render size
    yield (
        f"default twin lit 672 s{DEFAULT_SUPERSAMPLE}",
        posed,
        scene.materials,
        scene.textures,
        cams,
        "lit",
        size,
        DEFAULT_SUPERSAMPLE,
    )


def pass_only(rev: str, frames: int, repeat: int) -> None:
    """The depth pass of ``rev`` against this tree's, one thread, on each frame's records."""
    import numba

    numba.set_num_threads(1)
    old_worker = depth_kernels(rev)[0]
    new_worker = raster._raster_tiles
    print(f"load average before: {load_average()}")
    print(f"old = {rev}'s depth pass, new = this tree's; one thread's CPU, {repeat} pairs a view")
    print("| model | views | old ms | new ms | new/old (median of pairs) | quartiles |")
    print("|---|---:|---:|---:|---:|---|")
    factory = raster.opaque_kernel
    for name in ("BrainStem", "FlightHelmet", "bunny"):
        posed, materials, textures = model(name)
        times: dict[str, list[float]] = {"old": [], "new": []}
        ratios: list[float] = []
        views = [0]

        def measured(masked, times=times, ratios=ratios, views=views):
            kernel = factory(masked)

            def raster_opaque(bins, grid, records, surface, depth, ids):
                if not masked:  # the records are this frame's only while it is drawn
                    seen = {}
                    for key, worker in (("old", old_worker), ("new", new_worker)):
                        d, i = depth.copy(), ids.copy()
                        raster.run(worker, np.zeros(1, np.int64), bins, grid, records, surface, d, i)
                        seen[key] = (d, i)
                    assert np.array_equal(seen["old"][0], seen["new"][0]), name
                    assert np.array_equal(seen["old"][1], seen["new"][1]), name
                    for _ in range(repeat):
                        for key, worker in (("old", old_worker), ("new", new_worker)):
                            c0 = time.thread_time()
                            raster.run(
                                worker, np.zeros(1, np.int64), bins, grid, records, surface, depth, ids
                            )
                            times[key].append(time.thread_time() - c0)
                        ratios.append(times["new"][-1] / times["old"][-1])
                    views[0] += 1
                kernel(bins, grid, records, surface, depth, ids)

            return raster_opaque

        renderer = Renderer((1024, 1024), 1)
        raster.opaque_kernel = measured
        try:
            for cam in cameras(posed, frames):
                renderer.draw(posed, materials, textures, cam.view, cam.projection, "unlit")
        finally:
            raster.opaque_kernel = factory
        o, n = (1000 * statistics.median(times[k]) for k in ("old", "new"))
        q1, q3 = np.percentile(ratios, [25, 75])
        print(
            f"| {name} | {views[0]} | {o:.2f} | {n:.2f} | {statistics.median(ratios):.3f} | {q1:.3f}-{q3:.3f} |",
            flush=True,
        )
    print(f"load average after: {load_average()}")


def main():
    parser = turns_parser(__doc__.splitlines()[0])
    parser.add_argument("--pass-only", action="store_true", help="the depth pass alone, one thread")
    parser.add_argument("--repeat", type=int, default=7, help="--pass-only: pairs of runs a view")
    args = parser.parse_args()
    if args.pass_only:
        pass_only(args.rev, args.frames, args.repeat)
        return
    old = runner(depth_kernels(args.rev))
    new = raster.opaque_kernel
    print(f"load average before: {load_average()}")
    print(
        f"old = {args.rev}'s depth pass, new = this tree's; medians of {args.runs} runs of {args.frames} frames"
    )
    print("| case | old ms | new ms | new/old | old CPU ms | new CPU ms | new/old CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, posed, materials, textures, cams, shading, size, s in cases(args.frames):
        renderers = {"old": Renderer(size, s), "new": Renderer(size, s)}
        factories = {"old": old, "new": new}

        def draw(key, cam):
            raster.opaque_kernel = factories[key]
            try:
                return renderers[key].draw(posed, materials, textures, cam.view, cam.projection, shading)
            finally:
                raster.opaque_kernel = new

        for key in renderers:  # compile, decode textures
            draw(key, cams[0])
        runs = {key: ([], []) for key in renderers}
        for _ in range(args.runs):
            wall = {key: [] for key in renderers}
            cpu = {key: [] for key in renderers}
            for cam in cams:
                seen = {}
                for key in renderers:
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                    draw(key, cam)
                    wall[key].append(time.perf_counter() - t0)
                    cpu[key].append(time.process_time() - c0)
                    seen[key] = renderers[key].visibility()
                assert np.array_equal(seen["old"][0], seen["new"][0]), label
                assert np.array_equal(seen["old"][1], seen["new"][1]), label
            for key in renderers:
                runs[key][0].append(statistics.median(wall[key]))
                runs[key][1].append(statistics.median(cpu[key]))
        o_w, n_w = (1000 * statistics.median(runs[k][0]) for k in ("old", "new"))
        o_c, n_c = (1000 * statistics.median(runs[k][1]) for k in ("old", "new"))
        print(
            f"| {label} | {o_w:.2f} | {n_w:.2f} | {n_w / o_w:.3f} | {o_c:.2f} | {n_c:.2f} | {n_c / o_c:.3f} |",
            flush=True,
        )
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
