"""Still pictures as retail has them: a product photographed on white, keyed with
``--key '#FFFFFF'``, and a logo or cut-out with alpha, fitted into the fan's circle by
its subject. The pictures are drawn here with numpy, their truth known; the fan's video
is read back with imageio-ffmpeg and measured with numpy."""

from __future__ import annotations

import imageio_ffmpeg
import numpy as np
from _matte_measures import key_clip
from PIL import Image

from holopack.cli import main

W, H = 240, 180


def product_on_white(path):
    """A product on a white sweep, as shop photos have it: a dark grey body, a silver
    band and an orange badge on (250, 250, 250) with a little sensor noise -> its mask
    (H, W) bool."""
    rng = np.random.default_rng(3)
    picture = np.full((H, W, 3), 250.0) + rng.normal(0.0, 1.2, (H, W, 3))
    y, x = np.mgrid[0:H, 0:W]
    body = ((x - 120) / 80.0) ** 2 + ((y - 95) / 50.0) ** 2 <= 1.0
    picture[body] = (58, 60, 66)  # black plastic, as most devices are
    band = body & (np.abs(y - 95) <= 8)
    picture[band] = (172, 174, 180)  # brushed metal: a grey, but no white
    badge = body & ((x - 150) ** 2 + (y - 75) ** 2 <= 64)
    picture[badge] = (235, 110, 40)
    Image.fromarray(np.clip(picture + 0.5, 0, 255).astype(np.uint8)).save(path)
    return body


def test_a_product_on_white_keeps_its_black_and_silver_parts_keyed_with_white(tmp_path):
    # The white key read chroma alone, in which every grey is white: a public photo of a
    # headset on white came out 99.6% black, only its orange tab left.
    path = tmp_path / "product.png"
    truth = product_on_white(path)
    ((model, out, alpha),) = list(key_clip(str(path), key="#FFFFFF"))
    pad = (W - H) // 2  # the picture placed whole in a W x W square
    out, alpha = out[pad : pad + H], alpha[pad : pad + H]
    assert (out[~truth].max(axis=-1) == 0).mean() >= 0.995  # the white is black
    inner = truth & ~np.pad(~truth, 2, constant_values=True)[2:-2, 2:-2]  # 2 px inside
    for x in range(-2, 3):
        for y in range(-2, 3):
            inner &= np.roll(np.roll(truth, y, 0), x, 1)
    assert (alpha[inner] >= 0.99).mean() >= 0.99  # the body, the band and the badge stay
    band = inner & (np.abs(np.mgrid[0:H, 0:W][0] - 95) <= 6)
    assert np.abs(out[band].astype(int) - (172, 174, 180)).max() <= 6  # the silver as it is


def test_a_logo_with_alpha_is_fitted_into_the_circle_by_its_subject(tmp_path):
    # A wide logo whose letters reach both sides of its picture: fitted whole into the
    # square, its ends fell past the circle; and a subject in one corner of its picture
    # stayed off centre.
    path = tmp_path / "logo.png"
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[60:120, 0:W] = (40, 160, 230, 255)  # reaches both sides
    Image.fromarray(rgba, "RGBA").save(path)
    corner = tmp_path / "corner.png"
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[10:70, 10:90] = (230, 200, 40, 255)  # in the top left corner
    Image.fromarray(rgba, "RGBA").save(corner)
    for picture in (path, corner):
        out = tmp_path / (picture.stem + ".mp4")
        assert main(["export", str(picture), "-o", str(out), "--device", "mp4-fan", "-q"]) == 0
        frames = imageio_ffmpeg.read_frames(str(out))
        size = next(frames)["size"][0]
        frame = np.frombuffer(next(frames), np.uint8).reshape(size, size, 3).astype(int)
        frames.close()
        lit = frame.max(axis=-1) > 40
        y, x = np.nonzero(lit)
        r = np.hypot(x + 0.5 - size / 2, y + 0.5 - size / 2) / (size / 2)
        assert r.max() <= 0.97, f"{picture.name}: lit out to {r.max():.3f} of the radius"
        # centred: the subject's box centre within 2% of the picture's
        centre = ((x.min() + x.max() + 1) / 2 / size, (y.min() + y.max() + 1) / 2 / size)
        assert abs(centre[0] - 0.5) <= 0.02 and abs(centre[1] - 0.5) <= 0.02, centre
        assert lit.mean() > 0.05  # and not shrunk to nothing


def test_a_still_on_white_is_warned_of_with_the_key_that_clears_it(tmp_path, capsys):
    # export keys a picture only when a key is named: a product on white came out a lit
    # white disc, and the warning (inspect's alone) did not say which key clears it
    path = tmp_path / "product.png"
    truth = product_on_white(path)
    out = tmp_path / "plain.mp4"
    assert main(["export", str(path), "-o", str(out), "--device", "mp4-fan", "-q"]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "not black" in line]
    assert len(said) == 1 and said[0].endswith("key it out to black with --key '#FAFAFA'"), said
    assert main(["inspect", str(path)]) == 0
    assert "--key '#FAFAFA'" in capsys.readouterr().out
    ((model, keyed, alpha),) = list(key_clip(str(path), key="#FAFAFA"))  # the advice taken
    pad = (W - H) // 2
    assert (keyed[pad : pad + H][~truth].max(axis=-1) == 0).mean() >= 0.995


def test_a_still_whose_border_is_no_one_colour_gets_no_colour_named(tmp_path, capsys):
    rng = np.random.default_rng(5)
    path = tmp_path / "room.png"
    Image.fromarray(rng.integers(40, 250, (H, W, 3), dtype=np.uint8)).save(path)
    assert main(["export", str(path), "-o", str(tmp_path / "room.mp4"), "--device", "mp4-fan", "-q"]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "not black" in line]
    assert len(said) == 1 and "--key COLOR" in said[0] and "'#" not in said[0], said


def test_a_still_on_black_or_unkeyed_on_purpose_is_not_warned_of(tmp_path, capsys):
    black = tmp_path / "black.png"
    picture = np.zeros((H, W, 3), np.uint8)
    picture[60:120, 80:160] = (200, 120, 40)
    Image.fromarray(picture).save(black)
    assert main(["export", str(black), "-o", str(tmp_path / "b.mp4"), "--device", "mp4-fan", "-q"]) == 0
    white = tmp_path / "white.png"
    product_on_white(white)
    assert (
        main(
            [
                "export",
                str(white),
                "-o",
                str(tmp_path / "w.mp4"),
                "--device",
                "mp4-fan",
                "-q",
                "--key",
                "none",
            ]
        )
        == 0
    )
    assert "not black" not in capsys.readouterr().err
