"""The screen's light seen through a part of the subject (holopack.video.matte.screen_light):
a glow or smoke over a green screen is given its own opacity and unmixed from the
screen, while a spilled rim and the subject's own green are left to the despill band.
Pictures are composited here in linear light with the published sRGB curve."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import holopack
from holopack.video.analyse import analyse, source_frames
from holopack.video.crop import fit_placement
from holopack.video.matte import SCREEN_LIGHT_SHARE, add_spill_band, edge_band, screen_light
from holopack.video.options import video_options
from holopack.video.process import FrameProcessor

KEY_RGB = (30, 180, 60)
BLUE_RGB = (25, 70, 200)


def decode(codes) -> np.ndarray:
    c = np.asarray(codes, np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def encode(linear) -> np.ndarray:
    x = np.clip(linear, 0.0, 1.0)
    return 255.0 * np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def key_uv(rgb) -> np.ndarray:
    r, g, b = (float(c) for c in rgb)
    y = 0.299 * r + 0.587 * g + 0.114 * b
    return np.array([0.564 * (b - y), 0.713 * (r - y)], np.float32) * np.float32(100.0 / (y + 16.0))


def glow_picture(left: int = 20, opacity_from: float = 0.8, opacity_to: float = 0.05, key=KEY_RGB):
    """A white block (rows 20-59, columns ``left``-49) on the screen, with a white glow to
    its right (columns 50-79) whose opacity falls linearly from ``opacity_from`` to
    ``opacity_to``: (frame uint8 (80, 100, 3), the matte as a key holding the glow solid
    (H, W) float32, the glow's opacity (H, W) float64, the screen in linear light
    (H, W, 3) float32); ``key``: the screen's colour (sRGB codes)."""
    screen = decode(key)
    light = np.broadcast_to(screen, (80, 100, 3)).copy()
    opacity = np.zeros((80, 100))
    light[20:60, left:50] = 1.0
    ramp = np.linspace(opacity_from, opacity_to, 30)
    opacity[20:60, 50:80] = ramp
    light[20:60, 50:80] = ramp[None, :, None] * 1.0 + (1.0 - ramp[None, :, None]) * screen
    frame = np.clip(encode(light) + 0.5, 0, 255).astype(np.uint8)
    alpha = np.zeros((80, 100), np.float32)
    alpha[20:60, left:80] = 1.0
    background = np.broadcast_to(screen.astype(np.float32), (80, 100, 3)).copy()
    return frame, alpha, opacity, background


def bands(frame, alpha, key=KEY_RGB):
    band = edge_band(alpha)
    add_spill_band(band, alpha, frame, key_uv(key))
    return band


@pytest.mark.parametrize("key, channel", [(KEY_RGB, 1), (BLUE_RGB, 2)])
def test_a_glow_over_the_screen_takes_its_own_opacity_and_loses_the_screens_colour(key, channel):
    frame, alpha, opacity, background = glow_picture(key=key)
    found = screen_light(bands(frame, alpha, key), alpha, frame, background, channel)
    assert found is not None
    ys, xs, rows, columns, colour = found
    glow = opacity > SCREEN_LIGHT_SHARE
    seen = np.zeros_like(glow)
    seen[ys, xs][rows, columns] = True
    # every pixel of the glow is taken, the solid white block is not
    assert seen[glow].all()
    assert not seen[20:60, 20:48].any()
    # its alpha is its opacity, where that is more than the share the rule starts at
    # (within 0.02: near white one 8-bit code spans 0.009 of linear light, and the
    # share divides two channels' rounding by the screen's excess, 0.41)
    strong = glow & (opacity < 1.0 - SCREEN_LIGHT_SHARE)
    assert np.abs(alpha[strong] - opacity[strong]).max() < 0.02
    # and its colour is the glow's own white times that opacity, nothing of the screen
    light = np.zeros((80, 100, 3))
    light[ys, xs][rows, columns] = colour
    want = opacity[strong][:, None] * np.ones(3)
    assert np.abs(light[strong] - want).max() < 0.02
    others = [c for c in range(3) if c != channel]
    assert (light[strong][:, channel] <= light[strong][:, others].max(axis=1) + 1e-6).all()
    # the block keeps its matte
    assert (alpha[20:60, 20:48] == 1.0).all()


def test_a_spilled_rim_and_the_subjects_own_green_are_left_to_the_despill_band():
    screen = decode(KEY_RGB)
    light = np.broadcast_to(screen, (80, 100, 3)).copy()
    light[20:60, 20:80] = decode((200, 120, 60))  # an orange subject
    light[30:50, 40:60] = decode((85, 107, 47))  # its own olive patch, inside it
    rim = np.zeros((80, 100), bool)
    rim[20:60, 20:80] = True
    rim[23:57, 23:77] = False
    light[rim] += 0.25 * screen  # a quarter of the screen's light spilled on its outer 3 px
    frame = np.clip(encode(light) + 0.5, 0, 255).astype(np.uint8)
    alpha = np.zeros((80, 100), np.float32)
    alpha[20:60, 20:80] = 1.0
    before = alpha.copy()
    background = np.broadcast_to(screen.astype(np.float32), (80, 100, 3)).copy()
    assert screen_light(bands(frame, alpha), alpha, frame, background, 1) is None
    np.testing.assert_array_equal(alpha, before)


def test_a_faint_veil_keeps_its_matte_but_is_despilled():
    # a veil letting through less of the screen than SCREEN_LIGHT_SHARE: too little to
    # tell from the subject's own light, so solid, but the screen's share is unmixed
    frame, alpha, opacity, background = glow_picture(opacity_from=0.97, opacity_to=0.9)
    found = screen_light(bands(frame, alpha), alpha, frame, background, 1)
    assert found is not None
    ys, xs, rows, columns, colour = found
    assert (alpha[20:60, 50:80] == 1.0).all()
    light = np.zeros((80, 100, 3))
    light[ys, xs][rows, columns] = colour
    veil = light[20:60, 54:76]
    assert (veil[..., 1] <= np.maximum(veil[..., 0], veil[..., 2]) + 1e-6).all()


def glowing_clip(folder):
    """A white block with a glow walking across a green screen, as PNG frames (nothing
    but the rounding to codes stands between the picture and the truth) -> the glow's
    opacity per frame (the block's 1), (N, 80, 100) float64."""
    truths = []
    for i in range(12):
        frame, _, opacity, _ = glow_picture()
        shift = 2 * i - 10
        frame = np.roll(frame, shift, axis=1)
        frame[:, : max(shift, 0)] = KEY_RGB
        if shift < 0:
            frame[:, shift:] = KEY_RGB
        truth = np.roll(opacity, shift, axis=1)
        truth[20:60, 20 + shift : 50 + shift] = 1.0
        Image.fromarray(frame).save(folder / f"frame{i:03d}.png")
        truths.append(truth)
    return np.stack(truths)


def keyed(folder, see_through: str):
    """(output (80, 100, 3) int, matte (80, 100) float32) per frame, as the export keys
    them with --crop fit and ``see_through``."""
    media = holopack.load(str(folder)).media
    model = analyse(media, video_options(crop="fit", see_through=see_through))
    assert model.key_rgb is not None
    processor = FrameProcessor(
        model, fit_placement(media.width, media.height, max(media.width, media.height))
    )
    pad = (max(media.width, media.height) - media.height) // 2
    for picture in source_frames(media):
        out = np.asarray(processor(picture))[pad : pad + media.height, :, :3].astype(int)
        yield out, processor.last_alpha[pad : pad + media.height].copy()


@pytest.mark.parametrize("see_through", ["auto", "none"])
def test_a_glowing_subject_keyed_with_and_without_see_through(tmp_path, see_through):
    """Through the export's keyer. With --see-through auto the glow loses the screen's
    green and its matte follows its opacity; without it (the default) the glow keeps the
    matte the key holds, and the green shows in it past the despill band, as a subject's
    own green parts keep theirs."""
    folder = tmp_path / "glow"
    folder.mkdir()
    truths = glowing_clip(folder)
    for i, (out, alpha) in enumerate(keyed(folder, see_through)):
        glow = (truths[i] > 0.2) & (truths[i] < 0.8)
        glow[:, :3] = glow[:, -3:] = False
        excess = out[..., 1] - np.maximum(out[..., 0], out[..., 2])
        if see_through == "auto":
            assert excess[glow].max() <= 1
            assert np.abs(alpha[glow] - truths[i][glow]).mean() < 0.05
        else:
            assert (alpha[glow] == 1.0).mean() > 0.9
            assert excess[glow].max() > 20


def test_the_first_pass_measures_how_much_of_the_subject_shows_the_screen(tmp_path):
    glowing = tmp_path / "glow"
    glowing.mkdir()
    glowing_clip(glowing)
    solid = tmp_path / "solid"
    solid.mkdir()
    for i in range(12):
        frame, _, _, _ = glow_picture(opacity_from=0.0, opacity_to=0.0)  # the block alone
        Image.fromarray(np.roll(frame, 2 * i - 10, axis=1)).save(solid / f"frame{i:03d}.png")
    with_glow = analyse(holopack.load(str(glowing)).media, video_options(), inspecting=True)
    # the glow is as large as the block; the part of it keyed solid is counted
    assert 0.3 < with_glow.seen_through < 0.7
    assert with_glow.report()["seen_through"] == round(with_glow.seen_through, 3)
    assert analyse(holopack.load(str(solid)).media, video_options(), inspecting=True).seen_through == 0.0
    # an export's first pass leaves it unmeasured
    assert analyse(holopack.load(str(glowing)).media, video_options()).seen_through == 0.0


def test_where_the_plate_holds_no_screen_nothing_is_taken_for_its_light():
    # a part of the subject that never moved is in the plate: behind it there is no
    # screen to show through, whatever tint the pixel has
    frame, alpha, _, background = glow_picture()
    background[:, 50:] = decode((90, 90, 90))  # the plate: a grey part standing still
    before = alpha.copy()
    assert screen_light(bands(frame, alpha), alpha, frame, background, 1) is None
    np.testing.assert_array_equal(alpha, before)
