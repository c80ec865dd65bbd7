"""Walls of fans: the wall file, ownership, the per-fan weights, the folder export,
validation and the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from holopack.device import load_profile
from holopack.errors import InputError
from holopack.formats.fanfile import open_fan_file
from holopack.wall import export_wall, load_wall, parse_wall
from holopack.wall.canvas import canvas_geometry
from holopack.wall.ownership import owned_tiles, owner_map
from holopack.wall.preview_kernel import draw_overlaps, draw_single
from holopack.wall.preview_reference import draw_overlaps_reference, draw_single_reference
from holopack.wall.weights import fan_circles, fan_sectors, fan_weight_table
from holopack.wall.weights_kernel import owned_sector_weights
from holopack.wall.weights_reference import owned_sector_weights_reference

COARSE = """base = "3dcircle-42f2"
name = "coarse-42f2"
diameter_mm = 420.0
[render]
render_size = 144
[geometry]
leds_per_blade = 24
led_pitch_mm = 8.75
led_size_mm = 8.75
slices = 64
"""

# six fans: overlaps (400 mm apart), gaps (the diagonals), one turned, one mirrored
WALL = """device = "coarse.toml"
[grid]
rows = 2
cols = 3
pitch = 400.0
layout = "square"
[[fans]]
name = "B3"
rotation = 30.0
[[fans]]
name = "A1"
mirror = true
"""


@pytest.fixture
def wall_dir(tmp_path):
    (tmp_path / "coarse.toml").write_text(COARSE)
    (tmp_path / "wall.toml").write_text(WALL)
    return tmp_path


def brute_owner(fans, x, y):
    """Plain loops over fans: nearest centre among the circles covering the point."""
    out = np.full(x.shape, -1)
    best = np.full(x.shape, np.inf)
    for k, f in enumerate(fans):
        d = np.sqrt((x - f.x) ** 2 + (y - f.y) ** 2)
        take = (d <= f.radius_mm) & (d < best)
        out[take], best[take] = k, d[take]
    return out


def test_every_canvas_point_has_one_owner_and_gaps_have_none(wall_dir):
    wall = load_wall(wall_dir / "wall.toml")
    g = canvas_geometry(wall, px_per_mm=0.25)
    owner = owner_map(g)
    ys, xs = np.mgrid[0 : g.height, 0 : g.width]
    x = g.left + (xs + 0.5) / g.px_per_mm
    y = g.top - (ys + 0.5) / g.px_per_mm
    np.testing.assert_array_equal(owner, brute_owner(wall.fans, x, y))
    covered = np.zeros(owner.shape, bool)
    for f in wall.fans:
        covered |= np.hypot(x - f.x, y - f.y) <= f.radius_mm
    assert np.all((owner >= 0) == covered)  # nothing lost, gaps owned by none
    assert (owner < 0).any() and len(set(owner[owner >= 0].ravel())) == 6
    # the overlap between A1 and A2 is split down the middle
    mid = np.argmin(np.abs(y[:, 0] - 0.0))
    row_x, row_owner = x[mid], owner[mid]
    assert set(row_owner[(row_x > 150) & (row_x < 199)]) == {0}
    assert set(row_owner[(row_x > 201) & (row_x < 250)]) == {1}
    tiles = owned_tiles(owner, 8)
    assert tiles.any() and tiles.shape == (-(-g.height // 8), -(-g.width // 8))


def test_fan_weights_kernel_matches_numpy_twin(wall_dir):
    wall = load_wall(wall_dir / "wall.toml")
    g = canvas_geometry(wall, px_per_mm=0.2)
    for index in (0, 5):  # the mirrored and the turned fan
        r_in, r_out, start, step, _, _ = fan_sectors(g, wall.fans[index])
        circles = fan_circles(g)
        rows = slice(0, r_in.size, 7)
        args = (g.width, g.height, r_in[rows], r_out[rows], start[rows], step[rows], 6.0, *circles, index)
        fast = owned_sector_weights(*args)
        slow = owned_sector_weights_reference(*args)
        np.testing.assert_array_equal(fast[0], slow[0])
        np.testing.assert_array_equal(fast[1], slow[1])
        np.testing.assert_allclose(fast[2], slow[2], rtol=1e-5, atol=1e-7)


def test_no_canvas_pixel_feeds_two_fans_and_dark_cells_are_not_owned(wall_dir):
    wall = load_wall(wall_dir / "wall.toml")
    g = canvas_geometry(wall, px_per_mm=0.3)
    owner = owner_map(g)
    counts = np.zeros(g.width * g.height, np.int64)
    for k, fan in enumerate(wall.fans):
        table = fan_weight_table(g, k)
        rows = np.diff(table.indptr)
        # each lit cell is read whole; its centre is owned by this fan (nearest centre)
        r_in, r_out, start, step, cx, cy = fan_sectors(g, fan)
        mid_r, mid_phi = (r_in + r_out) / 2, start + step / 2
        px = cx + mid_r * np.cos(mid_phi)
        py = cy + mid_r * np.sin(mid_phi)
        x_mm, y_mm = g.left + px / g.px_per_mm, g.top - py / g.px_per_mm
        centre_owner = brute_owner(wall.fans, x_mm, y_mm)
        np.testing.assert_array_equal(rows > 0, centre_owner == k)
        # pixels read by cells owned by k lie within one cell of k's territory
        read = np.unique(table.indices)
        counts[read] += 1
        assert np.mean(owner.ravel()[read] == k) > 0.9
    # only a thin seam along borders is read by two fans (cells are not split)
    assert np.mean(counts[counts > 0] > 1) < 0.1


def _preview_frames(rng):
    """Two fans' frames one after another: 500 LEDs of 6-bit codes, then a 20 x 20
    sRGB picture and one full-light triple; their tables (6-bit, then 8-bit)."""
    values = np.concatenate([rng.integers(0, 64, 1500), rng.integers(0, 256, 1200), [63, 63, 63]])
    luts = np.concatenate([(np.arange(64) / 63) ** 2.2, (np.arange(256) / 255) ** 2.2])
    return values.astype(np.uint8), luts.astype(np.float32)


def _preview_sources(rng, n):
    fan = rng.integers(0, 2, n)
    source = np.where(fan == 0, 3 * rng.integers(0, 500, n), 1500 + 3 * rng.integers(0, 400, n))
    return source.astype(np.int32), np.where(fan == 0, 0, 64).astype(np.int32)


def test_preview_single_source_kernel_matches_numpy_twin():
    rng = np.random.default_rng(2)
    values, _ = _preview_frames(rng)
    tables = rng.integers(0, 256, 320).astype(np.uint8)
    pixel = rng.permutation(4000)[:900].astype(np.int32)
    source, base = _preview_sources(rng, pixel.size)
    a = np.full(12000, 7, np.uint8)
    b = a.copy()
    draw_single(pixel, source, base, values, tables, a)
    draw_single_reference(pixel, source, base, values, tables, b)
    np.testing.assert_array_equal(a, b)
    unlit = np.setdiff1d(np.arange(4000), pixel)
    assert np.all(a.reshape(-1, 3)[unlit] == 7)  # never touched


def test_preview_overlap_kernel_matches_numpy_twin():
    from holopack.device.simulate import _LUT

    rng = np.random.default_rng(1)
    values, luts = _preview_frames(rng)
    # 900 pixels of 4000, each lit by two or three sources (light adds, past 1 where
    # two bright sources meet); the first holds the full-light triple
    pixel = np.sort(rng.permutation(4000)[:900]).astype(np.int32)
    counts = rng.integers(2, 4, pixel.size)
    runptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    source, base = _preview_sources(rng, int(runptr[-1]))
    source[0], base[0] = 2700, 0
    a = np.full(12000, 7, np.uint8)
    b = a.copy()
    draw_overlaps(pixel, runptr, source, base, values, luts, _LUT, a)
    draw_overlaps_reference(pixel, runptr, source, base, values, luts, b)
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1  # table vs exact formula
    assert np.all(a[3 * pixel[0] : 3 * pixel[0] + 3] == 255) and (a == 255).sum() > 30
    unlit = np.setdiff1d(np.arange(4000), pixel)
    assert np.all(a.reshape(-1, 3)[unlit] == 7)


@pytest.mark.parametrize(
    "text, fault",
    [
        ("[[fans]]\nname = 'A'\nx = 0\ny = 0\n", "no device"),
        ("device = '3dcircle-42f2'\n", "no fans"),
        ("device = '3dcircle-42f2'\n[[fans]]\nname = 'A'\ny = 0\n", "needs x"),
        ("device = '3dcircle-42f2'\n[[fans]]\nname = 'A'\nx = 0\ny = 0\nspin = 1\n", "unknown key 'spin'"),
        (
            "device = '3dcircle-42f2'\n[[fans]]\nname = 'A'\nx = 0\ny = 0\n[[fans]]\nname = 'a'\nx = 5\ny = 0\n",
            "clashes",
        ),
        (
            "device = '3dcircle-42f2'\n[[fans]]\nname = 'A'\nx = 0\ny = 0\n[[fans]]\nname = 'B'\nx = 0\ny = 0\n",
            "same centre",
        ),
        ("device = '3dcircle-42f2'\n[[fans]]\nname = 'LONGNAME1'\nx = 0\ny = 0\n", "longer than 8"),
        (
            "device = '3dcircle-42f2'\n[[fans]]\nname = 'A B'\nx = 0\ny = 0\n",
            "cannot be a 3dcircle-42f2 file",
        ),
        ("device = '3dcircle-42f2'\n[[fans]]\nname = 'A'\nx = 'left'\ny = 0\n", "finite number"),
        ("device = '3dcircle-42f2'\n[[fans]]\nname = 'A'\nx = 0\ny = 0\nmirror = 1\n", "true or false"),
        ("device = 'no-such-fan'\n[[fans]]\nname = 'A'\nx = 0\ny = 0\n", "no-such-fan"),
        ("device = '3dcircle-42f2'\n[grid]\nrows = 2\ncols = 0\npitch = 400\n", "cols must be"),
        ("device = '3dcircle-42f2'\n[grid]\nrows = 2\ncols = 2\npitch = -4\n", "pitch must be"),
        (
            "device = '3dcircle-42f2'\n[grid]\nrows = 2\ncols = 2\npitch = 400\nlayout = 'hex'\n",
            "layout must be",
        ),
        ("device = '3dcircle-42f2'\n[grid\n", "not valid TOML"),
    ],
)
def test_bad_wall_files_name_the_fault(text, fault):
    with pytest.raises(InputError, match=fault):
        parse_wall(text, "w.toml")


_GRID_1X2 = "[grid]\nrows = 1\ncols = 2\npitch = 400\n"


@pytest.mark.parametrize(
    "grid, name",
    [("", "X"), (_GRID_1X2, "X"), (_GRID_1X2, "A1")],
    ids=["added fan, no grid", "added fan beside a grid", "grid fan changed twice"],
)
def test_a_fan_named_twice_is_refused_never_merged(grid, name):
    text = (
        "device = '3dcircle-42f2'\n"
        + grid
        + f"[[fans]]\nname = '{name}'\nx = 0.0\ny = 500.0\n"
        + f"[[fans]]\nname = '{name}'\nx = 400.0\ny = 900.0\n"
    )
    with pytest.raises(InputError, match=rf"\[\[fans\]\] 2: fan '{name}' is named again"):
        parse_wall(text, "w.toml")


@pytest.mark.parametrize("unit_mm", [1000.0, 10.0], ids=["metres", "centimetres"])
def test_a_wall_measured_in_metres_or_centimetres_is_refused(unit_mm):
    row = "".join(f"[[fans]]\nname = 'A{k}'\nx = {0.42 * k * 1000 / unit_mm!r}\ny = 0.0\n" for k in range(3))
    with pytest.raises(InputError, match=r"'A0' and 'A1' are [0-9.]+ mm apart.*m or cm"):
        parse_wall("device = '3dcircle-42f2'\n" + row, "w.toml")


def test_fans_overlapping_by_up_to_three_quarters_are_a_wall():
    # 0.26 x 420 mm apart: 74 % overlap, far past what installers use to hide the gaps
    wall = parse_wall("device = '3dcircle-42f2'\n[grid]\nrows = 2\ncols = 2\npitch = 109.2\n", "w.toml")
    assert len(wall.fans) == 4


# a 42-F2 sibling the installer measured: 64 LEDs at 2.5 mm light a 320 mm disc
SMALLER_F2 = """base = "3dcircle-42f2"
name = "f2-64"
[geometry]
leds_per_blade = 64
led_pitch_mm = 2.5
led_size_mm = 2.5
"""


def test_a_profile_that_moves_the_leds_is_placed_at_its_own_lit_disc(tmp_path):
    (tmp_path / "f2-64.toml").write_text(SMALLER_F2)
    (tmp_path / "wall.toml").write_text("device = 'f2-64.toml'\n[grid]\nrows = 1\ncols = 2\npitch = 300.0\n")
    wall = load_wall(tmp_path / "wall.toml")
    # the base's 420 mm would give each fan a 50 mm ring it can never light
    assert [f.radius_mm for f in wall.fans] == [160.0, 160.0]
    assert wall.bounds_mm == (-160.0, -160.0, 460.0, 160.0)
    assert "diameter_mm" not in wall.fans[0].profile.to_toml()


def test_a_stated_diameter_the_leds_do_not_light_is_refused_by_a_wall(tmp_path):
    (tmp_path / "f2-64.toml").write_text(SMALLER_F2.replace("[geometry]", "diameter_mm = 420.0\n[geometry]"))
    assert load_profile(str(tmp_path / "f2-64.toml")).leds_per_blade == 64  # one fan alone needs no size
    (tmp_path / "wall.toml").write_text("device = 'f2-64.toml'\n[[fans]]\nname = 'A'\nx = 0.0\ny = 0.0\n")
    with pytest.raises(InputError, match="fan 'A': .*diameter_mm is 420 but its LEDs light a 320 mm disc"):
        load_wall(tmp_path / "wall.toml")


WINDOWS_WALL = 'device = "3dcircle-42f2"\r\n[[fans]]\r\nname = "A1"\r\nx = 0.0\r\ny = 0.0\r\n'


def test_a_wall_file_saved_by_a_windows_editor_reads_as_the_same_text(tmp_path):
    # UTF-8 with a byte-order mark and CRLF line ends, as Notepad saves it
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + WINDOWS_WALL.encode())
    (tmp_path / "plain.toml").write_text(WINDOWS_WALL.replace("\r\n", "\n"))
    bom, plain = load_wall(tmp_path / "bom.toml"), load_wall(tmp_path / "plain.toml")
    assert [(f.name, f.x, f.y, f.device) for f in bom.fans] == [
        (f.name, f.x, f.y, f.device) for f in plain.fans
    ]


def test_a_utf16_wall_file_is_refused_with_what_to_save_it_as(tmp_path):
    (tmp_path / "u16.toml").write_bytes(WINDOWS_WALL.encode("utf-16"))
    with pytest.raises(InputError, match="u16.toml: the wall file is UTF-16 text; save it as UTF-8"):
        load_wall(tmp_path / "u16.toml")


def test_square_grid_names_and_positions():
    wall = parse_wall("device = 'mp4-fan'\n[grid]\nrows = 2\ncols = 2\npitch = 500\n", "w.toml")
    assert [(f.name, f.x, f.y, f.file_name) for f in wall.fans] == [
        ("A1", 0.0, 0.0, "a1.mp4"),
        ("A2", 500.0, 0.0, "a2.mp4"),
        ("B1", 0.0, -500.0, "b1.mp4"),
        ("B2", 500.0, -500.0, "b2.mp4"),
    ]
    assert wall.fans[0].radius_mm == 280.0  # the mp4-fan profile's diameter
    assert wall.bounds_mm == (-280.0, -780.0, 780.0, 280.0)


def test_every_profile_states_its_diameter_and_source():
    from holopack.device import list_profiles

    for name in list_profiles():
        p = load_profile(name)
        assert p.diameter_mm and p.diameter_mm > 100
        assert p.diameter_source
    assert load_profile("3dcircle-42f2").physical_diameter_mm == 420.0


def _picture(path, width=240, height=160):
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // width, y * 255 // height, (x + y) % 64 * 4], -1).astype(np.uint8)
    Image.fromarray(rgb).save(path)


def test_wall_export_writes_every_fan_in_step_and_validates(wall_dir):
    _picture(wall_dir / "pic.png")
    out = wall_dir / "out"
    result = export_wall(
        str(wall_dir / "pic.png"), str(wall_dir / "wall.toml"), str(out), seconds=0.1, progress=False
    )
    info = json.loads((out / "wall.json").read_text())
    assert info["frames"] == result.frames == 3 and info["fps"] == 30.0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["A1.BIN", "A2.BIN", "A3.BIN", "B1.BIN", "B2.BIN", "B3.BIN", "wall.json", "preview.mp4"]
    )
    profile = load_profile(str(wall_dir / "coarse.toml"))
    for fan in info["fans"]:
        frames = list(open_fan_file(str(out / fan["file"]), profile).frames())
        assert len(frames) == 3 and frames[0].shape == (64, 24, 3)
        import hashlib

        assert hashlib.sha256((out / fan["file"]).read_bytes()).hexdigest() == fan["sha256"]
    assert info["sync"]["frames"] == 3 and "start" in info["sync"]
    from holopack.pack.validate import validate

    assert validate(str(out)).ok
    # a changed file, a missing file: validate says so
    data = bytearray((out / "A2.BIN").read_bytes())
    data[100] ^= 0xFF
    (out / "A2.BIN").write_bytes(bytes(data))
    (out / "B1.BIN").unlink()
    report = validate(str(out))
    text = report.text()
    assert not report.ok and "SHA-256 does not match" in text and "B1.BIN" in text and "missing" in text


def test_wall_export_of_the_twin_from_the_command_line(wall_dir):
    out = wall_dir / "twin"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "holopack",
            "export",
            "--wall",
            str(wall_dir / "wall.toml"),
            "-o",
            str(out),
            "--seconds",
            "0.1",
            "-q",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    info = json.loads((out / "wall.json").read_text())
    assert len(info["fans"]) == 6
    lit = 0
    profile = load_profile(str(wall_dir / "coarse.toml"))
    for fan in info["fans"]:
        codes = next(iter(open_fan_file(str(out / fan["file"]), profile).frames()))
        lit += int(codes.max() > 0)
    assert lit >= 2  # the twin spans several fans
    run = subprocess.run(
        [sys.executable, "-m", "holopack", "validate", str(out)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_bad_wall_on_the_command_line_is_one_line_exit_2(tmp_path):
    (tmp_path / "w.toml").write_text("device = '3dcircle-42f2'\n[grid]\nrows = 2\n")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "holopack",
            "export",
            "--wall",
            str(tmp_path / "w.toml"),
            "-o",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "w.toml" in run.stderr and "[grid] needs cols" in run.stderr
    assert not (tmp_path / "out").exists()


def test_a_folder_that_is_not_a_wall_export_is_never_replaced(wall_dir):
    out = wall_dir / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    _picture(wall_dir / "pic.png")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "holopack",
            "export",
            str(wall_dir / "pic.png"),
            "--wall",
            str(wall_dir / "wall.toml"),
            "-o",
            str(out),
            "--seconds",
            "0.1",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and "nothing was overwritten" in run.stderr
    assert (out / "notes.txt").read_text() == "keep me"


def test_a_playlist_item_with_a_wall_becomes_one_folder_in_the_package(wall_dir):
    from holopack.pack.package import pack
    from holopack.pack.validate import validate

    _picture(wall_dir / "pic.png")
    (wall_dir / "list.toml").write_text(
        '[[items]]\ninput = "pic.png"\nname = "big"\nwall = "wall.toml"\nseconds = 0.1\n'
    )
    report = pack(str(wall_dir / "list.toml"), str(wall_dir / "pkg"), progress=False)
    assert report.walls == ["wall-wall"]
    info = json.loads((wall_dir / "pkg" / "wall-wall" / "wall.json").read_text())
    assert len(info["fans"]) == 6 and info["frames"] == 3
    assert validate(str(wall_dir / "pkg")).ok
    (wall_dir / "two.toml").write_text(
        '[[items]]\ninput = "pic.png"\nwall = "wall.toml"\n[[items]]\ninput = "pic.png"\nname = "b"\n'
        'wall = "wall.toml"\n'
    )
    with pytest.raises(InputError, match="a wall takes one item"):
        pack(str(wall_dir / "two.toml"), str(wall_dir / "pkg2"), progress=False)
    assert not (wall_dir / "pkg2").exists()
    (wall_dir / "bad.toml").write_text('[[items]]\ninput = "pic.png"\nwall = "nowhere.toml"\n')
    with pytest.raises(InputError, match="wall file not found"):
        pack(str(wall_dir / "bad.toml"), str(wall_dir / "pkg3"), progress=False)


SMALL_VIDEO_FAN = """base = "mp4-fan"
name = "small-mp4"
diameter_mm = 420.0
[render]
render_size = 160
video_size = 160
"""

MIXED = """device = "coarse.toml"
[grid]
rows = 2
cols = 3
pitch = 340.0            # wide overlaps: the video fan's neighbours own a broad band of its circle
[[fans]]
name = "B2"
device = "video.toml"
rotation = 90.0
"""


def test_fans_of_different_models_each_get_their_own_format(wall_dir):
    from holopack.formats.mp4 import read as read_mp4

    (wall_dir / "video.toml").write_text(SMALL_VIDEO_FAN)
    (wall_dir / "mixed.toml").write_text(MIXED)
    _picture(wall_dir / "pic.png", 300, 200)
    out = wall_dir / "mixed"
    export_wall(
        str(wall_dir / "pic.png"),
        str(wall_dir / "mixed.toml"),
        str(out),
        seconds=0.1,
        progress=False,
        preview=False,
    )
    info = json.loads((out / "wall.json").read_text())
    files = {f["name"]: f["file"] for f in info["fans"]}
    assert files["B2"] == "b2.mp4" and files["A1"] == "A1.BIN"
    video = list(read_mp4(str(out / "b2.mp4")).frames())
    assert len(video) == info["frames"] == 3 and video[0].shape == (160, 160, 3)
    # the video fan's own picture is the region it owns, turned back by its 90 degrees
    wall = load_wall(wall_dir / "mixed.toml")
    fan = next(f for f in wall.fans if f.name == "B2")
    picture = np.asarray(Image.open(wall_dir / "pic.png").convert("RGB")).astype(np.float64)
    left, bottom, right, top = wall.bounds_mm
    h, w = picture.shape[:2]
    s = min((right - left) / w, (top - bottom) / h)
    x0, y0 = left + ((right - left) - w * s) / 2, top - ((top - bottom) - h * s) / 2
    i, j = np.mgrid[0:160, 0:160]
    lx, ly = (j + 0.5 - 80) * 420 / 160, (80 - (i + 0.5)) * 420 / 160  # own frame, y up, mm
    x, y = fan.x - ly, fan.y + lx  # turned 90 deg ccw
    px, py = np.floor((x - x0) / s).astype(int), np.floor((y0 - y) / s).astype(int)
    inside = (px >= 0) & (px < w) & (py >= 0) & (py < h)
    owned = brute_owner(wall.fans, x, y) == wall.fans.index(fan)
    keep = inside & owned & (np.hypot(lx, ly) < 200)
    ref = picture[py[keep], px[keep]]
    got = video[0][keep].astype(np.float64)
    assert np.mean(np.abs(got - ref)) < 8.0
    # the part other fans own stays dark (beyond a few pixels of blur and H.264 at the border)
    d_self = np.hypot(x - fan.x, y - fan.y)
    d_other = np.min([np.hypot(x - f.x, y - f.y) for f in wall.fans if f is not fan], axis=0)
    others = (d_other < d_self - 20.0) & (np.hypot(lx, ly) < 205)
    assert others.sum() > 300 and np.all(video[0][others].max(-1) < 40)


def test_restricted_renderer_draws_the_same_pixels_in_its_tiles_and_black_elsewhere(twin_path):
    from holopack.rendering import TILE, Renderer
    from holopack.rendering.camera import Framing, fit_camera
    from holopack.scene.load import load

    scene = load(str(twin_path))
    posed = scene.pose(None, 0.0)
    camera = fit_camera(np.concatenate([p.positions for p in posed]), Framing())
    size = (160, 128)
    full = Renderer(size).draw(posed, scene.materials, scene.textures, camera.view, camera.projection)
    mask = np.zeros((-(-size[1] // TILE), -(-size[0] // TILE)), bool)
    mask[1:3, 1:4] = True
    part = Renderer(size)
    part.restrict_tiles(mask)
    frame = part.draw(posed, scene.materials, scene.textures, camera.view, camera.projection)
    inside = np.kron(mask, np.ones((TILE, TILE), bool))[: size[1], : size[0]]
    assert full.color[inside].max() > 0
    np.testing.assert_array_equal(frame.color[inside], full.color[inside])
    assert frame.color[~inside].max() == 0 and np.all(frame.depth[~inside] == 1.0)
    assert not frame.tiles[~mask].any()


def test_bench_wall_reports_a_ratio_to_real_time(wall_dir):
    _picture(wall_dir / "pic.png")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "holopack",
            "bench",
            str(wall_dir / "pic.png"),
            "--wall",
            str(wall_dir / "wall.toml"),
            "--frames",
            "2",
            "--warmup",
            "1",
            "--json",
            str(wall_dir / "b.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "x real time" in run.stdout and "one fan alone" in run.stdout
    report = json.loads((wall_dir / "b.json").read_text())
    assert report["fans"] == 6 and report["frames_timed"] == 2
    assert report["x_real_time"] == pytest.approx(report["wall_fps"] / report["fps"])


def test_bench_wall_of_a_cut_clip_names_no_seconds_and_times_the_export_loop(wall_dir, capsys):
    from holopack.wall.bench import bench_wall, format_wall_report

    # the twin's 3.3 s clip cut to a few frames: the length is the bench's own choice
    # (nothing is written for a fan), so no line tells the user to change a --seconds
    # they never gave, as `holopack bench` of one fan says nothing either
    report = bench_wall(None, str(wall_dir / "wall.toml"), frames=3, warmup=1)
    err = capsys.readouterr().err
    assert "the loop jumps" not in err and "--seconds" not in err, err
    ms = report["median_ms"]
    # 1220 x 820 mm at 1 px per 8.75 mm pitch
    assert report["frames_timed"] == 3 and report["canvas_px"] == [140, 94]
    assert all(ms[k] > 0 for k in ("render", "fans", "write", "preview", "in_sequence", "wall"))
    assert report["x_real_time"] == pytest.approx(1000.0 / ms["wall"] / report["fps"])
    text = format_wall_report(report)
    assert "end to end" in text and "in sequence" in text


@pytest.mark.parametrize("model_lights", [True, False])
def test_wall_canvas_lights_the_model_with_its_own_lights_when_asked(wall_dir, model_lights):
    """--model-lights on a wall: the canvas is drawn with the model's own (red) point
    light, placed by the canvas camera's view, as a single fan's export draws it;
    without it, by the white camera rig."""
    from _gltf_builder import plate_with_a_point_light

    from holopack.pipeline import ExportSettings
    from holopack.rendering.model_lights import model_lights_in_view
    from holopack.scene.load import load
    from holopack.wall.export import WallPlan

    scene = load(plate_with_a_point_light(wall_dir / "plate.gltf"))
    wall = load_wall(wall_dir / "wall.toml")
    settings = ExportSettings(device=wall.fans[0].profile, shading="pbr", model_lights=model_lights)
    plan = WallPlan(scene, wall, settings)
    frame = plan.source.frame(2)
    covered = frame.color.max(axis=2) > 10
    assert covered.mean() > 0.02
    red, green = (frame.color[covered][:, c].astype(float).mean() for c in (0, 1))
    if model_lights:
        assert red > 2.0 * green
        tl = plan.timeline
        expected = model_lights_in_view(scene, plan.source.view_at(2), tl.animation, tl.anim_time(2))
        assert plan.source.renderer.lights == expected
    else:
        assert red < 1.3 * green


def test_a_wall_plays_at_its_polar_fans_rate_and_video_fans_follow(tmp_path):
    # a 42-F2 file holds no rate (the fan plays it at 30 fps); an MP4 holds its own
    (tmp_path / "m25.toml").write_text('base = "mp4-fan"\nname = "m25"\nfps = 25.0\n')
    fans = "[[fans]]\nname = 'a'\nx = 0.0\ny = 0.0\n[[fans]]\nname = 'b'\nx = 600.0\ny = 0.0\ndevice = 'm25.toml'\n"
    mixed = parse_wall("device = '3dcircle-42f2'\n" + fans, "w.toml", base_dir=str(tmp_path))
    assert mixed.fps == 30.0 and mixed.off_rate_fans(30.0) == []
    videos = parse_wall("device = 'mp4-fan'\n" + fans, "w.toml", base_dir=str(tmp_path))
    assert videos.fps == 25.0  # the slowest video device's


def test_polar_fans_of_different_rates_are_said_at_export_and_refused_by_validate(wall_dir, capsys):
    from holopack.pack.validate import validate

    (wall_dir / "rates.toml").write_text(
        "device = 'coarse.toml'\n[[fans]]\nname = 'A'\nx = 0.0\ny = 0.0\n"
        "[[fans]]\nname = 'B'\nx = 420.0\ny = 0.0\ndevice = 'legacy-224'\n"
    )
    _picture(wall_dir / "pic.png")
    out = wall_dir / "out"
    export_wall(
        str(wall_dir / "pic.png"), str(wall_dir / "rates.toml"), str(out), seconds=0.2, progress=False
    )
    err = capsys.readouterr().err
    assert "fan A (coarse-42f2, 30 fps) plays its file at the device's own rate, not the wall's 10 fps" in err
    report = validate(str(out))
    assert not report.ok and "was made for 10 fps; coarse-42f2 plays 30 fps" in report.text()


def test_a_wall_export_says_which_fans_stay_dark(wall_dir, capsys):
    # a row of three coarse fans; the picture is lit in its left third only, so only
    # the left fan ever lights (said, not refused: the files are still written)
    (wall_dir / "row.toml").write_text('device = "coarse.toml"\n[grid]\nrows = 1\ncols = 3\npitch = 420.0\n')
    rgb = np.zeros((100, 300, 3), np.uint8)
    rgb[:, :90] = 200
    Image.fromarray(rgb).save(wall_dir / "left.png")
    export_wall(
        str(wall_dir / "left.png"),
        str(wall_dir / "row.toml"),
        str(wall_dir / "a"),
        seconds=0.1,
        progress=False,
    )
    err = capsys.readouterr().err
    assert "fans A2, A3 stay dark in every frame" in err and "A1" not in err
    Image.fromarray(np.zeros_like(rgb)).save(wall_dir / "black.png")
    export_wall(
        str(wall_dir / "black.png"),
        str(wall_dir / "row.toml"),
        str(wall_dir / "b"),
        seconds=0.1,
        progress=False,
    )
    assert "no fan lights up in any frame" in capsys.readouterr().err
    assert sorted(p.name for p in (wall_dir / "b").iterdir())[:3] == ["A1.BIN", "A2.BIN", "A3.BIN"]
    _picture(wall_dir / "pic.png")  # lit all over: no fan is dark
    export_wall(
        str(wall_dir / "pic.png"),
        str(wall_dir / "row.toml"),
        str(wall_dir / "c"),
        seconds=0.1,
        progress=False,
    )
    err = capsys.readouterr().err
    assert "dark" not in err and "lights up" not in err


def test_a_wall_export_names_one_dark_fan_in_the_singular(wall_dir, capsys):
    # lit in its left two thirds: only the right fan stays dark, and the line says so
    # of one fan ("fan A3 stays dark"), not in the plural the docs quote for several
    (wall_dir / "row.toml").write_text('device = "coarse.toml"\n[grid]\nrows = 1\ncols = 3\npitch = 420.0\n')
    rgb = np.zeros((100, 300, 3), np.uint8)
    rgb[:, :190] = 200
    Image.fromarray(rgb).save(wall_dir / "two.png")
    export_wall(
        str(wall_dir / "two.png"),
        str(wall_dir / "row.toml"),
        str(wall_dir / "d"),
        seconds=0.1,
        progress=False,
    )
    err = capsys.readouterr().err
    assert "fan A3 stays dark in every frame: the picture is black where it is" in err
    assert "A1" not in err and "A2" not in err and "fans" not in err


def test_two_items_for_one_wall_are_refused_before_anything_renders(wall_dir, monkeypatch, capsys):
    from holopack.pack import package

    _picture(wall_dir / "pic.png")
    (wall_dir / "two.toml").write_text(
        'devices = ["coarse.toml"]\n[[items]]\ninput = "pic.png"\nname = "alone"\nseconds = 0.1\n'
        '[[items]]\ninput = "pic.png"\nname = "a"\nwall = "wall.toml"\nseconds = 0.1\n'
        '[[items]]\ninput = "pic.png"\nname = "b"\nwall = "wall.toml"\nseconds = 0.1\n'
    )
    rendered = []
    monkeypatch.setattr(package, "_run_jobs", lambda *a, **k: rendered.append(a) or ([], []))
    with pytest.raises(InputError, match="item 3 \\(b\\): wall 'wall' already plays item 2 \\(a\\)"):
        package.pack(str(wall_dir / "two.toml"), str(wall_dir / "pkg"), progress=False)
    # it was found after the device files rendered and the first wall was exported
    assert rendered == [] and not (wall_dir / "pkg").exists()
    assert capsys.readouterr().err == ""  # the one error line is the command's, nothing before it


def test_a_wall_given_parsed_still_names_its_file_in_the_dark_fans_line(wall_dir, capsys):
    # a playlist's wall item hands export_wall a parsed Wall: the line named no file
    from holopack.wall.layout import load_wall

    (wall_dir / "row.toml").write_text('device = "coarse.toml"\n[grid]\nrows = 1\ncols = 3\npitch = 420.0\n')
    rgb = np.zeros((100, 300, 3), np.uint8)
    rgb[:, :90] = 200
    Image.fromarray(rgb).save(wall_dir / "left.png")
    wall = load_wall(str(wall_dir / "row.toml"))
    export_wall(str(wall_dir / "left.png"), wall, str(wall_dir / "e"), seconds=0.1, progress=False)
    err = capsys.readouterr().err
    assert f"holopack: warning: {wall_dir / 'row.toml'}: fans A2, A3 stay dark in every frame" in err, err
