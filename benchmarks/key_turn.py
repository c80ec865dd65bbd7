"""One turn of the keyed-against-plain comparison, for running two versions in turns.

    python benchmarks/key_turn.py CLIP LABEL [--make FRAMES]

Times ``bench_key.run_path`` on CLIP (made by ``bench_key.make_clip`` when --make is
given) plain then keyed in this one process, after a 30-frame keyed warm-up, and prints
one line: frames per second of each, the first pass, the whole clips' rates and their
ratio, and the CPU seconds each job took (this process and its ffmpeg children: under
other workers' load a job's CPU moves less than its rate). Run it for the old and the
new code alternately (``PYTHONPATH=OLD_TREE python benchmarks/key_turn.py ...``), so
that both see the same load, and take medians.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_key  # noqa: E402  (beside this file)


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip")
    parser.add_argument("label")
    parser.add_argument("--make", type=int, default=0, help="first make CLIP with this many frames")
    args = parser.parse_args()
    if args.make:
        bench_key.make_clip(args.clip, args.make)
    keyed, plain = {"key": "auto", "crop": "auto"}, {"key": "none", "crop": "fit"}
    bench_key.run_path(args.clip, keyed, 30)  # kernels loaded, ffmpeg in the page cache
    frames = 1 << 30  # the whole clip
    c0 = cpu_seconds()
    p = bench_key.run_path(args.clip, plain, frames)
    c1 = cpu_seconds()
    k = bench_key.run_path(args.clip, keyed, frames)
    c2 = cpu_seconds()
    print(
        f"{args.label:4s} plain {p['fps']:5.1f} fps whole {p['clip_fps']:5.1f} | keyed {k['fps']:5.1f} fps "
        f"plan {k['plan_s']:.2f} s whole {k['clip_fps']:5.1f} | whole keyed/plain "
        f"{k['clip_fps'] / p['clip_fps']:.2f} | CPU plain {c1 - c0:.1f} s keyed {c2 - c1:.1f} s "
        f"(ffmpeg included) | load {os.getloadavg()[0]:.1f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
