"""fleet.toml checks, what a push takes from a package, a wall folder or a plain folder."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from holopack.cli import main
from holopack.errors import InputError
from holopack.fans.content import plan_uploads
from holopack.fans.emulator import EmulatedFan
from holopack.fans.fleet import load_fleet
from tests._fans_helpers import F2_FRAME, make_device_folder


@pytest.fixture(autouse=True)
def _own_push_journal(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.mark.parametrize(
    "text, fault",
    [
        ('[[fans]]\nname = "a"\n', "fan 1 (a): needs address"),
        ('[[fans]]\naddress = "10.0.0.1"\n[[fans]]\naddress = "10.0.0.1"\n', "a second fan at 10.0.0.1"),
        (
            '[[fans]]\nname = "a"\naddress = "10.0.0.1"\n[[fans]]\nname = "a"\naddress = "10.0.0.2"\n',
            "fan 2 (a): a second fan named 'a'",
        ),
        ('[[fans]]\naddress = "10.0.0.1"\ncolour = "red"\n', "fan 1: unknown key colour"),
        ('[[fans]]\naddress = "10.0.0.1:99999"\n', "port must be 1-65535"),
        ("fans = 3\n", "no [[fans]]"),
        ("[[fans]\n", "not valid TOML"),
    ],
)
def test_fleet_faults_name_the_file_and_the_fan(tmp_path, text, fault):
    path = tmp_path / "fleet.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_fleet(str(path))
    assert str(info.value).startswith(str(path)) and fault in str(info.value)


def test_a_bare_ipv6_fan_address_asks_for_brackets_and_a_bracketed_one_reads(tmp_path):
    path = tmp_path / "fleet.toml"
    path.write_text('[[fans]]\nname = "a"\naddress = "fe80::1:5233"\n')
    with pytest.raises(InputError) as info:
        load_fleet(str(path))
    assert "fan 1 (a)" in str(info.value) and "[fe80::1:5233]:PORT" in str(info.value)
    path.write_text('[[fans]]\nname = "a"\naddress = "[fe80::1]:5233"\n')
    (fan,) = load_fleet(str(path))
    assert (fan.address.host, fan.address.port) == ("fe80::1", 5233)


def test_fleet_defaults_apply_to_fans_that_say_nothing(tmp_path):
    path = tmp_path / "fleet.toml"
    path.write_text(
        '[defaults]\ndevice = "legacy-224"\n\n[[fans]]\nname = "a"\naddress = "10.0.0.1"\n\n'
        '[[fans]]\naddress = "[fe80::1]:5233"\ndevice = "3dcircle-42f2"\n'
    )
    a, b = load_fleet(str(path))
    assert (a.name, a.device, str(a.address)) == ("a", "legacy-224", "10.0.0.1")
    assert (b.name, b.device, b.address.host, b.address.port) == (
        "[fe80::1]:5233",
        "3dcircle-42f2",
        "fe80::1",
        5233,
    )


def test_a_package_with_two_fan_devices_needs_to_be_told_which(tmp_path):
    root = tmp_path / "shop"
    make_device_folder(str(root))
    make_device_folder(
        str(root), device="legacy-224", names=("01_TWIN.bin",), frames=(1,), frame_bytes=114688
    )
    with pytest.raises(InputError, match="say which fan"):
        plan_uploads(str(root))
    plan = plan_uploads(str(root), device="legacy-224")
    assert [u.name for u in plan.uploads] == ["01_TWIN.bin"] and plan.device == "legacy-224"


def test_a_plain_folder_goes_up_in_byte_order_of_names(tmp_path):
    for name in ("10_C.BIN", "02_B.BIN", "01_A.BIN"):
        (tmp_path / name).write_bytes(b"x" * F2_FRAME)
    plan = plan_uploads(str(tmp_path), device="3dcircle-42f2")
    assert [u.name for u in plan.uploads] == ["01_A.BIN", "02_B.BIN", "10_C.BIN"]


def test_a_wall_folder_gives_each_fleet_fan_its_own_file(tmp_path, capsys):
    wall = tmp_path / "wall"
    wall.mkdir()
    rng = random.Random(2)
    fans_json = []
    for name in ("r0c0", "r0c1"):
        data = rng.randbytes(2 * F2_FRAME)
        (wall / f"{name.upper()}.BIN").write_bytes(data)
        fans_json.append(
            {
                "name": name,
                "file": f"{name.upper()}.BIN",
                "device": "3dcircle-42f2",
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    (wall / "wall.json").write_text(json.dumps({"fans": fans_json, "fps": 30}))
    emulated = {n["name"]: EmulatedFan("3dcircle-42f2", str(tmp_path / n["name"])).start() for n in fans_json}
    try:
        (tmp_path / "fleet.toml").write_text(
            "".join(
                f'[[fans]]\nname = "fan-{n}"\naddress = "{f.address}"\nwall_fan = "{n}"\n\n'
                for n, f in emulated.items()
            )
        )
        assert main(["push", str(wall), "--fleet", str(tmp_path / "fleet.toml"), "-q"]) == 0
    finally:
        for f in emulated.values():
            f.stop()
    for name in ("r0c0", "r0c1"):
        assert sorted((tmp_path / name).iterdir()) == [tmp_path / name / f"{name.upper()}.BIN"]
        assert (tmp_path / name / f"{name.upper()}.BIN").read_bytes() == (
            wall / f"{name.upper()}.BIN"
        ).read_bytes()
    with pytest.raises(InputError, match="--wall-fan"):
        plan_uploads(str(wall))
    # a fleet push writes a JSON report per fan by default, beside the fleet file
    reports = sorted(p.name for p in (tmp_path / "fleet-report").iterdir())
    assert reports == ["fan-r0c0.json", "fan-r0c1.json"]
    assert (
        json.loads((tmp_path / "fleet-report" / "fan-r0c1.json").read_text())["files"][0]["name"]
        == "R0C1.BIN"
    )


def test_a_package_made_by_holopack_pack_goes_onto_three_fans_intact(tmp_path, tmp_path_factory, capsys):
    from _pack_helpers import built_package  # the suite's shared package (42-F2 and hypervsn)

    _, package, _ = built_package(tmp_path_factory)
    with open(package / "3dcircle-42f2" / "manifest.json") as f:
        manifest = json.load(f)
    want = {item["file"].split("/")[-1]: item["sha256"] for item in manifest["items"]}
    fans = [EmulatedFan("3dcircle-42f2", str(tmp_path / f"fan{i}")).start() for i in range(3)]
    try:
        (tmp_path / "fleet.toml").write_text("".join(f'[[fans]]\naddress = "{f.address}"\n\n' for f in fans))
        rc = main(["push", str(package), "--fleet", str(tmp_path / "fleet.toml"), "-q"])
    finally:
        for f in fans:
            f.stop()
    assert rc == 0, capsys.readouterr().err
    for f in fans:
        got = {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((tmp_path / f.store).iterdir())
        }
        assert got == want
        assert [e["name"] for e in f.events if e["kind"] == "upload"] == sorted(want)  # play order


def test_a_package_missing_an_item_pack_could_not_make_is_not_pushed(tmp_path, capsys):
    import shutil

    from _pack_helpers import DUCK

    from holopack.pack import pack

    shutil.copy(DUCK, tmp_path / "duck.glb")
    (tmp_path / "broken.glb").write_bytes(b"glTF" + b"\x02\x00\x00\x00" + b"\x10\x00\x00\x00" + b"\x00" * 4)
    (tmp_path / "p.toml").write_text(
        'devices = ["3dcircle-42f2"]\n[defaults]\nseconds = 0.1\nsize = 32\n'
        '[[items]]\ninput = "duck.glb"\n[[items]]\ninput = "broken.glb"\n'
    )
    with pytest.raises(InputError):
        pack(tmp_path / "p.toml", tmp_path / "out", jobs=1, progress=False, preview_frames=2, preview_size=32)
    assert (tmp_path / "out" / "3dcircle-42f2" / "files" / "01_DUCK.BIN").is_file()  # kept for the next run
    fan = EmulatedFan("3dcircle-42f2", str(tmp_path / "card")).start()
    try:
        rc = main(["push", str(tmp_path / "out"), "--fan", fan.address, "-q"])
    finally:
        fan.stop()
    err = capsys.readouterr().err
    assert rc == 2 and "incomplete" in err and "item 2 (broken)" in err
    assert fan.events == []  # stopped before any connection


def test_a_manifest_with_a_null_profile_text_uses_the_shipped_profile(tmp_path):
    folder = make_device_folder(str(tmp_path / "shop"))
    manifest = json.loads(open(f"{folder}/manifest.json").read())
    manifest["profile_toml"] = None  # what `holopack pack` writes for a shipped profile
    open(f"{folder}/manifest.json", "w").write(json.dumps(manifest))
    assert plan_uploads(folder).device == "3dcircle-42f2"


def test_a_package_zip_is_refused_saying_to_push_its_folder(tmp_path):
    import zipfile

    root = tmp_path / "shop"
    make_device_folder(str(root))
    with zipfile.ZipFile(tmp_path / "shop.zip", "w") as z:
        for path in root.rglob("*"):
            z.write(path, path.relative_to(root))
    # it was read as one fan file: "cannot tell which fan this file is for"
    with pytest.raises(InputError, match="unzip it and push the folder"):
        plan_uploads(str(tmp_path / "shop.zip"))
    with pytest.raises(InputError, match="unzip it and push the folder"):
        plan_uploads(str(tmp_path / "shop.zip"), device="3dcircle-42f2")
    assert [u.name for u in plan_uploads(str(root)).uploads]  # the folder itself goes up
