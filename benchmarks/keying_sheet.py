"""The before/after contact sheet of the keying test clips: docs/keying.png.

    python benchmarks/keying_sheet.py [-o docs/keying.png] [--clips CLIP ...]

One row per test clip (tests/_video_clips.py: green screen, grey studio, static
texture, WebM with alpha); three frames each, the source (over a checkerboard where it
has alpha) beside what holopack makes of it (--key auto, --crop fit, black = LEDs off).
It also prints each clip's matte measures (tests/_matte_measures.py).

``--clips``: the same sheet of clips of your own instead (stock footage, a studio's
delivery), three frames spread over each, and what the first pass took the background
for; there is no truth to measure them against, so look.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one

THUMB = 160
PICKS = (4, 16, 28)


def checker(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.where(((x // 16) + (y // 16)) % 2 == 0, 90, 150).astype(np.float64)[..., None]


def main() -> None:
    from _matte_measures import measure
    from _video_clips import KINDS, make_clip

    import holopack
    from holopack.video.analyse import analyse, source_frames
    from holopack.video.crop import fit_placement
    from holopack.video.options import video_options
    from holopack.video.process import FrameProcessor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=os.path.join(HERE, "..", "docs", "keying.png"))
    parser.add_argument("--clips", nargs="+", help="clips of your own instead of the test clips")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.clips or KINDS:
            if args.clips:
                path, label = kind, os.path.basename(kind)
            else:
                path, truth = make_clip(kind, folder)
                _, iou, zero, spill, jitter = measure(path, truth)
                print(
                    f"{kind:9s} IoU {iou:.4f}  background exactly 0 {100 * zero:.2f}%  "
                    f"spill {spill:.2f}/255  jitter {jitter:.4f}"
                )
                label = kind
            media = holopack.load(path).media
            model = analyse(media, video_options(crop="fit"))
            processor = FrameProcessor(model, fit_placement(media.width, media.height, media.width))
            count = max(1, media.frame_count)
            picks = PICKS if not args.clips else tuple(int(t * (count - 1)) for t in (0.1, 0.5, 0.9))
            before, after = [], []
            for i, frame in enumerate(source_frames(media)):
                if i > max(picks):
                    break
                out = processor(frame)
                if i in picks:
                    if frame.shape[2] == 4:
                        a = frame[..., 3:4] / 255.0
                        shown = frame[..., :3] * a + checker(*frame.shape[:2]) * (1 - a)
                        frame = shown.astype(np.uint8)
                    before.append(Image.fromarray(frame[..., :3]).resize((THUMB, THUMB)))
                    after.append(Image.fromarray(out).resize((THUMB, THUMB)))
            row = Image.new("RGB", (THUMB * 6 + 8, THUMB + 18), (255, 255, 255))
            for j, im in enumerate(before):
                row.paste(im, (j * THUMB, 18))
            for j, im in enumerate(after):
                row.paste(im, (8 + (3 + j) * THUMB, 18))
            ImageDraw.Draw(row).text(
                (4, 3),
                f"{label}: {model.kind}, key {model.key}  (left: source, right: holopack)",
                fill=(0, 0, 0),
            )
            rows.append(row)
    sheet = Image.new("RGB", (rows[0].width, sum(r.height for r in rows)), (255, 255, 255))
    y = 0
    for r in rows:
        sheet.paste(r, (0, y))
        y += r.height
    sheet.save(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
