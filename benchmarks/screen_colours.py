"""Screens of colours other than green: the key chosen and the screen's light left on the rim.

    python benchmarks/screen_colours.py [--screens magenta,yellow,cyan,red,green,blue]
                                        [--seeds 21-22] [--key auto]

Each clip is a held-out green-screen clip (tests/_video_clips.py ``variant_clip``: the
default twin walking, uneven light, sensor noise, 15% of the screen's light on the
subject's outer 3 px, H.264) with the screen painted another colour. It is keyed as
export keys it (``--key``, ``--crop fit``) and measured against the truth: the matte's
IoU, and in the worst frame the mean excess of the screen's colour (holopack.video.despill's
measure written out here in numpy: the leading channel over the larger other, or the
smaller of two leading channels over the third) on the output's pixels within 3 px
inside the subject's edge. That excess counts the subject's own colour too where it
leans the screen's way; despill takes it all off the 4 px band.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))

from held_out_keying import seed_list  # noqa: E402

SCREENS = {
    "magenta": (190, 40, 200),
    "yellow": (200, 190, 40),
    "cyan": (40, 190, 200),
    "red": (200, 40, 40),
    "green": (40, 180, 60),
    "blue": (40, 80, 200),
}


def screen_excess(rgb: np.ndarray, screen) -> np.ndarray:
    """How far ``screen``'s colour leads in rgb (..., 3): one leading channel over the
    larger other, or the smaller of two leading channels over the third."""
    s = np.asarray(screen, np.float64)
    high, middle, low = np.argsort(-s, kind="stable")
    c = rgb.astype(np.float64)
    if s[high] - s[middle] >= s[middle] - s[low]:
        return c[..., high] - np.maximum(c[..., middle], c[..., low])
    return np.minimum(c[..., high], c[..., middle]) - c[..., low]


def main() -> None:
    from _matte_measures import key_clip
    from _video_clips import variant_clip
    from scipy import ndimage

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", default=",".join(SCREENS))
    parser.add_argument("--seeds", default="21-22")
    parser.add_argument("--key", default="auto")
    args = parser.parse_args()
    print(f"{'screen':8s} {'seed':>4s} {'IoU':>7s} {'rim excess':>10s}  key")
    for name in args.screens.split(","):
        for seed in seed_list(args.seeds):
            with tempfile.TemporaryDirectory() as folder:
                path, truth = variant_clip("green", folder, seed=seed, screen=SCREENS[name])
                inter = union = worst = 0.0
                models = []
                for i, (keyed, out, alpha) in enumerate(key_clip(path, args.key)):
                    models.append(keyed)
                    t = truth[i]
                    inter += float(np.minimum(alpha, t).sum())
                    union += float(np.maximum(alpha, t).sum())
                    rim = (t > 0) & (ndimage.distance_transform_edt(t > 0) <= 3) & (out.max(axis=-1) > 0)
                    excess = np.maximum(screen_excess(out, SCREENS[name]), 0.0)[rim]
                    worst = max(worst, float(excess.mean()) if excess.size else 0.0)
            print(f"{name:8s} {seed:4d} {inter / union:7.4f} {worst:10.2f}  {models[-1].key}", flush=True)


if __name__ == "__main__":
    main()
