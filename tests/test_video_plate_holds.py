"""A clean plate that does not hold: the backdrop's colour wanders over the clip (a camera
in hand that zooms and turns, auto exposure, white balance), and the subject, always in
the frame, is part of the plate. Keying by difference to it took a presenter's face for
the backdrop (a public clip of a man on a yellow-green wall, filmed in hand); named with
--key, the wall's colour keys such a clip alone. The clips are the test clips
(tests/_video_clips.py) with each frame's backdrop cast warm, neutral or cold in turn,
composited here in plain numpy."""

from __future__ import annotations

import numpy as np
import pytest
from _matte_measures import measure
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
from holopack.video.analyse import analyse, key_gate, source_frames
from holopack.video.crop import circle_placement, place
from holopack.video.options import video_options
from holopack.video.process import FrameProcessor

DRIFT = "the backdrop changes over the clip"
# sRGB codes: a teal wall, no screen colour (its green and blue alike), far from the
# default twin's orange and greys as the public clip's yellow-green wall is from the
# presenter's skin and clothes
WALL = (40, 150, 170)


def drifting_clip(folder, backdrop: str, cast: float, exposure: float = 0.0) -> str:
    """The default twin walking over ``backdrop`` ("studio" or "green") whose colour is
    cast warm, neutral and cold in turn, frame after frame, as auto white balance
    flickers in a camera held in hand: red + c, blue - c codes with c = -``cast``, 0,
    ``cast``. Each cast lies within the plate's tolerance of the neutral one, so the
    plate holds still, but two frames in three lie ``cast`` codes off it in red and blue;
    sensor noise of 2 codes; H.264 CRF 18 -> the clip's path. ``backdrop`` "wall": a
    wall of WALL's colour under a green screen's uneven light. ``exposure``: the
    backdrop's light is also 1 - exposure, 1 and 1 + exposure times its own in turn,
    as auto exposure pumps."""
    rng = np.random.default_rng(5)
    base = srgb_encode(
        {
            "studio": studio_background,
            "green": green_background,
            "wall": lambda size: green_background(size, np.random.default_rng(3), screen=WALL),
        }[backdrop](SIZE)
    )
    pictures = []
    for i, (linear, alpha) in enumerate(subject_frames(SIZE)):
        c = cast * ((i % 3) - 1)
        shifted = np.clip(base + np.array([c, 0.0, -c]), 0.0, 255.0)
        light = srgb_decode(shifted) * (1.0 + exposure * ((i % 3) - 1))
        a = alpha[..., None].astype(np.float64)
        picture = srgb_encode(linear.astype(np.float64) + (1.0 - a) * light)
        picture = picture + rng.normal(0, 2.0, picture.shape)
        pictures.append(np.clip(picture + 0.5, 0, 255).astype(np.uint8))
    path = str(folder / f"{backdrop}-{cast}-{exposure}.mp4")
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


def test_a_named_wall_colour_keys_a_wall_whose_light_wanders_by_its_colour_alone(tmp_path):
    # Keyed by difference to a plate its border lies 20 codes from, the gates took that
    # noise and every frame came out black; by the wall's colour the subject is kept.
    path = drifting_clip(tmp_path, "wall", 16)
    truth = np.stack([alpha for _, alpha in subject_frames(SIZE)])
    model, iou, black, _, _ = measure(path, truth, key="#2896AA")
    assert model.use_key and not model.use_plate, model.key
    (said,) = [w for w in model.warnings if w.startswith(DRIFT)]
    assert "keyed by the colour #2896aa alone" in said, said
    assert iou >= 0.95, iou
    assert black >= 0.995, black


def test_a_wall_of_one_colour_whose_light_wanders_is_keyed_by_its_colour_without_the_segmenter(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(segment, "unavailable_reason", lambda: "mediapipe is not installed")
    path = drifting_clip(tmp_path, "wall", 16)
    truth = np.stack([alpha for _, alpha in subject_frames(SIZE)])
    model, iou, black, _, _ = measure(path, truth, key="auto")
    assert model.use_key and not model.use_plate, model.key
    # the wall's colour as the border's median shows it: within the light's spread of WALL
    assert np.abs(np.subtract(model.key_rgb, WALL)).max() <= 40, model.key_rgb
    assert model.key == "#" + "".join(f"{v:02x}" for v in model.key_rgb)
    (said,) = [w for w in model.warnings if w.startswith(DRIFT)]
    assert "keyed by the colour" in said and "may lose parts" not in said, said
    assert iou >= 0.95, iou
    assert black >= 0.995, black


def test_a_painted_wall_filmed_in_hand_is_keyed_by_its_colour_without_the_segmenter(tmp_path, monkeypatch):
    # auto exposure pumps the wall's light 30% either way: no clean plate, as when the
    # camera moves; the wall is one colour all round, and that colour keys it (it was
    # left unkeyed, the frame whole)
    monkeypatch.setattr(segment, "unavailable_reason", lambda: "mediapipe is not installed")
    path = drifting_clip(tmp_path, "wall", 0, exposure=0.3)
    truth = np.stack([alpha for _, alpha in subject_frames(SIZE)])
    model, iou, black, _, _ = measure(path, truth, key="auto")
    assert model.kind == "moving" and model.use_key, (model.kind, model.key)
    assert np.abs(np.subtract(model.key_rgb, WALL)).max() <= 40, model.key_rgb
    assert any(w.startswith("the background moves: keyed by its colour") for w in model.warnings)
    assert iou >= 0.95, iou
    assert black >= 0.99, black


@pytest.mark.parametrize("backdrop", ["studio", "green", "wall"])
def test_a_backdrop_whose_exposure_pumps_is_keyed_black_in_every_frame(tmp_path, backdrop):
    # The camera's auto exposure opens and closes 20% either way frame by frame; the
    # plate holds (each exposure lies within its tolerance). The darker frames were a
    # fade already; in the brighter ones the backdrop stayed lit (the studio's worst
    # frame 23.5% exactly black, the teal wall's 55.5%).
    path = drifting_clip(tmp_path, backdrop, 0, exposure=0.2)
    truth = np.stack([alpha for _, alpha in subject_frames(SIZE)])
    model, iou, black, _, _ = measure(path, truth, key="auto")
    assert model.use_plate, model.key
    assert black >= 0.99, black
    assert iou >= 0.95, iou


class NoPerson:
    """A person segmenter that finds no one (a product, not a person, before the wall)."""

    def __call__(self, picture):
        return np.zeros(picture.shape[:2], np.float32)

    def close(self):
        pass


@pytest.mark.parametrize("cast, exposure", [(16, 0.0), (0, 0.3)], ids=["plate-does-not-hold", "moving"])
def test_a_painted_wall_is_keyed_by_its_colour_where_the_segmenter_finds_no_person(
    tmp_path, monkeypatch, cast, exposure
):
    # the segmenter found no one and the clip was left unkeyed, its wall lit
    monkeypatch.setattr(segment, "unavailable_reason", lambda: None)
    monkeypatch.setattr(segment, "Segmenter", NoPerson)
    path = drifting_clip(tmp_path, "wall", cast, exposure)
    truth = np.stack([alpha for _, alpha in subject_frames(SIZE)])
    model, iou, black, _, _ = measure(path, truth, key="auto")
    assert model.use_key and not model.use_segment, model.key
    assert any(
        w.startswith("the person segmenter finds no person: keyed by the wall's colour")
        for w in model.warnings
    )
    assert iou >= 0.95, iou
    assert black >= 0.99, black


def test_a_wall_with_nothing_before_it_is_said_to_be_unkeyed_and_nothing_else(tmp_path, monkeypatch):
    # a one-frame clip of the wall alone: the wall's colour was chosen, then nothing was
    # left to key, and the warnings said both
    monkeypatch.setattr(segment, "unavailable_reason", lambda: None)
    monkeypatch.setattr(segment, "Segmenter", NoPerson)
    wall = np.clip(srgb_encode(green_background(SIZE, np.random.default_rng(3), screen=WALL)) + 0.5, 0, 255)
    path = str(tmp_path / "wall-alone.mp4")
    encode_clip(path, [wall.astype(np.uint8)], FPS, ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18"])
    model = first_pass(path)
    assert model.key == "none", model.key
    assert model.warnings == ["nothing moves in front of the background: the clip is not keyed"], (
        model.warnings
    )


def test_a_colour_keyed_frame_placed_whole_in_the_circle_keeps_its_subject(tmp_path):
    # The whole frame fitted in the fan's circle leaves black padding all round the
    # square: the ring the fade test reads was padding alone, and was taken for the
    # clip faded to black.
    path = drifting_clip(tmp_path, "wall", 16)
    media = holopack.load(path).media
    model = analyse(media, video_options(key="#2896AA", crop="auto"))
    assert model.use_key
    placement = circle_placement((0.0, 0.0, float(SIZE), float(SIZE)), SIZE, 0.08)
    processor = FrameProcessor(model, placement)
    truths = [alpha for _, alpha in subject_frames(SIZE)]
    for frame, truth in zip(source_frames(media), truths, strict=False):
        out = processor(frame)
        solid = place(truth.astype(np.float32), placement) >= 0.99
        assert solid.sum() > 1000
        # the subject is lit where it is solid (its dark parts aside)
        assert (out.max(axis=-1)[solid] > 0).mean() >= 0.95
        assert (processor.last_alpha[solid] >= 0.5).mean() >= 0.97


def test_a_subject_reaching_the_border_leaves_the_colour_gate_as_the_screen_sets_it():
    rng = np.random.default_rng(0)
    screen = np.abs(rng.normal(0.0, 2.0, 8000))
    shoulders = rng.uniform(40.0, 60.0, 2000)  # a fifth of the border: the subject's colour
    alone, bordered = key_gate(screen), key_gate(np.concatenate([screen, shoulders]))
    assert bordered == pytest.approx(alone, rel=0.1)
    assert bordered < 15.0, bordered
