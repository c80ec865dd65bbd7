"""The before/after contact sheet of clips that fade: docs/keying-fades.png.

    python benchmarks/fade_sheet.py [-o docs/keying-fades.png]

Three clips of tests/test_video_fade.py (the default twin on a green screen fading in
from white, the same fading in from black, and on a grey studio fading out to black,
each fade over 12 of the clip's 36 frames): per clip a row of source frames through the
fade and, under it, what holopack makes of them (--key auto, --crop fit; black = LEDs
off). The fan shows a fade from white as one from black.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one

CLIPS = (  # (kind, the light faded from or to, at the end, the frames shown)
    ("green", 1.0, False, (0, 2, 4, 6, 8, 12)),
    ("green", 0.0, False, (0, 2, 4, 6, 8, 12)),
    ("studio", 0.0, True, (23, 26, 29, 31, 33, 35)),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=os.path.join(HERE, "..", "docs", "keying-fades.png"))
    parser.add_argument("--scale", type=float, default=1 / 3, help="the sheet's size against the clips'")
    args = parser.parse_args()
    from _matte_measures import key_clip
    from test_video_fade import faded_clip

    import holopack
    from holopack.video.analyse import source_frames

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for kind, edge, at_end, shown in CLIPS:
            path, _, shares = faded_clip(pathlib.Path(folder), kind, edge, at_end)
            sources = [f[..., :3] for f in source_frames(holopack.load(path).media)]
            outputs = [out for _, out, _ in key_clip(path)]
            rows.append(np.concatenate([sources[i] for i in shown], axis=1))
            rows.append(np.concatenate([outputs[i] for i in shown], axis=1))
            print(
                f"{kind} from {'white' if edge else 'black'}{' (out)' if at_end else ''}: "
                f"shares {', '.join(f'{shares[i]:.2f}' for i in shown)}"
            )
    sheet = np.concatenate(rows, axis=0)
    size = (round(sheet.shape[1] * args.scale), round(sheet.shape[0] * args.scale))
    Image.fromarray(sheet).resize(size, Image.Resampling.LANCZOS).save(args.output, optimize=True)
    print(f"wrote {args.output} ({size[0]} x {size[1]})")


if __name__ == "__main__":
    main()
