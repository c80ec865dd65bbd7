"""Pixel art, icons and sprites: sources so small that every pixel is drawn and none is
noise, whose subject's extent keeps a lone pixel (analyse.tiny_source)."""

from __future__ import annotations

import numpy as np
from PIL import Image

import holopack
from holopack.video.analyse import analyse
from holopack.video.options import video_options


def sprite(shift: int = 0) -> np.ndarray:
    """A 16 x 16 RGBA sprite: a green body (rows 4-13) under a one-pixel yellow antenna
    (rows 1-3), shifted ``shift`` columns."""
    picture = np.zeros((16, 16, 4), np.uint8)
    picture[4:14, 3 + shift : 11 + shift] = (40, 200, 90, 255)
    picture[1:4, 7 + shift] = (250, 250, 40, 255)
    return picture


def extent(path):
    model = analyse(holopack.load(str(path)).media, video_options())
    return model.box, model.warnings


def test_a_picture_of_one_pixel_shows_that_pixel(tmp_path):
    picture = np.zeros((3, 2, 4), np.uint8)
    picture[0, 0] = (230, 120, 20, 255)  # one opaque orange pixel in a corner
    Image.fromarray(picture).save(tmp_path / "dot.png")
    box, warnings = extent(tmp_path / "dot.png")
    assert box is not None and box[0] == 0 and box[1] == 0
    assert not any("no subject" in w for w in warnings)


def test_a_sprites_one_pixel_antenna_stays_in_its_extent(tmp_path):
    Image.fromarray(sprite()).save(tmp_path / "sprite.png")
    box, _ = extent(tmp_path / "sprite.png")
    assert box is not None and box[1] <= 1.0  # the antenna's top row, row 1, is inside


def test_an_animated_sprites_antenna_stays_in_its_extent(tmp_path):
    frames = [Image.fromarray(sprite(k)) for k in range(4)]
    frames[0].save(
        tmp_path / "walk.gif", save_all=True, append_images=frames[1:], duration=100, loop=0, disposal=2
    )
    box, _ = extent(tmp_path / "walk.gif")
    assert box is not None and box[1] <= 1.0
    assert box[0] <= 3.0 and box[2] >= 14.0  # the body's columns over the walk
