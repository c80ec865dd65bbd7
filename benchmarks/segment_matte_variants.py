"""What each step of the segmented matte (holopack.video.segment.segment_matte) buys.

    python benchmarks/segment_matte_variants.py [--model 0|1]

Needs the optional extra (pip install -e '.[segment]'). The default twin and CesiumMan,
rendered as the test clips (320 px, 36 frames, walking and holding each position for two
frames), over plain grey and over the panning texture (tests/_video_clips.py), with
light noise; the segmenter runs once per frame and each variant mattes its masks:

  raw        the model's mask, gated at matte.MATTE_GATE
  coverage   its 0.5 line as the outline (matte.coverage_edge)
  keep       coverage, a still pixel keeping the previous frame's matte outright
  smoothed   the mask smoothed on still pixels first (segment.STILL_WEIGHT), then
             coverage: segment_matte as it is

measured with tests/_matte_measures.py (clip IoU, the least share of true background
exactly 0 in a frame, mean edge jitter). --model: the selfie model (0: the general one,
256 x 256 input, holopack's; 1: the landscape one, 144 x 256).
"""

from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=int, default=None, help="model_selection (default: holopack's)")
    parser.add_argument("--still-weight", type=float, default=None, help="segment.STILL_WEIGHT to try")
    args = parser.parse_args()
    import _video_clips as vc
    from _matte_measures import measure_frames

    from holopack.video import segment
    from holopack.video.matte import MATTE_GATE

    def raw(mask, frame, state):
        alpha = mask.copy()
        alpha[alpha < MATTE_GATE] = 0.0
        return alpha

    def coverage(mask, frame, state):
        return segment.segment_matte(mask, frame, None)

    def keep(mask, frame, state):
        alpha = coverage(mask, frame, None)
        if state.frame is not None:
            moved = np.abs(frame.astype(np.int16) - state.frame.astype(np.int16)).sum(-1)
            still = moved <= segment.STILL_TOLERANCE
            alpha[still] = state.mask[still]
        state.frame, state.mask = frame.copy(), alpha.copy()
        return alpha

    variants = {"raw": raw, "coverage": coverage, "keep": keep, "smoothed": segment.segment_matte}
    model = segment.MODEL_SELECTION if args.model is None else args.model
    if args.still_weight is not None:
        segment.STILL_WEIGHT = args.still_weight
    segmenter = segment.Segmenter(model)
    print(f"model_selection {model}, STILL_WEIGHT {segment.STILL_WEIGHT}, load average {os.getloadavg()}")
    try:
        for subject in (None, "CesiumMan"):
            for backdrop in ("grey", "panning"):
                rng = np.random.default_rng(7)
                pictures, truth = [], []
                rendered = vc.subject_frames(320, 36, 0, subject=subject)
                for (linear, alpha), behind in zip(rendered, vc.panning_background(320, 36, 1000)):
                    if backdrop == "grey":
                        behind = np.full_like(behind, 0.2)
                    codes = vc.srgb_encode(linear + (1 - alpha[..., None]) * behind)
                    codes = codes + rng.normal(0, 2, linear.shape)
                    pictures.append(np.clip(codes + 0.5, 0, 255).astype(np.uint8))
                    truth.append(alpha)
                masks = [segmenter(p) for p in pictures]
                for name, matte in variants.items():
                    state = segment.SegmentState()

                    def frames(matte=matte, state=state):
                        for picture, mask, t in zip(pictures, masks, truth):
                            alpha = matte(mask, picture, state)
                            yield segment.premultiplied(picture, alpha), alpha, t

                    iou, black, _, jitter = measure_frames(frames())
                    print(
                        f"{subject or 'twin':10s} {backdrop:8s} {name:9s} IoU {iou:.4f} "
                        f"background exactly 0 {100 * black:.2f}% jitter {jitter:.4f}",
                        flush=True,
                    )
    finally:
        segmenter.close()


if __name__ == "__main__":
    main()
