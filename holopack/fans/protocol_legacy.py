"""The legacy 224-LED fan's WiFi protocol: bytes on the wire, and a client that speaks it.

Source: jnweiger/led-hologram-propeller (src/led-hologram.py, doc/upload-protocol.txt and
the Wireshark captures in doc/wireshark/), taken from the vendor tool's traffic. All of it
is ASCII text framing around the payload.

Control, TCP 5233. The client sends::

    "c0eeb7c9baa3020000000014cc" + code + "lf" + letter [+ argument] + "bfb5d2a2"

with code/letter ``38``/``h`` status, ``34``/``h`` pause, ``35``/``h`` play and
``39``/``j`` + two digits for delete (the 1-based index of the status list). Only the
status gets an answer::

    "c0eeb7c9baa3020000000012cc38lnt"  then per file  "%02d" % (2 + len(name)) + "%02d" % index + name
    then  "%02d" % current + "HE" + "1" + ("1" playing | "0" paused) + "bfb5d2a2"

Upload, TCP 5499, 1460-byte packets of ``"d3e0c9ba02014dd8" + type + body + "bfb5d2a2"``:
``0AgQ`` + 4-byte big-endian length + name (the length counts the padding of the last
packet: the captured vendor tool sent 4592424 for a 4591616-byte file), then ``1GnH`` + 1432
file bytes per packet (the last padded with ASCII ``'0'``), then ``1AfF`` with no body. The
fan answers with 32-byte ``"d3e0c9ba02012dd8" + "0AfJ"|"1AfJ" + "ffff" + "bfb5d2a2"`` notes now
and then (after the name, then about every 16 packets). The name must end in ``.bin`` and
is at most 99 bytes. The reference client waits 30 ms between packets ("0.02 is not
enough, we see spikes"); that pace is a setting (protocols.toml), not a constant here.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field

from .faults import FanError, GarbledReply
from .netio import FanLink, check_is_fan, connect, network_error

CONTROL_PREFIX = b"c0eeb7c9baa3020000000014cc"
STATUS_PREFIX = b"c0eeb7c9baa3020000000012cc38lnt"
TRAILER = b"bfb5d2a2"
PACKET_BYTES = 1460
UP_HEADER = b"d3e0c9ba02014dd8"  # client to fan
ACK_HEADER = b"d3e0c9ba02012dd8"  # fan to client
NAME_TYPE, DATA_TYPE, END_TYPE = b"0AgQ", b"1GnH", b"1AfF"
ACK_BYTES = 32
DATA_BYTES = PACKET_BYTES - len(UP_HEADER) - len(DATA_TYPE) - len(TRAILER)  # 1432
PAD = b"0"
MAX_NAME = 99
MAX_REPLY = 64 * 1024

COMMANDS = {"status": b"38lfh", "pause": b"34lfh", "play": b"35lfh"}
DELETE = b"39lfj"


def control_message(command: bytes) -> bytes:
    return CONTROL_PREFIX + command + TRAILER


def delete_command(index: int) -> bytes:
    if not 1 <= index <= 99:
        raise ValueError(f"delete index must be 1..99, got {index}")
    return DELETE + b"%02d" % index


def padded_length(size: int) -> int:
    """The length the name packet announces: whole data packets."""
    packets = -(-size // DATA_BYTES)
    return packets * DATA_BYTES


def name_packet(name: str, size: int) -> bytes:
    raw = name.encode("utf-8")
    return UP_HEADER + NAME_TYPE + padded_length(size).to_bytes(4, "big") + raw + TRAILER


def data_packet(body: bytes) -> bytes:
    if len(body) < DATA_BYTES:
        body = body + PAD * (DATA_BYTES - len(body))
    return UP_HEADER + DATA_TYPE + body + TRAILER


END_PACKET = UP_HEADER + END_TYPE + TRAILER


def check_name(name: str) -> None:
    if not name.endswith(".bin"):
        raise FanError(f"the legacy fan only takes names ending in '.bin', got {name!r}")
    if len(name.encode("utf-8")) > MAX_NAME:
        raise FanError(f"name {name!r} is longer than {MAX_NAME} bytes")


@dataclass
class StatusLegacy:
    """The legacy fan's status: its files (1-based index order), the one playing, paused or not."""

    files: list = field(default_factory=list)
    indices: list = field(default_factory=list)
    current: int | None = None  # 1-based index as the fan reports it
    playing: bool | None = None

    def to_dict(self) -> dict:
        return {
            "files": list(self.files),
            "indices": list(self.indices),
            "current": self.current,
            "playing": self.playing,
        }


def parse_status(reply: bytes) -> StatusLegacy:
    if not reply.startswith(STATUS_PREFIX) or not reply.endswith(TRAILER):
        raise GarbledReply(f"status reply {reply[:40]!r}... does not have the status framing")
    body = reply[len(STATUS_PREFIX) : -len(TRAILER)]
    files, indices, i = [], [], 0
    while True:
        if body[i + 2 : i + 4] == b"HE":
            tail = body[i:]
            break
        try:
            n = int(body[i : i + 2])
            index = int(body[i + 2 : i + 4])
        except ValueError:
            raise GarbledReply(f"status entry {body[i : i + 8]!r} is not a length and an index") from None
        if n < 2 or i + 2 + n > len(body):
            raise GarbledReply(f"status entry of length {n} runs past the reply")
        files.append(body[i + 4 : i + 2 + n].decode("utf-8", errors="replace"))
        indices.append(index)
        i += 2 + n
    if len(tail) != 6:
        raise GarbledReply(f"status tail {tail!r} is not 6 bytes")
    try:
        current = int(tail[:2])
    except ValueError:
        current = None
    playing = {b"1": True, b"0": False}.get(tail[5:6])
    return StatusLegacy(files=files, indices=indices, current=current, playing=playing)


@dataclass
class ClientLegacy(FanLink):
    """Talks to one legacy fan: control at ``host:port``, uploads at ``host:upload_port``."""

    protocol = "legacy224"

    port: int = 5233
    upload_port: int = 5499
    packet_delay: float = 0.03  # the reference client's pause between packets

    def _read_status(self, sock: socket.socket) -> StatusLegacy:
        buf = bytearray()
        while not buf.endswith(TRAILER):
            part = sock.recv(4096)
            if not part:
                check_is_fan(bytes(buf))
                raise FanError("the fan closed the connection before its status was complete", retryable=True)
            buf += part
            if not STATUS_PREFIX.startswith(bytes(buf[: len(STATUS_PREFIX)])):
                check_is_fan(bytes(buf))  # an SSH banner comes without being asked for
            if len(buf) > MAX_REPLY:
                raise GarbledReply("status reply without an end")
        return parse_status(bytes(buf))

    def _control(self, command: bytes, want_status: bool) -> StatusLegacy | None:
        doing = "sending a command"
        try:
            with connect(self.host, self.port, self.timeout) as sock:
                sock.sendall(control_message(command))
                if want_status:
                    doing = "reading its status"
                    return self._read_status(sock)
                return None
        except OSError as exc:
            raise network_error(exc, self.host, self.port, doing) from None

    def status(self) -> StatusLegacy:
        status = self._control(COMMANDS["status"], True)
        assert status is not None  # want_status=True reads one or raises
        return status

    def send(self, command: bytes, erase: bool = False) -> None:
        """Send one command. Delete goes only with ``erase=True`` (see Client42F2.send)."""
        if command.startswith(DELETE) and not erase:
            raise ValueError("delete erases a clip on the fan: needs erase=True")
        self._control(command, False)

    def listing(self) -> list[str]:
        return self.status().files

    def upload(self, path: str, name: str, on_bytes=None) -> int:
        check_name(name)
        size = os.path.getsize(path)
        doing = "starting the upload"
        acks = bytearray()
        try:
            with open(path, "rb") as f, self._connect_upload() as sock:
                sock.sendall(name_packet(name, size))
                doing = "sending the file"
                # unpaced: many packets per write; paced: one packet, then the pause
                batch = 1 if self.packet_delay > 0 else 256
                sent = 0
                while sent < size:
                    before = sent
                    out = bytearray()
                    for _ in range(batch):
                        body = f.read(DATA_BYTES)
                        if not body:
                            break
                        out += data_packet(body)
                        sent += len(body)
                    sock.sendall(out)
                    if on_bytes:
                        on_bytes(sent - before)
                    self._drain_acks(sock, acks, wait=False)
                    if self.packet_delay > 0 and sent < size:
                        time.sleep(self.packet_delay)
                sock.sendall(END_PACKET)
                doing = "closing the upload"
                sock.shutdown(socket.SHUT_WR)
                self._drain_acks(sock, acks, wait=True)
            return size
        except OSError as exc:
            raise network_error(exc, self.host, self.upload_port, doing) from None

    def _connect_upload(self) -> socket.socket:
        try:
            return connect(self.host, self.upload_port, self.timeout)
        except ConnectionRefusedError:
            # its control port may well answer: say which port is missing and how to name it
            raise FanError(
                f"nothing listens at {self.host}:{self.upload_port}, the fan's upload port "
                f"(connection refused; its control port is {self.port}): give the port its uploads "
                "go to with --upload-port (upload_port in a fleet file)",
                retryable=True,
            ) from None

    def _drain_acks(self, sock: socket.socket, acks: bytearray, wait: bool) -> None:
        """Read and check the fan's notes; with ``wait``, until it closes its side."""
        sock.setblocking(wait)
        if wait:
            sock.settimeout(self.close_wait)
        try:
            while True:
                part = sock.recv(4096)
                if not part:
                    break
                acks += part
                while len(acks) >= ACK_BYTES:
                    note = bytes(acks[:ACK_BYTES])
                    del acks[:ACK_BYTES]
                    if not (note.startswith(ACK_HEADER) and note.endswith(TRAILER)):
                        check_is_fan(note)
                        raise GarbledReply(f"upload note {note!r} does not have the fan's framing")
        except (TimeoutError, BlockingIOError):
            pass
        finally:
            sock.settimeout(self.timeout)
