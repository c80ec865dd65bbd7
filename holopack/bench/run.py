"""Timing the export pipeline's own stages, with its own objects.

``bench_input(input, BenchSettings(...))`` loads the input, builds the same plan as
``holopack.pipeline.export`` (``ExportPlan``: profile, format, timeline, frame source, polar
encoder, writer) and then runs two loops over the clip's frames, after a warm-up that
also triggers Numba's compilation:

1. the stage loop: the calls ``export`` makes for one frame, one at a time, each timed:
   animate (``Scene.pose``), render (``Renderer.draw``), resample
   (``PolarEncoder.to_polar``), dither (``PolarEncoder.quantise``: brightness, gamma,
   dither, quantise), simulate (``ViewerSimulator.render``, fan devices written as video),
   mask (the circle mask of a video), write (the format's ``Writer.write``: packing the
   bit layout and writing, or piping to ffmpeg for MP4);
2. the end-to-end loop: exactly ``export``'s loop, ``writer.write(plan.output_frame(i))``
   then ``writer.close()``, into a temporary file that is deleted afterwards.

Load is timed separately (it happens once per export), as is building the plan (camera
fit over the clip, the resampler's weight table).
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field

from .. import options
from ..errors import InputError
from .load import competing_load
from .machine import machine_info, numba_info, peak_memory, software_info
from .stats import ratio, summarize

SCHEMA_ID = "holopack-bench/1"
STAGE_ORDER = ("decode", "animate", "render", "resample", "dither", "simulate", "mask", "write")
KEEP_PICTURES = 8  # distinct rendered frames kept for the peers (they cycle through them)


@dataclass
class BenchSettings:
    """What to measure. ``size`` None = the device's own size; ``frames`` are timed after
    ``warmup`` untimed ones; ``peers`` None = every peer that is installed, else a list of
    "render", "resample", "encode"; ``profile`` > 0 profiles that many end-to-end frames
    with cProfile (slow: the figures of that pass are not reported as timings)."""

    device: str = options.option("device").default_for(options.BENCH)
    format: str | None = None
    size: int | None = None
    supersample: int | None = None
    animation: str | int | None = None
    frames: int = 60
    warmup: int = 5
    load_repeats: int = 3
    peers: list[str] | None = None
    profile: int = 0
    load: int = 0  # busy processes competing with the whole run (see bench/load.py)
    extra: dict = field(default_factory=dict)
    video: dict = field(default_factory=dict)  # ExportSettings key/crop/loop/levels
    look: dict = field(default_factory=dict)  # ExportSettings shading/environment/tone_mapping/exposure


def _time_load(path: str, repeats: int):
    from ..scene.load import load

    samples = []
    scene = None
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        scene = load(path)
        samples.append(time.perf_counter() - t0)
        if sum(samples) > 2.0:  # a big model: one or two loads say enough
            break
    return scene, samples


def _output_name(plan_format, profile) -> str:
    if plan_format.directory:
        return "frames"
    # the format's own naming rule (which export enforces where the fan is strict)
    suffix = plan_format.naming.suffix
    if not plan_format.naming.strict and plan_format.kind == "polar":
        suffix = (getattr(profile, "layout", {}) or {}).get("suffix") or suffix
    return "BENCH" + suffix


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.remove(path)


def _make_plan(scene, settings: BenchSettings, workdir: str):
    from ..formats import get_format
    from ..pipeline import ExportPlan, ExportSettings, resolve_profile

    profile = resolve_profile(settings.device)
    fmt = get_format(settings.format or profile.format)
    target = os.path.join(workdir, _output_name(fmt, profile))
    export_settings = ExportSettings(
        device=profile,
        format=settings.format,
        size=settings.size,
        supersample=settings.supersample,
        animation=settings.animation,
        **settings.video,
        **settings.look,
    )
    t0 = time.perf_counter()
    plan = ExportPlan(scene, export_settings, target)
    return plan, target, time.perf_counter() - t0


def _stage_loop(plan, count: int, first: int, writer) -> dict[str, list[float]]:
    """Per-stage durations of ``count`` frames from index ``first``, with export's calls."""
    scene, source = plan.source.scene, plan.source
    tl = plan.timeline
    frame_count = tl.frame_count
    samples: dict[str, list[float]] = {}

    def add(name, seconds):
        samples.setdefault(name, []).append(seconds)

    pack = _pack_function(plan)
    clock = time.perf_counter
    for k in range(count):
        index = (first + k) % frame_count
        if scene.is_media:
            t0 = clock()
            picture = source.picture(index)
            # export converts a decoded picture to linear light (mapping its black
            # tiles on the way) only for a polar encoder
            linear = picture.linear_light() if (plan.polar or plan.simulated) else None
            add("decode", clock() - t0)
            color, tiles = picture.color, picture.tiles
        else:
            t0 = clock()
            posed = scene.pose(tl.animation, tl.anim_time(index))
            t1 = clock()
            frame = source.draw(posed, index)
            t2 = clock()
            add("animate", t1 - t0)
            add("render", t2 - t1)
            color, linear, tiles = frame.color, frame.shown_light(), frame.tiles
        if plan.polar or plan.simulated:
            t0 = clock()
            polar = plan.encoder.to_polar(linear, tiles)
            t1 = clock()
            out = plan.encoder.quantise(polar, index)
            t2 = clock()
            add("resample", t1 - t0)
            add("dither", t2 - t1)
            if plan.simulated:
                t0 = clock()
                out = plan.simulator.render(out)
                add("simulate", clock() - t0)
        else:
            out = color
            if plan.mask is not None:
                t0 = clock()
                out = plan.mask.apply(color)
                add("mask", clock() - t0)
        t0 = clock()
        writer.write(out)
        add("write", clock() - t0)
        if pack is not None:
            # the bit layout alone, on the same codes: the part of "write" that is not I/O
            t0 = clock()
            pack(out, plan.profile)
            add("encode", clock() - t0)
    return samples


def _pictures_for_peers(plan, count: int) -> dict:
    """posed: [(index, posed primitives)], color: [(S, S, 3) uint8], linear: [(S, S, 3)
    float32 linear light] of the first ``count`` frames (untimed)."""
    scene, source, tl = plan.source.scene, plan.source, plan.timeline
    keep: dict = {"posed": [], "color": [], "linear": []}
    for index in range(min(count, tl.frame_count)):
        if scene.is_media:
            picture = source.picture(index)
            keep["color"].append(picture.color)
            keep["linear"].append(picture.linear_light())
            continue
        posed = scene.pose(tl.animation, tl.anim_time(index))
        frame = source.draw(posed, index)
        keep["posed"].append((index, posed))
        keep["color"].append(frame.color)
        keep["linear"].append(frame.shown_light())
    return keep


def _pack_function(plan):
    """The polar format module's ``pack_frame(codes, profile) -> bytes``, when it has one."""
    if not plan.polar:
        return None
    module = sys.modules[plan.format.writer.__module__]  # the format's own module
    return getattr(module, "pack_frame", None)


@contextlib.contextmanager
def _scratch_writer(plan, target: str):
    """The format's writer on ``target``, aborted when the block fails; ``target`` is
    deleted afterwards either way."""
    writer = plan.format.writer_class()(target, plan.profile, plan.fps)
    try:
        yield writer
    except BaseException:
        abort = getattr(writer, "abort", None)
        if abort:
            abort()
        raise
    finally:
        _remove(target)


def _end_to_end(plan, target: str, count: int) -> dict:
    """``export``'s loop over ``count`` frames into ``target`` (deleted afterwards)."""
    frame_count = plan.timeline.frame_count
    per_frame = []
    clock = time.perf_counter
    with _scratch_writer(plan, target) as writer:
        start = clock()
        for index in range(count):
            t0 = clock()
            writer.write(plan.output_frame(index % frame_count))
            per_frame.append(clock() - t0)
        t0 = clock()
        writer.close()
        close = clock() - t0
        total = clock() - start
        written = _size_on_disk(target)
    return {
        "frames": count,
        "seconds": total,
        "fps": count / total if total > 0 else None,
        "frame": summarize(per_frame),
        "close_ms": close * 1000.0,
        "bytes_written": written,
    }


def _size_on_disk(path: str) -> int:
    if os.path.isdir(path):
        return sum(e.stat().st_size for e in os.scandir(path) if e.is_file())
    return os.path.getsize(path) if os.path.exists(path) else 0


def _profile_frames(plan, target: str, count: int, top: int = 25) -> list[dict]:
    """cProfile of ``count`` end-to-end frames: the functions with the most own time."""
    profiler = cProfile.Profile()
    with _scratch_writer(plan, target) as writer:
        profiler.enable()
        for index in range(count):
            writer.write(plan.output_frame(index % plan.timeline.frame_count))
        profiler.disable()
        writer.close()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    table = stats.stats  # type: ignore[attr-defined]  # pstats' own table, which typeshed leaves out
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in table.items():
        rows.append(
            {
                "function": f"{_short_path(filename)}:{line}({name})",
                "calls": int(nc),
                "tottime_ms_per_frame": tt * 1000.0 / count,
                "cumtime_ms_per_frame": ct * 1000.0 / count,
            }
        )
    rows.sort(key=lambda r: r["tottime_ms_per_frame"], reverse=True)
    return rows[:top]


def _short_path(filename: str) -> str:
    marker = os.sep + "holopack" + os.sep
    if marker in filename:
        return "holopack" + os.sep + filename.split(marker, 1)[1]
    return os.path.basename(filename)


def _scene_info(scene, plan) -> dict:
    tl = plan.timeline
    info = {
        "media": bool(scene.is_media),
        "triangles": 0,
        "vertices": 0,
        "primitives": 0,
        "animated": False,
        "animation": None,
        "clip_frames": int(tl.frame_count),
    }
    if scene.splats is not None:
        info["splats"] = len(scene.splats)
    if not scene.is_media:
        info.update(
            triangles=int(scene.triangle_count),
            vertices=int(scene.vertex_count),
            primitives=len(scene.draw_items),
            animated=tl.animation is not None,
            skinned=any(getattr(n, "skin", None) is not None for n in scene.nodes),
        )
        if tl.animation is not None:
            info["animation"] = scene.clip(tl.animation).name
    return info


def _video_info(scene, settings: BenchSettings) -> dict | None:
    """The video options the timed path ran with (export's defaults for those not given),
    and whether it keyed at all: the plain options pass a clip through as decoded. None
    for a model, and for a still picture without a key colour (video.process.prepare_scene
    leaves it as it is)."""
    if not scene.is_media:
        return None
    from ..pipeline import ExportSettings
    from ..video.options import key_label

    given = {k: v for k, v in settings.video.items() if v is not None}
    chosen = ExportSettings(**given).video_options()
    still = scene.media.fps <= 0
    if still and chosen.key in ("auto", "none"):
        return None
    loop = None if still else chosen.loop
    return {
        "key": key_label(chosen.key),
        "crop": chosen.crop,
        "loop": None if loop is None else (loop[0] if loop[0] == "pingpong" else f"crossfade={loop[1]:g}"),
        "levels": chosen.levels,
        "edge_fade": chosen.edge_fade,
        "see_through": chosen.see_through,
        "processed": not chosen.is_plain,
    }


def bench_input(input, settings: BenchSettings | None = None) -> dict:
    """Measure one input (a path, or None for the bundled default twin). Returns one
    ``runs`` entry of the JSON report (see docs/bench-schema.json)."""
    from ..pipeline import default_twin
    from . import peers as peer_module

    settings = settings or BenchSettings()
    if settings.frames < 1 or settings.warmup < 0:
        raise InputError(f"--frames must be at least 1 (got {settings.frames})")
    path = default_twin() if input is None else os.fspath(input)
    scene, load_samples = _time_load(path, settings.load_repeats)
    workdir = tempfile.mkdtemp(prefix="holopack-bench-")
    try:
        plan, target, plan_seconds = _make_plan(scene, settings, workdir)
        with _scratch_writer(plan, target) as writer:
            _stage_loop(plan, settings.warmup, 0, writer)
            samples = _stage_loop(plan, settings.frames, settings.warmup, writer)
            t0 = time.perf_counter()
            writer.close()
            stage_close = time.perf_counter() - t0
        end_to_end = _end_to_end(plan, target, settings.frames)
        # what the peers work on, made after the timed loops: holding these pictures
        # during them would change the allocator's behaviour and so the timings
        keep = _pictures_for_peers(plan, min(KEEP_PICTURES, settings.frames))
        stages = {name: summarize(samples[name]) for name in STAGE_ORDER if name in samples}
        write_parts = {"encode": summarize(samples["encode"])} if "encode" in samples else {}
        run = {
            "input": path,
            "input_name": os.path.basename(path),
            "device": plan.profile.name,
            "format": plan.format.name,
            "format_kind": plan.format.kind,
            "output_size": int(plan.size),
            "render_size": int(plan.source.size),
            "supersample": int(plan.source.supersample),
            "polar_shape": list(plan.profile.codes_shape) if (plan.polar or plan.simulated) else None,
            "device_fps": float(plan.fps),
            "frames": int(settings.frames),
            "warmup": int(settings.warmup),
            "scene": _scene_info(scene, plan),
            "video": _video_info(scene, settings),
            "setup": {"load": summarize(load_samples), "plan_ms": plan_seconds * 1000.0},
            "stages": stages,
            "write_parts": write_parts,
            "stage_sum_ms": float(sum(s["median_ms"] for s in stages.values())),
            "stage_writer_close_ms": stage_close * 1000.0,
            "end_to_end": end_to_end,
            "realtime_factor": (end_to_end["fps"] / plan.fps) if end_to_end["fps"] else None,
        }
        run["peers"] = peer_module.measure_peers(plan, run, keep, settings)
        if settings.profile > 0:
            run["profile"] = _profile_frames(plan, target, settings.profile)
        run["numba"] = numba_info()
        run["memory"] = peak_memory()
        return run
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def bench(inputs, settings: BenchSettings | None = None) -> dict:
    """The whole JSON report for some inputs (None or [] = the bundled default twin)."""
    import datetime

    settings = settings or BenchSettings()
    started = time.perf_counter()
    machine = machine_info()
    with competing_load(settings.load) as load:
        runs = [bench_input(item, settings) for item in (list(inputs) if inputs else [None])]
        machine["load_average_end"] = machine_info()["load_average"]
    report = {
        "schema": SCHEMA_ID,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "software": software_info(),
        "numba": numba_info(),
        "settings": {
            "device": str(settings.device),
            "format": settings.format,
            "size": settings.size,
            "frames": settings.frames,
            "warmup": settings.warmup,
            "peers": settings.peers,
            "load": settings.load,
            **settings.look,
            **settings.extra,
        },
        "runs": runs,
        "load": load,
        "memory": peak_memory(),
        "seconds": time.perf_counter() - started,
    }
    return report


def compare(ours: dict, theirs: dict) -> float | None:
    """Median ratio ours/theirs of two summaries."""
    return ratio(ours["median_ms"], theirs["median_ms"])
