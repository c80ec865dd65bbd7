"""The fan clients' bytes against the public sources, written out here by hand.

References: rsoaresgouveia/holofan-studio (REVERSE_ENGINEERING.md; the device-verified chunk
lengths and the live 42-F2 playlist reply in tests/HoloFan.Tests/FanProtocolTests.cs) and
jnweiger/led-hologram-propeller (doc/upload-protocol.txt, doc/wireshark/start_pause-play.txt:
packets captured from the vendor tool). Expected byte streams are built in this file from
those descriptions, never through holopack's own encoders.
"""

from __future__ import annotations

import os
import random
import socket

import pytest

from holopack.fans.emulator import EmulatedFan
from holopack.fans.faults import GarbledReply
from holopack.fans.protocol_42f2 import (
    Client42F2,
    chunk_length,
    command_length,
    decode_chunk_length,
    decode_command_length,
    parse_status_payload,
)
from holopack.fans.protocol_legacy import ClientLegacy, padded_length, parse_status
from tests._fans_helpers import RecordingSink

# Live reply of a 42-F2 to the handshake (holofan-studio's test, "captured live").
LIVE_42F2_REPLY = bytes.fromhex(
    "433045454237433942414133"
    "00677069"
    "0330d3e3"
    "0531bafcc0ea"
    "0532bfd6c1fa"
    "0533c9f1cade"
    "06345449474552"
    "0536b5c6c1fd"
    "0337b4ba"
    "0539c6fbb3b5"
    "04b7bfd7d3"
    "02c1b3"
    "06c2edc0efb0c2"
    "04cef7b9cf"
    "020c0000000001010000000000000000"
    "433045454244463945354237"
)

# Legacy fan status reply and status request, from the Wireshark capture.
LEGACY_STATUS = (
    b"c0eeb7c9baa3020000000012cc38lnt200100_green_earth.bin200201_green_earth.bin"
    b"220302_spinning_coin.bin220403_spinning_coin.bin230504_bouncing_fraph.bin"
    b"230605_spinning_heart.bin03HE11bfb5d2a2"
)
LEGACY_STATUS_REQUEST = b"c0eeb7c9baa3020000000014cc38lfhbfb5d2a2"
LEGACY_PAUSE = b"c0eeb7c9baa3020000000014cc34lfhbfb5d2a2"


@pytest.mark.parametrize(
    "n, hexbytes",
    [
        (0, "006a63"),
        (1, "006a64"),
        (5, "006b65"),
        (8, "006c65"),
        (12, "006e63"),
        (100, "066d64"),
        (252, "106e63"),
        (1000, "426d64"),
        (1460, "616b65"),
    ],
)
def test_chunk_length_matches_the_values_the_fan_accepted(n, hexbytes):
    assert chunk_length(n).hex() == hexbytes


def test_length_bytes_follow_the_documented_formulas_and_read_back_for_every_length():
    # the module docstring's formulas, written out: commands in 17 * 19 = 323s, chunks in 15s
    for n in range(323 * 256):
        expected = bytes([n // 323, 0x63 + (n // 17) % 19, 0x62 + n % 17])
        assert command_length(n) == expected and decode_command_length(expected) == n
    for n in range(15 * 256):
        expected = bytes([n // 15, 0x6A + (n // 3) % 5, 0x63 + n % 3])
        assert chunk_length(n) == expected and decode_chunk_length(expected) == n
    with pytest.raises(ValueError):
        command_length(323 * 256)
    with pytest.raises(ValueError):
        chunk_length(15 * 256)
    for decode in (decode_command_length, decode_chunk_length):
        with pytest.raises(GarbledReply):
            decode(bytes([0, 0x62, 0x62]))  # a middle byte below its base


def test_live_42f2_reply_is_a_framed_status_with_its_length_bytes():
    # after the 12-byte header come 3 command-length bytes (00 67 70 = 82) and 82 bytes of payload
    b0, b1, b2 = LIVE_42F2_REPLY[12:15]
    n = 323 * b0 + 17 * (b1 - 0x63) + (b2 - 0x62)
    assert n == len(LIVE_42F2_REPLY) - 12 - 3 - 12
    status = parse_status_payload(LIVE_42F2_REPLY[15 : 15 + n])
    assert len(status.files) == 12
    assert status.files[0] == "0鱼" and status.files[4] == "4TIGER" and status.files[10] == "马里奥"
    assert status.files[11] == "西瓜"
    assert status.current == 2 and status.playing is True and status.powered is True


def test_42f2_upload_sends_begin_name_raw_file_end_byte_for_byte(tmp_path):
    data = random.Random(3).randbytes(0x3C000 * 2 + 12345)  # two whole blocks and a part
    path = tmp_path / "LOOP.BIN"
    path.write_bytes(data)
    name = b"01_LOOP.BIN"
    # the fan's 28-byte ack: chunk header, length of 5 (00 6b 65), status 0x0b, a token, trailer
    ack = b"B2DDDDED" + bytes.fromhex("006b65") + b"\x0b\x01\x02\x03\x04" + b"C0EEBDF9E5B7"
    name_chunk = (
        b"B2DDDDED"
        + bytes([len(name) // 15, 0x6A + (len(name) // 3) % 5, 0x63 + len(name) % 3])
        + name
        + b"C0EEBDF9E5B7"
    )
    sink = RecordingSink(reply=ack, read_first=20 + len(name_chunk))
    try:
        Client42F2("127.0.0.1", sink.port).upload(str(path), name.decode())
    finally:
        sink.close()
    begin = end = b"B2DDDDEDC0EEBDF9E5B7"
    assert sink.wait(1) == [begin + name_chunk + data + end]


def test_42f2_command_is_handshake_then_framed_letter(tmp_path):
    sink = RecordingSink(reply=LIVE_42F2_REPLY, read_first=24)
    try:
        status = Client42F2("127.0.0.1", sink.port).send(b"c")
    finally:
        sink.close()
    assert len(status.files) == 12
    handshake = b"C0EEB7C9BAA3C0EEBDF9E5B7"
    framed_c = b"C0EEB7C9BAA3" + bytes([0, 0x63 + 0, 0x62 + 1]) + b"c" + b"C0EEBDF9E5B7"
    assert sink.wait(1) == [handshake + framed_c]


def test_42f2_garbled_ack_is_refused_before_any_file_byte(tmp_path):
    path = tmp_path / "A.BIN"
    path.write_bytes(b"x" * 1000)
    bad = b"B2DDDDEE" + bytes.fromhex("006b65") + b"\x0b\x00\x00\x00\x00" + b"C0EEBDF9E5B7"
    sink = RecordingSink(reply=bad, read_first=20 + 8 + 3 + 5 + 12)
    from holopack.fans.faults import GarbledReply

    try:
        with pytest.raises(GarbledReply):
            Client42F2("127.0.0.1", sink.port).upload(str(path), "A.BIN")
        assert b"x" not in sink.wait(1)[0]
    finally:
        sink.close()


def test_legacy_status_reply_from_the_capture_parses():
    status = parse_status(LEGACY_STATUS)
    assert status.files == [
        "00_green_earth.bin",
        "01_green_earth.bin",
        "02_spinning_coin.bin",
        "03_spinning_coin.bin",
        "04_bouncing_fraph.bin",
        "05_spinning_heart.bin",
    ]
    assert status.indices == [1, 2, 3, 4, 5, 6]
    assert status.current == 3 and status.playing is True


def test_legacy_announced_length_counts_the_padding_as_in_the_capture():
    # the vendor tool announced 0x461328 for a 4591616-byte file (808 bytes of padding)
    assert padded_length(4591616) == 0x461328


def test_legacy_control_messages_match_the_capture():
    sink = RecordingSink()
    try:
        ClientLegacy("127.0.0.1", sink.port, upload_port=sink.port).send(b"34lfh")
        assert sink.wait(1) == [LEGACY_PAUSE]
    finally:
        sink.close()


def test_legacy_upload_packets_byte_for_byte(tmp_path):
    data = random.Random(5).randbytes(1432 * 3 + 100)
    path = tmp_path / "clip.bin"
    path.write_bytes(data)
    sink = RecordingSink()
    try:
        ClientLegacy("127.0.0.1", sink.port, upload_port=sink.port, packet_delay=0).upload(
            str(path), "01_CLIP.bin"
        )
    finally:
        sink.close()
    head, tail = b"d3e0c9ba02014dd8", b"bfb5d2a2"
    padded = data + b"0" * (1432 - 100)
    expected = head + b"0AgQ" + len(padded).to_bytes(4, "big") + b"01_CLIP.bin" + tail
    for i in range(0, len(padded), 1432):
        expected += head + b"1GnH" + padded[i : i + 1432] + tail
        assert len(head + b"1GnH" + padded[i : i + 1432] + tail) == 1460
    expected += head + b"1AfF" + tail
    assert sink.wait(1) == [expected]


def _raw_exchange(port: int, message: bytes, until: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(message)
        buf = b""
        while not buf.endswith(until):
            part = s.recv(4096)
            if not part:
                break
            buf += part
    return buf


def test_legacy_emulator_answers_the_captured_status_request_with_the_captured_reply(tmp_path):
    store = tmp_path / "card"
    store.mkdir()
    names = [
        "00_green_earth.bin",
        "01_green_earth.bin",
        "02_spinning_coin.bin",
        "03_spinning_coin.bin",
        "04_bouncing_fraph.bin",
        "05_spinning_heart.bin",
    ]
    for i, name in enumerate(names):
        (store / name).write_bytes(b"x")
        os.utime(store / name, ns=(10**18 + i, 10**18 + i))  # upload order
    with EmulatedFan("legacy-224", str(store)) as fan:
        fan.current = 2
        reply = _raw_exchange(fan.port, LEGACY_STATUS_REQUEST, b"bfb5d2a2")
    assert reply == LEGACY_STATUS


def test_42f2_emulator_status_has_the_live_reply_layout(tmp_path):
    store = tmp_path / "card"
    store.mkdir()
    for name in ["4TIGER.BIN", "0FISH.BIN"]:
        (store / name).write_bytes(b"x")
    with EmulatedFan("3dcircle-42f2", str(store)) as fan:
        reply = _raw_exchange(fan.port, b"C0EEB7C9BAA3C0EEBDF9E5B7", b"C0EEBDF9E5B7")
    assert reply[:12] == b"C0EEB7C9BAA3" and reply[-12:] == b"C0EEBDF9E5B7"
    b0, b1, b2 = reply[12:15]
    n = 323 * b0 + 17 * (b1 - 0x63) + (b2 - 0x62)
    payload = reply[15:-12]
    assert n == len(payload)
    # 'i', then <len><name> in byte order of names without .BIN, then a 16-byte tail
    assert payload[:1] == b"i"
    assert payload[1 : 1 + 6 + 7] == b"\x050FISH" + b"\x064TIGER"
    assert len(payload) - 1 - 13 == 16 and payload[1 + 13 + 1] == 2  # tail byte 1: clip count


@pytest.mark.parametrize(
    "reply, files",
    [
        # holofan-studio's own synthetic replies: literal "00 gpi" whatever the length, a 12-byte tail
        ("433045454237433942414133006770690330d3e3000c00000201000100000000433045454244463945354237", ["0鱼"]),
        (
            "433045454237433942414133"
            "00677069"
            "0330d3e3"
            "0531bafcc0ea"
            "010c00010201010100000000"
            "433045454244463945354237",
            ["0鱼", "1狐狸"],
        ),
    ],
)
def test_status_replies_whose_length_bytes_do_not_fit_still_parse(reply, files):
    sink = RecordingSink(reply=bytes.fromhex(reply), read_first=24)
    try:
        status = Client42F2("127.0.0.1", sink.port).status()
    finally:
        sink.close()
    assert status.files == files


def test_status_with_many_clips_keeps_the_tail_out_of_the_names():
    # 65 clips: the count byte 0x41 is a printable 'A' that must not become a name
    names = [f"{i:02d}" for i in range(65)]
    payload = b"i" + b"".join(bytes([2]) + n.encode() for n in names) + bytes([1, 65]) + bytes(14)
    assert parse_status_payload(payload).files == names


@pytest.mark.parametrize(
    "client, command",
    [
        (lambda port: Client42F2("127.0.0.1", port), b"j"),
        (lambda port: Client42F2("127.0.0.1", port), b"k"),
        (lambda port: ClientLegacy("127.0.0.1", port, upload_port=port), b"39lfj01"),
    ],
)
def test_clients_refuse_erasing_commands_unless_asked_to_erase(client, command):
    sink = RecordingSink()
    try:
        with pytest.raises(ValueError):
            client(sink.port).send(command)
        with socket.create_connection(("127.0.0.1", sink.port)):
            pass  # one empty connection, so the sink has something to report
        assert sink.wait(1) == [b""]
    finally:
        sink.close()
