"""Peers and mistakes found by the push sweep (benchmarks/push_sweep.py): a web server or an
SSH service where a fan should be, a fan that never answers the connection, a legacy fan's
missing upload port, a slow link whose bytes sit in this machine's send queue, two fleet
entries for one fan, a report folder that cannot be written, Ctrl-C mid-upload."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from holopack.cli import main
from holopack.errors import InputError
from holopack.fans.emulator import EmulatedFan, Faults
from holopack.fans.fleet import load_fleet, push_fleet
from holopack.fans.protocol_42f2 import Client42F2
from tests._fans_helpers import make_device_folder, manifest_sums, store_sums

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _own_push_journal(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def folder(tmp_path):
    return make_device_folder(str(tmp_path / "shop"), frames=(2, 1, 1))


class _Service:
    """A loopback server that answers every connection like another kind of service."""

    def __init__(self, greeting: bytes, speaks_first: bool):
        self.greeting, self.speaks_first = greeting, speaks_first
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(2)
                try:
                    if not self.speaks_first:
                        conn.recv(4096)
                    conn.sendall(self.greeting)
                    if self.speaks_first:
                        while conn.recv(4096):
                            pass
                except OSError:
                    pass

    def close(self):
        self.sock.close()


HTTP = (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", False)
SSH = (b"SSH-2.0-OpenSSH_9.6p1\r\n", True)


@pytest.mark.parametrize("service, word", [(HTTP, "HTTP"), (SSH, "SSH")])
def test_a_push_to_another_kind_of_service_says_it_is_not_a_fan_and_does_not_retry(
    folder, service, word, capsys
):
    peer = _Service(*service)
    try:
        rc = main(["push", folder, "--fan", peer.address, "--timeout", "2", "--backoff", "0", "-q"])
    finally:
        peer.close()
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert rc == 1
    assert last.startswith(f"holopack: error: {peer.address}: ") and word in last and "not a fan" in last
    assert peer.connections == 1  # another try cannot turn a web server into a fan


@pytest.mark.parametrize("device", ["3dcircle-42f2", "legacy-224"])
def test_fan_status_names_the_address_and_a_service_that_is_not_a_fan(device, capsys):
    peer = _Service(*SSH)
    try:
        rc = main(["fan", peer.address, "status", "--device", device, "--timeout", "2"])
    finally:
        peer.close()
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith(f"holopack: error: {peer.address}: ") and "SSH" in err and "not a fan" in err
    assert "--device" not in err  # no other kind of fan would answer either


def test_fan_faults_name_the_fan_they_came_from(capsys):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    assert main(["fan", f"127.0.0.1:{port}", "status", "--timeout", "1"]) == 1
    assert capsys.readouterr().err.startswith(f"holopack: error: 127.0.0.1:{port}: nothing listens")


def test_a_fan_that_never_answers_the_connection_is_told_apart_from_one_that_went_quiet(folder, capsys):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # never accepts; the fillers take its backlog, later connections get no answer
    port = listener.getsockname()[1]
    fillers = [socket.socket() for _ in range(4)]
    for f in fillers:
        f.setblocking(False)
        f.connect_ex(("127.0.0.1", port))
    time.sleep(0.1)
    try:
        t = time.perf_counter()
        rc = main(["push", folder, "--fan", f"127.0.0.1:{port}", "--timeout", "0.5", "--retries", "0", "-q"])
        seconds = time.perf_counter() - t
    finally:
        for f in fillers:
            f.close()
        listener.close()
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert rc == 1 and seconds < 5
    assert f"no answer from 127.0.0.1:{port} while connecting (timed out)" in last


def test_a_legacy_fan_without_its_upload_port_names_that_port_and_the_option(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / "01_A.bin").write_bytes(b"a" * 3000)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()[1]
    s.close()
    with EmulatedFan("legacy-224", str(tmp_path / "card")) as fan:
        rc = main(
            ["push", str(src), "--fan", fan.address, "--device", "legacy-224", "--upload-port", str(closed)]
            + ["--pace", "0", "--retries", "0", "-q"]
        )
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert rc == 1
    assert f"127.0.0.1:{closed}, the fan's upload port" in last and "--upload-port" in last


def test_the_end_of_an_upload_waits_while_a_slow_fan_still_takes_the_file(tmp_path):
    # 600 KB at 100 KB/s: six seconds of link, most of it queued on this side when the last
    # send returns; a close wait of 1 s counted from END gave up while the fan still read
    data = os.urandom(600_000)
    path = tmp_path / "01_SLOW.BIN"
    path.write_bytes(data)
    with EmulatedFan("3dcircle-42f2", str(tmp_path / "card"), faults=Faults(slow_kbps=100)) as fan:
        client = Client42F2("127.0.0.1", fan.port, timeout=5, close_wait=1.0)
        told: list[tuple[float, int]] = []
        t0 = time.monotonic()
        client.upload(str(path), "01_SLOW.BIN", on_bytes=lambda n: told.append((time.monotonic() - t0, n)))
        # the upload returns once the fan has closed its side: the file is on the card now
        assert store_sums(fan.store) == {"01_SLOW.BIN": hashlib.sha256(data).hexdigest()}
    # progress counts what the fan took, not what the send queue swallowed: the link
    # carries half the file in 3 s
    assert sum(n for _, n in told) == len(data)
    done, half_at = 0, None
    for t, n in told:
        done += n
        if done >= len(data) // 2:
            half_at = t
            break
    assert half_at is not None and half_at > 2.0


@pytest.mark.parametrize("second", ["127.0.0.1", "LOCALHOST:20320"])
def test_fleet_entries_that_reach_one_fan_are_refused_before_any_traffic(tmp_path, folder, second):
    first = "127.0.0.1:20320" if second == "127.0.0.1" else "localhost"
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        '[defaults]\ndevice = "3dcircle-42f2"\n'
        f'[[fans]]\nname = "door"\naddress = "{first}"\n[[fans]]\nname = "window"\naddress = "{second}"\n'
    )
    with pytest.raises(InputError, match="fans door and window are the same fan"):
        push_fleet(load_fleet(str(fleet)), folder, timeout=0.5, retries=0, progress=False)


@pytest.mark.parametrize("fleet", [False, True])
def test_a_report_folder_that_cannot_be_written_is_refused_before_any_traffic(
    tmp_path, folder, fleet, capsys
):
    (tmp_path / "taken").write_text("a file where the folder would go\n")
    reports = tmp_path / "taken" / "reports"
    with EmulatedFan("3dcircle-42f2", str(tmp_path / "card")) as fan:
        if fleet:
            (tmp_path / "fleet.toml").write_text(f'[[fans]]\naddress = "{fan.address}"\n')
            target = ["--fleet", str(tmp_path / "fleet.toml")]
        else:
            target = ["--fan", fan.address]
        rc = main(["push", folder, *target, "--report", str(reports), "--device", "3dcircle-42f2", "-q"])
    err = capsys.readouterr().err
    assert rc == 1 and "cannot write reports" in err and "nothing was sent" in err
    assert fan.events == []


def _holopack(tmp_path, *args) -> subprocess.Popen:
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"), PYTHONPATH=ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "holopack", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _interrupt_after(proc: subprocess.Popen, seconds: float) -> tuple[int, str, float]:
    time.sleep(seconds)
    t = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err, time.perf_counter() - t


def _pending(tmp_path) -> dict:
    journal = json.loads((tmp_path / "state" / "holopack" / "push-journal.json").read_text())
    return {fan: entry["pending"] for fan, entry in journal.items() if entry.get("pending")}


def test_ctrl_c_mid_upload_says_which_file_was_cut_off_and_the_next_push_sends_it(tmp_path, folder):
    with EmulatedFan("3dcircle-42f2", str(tmp_path / "card"), faults=Faults(slow_kbps=60)) as fan:
        proc = _holopack(tmp_path, "push", folder, "--fan", fan.address, "-q")
        rc, err, _ = _interrupt_after(proc, 2.0)
        assert rc == 130
        assert err.strip().splitlines() == [
            f"holopack: interrupted; {fan.address}: 01_TWIN.BIN was cut off; the next push sends "
            "it again and skips what the fan holds"
        ]
        assert list(_pending(tmp_path).values()) == [{"01_TWIN.BIN": manifest_sums(folder)["01_TWIN.BIN"]}]
        fan.faults.slow_kbps = None
        assert main(["push", folder, "--fan", fan.address, "-q"]) == 0
    assert store_sums(fan.store) == manifest_sums(folder)


def test_ctrl_c_on_a_fleet_stops_every_fan_at_once_and_the_next_push_completes(tmp_path, folder):
    fans = [
        EmulatedFan("3dcircle-42f2", str(tmp_path / f"card{k}"), faults=Faults(slow_kbps=60)).start()
        for k in range(3)
    ]
    try:
        (tmp_path / "fleet.toml").write_text(
            '[defaults]\ndevice = "3dcircle-42f2"\n'
            + "".join(f'[[fans]]\nname = "f{k}"\naddress = "{f.address}"\n' for k, f in enumerate(fans))
        )
        proc = _holopack(tmp_path, "push", folder, "--fleet", tmp_path / "fleet.toml", "-q")
        rc, err, seconds = _interrupt_after(proc, 2.0)
        # each fan had about ten more seconds of link to go; nothing waits for them
        assert rc == 130 and seconds < 3, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            "holopack: interrupted; the push stopped; unfinished: f0 (01_TWIN.BIN)"
        )
        assert len(_pending(tmp_path)) == 3  # each fan's cut-off upload is in the journal
        for f in fans:
            f.faults.slow_kbps = None
        assert main(["push", folder, "--fleet", str(tmp_path / "fleet.toml"), "-q"]) == 0
    finally:
        for f in fans:
            f.stop()
    for k in range(3):
        assert store_sums(str(tmp_path / f"card{k}")) == manifest_sums(folder)


@pytest.mark.parametrize(
    "typed", ["192.168.4.1:20320:1", "192.168.4.1:", ":20320", "http://192.168.4.1/", "192.168.4.1:70000"]
)
def test_a_mistyped_fan_address_is_refused_as_typed_before_any_traffic(folder, typed, capsys):
    assert main(["push", folder, "--fan", typed, "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"holopack: error: fan address {typed!r}") and len(err.splitlines()) == 1
    assert "IPv6" not in err  # none of these is an IPv6 address missing its brackets
