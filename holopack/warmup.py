"""``holopack warmup``: compile every Numba kernel before the first real job.

A fresh installation compiles holopack's kernels on its first export: 10-15 s on an idle
2-core machine, over a minute on a busy one. An installer preparing a shop PC runs
``holopack warmup`` once instead; Numba caches the machine code on disk, so every later
run starts at once. Each step is a tiny real job (two frames at 64 px), so the kernels
compiled are exactly the specialisations that real jobs use.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .decode import decode
from .device import list_profiles, load_profile
from .notices import leaving_out
from .pipeline import ExportSettings, default_twin, export
from .pipeline.frames import PARTIAL_LOOP
from .rendering.camera import Framing
from .scene.load import load
from .scene.types import Texture

SIZE = 64  # pixels: the kernels' types do not depend on the picture size
FRAMES = 2
WEIGHT_CACHE = "HOLOPACK_CACHE_DIR"  # see holopack.device.resample_kernel


@dataclass
class Step:
    label: str
    run: Callable[[str], None]  # called with a scratch folder of its own
    # whether it draws a mesh: such steps share the renderer's kernels, which the first
    # step compiles (see _schedule)
    renders_model: bool = True


def _translucent_twin():
    """The default twin with its first material made translucent: the blend pass."""
    scene = load(default_twin())
    scene.materials[0].alpha_mode = "BLEND"
    return scene


def _textured_twin():
    """The default twin with a small texture on its first material, its second
    material alpha-tested and its third translucent: the renderer compiles the
    texture sampler, the alpha test and the blend pass only for scenes that have
    them (holopack.rendering.raster_kernel.shade_kernel)."""
    scene = load(default_twin())
    rng = np.random.default_rng(0)
    scene.textures.append(Texture(rng.integers(0, 256, (8, 8, 4), dtype=np.uint8), "warmup"))
    scene.materials[0].base_color_texture = len(scene.textures) - 1
    scene.materials[1 % len(scene.materials)].alpha_mode = "MASK"
    scene.materials[2 % len(scene.materials)].alpha_mode = "BLEND"
    return scene


def _splat_twin():
    """A small Gaussian splat twin (spherical harmonics of degree 3): the splat
    renderer's kernels (holopack.rendering.splat_kernel), ~2.5 s to compile."""
    from .scene.scene import Scene
    from .scene.types import Splats

    rng = np.random.default_rng(0)
    count = 200
    quaternions = rng.normal(size=(count, 4))
    return Scene(
        path="warmup-splats.ply",
        splats=Splats(
            means=rng.normal(size=(count, 3)).astype(np.float32),
            scales=rng.uniform(0.02, 0.2, (count, 3)).astype(np.float32),
            rotations=(quaternions / np.linalg.norm(quaternions, axis=1, keepdims=True)).astype(np.float32),
            opacities=rng.uniform(0.2, 1.0, count).astype(np.float32),
            sh=rng.normal(0.0, 0.5, (count, 16, 3)).astype(np.float32),
        ),
    )


def _export_step(device: str, input_name: str | None = None, scene=None, what: str = "", **settings) -> Step:
    def run(folder: str) -> None:
        profile = load_profile(device)
        polar = profile.kind == "polar"
        # the open polar stream takes any polar profile's codes: the same resample,
        # dither and quantise kernels as the device's own format
        out = os.path.join(folder, f"{device}.{'hps' if polar else 'mp4'}")
        source = os.path.join(folder, input_name) if input_name else scene() if scene else None
        export(
            source,
            out,
            ExportSettings(
                device=device,
                format="polarstream" if polar else None,
                size=SIZE,
                fps=10.0,
                seconds=FRAMES / 10.0,
                **settings,
            ),
            progress=False,
        )
        if polar:  # the viewer simulation, as decode and the preview use it
            decode(out, os.path.join(folder, f"{device}-decoded"), size=SIZE, max_frames=1, progress=False)

    what = what or ("a picture" if input_name else "the default twin")
    return Step(f"{what} to {device}", run)


def _picture(folder: str) -> None:
    """A small picture for the picture/video path (its own colour kernel), with alpha
    (the kernel that composites straight RGBA over black, which clips with alpha use
    for every frame)."""
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (48, 80, 4), dtype=np.uint8)).save(
        os.path.join(folder, "picture.png")
    )


def _picture_step(folder: str) -> None:
    _picture(folder)
    _export_step("3dcircle-42f2", "picture.png").run(folder)


def _clip(folder: str, name: str, backdrop: str) -> None:
    """A short H.264 clip of a subject moving over a ``backdrop`` ("green": a green
    screen; "studio": a grey gradient; "texture": coloured blocks), with a little
    noise: the keyer's first pass finds the backdrop and a clean plate (on a texture,
    the backdrop behind where the subject stood most), and the per-frame kernels key it
    (matte, holes, guided filter, unmixing, composite; the colour edge of a backdrop of
    no screen colour). They took 8-10 s to compile on the first keyed export of an idle
    2-core machine."""
    import imageio_ffmpeg

    height, width, count = 64, 96, 12
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:height, 0:width]
    if backdrop == "green":
        back = np.broadcast_to(np.array([40.0, 170.0, 60.0]), (height, width, 3))
    elif backdrop == "texture":
        back = rng.uniform(40.0, 220.0, (height // 8, width // 8, 3)).repeat(8, 0).repeat(8, 1)
    else:
        back = np.repeat((70.0 + 80.0 * yy / height)[..., None], 3, axis=2)
    writer = imageio_ffmpeg.write_frames(
        os.path.join(folder, name),
        (width, height),
        fps=10,
        codec="libx264",
        output_params=["-crf", "18"],
        ffmpeg_log_level="error",
    )
    writer.send(None)
    for i in range(count):
        frame = back + rng.normal(0.0, 2.0, back.shape)
        body = ((xx - 28 - 3 * i) / 13.0) ** 2 + ((yy - 34) / 22.0) ** 2 < 1.0
        frame[body] = (200.0, 150.0, 120.0)
        frame[body & (yy > 40)] = (60.0, 60.0, 140.0)  # a darker band: a second colour
        # a patch of the subject in the backdrop's own colour: a hole the matte must fill
        patch = ((xx - 28 - 3 * i) / 4.0) ** 2 + ((yy - 28) / 4.0) ** 2 < 1.0
        frame[patch] = back[patch]
        writer.send(np.ascontiguousarray(np.clip(frame, 0, 255).astype(np.uint8)))
    writer.close()


def _clip_step(backdrop: str) -> Step:
    def run(folder: str) -> None:
        _clip(folder, f"{backdrop}.mp4", backdrop)
        _export_step("3dcircle-42f2", f"{backdrop}.mp4").run(folder)

    kind = {"green": "green-screen", "studio": "studio", "texture": "textured backdrop"}[backdrop]
    return Step(
        f"a {kind} clip keyed to 3dcircle-42f2",
        run,
        renders_model=False,
    )


def _wall_step(picture: bool) -> Step:
    """Two overlapping 42-F2 fans: the wall's ownership, fitting and preview kernels."""

    def run(folder: str) -> None:
        from .wall import export_wall

        wall = os.path.join(folder, "wall.toml")
        with open(wall, "w", encoding="utf-8") as f:
            f.write('device = "3dcircle-42f2"\n[grid]\nrows = 1\ncols = 2\npitch = 400.0\n')
        if picture:
            _picture(folder)
        export_wall(
            os.path.join(folder, "picture.png") if picture else None,
            wall,
            os.path.join(folder, "wall-picture" if picture else "wall"),
            ExportSettings(fps=30.0, seconds=FRAMES / 30.0),  # the fans' own rate
            progress=False,
        )

    return Step(
        f"{'a picture' if picture else 'the default twin'} across a wall of two fans",
        run,
        renders_model=not picture,
    )


def steps() -> list[Step]:
    """The jobs that together reach every kernel holopack's commands use."""
    plan = [_export_step(name) for name in list_profiles()]
    plan.append(
        _export_step(
            "3dcircle-42f2", shading="unlit", supersample=2, what="the default twin unlit and supersampled"
        )
    )
    # a camera inside the model clips triangles at the near plane; the blend pass of
    # untextured materials, lit and pbr (the default)
    for shading in ("lit", "pbr"):
        plan.append(
            _export_step(
                "3dcircle-42f2",
                scene=_translucent_twin,
                framing=Framing(distance=0.5),
                shading=shading,
                what=f"a translucent twin seen from inside, {shading}",
            )
        )
    # each shading compiles its own kernels, with and without textures
    for shading in ("lit", "unlit", "pbr"):
        plan.append(
            _export_step(
                "3dcircle-42f2",
                scene=_textured_twin,
                shading=shading,
                what=f"a textured, alpha-tested and translucent twin, {shading}",
            )
        )
    plan.append(_export_step("3dcircle-42f2", shading="lit", what="the default twin lit"))
    # PBR compiles the environment's light only into the variants for pictures that have one
    for scene, what in ((None, "the default twin"), (_textured_twin, "a textured twin")):
        plan.append(
            _export_step(
                "3dcircle-42f2",
                scene=scene,
                shading="pbr",
                environment="studio",
                what=f"{what} pbr in the studio environment",
            )
        )
    plan.append(Step("a picture to 3dcircle-42f2", _picture_step, renders_model=False))
    plan.extend(_clip_step(backdrop) for backdrop in ("green", "studio", "texture"))
    plan.extend(_wall_step(picture) for picture in (False, True))
    splats = _export_step("3dcircle-42f2", scene=_splat_twin, what="a Gaussian splat twin")
    splats.renders_model = False  # the splat renderer's kernels
    plan.append(splats)
    return plan


@contextmanager
def _scratch_weight_cache(folder: str):
    """Build the resampler's weight tables afresh (their kernel is compiled too) without
    touching the user's table cache."""
    previous = os.environ.get(WEIGHT_CACHE)
    os.environ[WEIGHT_CACHE] = os.path.join(folder, "weights")
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(WEIGHT_CACHE, None)
        else:
            os.environ[WEIGHT_CACHE] = previous


def warmup(stream=None, processes: int | None = None) -> float:
    """Run every step, one progress line each on ``stream`` (stderr by default), as the
    step starts; returns the seconds taken. ``processes``: how many steps run at once,
    each in a process of its own (default: 2 where there are two cores or more, else
    1, in this process). Numba compiles on one thread, so two processes sharing the
    kernel cache (holopack.kernel_cache.lock_numba_cache keeps it whole) take less than
    half the time: on 2 idle cores 79-82 s against 170-198 s in one process
    (benchmarks/results/2026-12-07/warmup-two-processes.txt)."""
    stream = sys.stderr if stream is None else stream
    plan = steps()
    if processes is None:
        processes = min(2, os.cpu_count() or 1)
    processes = max(1, min(int(processes), len(plan)))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="holopack-warmup-") as folder:
        begin = _progress(stream, plan)
        if processes == 1:
            with _scratch_weight_cache(folder), leaving_out(PARTIAL_LOOP):
                for index, step in enumerate(plan):
                    begin(index)
                    step.run(_step_folder(folder, index))
        else:
            _run_in_processes(plan, folder, processes, begin)
    seconds = time.perf_counter() - started
    stream.write(
        f"warmup [{'#' * 24}] {len(plan)}/{len(plan)} done in {seconds:.1f} s; "
        "the compiled kernels are cached for every later run\n"
    )
    stream.flush()
    return seconds


def _progress(stream, plan: list[Step]) -> Callable[[int], None]:
    """A function that writes the progress line of a step as it starts."""
    count = [0]

    def begin(index: int) -> None:
        done = int(24 * count[0] / len(plan))
        count[0] += 1
        stream.write(
            f"warmup [{'#' * done}{'.' * (24 - done)}] {count[0]}/{len(plan)} compiling: {plan[index].label}\n"
        )
        stream.flush()

    return begin


def _step_folder(folder: str, index: int) -> str:
    """Each step's own scratch folder: steps that run at once write files of one name."""
    path = os.path.join(folder, f"step-{index}")
    os.makedirs(path, exist_ok=True)
    return path


def _schedule(plan: list[Step], waiting: list[int], first_done: bool) -> int:
    """The next step to start (removed from ``waiting``). While the first step (which
    compiles the renderer's kernels) runs, steps that draw no mesh go first: a second
    mesh step would compile the same kernels beside it, twice the work for nothing."""
    if not first_done:
        for index in waiting:
            if not plan[index].renders_model:
                waiting.remove(index)
                return index
    return waiting.pop(0)


def _run_in_processes(plan: list[Step], folder: str, processes: int, begin: Callable[[int], None]) -> None:
    """Run the steps in ``processes`` worker processes, each taking the next step as it
    comes free (_schedule)."""
    import concurrent.futures
    import multiprocessing

    waiting = list(range(1, len(plan)))  # step 0 first: it compiles the renderer's kernels
    running: dict[concurrent.futures.Future, int] = {}
    # spawned, not forked: this process has imported Numba and may hold its threads
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(
        processes, mp_context=context, initializer=_worker_start, initargs=(folder,)
    ) as pool:

        def start(index: int) -> None:
            begin(index)
            running[pool.submit(_run_step, index, _step_folder(folder, index))] = index

        try:
            start(0)
            first_done = False
            while waiting or running:
                while waiting and len(running) < processes:
                    start(_schedule(plan, waiting, first_done))
                finished, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in finished:
                    index = running.pop(future)
                    future.result()  # a step's failure ends warmup with it
                    first_done = first_done or index == 0
        except BaseException:
            for future in running:
                future.cancel()
            raise


def _worker_start(folder: str) -> None:
    """A worker process's setup: the scratch weight cache."""
    os.environ[WEIGHT_CACHE] = os.path.join(folder, "weights")


def _run_step(index: int, folder: str) -> None:
    with leaving_out(PARTIAL_LOOP):  # warmup's own short clips, not a --seconds of the user's
        steps()[index].run(folder)
