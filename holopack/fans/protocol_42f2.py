"""The 3D Circle 42-F2's WiFi protocol: bytes on the wire, and a client that speaks it.

Source: rsoaresgouveia/holofan-studio (REVERSE_ENGINEERING.md, src/HoloFan.Device/FanProtocol.cs
and FanClient.cs), read off the vendor app and checked on a real fan. Plain TCP, one port
(20320), one client at a time.

Commands and the fan's status reply share one framing::

    "C0EEB7C9BAA3"                      12 ASCII bytes
    len // 323, 0x63 + (len // 17) % 19, 0x62 + len % 17     3 length bytes (323 = 17 * 19)
    payload                             len bytes
    "C0EEBDF9E5B7"                      12 ASCII bytes

A control connection opens with the 24-byte handshake (header + trailer, no length bytes);
the fan answers with a framed status whose payload is ``'i'``, then one ``<len><name>``
entry per clip (GBK, the ``.BIN`` stripped), then a status tail (16 bytes in the one live
capture: byte 0 the clip playing, byte 1 the clip count, byte 3 a standby flag, byte 6
playing). Commands are single letters, framed.

An upload uses a fresh connection and no handshake::

    send "B2DDDDEDC0EEBDF9E5B7"                           BEGIN, 20 bytes
    send "B2DDDDED" + len3 + NAME.BIN + "C0EEBDF9E5B7"    name chunk
    recv 28-byte ack: "B2DDDDED" + len3(5) + 0x0b + 4 token bytes + "C0EEBDF9E5B7"
    send the raw file in 0x3C000-byte blocks, unframed, no per-block ack
    send "B2DDDDEDC0EEBDF9E5B7"                           END
    close

The chunk length is ``[len // 15, 0x6A + (len // 3) % 5, 0x63 + len % 3]`` (the vendor's
imul-magic divisions by 15 and 3; device-verified values in holofan-studio's tests). The
fan keeps a clip only when its name ends in upper-case ``.BIN``, and lists it without it.
"""

from __future__ import annotations

import os
import select
import socket
import time
from dataclasses import dataclass, field

from .faults import FanError, GarbledReply
from .netio import FanLink, check_is_fan, connect, network_error, unsent

HEADER = b"C0EEB7C9BAA3"
TRAILER = b"C0EEBDF9E5B7"
HANDSHAKE = HEADER + TRAILER
CHUNK_HEADER = b"B2DDDDED"
UPLOAD_MARK = CHUNK_HEADER + TRAILER  # BEGIN and END of an upload (also a .BIN trailer)
ACK_STATUS_OK = 0x0B
STATUS_TYPE = ord("i")
MAX_REPLY = 64 * 1024  # the vendor app reads a 4 KB status report; names are short

# One-letter commands (holofan-studio's FanCommand, captions from the vendor dialog).
COMMANDS = {
    "prev": b"d",
    "next": b"c",
    "play-pause": b"e",
    "loop-all": b"h",
    "loop-one": b"g",
    "brightness-up": b"m",
    "brightness-down": b"l",
    "rotate-cw": b"p",
    "rotate-ccw": b"q",
    "power": b"a",
    "clear-cache": b"k",
    "format": b"j",
}
DESTRUCTIVE = {b"j", b"k"}


# -- framing ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LengthBytes:
    """The 42-F2's 3 length bytes: ``n // (high * low)``, ``base_high + (n // low) % high``,
    ``base_low + n % low``; ``what`` names the message in errors."""

    what: str
    high: int
    base_high: int
    low: int
    base_low: int

    def encode(self, n: int) -> bytes:
        step = self.high * self.low
        if not 0 <= n < step * 256:
            raise ValueError(f"{self.what} of {n} bytes does not fit the length field")
        return bytes([n // step, self.base_high + (n // self.low) % self.high, self.base_low + n % self.low])

    def decode(self, b: bytes) -> int:
        b0, b1, b2 = b[0], b[1], b[2]
        if not (
            self.base_high <= b1 < self.base_high + self.high
            and self.base_low <= b2 < self.base_low + self.low
        ):
            raise GarbledReply(f"length bytes {b.hex()} are not a {self.what} length")
        return self.high * self.low * b0 + self.low * (b1 - self.base_high) + (b2 - self.base_low)


COMMAND_LENGTH = LengthBytes("command", 19, 0x63, 17, 0x62)  # 323 = 17 * 19
CHUNK_LENGTH = LengthBytes("chunk", 5, 0x6A, 3, 0x63)  # n < 3840: one byte of fifteens

command_length, decode_command_length = COMMAND_LENGTH.encode, COMMAND_LENGTH.decode
chunk_length, decode_chunk_length = CHUNK_LENGTH.encode, CHUNK_LENGTH.decode


def frame(payload: bytes) -> bytes:
    """A framed command (``len(payload) + 27`` bytes)."""
    return HEADER + command_length(len(payload)) + payload + TRAILER


def name_chunk(name: str) -> bytes:
    data = name.encode("gbk")
    return CHUNK_HEADER + chunk_length(len(data)) + data + TRAILER


def upload_name(name: str) -> str:
    """The name as the fan must receive it: ending in upper-case ``.BIN``."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix.upper() == "BIN":
        return stem + ".BIN"
    return name + ".BIN"


def listed_name(name: str) -> str:
    """How the fan lists an uploaded file: without its ``.BIN``."""
    return name[:-4] if name.endswith(".BIN") else name


# -- the status reply -------------------------------------------------------------------
@dataclass
class Status42F2:
    """What a 42-F2 says about itself in reply to the handshake."""

    files: list = field(default_factory=list)  # names as listed (no .BIN)
    current: int | None = None  # 0-based index of the clip playing
    playing: bool | None = None
    powered: bool | None = None
    tail: bytes = b""

    def to_dict(self) -> dict:
        return {
            "files": list(self.files),
            "current": self.current,
            "playing": self.playing,
            "powered": self.powered,
        }


def _plausible_name(raw: bytes) -> bool:
    # printable ASCII or GBK lead/trail bytes; the status tail starts with small control bytes
    return all(0x20 <= b <= 0x7E or b >= 0x81 for b in raw)


def parse_status_payload(payload: bytes) -> Status42F2:
    """Parse a status payload (``'i'`` + entries + tail)."""
    if not payload or payload[0] != STATUS_TYPE:
        raise GarbledReply(f"status reply of type {payload[:1]!r}, expected b'i'")
    body = payload[1:]

    def entries(limit: int):
        names, i = [], 0
        while i < limit:
            n = body[i]
            if n == 0 or i + 1 + n > limit or not _plausible_name(body[i + 1 : i + 1 + n]):
                break
            names.append(body[i + 1 : i + 1 + n].decode("gbk", errors="replace"))
            i += 1 + n
        return names, i

    # The live capture's tail is 16 bytes and its byte 1 is the clip count: take that
    # split when it holds; else read length-prefixed names while they look like names.
    names, used = entries(len(body) - 16) if len(body) >= 16 else ([], -1)
    if used != len(body) - 16 or body[used + 1] != len(names) & 0xFF:
        names, used = entries(len(body))
    tail = body[used:]
    current = tail[0] if tail and tail[0] < max(len(names), 1) else None
    powered = (tail[3] == 0) if len(tail) > 3 else None
    playing = (tail[6] != 0) if len(tail) > 6 else None
    return Status42F2(files=names, current=current, playing=playing, powered=powered, tail=bytes(tail))


# -- sockets ----------------------------------------------------------------------------
def read_message(
    sock: socket.socket, header: bytes, length_decoder, what: str, settle: float = 0.3
) -> tuple[bytes, bool]:
    """Read one ``header + len3 + payload + TRAILER`` message. Returns what lies between
    header and trailer (length bytes included) and whether the length bytes give exactly
    that payload's length. A reply whose length bytes disagree with it still arrives whole:
    it ends at a trailer after which nothing more comes for ``settle`` seconds."""
    buf = bytearray()
    declared = None
    least = len(header) + 3 + len(TRAILER)
    while True:
        if len(buf) >= len(header) and buf[: len(header)] != header:
            check_is_fan(bytes(buf))
            raise GarbledReply(f"{what} starts with {bytes(buf[: len(header)])!r}, expected {header!r}")
        if declared is None and len(buf) >= len(header) + 3:
            try:
                declared = least + length_decoder(bytes(buf[len(header) : len(header) + 3]))
            except GarbledReply:
                declared = -1
        if len(buf) >= least and buf.endswith(TRAILER):
            assert declared is not None  # set once buf holds the header and length (< least)
            if declared <= len(buf) or not _more_comes(sock, settle):
                break
        if len(buf) > MAX_REPLY:
            raise GarbledReply(f"{what} runs past {MAX_REPLY} bytes without its trailer")
        part = sock.recv(65536)
        if not part:
            raise FanError(
                f"the fan closed the connection while sending {what} ({len(buf)} bytes, no trailer)",
                retryable=True,
            )
        buf += part
    return bytes(buf[len(header) : -len(TRAILER)]), declared == len(buf)


def _more_comes(sock: socket.socket, seconds: float) -> bool:
    ready, _, _ = select.select([sock], [], [], seconds)
    return bool(ready)


def parse_status_reply(body: bytes, exact: bool) -> Status42F2:
    """The status from what lies between a reply's header and trailer. When the length
    bytes do not fit (a fan or emulator that writes them differently), fall back to
    holofan-studio's reading: skip a zero byte and a lower-case tag, then the names."""
    if exact or body[3:4] == bytes([STATUS_TYPE]):
        return parse_status_payload(body[3:])
    i = 0
    if body[:1] == b"\x00":
        i = 1
    while i < len(body) and 0x61 <= body[i] <= 0x7A:
        i += 1
    return parse_status_payload(bytes([STATUS_TYPE]) + body[i:])


@dataclass
class Client42F2(FanLink):
    """Talks to one 42-F2 at ``host:port``. Each call opens its own connection (the fan
    serves one client at a time) and closes it again."""

    protocol = "42f2"

    port: int = 20320
    block_bytes: int = 0x3C000  # the vendor app's upload block

    # control
    def _control(self, payloads: list[bytes]) -> Status42F2:
        doing = "reading its status"
        try:
            with connect(self.host, self.port, self.timeout) as sock:
                sock.sendall(HANDSHAKE)
                status = parse_status_reply(
                    *read_message(sock, HEADER, decode_command_length, "the status reply")
                )
                doing = "sending a command"
                for payload in payloads:
                    sock.sendall(frame(payload))
                return status
        except OSError as exc:
            raise network_error(exc, self.host, self.port, doing) from None

    def status(self) -> Status42F2:
        return self._control([])

    def send(self, payload: bytes, erase: bool = False) -> Status42F2:
        """Send one command; returns the status read just before it. Commands that erase
        content (format, clear cache) go only with ``erase=True``, which only
        holopack.fans.control passes, after the user's confirmation."""
        if payload[:1] in DESTRUCTIVE and not erase:
            raise ValueError(f"command {payload[:1]!r} erases the fan's content: needs erase=True")
        return self._control([payload])

    def listing(self) -> list[str]:
        return self.status().files

    # upload
    def upload(self, path: str, name: str, on_bytes=None) -> int:
        """Upload the file at ``path`` as ``name`` (must end in ``.BIN``); returns the bytes
        sent. ``on_bytes(n)`` is called as the fan takes them: bytes still in this
        machine's send queue are not counted until they leave it."""
        doing = "starting the upload"
        size = os.path.getsize(path)
        told = 0  # bytes passed to on_bytes

        def tell(sock: socket.socket, offset: int, behind: int = 0) -> None:
            # the fan has taken all but the queue (less the ``behind`` bytes queued after the file)
            nonlocal told
            taken = min(offset, max(told, offset - max(0, unsent(sock) - behind)))
            if on_bytes and taken > told:
                on_bytes(taken - told)
            told = taken

        try:
            with open(path, "rb") as f, connect(self.host, self.port, self.timeout) as sock:
                sock.sendall(UPLOAD_MARK)
                sock.sendall(name_chunk(name))
                doing = "waiting for the fan's acknowledgement"
                ack, _ = read_message(sock, CHUNK_HEADER, decode_chunk_length, "the acknowledgement")
                if ack[3:4] != bytes([ACK_STATUS_OK]):
                    raise GarbledReply(
                        f"acknowledgement status {ack[3:4].hex() or 'missing'}, expected {ACK_STATUS_OK:02x}"
                    )
                doing = "sending the file"
                offset = 0
                while offset < size:
                    # sendfile: the kernel copies page cache to the socket, no Python buffer
                    sent = sock.sendfile(f, offset, min(self.block_bytes, size - offset))
                    if sent == 0:
                        raise FanError("the file shrank while it was being sent", path)
                    offset += sent
                    tell(sock, offset)
                sock.sendall(UPLOAD_MARK)
                doing = "closing the upload"
                self._await_close(sock, lambda: tell(sock, size, len(UPLOAD_MARK) + 1))
                tell(sock, size, size)  # the fan closed its side: it has had every byte
            return size
        except OSError as exc:
            raise network_error(exc, self.host, self.port, doing) from None

    def _await_close(self, sock: socket.socket, progress=None) -> None:
        """Half-close and wait for the fan to close its side: a fan that dropped the
        connection answers with a reset here instead of an end of stream. The wait counts
        from the last byte the fan took, not from END: the last send returns once the
        file is in this machine's send queue, which on a slow link holds a minute of it
        (2 MB at 20 KB/s to the emulator: the whole file, 100 s of link). ``progress()``
        is called while the queue drains."""
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(min(self.close_wait, 1.0))
        queued = unsent(sock)
        deadline = time.monotonic() + self.close_wait
        while time.monotonic() < deadline:
            try:
                if not sock.recv(4096):
                    return
            except TimeoutError:
                now = unsent(sock)
                if now < queued:  # the fan still takes the file
                    queued, deadline = now, time.monotonic() + self.close_wait
                    if progress:
                        progress()
        # the fan keeps it open: the listing check decides
