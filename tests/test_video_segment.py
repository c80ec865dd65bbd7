"""Person segmentation (--key person, and --key auto on a background that moves):
holopack.video.segment. The tests of the segmenter itself need the optional extra
(pip install -e '.[segment]'); it is not in the test extra (docs/video.md,
"Segmentation": mediapipe 0.10.14 brings a second cv2 distribution, jax and jaxlib, about
a minute and 800 MB of install), so they are skipped, saying what is missing, where it
is absent. The rest (what happens without it, the matte's and the composite's
arithmetic) always run."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from _matte_measures import measure
from _video_clips import moving_clip, srgb_decode, srgb_encode, subject_frames

import holopack
from holopack.cli import main
from holopack.errors import InputError
from holopack.pack.playlist import parse_playlist
from holopack.video import segment
from holopack.video.analyse import analyse, source_frames
from holopack.video.crop import fit_placement
from holopack.video.options import parse_key, video_options
from holopack.video.process import FrameProcessor

MISSING = segment.unavailable_reason()
needs_segment = pytest.mark.skipif(
    MISSING is not None, reason=f"person segmentation is not installed ({MISSING}): {segment.INSTALL}"
)


@pytest.fixture()
def without_segmentation(monkeypatch):
    """As on a machine without the extra, whether or not this one has it."""
    monkeypatch.setattr(segment, "unavailable_reason", lambda: "mediapipe is not installed")


@pytest.fixture(scope="module")
def moving(tmp_path_factory):
    """The default twin over a panning texture: (path, truth (N, H, W) float32)."""
    return moving_clip(str(tmp_path_factory.mktemp("moving")), frames=12)


def test_import_holopack_does_not_import_mediapipe_nor_pxr():
    # pxr (usd-core, the USD reader) is imported by the USD loader alone, on first use
    code = (
        "import sys, holopack, holopack.cli, holopack.inspection, holopack.video.process; "
        "import holopack.scene.load; from holopack.scene import usd; usd.available(); "
        "from holopack.video import segment; segment.available(); segment.status(); "
        "print('mediapipe' in sys.modules, 'pxr' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_key_person_without_the_extra_is_one_line_naming_what_to_install(
    without_segmentation, moving, tmp_path, capsys
):
    out = tmp_path / "out.mp4"
    with pytest.raises(SystemExit) as exc:
        main(["export", moving[0], "--device", "mp4-fan", "--key", "person", "-q", "-o", str(out)])
    assert exc.value.code != 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and "pip install 'holopack[segment]'" in lines[0]
    assert not out.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(InputError, match=r"holopack\[segment\]"):
        parse_key("person")


def test_a_playlist_item_keyed_person_without_the_extra_is_refused(without_segmentation, tmp_path, moving):
    text = f'devices = ["hypervsn"]\n[[items]]\ninput = "{moving[0]}"\nkey = "person"\n'
    with pytest.raises(InputError) as exc:
        parse_playlist(text, str(tmp_path / "list.toml"))
    assert "item 1" in str(exc.value) and "holopack[segment]" in str(exc.value)


def test_auto_on_a_moving_background_without_the_extra_keeps_the_frame_and_says_what_would_key_it(
    without_segmentation, moving, capsys
):
    media = holopack.load(moving[0]).media
    model = analyse(media, video_options())
    assert model.kind == "moving" and model.key == "none" and not model.use_segment
    assert any(segment.INSTALL in w for w in model.warnings)
    assert main(["inspect", moving[0]]) == 0
    text = capsys.readouterr().out
    assert f"person segmentation: not available (mediapipe is not installed): {segment.INSTALL}" in text


def test_a_segmenter_that_does_not_load_leaves_auto_as_without_it_and_refuses_person(monkeypatch, moving):
    def broken():
        raise InputError("mediapipe does not load (No module named 'google')")

    monkeypatch.setattr(segment, "unavailable_reason", lambda: None)  # installed, as it seems
    monkeypatch.setattr(segment, "Segmenter", broken)
    media = holopack.load(moving[0]).media
    model = analyse(media, video_options())
    assert model.kind == "moving" and model.key == "none" and not model.use_segment
    assert any("does not load" in w and "google" in w for w in model.warnings)
    with pytest.raises(InputError, match="does not load"):
        analyse(media, video_options(key="person"))


def test_premultiplied_is_the_frame_times_the_matte_in_linear_light():
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    alpha = rng.uniform(0, 1, (40, 50)).astype(np.float32)
    alpha[:5] = 0.0
    alpha[5:10] = 1.0
    for gain in (1.0, 1.7):
        out = segment.premultiplied(frame, alpha, gain)
        # the reference: the published sRGB curve in float64, the matte unquantised
        share = np.round(alpha * 255.0) / 255.0  # the matte's 255 steps
        expected = srgb_encode(srgb_decode(frame) * (share * gain)[..., None])
        assert np.abs(out.astype(float) - expected).max() <= 0.5 + 1e-6
        assert (out[:5] == 0).all()
    assert (segment.premultiplied(frame, alpha)[5:10] == frame[5:10]).all()  # solid: the frame


def test_segment_matte_smooths_a_still_pixels_mask_and_follows_a_moved_one():
    y, x = np.mgrid[0:64, 0:64]
    frame = np.full((64, 64, 3), 90, np.uint8)
    first = np.clip((20.5 - np.hypot(x - 32, y - 32)) / 4 + 0.5, 0, 1).astype(np.float32)
    state = segment.SegmentState()
    a0 = segment.segment_matte(first, frame, state)
    # the outline is the mask's 0.5 line: inside it solid, outside clear (exact 0)
    assert (a0[np.hypot(x - 32, y - 32) < 18] == 1).all() and (a0[np.hypot(x - 32, y - 32) > 23] == 0).all()
    wavered = np.clip(first + 0.3 * np.sin(x + y), 0, 1).astype(np.float32)  # the model's noise
    moved = frame.copy()
    moved[:, 48:] += 40  # the right part of the picture changes
    a1 = segment.segment_matte(wavered, moved, state)
    w = segment.STILL_WEIGHT
    blended = np.where(np.arange(64)[None, :] < 48, w * first + (1 - w) * wavered, wavered)
    expected = segment.segment_matte(blended.astype(np.float32), moved)
    assert np.array_equal(a1, expected)
    # the smoothed edge wavers less than the mask alone
    assert np.abs(a1 - a0)[:, :48].sum() < np.abs(segment.segment_matte(wavered, moved) - a0)[:, :48].sum()


@needs_segment
def test_auto_segments_a_moving_background_and_says_so(moving, capsys):
    media = holopack.load(moving[0]).media
    model = analyse(media, video_options())
    assert model.kind == "moving" and model.use_segment and model.key.startswith("person")
    assert any("person segmenter" in w for w in model.warnings)
    assert main(["inspect", moving[0]]) == 0
    assert "person segmentation: available (mediapipe" in capsys.readouterr().out


@needs_segment
def test_a_segmented_frame_is_exact_black_where_the_matte_is_clear_and_the_frame_where_solid(moving):
    media = holopack.load(moving[0]).media
    model = analyse(media, video_options(key="person", crop="fit"))
    processor = FrameProcessor(model, fit_placement(media.width, media.height, media.width))
    clear = solid = 0
    for frame in source_frames(media):
        out = processor(frame)
        alpha = processor.last_alpha
        assert alpha.min() >= 0 and alpha.max() <= 1
        assert (out[alpha == 0] == 0).all()
        assert (out[alpha == 1] == frame[..., :3][alpha == 1]).all()
        clear, solid = clear + (alpha == 0).sum(), solid + (alpha == 1).sum()
    assert clear > 0 and solid > 0


@needs_segment
def test_segmenting_a_moving_background_keys_the_figure_far_better_than_leaving_it(moving):
    # the selfie model is made for real people: on the rendered default twin over the
    # panning texture this 12-frame clip measures IoU 0.43 and 64% of the background
    # exactly 0 in the worst frame (36 frames: 0.38 and 91%; docs/video.md); left
    # unkeyed, every pixel is lit
    path, truth = moving
    _, iou, black, _, _ = measure(path, truth, key="person")
    _, iou_none, black_none, _, _ = measure(path, truth, key="none")
    assert iou >= 0.35 and iou > 2.5 * iou_none
    assert black >= 0.5 and black_none < 0.05


@needs_segment
def test_export_key_person_writes_the_clip(moving, tmp_path):
    out = tmp_path / "out.mp4"
    assert main(["export", moving[0], "--device", "mp4-fan", "--key", "person", "-q", "-o", str(out)]) == 0
    assert out.stat().st_size > 0


@needs_segment
def test_key_person_keys_a_still_picture_and_fits_the_figure_into_the_circle(tmp_path):
    from PIL import Image

    linear, truth = subject_frames(256, 1, 0, subject="CesiumMan")[0]
    picture = np.clip(srgb_encode(linear + (1 - truth[..., None]) * 0.2) + 0.5, 0, 255).astype(np.uint8)
    still = tmp_path / "figure.png"
    Image.fromarray(picture).save(still)
    out = tmp_path / "frames"
    argv = ["export", str(still), "--device", "mp4-fan", "--format", "png", "--size", "128"]
    assert main(argv + ["--seconds", "0.1", "--key", "person", "--no-circle-mask", "-q", "-o", str(out)]) == 0
    first = np.asarray(Image.open(sorted(out.iterdir())[0]))[..., :3]
    assert (first[:12, :12] == 0).all() and (first[:12, -12:] == 0).all()  # the grey is black
    lit = first.max(axis=-1) > 0
    ys, xs = np.nonzero(lit)
    # the figure (taller than wide) fitted into the circle: its extent spans most of it
    assert ys.max() - ys.min() > 0.6 * 128 and abs((xs.min() + xs.max()) / 2 - 64) < 12


@needs_segment
def test_closing_a_segmenter_twice_is_harmless():
    segmenter = segment.Segmenter()
    segmenter.close()
    segmenter.close()  # mediapipe's own close raises on a second call
