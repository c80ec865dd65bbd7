"""Frame time of holopack's Numba renderer next to OpenGL (Mesa llvmpipe), same run.

    python benchmarks/bench_render.py [--sizes 512 1024] [--frames 10] [--models ...]
                                      [--first-frame] [--load N]

For each model and square size it renders a turntable (a new yaw each frame) with
supersampling 1 on both sides, unlit with textures, and reports median frame
times and their ratio (holopack / OpenGL; < 1 means holopack is faster). The
OpenGL side keeps its buffers and textures on the device between frames and its
timing includes the draw, glFinish and reading back colour and depth (holopack
returns both). ``lit`` is holopack's default lighting, for reference.
Times are wall-clock medians; the CPU columns are the process's CPU time (all
threads, OpenGL's worker threads included), which a busy machine disturbs less.
``--load N`` runs N busy processes (holopack.bench.load) while both renderers are
timed, so that the ratio says how each holds up on a machine that is not idle.
``--first-frame`` times a fresh process (import + load + first frame) with a cold
and with a warm Numba cache.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

# Numba's OpenMP workers wait as under the holopack command (a short spin, then sleep:
# holopack.openmp). libgomp's default spin of milliseconds would keep a core busy
# while llvmpipe draws the next frame, and slow the peer down.
from holopack.openmp import configure as configure_openmp  # noqa: E402

configure_openmp()

from holopack.bench.load import competing_load  # noqa: E402
from holopack.rendering import Renderer  # noqa: E402
from holopack.rendering.camera import Framing, fit_camera  # noqa: E402
from holopack.rendering.shading import BLEND, pack_materials  # noqa: E402
from holopack.rendering.texture_kernel import CLAMP_TO_EDGE, decode_texture  # noqa: E402
from holopack.scene.load import load  # noqa: E402
from holopack.scene.types import PosedPrimitive, Primitive  # noqa: E402

DATA = ROOT / "tests" / "data"
MODELS = {
    "bunny": DATA / "stanford-bunny" / "stanford-bunny.obj",
    "bunny-sub": DATA / "stanford-bunny" / "stanford-bunny.obj",
    "BrainStem": DATA / "BrainStem" / "BrainStem.glb",
    "FlightHelmet": DATA / "FlightHelmet" / "FlightHelmet.gltf",
}


def model(name):
    scene = load(MODELS[name])
    posed = scene.pose(None, 0.0)
    if name == "bunny-sub":  # each triangle split in four: ~278k triangles
        import trimesh

        p = posed[0]
        v, f = trimesh.remesh.subdivide(p.positions, p.primitive.indices)
        mesh = trimesh.Trimesh(v, f, process=False)
        prim = Primitive(
            positions=np.asarray(v, np.float32),
            normals=np.asarray(mesh.vertex_normals, np.float32),
            indices=np.asarray(f, np.int32),
            material=p.primitive.material,
        )
        posed = [PosedPrimitive(prim.positions, prim.normals, prim)]
    return posed, scene.materials, scene.textures


def cameras(posed, frames):
    points = np.concatenate([p.positions for p in posed])
    return [fit_camera(points, Framing(yaw=360.0 * i / frames, pitch=10.0)) for i in range(frames)]


class GLScene:
    """The scene uploaded once to an OpenGL context, drawn like tests/_gl_reference."""

    def __init__(self, ctx, posed, materials, textures, size):
        import moderngl
        from _gl_reference import FRAGMENT, VERTEX

        self.ctx = ctx
        self.size = size
        self.prog = ctx.program(vertex_shader=VERTEX, fragment_shader=FRAGMENT)
        self.fbo = ctx.framebuffer(
            color_attachments=[ctx.renderbuffer(size, 4)], depth_attachment=ctx.depth_renderbuffer(size)
        )
        mat_f, mat_i = pack_materials(materials)
        self.mat_f, self.mat_i = mat_f, mat_i
        self.textures = {}
        for t, tex in enumerate(textures):
            chain = decode_texture(tex)
            g = ctx.texture(chain[0].shape[1::-1], 4, chain[0].tobytes(), dtype="f4")
            g.build_mipmaps(0, len(chain) - 1)
            for level, data in enumerate(chain[1:], start=1):
                g.write(np.ascontiguousarray(data).tobytes(), level=level)
            g.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
            g.repeat_x = tex.wrap_s != CLAMP_TO_EDGE
            g.repeat_y = tex.wrap_t != CLAMP_TO_EDGE
            self.textures[t] = g
        self.draws = []
        for p in posed:
            prim = p.primitive
            n = len(p.positions)
            uv = prim.uv[0] if prim.uv else np.zeros((n, 2), np.float32)
            col = prim.colors if prim.colors is not None else np.ones((n, 4), np.float32)
            data = np.concatenate([p.positions, uv, col], axis=1).astype(np.float32)
            vbo = ctx.buffer(data.tobytes())
            ibo = ctx.buffer(np.asarray(prim.indices, np.int32).tobytes())
            vao = ctx.vertex_array(
                self.prog,
                [(vbo, "3f 2f 4f", "in_pos", "in_uv", "in_col")],
                index_buffer=ibo,
                index_element_size=4,
            )
            m = prim.material if 0 <= prim.material < len(materials) else len(materials)
            self.draws.append((vao, m))
        # opaque first, then translucent (fixed order: a favour to OpenGL)
        self.draws.sort(key=lambda d: mat_i[d[1], 4] == BLEND)

    def frame(self, view, projection):
        import moderngl

        ctx = self.ctx
        self.fbo.use()
        ctx.viewport = (0, 0) + tuple(self.size)
        self.fbo.clear(0, 0, 0, 0, depth=1.0)
        ctx.enable(moderngl.DEPTH_TEST)
        mvp = (projection @ view).astype(np.float32)
        self.prog["mvp"].write(mvp.T.copy().tobytes())
        for vao, m in self.draws:
            self.prog["base_factor"].value = tuple(float(v) for v in self.mat_f[m, :4])
            t = int(self.mat_i[m, 0])
            self.prog["has_texture"].value = t in self.textures
            if t in self.textures:
                self.textures[t].use(0)
            self.prog["alpha_mode"].value = int(self.mat_i[m, 4])
            self.prog["cutoff"].value = float(self.mat_f[m, 7])
            if self.mat_i[m, 5]:
                ctx.disable(moderngl.CULL_FACE)
            else:
                ctx.enable(moderngl.CULL_FACE)
            if self.mat_i[m, 4] == BLEND:
                ctx.enable(moderngl.BLEND)
                self.fbo.depth_mask = False
            vao.render(moderngl.TRIANGLES)
            ctx.disable(moderngl.BLEND)
            self.fbo.depth_mask = True
        ctx.finish()
        color = self.fbo.read(components=3)
        depth = self.fbo.read(components=1, attachment=-1, dtype="f4")
        return color, depth


def interleaved_medians(fns, cams, repeats):
    """Median milliseconds of each function, taking turns frame by frame so that
    a machine whose load changes during the run treats them alike."""
    times = [[] for _ in fns]
    cpu = [[] for _ in fns]
    for i in range(repeats):
        cam = cams[i % len(cams)]
        for fn, bucket, cpu_bucket in zip(fns, times, cpu):
            c0 = time.process_time()
            t0 = time.perf_counter()
            fn(cam.view, cam.projection)
            bucket.append(time.perf_counter() - t0)
            cpu_bucket.append(time.process_time() - c0)
    return ([1000.0 * statistics.median(t) for t in times], [1000.0 * statistics.median(t) for t in cpu])


def first_frame(cache_dir):
    code = (
        "import time; t=time.perf_counter(); import numpy as np;"
        "from holopack.scene.load import load; from holopack.rendering import render;"
        "from holopack.rendering.camera import Framing, fit_camera;"
        f"s=load({str(MODELS['FlightHelmet'])!r}); p=s.pose(None,0.0);"
        "c=fit_camera(np.concatenate([q.positions for q in p]), Framing());"
        "render(s, c.view, c.projection, (1024, 1024));"
        "print(time.perf_counter()-t)"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--first-frame", action="store_true")
    parser.add_argument("--load", type=int, default=0, help="busy processes run while timing")
    args = parser.parse_args()

    import moderngl
    from numba import get_num_threads

    ctx = moderngl.create_standalone_context(backend="egl")
    print(f"OpenGL: {ctx.info['GL_RENDERER']}; Numba threads: {get_num_threads()}; CPUs: {os.cpu_count()}\n")
    print(
        f"load average before the run: {os.getloadavg()[0]:.1f}; competing load: {args.load} busy processes\n"
    )
    print(
        "| model | triangles | size | holopack ms | OpenGL ms | ratio | holopack CPU ms "
        "| OpenGL CPU ms | CPU ratio | holopack lit ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.models:
        posed, materials, textures = model(name)
        tris = sum(len(p.primitive.indices) for p in posed)
        cams = cameras(posed, args.frames)
        for size in args.sizes:
            renderer = Renderer((size, size), 1)
            gl = GLScene(ctx, posed, materials, textures, (size, size))

            def ours(view, projection, shading="unlit"):
                return renderer.draw(posed, materials, textures, view, projection, shading)

            for cam in cams[:2]:  # compile, decode textures, upload
                ours(cam.view, cam.projection)
                ours(cam.view, cam.projection, "lit")
                gl.frame(cam.view, cam.projection)
            with competing_load(args.load):
                (t_ours, t_gl, t_lit), (c_ours, c_gl, _) = interleaved_medians(
                    [ours, gl.frame, lambda v, p: ours(v, p, "lit")], cams, args.frames
                )
            print(
                f"| {name} | {tris} | {size} | {t_ours:.1f} | {t_gl:.1f} | "
                f"{t_ours / t_gl:.2f} | {c_ours:.1f} | {c_gl:.1f} | {c_ours / c_gl:.2f} | "
                f"{t_lit:.1f} |",
                flush=True,
            )
    if args.first_frame:
        with tempfile.TemporaryDirectory() as cache:
            cold = first_frame(cache)
            warm = first_frame(cache)
        print(
            f"\nfirst frame (new process: import, load FlightHelmet, render 1024^2 at "
            f"supersample 2): cold Numba cache {cold:.1f} s, warm {warm:.2f} s"
        )


if __name__ == "__main__":
    main()
