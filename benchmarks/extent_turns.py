"""The first pass with and without every frame's extent, in turns: CPU seconds.

    python benchmarks/extent_turns.py [--seconds 10] [--turns 3]

The clip is bench_key.py's (the default twin over an unevenly lit, noisy green screen,
1920x1080, 30 fps, H.264). ``samples`` is the first pass as it was (the extent from
the samples' mattes alone: sample_clip, then the samples keyed); ``every`` is
analyse, which also has ffmpeg write every frame at analyse.EXTENT_PIXELS in the same
decode and keys those for the extent (clip_extent). CPU seconds are this process's and
its ffmpeg's together (resource.getrusage), the median of the turns; report `uptime`
beside them.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    from bench_key import make_clip

    import holopack
    from holopack.video import analyse as analysis
    from holopack.video.options import video_options

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--turns", type=int, default=3)
    args = parser.parse_args()
    options = video_options(crop="auto")

    def samples_only(media):
        samples, count, scale = analysis.sample_clip(media)
        return analysis._analyse_samples(media, options, samples, count, scale)

    paths = {"samples": samples_only, "every": lambda media: analysis.analyse(media, options)}
    with tempfile.TemporaryDirectory() as folder:
        clip = os.path.join(folder, "green-1080p.mp4")
        make_clip(clip, max(2, int(round(30 * args.seconds))))
        media = holopack.load(clip).media
        analysis.analyse(media, options)  # compiled and cached before the turns
        figures: dict = {name: [] for name in paths}
        boxes = {}
        for _ in range(args.turns):
            for name, run in paths.items():
                c0, t0 = cpu(), time.perf_counter()
                model = run(media)
                figures[name].append((cpu() - c0, time.perf_counter() - t0))
                boxes[name] = model.box
    print(os.popen("uptime").read().strip())
    for name, runs in figures.items():
        cpu_s = [r[0] for r in runs]
        wall = [r[1] for r in runs]
        box = ", ".join(f"{v:.0f}" for v in boxes[name]) if boxes[name] else "none"
        print(
            f"{name:8s} CPU {np.median(cpu_s):5.2f} s (turns {', '.join(f'{c:.2f}' for c in cpu_s)})"
            f"  wall {np.median(wall):5.2f} s  box ({box})"
        )


if __name__ == "__main__":
    main()
