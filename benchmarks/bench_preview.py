"""Frame rates of the preview window playing a model: the UI loop and the render worker.

Runs the real window (start Xvfb first, or run under ``xvfb-run -s "-screen 0 1280x720x24"``)
with the wall clock, as a designer would see it, for a few seconds after a warm-up, and
prints a markdown table. The UI loop is capped at 60 fps; the worker renders as fast as
it can on its own thread.

    python benchmarks/bench_preview.py [INPUT] [--device NAME] [--seconds S] [--size PX]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def measure(path, device, seconds, size, warmup=3.0, playing=True):
    from functools import partial

    from holopack.device import list_profiles
    from holopack.pipeline import default_twin
    from holopack.preview.source import PipelineFrames
    from holopack.preview.window import PreviewWindow
    from holopack.scene.load import load

    path = path or default_twin()
    scene = load(path)
    window = PreviewWindow(
        path, scene, device, devices=list_profiles(), frames_factory=partial(PipelineFrames, size=size)
    )
    try:
        window.wait_for_current(300)  # compile / load the Numba caches and fit the camera
        window.controls.playing = playing
        end = time.perf_counter() + warmup
        while time.perf_counter() < end:
            _paced_tick(window)
        ui_start, ui_frames = time.perf_counter(), window.frame_count
        worker_start = window.worker.frames_done
        render_seconds_start = window.worker.render_seconds
        gaps = []
        last = time.perf_counter()
        end = last + seconds
        while time.perf_counter() < end:
            _paced_tick(window)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now
        elapsed = time.perf_counter() - ui_start
        made = window.worker.frames_done - worker_start
        busy = window.worker.render_seconds - render_seconds_start
        return {
            "input": os.path.basename(path),
            "device": device,
            "state": "playing" if playing else "paused",
            "render px": window.worker._frames.size,
            "UI fps": (window.frame_count - ui_frames) / elapsed,
            "UI worst frame ms": max(gaps) * 1000,
            "UI median frame ms": statistics.median(gaps) * 1000,
            "worker fps": made / elapsed,
            "worker ms/frame": busy / max(made, 1) * 1000,
        }
    finally:
        window.close()


def _paced_tick(window):
    started = time.perf_counter()
    window.tick()
    left = 1.0 / window.max_fps - (time.perf_counter() - started)
    if left > 0:
        window.glfw.wait_events_timeout(left)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("input", nargs="?")
    parser.add_argument("--device", default="3dcircle-42f2")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", type=int)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows = [
        measure(args.input, args.device, args.seconds, args.size, playing=playing)
        for playing in (True, False)
    ]
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print(
            "| "
            + " | ".join(f"{row[k]:.1f}" if isinstance(row[k], float) else str(row[k]) for k in keys)
            + " |"
        )
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
