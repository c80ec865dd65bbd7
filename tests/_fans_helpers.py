"""Shared by test_fans_*.py: hand-made packages and a recording TCP sink.

The package is written here from docs/playlist.md's description (manifest items with file,
bytes and SHA-256), not through holopack's packer, so a push test checks the push code
against an independent reading of the package layout.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time

F2_FRAME = 129024  # 512 slices x 252 bytes


def make_device_folder(
    root,
    device: str = "3dcircle-42f2",
    names=("01_TWIN.BIN", "02_DUCK.BIN", "03_LOGO.BIN"),
    frames=(6, 4, 3),
    frame_bytes: int = F2_FRAME,
    seed: int = 1,
) -> str:
    """A package device folder ``root/device`` with random files and a manifest."""
    folder = os.path.join(root, device)
    os.makedirs(os.path.join(folder, "files"), exist_ok=True)
    rng = __import__("random").Random(seed)
    items = []
    for index, (name, count) in enumerate(zip(names, frames), start=1):
        data = rng.randbytes(count * frame_bytes)
        with open(os.path.join(folder, "files", name), "wb") as f:
            f.write(data)
        items.append(
            {
                "index": index,
                "name": name.split(".")[0].split("_", 1)[1].lower(),
                "file": f"files/{name}",
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "frames": count,
            }
        )
    manifest = {
        "format": "holopack-package/1",
        "device": device,
        "files": len(items),
        "total_bytes": sum(i["bytes"] for i in items),
        "items": items,
    }
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    with open(os.path.join(root, "README.txt"), "w") as f:
        f.write("test package\n")
    return folder


def manifest_sums(folder: str) -> dict:
    with open(os.path.join(folder, "manifest.json")) as f:
        return {os.path.basename(i["file"]): i["sha256"] for i in json.load(f)["items"]}


def store_sums(store: str) -> dict:
    out = {}
    for name in sorted(os.listdir(store)):
        if not name.startswith("."):
            with open(os.path.join(store, name), "rb") as f:
                out[name] = hashlib.sha256(f.read()).hexdigest()
    return out


class RecordingSink:
    """A TCP server on loopback that records every byte of every connection. For each
    connection it first sends ``greeting_after`` bytes once it has read ``read_first``
    bytes (e.g. an ack after a name chunk), then reads to the end."""

    def __init__(self, reply: bytes = b"", read_first: int = 0):
        self.reply, self.read_first = reply, read_first
        self.connections: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                data = bytearray()
                while len(data) < self.read_first:
                    part = conn.recv(self.read_first - len(data))
                    if not part:
                        break
                    data += part
                if self.reply:
                    conn.sendall(self.reply)
                try:
                    while True:
                        part = conn.recv(1 << 20)
                        if not part:
                            break
                        data += part
                except OSError:  # a client that gave up resets the connection
                    pass
                self.connections.append(bytes(data))

    def wait(self, count: int = 1, timeout: float = 5.0) -> list[bytes]:
        """The connections recorded, once ``count`` have ended."""
        deadline = time.monotonic() + timeout
        while len(self.connections) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.connections

    def close(self):
        self.sock.close()
