"""Catalogues packed and long clips exported on a local Dask cluster, as a chain runs them,
with the faults a cluster meets: workers killed, late or of another version, the
scheduler lost, a worker's temporary folder full or read-only, Ctrl-C and the re-run.

The cluster is a ``dask scheduler`` and two single-thread ``dask worker`` processes on
127.0.0.1 (tests/_cluster_helpers.LoopbackCluster, no nanny, so a killed worker stays
dead), started by this script; cases that break their cluster start one of their own.
Every input is made in the scratch folder (copies of the Duck and the twin, H.264 clips
and PNG pictures written with the bundled ffmpeg and Pillow); items are tiny
(``seconds = 0.1``, ``size = 32``) so that the sweep takes minutes on two shared cores.

What a row checks, as each case applies:

- the package (or file) has the bytes of a serial run in this machine's processes
  (every file but the manifests, whose items are compared without their time stamps);
- ``holopack validate`` passes the package;
- progress reached stderr (without ``-q``);
- a fault: a non-zero exit, exactly one line on stderr naming it, no traceback, and no
  partial package (nothing half-written; a pack keeps only finished files);
- the client's peak memory (``/usr/bin/time``'s maximum RSS) flat in the number of items.

    python benchmarks/cluster_sweep.py [--out SCRATCH] [--only NAME,...]

CLUSTER_SWEEP_DEBUG=1 runs the background packs with ``--debug`` (a traceback in
``<case>/stderr.txt`` of the worker-kill case).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))
from _cluster_helpers import LoopbackCluster, _env  # noqa: E402  (tests/ is not a package)
from playlist_sweep import item, write_clip, write_picture  # noqa: E402

DUCK = ROOT / "tests" / "data" / "Duck" / "Duck.glb"
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"
SMALL = "[defaults]\nseconds = 0.1\nsize = 32\n"
DEVICES = ["3dcircle-42f2", "hypervsn"]
CASE_TIMEOUT = 300  # seconds for one holopack command
DEBUG = ["--debug"] if os.environ.get("CLUSTER_SWEEP_DEBUG") else []


# ---- running holopack ------------------------------------------------------------------------
def hp(*args, timeout=CASE_TIMEOUT, env=None, cwd=None) -> tuple[int, str, str, int]:
    """(exit status, stdout, stderr, peak RSS in KiB) of the holopack command."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        cmd = ["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name, sys.executable, "-m", "holopack"]
        p = subprocess.run(
            cmd + [str(a) for a in args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_env(env),
            cwd=cwd,
        )
        text = rss.read().strip().splitlines()
    peak = int(text[-1]) if text and text[-1].isdigit() else 0
    return p.returncode, p.stdout, p.stderr, peak


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict:
    """{relative path: SHA-256} of every file but the manifests."""
    return {
        p.relative_to(folder).as_posix(): sha(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def items_of(folder: Path) -> dict:
    drop = ("rendered_at", "render_seconds")
    out = {}
    for manifest in sorted(folder.glob("*/manifest.json")):
        items = json.loads(manifest.read_text())["items"]
        out[manifest.parent.name] = [{k: v for k, v in e.items() if k not in drop} for e in items]
    return out


def same_as(a: Path, b: Path) -> list[str]:
    """Differences between two packages (bytes of every file, manifest items)."""
    ta, tb = tree(a), tree(b)
    faults = []
    if ta != tb:
        diff = sorted(k for k in ta.keys() | tb.keys() if ta.get(k) != tb.get(k))
        faults.append(f"{len(diff)} files differ from serial: {diff[:3]}")
    if items_of(a) != items_of(b):
        faults.append("manifest items differ from serial")
    return faults


def validate(out: Path) -> list[str]:
    rc, so, se, _ = hp("validate", out, "-q")
    return [] if rc == 0 else [f"validate rc {rc}: {(so + se).strip().splitlines()[:2]}"]


def one_line(rc: int, se: str, fragments=(), want_rc=None) -> list[str]:
    """A fault: non-zero exit, one line on stderr naming ``fragments``, no traceback."""
    lines = [ln for ln in se.splitlines() if ln.strip()]
    bad = []
    if rc == 0 or (want_rc is not None and rc != want_rc):
        bad.append(f"exit {rc}")
    if "Traceback" in se:
        bad.append("traceback")
    if len(lines) != 1:
        bad.append(f"{len(lines)} lines: {[ln[:90] for ln in lines[:3]]}")
    for frag in fragments:
        if frag.lower() not in se.lower():
            bad.append(f"{frag!r} not named")
    return bad


def row(faults: list[str], detail: str) -> str:
    return ("FAIL " + "; ".join(faults) if faults else "ok") + f" | {detail}"


def summary(se: str) -> str:
    """'N rendered, M unchanged' of pack's summary line."""
    for line in se.splitlines():
        if line.startswith("packed ") and "rendered," in line:
            return line.rsplit(": ", 1)[1].strip()
    return "?"


def last(se: str) -> str:
    lines = [ln for ln in se.strip().splitlines() if ln.strip()]
    return lines[-1][:150] if lines else ""


# ---- inputs ----------------------------------------------------------------------------------
def make_inputs(d: Path) -> None:
    """Models, clips and pictures under ``d`` (written once per scratch folder)."""
    if (d / ".made").exists():
        return
    d.mkdir(parents=True, exist_ok=True)
    shutil.copy(DUCK, d / "duck.glb")
    shutil.copy(TWIN, d / "twin.glb")
    colours = [(40, 200, 255), (255, 90, 40), (120, 255, 80), (250, 250, 60)]
    for k, colour in enumerate(colours):
        write_clip(d / f"clip{k}.mp4", frames=6, size=48, colour=colour)
        write_picture(d / f"pic{k}.png", colour=colour[::-1])
    # a keyed video: a disc on green, for --key auto --crop auto
    import imageio_ffmpeg
    import numpy as np

    w = imageio_ffmpeg.write_frames(
        str(d / "green.mp4"), (96, 64), fps=30, macro_block_size=2, ffmpeg_log_level="error"
    )
    w.send(None)
    y, x = np.mgrid[0:64, 0:96]
    for i in range(40):
        f = np.zeros((64, 96, 3), np.uint8)
        f[:] = (20, 200, 40)
        f[(x - 30 - i) ** 2 + (y - 32) ** 2 < 14**2] = (230, 120, 200)
        w.send(f)
    w.close()
    (d / "wall.toml").write_text(
        'device = "3dcircle-42f2"\nname = "lobby"\n[grid]\nrows = 1\ncols = 2\npitch = 400.0\n'
    )
    (d / ".made").write_text("")


def catalogue(n: int) -> str:
    """``n`` items cycling through the models, clips and pictures, plus a wall item."""
    sources = ["duck.glb", "clip0.mp4", "pic0.png", "clip1.mp4", "pic1.png", "twin.glb", "clip2.mp4"]
    body = f"devices = {json.dumps(DEVICES)}\n" + SMALL
    for k in range(n):
        src = sources[k % len(sources)]
        extra = {"yaw": (k * 37) % 360} if src.endswith(".glb") else {}
        body += item(src, f"item {k:02d}", **extra)
    body += item("clip3.mp4", "window", wall="wall.toml")
    return body


def pack(cluster, d: Path, playlist="list.toml", out="out", *extra, quiet=True, env=None):
    args = ["pack", d / playlist, "-o", d / out, "--preview-frames", "2", "--cluster", cluster.address]
    return hp(*args, *(["-q"] if quiet else []), *extra, env=env)


def serial(d: Path, playlist="list.toml", out="serial"):
    rc, so, se, _ = hp("pack", d / playlist, "-o", d / out, "--preview-frames", "2", "-q", "-j", "1")
    if rc != 0:
        raise RuntimeError(f"serial pack failed: {last(se)}")
    return d / out


def case_folder(scratch: Path, name: str) -> Path:
    d = scratch / name
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(scratch / "inputs", d, symlinks=True)
    return d


def leftovers(d: Path) -> list[str]:
    """Staging folders or temporary files a run left beside its output."""
    return [p.name for p in d.iterdir() if ".holopack-" in p.name or ".partial" in p.name]


# ---- the cases -------------------------------------------------------------------------------
def case_catalogue(ctx, d: Path) -> str:
    (d / "list.toml").write_text(catalogue(36))
    ref = serial(d)
    t = time.perf_counter()
    rc, so, se, peak = pack(ctx.cluster, d, quiet=False)
    took = time.perf_counter() - t
    if rc != 0:
        return row([f"pack rc {rc}: {last(se)}"], "")
    faults = same_as(d / "out", ref) + validate(d / "out")
    if "pack 72/72 files" not in se:
        faults.append("no progress line")
    workers = [ln for ln in se.splitlines() if ln.startswith("  tcp://")]
    if len(workers) != 2:
        faults.append(f"{len(workers)} worker lines")
    # a catalogue of 6 items: the client's peak memory must not grow with the items
    (d / "small.toml").write_text(catalogue(6))
    rc2, _, se2, small_peak = pack(ctx.cluster, d, "small.toml", "small")
    if rc2 != 0:
        faults.append(f"small pack rc {rc2}: {last(se2)}")
    ratio = peak / max(small_peak, 1)
    if ratio > 1.25:
        faults.append(f"client peak RSS grows with the items: {ratio:.2f}x")
    ctx.peaks = (small_peak, peak)
    return row(
        faults,
        f"72 files + wall in {took:.0f} s; client peak RSS {small_peak / 1024:.0f} MiB (6 items) "
        f"-> {peak / 1024:.0f} MiB (36 items)",
    )


def case_names(ctx, d: Path) -> str:
    """One input by two items, ./a.glb and a.glb, a symlink, unicode and space names."""
    (d / "sub dir").mkdir()
    shutil.copy(d / "duck.glb", d / "sub dir" / "Ente ü.glb")
    os.symlink("duck.glb", d / "link.glb")
    body = f"devices = {json.dumps(DEVICES)}\n" + SMALL
    body += item("duck.glb", "a") + item("duck.glb", "b") + item("./duck.glb", "c")
    body += item("link.glb", "d") + item("sub dir/Ente ü.glb", "Ente ü 金魚") + item("pic0.png", "e f")
    (d / "list.toml").write_text(body)
    ref = serial(d)
    rc, so, se, _ = pack(ctx.cluster, d)
    if rc != 0:
        return row([f"pack rc {rc}: {last(se)}"], "")
    faults = same_as(d / "out", ref) + validate(d / "out")
    files = sorted(p.name for p in (d / "out" / "hypervsn" / "files").iterdir())
    return row(faults, " ".join(files))


def case_two_items_one_name(ctx, d: Path) -> str:
    (d / "list.toml").write_text(
        f"devices = {json.dumps(DEVICES)}\n" + SMALL + item("duck.glb", "same") + item("pic0.png", "same")
    )
    rc, so, se, _ = pack(ctx.cluster, d)
    faults = one_line(rc, se, ["same"], want_rc=2)
    if (d / "out").exists():
        faults.append("left a package")
    return row(faults, last(se))


def case_worker_killed(ctx, d: Path) -> str:
    """A worker SIGKILLed once the first file is written: Dask reruns its task elsewhere."""
    (d / "list.toml").write_text(catalogue(10))
    ref = serial(d)
    cluster = ctx.cluster
    proc = subprocess.Popen(
        [sys.executable, "-m", "holopack", *DEBUG, "pack", str(d / "list.toml"), "-o", str(d / "out"),
         "--preview-frames", "2", "--cluster", cluster.address, "-q"],
        env=_env(), stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    victim = cluster.workers[0]
    killed = wait_for_staged_file(d, proc, 1) and (cluster.kill_worker(victim) or True)
    try:
        _, se = proc.communicate(timeout=CASE_TIMEOUT)
    finally:
        cluster.add_worker()
        cluster.workers.remove(victim)
    cluster.wait_for_workers(2)
    (d / "stderr.txt").write_text(se)
    if proc.returncode != 0:
        return row([f"pack rc {proc.returncode}: {last(se)}"], f"killed: {killed}")
    faults = same_as(d / "out", ref) + validate(d / "out")
    if not killed:
        faults.append("the run ended before the kill")
    return row(faults, "worker killed after the first file")


def wait_for_staged_file(d: Path, proc, count: int, timeout: float = 120) -> bool:
    """Wait until a pack run in ``d`` has written ``count`` device files to its staging."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        staged = [p for p in d.glob(".out.holopack-*/package/*/files/*") if not p.name.startswith(".")]
        if len(staged) >= count:
            return True
        time.sleep(0.05)
    return False


def case_worker_late(ctx, d: Path) -> str:
    """A run that starts with one worker; the second joins a few seconds in."""
    (d / "list.toml").write_text(catalogue(10))
    ref = serial(d)
    cluster = LoopbackCluster(d / "dask", workers=1)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "holopack", *DEBUG, "pack", str(d / "list.toml"), "-o", str(d / "out"),
             "--preview-frames", "2", "--cluster", cluster.address],
            env=_env(), stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        wait_for_staged_file(d, proc, 1)
        cluster.add_worker()
        _, se = proc.communicate(timeout=CASE_TIMEOUT)
    finally:
        cluster.close()
    if proc.returncode != 0:
        return row([f"pack rc {proc.returncode}: {last(se)}"], "")
    faults = same_as(d / "out", ref) + validate(d / "out")
    workers = [ln.strip() for ln in se.splitlines() if ln.startswith("  tcp://")]
    if len(workers) != 2:
        faults.append(f"the late worker got no task: {workers}")
    return row(faults, "; ".join(w.split(",")[0] for w in workers))


def case_worker_late_then_first_killed(ctx, d: Path) -> str:
    """One worker, a second joins, then the first is killed: its queued tasks must go on."""
    (d / "list.toml").write_text(catalogue(8))
    ref = serial(d)
    cluster = LoopbackCluster(d / "dask", workers=1)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "holopack", *DEBUG, "pack", str(d / "list.toml"), "-o", str(d / "out"),
             "--preview-frames", "2", "--cluster", cluster.address, "-q"],
            env=_env(), stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        wait_for_staged_file(d, proc, 1)
        cluster.add_worker()
        cluster.wait_for_workers(2)
        time.sleep(1.0)
        cluster.kill_worker(cluster.workers[0])
        try:
            _, se = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            _, se = proc.communicate(timeout=30)
            return row(["hung (120 s) after the first worker died"], last(se))
    finally:
        cluster.close()
    if proc.returncode != 0:
        return row([f"pack rc {proc.returncode}: {last(se)}"], "")
    return row(same_as(d / "out", ref) + validate(d / "out"), "finished on the late worker")


def _preload(d: Path, text: str) -> Path:
    path = d / f"preload_{abs(hash(text)) % 10**8}.py"
    path.write_text(textwrap.dedent(text))
    return path


def case_worker_other_numpy(ctx, d: Path) -> str:
    """A cluster whose only worker runs another NumPy: it must be refused, and said so."""
    (d / "list.toml").write_text(f"devices = {json.dumps(DEVICES)}\n" + SMALL + item("duck.glb", "a"))
    pre = _preload(d, "import numba  # noqa\nimport numpy\nnumpy.__version__ = '1.0.0+other'\n")
    cluster = LoopbackCluster(d / "dask", workers=1, preload=pre)
    try:
        rc, so, se, _ = pack(cluster, d, env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "5s"})
    finally:
        cluster.close()
    faults = one_line(rc, se, ["refused", "numpy 1.0.0+other"])
    if (d / "out").exists():
        faults.append("left a package")
    return row(faults, f"rc {rc} | {last(se)}")


def case_worker_other_holopack_beside_good(ctx, d: Path) -> str:
    """A good worker and one of another holopack: told once, the run on the good one."""
    (d / "list.toml").write_text(catalogue(4))
    ref = serial(d)
    pre = _preload(d, "import holopack\nholopack.__version__ = '0.0.0+other'\n")
    cluster = LoopbackCluster(d / "dask", workers=1)
    try:
        cluster.add_worker(preload=pre)
        cluster.wait_for_workers(2)
        rc, so, se, _ = pack(cluster, d)
    finally:
        cluster.close()
    if rc != 0:
        return row([f"pack rc {rc}: {last(se)}"], "")
    faults = same_as(d / "out", ref)
    told = [ln for ln in se.splitlines() if "refusing Dask worker" in ln]
    if len(told) != 1:
        faults.append(f"{len(told)} refusal lines")
    return row(faults, told[0][:120] if told else "")


def case_scheduler_gone_before(ctx, d: Path) -> str:
    (d / "list.toml").write_text(catalogue(3))
    cluster = LoopbackCluster(d / "dask", workers=1)
    address = cluster.address
    cluster.kill_scheduler()
    try:
        t = time.perf_counter()
        rc, so, se, _ = hp(
            "pack", d / "list.toml", "-o", d / "out", "--cluster", address, "-q",
            env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "5s"},
        )  # fmt: skip
        took = time.perf_counter() - t
    finally:
        cluster.close()
    faults = one_line(rc, se, [address], want_rc=1)
    if (d / "out").exists() or leftovers(d):
        faults.append("left output")
    return row(faults, f"{took:.0f} s | {last(se)}")


def rerun_after_stop(ctx, d: Path, ref: Path, faults: list[str]) -> tuple[int, str]:
    """After a run that stopped part-way: no staging left, then a re-run on the sweep's
    cluster must give the serial package, keeping the files the stopped run finished.
    Appends to ``faults``; returns (files kept, the re-run's stderr)."""
    if leftovers(d):
        faults.append(f"left {leftovers(d)}")
    kept = len(list((d / "out").glob("*/files/*"))) if (d / "out").exists() else 0
    rc, _, se2, _ = pack(ctx.cluster, d)
    if rc != 0:
        faults.append(f"re-run rc {rc}: {last(se2)}")
    else:
        faults += same_as(d / "out", ref) + validate(d / "out")
        if kept and f"{kept} unchanged" not in summary(se2):
            faults.append(f"re-run kept other than the {kept} files")
    return kept, se2


def case_scheduler_gone_mid(ctx, d: Path) -> str:
    """The scheduler killed after the first file; then a re-run on a new cluster."""
    (d / "list.toml").write_text(catalogue(8))
    ref = serial(d)
    cluster = LoopbackCluster(d / "dask", workers=2)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "holopack", *DEBUG, "pack", str(d / "list.toml"), "-o", str(d / "out"),
             "--preview-frames", "2", "--cluster", cluster.address, "-q"],
            env=_env(), stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        wait_for_staged_file(d, proc, 2)
        cluster.kill_scheduler()
        _, se = proc.communicate(timeout=120)
    finally:
        cluster.close()
    faults = one_line(proc.returncode, se, ["lost the Dask scheduler"], want_rc=1)
    kept, se2 = rerun_after_stop(ctx, d, ref, faults)
    return row(faults, f"{kept} files kept | {last(se)[:60]} | re-run: {summary(se2)}")


def case_worker_tmp_readonly(ctx, d: Path) -> str:
    """The only worker's $TMPDIR is read-only."""
    (d / "list.toml").write_text(catalogue(3))
    ro = d / "ro-tmp"
    ro.mkdir()
    os.chmod(ro, 0o555)
    # root ignores permission bits: a read-only bind mount in a mount namespace of its own
    return _tmp_case(d, ro, readonly=True)


def case_worker_tmp_full(ctx, d: Path) -> str:
    """The only worker's $TMPDIR is a full (tiny) file system."""
    (d / "list.toml").write_text(catalogue(3))
    return _tmp_case(d, d / "full-tmp", readonly=False)


def _tmp_case(d: Path, tmp: Path, readonly: bool) -> str:
    tmp.mkdir(exist_ok=True)
    cluster = LoopbackCluster(d / "dask", workers=0)
    worker = _namespaced_worker(cluster, tmp, readonly)
    try:
        cluster.wait_for_workers(1)
        rc, so, se, _ = pack(cluster, d)
    finally:
        worker.terminate()
        worker.wait(10)
        cluster.close()
    if rc == 0:  # Python's tempfile passes over a $TMPDIR it cannot write (to /tmp)
        return row(same_as(d / "out", serial(d)), "finished: the worker used another temporary folder")
    faults = one_line(rc, se, ["tcp://127.0.0.1", "temporary"])
    if leftovers(d) or (d / "out").exists():
        faults.append("left output")
    return row(faults, f"rc {rc} | {last(se)}")


def _namespaced_worker(cluster, tmp: Path, readonly: bool):
    """A worker in a mount namespace where ``tmp`` is its $TMPDIR, read-only or a 64 KiB
    tmpfs that fills up at once."""
    mount = (
        f"mount --bind {tmp} {tmp} && mount -o remount,bind,ro {tmp}"
        if readonly
        else f"mount -t tmpfs -o size=64k tmpfs {tmp} && head -c 60000 /dev/zero > {tmp}/filler || true"
    )
    worker_cmd = (
        f"{sys.executable} -m distributed.cli.dask_worker {cluster.address} --host 127.0.0.1 "
        "--nthreads 1 --no-nanny --no-dashboard --death-timeout 20"
    )
    return subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", f"{mount} && exec {worker_cmd}"],
        env=_env({"TMPDIR": str(tmp)}),
        stdout=cluster.log,
        stderr=subprocess.STDOUT,
    )


def case_shared_fs_unseen(ctx, d: Path) -> str:
    """--shared-fs, but the worker cannot see the input folder (an empty tmpfs over it)."""
    (d / "list.toml").write_text(f"devices = {json.dumps(DEVICES)}\n" + SMALL + item("duck.glb", "a"))
    cluster = LoopbackCluster(d / "dask", workers=0)
    hide = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         f"mount -t tmpfs tmpfs '{d}' && exec {sys.executable} -m distributed.cli.dask_worker "
         f"{cluster.address} --host 127.0.0.1 --nthreads 1 --no-nanny --no-dashboard"],
        env=_env(), stdout=cluster.log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        cluster.wait_for_workers(1)
        rc, so, se, _ = pack(cluster, d, "list.toml", "out", "--shared-fs")
    finally:
        hide.terminate()
        hide.wait(10)
        cluster.close()
    faults = one_line(rc, se, ["duck.glb", "worker"])
    if leftovers(d) or (d / "out").exists():
        faults.append("left output")
    return row(faults, f"rc {rc} | {last(se)}")


def case_ctrl_c_then_rerun(ctx, d: Path) -> str:
    (d / "list.toml").write_text(catalogue(10))
    ref = serial(d)
    proc = subprocess.Popen(
        [sys.executable, "-m", "holopack", *DEBUG, "pack", str(d / "list.toml"), "-o", str(d / "out"),
         "--preview-frames", "2", "--cluster", ctx.cluster.address, "-q"],
        env=_env(), stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait_for_staged_file(d, proc, 3)
    proc.send_signal(signal.SIGINT)
    _, se = proc.communicate(timeout=60)
    faults = one_line(proc.returncode, se, ["interrupted"], want_rc=130)
    if "no output was written" in se:
        faults.append("says no output was written, but the finished files are kept")
    kept, se2 = rerun_after_stop(ctx, d, ref, faults)
    return row(faults, f"{kept} kept | {last(se)[:70]} | re-run: {summary(se2)}")


def case_input_changed(ctx, d: Path) -> str:
    (d / "list.toml").write_text(
        f"devices = {json.dumps(DEVICES)}\n" + SMALL + item("pic0.png", "a") + item("duck.glb", "b")
    )
    rc, _, se, _ = pack(ctx.cluster, d)
    if rc != 0:
        return row([f"first pack rc {rc}: {last(se)}"], "")
    shutil.copy(d / "pic2.png", d / "pic0.png")
    rc, _, se, _ = pack(ctx.cluster, d)
    said = summary(se)
    faults = [] if "2 rendered, 2 unchanged" in said else [f"re-run: {said}"]
    faults += same_as(d / "out", serial(d)) + validate(d / "out")
    return row(faults, said)


def case_input_deleted(ctx, d: Path) -> str:
    (d / "list.toml").write_text(
        f"devices = {json.dumps(DEVICES)}\n" + SMALL + item("pic0.png", "a") + item("pic1.png", "b")
    )
    rc, _, se, _ = pack(ctx.cluster, d)
    if rc != 0:
        return row([f"first pack rc {rc}: {last(se)}"], "")
    before = tree(d / "out")
    os.remove(d / "pic1.png")
    rc, _, se, _ = pack(ctx.cluster, d)
    faults = one_line(rc, se, ["pic1.png"], want_rc=2)
    if tree(d / "out") != before:
        faults.append("the earlier package changed")
    return row(faults, last(se))


def case_library_input_changed(ctx, d: Path) -> str:
    """One executor for two packs in a notebook; the input changes between them."""
    (d / "list.toml").write_text(f"devices = {json.dumps(DEVICES)}\n" + SMALL + item("pic.png", "a"))
    shutil.copy(d / "pic0.png", d / "pic.png")
    script = f"""
        import shutil
        from holopack.cluster import connect
        from holopack.pack import pack
        with connect({ctx.cluster.address!r}) as ex:
            pack({str(d / "list.toml")!r}, {str(d / "out")!r}, progress=False, preview_frames=2, executor=ex)
            shutil.copy({str(d / "pic3.png")!r}, {str(d / "pic.png")!r})
            r = pack({str(d / "list.toml")!r}, {str(d / "out")!r}, progress=False, preview_frames=2, executor=ex)
            print(len(r.rendered), len(r.kept))
    """
    p = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                       env=_env(), timeout=CASE_TIMEOUT)  # fmt: skip
    if p.returncode != 0:
        return row([f"script rc {p.returncode}: {last(p.stderr)}"], "")
    faults = same_as(d / "out", serial(d)) + validate(d / "out")
    return row(faults, f"second pack rendered/kept: {p.stdout.strip()}")


def _export_case(ctx, d: Path, src: str, name: str, device: str, *extra) -> str:
    common = [d / src, "--device", device, "--seconds", "1.2", "--size", "48", *extra]
    (d / "s").mkdir()
    rc, _, se, _ = hp("export", *common, "-o", d / "s" / name, "-q")
    if rc != 0:
        return row([f"serial export rc {rc}: {last(se)}"], "")
    (d / "c").mkdir()
    rc, _, se, _ = hp("export", *common, "-o", d / "c" / name, "--cluster", ctx.cluster.address,
                      "--chunk-frames", "5")  # fmt: skip
    if rc != 0:
        return row([f"cluster export rc {rc}: {last(se)}"], "")
    faults = [] if sha(d / "c" / name) == sha(d / "s" / name) else ["bytes differ from serial"]
    chunks = [ln for ln in se.splitlines() if " chunks " in ln]
    if not chunks:
        faults.append("no progress line")
    if [p.name for p in (d / "c").iterdir()] != [name]:
        faults.append("leftovers")
    return row(faults, chunks[-1].strip()[:110] if chunks else "")


def case_export_model(ctx, d: Path) -> str:
    return _export_case(ctx, d, "twin.glb", "LOOP.BIN", "3dcircle-42f2")


def case_export_video_keyed(ctx, d: Path) -> str:
    return _export_case(ctx, d, "green.mp4", "loop.mp4", "hypervsn", "--key", "auto", "--crop", "auto")


def case_export_video_keyed_f2(ctx, d: Path) -> str:
    return _export_case(ctx, d, "green.mp4", "GREEN.BIN", "3dcircle-42f2", "--key", "auto", "--crop", "auto")


def case_library_errors(ctx, d: Path) -> str:
    """pack and export_chunked from a script: each fault raised as holopack's error type."""
    script = f"""
        import holopack.errors as E
        from holopack.cluster import connect
        from holopack.cluster.export import export_chunked
        from holopack.pack import pack
        out = []
        def expect(kind, fn):
            try:
                fn()
                out.append(f"{{kind.__name__}}: no error")
            except kind as exc:
                out.append("ok")
            except BaseException as exc:
                out.append(f"{{type(exc).__name__}} instead of {{kind.__name__}}: {{exc}}")
        with connect({ctx.cluster.address!r}) as ex:
            r = export_chunked({str(d / "duck.glb")!r}, {str(d / "LOOP.BIN")!r}, device="3dcircle-42f2",
                               seconds=0.3, size=32, executor=ex, progress=False)
            out.append(f"export {{r.frames}} frames {{r.chunks}} chunks")
            expect(E.InputError, lambda: export_chunked({str(d / "nope.glb")!r}, {str(d / "X.BIN")!r},
                   device="3dcircle-42f2", executor=ex, progress=False))
            expect(E.InputError, lambda: export_chunked({str(d / "duck.glb")!r}, {str(d / "X.BIN")!r},
                   device="no-such-fan", executor=ex, progress=False))
            expect(E.InputError, lambda: pack({str(d / "nope.toml")!r}, {str(d / "p")!r}, executor=ex))
            open({str(d / "bad.glb")!r}, "wb").write(b"glTF" + bytes(40))
            open({str(d / "bad.toml")!r}, "w").write('devices = ["hypervsn"]\\n[[items]]\\ninput = "bad.glb"\\n')
            expect(E.HolopackError, lambda: pack({str(d / "bad.toml")!r}, {str(d / "p")!r}, executor=ex, progress=False))
        print(" | ".join(out))
    """
    p = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                       env=_env(), timeout=CASE_TIMEOUT)  # fmt: skip
    if p.returncode != 0:
        return row([f"script rc {p.returncode}: {last(p.stderr)}"], "")
    text = p.stdout.strip()
    faults = [part for part in text.split(" | ")[1:] if part != "ok"]
    return row(faults, text[:160])


CASES = {
    "catalogue-36-items-2-devices-and-a-wall": case_catalogue,
    "names-same-input-dot-slash-symlink-unicode": case_names,
    "two-items-one-name": case_two_items_one_name,
    "worker-killed-mid-run": case_worker_killed,
    "worker-joins-late": case_worker_late,
    "worker-joins-late-then-first-killed": case_worker_late_then_first_killed,
    "worker-other-numpy": case_worker_other_numpy,
    "worker-other-holopack-beside-a-good-one": case_worker_other_holopack_beside_good,
    "scheduler-gone-before-start": case_scheduler_gone_before,
    "scheduler-gone-mid-run-then-rerun": case_scheduler_gone_mid,
    "worker-tmpdir-read-only": case_worker_tmp_readonly,
    "worker-tmpdir-full": case_worker_tmp_full,
    "shared-fs-worker-cannot-see-input": case_shared_fs_unseen,
    "ctrl-c-then-rerun": case_ctrl_c_then_rerun,
    "input-changed-between-runs": case_input_changed,
    "input-deleted-between-runs": case_input_deleted,
    "library-one-executor-input-changed": case_library_input_changed,
    "export-model-chunked": case_export_model,
    "export-video-key-crop-auto-mp4": case_export_video_keyed,
    "export-video-key-crop-auto-42f2": case_export_video_keyed_f2,
    "library-errors-are-holopack-types": case_library_errors,
}


class Context:
    cluster: LoopbackCluster
    peaks: tuple = ()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="scratch folder (default: a new temporary one)")
    ap.add_argument("--only", default="", help="comma-separated parts of the case names to run")
    args = ap.parse_args()
    scratch = Path(args.out or tempfile.mkdtemp(prefix="clustersweep-")).resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    names = [n for n in CASES if not args.only or any(k in n for k in args.only.split(","))]
    print(f"# scratch {scratch}; {os.popen('uptime').read().strip()}", flush=True)
    make_inputs(scratch / "inputs")
    ctx = Context()
    shutil.rmtree(scratch / "dask", ignore_errors=True)
    ctx.cluster = LoopbackCluster(scratch / "dask", workers=2)
    failed = 0
    try:
        for name in names:
            t = time.perf_counter()
            try:
                text = CASES[name](ctx, case_folder(scratch, name))
            except Exception as exc:  # the sweep goes on: the row says what broke
                text = f"FAIL {type(exc).__name__}: {str(exc)[:150]}"
                traceback.print_exc(file=sys.stderr)
            failed += text.startswith("FAIL")
            print(f"{name:45s} {time.perf_counter() - t:5.0f} s  {text}", flush=True)
    finally:
        ctx.cluster.close()
    print(f"# {len(names)} cases, {failed} failed; {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
