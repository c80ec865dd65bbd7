"""A clean plate that does not hold: the backdrop's colour wanders over the clip (a camera
in hand that zooms and turns, auto exposure, white balance), and the subject, always in
the frame, is part of the plate. Keying by difference to it took a presenter's face for
the backdrop (a public clip of a man on a yellow-green wall, filmed in hand). The clips
are the test clips (tests/_video_clips.py) with each frame's backdrop cast warm, neutral
or cold in turn, composited here in plain numpy."""

from __future__ import annotations

import numpy as np
import pytest
from _video_clips import (
    FPS,
    SIZE,
    encode_clip,
    green_background,
    srgb_decode,
    srgb_encode,
    studio_background,
    subject_frames,
)

import holopack
from holopack.video import segment
from holopack.video.analyse import analyse
from holopack.video.options import video_options

DRIFT = "the backdrop changes over the clip"


def drifting_clip(folder, backdrop: str, cast: float) -> str:
    """The default twin walking over ``backdrop`` ("studio" or "green") whose colour is
    cast warm, neutral and cold in turn, frame after frame, as auto white balance
    flickers in a camera held in hand: red + c, blue - c codes with c = -``cast``, 0,
    ``cast``. Each cast lies within the plate's tolerance of the neutral one, so the
    plate holds still, but two frames in three lie ``cast`` codes off it in red and blue;
    sensor noise of 2 codes; H.264 CRF 18 -> the clip's path."""
    rng = np.random.default_rng(5)
    base = srgb_encode(studio_background(SIZE) if backdrop == "studio" else green_background(SIZE))
    pictures = []
    for i, (linear, alpha) in enumerate(subject_frames(SIZE)):
        c = cast * ((i % 3) - 1)
        shifted = np.clip(base + np.array([c, 0.0, -c]), 0.0, 255.0)
        a = alpha[..., None].astype(np.float64)
        picture = srgb_encode(linear.astype(np.float64) + (1.0 - a) * srgb_decode(shifted))
        picture = picture + rng.normal(0, 2.0, picture.shape)
        pictures.append(np.clip(picture + 0.5, 0, 255).astype(np.uint8))
    path = str(folder / f"{backdrop}-{cast}.mp4")
    encode_clip(
        path, pictures, FPS, ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-preset", "veryfast"]
    )
    return path


def first_pass(path: str):
    return analyse(holopack.load(path).media, video_options(key="auto", crop="auto"))


def test_a_studio_whose_light_wanders_is_said_to_key_badly_without_the_segmenter(tmp_path, monkeypatch):
    monkeypatch.setattr(segment, "unavailable_reason", lambda: "mediapipe is not installed")
    model = first_pass(drifting_clip(tmp_path, "studio", 16))
    assert model.key == "difference to the clean plate"
    (said,) = [w for w in model.warnings if w.startswith(DRIFT)]
    assert "the subject may lose parts" in said and segment.INSTALL in said, said


def test_a_studio_whose_light_wanders_is_segmented_where_the_segmenter_is_at_hand(tmp_path):
    if not segment.available():
        pytest.skip("the person segmenter (the 'segment' extra) is not installed")
    model = first_pass(drifting_clip(tmp_path, "studio", 16))
    assert any(w.startswith(DRIFT) and "person segmenter" in w for w in model.warnings), model.warnings
    # rendered figures are no people: the segmenter may find none, and then keeps the frame
    assert model.use_segment or model.key == "none", model.key
    assert not model.use_plate


@pytest.mark.parametrize("backdrop", ["studio", "green"])
def test_a_steady_backdrop_keeps_its_clean_plate(tmp_path, backdrop):
    model = first_pass(drifting_clip(tmp_path, backdrop, 0))
    assert model.use_plate and not any(w.startswith(DRIFT) for w in model.warnings), model.warnings
