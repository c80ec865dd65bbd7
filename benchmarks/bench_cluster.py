"""The same 6-item playlist packed serially, with ``-j 2`` and on a 2-worker local Dask
cluster, in one run; then a long export in chunks of 16, 32 and 64 frames.

    python benchmarks/bench_cluster.py [--seconds 1] [--size 256] [--device 3dcircle-42f2]
                                       [--long-seconds 6] [--no-chunks]

The Dask cluster is a real scheduler and two worker processes on 127.0.0.1 (Dask's
own programs, one task thread and one Numba thread per worker, as ``-j 2`` runs its
processes), so its figures hold what a cluster adds: pickling, the scheduler's
round trips, input shipping and results coming back over TCP. Every mode first packs
a one-item warm-up playlist (the workers load the Numba cache once), then the
measured playlist with ``force`` (everything renders).

Printed: wall-clock seconds and ratios against the serial run; the per-task
overhead two ways (an empty task's round trip, and in the playlist run
``(wall x workers - sum of the tasks' own seconds) / tasks``); the bytes moved per
frame (inputs shipped plus results back); for the long export, frames per second
per chunk size next to the serial export of the same clip.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from _cluster_helpers import LoopbackCluster  # noqa: E402

import holopack  # noqa: E402
from holopack.cluster import connect  # noqa: E402
from holopack.cluster.export import export_chunked  # noqa: E402
from holopack.pack import pack  # noqa: E402

TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"
DUCK = ROOT / "tests" / "data" / "Duck" / "Duck.glb"


def write_playlist(folder: Path, items: int, seconds: float, size: int, device: str) -> Path:
    lines = [f'devices = ["{device}"]', "", "[defaults]", f"seconds = {seconds}", f"size = {size}", ""]
    for n in range(items):
        model = TWIN if n % 2 == 0 else DUCK
        lines += [
            "[[items]]",
            f'input = "{model.as_posix()}"',
            f'name = "item {n + 1}"',
            f"yaw = {15 * n}",
            "",
        ]
    path = folder / f"playlist-{items}.toml"
    path.write_text("\n".join(lines))
    return path


def timed_pack(playlist: Path, out: Path, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    report = pack(str(playlist), str(out), progress=False, force=True, preview_frames=8, **kwargs)
    return time.perf_counter() - started, report


def frames_of(report) -> int:
    return sum(int(item["frames"]) for m in report.manifests.values() for item in m["items"])


def _noop(x):
    return x


def empty_tasks(executor, count: int = 200) -> dict:
    """Wall time per empty task through the client (submit, schedule, run, result), with
    4 and with 32 in flight: what the client and scheduler cost per task, without renders."""
    from holopack.cluster.executors import ordered

    out = {}
    for window in (4, 32):
        started = time.perf_counter()
        list(ordered(executor, _noop, ((i,) for i in range(count)), window))
        out[str(window)] = round((time.perf_counter() - started) / count * 1e3, 2)
        print(
            f"  empty tasks, {window:2d} in flight: {out[str(window)]:.1f} ms each "
            f"({1e3 / out[str(window)]:.0f} tasks/s through one client)"
        )
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each playlist item")
    parser.add_argument("--size", type=int, default=256, help="render size in pixels")
    parser.add_argument("--device", default="3dcircle-42f2")
    parser.add_argument("--long-seconds", type=float, default=6.0, help="length of the long export")
    parser.add_argument("--no-chunks", action="store_true", help="skip the chunk-size sweep")
    parser.add_argument(
        "--only-overhead",
        action="store_true",
        help="only the empty-task throughput through the client (a cluster, no renders)",
    )
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args(argv)
    # a terminated run still stops its scheduler and workers (the finally blocks below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    work = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    figures: dict = {
        "device": args.device,
        "size": args.size,
        "seconds_per_item": args.seconds,
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg()[0],
    }
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start "
        "(other work on the machine slows every mode alike, not alike in ratio)"
    )
    try:
        if args.only_overhead:
            cluster = LoopbackCluster(work / "dask", workers=2)
            try:
                with connect(cluster.address, timeout=30) as executor:
                    figures["empty_task_ms"] = empty_tasks(executor)
            finally:
                cluster.close()
            return 0
        warm = write_playlist(work, 1, 0.1, args.size, args.device)
        playlist = write_playlist(work, 6, args.seconds, args.size, args.device)

        timed_pack(warm, work / "warm-serial", jobs=1)
        serial_s, serial = timed_pack(playlist, work / "serial", jobs=1)
        frames = frames_of(serial)
        timed_pack(warm, work / "warm-j2", jobs=2)
        local_s, local = timed_pack(playlist, work / "j2", jobs=2)

        started = time.perf_counter()
        cluster = LoopbackCluster(work / "dask", workers=2)
        start_s = time.perf_counter() - started
        try:
            with connect(cluster.address, timeout=30) as executor:
                timed_pack(warm, work / "warm-dask", executor=executor)
                shipped0, received0 = executor.bytes_shipped, executor.bytes_received
                busy0 = executor.task_seconds
                dask_s, dask = timed_pack(playlist, work / "dask-out", executor=executor)
                moved = (executor.bytes_shipped - shipped0) + (executor.bytes_received - received0)
                # the inputs were shipped during the warm-up already (same files): count them once
                shipped_total = executor.bytes_shipped

                noop_ms = empty_tasks(executor)

                same = all((work / "serial" / d).exists() for d in dask.manifests) and all(
                    a["sha256"] == b["sha256"]
                    for d in dask.manifests
                    for a, b in zip(dask.manifests[d]["items"], serial.manifests[d]["items"])
                )
                tasks = len(dask.rendered)
                busy = executor.task_seconds - busy0
                # what Dask adds over -j 2 (the same two single-thread processes' work), per task
                overhead_s = (dask_s - local_s) * 2 / tasks

                figures["playlist"] = {
                    "tasks": tasks,
                    "frames": frames,
                    "serial_s": round(serial_s, 2),
                    "j2_s": round(local_s, 2),
                    "dask_s": round(dask_s, 2),
                    "j2_speedup": round(serial_s / local_s, 3),
                    "dask_speedup": round(serial_s / dask_s, 3),
                    "dask_vs_j2": round(local_s / dask_s, 3),
                    "cluster_start_s": round(start_s, 2),
                    "empty_task_ms": noop_ms,
                    "per_task_overhead_vs_j2_s": round(overhead_s, 3),
                    "task_seconds_mean": round(busy / tasks, 3),
                    "worker_busy_fraction": round(busy / (dask_s * 2), 3),
                    "worker_seconds_per_frame": round(busy / frames, 4),
                    "bytes_results_per_frame": round((executor.bytes_received - received0) / frames),
                    "bytes_inputs_shipped_once": shipped_total,
                    "bytes_moved_per_frame": round(moved / frames + shipped_total / frames),
                    "byte_identical_to_serial": bool(same),
                }
                print_playlist(figures["playlist"])

                if not args.no_chunks:
                    figures["chunks"] = sweep(executor, work, args)
        finally:
            cluster.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures["load_average_at_end"] = os.getloadavg()[0]
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def print_playlist(p: dict) -> None:
    print(f"6-item playlist, {p['tasks']} tasks, {p['frames']} frames")
    print(f"  serial        {p['serial_s']:7.2f} s   1.00")
    print(f"  -j 2          {p['j2_s']:7.2f} s   {p['j2_speedup']:.2f} x serial")
    print(
        f"  Dask, 2 wkrs  {p['dask_s']:7.2f} s   {p['dask_speedup']:.2f} x serial, "
        f"{p['dask_vs_j2']:.2f} x -j 2   (cluster start {p['cluster_start_s']:.1f} s, not counted)"
    )
    print(
        f"  per-task overhead of Dask over -j 2: {p['per_task_overhead_vs_j2_s'] * 1e3:.0f} ms "
        f"((Dask wall - -j 2 wall) x 2 / tasks; a task takes {p['task_seconds_mean']:.2f} s on its "
        f"worker, workers busy {p['worker_busy_fraction'] * 100:.0f}% of the wall)"
    )
    print(
        f"  bytes moved per frame: {p['bytes_moved_per_frame']:,} (results back "
        f"{p['bytes_results_per_frame']:,}/frame; inputs shipped once: {p['bytes_inputs_shipped_once']:,} bytes)"
    )
    print(f"  byte-identical to serial: {p['byte_identical_to_serial']}")


def sweep(executor, work: Path, args) -> dict:
    """A long export of the twin: serial, then on the cluster in chunks of 16/32/64."""
    out: dict = {}
    common = dict(device=args.device, seconds=args.long_seconds, size=args.size, progress=False)
    started = time.perf_counter()
    result = holopack.export(str(TWIN), str(work / "serial.BIN"), **common)
    serial_s = time.perf_counter() - started
    out["frames"] = result.frames
    out["serial_fps"] = round(result.frames / serial_s, 2)
    print(f"long export, {result.frames} frames: serial {out['serial_fps']:.1f} fps")
    reference = (work / "serial.BIN").read_bytes()
    for chunk in (16, 32, 64):
        times = []
        for _ in range(3):
            received0 = executor.bytes_received
            started = time.perf_counter()
            r = export_chunked(
                str(TWIN), str(work / f"c{chunk}.BIN"), executor=executor, chunk_frames=chunk, **common
            )
            times.append(time.perf_counter() - started)
        wall = statistics.median(times)
        same = (work / f"c{chunk}.BIN").read_bytes() == reference
        per_frame = (executor.bytes_received - received0) / r.frames
        out[str(chunk)] = {
            "fps": round(r.frames / wall, 2),
            "vs_serial": round(serial_s / wall, 3),
            "bytes_back_per_frame": round(per_frame),
            "identical": same,
        }
        print(
            f"  chunks of {chunk:2d}: {r.frames / wall:6.1f} fps, {serial_s / wall:.2f} x serial, "
            f"{per_frame:,.0f} bytes back per frame, identical: {same} (median of 3)"
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
