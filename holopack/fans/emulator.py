"""An emulated fan on a loopback address: stores uploads, answers list and status, and
can misbehave on purpose (a dropped connection, a slow link, a full card, a garbled ack).

    fan = EmulatedFan("3dcircle-42f2", store="fan-store").start()   # port 0: any free port
    fan.address                 # "127.0.0.1:40123"
    fan.events                  # every command, status request and upload, in order
    fan.stop()

It parses the wire with its own code, written from the protocol descriptions (see
protocol_42f2.py and protocol_legacy.py for the sources), and shares none with the
clients, so a test of client against emulator checks one reading of the protocol against
another. Like the 42-F2, it serves one connection at a time.

Where the public sources say nothing, it makes a choice and says so in docs/fans-network.md:
an upload without its END marker is discarded (a real fan may keep the part it got); a
file that does not fit the card is read to the end and not kept, so it is not listed; the
legacy fan keeps the padding of the last packet, as the announced length says.
"""

from __future__ import annotations

import json
import os
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"

# -- 42-F2 wire constants, from holofan-studio's description ------------------------------
F2_HEAD = b"C0EEB7C9BAA3"
F2_TAIL = b"C0EEBDF9E5B7"
F2_CHUNK = b"B2DDDDED"
F2_MARK = F2_CHUNK + F2_TAIL
F2_NAMES = {
    ord("d"): "prev",
    ord("c"): "next",
    ord("e"): "play-pause",
    ord("h"): "loop-all",
    ord("g"): "loop-one",
    ord("m"): "brightness-up",
    ord("l"): "brightness-down",
    ord("p"): "rotate-cw",
    ord("q"): "rotate-ccw",
    ord("a"): "power",
    ord("r"): "wifi-config",
    ord("k"): "clear-cache",
    ord("j"): "format",
}

# -- legacy wire constants, from jnweiger/led-hologram-propeller --------------------------
LG_CMD = b"c0eeb7c9baa3020000000014cc"
LG_STATUS = b"c0eeb7c9baa3020000000012cc38lnt"
LG_TAIL = b"bfb5d2a2"
LG_UP = b"d3e0c9ba02014dd8"
LG_ACK = b"d3e0c9ba02012dd8"
LG_PACKET = 1460
LG_BODY = LG_PACKET - 16 - 4 - 8
LG_ACK_EVERY = 16  # the captures show a note about every 16 packets
LG_NAMES = {b"38": "status", b"34": "pause", b"35": "play", b"39": "delete"}


@dataclass
class Faults:
    """What the emulated fan does wrong, on purpose."""

    drop_after: int | None = None  # drop an upload's connection after this many file bytes...
    drop_times: int = 1  # ...for this many uploads
    slow_kbps: float | None = None  # link speed in kB/s, both ways
    disk_bytes: int | None = None  # card size: a file that does not fit is read and not kept
    garble_acks: int = 0  # garble this many upload acknowledgements


class _Dropped(Exception):
    pass


class EmulatedFan:
    """One fan. ``device``: "3dcircle-42f2" or "legacy-224". ``port`` 0 picks a free port;
    the legacy fan's uploads go to ``upload_port`` (default: another free port, or
    ``port + 266`` when ``port`` is given, as on the real fan)."""

    def __init__(
        self,
        device: str,
        store: str,
        port: int = 0,
        upload_port: int | None = None,
        faults: Faults | None = None,
        log: str | None = None,
        echo=None,
        host: str = LOOPBACK,
    ):
        if device not in ("3dcircle-42f2", "legacy-224"):
            raise ValueError(f"no emulator for {device!r} (3dcircle-42f2, legacy-224)")
        self.device = device
        self.legacy = device == "legacy-224"
        self.store = os.path.abspath(store)
        os.makedirs(self.store, exist_ok=True)
        self.faults = faults or Faults()
        self.log_path = log
        self.echo = echo  # called with a one-line description of every event
        self.host = host
        self.events: list[dict] = []
        self.current, self.playing, self.powered, self.brightness = 0, True, True, 5
        self._drops_left = self.faults.drop_times if self.faults.drop_after is not None else 0
        self._garbles_left = self.faults.garble_acks
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listeners = [self._listen(port)]
        self.port = self._listeners[0].getsockname()[1]
        self.upload_port = None
        if self.legacy:
            if upload_port is None:
                upload_port = port + 266 if port else 0
            self._listeners.append(self._listen(upload_port))
            self.upload_port = self._listeners[1].getsockname()[1]

    # -- life cycle -------------------------------------------------------------------------
    def _listen(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.faults.slow_kbps:
            # a fan's small receive window: the link's pace reaches the sender's socket
            # instead of disappearing into megabytes of loopback buffer on this side
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        sock.bind((self.host, port))
        sock.listen(8)
        return sock

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> EmulatedFan:
        thread = threading.Thread(target=self.serve_forever, name=f"fan-{self.port}", daemon=True)
        self._thread = thread
        thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for sock in self._listeners:
            sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def serve_forever(self) -> None:
        """Accept and serve connections one at a time until ``stop()``."""
        while not self._stop.is_set():
            ready, _, _ = select.select(self._listeners, [], [], 0.1)
            for listener in ready:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                with conn:
                    conn.settimeout(30)
                    try:
                        if listener is self._listeners[0]:
                            (self._serve_legacy_control if self.legacy else self._serve_42f2)(conn)
                        else:
                            self._serve_legacy_upload(conn)
                    except (_Dropped, OSError):
                        pass

    # -- the card -----------------------------------------------------------------------------
    def files(self) -> list[str]:
        """File names on the card, in the order the fan lists them."""
        names = [e.name for e in os.scandir(self.store) if e.is_file() and not e.name.startswith(".")]
        if self.legacy:  # the legacy fan lists in upload order
            return sorted(names, key=lambda n: (os.stat(os.path.join(self.store, n)).st_mtime_ns, n))
        return sorted(names, key=lambda n: n.encode("gbk", errors="replace"))  # byte order of names

    def _used(self) -> int:
        return sum(os.path.getsize(os.path.join(self.store, n)) for n in self.files())

    def _record(self, kind: str, **info) -> None:
        event = {"kind": kind, "t": round(time.time(), 3), **info}
        self.events.append(event)
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(event) + "\n")
        if self.echo:
            self.echo(" ".join(f"{k}={v}" for k, v in event.items() if k != "t"))

    @property
    def commands(self) -> list[str]:
        """The command names received, in order."""
        return [e["command"] for e in self.events if e["kind"] == "command"]

    # -- link ---------------------------------------------------------------------------------
    def _recv(self, conn: socket.socket, n: int) -> bytes:
        if self.faults.slow_kbps:
            n = min(n, 4096)
        data = conn.recv(n)
        self._throttle(len(data))
        return data

    def _recv_exact(self, conn: socket.socket, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            part = self._recv(conn, n - len(buf))
            if not part:
                raise _Dropped()
            buf += part
        return buf

    def _send(self, conn: socket.socket, data: bytes) -> None:
        self._throttle(len(data))
        conn.sendall(data)

    def _throttle(self, nbytes: int) -> None:
        if self.faults.slow_kbps and nbytes:
            time.sleep(nbytes / (self.faults.slow_kbps * 1000.0))

    def _drop(self, conn: socket.socket) -> None:
        """Cut the connection the way a fan that loses WiFi does: a reset, not a close."""
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raise _Dropped()

    def _garble(self, message: bytes) -> bytes:
        if self._garbles_left > 0:
            self._garbles_left -= 1
            self._record("fault", fault="garbled-ack")
            return bytes(b ^ 0x5A for b in message[:12]) + message[12:]
        return message

    # -- 42-F2 ----------------------------------------------------------------------------------
    def _serve_42f2(self, conn: socket.socket) -> None:
        first = self._recv_exact(conn, 12)
        if first == F2_HEAD:
            if self._recv_exact(conn, 12) != F2_TAIL:
                self._record("garbled", what="handshake")
                return
            self._record("status")
            self._send(conn, self._f2_status())
            while True:
                try:
                    head = self._recv_exact(conn, 15)
                except _Dropped:
                    return
                n = 323 * head[12] + 17 * (head[13] - 0x63) + (head[14] - 0x62)
                if head[:12] != F2_HEAD or not 0 <= n <= 4096:
                    self._record("garbled", what="command frame")
                    return
                payload = self._f2_payload(conn, n, "command trailer")
                if payload is None:
                    return
                self._f2_command(payload)
        elif first == F2_MARK[:12]:
            self._f2_upload(conn, first)
        else:
            self._record("garbled", what="first bytes", got=first.hex())

    def _f2_payload(self, conn: socket.socket, n: int, what: str) -> bytes | None:
        """A message's ``n`` payload bytes, read with its trailer; None (recorded as
        garbled ``what``) when the trailer is wrong."""
        body = self._recv_exact(conn, n + 12)
        if body[n:] != F2_TAIL:
            self._record("garbled", what=what)
            return None
        return body[:n]

    def _f2_status(self) -> bytes:
        names = [n[:-4] if n.endswith(".BIN") else n for n in self.files()]
        payload = bytearray(b"i")
        for name in names:
            raw = name.encode("gbk", errors="replace")
            payload += bytes([len(raw)]) + raw
        tail = bytearray(16)
        tail[0] = min(self.current, max(len(names) - 1, 0))
        tail[1] = len(names) & 0xFF
        tail[3] = 0 if self.powered else 1
        tail[6] = 1 if self.playing else 0
        tail[7] = 1
        payload += tail
        n = len(payload)
        return F2_HEAD + bytes([n // 323, 0x63 + (n // 17) % 19, 0x62 + n % 17]) + bytes(payload) + F2_TAIL

    def _f2_command(self, payload: bytes) -> None:
        letter = payload[0] if payload else -1
        name = F2_NAMES.get(letter, "unknown")
        self._record(
            "command", command=name, letter=chr(letter) if letter >= 0 else "", payload=payload.hex()
        )
        count = len(self.files())
        if name == "next" and count:
            self.current = (self.current + 1) % count
        elif name == "prev" and count:
            self.current = (self.current - 1) % count
        elif name == "play-pause":
            self.playing = not self.playing
        elif name == "brightness-up":
            self.brightness = min(self.brightness + 1, 10)
        elif name == "brightness-down":
            self.brightness = max(self.brightness - 1, 0)
        elif name == "power":
            self.powered = not self.powered
        elif name == "format":
            for n in self.files():
                os.remove(os.path.join(self.store, n))
            self.current = 0
        elif name == "clear-cache":
            for e in os.scandir(self.store):
                if e.name.startswith(".") and e.name.endswith(".partial"):
                    os.remove(e.path)

    def _f2_upload(self, conn: socket.socket, first: bytes) -> None:
        if first + self._recv_exact(conn, 8) != F2_MARK:
            self._record("garbled", what="upload begin")
            return
        head = self._recv_exact(conn, 11)
        n = 15 * head[8] + 3 * (head[9] - 0x6A) + (head[10] - 0x63)
        if head[:8] != F2_CHUNK or not (0x6A <= head[9] <= 0x6E and 0x63 <= head[10] <= 0x65):
            self._record("garbled", what="name chunk")
            return
        raw_name = self._f2_payload(conn, n, "name chunk trailer")
        if raw_name is None:
            return
        name = raw_name.decode("gbk", errors="replace")
        ack_payload = bytes([0x0B]) + os.urandom(4)  # bytes 12-15: the client's own token
        ack = (
            F2_CHUNK
            + bytes([len(ack_payload) // 15, 0x6A + (len(ack_payload) // 3) % 5, 0x63 + len(ack_payload) % 3])
            + ack_payload
            + F2_TAIL
        )
        self._send(conn, self._garble(ack))
        self._receive_file(conn, name, end_mark=F2_MARK, keep=name.endswith(".BIN"))

    def _receive_file(self, conn: socket.socket, name: str, end_mark: bytes, keep: bool) -> None:
        """Raw bytes until the client closes; the last ``len(end_mark)`` must be the END."""
        safe = os.path.basename(name) or "unnamed"
        temp = os.path.join(self.store, f".{safe}.partial")
        free = None if self.faults.disk_bytes is None else self.faults.disk_bytes - self._used()
        buf = memoryview(bytearray(1 << 20))
        drop_after = self.faults.drop_after  # set whenever _drops_left is
        total, tail = 0, b""
        result = "stored"
        try:
            with open(temp, "wb") as f:
                while True:
                    limit = len(buf)
                    if self._drops_left and drop_after is not None and total < drop_after:
                        limit = min(limit, drop_after - total)
                    if self.faults.slow_kbps:
                        limit = min(limit, 4096)
                    got = conn.recv_into(buf, limit)
                    if not got:
                        break
                    self._throttle(got)
                    total += got
                    tail = (tail + bytes(buf[max(0, got - 20) : got]))[-20:]
                    if free is None or total <= free + len(end_mark):
                        f.write(buf[:got])
                    if self._drops_left and drop_after is not None and total >= drop_after:
                        self._drops_left -= 1
                        self._record("upload", name=name, bytes=total, result="dropped (fault)")
                        self._drop(conn)
            size = total - len(end_mark)
            if tail != end_mark or size < 0:
                result = "discarded: no END marker"
            elif not keep:
                result = "discarded: name does not end in .BIN"
            elif free is not None and size > free:
                result = "discarded: card full"
            else:
                with open(temp, "r+b") as f:
                    f.truncate(size)
                os.replace(temp, os.path.join(self.store, safe))
            self._record("upload", name=name, bytes=max(size, 0), result=result)
        finally:
            if os.path.exists(temp):
                os.remove(temp)

    # -- legacy ---------------------------------------------------------------------------------
    def _legacy_message(self, conn: socket.socket) -> bytes | None:
        buf = b""
        while not buf.endswith(LG_TAIL):
            part = self._recv(conn, 1)
            if not part:
                return None
            buf += part
            if len(buf) > 4096:
                raise _Dropped()
        return buf

    def _serve_legacy_control(self, conn: socket.socket) -> None:
        while True:
            msg = self._legacy_message(conn)
            if msg is None:
                return
            body = msg[len(LG_CMD) : -len(LG_TAIL)]
            if not msg.startswith(LG_CMD) or len(body) < 5 or body[2:4] != b"lf":
                self._record("garbled", what="control message", got=msg[:60].decode("latin-1"))
                return
            code, arg = body[:2], body[5:]
            name = LG_NAMES.get(code, "unknown")
            if name == "status":
                self._record("status")
                self._send(conn, self._legacy_status())
                continue
            self._record("command", command=name, code=code.decode("latin-1"), arg=arg.decode("latin-1"))
            if name == "pause":
                self.playing = False
            elif name == "play":
                self.playing = True
            elif name == "delete":
                files = self.files()
                try:
                    index = int(arg)
                except ValueError:
                    continue
                if 1 <= index <= len(files):
                    os.remove(os.path.join(self.store, files[index - 1]))

    def _legacy_status(self) -> bytes:
        out = bytearray(LG_STATUS)
        files = self.files()
        for index, name in enumerate(files, start=1):
            raw = name.encode("utf-8")
            out += b"%02d%02d" % (2 + len(raw), index) + raw
        current = min(self.current + 1, max(len(files), 1))
        out += b"%02dHE1" % current + (b"1" if self.playing else b"0") + LG_TAIL
        return bytes(out)

    def _serve_legacy_upload(self, conn: socket.socket) -> None:
        head = self._recv_exact(conn, 24)
        if head[:16] != LG_UP or head[16:20] != b"0AgQ":
            self._record("garbled", what="name packet")
            return
        announced = int.from_bytes(head[20:24], "big")
        raw_name = b""
        while not raw_name.endswith(LG_TAIL):
            raw_name += self._recv_exact(conn, 1)
            if len(raw_name) > 99 + 8:
                self._record("garbled", what="name")
                return
        name = raw_name[:-8].decode("utf-8", errors="replace")
        note = lambda kind: self._send(conn, self._garble(LG_ACK + kind + b"ffff" + LG_TAIL))  # noqa: E731
        note(b"0AfJ")
        safe = os.path.basename(name) or "unnamed"
        temp = os.path.join(self.store, f".{safe}.partial")
        free = None if self.faults.disk_bytes is None else self.faults.disk_bytes - self._used()
        try:
            with open(temp, "wb") as f:
                received = self._legacy_packets(conn, f, name, free, note)
            if received is None:
                return
            total, result = received
            if result is None:
                if not name.endswith(".bin"):
                    result = "discarded: name does not end in .bin"
                elif free is not None and total > free:
                    result = "discarded: card full"
                else:
                    result = "stored"
                    with open(temp, "r+b") as f:
                        f.truncate(min(total, announced))
                    os.replace(temp, os.path.join(self.store, safe))
            self._record("upload", name=name, bytes=total, result=result)
        finally:
            if os.path.exists(temp):
                os.remove(temp)

    def _legacy_packets(self, conn: socket.socket, f, name: str, free: int | None, note):
        """The file's packets into ``f`` until the END packet (those past ``free`` bytes
        are read and not kept). Returns (bytes received, None), (bytes, why it is
        discarded) when the client left without END, or None when it sent garble."""
        total, packets = 0, 0
        while True:
            try:
                head = self._recv_exact(conn, 20)
            except _Dropped:
                return total, "discarded: no END packet"
            if head[:16] != LG_UP:
                self._record("garbled", what="packet header")
                return None
            if head[16:] == b"1AfF":
                if self._recv_exact(conn, 8) != LG_TAIL:
                    self._record("garbled", what="end packet")
                    return None
                return total, None
            if head[16:] != b"1GnH":
                self._record("garbled", what="packet type", got=head[16:].decode("latin-1"))
                return None
            body = self._recv_exact(conn, LG_BODY + 8)
            if body[LG_BODY:] != LG_TAIL:
                self._record("garbled", what="packet trailer")
                return None
            total += LG_BODY
            packets += 1
            if free is None or total <= free:
                f.write(body[:LG_BODY])
            if self._drops_left and self.faults.drop_after is not None and total >= self.faults.drop_after:
                self._drops_left -= 1
                self._record("upload", name=name, bytes=total, result="dropped (fault)")
                self._drop(conn)
            if packets % LG_ACK_EVERY == 0:
                note(b"1AfJ")
