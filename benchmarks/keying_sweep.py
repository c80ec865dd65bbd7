"""Keying measures over held-out clips that differ from the test clips in more than the
seed: frame size and shape, frame rate, length, codec and quality, screen colour,
light, noise, and subjects that leave the frame or stand still.

    python benchmarks/keying_sweep.py [--only NAME,...] [--seed 21]

Each clip (tests/_video_clips.py ``variant_clip``) is keyed with ``--key auto`` and
measured with tests/_matte_measures.py (IoU >= 0.97, background exactly 0 >= 99.5% in
the worst frame, spill <= 2/255 on screens, jitter <= 0.05), the frame placed whole
(``--crop fit``) at its own pixel size. ``box`` is the share of the truth's extent over
the clip (pixels of truth >= 0.5 in any frame) inside the subject's extent that
``--crop auto`` fits, and ``excess`` how much larger that extent's area is than the
truth's bounding box (``--crop auto`` leaves the subject small when it is large).
``gain`` is ``--levels auto``'s. A line ends in FAIL and the bars it misses.
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
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one

# name: variant_clip's arguments (besides the seed); each short, so a sweep runs in minutes
SWEEP = {
    "base-green": dict(kind="green"),
    "base-studio": dict(kind="studio", crf=23),
    "green-640x360": dict(kind="green", width=640, height=360, frames=24),
    "studio-640x360": dict(kind="studio", width=640, height=360, frames=24, crf=23),
    "green-360x640": dict(kind="green", width=360, height=640, frames=24),
    "studio-360x640": dict(kind="studio", width=360, height=640, frames=24, crf=23),
    "green-1280x720": dict(kind="green", width=1280, height=720, frames=12),
    "green-60fps": dict(kind="green", fps=60),
    "green-12frames": dict(kind="green", frames=12),
    "studio-12frames": dict(kind="studio", frames=12, crf=23),
    "green-72frames": dict(kind="green", frames=72),
    "green-120-fast": dict(kind="green", frames=120, walks=4, reach=0.5),
    "studio-120-fast": dict(kind="studio", frames=120, walks=4, reach=0.5, crf=23),
    "green-crf23": dict(kind="green", crf=23),
    "green-crf28": dict(kind="green", crf=28),
    "studio-crf28": dict(kind="studio", crf=28),
    "green-yuv444": dict(kind="green", pix_fmt="yuv444p"),
    "green-vp9": dict(kind="green", codec="vp9", crf=30),
    "studio-vp9": dict(kind="studio", codec="vp9", crf=30),
    "green-hevc": dict(kind="green", codec="hevc", crf=23),
    "green-dark": dict(kind="green", screen=(20, 90, 40)),
    "green-yellowish": dict(kind="green", screen=(110, 190, 40)),
    "green-pale": dict(kind="green", screen=(110, 200, 130)),
    "blue": dict(kind="blue"),
    "blue-dark": dict(kind="blue", screen=(20, 40, 110)),
    "green-vignette": dict(kind="green", light=0.6),
    "studio-vignette": dict(kind="studio", light=0.6, crf=23),
    "green-noise12": dict(kind="green", noise=12.0),
    "studio-noise4": dict(kind="studio", noise=4.0, crf=23),
    "studio-dark": dict(kind="studio", grey=0.01, crf=23),
    "studio-light": dict(kind="studio", grey=0.5, crf=23),
    "green-leaves": dict(kind="green", reach=2.5),
    "studio-leaves": dict(kind="studio", reach=2.5, crf=23),
    "green-still": dict(kind="green", still=18),
    "studio-still": dict(kind="studio", still=18, crf=23),
    "textured-h264": dict(kind="textured", crf=18),
    "green-cesium": dict(kind="green", subject="CesiumMan"),
    "studio-fox": dict(kind="studio", subject="Fox", crf=23),
}


def main() -> None:
    from _matte_measures import measure_frames
    from _video_clips import variant_clip

    import holopack
    from holopack.video.analyse import analyse, source_frames
    from holopack.video.crop import fit_placement
    from holopack.video.options import video_options
    from holopack.video.process import FrameProcessor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SWEEP))
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    print(
        f"{'clip':16s} {'kind':13s} {'IoU':>7s} {'black':>8s} {'spill':>6s} {'jitter':>7s} "
        f"{'box':>6s} {'excess':>6s} {'gain':>5s}"
    )
    for name in args.only.split(","):
        spec = dict(SWEEP[name])
        kind = spec.pop("kind")
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            path, truth = variant_clip(kind, folder, seed=args.seed, **spec)
            media = holopack.load(path).media
            model = analyse(media, video_options(crop="fit", levels="auto"))
            h, w = truth.shape[1:]
            size = max(w, h)
            top, left = (size - h) // 2, (size - w) // 2
            processor = FrameProcessor(model, fit_placement(w, h, size))

            def frames():
                for i, frame in enumerate(source_frames(media)):  # noqa: B023
                    out = processor(frame)  # noqa: B023
                    alpha = processor.last_alpha  # noqa: B023
                    yield out[top : top + h, left : left + w], alpha[top : top + h, left : left + w], truth[i]  # noqa: B023

            iou, black, spill, jitter = measure_frames(frames())
        solid = (truth >= 0.5).any(axis=0)
        ys, xs = np.nonzero(solid)
        cover, excess = 0.0, float("nan")
        if model.box is not None and len(xs):
            x0, y0, x1, y1 = model.box
            inside = solid[int(max(0, y0)) : int(np.ceil(y1)), int(max(0, x0)) : int(np.ceil(x1))].sum()
            cover = inside / solid.sum()
            true_area = (xs.max() + 1 - xs.min()) * (ys.max() + 1 - ys.min())
            excess = (x1 - x0) * (y1 - y0) / true_area - 1.0
        misses = [
            bar
            for bar, bad in (
                ("IoU", iou < 0.97),
                ("black", black < 0.995),
                ("spill", kind in ("green", "blue") and spill > 2.0),
                ("jitter", jitter > 0.05),
                ("box", cover < 0.995 or excess > 0.1),
            )
            if bad
        ]
        print(
            f"{name:16s} {model.kind:13s} {iou:7.4f} {100 * black:7.2f}% {spill:6.2f} {jitter:7.4f} "
            f"{cover:6.3f} {excess:6.3f} {model.gain:5.2f}  {time.perf_counter() - start:5.1f} s"
            + (f"  FAIL {' '.join(misses)}" if misses else ""),
            flush=True,
        )


if __name__ == "__main__":
    main()
