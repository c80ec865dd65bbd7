"""A video on a wall of fans takes the fan's video options (--key, --crop, --loop,
--levels; docs/walls.md, "Video options", docs/video.md, "Walls"): a green-screen clip is keyed to exact black on every
fan, ``--crop auto`` fits the subject's extent into the canvas rectangle, and
``--key none --crop fit`` is the wall's output as it was before the options applied."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _video_clips import FPS, encode_clip, make_clip
from scipy import ndimage

from holopack.device import load_profile
from holopack.formats.fanfile import open_fan_file
from holopack.formats.mp4 import read as read_mp4
from holopack.wall import export_wall, load_wall

FRAMES = 12  # half a second of the clip: enough to walk the subject across a fan
SIZE = 224  # px across each fan: a coarser canvas than the default, to stay fast
# source pixels (of 320) around the subject's edge where a keyed edge may blend into the
# backdrop: 4 are 5.6 canvas pixels at this size, 10.5 mm on the wall
EDGE_PX = 4
WALL = 'device = "3dcircle-42f2"\n[grid]\nrows = 2\ncols = 2\npitch = 420.0\n'
# an MP4 fan whose file is lossless (crf 0), so that the test reads the key, not H.264's
# noise: at the profile's crf 18 black pixels up to 44 px from the subject decode as 1-2
SMALL_VIDEO_FAN = """base = "mp4-fan"
name = "small-mp4"
diameter_mm = 420.0
[render]
render_size = 160
video_size = 160
[file]
crf = 0.0
"""
MIXED = WALL + '[[fans]]\nname = "B2"\ndevice = "video.toml"\n'


def _matte_clip(path: str, lit: np.ndarray) -> str:
    """bool (N, H, W) -> a white-on-black clip held losslessly (PNG in MOV) at the clip's rate."""
    grey = np.where(lit, np.uint8(255), np.uint8(0))
    encode_clip(path, [np.repeat(g[..., None], 3, axis=2) for g in grey], FPS, ["-c:v", "png"], "rgb24")
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """The green-screen clip, its truth coverage, and two masks of it as clips of the same
    size, rate and length: ``near`` (within EDGE_PX source pixels of any coverage) and
    ``core`` (fully covered EDGE_PX deep), which the wall places exactly as the clip."""
    folder = tmp_path_factory.mktemp("clips")
    green, truth = make_clip("green", str(folder), frames=FRAMES)
    disc = (1, 2 * EDGE_PX + 1, 2 * EDGE_PX + 1)
    near = _matte_clip(str(folder / "near.mov"), ndimage.maximum_filter(truth > 0, size=disc))
    core = _matte_clip(str(folder / "core.mov"), ndimage.minimum_filter(truth >= 0.99, size=disc))
    (folder / "wall.toml").write_text(WALL)
    (folder / "video.toml").write_text(SMALL_VIDEO_FAN)
    (folder / "mixed.toml").write_text(MIXED)
    return folder, green, (near, core), truth


def _export(folder, clip, wall, name, **options):
    out = folder / name
    export_wall(clip, str(folder / wall), str(out), progress=False, preview=False, size=SIZE, **options)
    return out


def _fan_frames(out, fan) -> np.ndarray:
    """Every frame of a fan's file as it plays: (N, S, C) max code of a polar fan's
    LEDs, or (N, H, W) max sRGB channel of a video fan's decoded MP4."""
    path = str(out / fan.file_name)
    if fan.profile.is_polar:
        frames = list(open_fan_file(path, load_profile(fan.profile.name)).frames())
    else:
        frames = list(read_mp4(path).frames())
    return np.stack([np.asarray(f).max(axis=-1) for f in frames])


@pytest.mark.parametrize("wall", ["wall.toml", "mixed.toml"], ids=["four-42f2", "with-mp4-fan"])
def test_a_green_screen_clip_is_keyed_to_exact_black_on_every_fan(clips, wall):
    """Where the subject is not within EDGE_PX source pixels, every fan's decoded output
    is exactly 0 in every frame (the screen is gone); where the subject covers all of
    it, the output is lit. Where those are on each fan: the truth's masks exported
    unkeyed through the same wall (the plain fit, as before), so they land on the
    clip's cells; a cell that any light of the mask reaches counts as near."""
    folder, green, (near, core), _ = clips
    keyed = _export(folder, green, wall, f"keyed-{wall}", key="green", crop="fit")
    masks = [
        _export(folder, m, wall, f"{n}-{wall}", key="none", crop="fit")
        for n, m in (("near", near), ("core", core))
    ]
    unkeyed = _export(folder, green, wall, f"unkeyed-{wall}", key="none", crop="fit")
    for fan in load_wall(folder / wall).fans:
        got, near_codes, core_codes, before = (_fan_frames(o, fan) for o in (keyed, *masks, unkeyed))
        assert got.shape == near_codes.shape
        backdrop = near_codes == 0
        if not fan.profile.is_polar:
            # yuv420p holds one colour per 2 x 2 pixels, upsampled smoothly on decoding: a
            # black pixel up to 4 px beside the subject's edge decodes with some of its
            # colour (up to 33 codes), though the picture written there was exactly 0
            backdrop = ndimage.minimum_filter(backdrop, size=(1, 11, 11))
        # unkeyed, the screen lit a real part of every fan (a video fan's corners, and
        # what its neighbours own, are black either way)
        assert (backdrop & (before > 0)).mean() > 0.3, fan.name
        assert got[backdrop].max() == 0, fan.name
        solid = core_codes >= core_codes.max() * 0.99
        assert solid.mean() > 0.02, fan.name
        assert (got[solid] > 0).mean() > 0.99, fan.name


def _old_wall_canvas(plan, clip: str):
    """The canvases as the wall made them before the video options applied: each decoded
    frame fitted to the canvas by the numpy twin of the fit (fit_reference), brightened
    as WallPlan does. Returns ``canvas(index)`` -> (float32 (H, W, 3), bool tile map) as
    WallPlan.canvas gives them."""
    from holopack.colour import SRGB8_TO_LINEAR
    from holopack.pipeline import VideoSource
    from holopack.scene.load import load
    from holopack.wall.fit_reference import fit_codes_reference
    from holopack.wall.source import canvas_taps

    decoded = VideoSource(load(clip), plan.timeline, 8)
    geometry = plan.geometry

    def canvas(index: int):
        picture = decoded.frame_at(index)
        taps = canvas_taps(picture.shape[1], picture.shape[0], geometry)
        linear = fit_codes_reference(picture, SRGB8_TO_LINEAR, *taps, geometry.width, geometry.height)
        return linear * np.float32(plan.brightness), plan.tile_mask.copy()

    return canvas


def test_key_none_crop_fit_is_the_wall_output_of_before_byte_for_byte(clips):
    """The old wall fitted each decoded frame to the canvas and cut every fan from it;
    that path, computed here from its parts, gives exactly the bytes of each fan's file
    exported with --key none --crop fit."""
    from holopack.pipeline import ExportSettings
    from holopack.scene.load import load
    from holopack.wall import WallPlan

    folder, green, _, _ = clips
    out = _export(folder, green, "wall.toml", "plain", key="none", crop="fit")
    wall = load_wall(folder / "wall.toml")
    settings = ExportSettings(key="none", crop="fit", size=SIZE)
    plan = WallPlan(load(green), wall, settings)
    files = [
        list(open_fan_file(str(out / f.file_name), load_profile(f.profile.name)).frames()) for f in wall.fans
    ]
    old = _old_wall_canvas(plan, green)
    for index in range(plan.timeline.frame_count):
        for codes, frames in zip(plan.frames_from(old(index), index), files):
            assert np.array_equal(np.asarray(frames[index]), codes)
    # and the keyed wall differs: the options are not ignored
    keyed = _export(folder, green, "wall.toml", "keyed-default")
    first = wall.fans[0]
    assert (out / first.file_name).read_bytes() != (keyed / first.file_name).read_bytes()


def test_crop_auto_centres_the_subjects_extent_in_the_canvas_with_the_margin(clips):
    """On a wide wall (one row of three fans) the subject's extent over the whole clip
    (from the truth's coverage) is centred in the canvas rectangle and fills its height
    less the margin (8% of each half side), fixed over the clip."""
    from holopack.pipeline import ExportSettings
    from holopack.scene.load import load
    from holopack.wall import WallPlan

    folder, green, _, truth = clips
    (folder / "row.toml").write_text('device = "3dcircle-42f2"\n[grid]\nrows = 1\ncols = 3\npitch = 420.0\n')
    settings = ExportSettings(key="green", size=SIZE)  # --crop auto is the default
    plan = WallPlan(load(green), load_wall(folder / "row.toml"), settings)
    lit = np.zeros((plan.geometry.height, plan.geometry.width), bool)
    for index in range(plan.timeline.frame_count):
        lit |= plan.canvas(index)[0].max(axis=-1) > 0.02
    ys, xs = np.nonzero(lit)
    geometry = plan.geometry
    w_px = (geometry.right - geometry.left) * geometry.px_per_mm
    h_px = (geometry.top - geometry.bottom) * geometry.px_per_mm
    # the truth's extent, in source pixels, and where the rule puts it on the canvas
    covered = (truth > 0.1).any(axis=0)
    ty, tx = np.nonzero(covered)
    bw, bh = tx.max() + 1 - tx.min(), ty.max() + 1 - ty.min()
    assert w_px / h_px > bw / bh  # the height decides: the test sees the rectangle, not a circle
    margin = settings.framing.margin
    tall, wide = ys.max() + 1 - ys.min(), xs.max() + 1 - xs.min()
    # the first pass finds the extent within a few source pixels (of 190): 3%
    assert tall <= (1 - margin) * h_px + 2 and tall == pytest.approx((1 - margin) * h_px, rel=0.03)
    assert wide == pytest.approx(tall * bw / bh, rel=0.04)
    assert 0.5 * (xs.min() + xs.max() + 1) == pytest.approx(w_px / 2, abs=3)
    assert 0.5 * (ys.min() + ys.max() + 1) == pytest.approx(h_px / 2, abs=3)


def test_a_playlist_wall_item_takes_the_video_options(clips, tmp_path):
    """``key`` and ``crop`` on a playlist's wall item reach the wall: its folder holds
    the files export --wall writes with the same options."""
    from holopack.pack.playlist import load_playlist
    from holopack.wall.package import pack_walls

    folder, green, _, _ = clips
    playlist = folder / "p.toml"
    playlist.write_text(
        f'[[items]]\ninput = "{green}"\nname = "keyed"\nwall = "wall.toml"\n'
        f'key = "green"\ncrop = "fit"\nsize = {SIZE}\n'
    )
    (written,) = pack_walls(load_playlist(str(playlist)), str(tmp_path), progress=False)
    direct = _export(folder, green, "wall.toml", "direct", key="green", crop="fit")
    unkeyed = _export(folder, green, "wall.toml", "direct-unkeyed", key="none", crop="fit")
    info = json.loads((tmp_path / written / "wall.json").read_text())
    for fan in info["fans"]:
        packed = (tmp_path / written / fan["file"]).read_bytes()
        assert packed == (direct / fan["file"]).read_bytes()
        assert packed != (unkeyed / fan["file"]).read_bytes()


@pytest.fixture()
def display():
    from _xvfb import display_for_this_process

    with display_for_this_process() as name:
        yield name


def test_the_wall_preview_takes_the_video_options(display, clips, tmp_path):
    """``preview --wall`` keys as export --wall does: the screen that fills every fan's
    disc unkeyed is gone from the window with --key green, and the subject stays."""
    from PIL import Image

    from holopack.wall.window import run_wall_preview

    folder, green, _, _ = clips
    shots = {}
    for key in ("none", "green"):
        shots[key] = tmp_path / f"{key}.png"
        run_wall_preview(
            green,
            str(folder / "wall.toml"),
            frames=1,
            screenshot=str(shots[key]),
            video={"key": key, "crop": "fit"},
        )
    pictures = {k: np.asarray(Image.open(p).convert("RGB")).astype(np.int32) for k, p in shots.items()}
    screen = {
        k: ((p[..., 1] > 60) & (p[..., 1] > p[..., 0] + 30) & (p[..., 1] > p[..., 2] + 30)).mean()
        for k, p in pictures.items()
    }
    lit = {k: (p.max(axis=-1) > 40).mean() for k, p in pictures.items()}
    assert screen["none"] > 0.3  # green discs
    assert screen["green"] < 0.002 and 0.02 < lit["green"] < 0.5 * lit["none"]


def test_a_wall_loops_and_levels_the_clip_as_one_fan_does(clips):
    """--loop pingpong and --levels auto reach the wall's clip: it plays as many frames as
    one fan's export of the same clip with the same options, forward then back, with the
    same gain."""
    from holopack.pipeline import ExportPlan, ExportSettings
    from holopack.scene.load import load
    from holopack.wall import WallPlan

    folder, green, _, _ = clips
    options = {"key": "green", "crop": "fit", "loop": "pingpong", "levels": "auto", "size": SIZE}
    plan = WallPlan(load(green), load_wall(folder / "wall.toml"), ExportSettings(**options))
    fan = ExportPlan(load(green), ExportSettings(device="3dcircle-42f2", **options), None)
    assert plan.fps == fan.fps
    assert plan.timeline.frame_count == fan.timeline.frame_count
    assert plan.scene.media.frame_count == 2 * FRAMES - 2
    assert plan.scene.media.model.gain == fan.source.media.model.gain > 1.0  # a dim subject is brightened
    n = 2 * FRAMES - 2
    clip = list(plan.scene.media.frames())
    assert len(clip) == n
    for k in range(1, FRAMES - 1):  # the way back is the way there, frame for frame
        assert np.array_equal(clip[k], clip[n - k])


def test_bench_wall_hands_the_video_options_to_the_wall_and_its_peer(clips, monkeypatch):
    """``bench --wall --key green --crop fit`` times the keyed wall, not the plain one:
    the options reach WallPlan and the single fan it is compared with."""
    import holopack.wall.bench as bench
    from holopack.cli import main

    folder, green, _, _ = clips
    seen = []
    wall_plan, fan_plan = bench.WallPlan, bench.ExportPlan

    def wall_spy(scene, wall, settings, *rest):
        seen.append(("wall", settings.key, settings.crop))
        return wall_plan(scene, wall, settings, *rest)

    def fan_spy(scene, settings, output):
        seen.append(("fan", settings.key, settings.crop))
        return fan_plan(scene, settings, output)

    monkeypatch.setattr(bench, "WallPlan", wall_spy)
    monkeypatch.setattr(bench, "ExportPlan", fan_spy)
    args = ["bench", green, "--wall", str(folder / "wall.toml"), "--key", "green", "--crop", "fit"]
    assert main([*args, "--frames", "1", "--warmup", "1", "-q"]) == 0
    assert seen == [("wall", "green", "fit"), ("fan", "green", "fit")]
