"""Fans and networks as installers meet them: `holopack push`, `push --fleet` and `holopack
fan` against broken, slow and foreign peers, and the typos and interruptions of the people
who run them.

Every peer listens on 127.0.0.1 (or ::1) on a port the system picks: the fan emulator
(holopack.fans.emulator, in this process, with its Faults), or a small server of this
script that behaves like a broken or foreign peer (one that never accepts, never reads,
stops reading, resets or closes mid-file, answers in HTTP or with an SSH banner), or a
forwarder in front of an emulator (a fan that reboots mid-upload, an IPv6 address, a link
whose pauses are measured). holopack runs as a command, with its journal in the case's
own folder (XDG_STATE_HOME), under a hard limit of 60 s (plus the link's own time where a
case throttles it on purpose); a case that runs past it is a hang and a FAIL.

For each case the row gives the exit status, the time, the last stderr line and what the
fan's card holds; a case fails on a traceback, an exit status other than the one expected,
a fault line that does not name the fan (its address) and the fault, a time past the
case's bound, or a card holding a file whose bytes are not the package's.

    python benchmarks/push_sweep.py [--out FOLDER] [--only NAME,...]
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, ROOT)  # this tree's holopack, not an installed one
from _fans_helpers import make_device_folder  # noqa: E402  (tests/ is not a package)
from sweeps import run_sweep  # noqa: E402  (benchmarks/ is not a package)

from holopack.fans.emulator import EmulatedFan, Faults  # noqa: E402

HOLOPACK = [sys.executable, "-m", "holopack"]
LIMIT = 60.0  # seconds: past this a case counts as a hang
FAST = ["--timeout", "2", "--retries", "1", "--backoff", "0.2", "-q"]
F2_HEAD, F2_TAIL = b"C0EEB7C9BAA3", b"C0EEBDF9E5B7"
F2_CHUNK = b"B2DDDDED"


# ---- running holopack ------------------------------------------------------------------------
def env_for(d: Path) -> dict:
    return dict(os.environ, PYTHONPATH=os.environ.get("PYTHONPATH", ROOT), XDG_STATE_HOME=str(d / "state"))


def hp(d: Path, *args, limit: float = LIMIT) -> tuple[int | None, str, str, float]:
    """(exit status or None for a hang, stdout, stderr, seconds)."""
    t = time.perf_counter()
    try:
        p = subprocess.run(
            HOLOPACK + [str(a) for a in args],
            capture_output=True,
            text=True,
            env=env_for(d),
            timeout=limit,
            cwd=d,  # `python -m` puts the working folder first on sys.path: not the checkout
        )
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return None, "", err, time.perf_counter() - t
    return p.returncode, p.stdout, p.stderr, time.perf_counter() - t


def interrupted(d: Path, args, after: float, limit: float = LIMIT) -> tuple[int | None, str, float]:
    """Run holopack, send SIGINT after ``after`` s: (exit status, stderr, seconds from the signal)."""
    p = subprocess.Popen(
        HOLOPACK + [str(a) for a in args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(d),
        cwd=d,
    )
    time.sleep(after)
    t = time.perf_counter()
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        return None, err, time.perf_counter() - t
    return p.returncode, err, time.perf_counter() - t


def package(d: Path, frames=(6, 4, 3), seed: int = 1) -> Path:
    """A package (one 42-F2 device folder) of three files of ``frames`` x 129,024 bytes."""
    make_device_folder(str(d / "pkg"), frames=frames, seed=seed)
    return d / "pkg"


def manifest_sums(pkg: Path, device: str = "3dcircle-42f2") -> dict:
    items = json.loads((pkg / device / "manifest.json").read_text())["items"]
    return {os.path.basename(i["file"]): i["sha256"] for i in items}


def card(store: Path) -> dict:
    """{name: sha256} of what the emulated fan keeps (its partial files start with '.')."""
    if not store.is_dir():
        return {}
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(store.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


def card_faults(store: Path, sums: dict, keep=()) -> list[str]:
    """Files on the card that are neither the package's bytes nor ones put there before."""
    return [
        f"{name} holds other bytes"
        for name, digest in card(store).items()
        if name not in keep and sums.get(name) != digest
    ]


def last_line(text: str) -> str:
    lines = [s for s in text.strip().splitlines() if s.strip()]
    return lines[-1][:170] if lines else ""


def verdict(
    rc, err, seconds, expect_rc, fragments=(), bound=LIMIT, card_bad=(), extra_bad=()
) -> tuple[bool, str]:
    bad = []
    if rc is None:
        bad.append(f"hung past {seconds:.0f} s")
    elif rc != expect_rc:
        bad.append(f"exit {rc}, expected {expect_rc}")
    if "Traceback" in err:
        bad.append("traceback")
    line = last_line(err)
    missing = [f for f in fragments if f.lower() not in line.lower()]
    if missing:
        bad.append(f"last line lacks {missing}")
    if rc is not None and seconds > bound:
        bad.append(f"{seconds:.1f} s > {bound:g} s")
    bad += list(card_bad) + list(extra_bad)
    head = "ok" if not bad else "FAIL " + "; ".join(bad)
    return not bad, f"{head} | exit {rc} | {seconds:.1f} s | {line}"


# ---- peers -----------------------------------------------------------------------------------
class Peer:
    """A TCP server on loopback that runs ``handler(conn)`` per connection in a thread."""

    def __init__(self, handler, host: str = "127.0.0.1", backlog: int = 8, accept: bool = True):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.host = host
        self.handler = handler
        self.stop = threading.Event()
        self.conns: list[socket.socket] = []
        self.received = 0
        if accept:
            threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        try:
            self.handler(self, conn)
        except OSError:
            pass
        finally:
            conn.close()

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def close(self):
        self.stop.set()
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def _recv_until(conn, end: bytes, limit: int = 4096) -> bytes:
    buf = b""
    while not buf.endswith(end) and len(buf) < limit:
        part = conn.recv(1)
        if not part:
            break
        buf += part
    return buf


def empty_f2_status() -> bytes:
    payload = b"i" + bytes(16)
    n = len(payload)
    return F2_HEAD + bytes([n // 323, 0x63 + (n // 17) % 19, 0x62 + n % 17]) + payload + F2_TAIL


def f2_ack() -> bytes:
    payload = bytes([0x0B]) + b"\x01\x02\x03\x04"
    n = len(payload)
    return F2_CHUNK + bytes([n // 15, 0x6A + (n // 3) % 5, 0x63 + n % 3]) + payload + F2_TAIL


def broken_f2(after_ack: str, keep_bytes: int = 0):
    """A 42-F2 that answers its status (an empty card) and acks an upload, then, with the
    file: 'stall' (never reads), 'read-stall' (reads ``keep_bytes``, then never again),
    'close' (reads ``keep_bytes``, then closes cleanly), 'reset' (... then a RST)."""

    def handler(peer, conn):
        first = conn.recv(12, socket.MSG_WAITALL)
        if first == F2_HEAD:
            conn.recv(12, socket.MSG_WAITALL)
            conn.sendall(empty_f2_status())
            while conn.recv(4096):
                pass
            return
        conn.recv(8, socket.MSG_WAITALL)  # the rest of BEGIN
        _recv_until(conn, F2_TAIL)  # the name chunk
        conn.sendall(f2_ack())
        got = 0
        while got < keep_bytes:
            part = conn.recv(min(65536, keep_bytes - got))
            if not part:
                return
            got += len(part)
        peer.received += got
        if after_ack == "close":
            return
        if after_ack == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        peer.stop.wait(LIMIT)  # stall: hold it open, read nothing more

    return handler


def http_peer(peer, conn):
    conn.settimeout(2)
    try:
        conn.recv(4096)
    except OSError:
        pass
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def ssh_peer(peer, conn):
    conn.sendall(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n")
    conn.settimeout(10)
    while conn.recv(4096):
        pass


class Forwarder:
    """A port in front of ``target`` (an emulator): forwards both ways. ``reboot_after``:
    after that many bytes from the client on one connection, reset every connection, stop
    listening for ``down_s`` seconds and come back on the same port (a fan that reboots).
    ``gaps``: the longest pause between two arrivals from the client, per connection."""

    def __init__(self, target_port: int, host="127.0.0.1", reboot_after=None, down_s=1.5, rcvbuf=None):
        self.target_port, self.host, self.rcvbuf = target_port, host, rcvbuf
        self.reboot_after, self.down_s = reboot_after, down_s
        self.family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = self._listen(0)
        self.port = self.sock.getsockname()[1]
        self.reboots = 0
        self.max_gap = 0.0
        self.stop = threading.Event()
        self.live: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _listen(self, port):
        s = socket.socket(self.family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.rcvbuf:  # a fan-sized window, as the emulator's slow link keeps
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        s.bind((self.host, port))
        s.listen(8)
        return s

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def _serve(self):
        while not self.stop.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                if self.stop.is_set():
                    return
                time.sleep(0.05)
                continue
            upstream = socket.socket()
            if self.rcvbuf:  # and no megabytes queued on the way to the fan either
                upstream.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.rcvbuf)
            upstream.connect(("127.0.0.1", self.target_port))
            cut = threading.Event()
            self.live.append((client, upstream, cut))
            threading.Thread(target=self._pipe, args=(client, upstream, True, cut), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False, cut), daemon=True).start()

    def _pipe(self, src, dst, from_client, cut):
        total, last = 0, None
        try:
            while not cut.is_set():
                ready, _, _ = select.select([src], [], [], 0.05)
                if not ready:
                    continue
                data = src.recv(65536)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                now = time.monotonic()
                if from_client and last is not None:
                    self.max_gap = max(self.max_gap, now - last)
                last = now
                total += len(data)
                dst.sendall(data)
                if from_client and self.reboot_after and total >= self.reboot_after and not self.reboots:
                    self.reboots += 1
                    threading.Thread(target=self._reboot, daemon=True).start()
                    return
        except OSError:
            pass

    def _reboot(self):
        """Reset both sides of every connection, stop listening, come back on the port."""
        for *_, cut in self.live:
            cut.set()
        time.sleep(0.2)  # the pipes see it and stop reading
        for client, upstream, _ in self.live:
            for s in (client, upstream):
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    s.close()
                except OSError:
                    pass
        old = self.sock
        self.sock = socket.socket()  # accept() on this one fails at once while it is down
        try:
            old.shutdown(socket.SHUT_RDWR)  # wakes the accept() waiting on it
        except OSError:
            pass
        old.close()
        time.sleep(self.down_s)
        self.sock = self._listen(self.port)

    def close(self):
        self.stop.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fan(d: Path, device="3dcircle-42f2", **faults) -> EmulatedFan:
    return EmulatedFan(device, str(d / "card"), faults=Faults(**faults)).start()


# ---- cases: peers ----------------------------------------------------------------------------
def peer_case(make_peer, fragments, expect_rc=1, frames=(6, 4, 3), bound=15.0, command="push"):
    """push (or `fan ... status`) to a broken or foreign peer: one line naming it and the fault."""

    def run(d: Path) -> tuple[bool, str]:
        peer = make_peer()
        try:
            if command == "push":
                pkg = package(d, frames)
                rc, _, err, s = hp(d, "push", pkg, "--fan", peer.address, *FAST)
            else:
                rc, _, err, s = hp(d, "fan", peer.address, "status", "--timeout", "2")
        finally:
            peer.close()
        frags = [f.replace("{ADDR}", peer.address) for f in fragments]
        return verdict(rc, err, s, expect_rc, frags, bound)

    return run


class _Closed:
    def __init__(self):
        self.port = closed_port()
        self.address = f"127.0.0.1:{self.port}"

    def close(self):
        pass


class _Backlogged(Peer):
    """Listens and never accepts; its backlog filled, so new connections go unanswered."""

    def __init__(self):
        super().__init__(None, backlog=0, accept=False)
        self.fillers = []
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.port))
            self.fillers.append(s)
        time.sleep(0.2)

    def close(self):
        super().close()
        for s in self.fillers:
            s.close()


class _Unresolvable:
    address = "no-such-fan.invalid"

    def close(self):
        pass


def legacy_files(d: Path, sizes=(200_000, 5000)) -> tuple[Path, dict]:
    """A folder of legacy fan files and their SHA-256."""
    src = d / "src"
    src.mkdir()
    sums = {}
    for k, size in enumerate(sizes, start=1):
        data = os.urandom(size)
        (src / f"{k:02d}_CLIP.bin").write_bytes(data)
        sums[f"{k:02d}_CLIP.bin"] = hashlib.sha256(data).hexdigest()
    return src, sums


def legacy_upload_closed(d: Path):
    fan_ = fan(d, "legacy-224")
    port = closed_port()
    src, _ = legacy_files(d)
    try:
        rc, _, err, s = hp(
            d,
            "push",
            src,
            "--fan",
            fan_.address,
            "--device",
            "legacy-224",
            "--upload-port",
            port,
            "--pace",
            "0",
            *FAST,
        )
    finally:
        fan_.stop()
    return verdict(rc, err, s, 1, [fan_.address, f"{port}", "refused", "upload"], 15)


def full_card(d: Path):
    pkg = package(d)
    fan_ = fan(d, disk_bytes=900_000)
    try:
        rc, _, err, s = hp(d, "push", pkg, "--fan", fan_.address, *FAST)
    finally:
        fan_.stop()
    bad = card_faults(d / "card", manifest_sums(pkg))
    return verdict(rc, err, s, 1, [fan_.address, "full"], 15, bad)


def reset_every_time(d: Path):
    pkg = package(d)
    fan_ = fan(d, drop_after=200_000, drop_times=100)
    try:
        rc, _, err, s = hp(d, "push", pkg, "--fan", fan_.address, *FAST)
    finally:
        fan_.stop()
    bad = card_faults(d / "card", manifest_sums(pkg))
    return verdict(rc, err, s, 1, [fan_.address, "dropped"], 15, bad)


def reboot_mid_upload(d: Path):
    pkg = package(d)
    fan_ = fan(d)
    fwd = Forwarder(fan_.port, reboot_after=300_000, down_s=1.5)
    try:
        rc, _, err, s = hp(d, "push", pkg, "--fan", fwd.address, "--timeout", "2", "-q")
    finally:
        fwd.close()
        fan_.stop()
    sums = manifest_sums(pkg)
    bad = card_faults(d / "card", sums)
    if card(d / "card") != sums:
        bad.append(f"card holds {sorted(card(d / 'card'))}")
    if not fwd.reboots:
        bad.append("no reboot happened")
    return verdict(rc, err, s, 0, [], 20, bad)


def slow_link(device: str):
    """2 MB at 20 KB/s: progress lines on stderr while it runs (at least 5), no pause on
    the link of more than half the legacy fan's 18 s rule, and the file kept whole."""
    rate_kbps, size = 20, 2_000_000

    def run(d: Path):
        if device == "legacy-224":
            pkg, sums = legacy_files(d, (size,))
        else:
            pkg = d / "pkg"
            make_device_folder(str(pkg), names=("01_SLOW.BIN",), frames=(1,), frame_bytes=size)
            sums = manifest_sums(pkg)
        fan_ = fan(d, device, slow_kbps=rate_kbps)
        # the legacy fan's uploads go to its second port: watch that one
        fwd = Forwarder(fan_.upload_port or fan_.port, rcvbuf=16384)
        if device == "legacy-224":
            target = [fan_.address, "--upload-port", fwd.port, "--device", device]
        else:
            target = [fwd.address]
        own = size / (rate_kbps * 1000)
        try:
            rc, _, err, s = hp(d, "push", pkg, "--fan", *target, limit=LIMIT + own)
        finally:
            fwd.close()
            fan_.stop()
        progress = [line for line in err.splitlines() if "MB/s" in line and "[" in line]
        extra = []
        if len(progress) < 5:
            extra.append(f"{len(progress)} progress lines")
        if fwd.max_gap > 9:  # half the legacy fan's 18 s rule
            extra.append(f"a pause of {fwd.max_gap:.1f} s on the link")
        got = card(d / "card")
        if device == "legacy-224":  # the legacy fan keeps the padded last packet: compare the start
            got = {k: hashlib.sha256((d / "card" / k).read_bytes()[:size]).hexdigest() for k in got}
        if got != sums:
            extra.append(f"card holds {sorted(card(d / 'card'))}")
        ok, row = verdict(rc, err, s, 0, [], LIMIT + own, extra_bad=extra)
        return ok, f"{row} | {len(progress)} progress lines, longest pause {fwd.max_gap:.2f} s"

    return run


def odd_names(d: Path):
    """The fan already lists clips with non-ASCII names, spaces and an 8.3 clash with ours."""
    pkg = package(d)
    store = d / "card"
    store.mkdir()
    before = {
        "Café Ünï.BIN": b"x" * 1000,
        "my loop.BIN": b"y" * 1000,
        "01_TWIN~1.BIN": b"z" * 10,
        "花.BIN": b"w",
    }
    for name, data in before.items():
        (store / name).write_bytes(data)
    fan_ = fan(d)
    try:
        rc, _, err, s = hp(d, "push", pkg, "--fan", fan_.address, *FAST)
        rc2, _, err2, _ = hp(d, "fan", fan_.address, "status")
    finally:
        fan_.stop()
    sums = manifest_sums(pkg)
    bad = card_faults(store, sums, keep=before)
    if any(n not in card(store) for n in sums):
        bad.append("a file of ours is missing")
    if rc2 != 0 or "Traceback" in err2:
        bad.append(f"fan status exit {rc2}: {last_line(err2)}")
    ok, row = verdict(rc, err, s, 0, [], 15, bad)
    also = [line for line in err.splitlines() if "also on the fan" in line]
    return ok, row + " | " + (also[0].strip()[:120] if also else "no 'also on the fan' line")


# ---- cases: the installer's side ---------------------------------------------------------------
def typo_case(address: str, fragments, command="push", absent=()):
    """A mistyped address: exit 2, one line quoting it, before any traffic; ``absent``:
    words the line must not hold (advice that does not apply)."""

    def run(d: Path):
        pkg = package(d, frames=(1, 1, 1))
        if command == "push":
            rc, _, err, s = hp(d, "push", pkg, "--fan", address, *FAST)
        else:
            rc, _, err, s = hp(d, "fan", address, "status", "--timeout", "2")
        wrong = [f"says {w!r}" for w in absent if w in last_line(err)]
        return verdict(rc, err, s, 2, fragments, 10, extra_bad=wrong)

    return run


def ipv6(d: Path):
    pkg = package(d)
    fan_ = fan(d)
    try:
        fwd = Forwarder(fan_.port, host="::1")
    except OSError as exc:
        fan_.stop()
        return True, f"skipped: no IPv6 loopback here ({exc})"
    try:
        rc, _, err, s = hp(d, "push", pkg, "--fan", fwd.address, *FAST)
        rc2, _, err2, s2 = hp(d, "push", pkg, "--fan", fwd.address, *FAST)
    finally:
        fwd.close()
        fan_.stop()
    bad = [] if card(d / "card") == manifest_sums(pkg) else ["card differs"]
    if "3 skipped" not in err2:
        bad.append(f"second push: {last_line(err2)}")
    return verdict(rc, err, s, 0, [], 15, bad)


def sigint_one(d: Path):
    """Ctrl-C mid-upload of a slow fan, then the push again: the cut file goes again."""
    pkg = package(d, frames=(6, 4, 3))
    fan_ = fan(d, slow_kbps=400)
    try:
        rc, err, s = interrupted(d, ["push", pkg, "--fan", fan_.address, "-q", "--timeout", "5"], after=2.5)
        journal = _journal(d)
        rc2, _, err2, s2 = hp(d, "push", pkg, "--fan", fan_.address, "-q", "--timeout", "5")
    finally:
        fan_.stop()
    bad = []
    lines = [x for x in err.splitlines() if x.strip()]
    if len(lines) != 1:
        bad.append(f"{len(lines)} stderr lines")
    if not any(e.get("pending") for e in journal.values()):
        bad.append(f"journal has no cut-off upload: {journal}")
    if rc2 != 0 or card(d / "card") != manifest_sums(pkg):
        bad.append(f"re-run exit {rc2}: {last_line(err2)}")
    ok, row = verdict(rc, err, s, 130, ["interrupted", "cut off"], 5, extra_bad=bad)
    return ok, row + f" | re-run exit {rc2} in {s2:.1f} s: {last_line(err2)[:80]}"


def _journal(d: Path) -> dict:
    path = d / "state" / "holopack" / "push-journal.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _fleet(d: Path, addresses, names=None, device_line='device = "3dcircle-42f2"\n') -> Path:
    text = "[defaults]\n" + device_line
    for k, a in enumerate(addresses):
        text += f'\n[[fans]]\nname = "{(names or {}).get(k, f"fan{k}")}"\naddress = "{a}"\n'
    (d / "fleet.toml").write_text(text)
    return d / "fleet.toml"


def sigint_fleet(d: Path):
    """Ctrl-C while four slow fans (17 s of link each) take a package: one line, exit 130,
    within seconds, not when the fans are done; the re-run completes every card."""
    pkg = package(d, frames=(6, 4, 3))
    fans = [
        EmulatedFan("3dcircle-42f2", str(d / f"card{k}"), faults=Faults(slow_kbps=100)).start()
        for k in range(4)
    ]
    fleet = _fleet(d, [f.address for f in fans])
    try:
        rc, err, s = interrupted(d, ["push", pkg, "--fleet", fleet, "-q", "--timeout", "5"], after=2.5)
        journal = _journal(d)
        for f in fans:
            f.faults.slow_kbps = None  # the re-run need not take the slow link's time again
        rc2, _, err2, s2 = hp(d, "push", pkg, "--fleet", fleet, "-q", "--timeout", "5", limit=90)
    finally:
        for f in fans:
            f.stop()
    bad = []
    lines = [x for x in err.splitlines() if x.strip()]
    if len(lines) != 1:
        bad.append(f"{len(lines)} stderr lines")
    sums = manifest_sums(pkg)
    if sum(bool(e.get("pending")) for e in journal.values()) != 4:
        bad.append(f"journal: {len(journal)} fans, not 4 cut-off uploads")
    if rc2 != 0 or any(card(d / f"card{k}") != sums for k in range(4)):
        bad.append(f"re-run exit {rc2}: {last_line(err2)}")
    ok, row = verdict(rc, err, s, 130, ["interrupted"], 5, extra_bad=bad)
    return ok, row + f" | re-run exit {rc2} in {s2:.1f} s"


def fleet_one_dead(d: Path):
    pkg = package(d)
    fans = [EmulatedFan("3dcircle-42f2", str(d / f"card{k}")).start() for k in range(3)]
    dead = f"127.0.0.1:{closed_port()}"
    fleet = _fleet(d, [fans[0].address, fans[1].address, dead, fans[2].address], names={2: "door"})
    try:
        rc, _, err, s = hp(d, "push", pkg, "--fleet", fleet, *FAST)
    finally:
        for f in fans:
            f.stop()
    sums = manifest_sums(pkg)
    bad = [f"card{k} incomplete" for k in range(3) if card(d / f"card{k}") != sums]
    if not any("door" in x and "refused" in x for x in err.splitlines()):
        bad.append("no line names the dead fan and its fault")
    return verdict(rc, err, s, 1, ["1 of 4", "door"], 15, extra_bad=bad)


def fleet_same_address(first: str, second: str):
    """Two entries that name one fan (spelt ``first`` and ``second``): refused before traffic."""

    def run(d: Path):
        pkg = package(d)
        fan_ = fan(d)
        fleet = _fleet(d, [first.format(PORT=fan_.port), second.format(PORT=fan_.port)])
        try:
            rc, _, err, s = hp(d, "push", pkg, "--fleet", fleet, *FAST)
        finally:
            fan_.stop()
        bad = [] if not fan_.events else [f"{len(fan_.events)} fan events"]
        return verdict(rc, err, s, 2, ["fan1", "fan0"], 10, extra_bad=bad)

    return run


def fleet_of_50(d: Path):
    pkg = package(d, frames=(2, 1, 1))
    fans = [EmulatedFan("3dcircle-42f2", str(d / f"card{k}")).start() for k in range(50)]
    fleet = _fleet(d, [f.address for f in fans])
    try:
        rc, _, err, s = hp(d, "push", pkg, "--fleet", fleet, "-q", "--timeout", "10", "--retries", "1")
    finally:
        for f in fans:
            f.stop()
    sums = manifest_sums(pkg)
    bad = [f"{sum(card(d / f'card{k}') != sums for k in range(50))} cards incomplete"]
    bad = [] if bad[0].startswith("0 ") else bad
    return verdict(rc, err, s, 0, [], 45, extra_bad=bad)


def report_unwritable(d: Path):
    """--report into a folder that cannot be made (under a file: refused even to root):
    said before any traffic."""
    pkg = package(d)
    fan_ = fan(d)
    (d / "ro").write_text("a file, not a folder\n")
    fleet = _fleet(d, [fan_.address])
    try:
        rc, _, err, s = hp(d, "push", pkg, "--fleet", fleet, "--report", d / "ro" / "reports", *FAST)
    finally:
        fan_.stop()
    bad = [] if not fan_.events else [f"{len(fan_.events)} fan events before the refusal"]
    return verdict(rc, err, s, 1, ["reports"], 10, extra_bad=bad)


def report_unwritable_single(d: Path):
    pkg = package(d)
    fan_ = fan(d)
    (d / "ro").write_text("a file, not a folder\n")
    try:
        rc, _, err, s = hp(d, "push", pkg, "--fan", fan_.address, "--report", d / "ro" / "reports", *FAST)
    finally:
        fan_.stop()
    bad = [] if not fan_.events else [f"{len(fan_.events)} fan events before the refusal"]
    return verdict(rc, err, s, 1, ["reports"], 10, extra_bad=bad)


def same_package_twice(d: Path):
    pkg = package(d, frames=(20, 10, 5))
    fan_ = fan(d)
    try:
        rc, _, err, s = hp(d, "push", pkg, "--fan", fan_.address, *FAST)
        uploads = sum(e["kind"] == "upload" for e in fan_.events)
        rc2, _, err2, s2 = hp(d, "push", pkg, "--fan", fan_.address, *FAST)
        again = sum(e["kind"] == "upload" for e in fan_.events) - uploads
    finally:
        fan_.stop()
    bad = [] if again == 0 else [f"{again} uploads on the second push"]
    if "3 skipped" not in err2:
        bad.append("second push does not say it skipped all")
    ok, row = verdict(rc2, err2, s2, 0, [], 10, extra_bad=bad)
    return ok, row + f" | first push {s:.1f} s"


def edited_after_pack(d: Path):
    pkg = package(d)
    target = pkg / "3dcircle-42f2" / "files" / "02_DUCK.BIN"
    data = bytearray(target.read_bytes())
    data[1000] ^= 0xFF
    target.write_bytes(bytes(data))
    fan_ = fan(d)
    try:
        rc, _, err, s = hp(d, "push", pkg, "--fan", fan_.address, *FAST)
    finally:
        fan_.stop()
    bad = [] if not fan_.events else [f"{len(fan_.events)} fan events"]
    return verdict(rc, err, s, 2, ["02_DUCK.BIN"], 10, extra_bad=bad)


BIG = (190, 1, 1)  # 24.5 MB: more than the loopback socket buffers hold

CASES = {
    # --- peers
    "port-closed": peer_case(_Closed, ["{ADDR}", "refused"]),
    "port-closed-fan-status": peer_case(_Closed, ["{ADDR}", "refused"], command="fan"),
    "never-accepts-backlog-full": peer_case(_Backlogged, ["{ADDR}", "no answer", "connecting"]),
    "never-accepts-fan-status": peer_case(_Backlogged, ["{ADDR}", "no answer", "connecting"], command="fan"),
    "accepts-never-reads-the-file": peer_case(
        lambda: Peer(broken_f2("stall")), ["{ADDR}", "timed out"], frames=BIG, bound=20
    ),
    "reads-64KB-then-stops": peer_case(
        lambda: Peer(broken_f2("read-stall", 65536)), ["{ADDR}", "timed out"], frames=BIG, bound=20
    ),
    "resets-mid-file-every-time": reset_every_time,
    "closes-cleanly-mid-file": peer_case(
        lambda: Peer(broken_f2("close", 300_000)), ["{ADDR}"], frames=BIG, bound=20
    ),
    "answers-http": peer_case(lambda: Peer(http_peer), ["{ADDR}", "HTTP", "not a fan"]),
    "answers-http-fan-status": peer_case(lambda: Peer(http_peer), ["{ADDR}", "HTTP"], command="fan"),
    "answers-ssh-banner": peer_case(lambda: Peer(ssh_peer), ["{ADDR}", "SSH", "not a fan"]),
    "answers-ssh-fan-status": peer_case(lambda: Peer(ssh_peer), ["{ADDR}", "SSH"], command="fan"),
    "legacy-upload-port-closed": legacy_upload_closed,
    "card-fills-mid-upload": full_card,
    "reboots-mid-upload": reboot_mid_upload,
    "slow-link-20KBps-2MB-42f2": slow_link("3dcircle-42f2"),
    "slow-link-20KBps-2MB-legacy": slow_link("legacy-224"),
    "fan-lists-odd-names": odd_names,
    # --- the installer's side
    "dns-name-does-not-resolve": peer_case(_Unresolvable, ["no-such-fan.invalid", "resolve"]),
    "ipv6-literal": ipv6,
    "port-out-of-range": typo_case("127.0.0.1:70000", ["70000", "1-65535"]),
    "port-zero": typo_case("127.0.0.1:0", ["1-65535"]),
    "typo-trailing-colon": typo_case("192.168.4.1:", ["192.168.4.1:"]),
    "typo-port-only": typo_case(":20320", [":20320"]),
    "typo-two-ports": typo_case("192.168.4.1:20320:1", ["192.168.4.1:20320:1"], absent=["IPv6"]),
    "typo-two-ports-fan-status": typo_case(
        "192.168.4.1:20320:1", ["192.168.4.1:20320:1"], "fan", absent=["IPv6"]
    ),
    "typo-url": typo_case("http://192.168.4.1/", ["http://192.168.4.1/"]),
    "sigint-one-fan": sigint_one,
    "sigint-fleet-of-four": sigint_fleet,
    "fleet-one-of-four-dead": fleet_one_dead,
    "fleet-same-address-twice": fleet_same_address("127.0.0.1:{PORT}", "127.0.0.1:{PORT}"),
    "fleet-same-fan-default-port-spelt-out": fleet_same_address("127.0.0.1:20320", "127.0.0.1"),
    "fleet-same-fan-host-in-capitals": fleet_same_address("localhost:{PORT}", "LOCALHOST:{PORT}"),
    "fleet-of-50": fleet_of_50,
    "report-dir-unwritable-fleet": report_unwritable,
    "report-dir-unwritable-one-fan": report_unwritable_single,
    "same-package-twice": same_package_twice,
    "package-edited-after-pack": edited_after_pack,
}


def sweep(names: list[str], out: str, cli: bool) -> None:
    print(f"# {len(names)} cases; {os.popen('uptime').read().strip()}")
    failed = 0
    for name in names:
        d = Path(out) / name
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        t = time.perf_counter()
        try:
            ok, row = CASES[name](d)
        except Exception as exc:  # a case that breaks the sweep itself is a row too
            ok, row = False, f"FAIL sweep: {type(exc).__name__}: {exc}"
        failed += not ok
        print(f"{name:40s} {row}  [{time.perf_counter() - t:.0f} s]", flush=True)
    print(f"# {failed} of {len(names)} FAIL; {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    run_sweep(__doc__.splitlines()[0], CASES, sweep, "pushsweep-")
