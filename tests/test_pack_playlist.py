"""Playlist checks, fan naming rules and content hashes (no rendering)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from holopack.device import load_profile
from holopack.errors import InputError
from holopack.formats.names import name_rule, position_of
from holopack.pack.playlist import load_playlist
from holopack.scene.sources import content_key, profile_hash, source_files, source_hash

ROOT = Path(__file__).resolve().parent.parent
DUCK = ROOT / "tests" / "data" / "Duck" / "Duck.glb"
HELMET = ROOT / "tests" / "data" / "FlightHelmet" / "FlightHelmet.gltf"


@pytest.fixture()
def folder(tmp_path):
    shutil.copy(DUCK, tmp_path / "duck.glb")
    return tmp_path


def parse(folder, text):
    path = folder / "list.toml"
    path.write_text(text)
    return load_playlist(path)


def fails(folder, text, *fragments):
    with pytest.raises(InputError) as caught:
        parse(folder, text)
    message = str(caught.value)
    assert message.startswith(str(folder / "list.toml") + ": "), message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_a_playlist_resolves_inputs_and_defaults(folder):
    (folder / "sub").mkdir()
    playlist = parse(
        folder,
        """
devices = ["3dcircle-42f2", "hypervsn"]
[defaults]
seconds = 4
margin = 0.1
[[items]]
input = "duck.glb"
[[items]]
input = "./duck.glb"
name = "Duck again"
loops = 2
yaw = 30
lights = { rim = 1.5, key_direction = [0, 1, 1] }
""",
    )
    assert playlist.devices == ("3dcircle-42f2", "hypervsn")
    first, second = playlist.items
    assert first.input == str(folder / "duck.glb") and first.input_text == "duck.glb"
    assert first.name == "duck" and first.index == 1
    assert first.seconds == 4 and first.margin == 0.1 and first.loops is None
    # an item's own loops beats the default length
    assert second.loops == 2 and second.seconds is None and second.yaw == 30
    settings = second.export_settings("hypervsn")
    assert settings.loops == 2 and settings.framing.yaw == 30 and settings.framing.margin == 0.1
    assert settings.lights == {"rim": 1.5, "key_direction": [0, 1, 1]}
    assert settings.device == "hypervsn"
    assert json.dumps(second.settings_dict())  # JSON-safe for the manifest


def test_a_playlist_beside_its_inputs_is_found_from_anywhere(folder, monkeypatch, tmp_path_factory):
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    playlist = parse(folder, 'devices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\n')
    assert Path(playlist.items[0].input) == folder / "duck.glb"


@pytest.mark.parametrize(
    "text, fragments",
    [
        ('[[items]]\ninput = "duck.glb"\n', ["missing devices"]),
        ('devices = []\n[[items]]\ninput = "duck.glb"\n', ["devices is empty"]),
        ('devices = [3]\n[[items]]\ninput = "duck.glb"\n', ["devices must be an array"]),
        ('devices = ["hypervsn"]\nitems = []\n', ["items is empty"]),
        (
            'devices = ["3dcircle-42"]\n[[items]]\ninput = "duck.glb"\n',
            ["devices:", "did you mean 3dcircle-42f2"],
        ),
        ('devices = ["hypervsn"]\n', ["no [[items]]"]),
        ('devices = ["hypervsn"]\n[[items]]\nname = "x"\n', ["item 1 (x)", "missing input"]),
        (
            'devices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\n[[items]]\ninput = "gone.glb"\n',
            ["item 2 (gone)", "input file not found: gone.glb"],
        ),
        (
            'devices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\nseconds = -1\n',
            ["item 1 (duck)", "seconds must be greater than 0"],
        ),
        (
            'devices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\nsecond = 3\n',
            ["item 1 (duck)", "unknown key 'second'", "seconds"],
        ),
        (
            'devices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\nseconds = 2\nloops = 2\n',
            ["seconds or loops, not both"],
        ),
        (
            'devices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\nturntable = true\n',
            ["turntable takes degrees per second"],
        ),
        ('devices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\nlights = 3\n', ["lights must be a table"]),
        (
            'devices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\nlights = { glow = 2 }\n',
            ["lights has an unknown setting 'glow'", "rim"],
        ),
        (
            'devices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\nsize = 4\n',
            ["size must be a whole number of pixels"],
        ),
        (
            'devices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\n[[items]]\ninput = "duck.glb"\n',
            ["item 2 (duck)", "already used by item 1"],
        ),
        (
            'devices = ["hypervsn"]\n[defaults]\ninput = "duck.glb"\n[[items]]\ninput = "duck.glb"\n',
            ["[defaults]", "unknown key 'input'"],
        ),
        ('devices = ["hypervsn"]\n[[items]]\ninput = "list.toml"\n', ["cannot read 'list.toml'"]),
        ('devices = ["hypervsn"\n', ["not valid TOML"]),
        ('devices = ["hypervsn"]\nitem = 1\n', ["unknown key 'item'", "items"]),
    ],
)
def test_faults_name_the_playlist_and_the_item(folder, text, fragments):
    fails(folder, text, *fragments)


def test_devices_written_below_an_item_is_named_as_misplaced(folder):
    # added at the end of the file, devices lands in the last item (TOML's table rule)
    text = (
        '[[items]]\ninput = "duck.glb"\n[[items]]\ninput = "duck.glb"\nname = "b"\ndevices = ["hypervsn"]\n'
    )
    message = fails(folder, text, "item 2:", "devices is a key of the whole playlist", "top of the file")
    assert "missing devices" not in message
    fails(
        folder,
        '[defaults]\nseconds = 2\ndevices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\n',
        "[defaults]: devices",
    )


def test_an_item_key_at_the_top_level_points_to_defaults(folder):
    message = fails(folder, 'devices = ["hypervsn"]\nseconds = 5\n[[items]]\ninput = "duck.glb"\n', "seconds")
    assert "[defaults]" in message and "did you mean" not in message


def test_a_windows_path_that_is_not_found_says_to_write_slashes(folder):
    (folder / "media").mkdir()
    shutil.copy(DUCK, folder / "media" / "duck.glb")
    message = fails(folder, 'devices = ["hypervsn"]\n[[items]]\ninput = "media\\\\duck.glb"\n', "not found")
    assert "write folders with /" in message
    assert (
        parse(folder, 'devices = ["hypervsn"]\n[[items]]\ninput = "media/duck.glb"\n').items[0].name == "duck"
    )


def test_missing_or_unreadable_playlists(tmp_path):
    with pytest.raises(InputError, match="playlist file not found"):
        load_playlist(tmp_path / "none.toml")
    (tmp_path / "bad.toml").write_bytes(b"devices = ['\xff']")
    with pytest.raises(InputError, match="not UTF-8"):
        load_playlist(tmp_path / "bad.toml")


def test_a_profile_file_beside_the_playlist_can_be_a_device(folder):
    (folder / "mine.toml").write_text('base = "3dcircle-42f2"\nname = "my-fan"\n[geometry]\nslices = 256\n')
    playlist = parse(folder, 'devices = ["mine.toml"]\n[[items]]\ninput = "duck.glb"\n')
    assert load_profile(playlist.devices[0]).name == "my-fan"


# -- naming ---------------------------------------------------------------------------
def test_42f2_names_are_short_upper_case_and_sort_in_play_order():
    rule = name_rule(load_profile("3dcircle-42f2"))
    assert rule.file_name(1, 3, "twin") == "01_TWIN.BIN"
    assert rule.file_name(2, 3, "Duck turntable!") == "02_DUCK.BIN"
    assert rule.file_name(3, 3, "ünïcode") == "03_N_COD.BIN"
    for count in (9, 12, 150):
        names = [rule.file_name(i, count, f"clip {count - i}") for i in range(1, count + 1)]
        assert sorted(names) == names  # byte order is play order
        assert [position_of(n) for n in names] == list(range(1, count + 1))
        for name in names:
            stem, suffix = name.rsplit(".", 1)
            assert suffix == "BIN" and len(stem) <= 8 and stem.upper() == stem
            assert rule.problems(name) == []


def test_mp4_names_are_lower_case_and_keep_the_title():
    rule = name_rule(load_profile("hypervsn"))
    assert rule.file_name(1, 3, "Twin") == "01_twin.mp4"
    assert rule.file_name(12, 12, "Shop window / spring") == "12_shop_window_spring.mp4"


def test_name_problems_say_what_is_wrong():
    rule = name_rule(load_profile("3dcircle-42f2"))
    assert any("needs exactly '.BIN'" in p for p in rule.problems("01_TWIN.bin"))
    assert any("longer than 8" in p for p in rule.problems("01_LONGNAME.BIN"))
    assert any("play position" in p for p in rule.problems("TWIN.BIN"))
    assert rule.problems("TWIN.BIN", need_position=False) == []
    assert any("does not end in '.BIN'" in p for p in rule.problems("01_TWIN.MP4"))


# -- hashes ---------------------------------------------------------------------------
def test_a_gltf_source_hash_covers_its_buffers_and_textures(tmp_path):
    files = source_files(str(HELMET))
    doc = json.loads(HELMET.read_text())
    referenced = {b["uri"] for b in doc.get("buffers", [])} | {i["uri"] for i in doc.get("images", [])}
    assert {Path(f).relative_to(HELMET.parent).as_posix() for f in files[1:]} == referenced
    assert files[0] == str(HELMET)

    copy = tmp_path / "helmet"
    shutil.copytree(HELMET.parent, copy)
    digest, entries = source_hash(str(copy / HELMET.name))
    assert digest == source_hash(str(HELMET))[0]  # moving the folder changes nothing
    assert entries[0]["sha256"] == hashlib.sha256(HELMET.read_bytes()).hexdigest()
    texture = copy / sorted(referenced)[-1]
    data = bytearray(texture.read_bytes())
    data[-1] ^= 1
    texture.write_bytes(bytes(data))
    assert source_hash(str(copy / HELMET.name))[0] != digest


def test_a_folder_of_numbered_pictures_is_an_item_hashed_frame_by_frame(folder):
    from PIL import Image

    frames = folder / "walk"
    frames.mkdir()
    for i in (2, 10, 1):  # natural order: frame1, frame2, frame10
        Image.new("RGB", (8, 8), (i, 0, 0)).save(frames / f"frame{i}.png")
    (frames / "notes.txt").write_text("not a frame")
    playlist = parse(folder, 'devices = ["3dcircle-42f2"]\n[[items]]\ninput = "walk"\nkey = "none"\n')
    item = playlist.items[0]
    assert item.input == str(frames) and item.name == "walk" and item.key == "none"

    digest, entries = source_hash(str(frames))
    assert [e["path"] for e in entries] == ["walk/frame1.png", "walk/frame2.png", "walk/frame10.png"]
    assert entries[2]["sha256"] == hashlib.sha256((frames / "frame10.png").read_bytes()).hexdigest()
    Image.new("RGB", (8, 8), (99, 0, 0)).save(frames / "frame2.png")
    assert source_hash(str(frames))[0] != digest  # a changed frame renders the item again
    (folder / "empty").mkdir()
    fails(
        folder,
        'devices = ["3dcircle-42f2"]\n[[items]]\ninput = "empty"\n',
        "item 1 (empty)",
        "folder without",
    )


def test_content_keys_change_with_every_input():
    profile = load_profile("3dcircle-42f2")
    base = content_key("a" * 64, {"seconds": 1.0}, profile_hash(profile), "0.1.0")
    assert base == content_key(
        "a" * 64, {"seconds": 1.0}, profile_hash(load_profile("3dcircle-42f2")), "0.1.0"
    )
    assert base != content_key("b" * 64, {"seconds": 1.0}, profile_hash(profile), "0.1.0")
    assert base != content_key("a" * 64, {"seconds": 2.0}, profile_hash(profile), "0.1.0")
    assert base != content_key("a" * 64, {"seconds": 1.0}, profile_hash(profile), "0.2.0")
    other = parse_profile_text('base = "3dcircle-42f2"\n[geometry]\nslice0_angle_deg = 1.0\n')
    assert profile_hash(other) != profile_hash(profile)


def parse_profile_text(text):
    from holopack.device import parse_profile

    return parse_profile(text, "<test>")
