"""The texture sampler of this tree against a git revision's, on a real frame's fetches.

    python benchmarks/sampler_turns.py [--rev main] [--model FlightHelmet] [--views 4] [--runs 9]

For each of ``views`` views of bench_render.py's turntable (1024 x 1024, supersample 1,
unlit), the base colour fetches of the visible fragments, in the order the band shader
makes them (row by row): texture, UV and UV derivatives one pixel right and down, as
raster_kernel.record_weights and texture_kernel.fragment_uv compute them (numpy here).
Both samplers (``texture_kernel._sample_at``; the revision's compiled from its source
in this process) sample them all in turns on one thread, timed by its CPU time; their
results must be identical. Also printed: the textures' sizes and the fetches' mip
levels (level 0 with no blend: a magnified fragment, one bilinear fetch).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_render import cameras, model  # noqa: E402
from revision import load_average, source_at, turns_parser  # noqa: E402

from holopack.rendering import Renderer, texture_kernel  # noqa: E402
from holopack.rendering import raster_kernel as raster  # noqa: E402
from holopack.rendering.shading import A_BASE_UV, M_BASE_TEX  # noqa: E402
from holopack.rendering.texel_mix import data_pointer  # noqa: E402


def old_sampler(rev: str):
    """``_sample_at`` as revision ``rev`` wrote it, compiled beside this tree's helpers."""
    text = source_at(rev, "holopack/rendering/texture_kernel.py")
    start = text.index("@njit", text.index("def sample_trilinear("))  # _sample_at's decorator
    stop = text.index("\n@njit", text.index("def _sample_at(", start))
    source = text[start:stop].replace("cache=True", "cache=False")
    namespace = dict(texture_kernel.__dict__)
    exec(compile(source, f"{rev}:texture_kernel.py", "exec"), namespace)
    return namespace["_sample_at"]


def fetches(renderer: Renderer):
    """The last frame's base colour fetches in row order: (t, u, v, du/dx, dv/dx, du/dy,
    dv/dy), numpy arrays over the visible fragments whose material has a texture."""
    ids = renderer.visibility()[0]
    ys, xs = np.nonzero(ids >= 0)
    r = ids[ys, xs]
    plane = renderer._rec_plane[r]
    t = renderer._material[plane[:, raster.P_MATERIAL].astype(int), M_BASE_TEX].astype(np.int64)
    px = xs + 0.5 - plane[:, raster.P_XMIN]
    py = ys + 0.5 - plane[:, raster.P_YMIN]
    corners = plane[:, raster.P_V0 : raster.P_V2 + 1].astype(int)
    attr = renderer._attr

    def uv(dx, dy):
        q = [
            plane[:, 3 * k] + plane[:, 3 * k + 1] * (px + dx) + plane[:, 3 * k + 2] * (py + dy)
            for k in range(3)
        ]
        s = 1.0 / (q[0] + q[1] + q[2])
        return [sum(q[k] * s * attr[corners[:, k], A_BASE_UV + c] for k in range(3)) for c in (0, 1)]

    (u, v), (ux, vx), (uy, vy) = uv(0, 0), uv(1, 0), uv(0, 1)
    keep = t >= 0
    return tuple(np.ascontiguousarray(a[keep]) for a in (t, u, v, ux - u, vx - v, uy - u, vy - v))


def runner(sampler):
    @njit(error_model="numpy")
    def sample_all(pool, levels, level_count, wrap, t, u, v, dux, dvx, duy, dvy, out):
        p, lv, lc, wr = (
            data_pointer(pool),
            data_pointer(levels),
            data_pointer(level_count),
            data_pointer(wrap),
        )
        for k in range(u.shape[0]):
            r, g, b, a = sampler(p, lv, lc, wr, t[k], u[k], v[k], dux[k], dvx[k], duy[k], dvy[k])
            out[k, 0] = r
            out[k, 1] = g
            out[k, 2] = b
            out[k, 3] = a

    return sample_all


def main():
    parser = turns_parser(__doc__.splitlines()[0], frames=None, runs=9)
    parser.add_argument("--model", default="FlightHelmet")
    parser.add_argument("--views", type=int, default=4)
    args = parser.parse_args()
    posed, materials, textures = model(args.model)
    print(f"load average before: {load_average()}")
    sizes = sorted({tuple(x.pixels.shape[:2]) for x in textures})
    print(f"{args.model}: {len(textures)} textures, sizes {sizes}")
    samplers = {"old": runner(old_sampler(args.rev)), "new": runner(texture_kernel._sample_at)}
    renderer = Renderer((1024, 1024), 1)
    print(f"old = {args.rev}'s _sample_at, new = this tree's; one thread's CPU, medians of {args.runs}")
    print(
        "| view | fetches | level 0, no blend | level < 1 | level >= 2 | old ms | new ms | new/old | identical |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    cams = cameras(posed, 10)
    for view in range(args.views):
        cam = cams[view * len(cams) // args.views]
        renderer.draw(posed, materials, textures, cam.view, cam.projection, "unlit")
        pool, levels, level_count, wrap = renderer._textures._packed
        f = fetches(renderer)
        t, u, v, dux, dvx, duy, dvy = f
        w0, h0 = levels[t, 0, 1], levels[t, 0, 2]
        rho2 = np.maximum((dux * w0) ** 2 + (dvx * h0) ** 2, (duy * w0) ** 2 + (dvy * h0) ** 2)
        level = np.minimum(
            np.where(rho2 > 1.0, 0.5 * np.log2(np.maximum(rho2, 1.0)), 0.0), level_count[t] - 1
        )
        outs = {key: np.zeros((len(u), 4)) for key in samplers}
        times: dict[str, list[float]] = {key: [] for key in samplers}
        for key, sample_all in samplers.items():  # compile
            sample_all(pool, levels, level_count, wrap, *f, outs[key])
        for _ in range(args.runs):
            for key, sample_all in samplers.items():
                c0 = time.thread_time()
                sample_all(pool, levels, level_count, wrap, *f, outs[key])
                times[key].append(time.thread_time() - c0)
        old, new = (1000 * statistics.median(times[k]) for k in ("old", "new"))
        same = np.array_equal(outs["old"], outs["new"])
        print(
            f"| {view} | {len(u)} | {np.mean(level == 0):.3f} | {np.mean(level < 1):.3f} | "
            f"{np.mean(level >= 2):.3f} | {old:.2f} | {new:.2f} | {new / old:.3f} | {'yes' if same else 'NO'} |",
            flush=True,
        )
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
