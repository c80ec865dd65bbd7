"""Frame rates of the preview window playing a model: the UI loop, the live left panel
and the render worker that makes the fan view.

Runs the real window (start Xvfb first, or run under ``xvfb-run -s "-screen 0 1280x720x24"``)
with the wall clock, as a designer would see it, for a few seconds after a warm-up, and
prints a markdown table with medians of ``--repeat`` runs. The UI loop is capped at
60 fps and draws the left panel live every UI frame (OpenGL in the window). Whenever
the device frame on the clock changes and the render worker is free, the window draws
that frame's picture too (the same render as the left panel's while playing) and the
worker resamples, dithers and quantises it for the fan view, which the window draws
with a shader; device frames it cannot make in time are skipped.

Models: the default twin (skinned, 14 clips) and FlightHelmet (95k textured triangles);
``--load N`` starts N busy processes for the runs (a controlled competing load), and
``--compare-load`` measures idle and loaded in one run so that the ratios share a
machine state.

    python benchmarks/bench_preview.py [INPUT ...] [--device NAME] [--seconds S] [--size PX]
        [--repeat 3] [--load N | --compare-load N] [--live-panel auto|gl|numba ...]
        [--shading pbr] [--environment studio] [--tone-mapping aces] [--exposure X]

``--live-panel``: who draws the live panel and the fan pictures: ``gl`` the window's
OpenGL, ``numba`` holopack's renderer, ``auto`` as ``holopack preview`` chooses (holopack's
renderer on a software OpenGL such as Mesa's llvmpipe under Xvfb). Several: each in
turn, run by run, one table row each.

Columns: ``UI fps`` (window frames drawn a second), ``UI thread ms/frame`` (the UI
thread's own CPU time a window frame: posing, GL calls and, on a software rasteriser,
the vertices' setup; the rasteriser's threads are not in it), ``live fps`` (left panel pictures
drawn a second), ``live scale`` (the live panel's dynamic resolution at the end, 1 =
full size), ``fan px`` (the side of the pictures the window draws for the fan view:
half the export's on a software rasteriser), ``fan fps`` (fan frames the worker
delivered a second; the device's fps is the most there is to make), ``fan dropped %``
(device frames on the clock never made), ``worker ms/frame`` (its time for one fan
frame) and ``worker capacity fps`` (1000 / that: what it could make if asked more
often; the window's drawing of the picture and of the fan view is in ``UI fps``).

Then the CPU that one UI frame costs, in milliseconds of CPU (all cores together) per
UI frame drawn, by kind of thread, from each thread's run time in the kernel
(``/proc/self/task/*/schedstat``) over the measured seconds: a figure that holds on a
faster or slower machine where frame rates do not. ``cpu UI`` (the main thread: events,
posing, GL calls, the software rasteriser's vertex work), ``cpu llvmpipe`` (Mesa's
raster threads, named ``llvmpipe-N``), ``cpu worker`` (the render worker thread),
``cpu pool`` (the helper threads of holopack.work_pool), ``cpu other`` (every other
thread of the process: Numba's, glfw's, Mesa's queue threads), ``cpu total`` (the
process) and ``cpu Xvfb`` (the X server that the window's swaps go to, where it is an
Xvfb found by this process's DISPLAY).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from contextlib import contextmanager

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scenes import SCENES  # noqa: E402  (benchmarks/ is not a package)

from holopack import options  # noqa: E402
from holopack.preview.live import LIVE_PANELS  # noqa: E402

DEFAULT_INPUTS = (SCENES["twin"], SCENES["flighthelmet"])
LOOK_OPTIONS = ("shading", "environment", "tone_mapping", "exposure")


def _task_cpu(task_dir: str) -> dict[int, tuple[str, int]]:
    """Each thread under ``task_dir`` (/proc/PID/task): its id -> (name, ns run so far)."""
    out = {}
    for tid in os.listdir(task_dir):
        try:
            with open(f"{task_dir}/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"{task_dir}/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):  # ended meanwhile
            continue
        out[int(tid)] = (name, ns)
    return out


def _xvfb_pid() -> int | None:
    """The Xvfb serving this process's DISPLAY (xvfb-run's), if there is one."""
    display = os.environ.get("DISPLAY", "")
    if not display.startswith(":"):
        return None
    number = display.split(".")[0]
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "Xvfb":
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if number.encode() in args:
            return int(pid)
    return None


def _thread_kinds(window) -> dict[int, str]:
    """Kinds of the Python threads that can be told apart by id (the rest by name)."""
    import threading

    kinds = {threading.main_thread().native_id: "UI"}
    worker = getattr(window.worker, "_thread", None)
    if worker is not None and worker.native_id is not None:
        kinds[worker.native_id] = "worker"
    for thread in threading.enumerate():
        if thread.name.startswith("holopack-worker-") and thread.native_id is not None:
            kinds[thread.native_id] = "pool"
    return kinds


CPU_KINDS = ("UI", "llvmpipe", "worker", "pool", "other")


def cpu_by_kind(before, after, kinds: dict[int, str]) -> dict[str, float]:
    """Seconds of CPU each kind of thread ran between two ``_task_cpu`` samples."""
    spent = dict.fromkeys(CPU_KINDS, 0.0)
    for tid, (name, ns) in after.items():
        kind = kinds.get(tid) or ("llvmpipe" if name.startswith("llvmpipe") else "other")
        spent[kind] += (ns - before.get(tid, (name, 0))[1]) / 1e9
    return spent


def measure(path, device, seconds, size, warmup=3.0, playing=True, look=None, live_panel="auto"):
    from functools import partial

    from holopack.device import list_profiles
    from holopack.preview.source import PipelineFrames
    from holopack.preview.window import PreviewWindow
    from holopack.scene.load import load

    path = os.fspath(path)
    scene = load(path)
    window = PreviewWindow(
        path,
        scene,
        device,
        devices=list_profiles(),
        frames_factory=partial(PipelineFrames, size=size, look=look),
        live_panel=live_panel,
    )
    try:
        window.wait_for_current(300)  # compile / load the Numba caches and fit the camera
        window.controls.playing = playing
        end = time.perf_counter() + warmup
        while time.perf_counter() < end:
            _paced_tick(window)
        ui_start, ui_frames = time.perf_counter(), window.frame_count
        ui_cpu_start = time.thread_time()
        xvfb = _xvfb_pid()
        threads_start = _task_cpu("/proc/self/task")
        xvfb_start = _task_cpu(f"/proc/{xvfb}/task") if xvfb else {}
        worker_start = window.worker.frames_done
        render_seconds_start = window.worker.render_seconds
        live_start = window.live.frames_drawn if window.live is not None else 0
        gaps = []
        last = time.perf_counter()
        end = last + seconds
        while time.perf_counter() < end:
            _paced_tick(window)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now
        elapsed = time.perf_counter() - ui_start
        ui_cpu = time.thread_time() - ui_cpu_start
        threads = cpu_by_kind(threads_start, _task_cpu("/proc/self/task"), _thread_kinds(window))
        xvfb_cpu = (
            sum(cpu_by_kind(xvfb_start, _task_cpu(f"/proc/{xvfb}/task"), {}).values())
            if xvfb
            else float("nan")
        )
        ui_frames_made = max(window.frame_count - ui_frames, 1)
        made = window.worker.frames_done - worker_start
        busy = window.worker.render_seconds - render_seconds_start
        live = (window.live.frames_drawn - live_start) if window.live is not None else 0
        ms_per_frame = busy / max(made, 1) * 1000
        device_frames = elapsed * window.controls.fps if playing else 1
        return {
            "input": os.path.basename(path),
            "device": device,
            "state": "playing" if playing else "paused",
            "shading": window.worker.look().get("shading", ""),
            "render px": window.worker._frames.size,
            "UI fps": (window.frame_count - ui_frames) / elapsed,
            "UI worst frame ms": max(gaps) * 1000,
            "UI thread ms/frame": ui_cpu / max(window.frame_count - ui_frames, 1) * 1000,
            "live fps": live / elapsed,
            "live scale": window.live.scale if window.live is not None else 0.0,
            "fan px": window.worker._frames.fan_picture_size(window.live.fan_scale)
            if window.live is not None
            else window.worker._frames.size,
            "fan fps": made / elapsed,
            "fan dropped %": max(0.0, 100.0 * (1.0 - made / device_frames)) if playing else 0.0,
            "worker ms/frame": ms_per_frame,
            "worker capacity fps": 1000.0 / ms_per_frame if made else 0.0,
            **{f"cpu {kind}": spent / ui_frames_made * 1000 for kind, spent in threads.items()},
            "cpu total": sum(threads.values()) / ui_frames_made * 1000,
            "cpu Xvfb": xvfb_cpu / ui_frames_made * 1000,
        }
    finally:
        window.close()


def _paced_tick(window):
    started = time.perf_counter()
    window.tick()
    left = 1.0 / window.max_fps - (time.perf_counter() - started)
    if left > 0:
        window.glfw.wait_events_timeout(left)


def _spin(stop) -> None:
    """A busy process: arithmetic until told to stop."""
    x = 0
    while not stop.is_set():
        for _ in range(10000):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF


@contextmanager
def competing_load(count: int):
    """``count`` busy processes for the duration of the block."""
    if count <= 0:
        yield
        return
    stop = multiprocessing.Event()
    workers = [multiprocessing.Process(target=_spin, args=(stop,), daemon=True) for _ in range(count)]
    for w in workers:
        w.start()
    try:
        yield
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()


def median_row(rows: list[dict]) -> dict:
    """The median of each number over repeated runs (the text columns of the first)."""
    out = dict(rows[0])
    for key, value in rows[0].items():
        if isinstance(value, float):
            out[key] = statistics.median(r[key] for r in rows)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("inputs", nargs="*", help="models (default: the twin and FlightHelmet)")
    parser.add_argument("--device", default="3dcircle-42f2")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--size", type=int)
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the table shows medians")
    parser.add_argument("--load", type=int, default=0, help="busy processes competing during the runs")
    parser.add_argument(
        "--compare-load", type=int, metavar="N", help="measure idle and with N busy processes, with ratios"
    )
    parser.add_argument("--paused", action="store_true", help="also measure with the clock paused")
    parser.add_argument(
        "--live-panel",
        nargs="+",
        default=["auto"],
        choices=LIVE_PANELS,
        help="who draws the live panel (several: each in turn, run by run)",
    )
    # how the model is shaded, as `holopack preview` takes it (the option table's entries)
    for name in LOOK_OPTIONS:
        opt = options.option(name)
        parser.add_argument(opt.cli_flag, dest=name, metavar=opt.metavar, help=opt.help)
    args = parser.parse_args()
    look, _ = options.settings_fields(
        {
            name: options.option(name).check(getattr(args, name))
            for name in LOOK_OPTIONS
            if getattr(args, name) is not None
        }
    )
    inputs = args.inputs or [os.fspath(p) for p in DEFAULT_INPUTS]
    loads = [0, args.compare_load] if args.compare_load else [args.load]
    states = (True, False) if args.paused else (True,)
    load_before = os.getloadavg()[0]
    rows = []
    for path in inputs:
        for load in loads:
            for playing in states:
                runs: dict[str, list] = {panel: [] for panel in args.live_panel}
                with competing_load(load):
                    for _ in range(max(1, args.repeat)):
                        for panel in args.live_panel:  # in turns: the same machine state
                            runs[panel].append(
                                measure(
                                    path,
                                    args.device,
                                    args.seconds,
                                    args.size,
                                    playing=playing,
                                    look=look,
                                    live_panel=panel,
                                )
                            )
                for panel in args.live_panel:
                    rows.append({"load": load, "live panel": panel, **median_row(runs[panel])})
    keys = list(rows[0])
    print(f"medians of {args.repeat} runs of {args.seconds:g} s each")
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print(
            "| "
            + " | ".join(f"{row[k]:.1f}" if isinstance(row[k], float) else str(row[k]) for k in keys)
            + " |"
        )
    if args.compare_load:
        print(f"\nratios, --load {args.compare_load} / idle (playing):")
        for path in inputs:
            name = os.path.basename(path)
            for panel in args.live_panel:

                def playing(r, name=name, panel=panel):
                    return r["input"] == name and r["live panel"] == panel and r["state"] == "playing"

                idle = next(r for r in rows if playing(r) and r["load"] == 0)
                busy = next(r for r in rows if playing(r) and r["load"] > 0)
                ratios = ", ".join(
                    f"{k} {busy[k] / idle[k]:.2f}"
                    for k in ("UI fps", "live fps", "fan fps", "worker capacity fps")
                    if idle[k]
                )
                print(f"  {name}, live panel {panel}: {ratios}")
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
