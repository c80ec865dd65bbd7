"""Renders spread over a real Dask cluster on loopback give the serial run's bytes.

The reference is always a serial run in this process (holopack.export, pack with one
job): the property under test is that chunking, shipping, worker death and the
order in which results come back change nothing in the files.
"""

from __future__ import annotations

import hashlib
import json
import os
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from _cluster_helpers import LoopbackCluster, holopack_cli, holopack_popen
from PIL import Image

import holopack
from holopack.cluster.executors import InProcessExecutor
from holopack.cluster.export import export_chunked
from holopack.device import load_profile
from holopack.device.encode import PolarEncoder
from holopack.pack import pack

ROOT = Path(__file__).resolve().parent.parent
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"
DUCK = ROOT / "tests" / "data" / "Duck" / "Duck.glb"
HELMET = ROOT / "tests" / "data" / "FlightHelmet" / "FlightHelmet.gltf"
SIZE = 48  # small pictures: these tests are about bytes and order, not looks


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tree(folder: Path) -> dict:
    """{relative path: SHA-256} of every file under ``folder`` but the manifests, whose
    time stamps differ between runs (their items are compared separately)."""
    return {
        p.relative_to(folder).as_posix(): sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def manifest_items(folder: Path, device: str) -> list:
    drop = ("rendered_at", "render_seconds")
    items = json.loads((folder / device / "manifest.json").read_text())["items"]
    return [{k: v for k, v in item.items() if k not in drop} for item in items]


# -- without a cluster: chunks and determinism ------------------------------------------
@pytest.mark.parametrize(
    "device, name", [("3dcircle-42f2", "LOOP.BIN"), ("diy-apa102", "loop.hps"), ("hypervsn", "loop.mp4")]
)
def test_chunks_written_in_frame_order_give_the_serial_files_bytes(tmp_path, device, name):
    # a fan file's name follows the fan's rules (8.3, upper case for the 42-F2)
    (tmp_path / "serial").mkdir()
    (tmp_path / "chunked").mkdir()
    serial = tmp_path / "serial" / name
    chunked = tmp_path / "chunked" / name
    holopack.export(str(TWIN), str(serial), device=device, seconds=0.5, size=SIZE, progress=False)
    with InProcessExecutor() as executor:
        result = export_chunked(
            str(TWIN),
            str(chunked),
            device=device,
            seconds=0.5,
            size=SIZE,
            progress=False,
            executor=executor,
            chunk_frames=4,
        )
    assert result.chunks == -(-result.frames // 4) > 1
    assert sha256(chunked) == sha256(serial)


def test_chunks_in_local_processes_give_the_serial_files_bytes(tmp_path):
    from holopack.cluster.executors import LocalProcessExecutor

    holopack.export(
        str(DUCK), str(tmp_path / "serial.hps"), device="diy-apa102", seconds=0.4, size=SIZE, progress=False
    )
    with LocalProcessExecutor(2) as executor:
        result = export_chunked(
            str(DUCK),
            str(tmp_path / "local.hps"),
            device="diy-apa102",
            seconds=0.4,
            size=SIZE,
            progress=False,
            executor=executor,
            chunk_frames=3,
        )
    assert len(result.workers) == 2  # both processes rendered
    assert sha256(tmp_path / "local.hps") == sha256(tmp_path / "serial.hps")


class _SchedulerLostAfter(InProcessExecutor):
    """Runs tasks here until the ``count``-th submission, then fails as a DaskExecutor
    does when its scheduler is gone."""

    def __init__(self, count: int):
        self.count = count

    def submit(self, fn, *args):
        from holopack.errors import ClusterError

        self.count -= 1
        if self.count < 0:
            raise ClusterError("lost the Dask scheduler at tcp://test:8786; no partial output was written")
        return super().submit(fn, *args)


def test_a_pack_that_loses_its_scheduler_keeps_finished_files_for_the_rerun(tmp_path):
    from holopack.errors import ClusterError

    playlist = _playlist(tmp_path, [DUCK, DUCK, DUCK], ["diy-apa102"], seconds=0.2)
    out = tmp_path / "package"
    with pytest.raises(ClusterError, match="lost the Dask scheduler"):
        pack(str(playlist), str(out), progress=False, preview_frames=2, executor=_SchedulerLostAfter(2))
    manifest = json.loads((out / "diy-apa102" / "manifest.json").read_text())
    assert [item["index"] for item in manifest["items"]] == [1, 2]  # only what was finished
    assert sorted(p.name for p in (out / "diy-apa102" / "files").iterdir()) == [
        "01_duck_0.hps",
        "02_duck_1.hps",
    ]  # and no partial file
    rerun = pack(str(playlist), str(out), progress=False, preview_frames=2, executor=InProcessExecutor())
    assert len(rerun.kept) == 2 and len(rerun.rendered) == 1
    serial = pack(str(playlist), str(tmp_path / "serial"), jobs=1, progress=False, preview_frames=2)
    assert tree(out) == tree(tmp_path / "serial") and len(serial.rendered) == 3


def test_a_frames_codes_depend_on_its_index_not_on_the_frames_before(tmp_path):
    """The dither map walks with the frame index: encoding frames out of order (as
    chunks on different workers do) gives each frame the same codes."""
    profile = load_profile("3dcircle-42f2")
    rng = np.random.default_rng(3)
    pictures = [rng.random((64, 64, 3), dtype=np.float32) for _ in range(10)]
    forward = PolarEncoder(profile, 64)
    backward = PolarEncoder(profile, 64)
    ahead = [forward.encode(p, i).copy() for i, p in enumerate(pictures)]
    behind = {i: backward.encode(pictures[i], i).copy() for i in reversed(range(10))}
    for i in range(10):
        np.testing.assert_array_equal(ahead[i], behind[i])
    assert not np.array_equal(ahead[0], PolarEncoder(profile, 64).encode(pictures[0], 1))  # it does walk


def test_an_input_bundle_holds_the_gltf_with_its_buffers_and_textures(tmp_path):
    from holopack.cluster.inputs import materialise, read_bundle

    bundle = read_bundle(str(HELMET))
    doc = json.loads(HELMET.read_text())
    wanted = {"FlightHelmet.gltf"} | {b["uri"] for b in doc["buffers"]} | {i["uri"] for i in doc["images"]}
    assert {rel for rel, _ in bundle.files} == wanted
    main = materialise(bundle, cache_root=str(tmp_path))
    assert Path(main).name == "FlightHelmet.gltf"
    for rel in wanted:
        assert sha256(Path(main).parent / rel) == sha256(HELMET.parent / rel)
    assert materialise(bundle, cache_root=str(tmp_path)) == main  # written once, then reused
    assert read_bundle(str(HELMET)).sha256 == bundle.sha256


def test_an_input_bundle_of_a_picture_folder_is_the_same_clip_on_the_worker(tmp_path):
    from holopack.cluster.inputs import materialise, read_bundle

    clip = tmp_path / "clip"
    clip.mkdir()
    rng = np.random.default_rng(3)
    pictures = [rng.integers(0, 256, (12, 16, 3), dtype=np.uint8) for _ in range(3)]
    for i, picture in enumerate(pictures):  # frame10 plays after frame2: natural order
        Image.fromarray(picture).save(clip / f"frame{i * 5}.png")
    bundle = read_bundle(str(clip))
    assert [rel for rel, _ in bundle.files] == ["frame0.png", "frame5.png", "frame10.png"]
    main = materialise(bundle, cache_root=str(tmp_path / "cache"))
    assert os.path.isdir(main)
    frames = list(holopack.load(main).media.frames())
    assert len(frames) == 3 and all(np.array_equal(f, p) for f, p in zip(frames, pictures))
    assert materialise(bundle, cache_root=str(tmp_path / "cache")) == main  # written once, then reused


def test_without_the_extra_cluster_exits_2_naming_it(tmp_path):
    # a fresh interpreter in which dask and distributed cannot be imported, as after a
    # plain `pip install holopack`
    block = tmp_path / "site"
    block.mkdir()
    (block / "sitecustomize.py").write_text(
        textwrap.dedent("""\
        import sys
        class _NoDask:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("dask", "distributed"):
                    raise ImportError(f"No module named {name!r}")
                return None
        sys.meta_path.insert(0, _NoDask())
        """)
    )
    env = {"PYTHONPATH": f"{block}{os.pathsep}{ROOT}"}
    for args in (
        [
            "export",
            "--cluster",
            "tcp://127.0.0.1:9",
            "--device",
            "3dcircle-42f2",
            "-o",
            str(tmp_path / "X.BIN"),
        ],
        [
            "pack",
            str(_playlist(tmp_path, [DUCK], ["3dcircle-42f2"])),
            "--cluster",
            "tcp://127.0.0.1:9",
            "-o",
            str(tmp_path / "package"),
        ],
    ):
        run = holopack_cli(args, env)
        assert run.returncode == 2, run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "pip install holopack[cluster]" in lines[0], run.stderr
    assert not (tmp_path / "X.BIN").exists() and not (tmp_path / "package").exists()


def test_an_unreachable_scheduler_is_one_line(tmp_path):
    run = holopack_cli(
        [
            "export",
            "--cluster",
            "tcp://127.0.0.1:9",
            "--device",
            "3dcircle-42f2",
            "-o",
            str(tmp_path / "X.BIN"),
        ]
    )
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in lines[0]
    assert list(tmp_path.iterdir()) == []


def _playlist(folder: Path, inputs: list, devices: list, seconds: float = 0.4) -> Path:
    items = "".join(
        f'\n[[items]]\ninput = "{Path(p).as_posix()}"\nname = "{Path(p).stem} {n}"\n'
        for n, p in enumerate(inputs)
    )
    path = folder / "shop.toml"
    path.write_text(
        f"devices = {json.dumps(devices)}\n\n[defaults]\nseconds = {seconds}\nsize = {SIZE}\n{items}"
    )
    return path


# -- on a cluster -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two worker processes on 127.0.0.1, shared by the tests below."""
    running = LoopbackCluster(tmp_path_factory.mktemp("dask"), workers=2)
    yield running
    running.close()


def test_a_playlist_packed_on_the_cluster_matches_the_serial_package(cluster, tmp_path):
    playlist = _playlist(tmp_path, [DUCK, TWIN], ["3dcircle-42f2", "hypervsn"], seconds=0.2)
    serial = pack(str(playlist), str(tmp_path / "serial"), jobs=1, progress=False, preview_frames=2)
    run = holopack_cli(
        [
            "pack",
            str(playlist),
            "-o",
            str(tmp_path / "cluster"),
            "--cluster",
            cluster.address,
            "--preview-frames",
            "2",
            "-q",
        ]
    )
    assert run.returncode == 0, run.stderr
    assert len(serial.rendered) == 4
    assert tree(tmp_path / "cluster") == tree(tmp_path / "serial")
    for device in ("3dcircle-42f2", "hypervsn"):
        assert manifest_items(tmp_path / "cluster", device) == manifest_items(tmp_path / "serial", device)
    # the summary names the workers that rendered, with their figures
    workers = [line for line in run.stderr.splitlines() if line.startswith("  tcp://127.0.0.1:")]
    assert workers and sum(int(line.split(": ")[1].split()[0]) for line in workers) == 4


def test_a_long_export_on_the_cluster_matches_the_serial_file(cluster, tmp_path):
    serial = tmp_path / "SERIAL.BIN"
    holopack.export(str(TWIN), str(serial), device="3dcircle-42f2", seconds=1.0, size=SIZE, progress=False)
    run = holopack_cli(
        [
            "export",
            str(TWIN),
            "--cluster",
            cluster.address,
            "--device",
            "3dcircle-42f2",
            "--seconds",
            "1.0",
            "--size",
            str(SIZE),
            "-o",
            str(tmp_path / "LOOP.BIN"),
            "--chunk-frames",
            "4",
        ]
    )
    assert run.returncode == 0, run.stderr
    assert "8/8 chunks  30/30 frames" in run.stderr  # the combined progress line
    assert sha256(tmp_path / "LOOP.BIN") == sha256(serial)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LOOP.BIN", "SERIAL.BIN"]  # no leftovers


def test_a_zipped_model_in_a_variant_on_the_cluster_matches_the_serial_file(cluster, tmp_path):
    """The worker gets the archive as the input and the variant with the settings."""
    import zipfile

    from test_material_variants import colourway_model

    model = colourway_model(tmp_path / "shoe.gltf")
    with zipfile.ZipFile(tmp_path / "shoe.zip", "w") as zf:
        zf.write(model, "scene.gltf")
    common = ["--device", "3dcircle-42f2", "--seconds", "0.3", "--size", str(SIZE), "--variant", "Midnight"]
    serial = tmp_path / "SERIAL.BIN"
    holopack.export(
        str(tmp_path / "shoe.zip"),
        str(serial),
        device="3dcircle-42f2",
        seconds=0.3,
        size=SIZE,
        variant="Midnight",
        progress=False,
    )
    run = holopack_cli(
        [
            "export",
            str(tmp_path / "shoe.zip"),
            "--cluster",
            cluster.address,
            *common,
            "-o",
            str(tmp_path / "LOOP.BIN"),
        ]
    )
    assert run.returncode == 0, run.stderr
    assert sha256(tmp_path / "LOOP.BIN") == sha256(serial)
    plain = tmp_path / "PLAIN.BIN"
    holopack.export(
        str(tmp_path / "shoe.zip"), str(plain), device="3dcircle-42f2", seconds=0.3, size=SIZE, progress=False
    )
    assert sha256(plain) != sha256(serial)  # the variant drew other materials


def test_killing_a_worker_mid_export_still_gives_the_serial_bytes(cluster, tmp_path):
    from holopack.cluster import connect

    serial = tmp_path / "serial.hps"
    holopack.export(str(DUCK), str(serial), device="diy-apa102", seconds=1.6, size=SIZE, progress=False)
    victim = cluster.workers[0]
    killed = []

    def kill_once(done, total):
        if not killed:
            cluster.kill_worker(victim)
            killed.append(done)

    try:
        with connect(cluster.address, shared_fs=True, timeout=10) as executor:
            result = export_chunked(
                str(DUCK),
                str(tmp_path / "loop.hps"),
                device="diy-apa102",
                seconds=1.6,
                size=SIZE,
                executor=executor,
                chunk_frames=2,
                progress=kill_once,
            )
            executor.refresh(force=True)
            assert executor.alive() == 1
    finally:
        cluster.add_worker()  # for the tests after this one
    assert killed and killed[0] < result.frames and victim.poll() is not None
    assert sha256(tmp_path / "loop.hps") == sha256(serial)
    cluster.wait_for_workers(2)


# -- a cluster that fails ----------------------------------------------------------------
@pytest.fixture
def doomed(tmp_path):
    """A scheduler of its own with one worker that runs another holopack version."""
    preload = tmp_path / "other_version.py"
    preload.write_text("import holopack\nholopack.__version__ = '0.0.0+other'\n")
    running = LoopbackCluster(tmp_path / "dask", workers=1, preload=preload)
    yield running
    running.close()


def test_workers_of_another_version_are_refused_in_one_line_then_a_lost_scheduler_too(doomed, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    run = holopack_cli(
        [
            "export",
            str(DUCK),
            "--cluster",
            doomed.address,
            "--device",
            "3dcircle-42f2",
            "-o",
            str(out / "LOOP.BIN"),
            "--size",
            str(SIZE),
        ]
    )
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "refused" in lines[0] and "holopack 0.0.0+other" in lines[0] and holopack.__version__ in lines[0]
    assert list(out.iterdir()) == []

    # the same scheduler, now with a worker of this version only, lost in the middle of a run
    doomed.kill_worker(doomed.workers[0])
    doomed.add_worker()
    doomed.wait_for_workers(1)
    proc = holopack_popen(
        [
            "export",
            str(DUCK),
            "--cluster",
            doomed.address,
            "--device",
            "3dcircle-42f2",
            "-o",
            str(out / "LOOP.BIN"),
            "--size",
            str(SIZE),
            "--seconds",
            "20",
            "-q",
        ]
    )
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".partial.BIN") for p in out.iterdir()):  # chunks are on their way
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else ""
        time.sleep(0.05)
    doomed.kill_scheduler()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "lost the Dask scheduler at " + doomed.address in lines[0], err
    assert list(out.iterdir()) == []


# -- faults found by benchmarks/cluster_sweep.py --------------------------------------------
def test_a_worker_with_another_numpy_is_told_apart():
    """NumPy's array code between the kernels shapes the bytes as Numba's does: a worker
    that runs another NumPy is refused, and the line names it."""
    from holopack.cluster.versions import difference, local_versions

    ours = local_versions()
    assert ours["numpy"] == np.__version__
    assert difference(dict(ours), ours) is None
    why = difference(dict(ours, numpy="1.0.0+other"), ours)
    assert why == f"NumPy 1.0.0+other (this client: {np.__version__})"


def _blocked_until(ref, gate: str):
    """A task that holds its worker until the file ``gate`` exists; returns what its
    input reference names (an InputBundle's SHA-256)."""
    from holopack.cluster.inputs import InputBundle

    deadline = time.monotonic() + 60
    while not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.02)
    return ref.sha256 if isinstance(ref, InputBundle) else ref


def _collect(executor, tasks, limit: float = 60.0) -> list:
    """The tasks' results in order, with the executor checked while waiting as the
    windows do; fails instead of hanging."""
    deadline = time.monotonic() + limit
    out = []
    for task in tasks:
        while not executor.wait([task], 0.5):
            executor.check()
            assert time.monotonic() < deadline, "a task never finished"
        out.append(executor.result(task))
    return out


@pytest.fixture
def in_process_cluster():
    """A Dask scheduler and one worker thread in this process (LocalCluster,
    processes=False); its inproc:// address is one connect takes."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as running:
        yield running


def test_an_input_whose_every_copy_was_lost_is_shipped_again(in_process_cluster, tmp_path):
    """Every worker that held a shipped input died: its tasks are cancelled by Dask. The
    run ships the input again and finishes, instead of calling the scheduler lost."""
    from holopack.cluster import connect
    from holopack.cluster.inputs import read_bundle

    gate = str(tmp_path / "gate")
    with connect(in_process_cluster.scheduler_address, timeout=10) as executor:
        ref = executor.input_ref(str(DUCK))
        task = executor.submit(_blocked_until, ref, gate)
        executor.client.cancel([ref])  # the only copy gone, as with its worker
        deadline = time.monotonic() + 10
        while task.future.status != "cancelled":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        Path(gate).touch()
        assert _collect(executor, [task]) == [read_bundle(str(DUCK)).sha256]
        assert task.recovered == 1


def test_tasks_bound_to_a_worker_that_left_go_to_a_worker_that_joined(in_process_cluster, tmp_path):
    """Tasks submitted while one worker was usable may run only there. A second worker
    joins and the first leaves: the tasks go to the second (they waited for ever)."""
    from holopack.cluster import connect

    gate = str(tmp_path / "gate")
    cluster = in_process_cluster
    with connect(cluster.scheduler_address, timeout=10) as executor:
        first = next(iter(cluster.workers.values()))
        tasks = [executor.submit(_blocked_until, n, gate) for n in range(3)]
        assert all(task.workers == {first.address} for task in tasks)
        cluster.scale(2)
        cluster.wait_for_workers(2)
        # its tasks are blocked on the gate: the close does not wait for them (it gave
        # them 30 s by default, most of this test's time)
        cluster.sync(first.close, executor_wait=False)
        Path(gate).touch()
        assert _collect(executor, tasks, limit=30) == [0, 1, 2]
        assert all(first.address not in task.workers for task in tasks)


def test_a_kept_executor_ships_an_input_changed_on_disk(in_process_cluster, tmp_path):
    """A notebook keeps one executor for several runs: the second run must see the input
    as it is now (it got the first run's copy, under the new bytes' content key)."""
    from holopack.cluster import connect

    picture = tmp_path / "logo.png"
    Image.new("RGB", (8, 8), (255, 0, 0)).save(picture)
    with connect(in_process_cluster.scheduler_address, timeout=10) as executor:
        first = executor.input_ref(str(picture)).result()
        assert executor.input_ref(str(picture)).result().sha256 == first.sha256  # unchanged: one copy
        Image.new("RGB", (8, 8), (0, 0, 255)).save(picture)
        second = executor.input_ref(str(picture)).result()
    assert second.sha256 != first.sha256
    assert second.files == (("logo.png", picture.read_bytes()),)


def test_a_workers_unwritable_temporary_folder_is_one_line_naming_it(tmp_path):
    from holopack.cluster.inputs import materialise, read_bundle
    from holopack.errors import OutputError

    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")  # a folder cannot be made below a file, even by root
    with pytest.raises(OutputError) as caught:
        materialise(read_bundle(str(DUCK)), cache_root=str(blocker / "holopack-inputs"))
    text = str(caught.value)
    assert "cannot write its temporary folder" in text and str(blocker) in text
    assert f"pid {os.getpid()}" in text  # the worker, as it names itself outside Dask
    assert "\n" not in text


class _ShippingInProcess(InProcessExecutor):
    """Runs tasks here, with inputs shipped as bundles as a Dask executor ships them."""

    def input_ref(self, path):
        from holopack.cluster.inputs import read_bundle

        return read_bundle(path)


def test_a_pack_whose_worker_cannot_write_its_temporary_folder_fails_in_one_line(tmp_path, monkeypatch):
    """Every file the worker was given fails the same way: one line for the worker's
    fault (it was one line per file, each an internal error)."""
    import tempfile

    from holopack.errors import ClusterError

    playlist = _playlist(tmp_path, [DUCK, TWIN, DUCK], ["diy-apa102"], seconds=0.2)
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    monkeypatch.setattr(tempfile, "tempdir", str(blocker / "tmp"))  # the worker's $TMPDIR
    with pytest.raises(ClusterError) as caught:
        pack(str(playlist), str(tmp_path / "out"), progress=False, executor=_ShippingInProcess())
    assert "cannot write its temporary folder" in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_a_shared_fs_path_the_worker_cannot_see_is_a_cluster_fault():
    from holopack.cluster.inputs import materialise
    from holopack.errors import ClusterError

    missing = str(ROOT / "no-such-folder" / "Duck.glb")
    with pytest.raises(ClusterError, match="cannot see .*no-such-folder.*--shared-fs"):
        materialise(missing)


def test_a_task_whose_workers_kept_dying_is_one_cluster_line():
    """Dask gives up on a task after its workers died ``allowed-failures`` times and
    raises KilledWorker: the run ends with holopack's ClusterError, not a traceback."""
    from concurrent.futures import Future

    from distributed.scheduler import KilledWorker

    from holopack.cluster.dask_executor import DaskExecutor, _Task
    from holopack.errors import ClusterError

    executor = DaskExecutor(None, "tcp://127.0.0.1:8786")
    task = _Task(print, ())
    task.future = Future()
    task.future.key = "holopack-render-1"
    last = type("WorkerState", (), {"address": "tcp://127.0.0.1:40001"})()
    task.future.set_exception(KilledWorker("holopack-render-1", last, 3))
    with pytest.raises(ClusterError, match="died one after another .*tcp://127.0.0.1:40001"):
        executor.result(task)


def test_killing_the_worker_that_holds_the_shipped_input_still_gives_the_serial_bytes(cluster, tmp_path):
    """Without --shared-fs the input travels once; the worker holding it is killed in the
    middle of the run (this ended as "lost the Dask scheduler")."""
    from holopack.cluster import connect

    serial = tmp_path / "serial.hps"
    holopack.export(str(DUCK), str(serial), device="diy-apa102", seconds=1.2, size=SIZE, progress=False)
    pids = {address: pid for address, pid in cluster.worker_addresses().items()}
    killed = []
    try:
        with connect(cluster.address, timeout=10) as executor:
            ref = executor.input_ref(str(DUCK))
            holder = executor.client.who_has(ref)[ref.key][0]
            victim = next(w for w in cluster.workers if w.pid == pids[holder])

            def kill_once(done, total):
                if not killed:
                    cluster.kill_worker(victim)
                    killed.append(done)

            result = export_chunked(
                str(DUCK),
                str(tmp_path / "loop.hps"),
                device="diy-apa102",
                seconds=1.2,
                size=SIZE,
                executor=executor,
                chunk_frames=2,
                progress=kill_once,
            )
    finally:
        cluster.add_worker()
    assert killed and killed[0] < result.frames
    assert sha256(tmp_path / "loop.hps") == sha256(serial)
    cluster.wait_for_workers(2)


class _InterruptedAfter(InProcessExecutor):
    """Runs tasks here until the ``count``-th submission, then Ctrl-C arrives."""

    def __init__(self, count: int):
        self.count = count

    def submit(self, fn, *args):
        self.count -= 1
        if self.count < 0:
            raise KeyboardInterrupt
        return super().submit(fn, *args)


def test_ctrl_c_on_a_cluster_pack_says_the_finished_files_are_kept(tmp_path):
    """The files finished before Ctrl-C are in the package for the re-run; the error
    says so instead of "no output was written"."""
    playlist = _playlist(tmp_path, [DUCK, DUCK, DUCK], ["diy-apa102"], seconds=0.2)
    out = tmp_path / "package"
    with pytest.raises(KeyboardInterrupt, match="the 2 files finished are kept.* the other 1$"):
        pack(str(playlist), str(out), progress=False, preview_frames=2, executor=_InterruptedAfter(2))
    assert len(list((out / "diy-apa102" / "files").iterdir())) == 2
    with pytest.raises(KeyboardInterrupt) as nothing:  # nothing finished: nothing to tell
        pack(str(playlist), str(tmp_path / "empty"), progress=False, executor=_InterruptedAfter(0))
    assert str(nothing.value) == "" and not (tmp_path / "empty").exists()


def test_an_input_lost_with_the_last_worker_waits_for_one_then_says_none_is_left(
    in_process_cluster, tmp_path
):
    """The only worker dies with the input: the run is told there is no usable worker
    (after the connect timeout), not that the scheduler was lost."""
    from holopack.cluster import connect
    from holopack.errors import ClusterError

    cluster = in_process_cluster
    with connect(cluster.scheduler_address, timeout=2) as executor:
        ref = executor.input_ref(str(DUCK))
        task = executor.submit(_blocked_until, ref, str(tmp_path / "never"))
        cluster.sync(next(iter(cluster.workers.values())).close)
        with pytest.raises(ClusterError, match="no usable Dask worker left"):
            _collect(executor, [task], limit=30)


def test_ctrl_c_just_after_a_file_is_written_leaves_it_listed_in_the_manifest(tmp_path, monkeypatch):
    """A Ctrl-C that lands between writing a finished file and recording it: the file is
    in the package and in its manifest (it was in files/ and missing from the manifest)."""
    import signal

    import holopack.cluster.pack_units as pack_units

    playlist = _playlist(tmp_path, [DUCK, DUCK, DUCK], ["diy-apa102"], seconds=0.2)
    real_write = pack_units._write
    sent = []

    def write_then_interrupt(path, data):  # Ctrl-C as the second file is written
        real_write(path, data)
        if path.endswith(".hps"):
            sent.append(path)
            if len(sent) == 2:
                signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(pack_units, "_write", write_then_interrupt)
    out = tmp_path / "package"
    with pytest.raises(KeyboardInterrupt):
        pack(str(playlist), str(out), progress=False, preview_frames=2, executor=InProcessExecutor())
    files = sorted(p.name for p in (out / "diy-apa102" / "files").iterdir())
    listed = [
        Path(item["file"]).name
        for item in json.loads((out / "diy-apa102" / "manifest.json").read_text())["items"]
    ]
    assert len(files) == 2 and files == listed  # the order a window yields files in is not fixed
