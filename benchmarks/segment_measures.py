"""Person segmentation (--key person): its matte on clips with known truth, and its speed.

    python benchmarks/segment_measures.py [--frames 36] [--seconds 4] [--repeats 3]

Needs the optional extra (pip install -e '.[segment]').

Measures: each subject (the default twin, CesiumMan, RiggedFigure) rendered as the test
clips are and composited over a panning texture (tests/_video_clips.py
``moving_clip``: no clean plate or key colour separates it), keyed with --key person
and measured with tests/_matte_measures.py (clip IoU, the least share of true background
exactly 0 in a frame, mean edge jitter), the frame placed whole at its own size.

Speed: the 1080p green-screen clip of benchmarks/bench_key.py exported to the
3dcircle-42f2 with --key person --crop auto against --key none --crop fit (the plain
path), in alternating turns (median of --repeats); and the segmenter alone on one
1920 x 1080 frame and on the 672 px frame the export segments, as CPU time per frame
(time.process_time: the model's own threads included).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one

SUBJECTS = (None, "CesiumMan", "RiggedFigure")


def measures(folder: str, frames: int) -> None:
    from _matte_measures import measure
    from _video_clips import moving_clip

    for subject in SUBJECTS:
        path, truth = moving_clip(folder, frames=frames, subject=subject)
        model, iou, black, _, jitter = measure(path, truth, key="person")
        print(
            f"  {subject or 'default twin':13s} key {model.key}: IoU {iou:.4f}, "
            f"background exactly 0 {100 * black:.2f}% (worst frame), jitter {jitter:.4f}",
            flush=True,
        )


def segmenter_cpu_ms(repeats: int = 9) -> dict:
    import cv2
    from _video_clips import subject_frames

    from holopack.video import segment

    linear, _ = subject_frames(540, 1, 3)[0]
    picture = np.clip(linear ** (1 / 2.2) * 255 + 0.5, 0, 255).astype(np.uint8)
    segmenter = segment.Segmenter()
    out = {}
    try:
        for name, shape in (("1920x1080", (1920, 1080)), ("672x672", (672, 672))):
            frame = cv2.resize(picture, shape)
            state = segment.SegmentState()
            parts: dict = {"model": [], "matte": [], "composite": []}
            for _ in range(repeats):
                c0 = time.process_time()
                mask = segmenter(frame)
                c1 = time.process_time()
                alpha = segment.segment_matte(mask, frame, state)
                c2 = time.process_time()
                segment.premultiplied(frame, alpha)
                c3 = time.process_time()
                parts["model"].append(c1 - c0)
                parts["matte"].append(c2 - c1)
                parts["composite"].append(c3 - c2)
            out[name] = {k: 1000 * float(np.median(v)) for k, v in parts.items()}
    finally:
        segmenter.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=36, help="frames of each measured clip")
    parser.add_argument("--seconds", type=float, default=4.0, help="the 1080p clip's length (30 fps)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as folder:
        print(f"moving clips (320 px, {args.frames} frames, a panning texture), --key person:")
        measures(folder, args.frames)
        import bench_key

        frames = max(2, int(round(30 * args.seconds)))
        clip = os.path.join(folder, "green-1080p.mp4")
        bench_key.make_clip(clip, frames)
        plain, person = [], []
        for _ in range(args.repeats):  # alternating turns: the same conditions
            plain.append(bench_key.run_path(clip, {"key": "none", "crop": "fit"}, frames))
            person.append(bench_key.run_path(clip, {"key": "person", "crop": "auto"}, frames))
        p_fps = float(np.median([r["fps"] for r in plain]))
        s_fps = float(np.median([r["fps"] for r in person]))
        first = float(np.median([r["plan_s"] for r in person]) - np.median([r["plan_s"] for r in plain]))
        print(
            f"1080p clip -> 3dcircle-42f2, {frames} frames, median of {args.repeats}, "
            f"load average {os.getloadavg()[0]:.2f}:"
        )
        print(f"  plain (--key none --crop fit)      {p_fps:7.1f} fps")
        print(f"  person (--key person --crop auto)  {s_fps:7.1f} fps")
        print(f"  person / plain                     {s_fps / p_fps:7.2f}")
        print(f"  first pass (analysis)              {first:7.2f} s")
    print("segmenter alone, CPU ms per frame (median of 9):")
    for name, parts in segmenter_cpu_ms().items():
        total = sum(parts.values())
        print(
            f"  {name:9s} model {parts['model']:6.1f}  matte {parts['matte']:6.1f}  "
            f"composite {parts['composite']:6.1f}  total {total:6.1f}"
        )
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
