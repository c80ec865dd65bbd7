"""Where a frame's threads lose their share of the cores: holopack.work_pool runs traced.

    python benchmarks/pool_share.py [--model FlightHelmet] [--size 1024] [--frames 20]
                                    [--load N]

Renders a turntable (unlit, textures, supersampling 1, as bench_render.py) and traces
every holopack.work_pool.run the frame makes. Per stage (the worker's name) it reports:

- wall: the run's milliseconds, from the call to its return;
- cpu: CPU milliseconds the threads spent inside the worker (caller + helpers: each
  thread's time.thread_time around its own call of the worker, which runs in Python);
- queued: milliseconds those threads were runnable but not running (the run queue time
  of /proc/self/task/TID/schedstat before and after each call): the share other threads
  took from them. (schedstat's on-CPU time is not used: for the running thread it is
  only brought up to date at a tick or a switch.)
- wake: how long after the job was posted the first helper entered the worker;
- tail: how long the caller waited after its own loop returned, for a helper that
  still held an item;
- items: the run's claims (the work counter's final value less one failed claim per
  thread), and wall / items;
- helpers: how many helper calls entered the worker per run (late ones skip it);
- caller wall, cpu, start: the caller's own call of the worker (median microseconds of
  wall and of its CPU time) and how long after the post it began;
- same CPU: the fraction of runs where a helper started on the CPU the caller started on
  (two threads of one frame sharing one core while another core runs something else).

Frame lines: wall, CPU of all threads, the part of the wall no run covers (the
caller's Python between stages), and the wall of the same frames drawn untraced in
turns with the traced ones (the trace's own cost: it reads /proc around each call). ``--load N`` runs N busy processes while tracing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from holopack.openmp import configure as configure_openmp  # noqa: E402

configure_openmp()

from bench_render import cameras, model  # noqa: E402

from holopack import work_pool  # noqa: E402
from holopack.bench.load import competing_load  # noqa: E402
from holopack.rendering import Renderer  # noqa: E402


def processor(tid: int) -> int:
    """The CPU a thread of this process last ran on (/proc/self/task/TID/stat field 39)."""
    with open(f"/proc/self/task/{tid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[36])


def schedstat(tid: int) -> tuple[int, int]:
    """(ns on a CPU, ns runnable but waiting for one) of one thread of this process."""
    with open(f"/proc/self/task/{tid}/schedstat") as f:
        on_cpu, queued, _ = f.read().split()
    return int(on_cpu), int(queued)


class Trace:
    """Each run's record: stage -> list of dicts (see the module's docstring)."""

    def __init__(self) -> None:
        self.runs: dict[str, list[dict]] = defaultdict(list)
        self.enabled = False
        self.original = work_pool.run

    def install(self) -> None:
        for module in list(sys.modules.values()):
            if getattr(module, "run", None) is self.original and module is not work_pool:
                module.run = self.run  # type: ignore[attr-defined]

    def run(self, worker, *args, alone: bool = False) -> None:
        if not self.enabled or alone or work_pool.threads() == 1:
            self.original(worker, *args, alone=alone)
            return
        caller = threading.get_native_id()
        calls: list[tuple] = []

        def timed(*a):
            tid = threading.get_native_id()
            cpu = processor(tid)
            s0 = schedstat(tid)
            c0 = time.thread_time_ns()
            t0 = time.perf_counter()
            try:
                worker(*a)
            finally:
                t1 = time.perf_counter()
                c1 = time.thread_time_ns()
                s1 = schedstat(tid)
                calls.append((tid, t0, t1, c1 - c0, s1[1] - s0[1], cpu))

        counters = [a for a in args if isinstance(a, np.ndarray) and a.dtype == np.int64 and a.shape == (1,)]
        posted = time.perf_counter()
        self.original(timed, *args)
        returned = time.perf_counter()
        mine = [c for c in calls if c[0] == caller]
        helpers = [c for c in calls if c[0] != caller]
        items = int(counters[0][0]) - len(calls) if counters else 0
        self.runs[worker.__name__ if hasattr(worker, "__name__") else str(worker)].append(
            {
                "wall": returned - posted,
                "cpu": sum(c[3] for c in calls) * 1e-9,
                "queued": sum(c[4] for c in calls) * 1e-9,
                "wake": min((c[1] for c in helpers), default=returned) - posted,
                "tail": returned - mine[0][2] if mine else 0.0,
                "items": items,
                "caller": (mine[0][2] - mine[0][1], mine[0][3] * 1e-9, mine[0][1] - posted)
                if mine
                else (0, 0, 0),
                "helpers": len(helpers),
                "shared": bool(mine and any(c[5] == mine[0][5] for c in helpers)),
                "start": posted,
                "end": returned,
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="FlightHelmet")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--load", type=int, default=0)
    args = parser.parse_args()

    posed, materials, textures = model(args.model)
    cams = cameras(posed, args.frames)
    renderer = Renderer((args.size, args.size), 1)
    trace = Trace()
    trace.install()

    def frame(cam):
        renderer.draw(posed, materials, textures, cam.view, cam.projection, "unlit")

    for cam in cams[:2]:
        frame(cam)
    frames = []
    untraced = []
    with competing_load(args.load):
        for cam in cams:
            trace.enabled = False  # the same frame untraced, in turns: what the trace costs
            t0 = time.perf_counter()
            frame(cam)
            untraced.append(time.perf_counter() - t0)
            trace.enabled = True
            first = {k: len(v) for k, v in trace.runs.items()}
            c0 = time.process_time()
            t0 = time.perf_counter()
            frame(cam)
            t1 = time.perf_counter()
            c1 = time.process_time()
            covered = sum(r["wall"] for k, v in trace.runs.items() for r in v[first.get(k, 0) :])
            frames.append((t1 - t0, c1 - c0, t1 - t0 - covered))
        trace.enabled = False
    print(
        f"{args.model} {args.size}^2 unlit, {args.frames} frames, threads {work_pool.threads()}, "
        f"load {args.load}, load average {os.getloadavg()[0]:.2f}"
    )
    ms = 1000.0
    print(
        f"frame medians: wall {ms * statistics.median(f[0] for f in frames):.2f} ms, "
        f"CPU {ms * statistics.median(f[1] for f in frames):.2f} ms, "
        f"outside runs {ms * statistics.median(f[2] for f in frames):.2f} ms; "
        f"untraced frames in turns: wall {ms * statistics.median(untraced):.2f} ms"
    )
    print(
        "| stage | runs/frame | wall ms | cpu ms | cores | queued ms | wake us | tail us | items | us/item "
        "| helpers | same CPU | caller wall us | caller cpu us | caller start us |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, runs in trace.runs.items():
        per = len(runs) / args.frames
        wall = sum(r["wall"] for r in runs) / args.frames
        cpu = sum(r["cpu"] for r in runs) / args.frames
        queued = sum(r["queued"] for r in runs) / args.frames
        wake = statistics.median(r["wake"] for r in runs)
        tail = statistics.median(r["tail"] for r in runs)
        items = statistics.median(r["items"] for r in runs)
        per_item = statistics.median(r["wall"] / max(r["items"], 1) for r in runs)
        helpers = statistics.mean(r["helpers"] for r in runs)
        shared = statistics.mean(r["shared"] for r in runs)
        caller = [1e6 * statistics.median(r["caller"][i] for r in runs) for i in range(3)]
        print(
            f"| {name} | {per:.1f} | {ms * wall:.2f} | {ms * cpu:.2f} | {cpu / max(wall, 1e-9):.2f} | "
            f"{ms * queued:.2f} | {1e6 * wake:.0f} | {1e6 * tail:.0f} | {items:.0f} | {1e6 * per_item:.0f} | "
            f"{helpers:.2f} | {shared:.2f} | {caller[0]:.0f} | {caller[1]:.0f} | {caller[2]:.0f} |"
        )


if __name__ == "__main__":
    main()
