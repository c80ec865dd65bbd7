"""Fan file formats: bit-exact round trips, the documented layouts, the sample files,
and a test pattern through every format to the viewer simulation."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest
from _polar_helpers import (
    QUADRANTS,
    arrow_points_up,
    pattern_picture,
    quadrant_colours,
    small_profile,
    with_render_size,
)

from holopack.device import PolarEncoder, ViewerSimulator, load_profile
from holopack.errors import InputError
from holopack.formats import circle42f2, legacy224, polarstream
from holopack.formats.fanfile import decode_file, open_fan_file

DATA = os.path.join(os.path.dirname(__file__), "data", "legacy-224")
MODULES = {"42f2": circle42f2, "legacy224": legacy224, "polarstream": polarstream}
SHIPPED = {"42f2": "3dcircle-42f2", "legacy224": "legacy-224", "polarstream": "diy-apa102"}


def _random_codes(profile, n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, profile.max_code + 1, profile.codes_shape, dtype=np.uint8) for _ in range(n)]


@pytest.mark.parametrize("fmt", list(MODULES))
def test_round_trip_is_bit_exact(tmp_path, fmt):
    profile = load_profile(SHIPPED[fmt])
    frames = _random_codes(profile, 3)
    path = tmp_path / f"clip{profile.layout['suffix']}"
    with MODULES[fmt].Writer(str(path), profile, profile.fps) as writer:
        for f in frames:
            writer.write(f)
    polar = MODULES[fmt].read(str(path))
    assert polar.frame_count == 3 and polar.profile.name == profile.name
    back = list(polar.frames())
    assert len(back) == 3
    for a, b in zip(frames, back):
        assert np.array_equal(a, b)
    # the file is told apart by its own bytes
    assert open_fan_file(str(path)).profile.format == fmt


def test_42f2_layout_matches_the_documentation(tmp_path):
    profile = load_profile("3dcircle-42f2")
    codes = np.zeros(profile.codes_shape, np.uint8)
    codes[0, 0, 2] = 0b100000  # blue of the rim LED: source byte 0, bit 7
    codes[0, 0, 0] = 0b000001  # red of the rim LED: source byte 2, bit 2
    codes[1, 111, 1] = 0b010000  # green of the centre LED in slice 1: source byte 334, bit 6
    data = circle42f2.pack_frame(codes, profile)
    assert len(data) == 129_024
    nonzero = {i: b for i, b in enumerate(data) if b}
    plane = {bit: 294 - 42 * bit for bit in range(2, 8)}  # plane offset in a slice
    assert nonzero == {
        plane[7] + 0: 0x80,  # byte j=0 -> bit 7 of plane byte 0
        plane[2] + 0: 0x20,  # byte j=2 -> bit 5 of plane byte 0
        252 + plane[6] + 334 // 8: 1 << (7 - 334 % 8),
    }


# a sibling of the 42-F2 in the vendor encoder's other configurations: 64 LEDs, all
# eight bits of each source byte kept ("24 planes (RGB888)" of LEDs / 8 bytes each)
F2_RGB888 = """base = "3dcircle-42f2"
name = "f2-64-rgb888"
diameter_mm = 420.0
[geometry]
leds_per_blade = 64
led_pitch_mm = 3.28125
led_size_mm = 3.28125
slices = 100
[colour]
bit_depth = 8
"""


def test_42f2_family_rgb888_keeps_all_eight_planes_in_the_vendor_layout(tmp_path):
    from holopack.device.profile import parse_profile

    profile = parse_profile(F2_RGB888, "f2-64.toml")
    plane_bytes = 64 * 3 // 8  # 24 planes of 64 / 8 bytes = 8 planes of 3 x 64 / 8 bytes
    codes = np.zeros(profile.codes_shape, np.uint8)
    codes[0, 0, 2] = 0b1000_0000  # blue of the rim LED: source byte 0, bit 7
    codes[0, 0, 0] = 0b0000_0001  # red of the rim LED: source byte 2, bit 0 (dropped by RGB666)
    codes[3, 63, 1] = 0b0000_0100  # green of the centre LED in slice 3: source byte 190, bit 2
    data = circle42f2.pack_frame(codes, profile)
    assert len(data) == 100 * 8 * plane_bytes
    plane = {bit: (7 - bit) * plane_bytes for bit in range(8)}  # the encoder's plane offsets
    slice_bytes = 8 * plane_bytes
    assert {i: b for i, b in enumerate(data) if b} == {
        plane[7] + 0: 0x80,
        plane[0] + 0: 0x20,
        3 * slice_bytes + plane[2] + 190 // 8: 1 << (7 - 190 % 8),
    }
    frames = _random_codes(profile, 2, seed=7)
    assert max(int(f.max()) for f in frames) > 63  # codes the 6-bit 42-F2 cannot hold
    path = tmp_path / "F.BIN"
    with circle42f2.Writer(str(path), profile, 30) as w:
        for f in frames:
            w.write(f)
    assert all(np.array_equal(a, b) for a, b in zip(frames, circle42f2.read(str(path), profile).frames()))


@pytest.mark.parametrize("bits", [1, 5, 7])
def test_42f2_family_keeps_six_or_eight_bits_only(bits):
    from holopack.device.profile import parse_profile

    with pytest.raises(InputError, match="bit_depth must be 6 or 8"):
        parse_profile(F2_RGB888.replace("bit_depth = 8", f"bit_depth = {bits}"), "f2.toml")


def test_42f2_trailer_and_bad_sizes(tmp_path):
    profile = load_profile("3dcircle-42f2")
    frames = _random_codes(profile, 2, seed=4)
    path = tmp_path / "A.BIN"
    with circle42f2.Writer(str(path), profile, 30) as w:
        for f in frames:
            w.write(f)
    with open(path, "ab") as f:
        f.write(b"B2DDDDEDC0EEBDF9E5B7")
    polar = circle42f2.read(str(path))
    assert polar.frame_count == 2
    assert all(np.array_equal(a, b) for a, b in zip(frames, polar.frames()))
    with open(path, "ab") as f:
        f.write(b"xx")
    with pytest.raises(InputError, match="not a whole number of 129,024-byte 42-F2 frames"):
        circle42f2.read(str(path))
    empty = tmp_path / "E.BIN"
    empty.write_bytes(b"")
    with pytest.raises(InputError):
        circle42f2.read(str(empty))
    # writer refuses codes the format cannot hold
    with pytest.raises(ValueError):
        with circle42f2.Writer(str(tmp_path / "B.BIN"), profile, 30) as w:
            w.write(np.full(profile.codes_shape, 64, np.uint8))


def test_42f2_file_names():
    assert circle42f2.device_file_name("my clip!", 3) == "03_MY_CLIP.BIN"
    assert circle42f2.check_file_name("03_MY_CLIP.BIN") is None
    assert "upper-case" in circle42f2.check_file_name("clip.bin")


def _rings(frame):
    """Runs of (rounded mean colour over all rays, first LED) from the centre out."""
    by_radius = frame.astype(float).mean(axis=0)  # (leds from centre, 3)
    runs = []
    for k, colour in enumerate(np.round(by_radius).astype(int)):
        if not runs or runs[-1][0] != tuple(colour):
            runs.append((tuple(colour), k))
    return runs


def test_legacy_sample_files_decode_into_rings():
    """circles*.bin: concentric rings (white centre, red, black, green), shrinking
    towards the rim over the 26 frames; every ray the same."""
    white, red, black, green = (1, 1, 1), (1, 0, 0), (0, 0, 0), (0, 1, 0)
    polar = open_fan_file(os.path.join(DATA, "circles_green_red_white.bin"))
    assert polar.profile.name == "legacy-224" and polar.frame_count == 26
    frames = list(polar.frames())
    assert _rings(frames[0]) == [(white, 0), (red, 20), (black, 63), (green, 103)]
    assert _rings(frames[25]) == [(white, 0), (black, 10), (green, 99), (black, 109)]
    # flat rings are the same on every ray
    assert np.all(frames[0][:, 2:18] == 1) and not frames[0][:, 65:100].any()
    assert np.all(frames[0][:, 22:60, 0] == 1) and not frames[0][:, 22:60, 1:].any()
    plain = open_fan_file(os.path.join(DATA, "circles.bin"))
    assert _rings(next(plain.frames())) == [(red, 0), (black, 63), (green, 103)]


def test_legacy_repacking_the_samples_gives_the_same_bytes():
    """Our bit map is the one the samples were written with: unpack + pack is identity."""
    profile = load_profile("legacy-224")
    path = os.path.join(DATA, "circles_green_red_white.bin")
    with open(path, "rb") as f:
        head = f.read(4096)
        raw = f.read(114_688)
    assert head[:5] in (bytes.fromhex("0000000118"), bytes.fromhex("0000003c18"))
    codes = legacy224.unpack_frame(raw, profile)
    assert legacy224.pack_frame(codes, profile) == raw


def test_legacy_irregular_vendor_file_reads():
    polar = open_fan_file(os.path.join(DATA, "flicker_up_down.bin"))
    frames = list(polar.frames())
    assert len(frames) == polar.frame_count == 15
    lit = [f.any(axis=(1, 2)) for f in frames]
    assert any(x.any() for x in lit)


def test_legacy_header(tmp_path):
    profile = load_profile("legacy-224")
    path = tmp_path / "a.bin"
    with legacy224.Writer(str(path), profile, 10) as w:
        w.write(np.zeros(profile.codes_shape, np.uint8))
    data = path.read_bytes()
    assert len(data) == 4096 + 114_688 and data[:5] == bytes.fromhex("0000000118") and not any(data[4096:])
    path.write_bytes(b"\x01" + data[1:])
    with pytest.raises(InputError, match="not a legacy fan file"):
        legacy224.read(str(path))


def test_polar_stream_streaming_and_damage(tmp_path):
    profile = load_profile("diy-apa102")
    frames = _random_codes(profile, 4, seed=9)
    path = tmp_path / "s.hps"
    with open(path, "wb") as f, polarstream.Writer(f, profile, 25, streaming=True) as w:
        for fr in frames:
            w.write(fr)
    data = path.read_bytes()
    assert data[:8] == polarstream.MAGIC
    assert struct.unpack_from("<I", data, polarstream.COUNT_OFFSET)[0] == 0xFFFFFFFF
    polar = polarstream.read(str(path))
    assert polar.frame_count == 4 and polar.fps == 25
    assert all(np.array_equal(a, b) for a, b in zip(frames, polar.frames()))
    assert polar.profile == profile  # carried in the header
    record = 8 + profile.slices * profile.columns * 3 + 4
    # a flipped bit in frame 2
    damaged = bytearray(data)
    damaged[len(data) - 2 * record + 100] ^= 0x10
    path.write_bytes(bytes(damaged))
    with pytest.raises(InputError, match="frame 2 fails its CRC32"):
        list(polarstream.read(str(path)).frames())
    # cut short inside the last frame
    path.write_bytes(data[:-10])
    with pytest.raises(InputError, match="file ends inside frame 3"):
        list(polarstream.read(str(path)).frames())
    # a damaged header
    path.write_bytes(data[:20] + b"\xff" + data[21:])
    with pytest.raises(InputError, match="header checksum"):
        polarstream.read(str(path))
    # a profile that does not fit the file
    path.write_bytes(data)
    with pytest.raises(InputError, match="file holds 240 slices x 72 columns"):
        polarstream.read(str(path), load_profile("3dcircle-42f2"))


@pytest.mark.parametrize("fmt", list(MODULES))
def test_pattern_through_each_format_shows_an_upright_arrow(tmp_path, fmt):
    """quadrants + arrow -> resample -> quantise -> file -> read -> simulate."""
    profile = with_render_size(SHIPPED[fmt], 256)
    picture = pattern_picture(256)
    codes = PolarEncoder(profile).encode(picture, 0)
    path = tmp_path / f"pattern{profile.layout['suffix']}"
    with MODULES[fmt].Writer(str(path), profile, profile.fps) as w:
        w.write(codes)
    seen_profile, pictures = decode_file(str(path), profile, size=192)
    seen = next(pictures)
    assert seen.shape == (192, 192, 3) and seen.dtype == np.uint8
    assert arrow_points_up(seen)
    for quadrant, colour in quadrant_colours(seen).items():
        expected = np.array(QUADRANTS[quadrant]) * 255
        assert np.abs(colour - expected).max() < 60, (quadrant, colour)


def test_pattern_mirrored_or_rotated_is_caught():
    """The checks above fail for a flipped picture (so they can fail at all)."""
    profile = small_profile(leds=48, slices=256)
    sim = ViewerSimulator(profile, 128)
    for picture in (
        pattern_picture(128)[::-1],
        np.rot90(pattern_picture(128)),
        pattern_picture(128)[:, ::-1],
    ):
        codes = PolarEncoder(profile, 128).encode(np.ascontiguousarray(picture), 0)
        seen = sim.render(codes)
        good_colours = all(
            np.abs(c - np.array(QUADRANTS[q]) * 255).max() < 60 for q, c in quadrant_colours(seen).items()
        )
        assert not (arrow_points_up(seen) and good_colours)
