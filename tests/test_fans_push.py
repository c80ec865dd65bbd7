"""`holopack push` against emulated fans on loopback: parallel fleets, dropped links, a full
card, resume, garbled acks, a slow link, reports. The emulator parses the wire with its own
code (holopack/fans/emulator.py), and the stored files are compared with the SHA-256 sums of
a package manifest written by hand (tests/_fans_helpers.py)."""

from __future__ import annotations

import json
import os
import random
import shutil

import pytest

from holopack.cli import main
from holopack.fans.emulator import EmulatedFan, Faults
from tests._fans_helpers import F2_FRAME, make_device_folder, manifest_sums, store_sums


@pytest.fixture(autouse=True)
def _own_push_journal(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def _fleet(path, fans, extra: str = "") -> str:
    lines = ["[defaults]", 'device = "3dcircle-42f2"', ""]
    for name, fan in fans.items():
        lines += ["[[fans]]", f'name = "{name}"', f'address = "{fan.address}"', extra, ""]
    path.write_text("\n".join(lines))
    return str(path)


@pytest.fixture
def package(tmp_path):
    root = tmp_path / "shop"
    folder = make_device_folder(str(root))
    return root, folder


def _uploads(fan):
    return [(e["name"], e["result"]) for e in fan.events if e["kind"] == "upload"]


def test_package_to_three_fans_in_parallel_stores_the_manifest_bytes(tmp_path, package, capsys):
    root, folder = package
    fans = {n: EmulatedFan("3dcircle-42f2", str(tmp_path / n)).start() for n in ("left", "middle", "right")}
    try:
        fleet = _fleet(tmp_path / "fleet.toml", fans)
        rc = main(["push", str(root), "--fleet", fleet, "--report", str(tmp_path / "reports"), "-q"])
    finally:
        for fan in fans.values():
            fan.stop()
    assert rc == 0, capsys.readouterr().err
    want = manifest_sums(folder)
    for name, fan in fans.items():
        assert store_sums(fan.store) == want
        assert fan.commands == []  # a push sends no command at all, destructive or not
        report = json.loads((tmp_path / "reports" / f"{name}.json").read_text())
        assert report["ok"] is True and report["fan"] == name and report["address"] == fan.address
        assert [(f["name"], f["action"], f["sha256"]) for f in report["files"]] == [
            (n, "uploaded", s) for n, s in want.items()
        ]
        assert report["listing"] == ["01_TWIN", "02_DUCK", "03_LOGO"]


def test_dropped_connection_mid_upload_is_retried_and_completes(tmp_path, package, capsys):
    root, folder = package
    with EmulatedFan("3dcircle-42f2", str(tmp_path / "card"), faults=Faults(drop_after=300_000)) as fan:
        rc = main(["push", folder, "--fan", fan.address, "--backoff", "0.01", "--json", "-q"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert store_sums(fan.store) == manifest_sums(folder)
    assert _uploads(fan)[:2] == [("01_TWIN.BIN", "dropped (fault)"), ("01_TWIN.BIN", "stored")]
    report = json.loads(out.out)[0]
    assert report["files"][0]["attempts"] == 2 and report["files"][1]["attempts"] == 1


def test_full_card_on_one_fan_gives_one_line_and_the_others_complete(tmp_path, package, capsys):
    root, folder = package
    first = os.path.getsize(os.path.join(folder, "files", "01_TWIN.BIN"))
    fans = {
        "left": EmulatedFan("3dcircle-42f2", str(tmp_path / "left")).start(),
        "full": EmulatedFan(
            "3dcircle-42f2", str(tmp_path / "full"), faults=Faults(disk_bytes=first + 1000)
        ).start(),
        "right": EmulatedFan("3dcircle-42f2", str(tmp_path / "right")).start(),
    }
    try:
        rc = main(
            [
                "push",
                str(root),
                "--fleet",
                _fleet(tmp_path / "fleet.toml", fans),
                "-q",
                "--report",
                str(tmp_path / "rep"),
            ]
        )
    finally:
        for fan in fans.values():
            fan.stop()
    err = capsys.readouterr().err
    assert rc == 1
    full_lines = [line for line in err.splitlines() if "card is probably full" in line]
    assert len(full_lines) == 1 and full_lines[0].startswith("full: ") and "02_DUCK.BIN" in full_lines[0]
    assert "Traceback" not in err
    want = manifest_sums(folder)
    assert store_sums(fans["left"].store) == want and store_sums(fans["right"].store) == want
    assert store_sums(fans["full"].store) == {"01_TWIN.BIN": want["01_TWIN.BIN"]}
    report = json.loads((tmp_path / "rep" / "full.json").read_text())
    assert report["ok"] is False
    assert [f["action"] for f in report["files"]] == ["uploaded", "failed", "not sent"]
    assert _uploads(fans["full"])[1] == ("02_DUCK.BIN", "discarded: card full")


def test_resume_skips_files_the_fan_already_lists(tmp_path, package, capsys):
    root, folder = package
    card = tmp_path / "card"
    card.mkdir()
    shutil.copy(os.path.join(folder, "files", "01_TWIN.BIN"), card / "01_TWIN.BIN")
    with EmulatedFan("3dcircle-42f2", str(card)) as fan:
        rc = main(["push", str(root), "--fan", fan.address, "--device", "3dcircle-42f2", "--json", "-q"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert [n for n, _ in _uploads(fan)] == ["02_DUCK.BIN", "03_LOGO.BIN"]
    assert [f["action"] for f in json.loads(out.out)[0]["files"]] == ["skipped", "uploaded", "uploaded"]
    assert store_sums(fan.store) == manifest_sums(folder)


def test_a_garbled_ack_is_retried(tmp_path, package, capsys):
    root, folder = package
    with EmulatedFan("3dcircle-42f2", str(tmp_path / "card"), faults=Faults(garble_acks=1)) as fan:
        rc = main(["push", folder, "--fan", fan.address, "--backoff", "0", "-q"])
    assert rc == 0, capsys.readouterr().err
    assert store_sums(fan.store) == manifest_sums(folder)
    assert [e["fault"] for e in fan.events if e["kind"] == "fault"] == ["garbled-ack"]


def test_acks_that_stay_garbled_end_in_one_line_naming_the_fault(tmp_path, package, capsys):
    root, folder = package
    with EmulatedFan("3dcircle-42f2", str(tmp_path / "card"), faults=Faults(garble_acks=99)) as fan:
        rc = main(["push", folder, "--fan", fan.address, "--backoff", "0", "--retries", "2", "-q"])
    err = capsys.readouterr().err
    assert rc == 1
    errors = [line for line in err.splitlines() if line.startswith("holopack: error:")]
    assert (
        len(errors) == 1
        and "garbled" in errors[0]
        and "01_TWIN.BIN" in errors[0]
        and "3 attempts" in errors[0]
    )
    assert store_sums(fan.store) == {}
    assert len([e for e in fan.events if e["kind"] == "fault"]) == 3


def test_a_slow_link_still_delivers_the_files(tmp_path, capsys):
    root = tmp_path / "shop"
    folder = make_device_folder(str(root), names=("01_A.BIN",), frames=(2,))
    with EmulatedFan("3dcircle-42f2", str(tmp_path / "card"), faults=Faults(slow_kbps=3000)) as fan:
        rc = main(["push", folder, "--fan", fan.address, "-q"])
    assert rc == 0, capsys.readouterr().err
    assert store_sums(fan.store) == manifest_sums(folder)


def test_a_single_file_gets_the_fans_name_rule(tmp_path, capsys):
    data = random.Random(9).randbytes(2 * F2_FRAME)
    (tmp_path / "my loop.bin").write_bytes(data)
    with EmulatedFan("3dcircle-42f2", str(tmp_path / "card")) as fan:
        rc = main(
            ["push", str(tmp_path / "my loop.bin"), "--fan", fan.address, "--device", "3dcircle-42f2", "-q"]
        )
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "MY_LOOP.BIN" in err
    assert (tmp_path / "card" / "MY_LOOP.BIN").read_bytes() == data


def test_files_already_on_the_fan_but_not_pushed_are_reported(tmp_path, package, capsys):
    root, folder = package
    card = tmp_path / "card"
    card.mkdir()
    (card / "00_OLD.BIN").write_bytes(b"old")
    with EmulatedFan("3dcircle-42f2", str(card)) as fan:
        rc = main(["push", folder, "--fan", fan.address, "--json", "-q"])
    out = capsys.readouterr()
    assert rc == 0
    assert json.loads(out.out)[0]["extra_on_fan"] == ["00_OLD"]
    assert "00_OLD" in out.err
    assert (card / "00_OLD.BIN").read_bytes() == b"old"  # never removed


def test_legacy_fan_push_keeps_the_padded_packets(tmp_path, capsys):
    rng = random.Random(4)
    files = {"01_RINGS.bin": rng.randbytes(4096 + 114688), "02_BAR.bin": rng.randbytes(5000)}
    src = tmp_path / "legacy"
    src.mkdir()
    for name, data in files.items():
        (src / name).write_bytes(data)
    with EmulatedFan("legacy-224", str(tmp_path / "card")) as fan:
        rc = main(
            [
                "push",
                str(src),
                "--fan",
                f"127.0.0.1:{fan.port}",
                "--upload-port",
                str(fan.upload_port),
                "--device",
                "legacy-224",
                "--pace",
                "0",
                "-q",
            ]
        )
    assert rc == 0, capsys.readouterr().err
    for name, data in files.items():
        stored = (tmp_path / "card" / name).read_bytes()
        assert stored[: len(data)] == data
        assert len(stored) % 1432 == 0 and set(stored[len(data) :]) <= {ord("0")}
        assert len(stored) - len(data) < 1432


def test_nothing_listening_is_one_line_and_exit_1(tmp_path, package, capsys):
    root, folder = package
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    rc = main(["push", folder, "--fan", f"127.0.0.1:{port}", "--retries", "1", "--backoff", "0", "-q"])
    err = capsys.readouterr().err
    assert rc == 1
    assert [line for line in err.splitlines() if "error" in line] == [
        f"holopack: error: 127.0.0.1:{port}: nothing listens at 127.0.0.1:{port} (connection refused)"
    ]


def test_a_package_file_that_no_longer_matches_its_manifest_is_refused_before_sending(
    tmp_path, package, capsys
):
    root, folder = package
    with open(os.path.join(folder, "files", "02_DUCK.BIN"), "r+b") as f:
        f.write(b"changed")
    with EmulatedFan("3dcircle-42f2", str(tmp_path / "card")) as fan:
        rc = main(["push", folder, "--fan", fan.address, "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "02_DUCK.BIN" in err and "SHA-256" in err
    assert fan.events == []  # not even a status request


def test_a_file_cut_off_in_an_earlier_run_is_sent_again_even_when_listed(tmp_path, package, capsys):
    root, folder = package
    card = tmp_path / "card"
    with EmulatedFan("3dcircle-42f2", str(card), faults=Faults(drop_after=200_000)) as fan:
        assert main(["push", folder, "--fan", fan.address, "--retries", "0", "-q"]) == 1
    # a real fan may keep the part it got, under the full name
    first = os.path.join(folder, "files", "01_TWIN.BIN")
    with open(first, "rb") as f:
        (card / "01_TWIN.BIN").write_bytes(f.read(200_000))
    with EmulatedFan("3dcircle-42f2", str(card), port=int(fan.address.rsplit(":", 1)[1])) as fan2:
        rc = main(["push", folder, "--fan", fan2.address, "--json", "-q"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    files = json.loads(out.out)[0]["files"]
    assert [f["action"] for f in files] == ["uploaded"] * 3
    assert "cut off" in files[0]["note"] and files[1]["note"] is None
    assert store_sums(str(card)) == manifest_sums(folder)


@pytest.mark.parametrize("faults", [Faults(drop_after=20_000), Faults(garble_acks=2)], ids=["drop", "garble"])
def test_legacy_fan_faults_are_retried(tmp_path, faults, capsys):
    data = random.Random(6).randbytes(60_000)  # 42 packets: notes after the name and every 16
    src = tmp_path / "src"
    src.mkdir()
    (src / "01_A.bin").write_bytes(data)
    with EmulatedFan("legacy-224", str(tmp_path / "card"), faults=faults) as fan:
        rc = main(
            [
                "push",
                str(src),
                "--fan",
                f"127.0.0.1:{fan.port}",
                "--upload-port",
                str(fan.upload_port),
                "--device",
                "legacy-224",
                "--pace",
                "0",
                "--backoff",
                "0",
                "--json",
                "-q",
            ]
        )
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert json.loads(out.out)[0]["files"][0]["attempts"] > 1
    stored = (tmp_path / "card" / "01_A.bin").read_bytes()
    assert stored[: len(data)] == data and len(stored) == -(-len(data) // 1432) * 1432


def test_a_package_remade_with_new_content_under_the_same_names_is_sent_again(tmp_path, capsys):
    root = tmp_path / "shop"
    folder = make_device_folder(str(root), seed=1)
    card = tmp_path / "card"
    with EmulatedFan("3dcircle-42f2", str(card)) as fan:
        assert main(["push", folder, "--fan", fan.address, "-q"]) == 0
        shutil.rmtree(root)
        folder = make_device_folder(str(root), seed=2)  # same names, new bytes
        rc = main(["push", folder, "--fan", fan.address.split(":")[0] + ":" + str(fan.port), "--json", "-q"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert [f["action"] for f in json.loads(out.out)[0]["files"]] == ["uploaded"] * 3
    assert store_sums(str(card)) == manifest_sums(folder)


def test_legacy_fan_is_not_sent_a_second_copy_of_a_name(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / "01_A.bin").write_bytes(b"a" * 3000)
    with EmulatedFan("legacy-224", str(tmp_path / "card")) as fan:
        argv = [
            "push",
            str(src),
            "--fan",
            f"127.0.0.1:{fan.port}",
            "--upload-port",
            str(fan.upload_port),
            "--device",
            "legacy-224",
            "--pace",
            "0",
            "-q",
        ]
        assert main(argv) == 0
        (src / "01_A.bin").write_bytes(b"b" * 3000)
        assert main(argv) == 1
    err = capsys.readouterr().err
    assert "would list it twice" in err and "delete 01_A.bin" in err
    assert [e["name"] for e in fan.events if e["kind"] == "upload"] == ["01_A.bin"]


class _FanWithUnknownStatus(EmulatedFan):
    """A fan whose status reply is in a layout no public source describes."""

    def _f2_status(self) -> bytes:
        return b"C0EEB7C9BAA3" + b"\x00\x63\x66" + b"????" + b"C0EEBDF9E5B7"


def test_a_fan_whose_listing_cannot_be_read_still_gets_its_files_with_a_warning(tmp_path, package, capsys):
    root, folder = package
    with _FanWithUnknownStatus("3dcircle-42f2", str(tmp_path / "card")) as fan:
        rc = main(["push", folder, "--fan", fan.address, "--backoff", "0", "--json", "-q"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert store_sums(fan.store) == manifest_sums(folder)
    report = json.loads(out.out)[0]
    assert [f["action"] for f in report["files"]] == ["uploaded"] * 3
    assert len(report["warnings"]) == 1 and "not checked" in report["warnings"][0]
    assert "warning: the fan's listing could not be read" in out.err


def test_a_fleet_push_draws_one_progress_line_for_all_fans(tmp_path, package, capsys):
    root, folder = package
    fans = {n: EmulatedFan("3dcircle-42f2", str(tmp_path / n)).start() for n in ("a", "b")}
    try:
        rc = main(["push", str(root), "--fleet", _fleet(tmp_path / "fleet.toml", fans)])
    finally:
        for fan in fans.values():
            fan.stop()
    err = capsys.readouterr().err
    assert rc == 0, err
    bars = [line for line in err.splitlines() if line.startswith("push ")]
    assert bars and all(line.startswith("push 2 fans [") for line in bars)  # one line, both fans
    total = sum(os.path.getsize(os.path.join(folder, "files", n)) for n in manifest_sums(folder)) * 2
    assert f"{total / 1e6:.1f}/{total / 1e6:.1f} MB" in bars[-1] and " in 0:" in bars[-1]
    assert sum(".BIN: uploaded " in line for line in err.splitlines()) == 6  # a line per file and fan
