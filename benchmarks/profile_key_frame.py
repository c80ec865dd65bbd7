"""Where one keyed frame's CPU goes: key_frame's stages timed on the bench clip's frames.

    python benchmarks/profile_key_frame.py [CLIP] [--make 60] [--frames 40] [--repeats 3]
        [--one-thread] [--cprofile]

CLIP (made by ``bench_key.make_clip`` with --make frames when it does not exist; by
default a 1080p green-screen clip in the temporary folder) goes through the export's
first pass and ffmpeg's crop and scale to the 42-F2's square, as ``holopack export
--key auto --crop auto`` runs them; its placed frames are then keyed in turn by
``matte.key_frame``, each stage wrapped in a timer where key_frame calls it: the matte
kernel, the subject's window, holes, unmixing, the guided filter, the coverage edge,
the colour edge, the edge band, the spill band and the composite; what is left of
key_frame's time is its own glue (slicing, allocations, copies). Prints per stage the
process's CPU (all threads, time.process_time) and the wall time per frame, medians
over the frames of the best of --repeats passes, and with --cprofile the functions
cProfile counts in one more pass. With --one-thread, Numba's kernels and OpenCV run on
the calling thread alone: the CPU then does not depend on whether the other core was
free when a kernel started (a helper thread that starts late and claims little still
costs its wake-up), so stages compare across runs.

Report ``uptime`` beside the figures: other work on the machine's cores moves them.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one

import bench_key  # noqa: E402  (beside this file)

# (module attribute path, label): the functions key_frame and key_matte call, in order
STAGES = [
    ("matte.key_kernel.matte", "matte kernel"),
    ("matte.subject_window", "subject window"),
    ("matte.fill_holes", "holes"),
    ("matte.unmix_edge", "unmix"),
    ("matte.guide_edge", "guided filter"),
    ("matte.coverage_edge", "coverage edge"),
    ("matte.feather", "feather (lossless)"),
    ("matte.colour_edge", "colour edge"),
    ("matte.edge_band", "edge band"),
    ("matte.add_spill_band", "spill band"),
    ("matte.key_kernel.composite", "composite"),
]


class Timers:
    """Per-label lists of (CPU s, wall s) per call, summed within a frame."""

    def __init__(self):
        self.frame: dict[str, list[float]] = {}
        self.frames: list[dict[str, list[float]]] = []
        self.depth = 0

    def wrap(self, label, fn):
        def timed(*args, **kwargs):
            outer = self.depth == 0
            self.depth += 1
            c0, t0 = time.process_time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.depth -= 1
                cpu, wall = time.process_time() - c0, time.perf_counter() - t0
                entry = self.frame.setdefault(label, [0.0, 0.0])
                if outer:  # subject_window inside add_spill_band counts as the spill band's
                    entry[0] += cpu
                    entry[1] += wall

        return timed

    def next_frame(self):
        self.frames.append(self.frame)
        self.frame = {}


def patch(timers: Timers):
    """Wraps every stage where key_frame looks it up; -> a function that undoes it."""
    from holopack.video import matte

    undo = []
    for path, label in STAGES:
        parts = path.split(".")
        owner = matte if parts[1] != "key_kernel" else matte.key_kernel
        name = parts[-1]
        if not hasattr(owner, name):
            continue
        original = getattr(owner, name)
        setattr(owner, name, timers.wrap(label, original))
        undo.append((owner, name, original))

    def restore():
        for owner, name, original in undo:
            setattr(owner, name, original)

    return restore


def placed_frames(clip: str, count: int):
    """-> (the model, the processor's inputs: placed (S, S, 3) uint8 frames, the processor)."""
    from holopack.pipeline import ExportPlan, ExportSettings
    from holopack.scene.load import load
    from holopack.video.crop import window
    from holopack.video.decode import window_filter
    from holopack.video.process import FrameProcessor

    plan = ExportPlan(
        load(clip), ExportSettings(device="3dcircle-42f2", key="auto", crop="auto"), "profile.BIN"
    )
    media = plan.source.media
    placement = media.placement()
    win = window(media.width, media.height, placement)
    stream = media.source.open_filtered(window_filter(win), (placement.size, placement.size))
    frames = []
    for frame in stream:
        frames.append(np.array(frame))
        if len(frames) >= count:
            break
    return media.model, frames, lambda: FrameProcessor(media.model, placement)


def key_pass(frames, make_processor, timers: Timers | None):
    processor = make_processor()
    totals = []
    for frame in frames:
        c0, t0 = time.process_time(), time.perf_counter()
        processor.key(frame)
        totals.append((time.process_time() - c0, time.perf_counter() - t0))
        if timers is not None:
            timers.next_frame()
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "clip", nargs="?", default=os.path.join(tempfile.gettempdir(), "profile-key-1080p.mp4")
    )
    parser.add_argument("--make", type=int, default=60, help="frames of the clip when it is made")
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--one-thread", action="store_true", help="Numba and OpenCV on one thread")
    args = parser.parse_args()
    if args.one_thread:
        import cv2
        import numba

        numba.set_num_threads(1)
        cv2.setNumThreads(1)
    if not os.path.exists(args.clip):
        bench_key.make_clip(args.clip, args.make)
    model, frames, make_processor = placed_frames(args.clip, args.frames)
    print(
        f"{os.path.basename(args.clip)}: {len(frames)} placed frames {frames[0].shape[1]} px, "
        f"background {model.kind}, plate {model.use_plate}, key {model.use_key}, "
        f"edge_px {model.edge_px}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
        + (", one thread" if args.one_thread else "")
    )
    key_pass(frames, make_processor, None)  # compiled, pages touched
    best = None
    for _ in range(args.repeats):
        timers = Timers()
        restore = patch(timers)
        try:
            totals = key_pass(frames, make_processor, timers)
        finally:
            restore()
        cpu_total = float(np.median([c for c, _ in totals]))
        if best is None or cpu_total < best[0]:
            best = (cpu_total, totals, timers)
    assert best is not None
    _, totals, timers = best
    labels = [label for _, label in STAGES if any(label in f for f in timers.frames)]
    cpu = {lab: np.array([f.get(lab, [0.0, 0.0])[0] for f in timers.frames]) for lab in labels}
    wall = {lab: np.array([f.get(lab, [0.0, 0.0])[1] for f in timers.frames]) for lab in labels}
    cpu_frame = np.array([c for c, _ in totals])
    wall_frame = np.array([w for _, w in totals])
    glue_cpu = cpu_frame - sum(cpu.values())
    glue_wall = wall_frame - sum(wall.values())
    print(f"median per frame over {len(frames)} frames, best of {args.repeats} passes (by CPU)")
    print("| stage | CPU ms | share | wall ms |\n|---|---|---|---|")
    total = float(np.median(cpu_frame))
    for lab in labels:
        c = float(np.median(cpu[lab]))
        print(f"| {lab} | {1e3 * c:.2f} | {100 * c / total:.0f}% | {1e3 * float(np.median(wall[lab])):.2f} |")
    g = float(np.median(glue_cpu))
    print(
        f"| glue (the rest of key_frame) | {1e3 * g:.2f} | {100 * g / total:.0f}% | {1e3 * float(np.median(glue_wall)):.2f} |"
    )
    print(f"| whole keyed frame | {1e3 * total:.2f} | 100% | {1e3 * float(np.median(wall_frame)):.2f} |")
    if args.cprofile:
        profile = cProfile.Profile()
        profile.enable()
        key_pass(frames, make_processor, None)
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(25)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
