"""A picture spanning a wall, exported and read back fan by fan, reproduces the picture.

The reference is written here from the published rules alone, in plain numpy: the fit
rule (the picture scaled to fit the bounding rectangle of the fan circles, aspect kept,
centred), the 42-F2 layout (slice s from 3 o'clock turning clockwise on screen, LED 0
at the rim, LEDs evenly spaced from the centre), the wall file's rotation
(counter-clockwise) and mirror (left-right in the fan's own frame, before the turn), and
nearest-centre ownership. Each LED cell's reference is the picture's linear light
averaged over the cell; only the cells whose centre the fan owns count. The fans use a
coarse 42-F2 (48 LEDs, 128 slices, in the 42-F2's own file format) so that a wall of
six builds in seconds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from holopack.device import decode_codes, load_profile
from holopack.formats.fanfile import open_fan_file
from holopack.pipeline import export
from holopack.wall import export_wall, load_wall

LEDS, SLICES, RADIUS = 48, 128, 210.0
PITCH = RADIUS / LEDS
GAMMA = 2.2

PROFILE = f"""base = "3dcircle-42f2"
name = "coarse-42f2"
diameter_mm = 420.0
[render]
render_size = {2 * LEDS * 3}
[geometry]
leds_per_blade = {LEDS}
led_pitch_mm = {PITCH!r}
led_size_mm = {PITCH!r}
slices = {SLICES}
"""

SQUARE = """device = "coarse.toml"
[grid]
rows = 2
cols = 3
pitch = 400.0            # neighbours overlap by 20 mm; diagonal neighbours leave gaps
layout = "square"
[[fans]]
name = "B2"
rotation = 30.0
[[fans]]
name = "A3"
mirror = true
"""

STAGGERED = """device = "coarse.toml"
[grid]
rows = 2
cols = 3
pitch = 400.0
layout = "staggered"
[[fans]]
name = "A2"
rotation = -45.0
[[fans]]
name = "B1"
mirror = true
[[fans]]
name = "B3"
rotation = 90.0
mirror = true
"""


def srgb_to_linear(v):
    v = np.asarray(v, np.float64) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def test_picture(width=900, height=560, seed=3):
    """uint8 (height, width, 3): smooth colour fields and detail a few LEDs wide."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    out = np.zeros((height, width, 3))
    for ch in range(3):
        acc = np.zeros((height, width))
        for _ in range(6):
            period = rng.uniform(18.0, 160.0)
            angle = rng.uniform(0, math.pi)
            phase = rng.uniform(0, 2 * math.pi)
            acc += np.sin((x * math.cos(angle) + y * math.sin(angle)) * 2 * math.pi / period + phase)
        out[..., ch] = 0.5 + 0.5 * acc / 6 * 1.6
    return (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)


test_picture.__test__ = False


def cell_samples(n=12):
    """Per LED cell (slice, file column): sample radii (mm) and own-frame angles and
    area weights, midpoint rule in (r, phi). Arrays (SLICES, LEDS, n, n)."""
    k_from_centre = np.arange(LEDS)[::-1]  # file column 0 = rim LED
    centre = (k_from_centre + 0.5) * PITCH
    u = (np.arange(n) + 0.5) / n
    r = centre[None, :, None, None] - PITCH / 2 + PITCH * u[None, None, :, None]
    step = 2 * math.pi / SLICES  # clockwise on screen, y down
    phi = (np.arange(SLICES)[:, None, None, None] + u[None, None, None, :]) * step
    r, phi = np.broadcast_arrays(r, phi)
    return r, phi, r.copy()


def cell_centres():
    """Each cell's centre: (radius mm, own-frame angle), (SLICES, LEDS) each."""
    k_from_centre = np.arange(LEDS)[::-1]
    r = np.broadcast_to((k_from_centre + 0.5) * PITCH, (SLICES, LEDS))
    phi = np.broadcast_to(((np.arange(SLICES) + 0.5) * 2 * math.pi / SLICES)[:, None], (SLICES, LEDS))
    return r, phi


def own_frame_to_wall(fan, r, phi):
    """Fan-frame polar (phi clockwise, y down) -> wall mm (y up): mirror, then turn."""
    x, y = r * np.cos(phi), -r * np.sin(phi)
    if fan["mirror"]:
        x = -x
    t = math.radians(fan["rotation"])
    return fan["x"] + math.cos(t) * x - math.sin(t) * y, fan["y"] + math.sin(t) * x + math.cos(t) * y


def owners(fans, x, y):
    """Index of the nearest fan centre among the fans whose circle covers (x, y)."""
    best = np.full(x.shape, np.inf)
    out = np.full(x.shape, -1)
    for k, f in enumerate(fans):
        d = np.hypot(x - f["x"], y - f["y"])
        take = (d <= f["radius"]) & (d < best)
        best[take], out[take] = d[take], k
    return out


def sample_picture(linear, px, py):
    """Nearest picture pixel at continuous coordinates (x right, y down); black outside."""
    h, w = linear.shape[:2]
    j, i = np.floor(px).astype(int), np.floor(py).astype(int)
    inside = (i >= 0) & (i < h) & (j >= 0) & (j < w)
    out = np.zeros(px.shape + (3,))
    out[inside] = linear[i[inside], j[inside]]
    return out


def psnr(a, b):
    mse = float(np.mean((a - b) ** 2))
    return 10 * math.log10(1.0 / max(mse, 1e-12))


def wall_fans(info):
    return [
        {
            "name": f["name"],
            "x": f["x_mm"],
            "y": f["y_mm"],
            "rotation": f["rotation_deg"],
            "mirror": f["mirror"],
            "radius": f["diameter_mm"] / 2,
            "file": f["file"],
        }
        for f in info["fans"]
    ]


def decoded_first_frame(path, profile):
    codes = next(iter(open_fan_file(path, profile).frames()))
    return np.power(decode_codes(codes, profile).astype(np.float64), 1 / GAMMA)  # gamma-encoded


@pytest.mark.parametrize("layout", [SQUARE, STAGGERED], ids=["square", "staggered"])
def test_picture_across_a_wall_matches_single_fans_within_1db(tmp_path, layout):
    import json

    (tmp_path / "coarse.toml").write_text(PROFILE)
    (tmp_path / "wall.toml").write_text(layout)
    profile = load_profile(str(tmp_path / "coarse.toml"))
    picture = test_picture()
    Image.fromarray(picture).save(tmp_path / "picture.png")
    linear = srgb_to_linear(picture)
    out = tmp_path / "out"
    export_wall(
        str(tmp_path / "picture.png"),
        str(tmp_path / "wall.toml"),
        str(out),
        seconds=1 / 30,
        progress=False,
        preview=False,
    )
    info = json.loads((out / "wall.json").read_text())
    fans = wall_fans(info)
    assert len(fans) == 6

    # the fit rule, from the fan circles alone
    left = min(f["x"] - f["radius"] for f in fans)
    right = max(f["x"] + f["radius"] for f in fans)
    bottom = min(f["y"] - f["radius"] for f in fans)
    top = max(f["y"] + f["radius"] for f in fans)
    h, w = picture.shape[:2]
    s = min((right - left) / w, (top - bottom) / h)
    x0 = left + ((right - left) - w * s) / 2
    y0 = top - ((top - bottom) - h * s) / 2

    r, phi, area = cell_samples()
    wall_psnr, single_psnr = [], []
    for k, fan in enumerate(fans):
        # the wall: cells placed as mounted, the picture by the fit rule
        x, y = own_frame_to_wall(fan, r, phi)
        ref = (sample_picture(linear, (x - x0) / s, (y0 - y) / s) * area[..., None]).sum((2, 3)) / area.sum(
            (2, 3)
        )[..., None]
        cx, cy = own_frame_to_wall(fan, *cell_centres())
        owned = owners(fans, cx, cy) == k
        got = decoded_first_frame(str(out / fan["file"]), profile)
        wall_psnr.append(psnr(got[owned], (ref ** (1 / GAMMA))[owned]))

        # one fan alone on the same region of the picture (square crop, not turned)
        half = fan["radius"] / s
        pcx, pcy = (fan["x"] - x0) / s, (y0 - fan["y"]) / s
        side = int(round(2 * half))
        cx0, cy0 = int(round(pcx - side / 2)), int(round(pcy - side / 2))
        crop = np.zeros((side, side, 3), np.uint8)
        ys, xs = slice(max(cy0, 0), min(cy0 + side, h)), slice(max(cx0, 0), min(cx0 + side, w))
        crop[ys.start - cy0 : ys.stop - cy0, xs.start - cx0 : xs.stop - cx0] = picture[ys, xs]
        Image.fromarray(crop).save(tmp_path / "crop.png")
        export(
            str(tmp_path / "crop.png"),
            str(tmp_path / "ONE.BIN"),
            device=str(tmp_path / "coarse.toml"),
            seconds=1 / 30,
            progress=False,
        )
        alone = {"x": 0.0, "y": 0.0, "rotation": 0.0, "mirror": False}
        ux, uy = own_frame_to_wall(alone, r, phi)
        scale = side / (2 * fan["radius"])  # crop px per mm
        crop_linear = srgb_to_linear(crop)
        ref1 = (
            sample_picture(crop_linear, side / 2 + ux * scale, side / 2 - uy * scale) * area[..., None]
        ).sum((2, 3)) / area.sum((2, 3))[..., None]
        ucx, ucy = own_frame_to_wall(alone, *cell_centres())
        owned1 = owners(fans, ucx + fan["x"], ucy + fan["y"]) == k
        got1 = decoded_first_frame(str(tmp_path / "ONE.BIN"), profile)
        single_psnr.append(psnr(got1[owned1], (ref1 ** (1 / GAMMA))[owned1]))
    print("wall", np.round(wall_psnr, 2), "alone", np.round(single_psnr, 2))
    for name, a, b in zip([f["name"] for f in fans], wall_psnr, single_psnr):
        assert a >= b - 1.0, f"fan {name}: {a:.2f} dB on the wall, {b:.2f} dB alone"
    assert min(wall_psnr) > 25.0, wall_psnr  # and the picture is really there


def test_wall_file_positions_follow_the_grid(tmp_path):
    (tmp_path / "coarse.toml").write_text(PROFILE)
    (tmp_path / "wall.toml").write_text(STAGGERED)
    wall = load_wall(tmp_path / "wall.toml")
    by_name = {f.name: f for f in wall.fans}
    assert [f.name for f in wall.fans] == ["A1", "A2", "A3", "B1", "B2", "B3"]
    assert (by_name["A3"].x, by_name["A3"].y) == (800.0, 0.0)
    assert by_name["B1"].x == pytest.approx(200.0) and by_name["B1"].y == pytest.approx(
        -400 * math.sqrt(3) / 2
    )
    assert by_name["B3"].mirror and by_name["B3"].rotation == 90.0 and by_name["A2"].rotation == -45.0
    assert all(f.file_name == f.name + ".BIN" for f in wall.fans)
