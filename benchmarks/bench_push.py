"""Upload speed to an emulated 42-F2 over loopback, against a plain socket peer.

    python benchmarks/bench_push.py [--file LOOP.BIN] [--repeats 3]

The file defaults to the bundled twin's 42-F2 loop, exported first
(`holopack export --device 3dcircle-42f2 -o LOOP.BIN`). The emulated fan runs in its own
process (`holopack emulate-fan`), as a fan would be another machine, and stores every
upload on disk. Three figures, each the median of --repeats runs, interleaved:

  upload   Client42F2.upload: BEGIN, name, ack, the file in 0x3C000-byte blocks, END, and
           the wait for the fan to close (what `holopack push` does per file)
  push     the whole `push_plan`: status, upload, listing check, final listing
  peer     socket.sendfile of the same bytes to a sink process that reads and discards
           them: the most the loopback link and this machine give

ratio = ours / peer (MB/s; 1.0 = as fast as a bare socket). The emulator writes to disk
while the sink does not, so the ratio also carries the emulator's disk writes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from holopack.fans.content import plan_uploads  # noqa: E402
from holopack.fans.protocol_42f2 import Client42F2  # noqa: E402
from holopack.fans.push import push_plan  # noqa: E402

SINK = """
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print(s.getsockname()[1], flush=True)
buf = bytearray(1 << 20)
while True:
    c, _ = s.accept()
    with c:
        while c.recv_into(buf):
            pass
"""


def start_emulator(store: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "holopack",
            "emulate-fan",
            "--device",
            "3dcircle-42f2",
            "--port",
            "0",
            "--store",
            store,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    line = proc.stdout.readline()
    return proc, line.split(" listening on ")[1].split(",")[0]


def start_sink() -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
    return proc, int(proc.stdout.readline())


def peer_send(port: int, path: str) -> float:
    t0 = time.perf_counter()
    with open(path, "rb") as f, socket.create_connection(("127.0.0.1", port)) as s:
        s.sendfile(f)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)  # the sink closes once it has read everything
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", help="a 42-F2 .BIN (default: export the bundled twin)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench-push-")
    try:
        path = args.file
        if path is None:
            path = os.path.join(work, "LOOP.BIN")
            print("exporting the bundled twin for 3dcircle-42f2 ...", file=sys.stderr)
            subprocess.run(
                [sys.executable, "-m", "holopack", "export", "--device", "3dcircle-42f2", "-o", path, "-q"],
                check=True,
                cwd=ROOT,
            )
        size = os.path.getsize(path)
        plan = plan_uploads(path, device="3dcircle-42f2")
        store = os.path.join(work, "card")
        fan, address = start_emulator(store)
        sink, sink_port = start_sink()
        host, port = address.rsplit(":", 1)
        client = Client42F2(host, int(port))
        times = {"upload": [], "push": [], "peer": []}
        try:
            for _ in range(args.repeats):
                times["peer"].append(peer_send(sink_port, path))
                t0 = time.perf_counter()
                client.upload(path, "LOOP.BIN")
                times["upload"].append(time.perf_counter() - t0)
                os.remove(os.path.join(store, "LOOP.BIN"))
                t0 = time.perf_counter()
                report = push_plan(plan, address, retries=0)
                times["push"].append(time.perf_counter() - t0)
                if not report.ok:
                    raise SystemExit(f"push failed: {report.error}")
                os.remove(os.path.join(store, "LOOP.BIN"))
        finally:
            fan.terminate()
            sink.terminate()
            fan.wait()
            sink.wait()
        rate = {k: size / statistics.median(v) / 1e6 for k, v in times.items()}
        print(
            f"file: {os.path.basename(path)}, {size:,} bytes ({size / 129024:g} frames); "
            f"median of {args.repeats} runs"
        )
        for key in ("upload", "push", "peer"):
            ratio = rate[key] / rate["peer"]
            print(f"{key:7s} {rate[key]:8.1f} MB/s   ratio to peer {ratio:5.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
