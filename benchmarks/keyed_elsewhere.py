"""Green-screen clips keyed elsewhere: the matte measures with and without the rim's despill.

    python benchmarks/keyed_elsewhere.py [--seeds 21-26] [--similarity 0.15] [--blend 0.1]

Each held-out green-screen clip (tests/_video_clips.py, ``vary=True``) is keyed by
ffmpeg's colorkey at its screen's colour (the median of its first frame's top and
bottom rows) into a VP9 WebM with alpha (yuva420p) and a ProRes 4444 MOV, as an editor
without a despill step would deliver it: the screen's colour stays under the clear
pixels and on the subject's rim. Both are measured as the keying tests measure
(tests/_matte_measures.py: IoU against the clip's truth, least share of the true
background exactly 0 in a frame, largest per-frame spill in codes, edge jitter), once
as holopack exports them ("on"), once with the rim's despill turned off
(analyse.SPILL_LEAN set out of reach: "off") and once with ``--key green`` ("green":
the alpha set aside, the colour left under it keyed), in the same run; "source" is the
clip before colorkey, keyed with ``--key auto``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import imageio_ffmpeg
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one

from held_out_keying import add_clip_arguments, held_out_clip, seed_list  # noqa: E402

CODECS = {
    "webm": ["-c:v", "libvpx-vp9", "-crf", "18", "-b:v", "0", "-deadline", "realtime", "-cpu-used", "8"],
    "mov": ["-c:v", "prores_ks", "-profile:v", "4444"],
}
PIX_FMT = {"webm": "yuva420p", "mov": "yuva444p10le"}


def screen_colour(path: str) -> str:
    """The median colour of the clip's first frame's top and bottom 8 rows, as colorkey
    takes a colour (0xRRGGBB)."""
    import holopack
    from holopack.video.analyse import source_frames

    frame = next(iter(source_frames(holopack.load(path).media)))
    border = np.concatenate([frame[:8].reshape(-1, 3), frame[-8:].reshape(-1, 3)])
    return "0x{:02X}{:02X}{:02X}".format(*np.median(border, axis=0).astype(int))


def keyed_copy(path: str, suffix: str, similarity: float, blend: float) -> str:
    out = os.path.splitext(path)[0] + "-keyed." + suffix
    key = f"colorkey={screen_colour(path)}:{similarity}:{blend},format={PIX_FMT[suffix]}"
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [exe, "-y", "-loglevel", "error", "-i", path, "-vf", key, *CODECS[suffix], out], check=True
    )
    return out


def main() -> None:
    from _matte_measures import measure

    from holopack.video import analyse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_clip_arguments(parser, "green")
    parser.add_argument("--similarity", type=float, default=0.15, help="colorkey's similarity")
    parser.add_argument("--blend", type=float, default=0.1, help="colorkey's blend")
    args = parser.parse_args()
    lean = analyse.SPILL_LEAN
    print(f"{'clip':6s} {'seed':>4s} {'despill':8s} {'IoU':>7s} {'black':>8s} {'spill':>6s} {'jitter':>7s}")
    for seed in seed_list(args.seeds):
        with tempfile.TemporaryDirectory() as folder:
            path, truth = held_out_clip("green", folder, seed, args)
            for suffix in CODECS:
                keyed = keyed_copy(path, suffix, args.similarity, args.blend)
                for label, bar, key in (
                    ("on", lean, "auto"),
                    ("off", float("inf"), "auto"),
                    ("green", lean, "green"),
                ):
                    analyse.SPILL_LEAN = bar
                    model, iou, black, spill, jitter = measure(keyed, truth, key=key)
                    assert model is not None and model.alpha == (key == "auto")
                    said = label if key != "auto" else "on" if model.despill >= 0 else "off"
                    print(
                        f"{suffix:6s} {seed:4d} {label + ('' if said == label else ' (' + said + ')'):8s} "
                        f"{iou:7.4f} {100 * black:7.2f}% {spill:6.2f} {jitter:7.4f}",
                        flush=True,
                    )
            analyse.SPILL_LEAN = lean
            _, iou, black, spill, jitter = measure(path, truth)
            print(
                f"{'mp4':6s} {seed:4d} {'source':8s} {iou:7.4f} {100 * black:7.2f}% {spill:6.2f} {jitter:7.4f}"
            )


if __name__ == "__main__":
    main()
