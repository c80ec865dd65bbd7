"""Clips with an alpha channel that does not do what alpha clips usually do: one opaque
in every frame (a product shot on white saved as APNG), one transparent in every frame,
one whose colour under alpha 0 is bright. The pictures are made here with Pillow, their
truth known; the keyed frames are read with plain numpy (tests/_matte_measures.key_clip
keys them as export does)."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from _matte_measures import key_clip
from _video_clips import disc_over_screen
from PIL import Image

import holopack
from holopack.cli import main

W, H, FRAMES = 96, 72, 10


def apng(path, alpha_of, colour=(230, 120, 40), backdrop=(250, 250, 250), rows=(24, 48), width=30):
    """An APNG of a ``width`` x 24 block (its ``rows``) walking 3 px a frame over
    ``backdrop``, with alpha ``alpha_of(block)`` (H, W) uint8 from the block's mask -> the
    truth (N, H, W) float64: the block."""
    pictures, truths = [], []
    for i in range(FRAMES):
        rgba = np.zeros((H, W, 4), np.uint8)
        rgba[..., :3] = backdrop
        block = np.zeros((H, W), bool)
        block[rows[0] : rows[1], 20 + 3 * i - width // 2 + 15 : 20 + 3 * i + width // 2 + 15] = True
        rgba[block, :3] = colour
        rgba[..., 3] = alpha_of(block)
        pictures.append(Image.fromarray(rgba, "RGBA"))
        truths.append(block.astype(np.float64))
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=100, loop=0)
    return np.stack(truths)


def test_an_alpha_channel_opaque_in_every_frame_is_keyed_as_a_clip_without_one(tmp_path):
    # A public APNG: a part turning on white, every pixel's alpha 255. Taken for an alpha
    # clip, nothing was keyed and the fan showed a white card, --key or not.
    path = tmp_path / "on_white.png"
    truth = apng(path, lambda block: np.full(block.shape, 255, np.uint8))
    media = holopack.load(str(path)).media
    assert media.alpha  # the file has the channel ...
    keyed = list(key_clip(str(path)))
    model = keyed[0][0]
    assert not model.alpha  # ... which hides nothing
    assert any("opaque in every frame" in w for w in model.warnings)
    pad = (W - H) // 2  # the frame placed whole in a W x W square
    for (_, out, alpha), t in zip(keyed, truth, strict=True):
        out, alpha = out[pad : pad + H], alpha[pad : pad + H]
        assert (out[t == 0].max(axis=-1) == 0).mean() >= 0.995  # the white backdrop is black
        assert np.minimum(alpha, t).sum() / np.maximum(alpha, t).sum() >= 0.9


def test_a_clip_transparent_in_every_frame_is_said_to_show_nothing(tmp_path, capsys):
    path = tmp_path / "clear.png"
    apng(path, lambda block: np.zeros(block.shape, np.uint8))
    out = tmp_path / "out.mp4"
    assert main(["export", str(path), "-o", str(out), "--device", "mp4-fan"]) == 0
    err = capsys.readouterr().err
    assert sum("no subject shows in any frame" in line for line in err.splitlines()) == 1
    assert out.exists()  # an empty loop is still a loop: said, not refused


@pytest.mark.parametrize("suffix", [".png", ".webm"])
def test_an_alpha_clip_is_not_warned_of_a_lit_background_its_alpha_clears(tmp_path, capsys, suffix):
    # The subject runs off the picture's bottom, so the border is lit where it does;
    # under alpha 0 the colour is bright, as editors leave it. The fan shows all of it
    # black but the subject, and --crop auto fits the subject into the circle. A public
    # VP9 WebM with alpha was warned of "mean border level 96/255 ... key it out".
    path = tmp_path / "cut_out.png"
    apng(
        path,
        lambda block: np.where(block, 255, 0).astype(np.uint8),
        backdrop=(200, 200, 200),
        rows=(24, H),
        width=2 * W,
    )
    if suffix == ".webm":
        webm = tmp_path / "cut_out.webm"
        exe = imageio_ffmpeg.get_ffmpeg_exe()
        subprocess.run(
            [exe, "-y", "-loglevel", "error", "-i", str(path), "-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p"]
            + ["-crf", "10", "-b:v", "0", "-deadline", "realtime", "-cpu-used", "8", str(webm)],
            check=True,
        )
        path = webm
    assert main(["inspect", str(path)]) == 0
    said = capsys.readouterr().out
    assert "alpha: yes" in said
    assert "the background is not black" not in said


@pytest.mark.parametrize(
    "suffix, codec",
    [
        (".webm", "-c:v libvpx-vp9 -pix_fmt yuva420p -crf 10 -b:v 0 -deadline realtime".split()),
        (".mov", "-c:v prores_ks -profile:v 4444 -pix_fmt yuva444p10le".split()),
    ],
)
def test_a_video_with_alpha_placed_by_ffmpeg_is_premultiplied_before_it_is_shrunk(tmp_path, suffix, codec):
    # ffmpeg crops and shrinks a video with alpha for the fan as it decodes. A white disc
    # whose clear pixels hold a bright green: averaged as straight colours, the disc's rim
    # would take the green of the clear pixels beside it; premultiplied first, the clear
    # pixels give nothing. The frames must also be those of the clip read whole and
    # placed by FrameProcessor in numpy and OpenCV, within the two resamplers' rounding.
    from holopack.video.analyse import source_frames
    from holopack.video.options import video_options
    from holopack.video.process import FrameProcessor, processed_media

    size, count = (160, 120), 8
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    raw = []
    for i in range(count):
        disc = np.hypot(xx - 60 - 4 * i, yy - 60) < 30
        rgba = np.zeros((size[1], size[0], 4), np.uint8)
        rgba[..., :3] = (0, 255, 0)
        rgba[disc, :3] = 255
        rgba[..., 3] = np.where(disc, 255, 0)
        raw.append(rgba)
    path = str(tmp_path / f"disc{suffix}")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgba"]
    cmd += ["-s", f"{size[0]}x{size[1]}", "-r", "10", "-i", "-", *codec, path]
    subprocess.run(cmd, input=b"".join(f.tobytes() for f in raw), check=True)
    media = holopack.load(path).media
    processed = processed_media(media, video_options(key="auto", crop="auto"))
    assert processed.model.alpha
    processed.set_size(48)  # the disc's 60 px shrunk to about 30
    frames = list(processed.frames())
    whole = FrameProcessor(processed.model, processed.placement())
    assert len(frames) == count
    for frame, read in zip(frames, source_frames(media), strict=True):
        assert frame.shape == (48, 48, 3)
        rgb = frame.astype(int)
        numpy_placed = whole(read).astype(int)
        # no green on the rim: ProRes 4444 keeps the chroma whole; VP9's halved chroma
        # mixes the green into the disc's edge as it decodes (30-36 codes), and the first
        # pass, finding the green under the clear pixels and the rim leaning to it,
        # despills the rim (test_a_clip_keyed_elsewhere_from_a_green_screen_...)
        assert (rgb[..., 1] - rgb[..., 0]).max() <= 3
        assert (numpy_placed[..., 1] - numpy_placed[..., 0]).max() <= 3
        assert rgb.max() >= 250 and (rgb.max(axis=-1) == 0).mean() > 0.3  # a white disc on black
        assert np.abs(rgb - numpy_placed).max() <= 6
    assert processed.model.despill == (1 if suffix == ".webm" else -1)


def keyed_elsewhere(tmp_path, subject, spill: float, name: str, band=None):
    """A disc of colour ``subject`` walking over a green screen, the screen's light on
    its outer 3 px (a share ``spill`` of the screen's colour added), with sensor noise,
    keyed by ffmpeg's colorkey into a VP9 WebM with alpha, as a clip keyed elsewhere
    arrives: the screen's colour stays under the clear pixels -> (the WebM's path, the
    truth (N, H, W) float64: the disc). band: a colour for rows 56-71 of the disc."""
    path = str(tmp_path / name)
    truth = disc_over_screen(
        path, (40, 180, 70), subject, spill, count=8, x0=50, seed=5, band=band, keyed=True
    )
    return path, truth


def rim_spill(frames) -> float:
    """The largest per-frame mean green excess over max(R, B) on the lit pixels within
    3 px of an unlit one (numpy and scipy: the spill measure of the keying tests)."""
    from scipy import ndimage

    worst = 0.0
    for frame in frames:
        rgb = frame.astype(np.float64)
        lit = rgb.max(axis=-1) > 0
        rim = lit & (ndimage.distance_transform_edt(lit) <= 3)
        worst = max(
            worst, float(np.maximum(0.0, rgb[..., 1] - np.maximum(rgb[..., 0], rgb[..., 2]))[rim].mean())
        )
    return worst


def test_a_clip_keyed_elsewhere_from_a_green_screen_has_its_rim_despilled(tmp_path, monkeypatch):
    # ffmpeg's colorkey clears the screen but leaves its colour under the clear pixels
    # and its light on the subject's rim, which VP9's halved chroma spreads further.
    # Passed through as alpha, the fan showed a green ring round the subject (12.8/255
    # on the held-out green screen seed 21 keyed so). The first pass finds the screen's
    # colour under the clear pixels and a rim leaning to it, and the export despills the
    # rim as it does a keyed clip's.
    from holopack.video import analyse as analysis
    from holopack.video.options import video_options
    from holopack.video.process import processed_media

    path, _ = keyed_elsewhere(tmp_path, (225, 140, 95), 0.35, "keyed.webm")

    def exported():
        processed = processed_media(holopack.load(path).media, video_options(key="auto", crop="auto"))
        processed.set_size(96)
        return processed.model, list(processed.frames())

    model, frames = exported()
    assert model.alpha and model.despill == 1
    assert "despilled" in model.key
    assert rim_spill(frames) <= 2.0
    lit = np.concatenate([f[f.max(axis=-1) > 0] for f in frames]).astype(int)
    assert np.median(lit[:, 0]) >= 200  # the orange subject itself is kept
    monkeypatch.setattr(analysis, "SPILL_LEAN", 1e9)  # the rim taken as it comes
    model, frames = exported()
    assert model.despill == -1
    assert rim_spill(frames) > 4.0  # over the bar of 2 without


def test_a_green_subject_over_green_left_under_its_alpha_keeps_its_green(tmp_path):
    # The same screen's colour under the clear pixels, but a green subject without the
    # screen's light on its rim: its rim is as green as the rest of it, so nothing leans
    # to the screen and nothing is despilled.
    from holopack.video.options import video_options
    from holopack.video.process import processed_media

    path, _ = keyed_elsewhere(tmp_path, (150, 220, 20), 0.0, "green.webm")  # far enough for colorkey
    processed = processed_media(holopack.load(path).media, video_options(key="auto", crop="auto"))
    processed.set_size(96)
    assert processed.model.alpha and processed.model.despill == -1
    assert rim_spill(processed.frames()) > 30.0


def test_a_key_named_for_a_clip_keyed_elsewhere_keys_it_again_from_its_colour(tmp_path, capsys):
    # colorkey measures distance in RGB, so a grey band across an orange subject lies
    # within its reach of the green and comes out partly clear; the colour under the
    # clear pixels is the screen's, so --key green keys the clip from its colour as
    # the screen itself would be keyed (the held-out green screens keyed so: IoU
    # 0.79-0.96 through colorkey's alpha, 0.971-0.979 keyed again). inspect points to it.
    path, truth = keyed_elsewhere(tmp_path, (225, 140, 95), 0.0, "band.webm", band=(100, 125, 105))

    def iou(key):
        model, _, alpha = zip(*key_clip(path, key=key), strict=True)
        a = np.stack(alpha)  # the square clip fitted whole: the truth's pixels
        return model[0], float(np.minimum(a, truth).sum() / np.maximum(a, truth).sum())

    own_model, own = iou("auto")
    keyed_model, keyed = iou("green")
    assert own_model.alpha and not keyed_model.alpha
    assert keyed_model.kind == "green screen"
    assert any("its alpha is set aside" in w for w in keyed_model.warnings)
    assert keyed >= 0.97 and keyed >= own + 0.03, (own, keyed)
    assert main(["inspect", path]) == 0
    said = capsys.readouterr().out
    assert "under its clear pixels: #" in said and "a screen's colour" in said


def test_a_key_named_for_a_clip_with_nothing_under_its_alpha_keeps_the_alpha(tmp_path):
    # A cut-out on clear black (a rendered twin's WebM): no screen's colour under its
    # clear pixels, so a named key would take the clear black for the subject; the
    # clip's own alpha is kept and the key is said to be set aside.
    from _video_clips import make_clip

    path, _ = make_clip("webm", str(tmp_path), frames=6)
    model = next(iter(key_clip(path, key="green")))[0]
    assert model.alpha and model.colour_under is None
    assert any("--key green is set aside" in w for w in model.warnings)


def test_a_clip_keyed_again_from_its_colour_is_placed_by_ffmpeg_as_when_read_whole(tmp_path, monkeypatch):
    # A clip with alpha keyed from its colour is placed by ffmpeg's window filter (its
    # straight colour, the alpha dropped), as an opaque clip is: its frames must be
    # those of the clip read whole and placed by FrameProcessor in numpy and OpenCV,
    # within the two resamplers' rounding and what the keyer makes of it.
    from holopack.video.analyse import source_frames
    from holopack.video.options import video_options
    from holopack.video.process import FrameProcessor, processed_media

    path, _ = keyed_elsewhere(tmp_path, (225, 140, 95), 0.0, "band.webm", band=(100, 125, 105))
    media = holopack.load(path).media
    processed = processed_media(media, video_options(key="green", crop="auto"))
    assert not processed.model.alpha
    processed.set_size(80)

    def read_whole(self, frame):
        raise AssertionError("a frame read whole, not placed by ffmpeg")

    monkeypatch.setattr(FrameProcessor, "__call__", read_whole)
    frames = list(processed.frames())
    monkeypatch.undo()
    whole = FrameProcessor(processed.model, processed.placement())
    read = [whole(frame) for frame in source_frames(media)]
    assert len(frames) == len(read) == 8
    for frame, numpy_placed in zip(frames, read, strict=True):
        assert frame.shape == numpy_placed.shape == (80, 80, 3)
        lit, numpy_lit = frame.max(axis=-1) > 0, numpy_placed.max(axis=-1) > 0
        assert (lit & numpy_lit).sum() >= 0.97 * (lit | numpy_lit).sum()
        assert np.abs(frame.astype(int) - numpy_placed.astype(int))[lit & numpy_lit].mean() <= 3.0
    assert rim_spill(frames) <= 2.0  # the screen keyed away, its light on the rim too
