"""The keying measures over held-out clips: one line per clip kind and seed.

    python benchmarks/held_out_keying.py [--kinds green,studio,textured,webm] [--seeds 21-26]
                                         [--subject CesiumMan] [--frames 36] [--size 320]
                                         [--sway 90]

The clips are made as the test clips are (tests/_video_clips.py, ``vary=True``: the seed
draws the light, the backdrop, the texture, the noise and the compression), keyed with
``--key auto --crop fit`` and measured with tests/_matte_measures.py, the measures
tests/test_video_keying.py asserts (IoU >= 0.97, background exactly 0 >= 99.5% in the
worst frame, spill <= 2/255, jitter <= 0.05). A line ends in FAIL and the bar it misses.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one


def seed_list(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds.extend(range(int(lo), int(hi or lo) + 1))
    return seeds


def add_clip_arguments(parser: argparse.ArgumentParser, kinds: str) -> None:
    """The options that say which held-out clips to make (--kinds, default ``kinds``;
    --seeds, --subject, --frames, --size, --sway), for held_out_clip."""
    from _video_clips import FRAMES, SIZE, SWAY_PX

    parser.add_argument("--kinds", default=kinds)
    parser.add_argument("--seeds", default="21-26")
    parser.add_argument("--subject", default=None, help="a model in tests/data (default: the default twin)")
    parser.add_argument("--frames", type=int, default=FRAMES)
    parser.add_argument("--size", type=int, default=SIZE, help="the square clip's side in pixels")
    parser.add_argument(
        "--sway", type=int, default=SWAY_PX, help="how far the subject walks each way (pixels)"
    )


def held_out_clip(kind: str, folder: str, seed: int, args: argparse.Namespace):
    """The held-out clip of ``kind`` and ``seed`` made as add_clip_arguments' options
    say, in ``folder`` -> (path, truth (N, H, W) float32)."""
    from _video_clips import make_clip

    return make_clip(
        kind,
        folder,
        size=args.size,
        frames=args.frames,
        seed=seed,
        vary=True,
        subject=args.subject,
        sway=args.sway,
    )


def main() -> None:
    from _matte_measures import measure
    from _video_clips import KINDS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_clip_arguments(parser, ",".join(KINDS))
    parser.add_argument("--see-through", default="none", help="key with --see-through (auto or none)")
    args = parser.parse_args()
    print(f"{'clip':9s} {'seed':>4s} {'subject':10s} {'IoU':>7s} {'black':>8s} {'spill':>6s} {'jitter':>7s}")
    for kind in args.kinds.split(","):
        for seed in seed_list(args.seeds):
            with tempfile.TemporaryDirectory() as folder:
                start = time.perf_counter()
                path, truth = held_out_clip(kind, folder, seed, args)
                _, iou, black, spill, jitter = measure(path, truth, see_through=args.see_through)
            misses = [
                name
                for name, bad in (
                    ("IoU", iou < 0.97),
                    ("black", black < 0.995),
                    ("spill", kind == "green" and spill > 2.0),
                    ("jitter", jitter > 0.05),
                )
                if bad
            ]
            print(
                f"{kind:9s} {seed:4d} {args.subject or '-':10s} {iou:7.4f} {100 * black:7.2f}% "
                f"{spill:6.2f} {jitter:7.4f}  {time.perf_counter() - start:5.1f} s"
                + (f"  FAIL {' '.join(misses)}" if misses else ""),
                flush=True,
            )


if __name__ == "__main__":
    main()
