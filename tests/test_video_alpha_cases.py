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
