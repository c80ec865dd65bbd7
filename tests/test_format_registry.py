"""The format registry: every format declares what the rest of holopack asks of it."""

from __future__ import annotations

import pytest

from holopack.device import list_profiles, load_profile, parse_profile
from holopack.errors import InputError
from holopack.format_registry import KINDS, list_formats, profile_formats
from holopack.formats.names import check_output_name, name_rule


def test_every_format_declares_kind_writer_and_naming():
    formats = list_formats()
    assert {"mp4", "webm", "gif", "png", "42f2", "legacy224", "polarstream"} <= {f.name for f in formats}
    for fmt in formats:
        assert fmt.kind in KINDS and fmt.suffixes and callable(fmt.writer)
        assert fmt.naming.suffix in fmt.suffixes or fmt.naming.suffix.lower() in fmt.suffixes
        if fmt.kind == "polar":
            assert fmt.reader is not None and fmt.sniff is not None and fmt.file_table is not None


def test_every_shipped_profile_names_a_format_that_declares_its_file_table():
    names = {f.name for f in profile_formats()}
    for name in list_profiles():
        assert load_profile(name).format in names


def test_a_profile_is_held_to_its_formats_rules():
    text = load_profile("3dcircle-42f2").to_toml().replace("bit_depth = 6", "bit_depth = 5")
    with pytest.raises(InputError, match="bit_depth must be 6 or 8 for the 42f2 format"):
        parse_profile(text, "fan.toml")
    with pytest.raises(InputError, match=r"unknown key \[file\] 'crf'"):
        parse_profile(load_profile("3dcircle-42f2").to_toml() + "crf = 18\n", "fan.toml")


def test_naming_comes_from_the_format_with_the_profiles_overrides():
    assert name_rule(load_profile("3dcircle-42f2")).suffix == ".BIN"
    fan = load_profile("3dcircle-42f2")
    own = next(f for f in list_formats() if f.name == "42f2")
    check_output_name(fan, own, "out/01_LOOP.BIN")
    with pytest.raises(InputError, match="exactly '.BIN'.*nearest legal name: out/LOOP.BIN"):
        check_output_name(fan, own, "out/loop.bin")
    assert fan.layout["suffix"] == ".BIN"
