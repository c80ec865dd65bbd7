"""Device profiles: shipped ones load and agree with the documented formats; bad ones
raise InputError naming the file and the key, never another exception."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from holopack.device.profile import PROFILE_DIR, list_profiles, load_profile, parse_profile
from holopack.errors import InputError

SHIPPED = ["3dcircle-42f2", "diy-apa102", "hypervsn", "legacy-224", "mp4-fan"]


def test_shipped_profiles_are_listed_and_load():
    assert list_profiles() == SHIPPED
    for name in SHIPPED:
        p = load_profile(name)
        assert p.name == name
        assert p.source.endswith(f"{name}.toml")
        assert p.description
        assert p.render_size > 0 and p.video_size > 0 and p.fps > 0
        text = p.to_text()
        assert name in text and p.format in text


def test_42f2_matches_the_documented_frame():
    p = load_profile("3dcircle-42f2")
    assert (p.kind, p.format, p.channel_order, p.bit_depth) == ("polar", "42f2", "BGR", 6)
    assert p.codes_shape == (512, 112, 3)
    # 6 planes x (112 LEDs x 3 channels / 8) bytes per slice x 512 slices = 129,024 bytes
    assert p.slices * 6 * p.columns * 3 // 8 == 129_024
    centres, offsets = p.column_geometry()
    assert centres[0] > centres[-1]  # LED 0 is the outer one
    assert np.allclose(np.diff(centres), -p.led_pitch_mm)
    assert math.isclose(p.radius_mm, 210.0)
    assert not offsets.any()
    assert p.layout["trailer"] == "B2DDDDEDC0EEBDF9E5B7" and p.layout["suffix"] == ".BIN"


def test_diy_profile_interleaves_two_blades_by_half_a_pitch():
    p = load_profile("diy-apa102")
    assert p.columns == 72 and p.blade_data == "per_blade"
    centres, offsets = p.column_geometry()
    rings = np.sort(centres)
    assert np.allclose(np.diff(rings), p.led_pitch_mm / 2)
    assert np.allclose(offsets[:36], 0) and np.allclose(offsets[36:], math.pi)


def test_video_profiles_have_no_geometry():
    for name in ("hypervsn", "mp4-fan"):
        p = load_profile(name)
        assert p.kind == "video" and p.format == "mp4" and p.circle_mask
        with pytest.raises(InputError):
            p.column_geometry()
    assert "not public" in load_profile("hypervsn").description


def test_user_profile_file_and_base(tmp_path):
    path = tmp_path / "measured.toml"
    path.write_text(
        'base = "3dcircle-42f2"\nname = "my-fan"\n[geometry]\nhub_radius_mm = 10.0\nslice0_angle_deg = 90.0\n'
    )
    p = load_profile(path)
    assert p.name == "my-fan" and p.hub_radius_mm == 10.0 and p.slice0_angle_deg == 90.0
    assert p.leds_per_blade == 112 and p.source == str(path)
    assert math.isclose(p.radius_mm, 220.0)


def _error(text: str) -> str:
    with pytest.raises(InputError) as info:
        parse_profile(text, "fan.toml")
    return str(info.value)


BASE = (PROFILE_DIR / "3dcircle-42f2.toml").read_text()


@pytest.mark.parametrize(
    "old,new,expected",
    [
        (
            "leds_per_blade = 112",
            "leds_per_blade = -3",
            "fan.toml: [geometry] leds_per_blade must be a positive integer, got -3",
        ),
        (
            "leds_per_blade = 112",
            "leds_per_blade = 11.5",
            "leds_per_blade must be a positive integer, got 11.5",
        ),
        (
            "leds_per_blade = 112",
            "leds_per_blade = true",
            "leds_per_blade must be a positive integer, got true",
        ),
        ("leds_per_blade = 112\n", "", "missing key [geometry] leds_per_blade"),
        (
            "leds_per_blade = 112",
            "led_per_blade = 112",
            "unknown key [geometry] 'led_per_blade'; did you mean 'leds_per_blade'",
        ),
        ('direction = "cw"', 'direction = "up"', "[geometry] direction must be one of 'cw', 'ccw', got 'up'"),
        ("fps = 30.0", 'fps = "fast"', "fps must be a finite number, got 'fast'"),
        ("fps = 30.0", "fps = nan", "fps must be a finite number"),
        ("gamma = 2.2", "gamma = inf", "[colour] gamma must be a finite number"),
        ("bit_depth = 6", "bit_depth = 7", "bit_depth must be 6 or 8 for the 42f2 format"),
        (
            'trailer = "B2DDDDEDC0EEBDF9E5B7"',
            'trailer = "\\u00e9"',
            "[file] trailer must be printable ASCII text",
        ),
        ("[render]", "[rendr]", "unknown key 'rendr'; did you mean 'render'"),
        ("angle_deg = 180.0", 'angle_deg = "half"', "[geometry.blades 2] angle_deg must be a finite number"),
        ("radial_offset = 0.0\n\n[colour]", "radial_offset = 0.5\n\n[colour]", "blade_data = 'per_blade'"),
    ],
)
def test_profile_errors_name_the_key(old, new, expected):
    assert old in BASE
    assert expected in _error(BASE.replace(old, new, 1))


@pytest.mark.parametrize(
    "written, profile",
    [
        ("42-F2", "3dcircle-42f2"),
        ("42f2", "3dcircle-42f2"),
        ("Legacy 224", "legacy-224"),
        ("APA102", "diy-apa102"),
    ],
)
def test_a_model_name_where_a_profile_name_belongs_suggests_the_profile(written, profile):
    with pytest.raises(InputError, match=f"no device profile named '{written}'; did you mean {profile}\\?"):
        load_profile(written)


def test_a_profile_with_a_byte_order_mark_reads_as_without(tmp_path):
    text = 'base = "3dcircle-42f2"\r\nname = "mine"\r\n[geometry]\r\nslices = 256\r\n'
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    profile = load_profile(tmp_path / "bom.toml")
    assert profile.name == "mine" and profile.slices == 256


def test_unreadable_profiles(tmp_path):
    with pytest.raises(InputError, match="no device profile named '42f2'"):
        load_profile("42f2")
    with pytest.raises(InputError, match="did you mean 3dcircle-42f2"):
        load_profile("3dcircle-42f")
    with pytest.raises(InputError, match="profile file not found"):
        load_profile(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"name = \xff\xfe")
    with pytest.raises(InputError, match="not UTF-8"):
        load_profile(bad)
    bad.write_text("name = [unclosed")
    with pytest.raises(InputError, match=r"bad\.toml: not valid TOML"):
        load_profile(bad)
    assert "missing key name" in _error('kind = "video"\nformat = "mp4"\nfps = 30\n')
    assert "missing table [geometry]" in _error(
        'name = "x"\nkind = "polar"\nformat = "polarstream"\nfps = 30\n[render]\nrender_size = 64\n'
    )


# Any TOML value, anywhere a profile has a key, gives InputError or a valid profile.
toml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def _toml_literal(value) -> str | None:
    """TOML inline text for ``value``; None where TOML has no spelling for it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    if isinstance(value, list):
        parts = [_toml_literal(v) for v in value]
        return None if None in parts else "[" + ", ".join(parts) + "]"
    parts = []
    for k, v in value.items():
        lit = _toml_literal(v)
        if lit is None:
            return None
        parts.append(f'"{k.encode("unicode_escape").decode("ascii")}" = {lit}')
    return "{" + ", ".join(parts) + "}"


_KEY_LINES = [line for line in BASE.splitlines() if "=" in line and not line.lstrip().startswith("#")]


@settings(max_examples=300, deadline=None)
@given(line_index=st.integers(0, len(_KEY_LINES) - 1), value=toml_values)
def test_any_garbage_value_is_an_input_error(line_index, value):
    literal = _toml_literal(value)
    if literal is None:
        return
    line = _KEY_LINES[line_index]
    key = line.split("=", 1)[0].strip()
    text = BASE.replace(line, f"{key} = {literal}", 1)
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        pass  # parse errors are checked as InputError below as well
    try:
        profile = parse_profile(text, "fuzz.toml")
    except InputError as e:
        assert str(e).startswith("fuzz.toml: ")
    else:
        assert profile.columns > 0 and profile.slices > 0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_an_input_error_or_a_profile(text):
    try:
        parse_profile(text, "fuzz.toml")
    except InputError:
        pass


def test_to_toml_resolves_the_base(tmp_path):
    path = tmp_path / "measured.toml"
    path.write_text(
        'base = "diy-apa102"\nname = "mine"\n[geometry]\nslices = 200\n'
        '[lights]\nkey = {intensity = 2.5, direction = [0.0, -1.0, 0.5]}\n"odd key" = "é\\n"\n'
    )
    p = load_profile(path)
    text = p.to_toml()
    assert "base" not in tomllib.loads(text)
    q = parse_profile(text, "again.toml")
    assert q == p and q.layout == p.layout and q.lights == p.lights
    assert q.lights["odd key"] == "é\n" and q.slices == 200 and q.leds_per_blade == 36


light_values = st.recursive(
    st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=5), light_values, max_size=4))
def test_to_toml_round_trips_any_lights_table(lights):
    p = load_profile("3dcircle-42f2")
    raw = dict(p.raw, lights=lights)
    from holopack.device.profile import to_toml

    q = parse_profile(to_toml(raw), "lights.toml")
    assert q.lights == lights and q == p
