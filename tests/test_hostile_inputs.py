"""Crafted files and interrupted runs, through the real command line (issue 21).

Every case runs ``python -m holopack`` in a child process and checks what a user and
an attacker would see: the exit status (2 for bad input, 1 for an output fault), one
line on stderr, no traceback, nothing read or written outside what the user named (a
canary file in a sibling folder keeps its bytes, time stamps and, where the
filesystem records reads, its access time), no temporary file left behind, and the
child's peak resident memory (its VmHWM at exit) under 1 GB for inputs under 1 MB.

The crafted files are written here byte by byte from the published formats (PNG, GIF,
glTF, the polar stream in docs/polarstream.md), not with holopack's own writers.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GB = 1 << 30
TRIANGLE_OBJ = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
# a tiny polar fan: quick to render and to resample
DIY_PROFILE = """\
name = "tiny"
kind = "polar"
format = "polarstream"
fps = 20

[render]
render_size = 32

[geometry]
leds_per_blade = 8
led_pitch_mm = 3.0
led_size_mm = 2.0
hub_radius_mm = 1.0
slices = 16

[[geometry.blades]]
angle_deg = 0.0

[colour]
bit_depth = 8
"""


@dataclass
class Run:
    rc: int
    out: str
    err: str
    peak_bytes: int
    seconds: float


# ``python -m holopack`` exactly (runpy, as -m does), plus one line at exit that writes
# the process's own peak resident memory (VmHWM: since exec, so the test process it was
# forked from does not count, as it would in wait4's ru_maxrss) to the file named in
# HOLOPACK_TEST_PEAK
_RUN_MODULE = (
    "import atexit, os, runpy, sys\n"
    "def _peak():\n"
    "    with open('/proc/self/status') as f:\n"
    "        kb = [l.split()[1] for l in f if l.startswith('VmHWM:')][0]\n"
    "    with open(os.environ['HOLOPACK_TEST_PEAK'], 'w') as out:\n"
    "        out.write(kb)\n"
    "atexit.register(_peak)\n"
    "sys.argv[0] = 'holopack'\n"
    "runpy.run_module('holopack', run_name='__main__', alter_sys=True)\n"
)


def holopack(*args, cwd: Path, timeout: float = 90.0) -> Run:
    """``python -m holopack ARGS`` in ``cwd``; its exit status, output and peak memory."""
    start = time.monotonic()
    peak_file = Path(cwd).parent / f"peak-{os.getpid()}-{time.monotonic_ns()}.txt"
    env = dict(os.environ, HOLOPACK_TEST_PEAK=str(peak_file))
    proc = subprocess.Popen(
        [sys.executable, "-c", _RUN_MODULE, *map(str, args)],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        env=env,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    chunks = {"out": [], "err": []}
    readers = [
        threading.Thread(target=lambda s=stream, k=key: chunks[k].append(s.read()))
        for key, stream in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for reader in readers:
        reader.start()
    timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    proc.wait()
    timer.cancel()
    for reader in readers:
        reader.join()
    assert proc.returncode != -signal.SIGKILL, f"holopack {args} ran past {timeout} s"
    peak = int(peak_file.read_text()) * 1024
    peak_file.unlink()
    return Run(
        proc.returncode,
        b"".join(chunks["out"]).decode("utf-8", "replace"),
        b"".join(chunks["err"]).decode("utf-8", "replace"),
        peak,
        time.monotonic() - start,
    )


def assert_one_line(run: Run, code: int = 2, *mentions: str) -> str:
    """Exit ``code``, exactly one short 'holopack: error:' line on stderr, < 1 GB."""
    lines = run.err.strip().splitlines()
    assert run.rc == code, run.err
    assert len(lines) == 1, run.err
    assert lines[0].startswith("holopack: error:"), lines[0]
    assert "Traceback" not in run.err and "internal error" not in run.err
    assert len(lines[0]) < 600, lines[0]
    assert run.peak_bytes < GB, f"peak memory {run.peak_bytes / 2**20:.0f} MB"
    for text in mentions:
        assert text in lines[0], lines[0]
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    """Temporary files and staging folders holopack might leave."""
    out = []
    for path in folder.rglob("*"):
        name = path.name
        if (
            ".partial" in name
            or ".holopack-" in name
            or name.endswith(".old")
            or name.startswith(".holopack-move")
        ):
            out.append(str(path))
    return out


class Canary:
    """A file outside the user's folder: its bytes and times must not change, and where
    the filesystem records reads (atime), it must not be read."""

    def __init__(self, path: Path, data: bytes):
        self.path = path
        path.write_bytes(data)
        st = path.stat()
        # an access time older than the modification time: relatime updates it on a read
        os.utime(path, ns=(st.st_mtime_ns - 86_400 * 10**9, st.st_mtime_ns))
        self.stat = path.stat()
        self.sha = hashlib.sha256(data).hexdigest()
        probe = path.with_name("probe")
        probe.write_bytes(b"x")
        pst = probe.stat()
        os.utime(probe, ns=(pst.st_mtime_ns - 86_400 * 10**9, pst.st_mtime_ns))
        before = probe.stat().st_atime_ns
        probe.read_bytes()
        self.reads_recorded = probe.stat().st_atime_ns != before
        probe.unlink()

    def assert_untouched(self) -> None:
        st = self.path.stat()
        assert hashlib.sha256(self.path.read_bytes()).hexdigest() == self.sha
        assert st.st_mtime_ns == self.stat.st_mtime_ns and st.st_ino == self.stat.st_ino
        if self.reads_recorded:
            # read_bytes above happened after this stat: compare with the stat we kept
            assert self._atime_before_check == self.stat.st_atime_ns, "the canary was read"

    def __enter__(self):
        return self

    def check(self) -> None:
        self._atime_before_check = self.path.stat().st_atime_ns
        self.assert_untouched()
        # our own read above moved the access time: put it back for the next check
        os.utime(self.path, ns=(self.stat.st_atime_ns, self.stat.st_mtime_ns))

    def __exit__(self, *exc):
        return False


@pytest.fixture
def world(tmp_path):
    """(the user's folder, a canary in a sibling folder)."""
    work = tmp_path / "work"
    outside = tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    canary = Canary(outside / "canary.png", png_header(4, 4) + b"secret-canary-bytes")
    return work, canary


# -- crafted files ------------------------------------------------------------------
def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` grey pixels but holds one row of data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = zlib.compress(b"\0" * (1 + min(width, 1024)))
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", row) + _chunk(b"IEND", b"")


def gif_header(width: int, height: int) -> bytes:
    """A GIF89a whose screen and first image declare ``width`` x ``height``."""
    head = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    return head + image + b"\x02\x02\x44\x01\x00\x3b"


def gltf(buffers=(), images=(), nodes=None, accessors=None, extra=None) -> dict:
    """A glTF 2.0 document with one triangle from a data: URI, plus what is given."""
    import base64

    positions = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    doc = {
        "asset": {"version": "2.0"},
        "buffers": [
            {
                "uri": "data:application/octet-stream;base64," + base64.b64encode(positions).decode(),
                "byteLength": 36,
            },
            *buffers,
        ],
        "bufferViews": [{"buffer": 0, "byteLength": 36}],
        "accessors": accessors
        or [
            {
                "bufferView": 0,
                "componentType": 5126,
                "count": 3,
                "type": "VEC3",
                "min": [0, 0, 0],
                "max": [1, 1, 0],
            }
        ],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "nodes": nodes or [{"mesh": 0}],
        "scenes": [{"nodes": [0]}],
        "scene": 0,
    }
    if images:
        doc["images"] = list(images)
    doc.update(extra or {})
    return doc


def write_json(path: Path, doc) -> Path:
    path.write_text(json.dumps(doc))
    return path


def polar_stream(
    profile_text: str,
    fps_milli: int = 20_000,
    slices: int = 16,
    columns: int = 8,
    bits: int = 8,
    frames: int = 1,
) -> bytes:
    """A .hps file per docs/polarstream.md."""
    text = profile_text.encode()
    fixed = struct.pack(
        "<8sHHIIBBHIII", b"\x89HPS\r\n\x1a\n", 1, 0, slices, columns, 3, bits, 0, fps_milli, frames, len(text)
    )
    crc = zlib.crc32(fixed[:28] + fixed[32:36] + text)
    out = fixed + struct.pack("<I", crc) + text
    for k in range(frames):
        codes = bytes(slices * columns * 3)
        index = struct.pack("<I", k)
        out += b"HPSF" + index + codes + struct.pack("<I", zlib.crc32(index + codes))
    return out


# -- reading only what the user named -------------------------------------------------
@pytest.mark.parametrize("how", ["absolute", "dotdot", "encoded", "dev-zero", "dev-stdin"])
def test_gltf_buffer_uris_leaving_the_folder_are_refused(world, how):
    work, canary = world
    uri = {
        "absolute": str(canary.path),
        "dotdot": "../outside/canary.png",
        "encoded": "..%2Foutside%2Fcanary.png",
        "dev-zero": "/dev/zero",
        "dev-stdin": "/dev/stdin",
    }[how]
    doc = gltf(
        buffers=[{"uri": uri, "byteLength": 16}],
        extra={
            "bufferViews": [{"buffer": 0, "byteLength": 36}, {"buffer": 1, "byteLength": 16}],
            "accessors": [
                {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"},
                {"bufferView": 1, "componentType": 5126, "count": 1, "type": "VEC4"},
            ],
            "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "COLOR_0": 1}}]}],
        },
    )
    write_json(work / "model.gltf", doc)
    line = assert_one_line(holopack("inspect", "model.gltf", cwd=work, timeout=60), 2, "model.gltf")
    assert "outside" in line or "absolute" in line or "leaves" in line or "device" in line
    canary.check()


def test_a_device_file_inside_the_folder_is_refused_too(world):
    work, canary = world
    os.symlink("/dev/zero", work / "zeros.bin")
    doc = gltf(
        buffers=[{"uri": "zeros.bin", "byteLength": 16}],
        extra={"bufferViews": [{"buffer": 0, "byteLength": 36}, {"buffer": 1, "byteLength": 16}]},
    )
    doc["accessors"].append({"bufferView": 1, "componentType": 5126, "count": 1, "type": "VEC4"})
    doc["meshes"][0]["primitives"][0]["attributes"]["COLOR_0"] = 1
    write_json(work / "model.gltf", doc)
    assert_one_line(holopack("inspect", "model.gltf", cwd=work, timeout=60), 2, "zeros.bin")


def test_allow_outside_files_lifts_the_folder_rule_only(world):
    work, canary = world
    data = struct.pack("<12f", *([1, 0, 0, 1] * 3))
    (canary.path.parent / "colours.bin").write_bytes(data)
    doc = gltf(
        buffers=[{"uri": "../outside/colours.bin", "byteLength": 48}],
        extra={"bufferViews": [{"buffer": 0, "byteLength": 36}, {"buffer": 1, "byteLength": 48}]},
    )
    doc["accessors"].append({"bufferView": 1, "componentType": 5126, "count": 3, "type": "VEC4"})
    doc["meshes"][0]["primitives"][0]["attributes"]["COLOR_0"] = 1
    write_json(work / "model.gltf", doc)
    assert_one_line(holopack("inspect", "model.gltf", cwd=work), 2, "colours.bin")
    run = holopack("inspect", "model.gltf", "--allow-outside-files", cwd=work)
    assert run.rc == 0, run.err
    doc["buffers"][1]["uri"] = "/dev/zero"
    write_json(work / "model.gltf", doc)
    assert_one_line(holopack("inspect", "model.gltf", "--allow-outside-files", cwd=work), 2, "device")


def test_obj_material_library_and_texture_outside_are_refused(world):
    work, canary = world
    (work / "a.obj").write_text("mtllib ../outside/canary.png\n" + TRIANGLE_OBJ)
    assert_one_line(holopack("inspect", "a.obj", cwd=work), 2, "a.obj", "canary.png")
    (work / "m.mtl").write_text(f"newmtl x\nmap_Kd {canary.path}\n")
    (work / "b.obj").write_text(
        "mtllib m.mtl\nusemtl x\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nf 1/1 2/2 3/3\n"
    )
    assert_one_line(holopack("inspect", "b.obj", cwd=work), 2, "b.obj")
    canary.check()


def test_a_long_uri_is_shortened_in_the_error_line(world):
    work, _ = world
    uri = "../" + "x" * 100_000
    write_json(
        work / "model.gltf",
        gltf(
            buffers=[{"uri": uri, "byteLength": 4}], extra={"bufferViews": [{"buffer": 1, "byteLength": 4}]}
        ),
    )
    doc = json.loads((work / "model.gltf").read_text())
    doc["accessors"][0]["bufferView"] = 0
    line = assert_one_line(holopack("inspect", "model.gltf", cwd=work), 2)
    assert len(line) < 400


@pytest.mark.parametrize("base", ["/dev/zero", "/dev/stdin", "../outside/canary.png", "3dcircle-42f2.toml"])
def test_profile_base_is_looked_up_among_shipped_profiles_only(world, base):
    work, canary = world
    (work / "fan.toml").write_text(f'base = "{base}"\nname = "mine"\n')
    run = holopack("devices", "fan.toml", cwd=work, timeout=60)
    assert_one_line(run, 2, "fan.toml", "shipped profile")
    # the same profile embedded in a polar stream: validate and decode refuse it too
    (work / "clip.hps").write_bytes(polar_stream(f'base = "{base}"\nname = "mine"\n'))
    assert_one_line(holopack("decode", "clip.hps", "-o", "frames", cwd=work), 2, "shipped profile")
    assert_one_line(holopack("validate", "clip.hps", cwd=work), 2, "shipped profile")
    assert not (work / "frames").exists() and not leftovers(work)
    canary.check()


def test_a_package_whose_manifest_names_a_device_path_is_not_read(world):
    work, canary = world
    manifest = {"format": "holopack-package/1", "device": "/dev/zero", "items": []}
    with zipfile.ZipFile(work / "pkg.zip", "w") as zf:
        zf.writestr("fan/manifest.json", json.dumps(manifest))
        zf.writestr("fan/README.txt", "x")
        embedded = dict(manifest, device="x", profile_toml='base = "/dev/stdin"\nname = "x"\n')
        zf.writestr("other/manifest.json", json.dumps(embedded))
        zf.writestr("../outside/canary.png", "overwritten")
    run = holopack("validate", "pkg.zip", cwd=work, timeout=60)
    assert run.rc == 1 and run.peak_bytes < GB  # a failed check, reported
    assert "unsafe path" in run.out and "shipped profile" in run.out
    assert "Traceback" not in run.err
    canary.check()


@pytest.mark.parametrize("fault", ["fifo", "device"])
def test_named_inputs_that_are_not_files_are_refused(world, fault):
    work, _ = world
    if fault == "fifo":
        os.mkfifo(work / "clip.png")
        target = "clip.png"
    else:
        target = "/dev/zero"
    # the line says what the file is (a FIFO or a device reports its size as 0, and was
    # called "empty")
    kind = "FIFO" if fault == "fifo" else "a device"
    assert_one_line(holopack("export", target, "-o", "out.mp4", cwd=work, timeout=60), 2, kind)
    assert_one_line(holopack("inspect", target, cwd=work, timeout=60), 2, kind)
    assert_one_line(holopack("devices", target if fault == "device" else "clip.png", cwd=work), 2)
    assert not (work / "out.mp4").exists() and not leftovers(work)


@pytest.mark.parametrize("fault", ["fifo", "device"])
def test_hand_written_files_that_are_not_files_are_refused(world, fault):
    # a wall file or a playlist named as /dev/zero filled the memory, as a FIFO hung
    work, _ = world
    if fault == "fifo":
        os.mkfifo(work / "named.toml")
        target = "named.toml"
    else:
        target = "/dev/zero"
    run = holopack("export", "--wall", target, "-o", "wall-out", cwd=work, timeout=60)
    assert_one_line(run, 2, target)
    assert_one_line(holopack("pack", target, "-o", "pack-out", cwd=work, timeout=60), 2, target)
    # a fleet file, and a device file to push (the push fails before any connection)
    (work / "TWIN.BIN").write_bytes(b"x")
    run = holopack("push", "TWIN.BIN", "--fleet", target, cwd=work, timeout=60)
    assert_one_line(run, 2, target)
    assert_one_line(holopack("push", target, "--fan", "127.0.0.1:1", cwd=work, timeout=60), 2, target)
    assert not (work / "wall-out").exists() and not (work / "pack-out").exists()
    assert not leftovers(work)


def test_a_wall_fans_device_path_is_read_beside_the_wall_file_not_the_working_folder(world):
    work, _ = world
    (work / "site" / "profiles").mkdir(parents=True)
    (work / "site" / "profiles" / "diy").write_text(DIY_PROFILE)
    (work / "profiles").mkdir()
    (work / "profiles" / "diy").write_text("not a profile at all")
    wall = 'device = "3dcircle-42f2"\n[[fans]]\nname = "A1"\nx = 0\ny = 0\ndevice = "profiles/diy"\n'
    (work / "site" / "wall.toml").write_text(wall)
    run = holopack(
        "export", "--wall", "site/wall.toml", "-o", "out", "--seconds", "0.1", cwd=work, timeout=300
    )
    assert run.rc == 0, run.err
    fans = json.loads((work / "out" / "wall.json").read_text())["fans"]
    assert [fan["device"] for fan in fans] == ["tiny"]  # site/profiles/diy, not ./profiles/diy


# -- cost in proportion to the input --------------------------------------------------
@pytest.mark.parametrize("depth", [32_000, 100_000])
def test_deep_node_chains_are_checked_in_linear_time(world, depth):
    work, _ = world
    nodes = [{"children": [i + 1]} for i in range(depth - 1)] + [{"mesh": 0}]
    write_json(work / "deep.gltf", gltf(nodes=nodes))
    # a quadratic check took 56 s at 32,000 levels and did not finish at 100,000: the
    # timeout is the hang guard (speed itself is measured in benchmarks/, not here)
    run = holopack("inspect", "deep.gltf", cwd=work, timeout=60)
    assert_one_line(run, 2, "nested more than")


def test_a_node_cycle_is_named(world):
    work, _ = world
    nodes = [{"mesh": 0}] + [{"children": [(i + 1) % 50000 + 1]} for i in range(50000)]
    write_json(work / "cycle.gltf", gltf(nodes=nodes))
    run = holopack("inspect", "cycle.gltf", cwd=work, timeout=60)
    assert_one_line(run, 2, "cycle")


def test_a_tiny_glb_asking_for_gigabytes_stays_within_the_budget(world):
    work, _ = world
    accessors = [{"componentType": 5126, "count": 100_000_000, "type": "VEC4"} for _ in range(4)]
    doc = gltf(accessors=[{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"}, *accessors])
    doc["meshes"] = [
        {
            "primitives": [
                {"attributes": {"POSITION": 0, "COLOR_0": 1, "TANGENT": 2, "TEXCOORD_0": 3, "JOINTS_0": 4}}
            ]
        }
    ]
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    glb = b"glTF" + struct.pack("<II", 2, 12 + 8 + len(text)) + struct.pack("<I4s", len(text), b"JSON") + text
    (work / "tiny.glb").write_bytes(glb)
    assert len(glb) < 4096
    run = holopack("inspect", "tiny.glb", cwd=work, timeout=60)
    assert_one_line(run, 2, "tiny.glb")


@pytest.mark.parametrize("size", [13_000, 100_000])
def test_huge_pictures_are_refused_before_decoding(world, size):
    work, _ = world
    (work / "big.png").write_bytes(png_header(size, size))
    assert_one_line(holopack("export", "big.png", "-o", "out.mp4", cwd=work), 2, "big.png")
    # the same picture as a glTF texture
    import base64

    doc = gltf(
        images=[{"uri": "big.png"}],
        extra={
            "textures": [{"source": 0}],
            "materials": [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
        },
    )
    doc["meshes"][0]["primitives"][0]["material"] = 0
    write_json(work / "model.gltf", doc)
    assert_one_line(holopack("export", "model.gltf", "-o", "out.mp4", cwd=work), 2, "model.gltf")
    assert not (work / "out.mp4").exists() and not leftovers(work)
    del base64


def test_a_huge_gif_is_one_line(world):
    work, _ = world
    (work / "big.gif").write_bytes(gif_header(65535, 65535))
    assert_one_line(holopack("export", "big.gif", "-o", "out.mp4", cwd=work), 2, "big.gif")


@pytest.mark.parametrize(
    "device,option",
    [
        ("mp4-fan", ("--fps", "1e9")),
        ("mp4-fan", ("--seconds", "1e9")),
        ("mp4-fan", ("--loops", "1e300")),
        ("mp4-fan", ("--margin", "5")),
        ("mp4-fan", ("--fov", "400")),
        ("mp4-fan", ("--animation", "-1")),
        ("mp4-fan", ("--light", "rim=nan")),
        ("mp4-fan", ("--size", "100000")),
        ("mp4-fan", ("--supersample", "64")),
        ("fan.toml", ("--distance", "1e300")),
        ("fan.toml", ("--turntable", "1e308")),
        ("fan.toml", ("--fps", "5e6")),
        ("fan.toml", ("--fps", "0.001")),
    ],
)
def test_settings_outside_their_range_are_one_line(world, device, option):
    work, _ = world
    (work / "a.obj").write_text(TRIANGLE_OBJ)
    (work / "fan.toml").write_text(DIY_PROFILE)
    out = "out.mp4" if device == "mp4-fan" else "out.hps"
    run = holopack("export", "a.obj", "--device", device, "-o", out, *option, cwd=work)
    assert_one_line(run, 2, option[0])
    assert not (work / out).exists() and not leftovers(work)


@pytest.mark.parametrize(
    "key,value",
    [("render_size", "1000000"), ("render_size", str(2**70)), ("video_size", "0"), ("supersample", "100")],
)
def test_profile_sizes_outside_their_range_are_one_line(world, key, value):
    work, _ = world
    (work / "fan.toml").write_text(f'base = "hypervsn"\nname = "x"\n[render]\n{key} = {value}\n')
    assert_one_line(holopack("devices", "fan.toml", cwd=work), 2, key)


@pytest.mark.parametrize("key", ["codec", "pixel_format"])
def test_profile_codec_settings_that_would_be_ignored_are_refused(world, key):
    work, _ = world
    (work / "fan.toml").write_text(f'base = "hypervsn"\nname = "x"\n[file]\n{key} = "other"\n')
    assert_one_line(holopack("devices", "fan.toml", cwd=work), 2, key)


# -- writing only where the user said -------------------------------------------------
def test_a_profile_suffix_naming_a_path_cannot_overwrite_a_file(world):
    work, canary = world
    (work / "a.obj").write_text(TRIANGLE_OBJ)
    (work / "fan.toml").write_text(DIY_PROFILE + '\n[file]\nsuffix = "/../../../outside/canary.png"\n')
    (work / "list.toml").write_text('devices = ["fan.toml"]\n[[items]]\ninput = "a.obj"\n')
    assert_one_line(holopack("pack", "list.toml", "-o", "pkg", cwd=work), 2, "suffix")
    assert not (work / "pkg").exists() and not leftovers(work.parent)
    canary.check()


def test_item_names_with_newlines_are_refused(world):
    work, _ = world
    (work / "a.obj").write_text(TRIANGLE_OBJ)
    (work / "list.toml").write_text(
        'devices = ["hypervsn"]\n[[items]]\ninput = "a.obj"\nname = "line\\nINSTALL: rm -rf"\n'
    )
    assert_one_line(holopack("pack", "list.toml", "-o", "pkg", cwd=work), 2, "one line")


def test_an_output_equal_to_the_input_is_refused(world):
    work, _ = world
    (work / "a.obj").write_text(TRIANGLE_OBJ)
    before = (work / "a.obj").read_bytes()
    assert_one_line(holopack("export", "a.obj", "-o", "a.obj", cwd=work), 2, "input")
    (work / "clip.hps").write_bytes(polar_stream(DIY_PROFILE))
    assert_one_line(holopack("decode", "clip.hps", "-o", "./clip.hps", cwd=work), 2, "input")
    (work / "list.toml").write_text('devices = ["hypervsn"]\n[[items]]\ninput = "a.obj"\n')
    assert_one_line(holopack("pack", "list.toml", "-o", "list.toml", cwd=work), 2, "input")
    assert (work / "a.obj").read_bytes() == before and not leftovers(work)


def test_pack_refuses_to_replace_a_zip_that_is_not_a_package(world):
    work, _ = world
    (work / "a.obj").write_text(TRIANGLE_OBJ)
    (work / "list.toml").write_text('devices = ["hypervsn"]\n[[items]]\ninput = "a.obj"\n')
    with zipfile.ZipFile(work / "photos.zip", "w") as zf:
        zf.writestr("holiday.jpg", b"someone's photo")
    before = (work / "photos.zip").read_bytes()
    assert_one_line(holopack("pack", "list.toml", "-o", "photos.zip", cwd=work), 2, "not a holopack package")
    assert (work / "photos.zip").read_bytes() == before and not leftovers(work)


def test_an_output_that_is_a_folder_fails_before_rendering(world):
    work, _ = world
    (work / "a.obj").write_text(TRIANGLE_OBJ)
    (work / "out.mp4").mkdir()
    # 18,000 frames would run past the timeout: the refusal comes before rendering
    run = holopack("export", "a.obj", "-o", "out.mp4", "--seconds", "600", cwd=work, timeout=60)
    assert_one_line(run, 1, "folder")
    assert not leftovers(work)


def test_a_1000_fps_video_is_read(world):
    work, _ = world
    import imageio_ffmpeg
    import numpy as np

    writer = imageio_ffmpeg.write_frames(
        str(work / "fast.mp4"), (32, 32), fps=1000, macro_block_size=16, ffmpeg_log_level="error"
    )
    writer.send(None)
    for i in range(20):
        writer.send(np.full((32, 32, 3), i * 10, np.uint8))
    writer.close()
    run = holopack("inspect", "fast.mp4", cwd=work)
    assert run.rc == 0, run.err
    assert "1000" in run.out and "fps" in run.out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_an_interrupted_export_leaves_no_temporary_file(world, sig):
    work, _ = world
    (work / "a.obj").write_text(TRIANGLE_OBJ)
    proc = subprocess.Popen(
        [sys.executable, "-m", "holopack", "export", "a.obj", "-o", "out.mp4", "--seconds", "3000", "-q"],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    end = time.monotonic() + 90
    while not any(".partial" in p.name for p in work.iterdir()):
        assert proc.poll() is None and time.monotonic() < end, proc.stderr.read()
        time.sleep(0.1)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    lines = err.decode().strip().splitlines()
    assert proc.returncode == 130 and len(lines) == 1 and "interrupted" in lines[0], err
    assert not (work / "out.mp4").exists() and not leftovers(work)


# -- packages from other hands, and interrupted packs --------------------------------
def _tiny_package_setup(work: Path, canary: Canary) -> None:
    """A playlist of one glTF (with an unused image naming the canary) for a tiny fan."""
    doc = gltf(images=[{"uri": "../outside/canary.png"}, {"uri": str(canary.path)}])
    write_json(work / "model.gltf", doc)
    (work / "fan.toml").write_text(DIY_PROFILE)
    (work / "list.toml").write_text(
        'devices = ["fan.toml"]\n[defaults]\nseconds = 0.5\n'
        '[[items]]\ninput = "model.gltf"\nname = "one"\n'
        '[[items]]\ninput = "model.gltf"\nname = "two"\nyaw = 90\n'
    )


def _children(pid: int) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.add(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return out


def _start_pack(work: Path, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "holopack",
            "pack",
            "list.toml",
            "-o",
            "pkg",
            "-j",
            "2",
            "--preview-frames",
            "2",
            *args,
        ],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_for_workers(proc: subprocess.Popen, count: int = 2, timeout: float = 60) -> set[int]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        kids = {
            k
            for k in _children(proc.pid)
            if "holopack" in open(f"/proc/{k}/cmdline", "rb").read().decode(errors="replace")
            or "multiprocessing" in open(f"/proc/{k}/cmdline", "rb").read().decode(errors="replace")
        }
        workers = {
            k
            for k in kids
            if "resource_tracker" not in open(f"/proc/{k}/cmdline", "rb").read().decode(errors="replace")
        }
        if len(workers) >= count:
            return workers
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.1)
    raise AssertionError("the workers did not start")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_an_interrupted_first_pack_leaves_nothing_and_its_workers_end(world, sig):
    work, canary = world
    _tiny_package_setup(work, canary)
    proc = _start_pack(work)
    workers = _wait_for_workers(proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    lines = err.decode().strip().splitlines()
    assert lines and lines[-1].startswith("holopack: interrupted"), err
    assert "Traceback" not in err.decode()
    end = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < end:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)
    assert not (work / "pkg").exists() and not leftovers(work)


def test_workers_die_with_a_killed_parent_and_the_rerun_is_not_blocked(world):
    work, canary = world
    _tiny_package_setup(work, canary)
    proc = _start_pack(work)
    workers = _wait_for_workers(proc)
    proc.kill()
    proc.communicate(timeout=30)
    end = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < end:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers), "workers outlived their parent"
    assert not (work / "pkg").exists()
    run = holopack(
        "pack", "list.toml", "-o", "pkg", "-j", "1", "--preview-frames", "2", cwd=work, timeout=240
    )
    assert run.rc == 0, run.err
    manifest = (work / "pkg" / "tiny" / "manifest.json").read_text()
    # the unused images name the canary: neither its path, nor its hash, nor its size
    assert "canary" not in manifest and canary.sha not in manifest
    assert sorted(p.name for p in (work / "pkg" / "tiny" / "files").iterdir()) == ["01_one.hps", "02_two.hps"]
    canary.check()

    # a symlinked folder planted inside the package: the re-run neither follows nor
    # empties it
    victim = canary.path.parent / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    shutil_files = work / "pkg" / "tiny" / "previews"
    for p in shutil_files.iterdir():
        p.unlink()
    shutil_files.rmdir()
    os.symlink(victim, shutil_files)
    (work / "list.toml").write_text((work / "list.toml").read_text().replace("yaw = 90", "yaw = 45"))
    two = work / "pkg" / "tiny" / "files" / "02_two.hps"
    before = (two.stat().st_mtime_ns, two.read_bytes())
    run = holopack(
        "pack", "list.toml", "-o", "pkg", "-j", "1", "--preview-frames", "2", "-q", cwd=work, timeout=240
    )
    assert_one_line(run, 1, "previews", "symlink")
    assert (two.stat().st_mtime_ns, two.read_bytes()) == before  # refused before rendering
    assert sorted(p.name for p in victim.iterdir()) == ["keep.txt"]
    assert not leftovers(work)
    canary.check()


def test_repacking_a_zip_drops_entries_its_manifests_do_not_list(world):
    """A package zip from earlier (fuzz/corpus/package, made by holopack pack for the
    profile and playlist below), with a stranger's entries added: they do not reach the
    new package."""
    work, _ = world
    seed = REPO / "fuzz" / "corpus" / "package" / "diy-previews.zip"
    (work / "clip.obj").write_text(TRIANGLE_OBJ)
    (work / "diy.toml").write_bytes(
        (REPO / "fuzz" / "corpus" / "profile" / "user-polarstream.toml").read_bytes()
    )
    (work / "pl.toml").write_text(
        'devices = ["diy.toml"]\n[defaults]\nseconds = 0.1\n[[items]]\ninput = "clip.obj"\nname = "tri"\n'
    )
    (work / "pkg.zip").write_bytes(seed.read_bytes())
    with zipfile.ZipFile(work / "pkg.zip", "a") as zf:
        zf.writestr("diy/files/stranger.jpg", b"someone's photo")
        zf.writestr("holiday/photo.jpg", b"someone's photo")
    run = holopack("pack", "pl.toml", "-o", "pkg.zip", "-q", "--preview-frames", "2", cwd=work, timeout=240)
    assert run.rc == 0, run.err
    with zipfile.ZipFile(work / "pkg.zip") as zf:
        names = sorted(zf.namelist())
    assert names == [
        "README.txt",
        "diy/README.txt",
        "diy/files/01_tri.hps",
        "diy/manifest.json",
        "diy/previews/01_tri.gif",
        "diy/previews/01_tri.png",
    ]
    assert not leftovers(work)


# -- the second sweep (benchmarks/hostile_sweep.py) ------------------------------------
def progressive_jpeg(scans: int, size: int = 256, comment: bytes = b"") -> bytes:
    """A progressive JPEG from Pillow whose last refinement scan is repeated until the
    file has ``scans`` start-of-scan segments (libjpeg warns of the bogus progression and
    decodes each one over the whole picture); ``comment``: a COM segment after SOI."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), (90, 120, 200)).save(buf, "JPEG", progressive=True, quality=90)
    data = buf.getvalue()
    if comment:
        data = data[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + data[2:]
    last = data.rfind(b"\xff\xda")
    own = data.count(b"\xff\xda") - comment.count(b"\xff\xda")
    return data[:-2] + data[last:-2] * max(0, scans - own) + b"\xff\xd9"


def obj_with_texture(work: Path, texture: str) -> None:
    (work / "model.obj").write_text(
        "mtllib model.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nusemtl m\nf 1/1 2/2 3/3\n"
    )
    (work / "model.mtl").write_text(f"newmtl m\nKd 1 1 1\nmap_Kd {texture}\n")


def gltf_with_texture(work: Path, texture: str) -> None:
    import base64

    data = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0) + struct.pack("<6f", 0, 0, 1, 0, 0, 1)
    doc = gltf(
        images=[{"uri": texture}],
        extra={
            "textures": [{"source": 0}],
            "materials": [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
            "buffers": [
                {
                    "uri": "data:application/octet-stream;base64," + base64.b64encode(data).decode(),
                    "byteLength": len(data),
                }
            ],
            "bufferViews": [
                {"buffer": 0, "byteLength": 36},
                {"buffer": 0, "byteOffset": 36, "byteLength": 24},
            ],
        },
        accessors=[
            {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"},
            {"bufferView": 1, "componentType": 5126, "count": 3, "type": "VEC2"},
        ],
    )
    doc["meshes"][0]["primitives"][0].update(material=0, attributes={"POSITION": 0, "TEXCOORD_0": 1})
    write_json(work / "model.gltf", doc)


@pytest.mark.parametrize("face", ["still", "gltf texture", "obj texture"])
def test_a_jpeg_of_thousands_of_scans_is_refused_before_decoding(world, face):
    # libjpeg decodes each scan over the whole picture: 65,535 scans of 1024 x 1024 in a
    # 12 KB file ran for minutes; 5,000 of 256 x 256 take ~1 s, so the timeout below
    # would not catch them, the message does
    work, _ = world
    (work / "p.jpg").write_bytes(progressive_jpeg(5000))
    assert len((work / "p.jpg").read_bytes()) < 1 << 20
    (work / "fan.toml").write_text(DIY_PROFILE)
    name = {"still": "p.jpg", "gltf texture": "model.gltf", "obj texture": "model.obj"}[face]
    if face == "gltf texture":
        gltf_with_texture(work, "p.jpg")
    elif face == "obj texture":
        obj_with_texture(work, "p.jpg")
    run = holopack("export", name, "--device", "fan.toml", "-o", "out.hps", cwd=work, timeout=60)
    assert_one_line(run, 2, name, "5,000 scans")
    assert not (work / "out.hps").exists() and not leftovers(work)


def test_scan_markers_inside_other_segments_are_not_counted():
    from holopack.scene.pictures import check_jpeg_scans, jpeg_scans

    # a comment holding 2,000 start-of-scan byte pairs: the fast count sees them, the walk
    # of the segments does not, and the picture is not refused
    data = progressive_jpeg(0, comment=b"\xff\xda" * 2000)
    assert data.count(b"\xff\xda") > 2000
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as picture:  # Pillow's own parser reads it whole
        picture.load()
    own = data[data.index(b"\xff\xdb") :].count(b"\xff\xda")  # after the comment
    assert jpeg_scans(data) == own < 64
    check_jpeg_scans(data, 256, 256, "the picture", None)


def test_an_obj_texture_too_big_for_the_budget_is_refused_before_decoding(world):
    # 13,000 x 13,000 pixels in 300 bytes of PNG: decoded whole it took 3.4 GB
    work, _ = world
    (work / "t.png").write_bytes(png_header(13_000, 13_000))
    obj_with_texture(work, "t.png")
    (work / "fan.toml").write_text(DIY_PROFILE)
    run = holopack("export", "model.obj", "--device", "fan.toml", "-o", "out.hps", cwd=work, timeout=60)
    assert_one_line(run, 2, "model.obj", "t.png", "memory budget")
    assert not (work / "out.hps").exists()


@pytest.mark.parametrize("fault", ["device behind a symlink", "fifo"])
def test_an_obj_texture_that_is_not_a_file_is_refused(world, fault):
    # taken for a missing texture, /dev/zero or a FIFO was passed over with a warning
    work, _ = world
    if fault == "fifo":
        os.mkfifo(work / "t.png")
    else:
        os.symlink("/dev/zero", work / "t.png")
    obj_with_texture(work, "t.png")
    run = holopack("inspect", "model.obj", cwd=work, timeout=60)
    line = assert_one_line(run, 2, "model.obj", "'t.png'")
    assert "FIFO" in line if fault == "fifo" else "outside" in line
    run = holopack("inspect", "model.obj", "--allow-outside-files", cwd=work, timeout=60)
    assert_one_line(run, 2, "model.obj", "FIFO" if fault == "fifo" else "device")


@pytest.mark.parametrize("kind", ["glb binary chunk", "gltf text"])
def test_the_model_file_itself_counts_against_the_budget(world, monkeypatch, kind):
    # read whole before any check: a 600 MB .gltf of one unused data: URI peaked at 1.9 GB
    # and a GLB with a 700 MB binary chunk at 1.5 GB; here the budget is 4 MB and the
    # files 6 MB, so the test stays small
    work, _ = world
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "4")
    doc = gltf()
    if kind == "glb binary chunk":
        doc["buffers"].append({"byteLength": 6 << 20})
        text = json.dumps(doc).encode()
        text += b" " * (-len(text) % 4)
        body = struct.pack("<I4s", len(text), b"JSON") + text
        body += struct.pack("<I4s", 6 << 20, b"BIN\0") + bytes(6 << 20)
        (work / "model.glb").write_bytes(b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body)
        name = "model.glb"
    else:
        doc["extras"] = {"unused": "data:application/octet-stream;base64," + "A" * (6 << 20)}
        name = "model.gltf"
        write_json(work / name, doc)
    assert_one_line(holopack("inspect", name, cwd=work, timeout=60), 2, name, "the file itself")
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "64")
    assert holopack("inspect", name, cwd=work, timeout=60).rc == 0  # within a larger budget


def test_a_scene_of_100000_roots_is_read_in_linear_time(world):
    # the roots were kept unique with a list's `in`: 20,000 took 2.9 s, 100,000 ~75 s
    work, _ = world
    nodes = [{"mesh": 0}] + [{} for _ in range(99_999)]
    write_json(work / "wide.gltf", gltf(nodes=nodes, extra={"scenes": [{"nodes": list(range(100_000))}]}))
    run = holopack("inspect", "wide.gltf", cwd=work, timeout=40)
    assert run.rc == 0, run.err


@pytest.mark.parametrize("shape", ["nodes", "nodes x primitives", "primitives"])
def test_scenes_beyond_the_node_and_draw_bounds_are_refused(world, shape):
    # each drawn primitive is posed every frame: 100,000 of them took 10 s a frame, and a
    # skin of a million joints (a million nodes, 10 MB of JSON) peaked at 1.6 GB
    from holopack.limits import MAX_DRAW_ITEMS, MAX_NODES

    work, _ = world
    doc = gltf()
    primitive = doc["meshes"][0]["primitives"][0]
    if shape == "nodes":
        doc["nodes"] = [{"mesh": 0}] + [{} for _ in range(MAX_NODES)]
        expected = "nodes"
    elif shape == "nodes x primitives":
        # 60 nodes showing a mesh of 1,000 primitives: a few KB of JSON
        doc["meshes"] = [{"primitives": [primitive] * 1000}]
        count = MAX_DRAW_ITEMS // 1000 + 10
        doc["nodes"] = [{"children": list(range(1, count + 1))}] + [{"mesh": 0}] * count
        expected = "mesh primitives"
    else:
        doc["meshes"] = [{"primitives": [primitive] * (MAX_DRAW_ITEMS + 1)}]
        expected = "primitives"
    write_json(work / "many.gltf", doc)
    assert_one_line(holopack("inspect", "many.gltf", cwd=work, timeout=60), 2, "many.gltf", expected)


@pytest.mark.parametrize("target", ["canary", "/etc/passwd", "/dev/zero"])
def test_a_frame_folder_entry_leading_out_of_the_folder_is_refused(world, target):
    # a symlink among numbered pictures was read (a picture elsewhere would be drawn)
    work, canary = world
    (work / "frames").mkdir()
    for k in range(3):
        (work / "frames" / f"{k:04d}.png").write_bytes(png_header(4, 4))
    os.symlink(canary.path if target == "canary" else target, work / "frames" / "0003.png")
    run = holopack("export", "frames", "-o", "out.mp4", cwd=work, timeout=60)
    assert_one_line(run, 2, "frames", "0003.png")
    assert not (work / "out.mp4").exists()
    canary.check()


@pytest.mark.parametrize("kind", ["profile", "playlist", "wall", "fleet"])
def test_toml_nested_too_deeply_is_one_line(world, kind):
    # tomllib recurses: 50,000 nested arrays were an internal error (RecursionError)
    work, _ = world
    deep = "x = " + "[" * 50_000 + "]" * 50_000 + "\n"
    (work / "deep.toml").write_text(deep)
    (work / "a.obj").write_text(TRIANGLE_OBJ)
    (work / "TWIN.BIN").write_bytes(b"x")
    args = {
        "profile": ("devices", "deep.toml"),
        "playlist": ("pack", "deep.toml", "-o", "pkg"),
        "wall": ("export", "a.obj", "--wall", "deep.toml", "-o", "wall-out"),
        "fleet": ("push", "TWIN.BIN", "--fleet", "deep.toml"),
    }[kind]
    assert_one_line(holopack(*args, cwd=work, timeout=60), 2, "deep.toml", "nested too deeply")


def test_an_mp4_that_ffmpeg_cannot_finish_is_an_output_error(tmp_path):
    # on a full disk ffmpeg failed to write the MP4's index, and a 4 KB unplayable file
    # was reported written with exit status 0: here a file-size limit stands for the disk
    script = (
        "import resource, sys\n"
        "import numpy as np\n"
        "from holopack.atomic import atomic_output\n"
        "from holopack.errors import OutputError\n"
        "from holopack.formats.mp4 import MP4Writer\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))\n"
        "noise = np.random.default_rng(1).integers(0, 256, (20, 128, 128, 3), np.uint8)\n"
        "try:\n"
        "    with atomic_output(sys.argv[1]) as temp:\n"
        "        writer = MP4Writer(temp, fps=20)\n"
        "        for picture in noise:\n"
        "            writer.write(picture)\n"
        "        writer.close()\n"
        "except OutputError as exc:\n"
        "    print(exc)\n"
        "    sys.exit(1)\n"
    )
    out = tmp_path / "out.mp4"
    run = subprocess.run(
        [sys.executable, "-c", script, str(out)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stdout.startswith(f"{out}: ffmpeg could not finish the file"), run.stdout
    assert run.stderr == ""  # ffmpeg's own lines no longer reach the terminal
    assert not out.exists() and not leftovers(tmp_path)


def test_an_ascii_ply_promising_more_than_it_holds_is_refused(world):
    # trimesh drew the one face there was of a billion declared, without a word
    work, _ = world
    header = (
        "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
        "property float z\nelement face {faces}\nproperty list uchar int vertex_indices\nend_header\n"
    )
    body = "0 0 0\n1 0 0\n0 1 0\n3 0 1 2"  # the last line without its newline
    (work / "cut.ply").write_text(header.format(faces=1_000_000_000) + body)
    assert_one_line(holopack("inspect", "cut.ply", cwd=work, timeout=60), 2, "cut.ply", "1,000,000,003")
    (work / "whole.ply").write_text(header.format(faces=1) + body)
    run = holopack("inspect", "whole.ply", cwd=work, timeout=60)
    assert run.rc == 0, run.err


@pytest.mark.parametrize("fault", ["outside", "device", "fifo", "device path", "folder symlink"])
def test_push_reads_only_regular_files_inside_the_package(world, fault):
    # a manifest's file outside the package was hashed (and, with its SHA-256 written in,
    # would have been sent to the fan); /dev/zero behind a symlink and a FIFO hung the push
    work, canary = world
    (work / "pkg" / "files").mkdir(parents=True)
    item = {"index": 1, "name": "x", "file": "files/X.BIN", "sha256": "0" * 64, "bytes": 1}
    manifest = {"device": "3dcircle-42f2", "items": [item]}
    target = "pkg"
    if fault == "outside":
        item["file"] = "../../outside/canary.png"
    elif fault == "device":
        os.symlink("/dev/zero", work / "pkg" / "files" / "X.BIN")
    elif fault == "fifo":
        os.mkfifo(work / "pkg" / "files" / "X.BIN")
    elif fault == "device path":
        manifest["device"] = "/dev/stdin"  # a shipped profile's name only, never a path
    else:  # a folder of device files, one a symlink to a file elsewhere
        os.symlink(canary.path, work / "pkg" / "files" / "X.BIN")
        target = "pkg/files"
    write_json(work / "pkg" / "manifest.json", manifest)
    args = ("--device", "3dcircle-42f2") if target == "pkg/files" else ()
    run = holopack("push", target, "--fan", "127.0.0.1:9", "--retries", "0", *args, cwd=work, timeout=30)
    assert_one_line(run, 2, "X.BIN" if fault in ("device", "fifo", "folder symlink") else "manifest")
    canary.check()


def test_push_takes_a_wall_fans_device_by_shipped_name_only(world):
    # wall.json's device was handed to load_profile, which reads a path from anywhere
    work, canary = world
    (work / "wall" / "A1").mkdir(parents=True)
    (work / "wall" / "A1" / "TWIN.BIN").write_bytes(b"x")
    fan = {"name": "A1", "file": "A1/TWIN.BIN", "device": str(canary.path)}
    write_json(work / "wall" / "wall.json", {"fans": [fan]})
    run = holopack("push", "wall", "--wall-fan", "A1", "--fan", "127.0.0.1:9", cwd=work, timeout=30)
    assert_one_line(run, 2, "wall.json", "not a shipped profile")
    canary.check()


def test_a_tiff_of_300000_pages_is_shown_without_counting_them_all(world):
    # Pillow's page count checks each page against all before it: 300,000 one-pixel
    # pages (6 MB) ran for minutes before the first was shown
    work, _ = world
    pages = []
    at = 8
    for k in range(300_000):
        tags = [(256, 3, 1), (257, 3, 1), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 0)]
        tags += [(278, 3, 1), (279, 4, 1)]
        pixel = at + 2 + 12 * len(tags) + 4
        following = pixel + 4 if k + 1 < 300_000 else 0
        ifd = struct.pack("<H", len(tags))
        for tag, kind, value in tags:
            ifd += struct.pack("<HHII", tag, kind, 1, pixel if tag == 273 else value)
        pages.append(ifd + struct.pack("<I", following) + b"\x80\0\0\0")
        at = pixel + 4
    (work / "pages.tif").write_bytes(b"II*\0" + struct.pack("<I", 8) + b"".join(pages))
    run = holopack("inspect", "pages.tif", cwd=work, timeout=40)
    assert run.rc == 0, run.err
    assert "more than 1,000 pages; the first is shown" in run.err
