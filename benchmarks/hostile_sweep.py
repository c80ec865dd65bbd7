"""A red-team sweep of crafted inputs through every face of holopack (docs/security.md).

Each case writes a small hostile file into a folder of its own (beside a canary file in
a sibling folder that nothing may read or change), runs one holopack command on it in
a child process under a memory cap (``prlimit --as``) and a time limit, and checks the
rule for bad input: exit status 2 (1 for an output fault), one ``holopack: error:``
line on stderr, no traceback, no partial output, the canary untouched, and no hang or
memory blow-up (peak resident memory under 1 GB). A few cases are fine either way (a
file the readers may take or refuse): for those, a clean success counts too.

    .venv/bin/python benchmarks/hostile_sweep.py --scratch /tmp/hostile [--only jpeg,obj]

prints one row per case: name, verdict, exit status, seconds, peak MB, first stderr line.
The crafted files are written here byte by byte from the published formats (PNG, JPEG,
GIF, KTX 2.0, glTF 2.0, OBJ, PLY, 3DGS splat PLY and its compressed form, .splat, .spz, STL,
ZIP, USDA and USDZ), or from
Pillow's writers where the attack is in a later part of the file, and pxr's own writer
for USD crates (.usdc), whose array compression is the attack.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MB = 1 << 20
PEAK_LIMIT = 1 << 30
TINY_PROFILE = """\
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
EXPORT = ("--device", "tiny.toml", "--seconds", "0.2", "-q")


@dataclass
class Case:
    name: str
    build: Callable[[Path], list[str]]  # writes the files, returns holopack's arguments
    code: int = 2  # the exit status a refusal must have
    either: bool = False  # a clean success is fine too
    report: bool = False  # validate: a report on stdout and exit 1 is the refusal
    user: str | None = None  # run as this uid (a read-only folder means nothing to root)
    display: bool = False  # needs a display: under xvfb-run
    library: bool = False  # holopack.export(ARGS[0], "out.hps", device="tiny.toml")
    outputs: tuple[str, ...] = ("out.hps", "out.mp4", "out", "frames", "shot.png")
    user_files: dict[str, str] = field(default_factory=dict)  # path -> sha256 kept


CASES: list[Case] = []


def case(name: str, **kw):
    def wrap(build):
        CASES.append(Case(name, build, **kw))
        return build

    return wrap


# -- byte builders --------------------------------------------------------------------
def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, depth=8, colour=2, extra: bytes = b"", rows: int | None = None) -> bytes:
    """A PNG declaring width x height; pixel rows for ``rows`` lines (default all, if small)."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    row = b"\0" + bytes((width * channels * depth + 7) // 8)
    n = height if rows is None else rows
    data = zlib.compress(row * min(n, 4096), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def gltf_doc(extra: dict | None = None, positions: bytes | None = None) -> dict:
    pos = positions if positions is not None else struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    doc = {
        "asset": {"version": "2.0"},
        "buffers": [
            {
                "uri": "data:application/octet-stream;base64," + base64.b64encode(pos).decode(),
                "byteLength": len(pos),
            }
        ],
        "bufferViews": [{"buffer": 0, "byteLength": len(pos)}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": len(pos) // 12, "type": "VEC3"}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "nodes": [{"mesh": 0}],
        "scenes": [{"nodes": [0]}],
        "scene": 0,
    }
    doc.update(extra or {})
    return doc


def glb(doc: dict, binary: bytes = b"") -> bytes:
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    body = struct.pack("<I4s", len(text), b"JSON") + text
    if binary:
        body += struct.pack("<I4s", len(binary), b"BIN\0") + binary
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


def textured(d: Path, image_uri: str, name="model.gltf", ext: dict | None = None) -> None:
    image: dict = {"uri": image_uri}
    texture: dict = {"source": 0}
    if ext:
        texture = {"extensions": ext}
    uv = struct.pack("<6f", 0, 0, 1, 0, 0, 1)
    pos = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    doc = gltf_doc(
        {
            "images": [image],
            "textures": [texture],
            "materials": [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
        },
        positions=pos + uv,
    )
    doc["bufferViews"] = [
        {"buffer": 0, "byteLength": 36},
        {"buffer": 0, "byteOffset": 36, "byteLength": 24},
    ]
    doc["accessors"] = [
        {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"},
        {"bufferView": 1, "componentType": 5126, "count": 3, "type": "VEC2"},
    ]
    doc["meshes"] = [{"primitives": [{"attributes": {"POSITION": 0, "TEXCOORD_0": 1}, "material": 0}]}]
    if ext:
        doc["extensionsUsed"] = list(ext)
    (d / name).write_text(json.dumps(doc))


def progressive_jpeg_many_scans(scans: int, size: int = 1024) -> bytes:
    """A progressive JPEG whose last refinement scan is repeated until it has ``scans``."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), (90, 120, 200)).save(buf, "JPEG", progressive=True, quality=90)
    data = buf.getvalue()
    # split at the markers: the last SOS segment and its entropy-coded data up to EOI
    last_sos = data.rfind(b"\xff\xda")
    tail = data[last_sos:-2]
    return data[:-2] + tail * max(0, scans - data.count(b"\xff\xda")) + b"\xff\xd9"


def ktx2(width: int, height: int, levels: int, scheme: int = 1, layers: int = 0, faces: int = 1) -> bytes:
    """A KTX 2.0 header (no payload to speak of): vkFormat 0 (Basis), the given counts."""
    ident = b"\xabKTX 20\xbb\r\n\x1a\n"
    head = struct.pack("<9I", 0, 1, width, height, 0, layers, faces, levels, scheme)
    index = struct.pack("<4I2Q", 0, 0, 0, 0, 0, 0)
    level_index = b"".join(struct.pack("<3Q", 200, 16, 16) for _ in range(min(levels, 64)))
    return ident + head + index + level_index + bytes(64)


def obj_textured(d: Path, map_line: str) -> None:
    (d / "model.obj").write_text(
        "mtllib model.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nusemtl m\nf 1/1 2/2 3/3\n"
    )
    (d / "model.mtl").write_text(f"newmtl m\nKd 1 1 1\n{map_line}\n")


def package_zip(d: Path, entries: list[tuple], name="pkg.zip") -> None:
    with zipfile.ZipFile(d / name, "w") as zf:
        for entry in entries:
            if isinstance(entry[0], zipfile.ZipInfo):
                zf.writestr(entry[0], entry[1])
            else:
                zf.writestr(entry[0], entry[1])


def manifest(items=(), **extra) -> str:
    return json.dumps(
        {"format": "holopack-package/1", "device": "3dcircle-42f2", "items": list(items), **extra}
    )


# -- glTF and GLB -----------------------------------------------------------------------
@case("gltf-data-uri-600MB")
def _(d):
    # a JSON of 600 MB, nearly all one data: URI (decoded it would be 450 MB)
    with open(d / "big.gltf", "w") as f:
        doc = gltf_doc()
        head = json.dumps(doc)[:-1]
        f.write(head + ', "extras": {"blob": "data:application/octet-stream;base64,')
        block = "A" * (1 << 20)
        for _ in range(600):
            f.write(block)
        f.write('"}}')
    return ["inspect", "big.gltf"]


@case("glb-bin-chunk-700MB")
def _(d):
    # a GLB whose binary chunk is 700 MB and used by nothing but the first 36 bytes
    doc = gltf_doc()
    doc["buffers"] = [{"byteLength": 700 * MB}]
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    size = 12 + 8 + len(text) + 8 + 700 * MB
    with open(d / "big.glb", "wb") as f:
        f.write(b"glTF" + struct.pack("<II", 2, size) + struct.pack("<I4s", len(text), b"JSON") + text)
        f.write(struct.pack("<I4s", 700 * MB, b"BIN\0") + struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0))
        f.truncate(size)
    return ["inspect", "big.glb"]


@case("gltf-json-nested-100000")
def _(d):
    (d / "deep.gltf").write_text('{"asset":{"version":"2.0"},"extras":' + "[" * 100000 + "]" * 100000 + "}")
    return ["inspect", "deep.gltf"]


@case("gltf-string-100MB", either=True)
def _(d):
    doc = gltf_doc()
    doc["meshes"][0]["name"] = "x" * (100 * MB)
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["inspect", "m.gltf"]


@case("gltf-utf16")
def _(d):
    (d / "m.gltf").write_bytes(json.dumps(gltf_doc()).encode("utf-16"))
    return ["inspect", "m.gltf"]


@case("gltf-duplicate-keys", either=True)
def _(d):
    text = json.dumps(gltf_doc())
    text = text.replace('"scene": 0', '"scene": 0, "scene": 7')
    (d / "m.gltf").write_text(text)
    return ["inspect", "m.gltf"]


@case("gltf-count-infinity")
def _(d):
    text = json.dumps(gltf_doc()).replace('"count": 3', '"count": Infinity')
    (d / "m.gltf").write_text(text)
    return ["inspect", "m.gltf"]


@case("gltf-byteoffset-nan")
def _(d):
    text = json.dumps(gltf_doc()).replace('"byteLength": 36}]', '"byteLength": 36, "byteOffset": NaN}]')
    (d / "m.gltf").write_text(text)
    return ["inspect", "m.gltf"]


@case("gltf-count-x-stride-overflow")
def _(d):
    doc = gltf_doc()
    doc["bufferViews"][0]["byteStride"] = 252
    doc["accessors"][0]["count"] = (1 << 28) - 1
    doc["accessors"][0]["byteOffset"] = 2**53 - 1
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["inspect", "m.gltf"]


@case("gltf-negative-float-index")
def _(d):
    doc = gltf_doc()
    doc["meshes"][0]["primitives"][0]["indices"] = -1.5
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["inspect", "m.gltf"]


@case("gltf-100000-nodes", either=True)
def _(d):
    doc = gltf_doc()
    doc["nodes"] = [{"mesh": 0, "translation": [i % 7, 0, 0]} for i in range(100_000)]
    doc["scenes"] = [{"nodes": list(range(100_000))}]
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["export", "m.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-20000-meshes-materials", either=True)
def _(d):
    doc = gltf_doc()
    n = 20_000
    doc["materials"] = [{"pbrMetallicRoughness": {"baseColorFactor": [1, 0, 0, 1]}} for _ in range(n)]
    doc["meshes"] = [{"primitives": [{"attributes": {"POSITION": 0}, "material": i}]} for i in range(n)]
    doc["nodes"] = [{"mesh": i} for i in range(n)]
    doc["scenes"] = [{"nodes": list(range(n))}]
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["export", "m.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-10000-animations", either=True)
def _(d):
    times = struct.pack("<2f", 0, 1)
    moves = struct.pack("<6f", 0, 0, 0, 1, 0, 0)
    pos = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    doc = gltf_doc(positions=pos + times + moves)
    doc["bufferViews"] = [
        {"buffer": 0, "byteLength": 36},
        {"buffer": 0, "byteOffset": 36, "byteLength": 8},
        {"buffer": 0, "byteOffset": 44, "byteLength": 24},
    ]
    doc["accessors"] = [
        {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"},
        {"bufferView": 1, "componentType": 5126, "count": 2, "type": "SCALAR", "min": [0], "max": [1]},
        {"bufferView": 2, "componentType": 5126, "count": 2, "type": "VEC3"},
    ]
    anim = {
        "samplers": [{"input": 1, "output": 2}],
        "channels": [{"sampler": 0, "target": {"node": 0, "path": "translation"}}],
    }
    doc["animations"] = [dict(anim, name=f"a{i}") for i in range(10_000)]
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["export", "m.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-animation-1e8-keyframes")
def _(d):
    doc = gltf_doc()
    doc["accessors"] += [
        {"componentType": 5126, "count": 100_000_000, "type": "SCALAR", "min": [0], "max": [1]},
        {"componentType": 5126, "count": 100_000_000, "type": "VEC3"},
    ]
    doc["animations"] = [
        {
            "samplers": [{"input": 1, "output": 2}],
            "channels": [{"sampler": 0, "target": {"node": 0, "path": "translation"}}],
        }
    ]
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["export", "m.gltf", "-o", "out.hps", *EXPORT]


def animated_triangle(times: list[float], values: list[float], path: str) -> dict:
    """A triangle whose node 0 has one channel: ``times`` (SCALAR keyframe times) and
    ``values`` (VEC3 per keyframe, flattened) on ``path``, all floats packed as given."""
    pos = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    key_bytes = struct.pack(f"<{len(times)}f", *times)
    value_bytes = struct.pack(f"<{len(values)}f", *values)
    doc = gltf_doc(positions=pos + key_bytes + value_bytes)
    doc["bufferViews"] = [
        {"buffer": 0, "byteLength": 36},
        {"buffer": 0, "byteOffset": 36, "byteLength": len(key_bytes)},
        {"buffer": 0, "byteOffset": 36 + len(key_bytes), "byteLength": len(value_bytes)},
    ]
    doc["accessors"] = [
        {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"},
        {"bufferView": 1, "componentType": 5126, "count": len(times), "type": "SCALAR"},
        {"bufferView": 2, "componentType": 5126, "count": len(values) // 3, "type": "VEC3"},
    ]
    doc["animations"] = [
        {
            "samplers": [{"input": 1, "output": 2}],
            "channels": [{"sampler": 0, "target": {"node": 0, "path": path}}],
        }
    ]
    return doc


@case("gltf-keyframe-times-nan-decreasing", either=True)
def _(d):
    doc = animated_triangle([1.0, float("nan"), 0.5, -3.0], [0, 0, 0] * 4, "translation")
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["export", "m.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-keyframe-values-inf", either=True)
def _(d):
    doc = animated_triangle([0.0, 1.0], [0, 0, 0, float("inf"), float("nan"), 1e38], "scale")
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["export", "m.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-positions-nan-inf", either=True)
def _(d):
    pos = struct.pack("<9f", 0, 0, 0, float("nan"), 0, 0, 0, float("inf"), 0)
    (d / "m.gltf").write_text(json.dumps(gltf_doc(positions=pos)))
    return ["export", "m.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-positions-1e38", either=True)
def _(d):
    pos = struct.pack("<9f", 0, 0, 0, 3e38, 0, 0, 0, -3e38, 0)
    (d / "m.gltf").write_text(json.dumps(gltf_doc(positions=pos)))
    return ["export", "m.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-matrix-singular", either=True)
def _(d):
    doc = gltf_doc()
    doc["nodes"][0]["matrix"] = [0] * 16
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["export", "m.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-scale-1e30", either=True)
def _(d):
    doc = gltf_doc()
    doc["nodes"] = [{"children": [1], "scale": [1e30, 1e30, 1e30]}, {"mesh": 0, "scale": [1e30, 1e30, 1e30]}]
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["export", "m.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-weights-nan", either=True)
def _(d):
    doc = gltf_doc()
    doc["meshes"][0]["primitives"][0]["targets"] = [{"POSITION": 0}]
    doc["meshes"][0]["weights"] = [1e29]
    text = json.dumps(doc).replace("[1e+29]", "[NaN]")
    (d / "m.gltf").write_text(text)
    return ["export", "m.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-morph-10000-targets", either=True)
def _(d):
    doc = gltf_doc()
    doc["meshes"][0]["primitives"][0]["targets"] = [{"POSITION": 0}] * 10_000
    doc["meshes"][0]["weights"] = [0.0001] * 10_000
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["export", "m.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-skin-1e6-joints")
def _(d):
    n = 1_000_000
    doc = gltf_doc()
    doc["nodes"] = [{"mesh": 0, "skin": 0}] + [{} for _ in range(n)]
    doc["skins"] = [{"joints": list(range(1, n + 1))}]
    joints = struct.pack("<12H", *([1, 0, 0, 0] * 3))
    weights = struct.pack("<12f", *([1, 0, 0, 0] * 3))
    pos = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    doc2 = gltf_doc(positions=pos + joints + weights)
    doc["buffers"] = doc2["buffers"]
    doc["bufferViews"] = [
        {"buffer": 0, "byteLength": 36},
        {"buffer": 0, "byteOffset": 36, "byteLength": 24},
        {"buffer": 0, "byteOffset": 60, "byteLength": 48},
    ]
    doc["accessors"] = [
        {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"},
        {"bufferView": 1, "componentType": 5123, "count": 3, "type": "VEC4"},
        {"bufferView": 2, "componentType": 5126, "count": 3, "type": "VEC4"},
    ]
    doc["meshes"][0]["primitives"][0]["attributes"].update({"JOINTS_0": 1, "WEIGHTS_0": 2})
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["export", "m.gltf", "-o", "out.hps", *EXPORT]


@case("glb-draco-lying-sizes")
def _(d):
    doc = gltf_doc()
    doc["extensionsUsed"] = doc["extensionsRequired"] = ["KHR_draco_mesh_compression"]
    blob = b"DRACO\x02\x02\x01\x01\x00\x00" + struct.pack("<I", 0xFFFFFFF0) + bytes(40)
    doc["buffers"] = [{"byteLength": len(blob) + (-len(blob) % 4)}]
    doc["bufferViews"] = [{"buffer": 0, "byteLength": len(blob)}]
    doc["accessors"] = [{"componentType": 5126, "count": 200_000_000, "type": "VEC3"}]
    doc["meshes"][0]["primitives"][0]["extensions"] = {
        "KHR_draco_mesh_compression": {"bufferView": 0, "attributes": {"POSITION": 0}}
    }
    (d / "m.glb").write_bytes(glb(doc, blob))
    return ["inspect", "m.glb"]


@case("glb-meshopt-lying-sizes")
def _(d):
    doc = gltf_doc()
    doc["extensionsUsed"] = doc["extensionsRequired"] = ["EXT_meshopt_compression"]
    blob = bytes([0xA0]) + bytes(63)
    count, stride = 50_000_000, 12
    doc["buffers"] = [
        {"byteLength": 64},
        {"byteLength": count * stride, "extensions": {"EXT_meshopt_compression": {"fallback": True}}},
    ]
    doc["bufferViews"] = [
        {
            "buffer": 1,
            "byteLength": count * stride,
            "extensions": {
                "EXT_meshopt_compression": {
                    "buffer": 0,
                    "byteLength": 64,
                    "byteStride": stride,
                    "count": count,
                    "mode": "ATTRIBUTES",
                }
            },
        }
    ]
    doc["accessors"] = [{"bufferView": 0, "componentType": 5126, "count": count, "type": "VEC3"}]
    (d / "m.glb").write_bytes(glb(doc, blob))
    return ["inspect", "m.glb"]


# -- pictures inside models -------------------------------------------------------------
@case("gltf-png-texture-60000")
def _(d):
    (d / "t.png").write_bytes(png(60000, 60000, rows=1))
    textured(d, "t.png")
    return ["export", "model.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-png-texture-13000-in-bufferview")
def _(d):
    doc = gltf_doc()
    pic = png(13000, 13000, rows=1)
    textured(d, "data:image/png;base64," + base64.b64encode(pic).decode())
    del doc
    return ["export", "model.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-webp-texture-9000")
def _(d):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (9000, 9000), (5, 5, 5)).save(buf, "WEBP", quality=1, method=0)
    (d / "t.webp").write_bytes(buf.getvalue())
    textured(d, "t.webp", ext={"EXT_texture_webp": {"source": 0}})
    return ["export", "model.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-png-huge-ztxt-iccp", either=True)
def _(d):
    bomb = zlib.compress(b"\0" * (200 * MB), 9)
    extra = chunk(b"zTXt", b"Comment\0\0" + bomb) + chunk(b"iCCP", b"icc\0\0" + bomb)
    (d / "t.png").write_bytes(png(4, 4, extra=extra))
    textured(d, "t.png")
    return ["export", "model.gltf", "-o", "out.hps", *EXPORT]


@case("png-still-huge-iccp", either=True)
def _(d):
    bomb = zlib.compress(b"\0" * (200 * MB), 9)
    (d / "p.png").write_bytes(png(4, 4, extra=chunk(b"iCCP", b"icc\0\0" + bomb)))
    return ["export", "p.png", "-o", "out.hps", *EXPORT]


@case("png-16bit-palette")
def _(d):
    (d / "p.png").write_bytes(png(4, 4, depth=16, colour=3))
    return ["export", "p.png", "-o", "out.hps", *EXPORT]


@case("gltf-png-16bit-palette-texture")
def _(d):
    (d / "t.png").write_bytes(png(4, 4, depth=16, colour=3))
    textured(d, "t.png")
    return ["export", "model.gltf", "-o", "out.hps", *EXPORT]


@case("jpeg-still-65535-scans")
def _(d):
    (d / "p.jpg").write_bytes(progressive_jpeg_many_scans(65535))
    return ["export", "p.jpg", "-o", "out.hps", *EXPORT]


@case("gltf-jpeg-texture-65535-scans")
def _(d):
    (d / "t.jpg").write_bytes(progressive_jpeg_many_scans(65535))
    textured(d, "t.jpg")
    return ["export", "model.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-ktx2-absurd-levels")
def _(d):
    (d / "t.ktx2").write_bytes(ktx2(4, 4, levels=0x7FFFFFFF, scheme=1))
    textured(d, "t.ktx2", ext={"KHR_texture_basisu": {"source": 0}})
    return ["export", "model.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-ktx2-60000-zstd")
def _(d):
    (d / "t.ktx2").write_bytes(ktx2(60000, 60000, levels=1, scheme=2))
    textured(d, "t.ktx2", ext={"KHR_texture_basisu": {"source": 0}})
    return ["export", "model.gltf", "-o", "out.hps", *EXPORT]


@case("gltf-ktx2-faces-layers")
def _(d):
    (d / "t.ktx2").write_bytes(ktx2(4, 4, levels=1, scheme=1, layers=0xFFFFFFFF, faces=6))
    textured(d, "t.ktx2", ext={"KHR_texture_basisu": {"source": 0}})
    return ["export", "model.gltf", "-o", "out.hps", *EXPORT]


# -- OBJ / MTL / STL / PLY / OFF -----------------------------------------------------------
@case("obj-map-kd-png-13000")
def _(d):
    (d / "t.png").write_bytes(png(13000, 13000, rows=1))
    obj_textured(d, "map_Kd t.png")
    return ["export", "model.obj", "-o", "out.hps", *EXPORT]


@case("obj-map-kd-jpeg-65535-scans")
def _(d):
    (d / "t.jpg").write_bytes(progressive_jpeg_many_scans(65535))
    obj_textured(d, "map_Kd t.jpg")
    return ["export", "model.obj", "-o", "out.hps", *EXPORT]


@case("obj-map-kd-dev-zero-symlink")
def _(d):
    os.symlink("/dev/zero", d / "t.png")
    obj_textured(d, "map_Kd t.png")
    return ["export", "model.obj", "-o", "out.hps", *EXPORT]


@case("obj-mtllib-absolute-etc-passwd")
def _(d):
    (d / "model.obj").write_text("mtllib /etc/passwd\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    return ["export", "model.obj", "-o", "out.hps", *EXPORT]


@case("obj-face-index-beyond-range")
def _(d):
    (d / "m.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 99999999\n")
    return ["export", "m.obj", "-o", "out.hps", *EXPORT]


@case("obj-face-index-zero-negative")
def _(d):
    (d / "m.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 -1 -7\n")
    return ["export", "m.obj", "-o", "out.hps", *EXPORT]


@case("obj-one-face-1e6-corners", either=True)
def _(d):
    (d / "m.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf " + "1 2 3 " * 333_333 + "\n")
    return ["export", "m.obj", "-o", "out.hps", *EXPORT]


@case("ply-2pow40-vertices")
def _(d):
    (d / "m.ply").write_bytes(
        b"ply\nformat binary_little_endian 1.0\nelement vertex 1099511627776\n"
        b"property float x\nproperty float y\nproperty float z\nelement face 1\n"
        b"property list uchar int vertex_indices\nend_header\n" + bytes(36) + b"\x03" + bytes(12)
    )
    return ["export", "m.ply", "-o", "out.hps", *EXPORT]


@case("ply-ascii-1e9-faces")
def _(d):
    (d / "m.ply").write_text(
        "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
        "element face 1000000000\nproperty list uchar int vertex_indices\nend_header\n"
        "0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n"
    )
    return ["export", "m.ply", "-o", "out.hps", *EXPORT]


@case("ply-list-count-255-huge-faces")
def _(d):
    head = (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
        b"property float z\nelement face 200000000\nproperty list uint int vertex_indices\nend_header\n"
    )
    body = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0) + struct.pack("<I", 0xFFFFFFFF) + bytes(64)
    (d / "m.ply").write_bytes(head + body)
    return ["export", "m.ply", "-o", "out.hps", *EXPORT]


@case("stl-binary-count-lies")
def _(d):
    tri = struct.pack("<12fH", 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0)
    (d / "m.stl").write_bytes(b"\0" * 80 + struct.pack("<I", 0xFFFFFFFF) + tri)
    return ["export", "m.stl", "-o", "out.hps", *EXPORT]


@case("stl-ascii-nan", either=True)
def _(d):
    (d / "m.stl").write_text(
        "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex nan 0 0\nvertex 0 inf 0\n"
        "endloop\nendfacet\nendsolid x\n"
    )
    return ["export", "m.stl", "-o", "out.hps", *EXPORT]


@case("off-huge-counts")
def _(d):
    (d / "m.off").write_text("OFF\n100000000000 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")
    return ["export", "m.off", "-o", "out.hps", *EXPORT]


# -- pictures and videos given directly ---------------------------------------------------
@case("gif-65535-screen-1x1-frames")
def _(d):
    head = b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    frame = b"\x21\xf9\x04\x00\x0a\x00\x00\x00" + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
    frame += b"\x02\x02\x44\x01\x00"
    (d / "a.gif").write_bytes(head + frame * 3 + b"\x3b")
    return ["export", "a.gif", "-o", "out.hps", *EXPORT]


def apng(frames_declared: int, frames_written: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    out = [
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"acTL", struct.pack(">II", frames_declared, 0))
    ]
    seq = 0
    data = zlib.compress(b"\0\0\0\0")
    for k in range(frames_written):
        fctl = struct.pack(">IIIIIHHBB", seq, 1, 1, 0, 0, 1, 100, 0, 0)
        out.append(chunk(b"fcTL", fctl))
        seq += 1
        if k == 0:
            out.append(chunk(b"IDAT", data))
        else:
            out.append(chunk(b"fdAT", struct.pack(">I", seq) + data))
            seq += 1
    return b"".join(out) + chunk(b"IEND", b"")


@case("apng-1e6-frames-declared-3-written")
def _(d):
    (d / "a.png").write_bytes(apng(1_000_000, 3))
    return ["export", "a.png", "-o", "out.hps", *EXPORT]


@case("apng-300000-frames-of-1x1")
def _(d):
    (d / "a.png").write_bytes(apng(300_000, 300_000))
    return ["export", "a.png", "-o", "out.hps", *EXPORT]


@case("mjpeg-avi-header-60000")
def _(d):
    # an AVI of one MJPEG frame whose JPEG header says 60000 x 60000
    sof = (
        b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, 60000, 60000, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"
    )
    frame = b"\xff\xd8" + sof + b"\xff\xd9"
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "JPEG")
    good = buf.getvalue()
    import imageio_ffmpeg

    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "quiet",
            "-y",
            "-f",
            "mjpeg",
            "-i",
            "-",
            "-c",
            "copy",
            str(d / "v.avi"),
        ],
        input=good,
        check=True,
    )
    raw = (d / "v.avi").read_bytes()
    at = raw.find(b"\xff\xc0")
    raw = raw[:at] + sof[:9] + raw[at + 9 :]
    (d / "v.avi").write_bytes(raw)
    del frame
    return ["export", "v.avi", "-o", "out.hps", *EXPORT]


@case("folder-symlink-to-etc-passwd", outputs=("out.hps",))
def _(d):
    (d / "frames").mkdir()
    for k in range(3):
        (d / "frames" / f"{k:04d}.png").write_bytes(png(8, 8))
    os.symlink("/etc/passwd", d / "frames" / "0003.png")
    return ["export", "frames", "-o", "out.hps", *EXPORT]


@case("folder-symlink-to-picture-outside", outputs=("out.hps",))
def _(d):
    (d / "frames").mkdir()
    for k in range(3):
        (d / "frames" / f"{k:04d}.png").write_bytes(png(8, 8))
    os.symlink(d.parent / "outside" / "canary.png", d / "frames" / "0003.png")
    return ["export", "frames", "-o", "out.hps", *EXPORT]


@case("folder-symlink-dev-zero", outputs=("out.hps",))
def _(d):
    (d / "frames").mkdir()
    (d / "frames" / "0000.png").write_bytes(png(8, 8))
    os.symlink("/dev/zero", d / "frames" / "0001.png")
    return ["export", "frames", "-o", "out.hps", *EXPORT]


@case("folder-100000-pictures", either=True, outputs=("out.hps",))
def _(d):
    (d / "frames").mkdir()
    picture = png(8, 8)
    for k in range(100_000):
        (d / "frames" / f"{k:06d}.png").write_bytes(picture)
    return ["export", "frames", "-o", "out.hps", *EXPORT]


# -- fan files given to decode ------------------------------------------------------------
def hps(frames_declared: int, frames_written: int, slices=16, columns=8, text=TINY_PROFILE) -> bytes:
    t = text.encode()
    fixed = struct.pack(
        "<8sHHIIBBHIII", b"\x89HPS\r\n\x1a\n", 1, 0, slices, columns, 3, 8, 0, 20_000, frames_declared, len(t)
    )
    crc = zlib.crc32(fixed[:28] + fixed[32:36] + t)
    out = fixed + struct.pack("<I", crc) + t
    for k in range(frames_written):
        codes = bytes(slices * columns * 3)
        index = struct.pack("<I", k)
        out += b"HPSF" + index + codes + struct.pack("<I", zlib.crc32(index + codes))
    return out


@case("hps-frame-count-lies")
def _(d):
    (d / "f.hps").write_bytes(hps(4_000_000_000, 2))
    return ["decode", "f.hps", "-o", "out.mp4", "--size", "64", "-q"]


@case("hps-huge-slices-columns")
def _(d):
    (d / "f.hps").write_bytes(hps(1, 0, slices=0xFFFFFFFF, columns=0xFFFFFFFF))
    return ["decode", "f.hps", "-o", "out.mp4", "--size", "64", "-q"]


@case("bin-42f2-garbage")
def _(d):
    (d / "f.BIN").write_bytes(b"\xff" * 4096)
    return ["decode", "f.BIN", "-o", "out.mp4", "--size", "64", "-q"]


# -- models handed over zipped (holopack/scene/archive.py) ----------------------------------
def model_zip(d: Path, entries: list[tuple], name="twin.zip") -> None:
    """A small glTF triangle as scene.gltf plus ``entries`` ((name or ZipInfo, data))."""
    package_zip(d, [("scene.gltf", json.dumps(gltf_doc())), *entries], name)


@case("model-zip-slip-names", either=True)
def _(d):
    model_zip(
        d, [("../outside/canary.png", "overwritten"), ("/tmp/holopack-x.png", "x"), ("a/../../../x", "x")]
    )
    return ["export", "twin.zip", "-o", "out.hps", *EXPORT]


@case("model-zip-symlink-texture", either=True)
def _(d):
    info = zipfile.ZipInfo("textures/t.png")
    info.create_system = 3
    info.external_attr = 0o120777 << 16
    doc = gltf_doc()
    doc["images"] = [{"uri": "textures/t.png"}]
    doc["textures"] = [{"source": 0}]
    doc["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
    doc["meshes"][0]["primitives"][0]["material"] = 0
    package_zip(
        d, [("scene.gltf", json.dumps(doc)), (info, str(d.parent / "outside" / "canary.png"))], "twin.zip"
    )
    return ["export", "twin.zip", "-o", "out.hps", *EXPORT]


@case("model-zip-bomb-1200MB")
def _(d):
    with zipfile.ZipFile(d / "twin.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("scene.gltf", json.dumps(gltf_doc()))
        with zf.open("padding.bin", "w", force_zip64=True) as member:
            block = bytes(16 * MB)
            for _ in range(75):  # 1200 MB of zeros, about 1.2 MB deflated
                member.write(block)
    return ["export", "twin.zip", "-o", "out.hps", *EXPORT]


@case("model-zip-100001-members")
def _(d):
    with zipfile.ZipFile(d / "twin.zip", "w") as zf:
        zf.writestr("scene.gltf", json.dumps(gltf_doc()))
        for i in range(100_000):
            zf.writestr(f"e/{i}", b"")
    return ["inspect", "twin.zip"]


@case("model-zip-only-a-zip-inside")
def _(d):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("scene.gltf", json.dumps(gltf_doc()))
    package_zip(d, [("inner.zip", inner.getvalue())], "twin.zip")
    return ["export", "twin.zip", "-o", "out.hps", *EXPORT]


@case("model-zip-truncated")
def _(d):
    model_zip(d, [("textures/t.png", png(64, 64))])
    raw = (d / "twin.zip").read_bytes()
    (d / "twin.zip").write_bytes(raw[: len(raw) // 2])
    return ["export", "twin.zip", "-o", "out.hps", *EXPORT]


@case("model-zip-two-models", display=True)
def _(d):
    model_zip(d, [("other.gltf", json.dumps(gltf_doc()))])
    return ["preview", "twin.zip", "--frames", "1"]


# -- packages and zips ----------------------------------------------------------------------
@case("zip-absolute-and-slip-names", code=1, report=True)
def _(d):
    package_zip(d, [("fan/manifest.json", manifest()), ("/etc/holopack-x", "x"), ("a/../../../x", "x")])
    return ["validate", "pkg.zip"]


@case("zip-symlink-entry", code=1, report=True)
def _(d):
    info = zipfile.ZipInfo("fan/files/link.hps")
    info.create_system = 3
    info.external_attr = 0o120777 << 16
    package_zip(d, [("fan/manifest.json", manifest()), (info, "/etc/passwd")])
    return ["validate", "pkg.zip"]


@case("zip-duplicate-names", code=1, report=True)
def _(d):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        package_zip(d, [("fan/manifest.json", manifest()), ("fan/manifest.json", "{")])
    return ["validate", "pkg.zip"]


@case("zip-central-directory-lies", code=1, report=True)
def _(d):
    package_zip(d, [("fan/manifest.json", manifest()), ("fan/files/a.bin", b"\0" * 1000)])
    raw = bytearray((d / "pkg.zip").read_bytes())
    # every central directory record claims 4 GB uncompressed at a local offset past the end
    at = 0
    while (at := raw.find(b"PK\x01\x02", at)) >= 0:
        struct.pack_into("<I", raw, at + 24, 0xFFFFFFF0)
        struct.pack_into("<I", raw, at + 42, 0x7FFFFFF0)
        at += 4
    (d / "pkg.zip").write_bytes(bytes(raw))
    return ["validate", "pkg.zip"]


@case("zip-manifest-names-outside-files", code=1, report=True)
def _(d):
    items = [
        {"name": "x", "file": "../../../etc/passwd", "sha256": "0" * 64, "bytes": 1},
        {"name": "y", "file": "/etc/passwd", "sha256": "0" * 64, "bytes": 1},
    ]
    package_zip(d, [("fan/manifest.json", manifest(items))])
    return ["validate", "pkg.zip"]


@case("zip-deflate-bomb-manifest", code=1, report=True)
def _(d):
    with zipfile.ZipFile(d / "pkg.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("fan/manifest.json", b" " * (1 << 30))
    return ["validate", "pkg.zip"]


# -- text files users write -----------------------------------------------------------------
def profile_with(line: str) -> str:
    return TINY_PROFILE.replace("fps = 20\n", f"fps = 20\n{line}\n")


for _label, _key, _value in [
    ("1e309", "fps", "1e309"),
    ("nan", "fps", "nan"),
    ("minus-inf", "fps", "-inf"),
    ("minus-zero", "fps", "-0.0"),
    ("integer-1e30", "fps", "1000000000000000000000000000000"),
    ("string", "fps", '"twenty"'),
    ("50000-nested-arrays", "name", "[" * 50000 + "]" * 50000),
    ("5000-nested-tables", "description", "{ a = " * 5000 + "1" + " }" * 5000),
]:

    def _build(d, key=_key, value=_value):
        text = TINY_PROFILE.replace("fps = 20\n", "") if key == "fps" else TINY_PROFILE
        if key == "name":
            text = text.replace('name = "tiny"\n', "")
        (d / "bad.toml").write_text(
            text.replace('format = "polarstream"\n', f'format = "polarstream"\n{key} = {value}\n')
        )
        (d / "m.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
        return ["export", "m.obj", "-o", "out.hps", "--device", "bad.toml", "--seconds", "0.2", "-q"]

    CASES.append(Case(f"profile-{_key}-{_label}", _build))


@case("profile-huge-blade-array")
def _(d):
    blades = "".join(f"[[geometry.blades]]\nangle_deg = {k % 360}.0\n" for k in range(200_000))
    (d / "bad.toml").write_text(TINY_PROFILE + blades)
    (d / "m.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    return ["export", "m.obj", "-o", "out.hps", "--device", "bad.toml", "--seconds", "0.2", "-q"]


@case("profile-leds-1e9")
def _(d):
    (d / "bad.toml").write_text(TINY_PROFILE.replace("leds_per_blade = 8", "leds_per_blade = 1000000000"))
    (d / "m.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    return ["export", "m.obj", "-o", "out.hps", "--device", "bad.toml", "--seconds", "0.2", "-q"]


@case("profile-slices-1e9")
def _(d):
    (d / "bad.toml").write_text(TINY_PROFILE.replace("slices = 16", "slices = 1000000000"))
    (d / "m.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    return ["export", "m.obj", "-o", "out.hps", "--device", "bad.toml", "--seconds", "0.2", "-q"]


# -- outputs -------------------------------------------------------------------------------
def _triangle(d: Path) -> None:
    (d / "tiny.toml").write_text(TINY_PROFILE)
    (d / "m.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")


@case("output-symlink-to-users-file", either=True, outputs=())
def _(d):
    _triangle(d)
    (d / "precious.txt").write_text("the user's own words\n")
    os.symlink("precious.txt", d / "out.hps")
    return ["export", "m.obj", "-o", "out.hps", *EXPORT]


@case("output-dangling-symlink", either=True, outputs=())
def _(d):
    _triangle(d)
    os.symlink(d.parent / "outside" / "new.hps", d / "out.hps")
    return ["export", "m.obj", "-o", "out.hps", *EXPORT]


@case("output-dev-stdout", either=True, outputs=())
def _(d):
    _triangle(d)
    return ["export", "m.obj", "-o", "/dev/stdout", *EXPORT]


@case("output-symlink-to-dev-full", either=True, outputs=())
def _(d):
    _triangle(d)
    os.symlink("/dev/full", d / "out.hps")
    return ["export", "m.obj", "-o", "out.hps", *EXPORT]


@case("output-read-only-folder", code=1, outputs=("ro/out.hps",), user="65534")
def _(d):
    _triangle(d)
    (d / "ro").mkdir()
    os.chmod(d / "ro", 0o555)
    return ["export", "m.obj", "-o", "ro/out.hps", *EXPORT]


@case("output-full-disk", code=1, outputs=())
def _(d):
    _triangle(d)
    return ["export", "m.obj", "-o", "full/out.mp4", "--device", "tiny.toml", "--seconds", "0.2", "-q"]


# -- the other faces: preview (headless), the library, push, decode, validate --------------
LIBRARY = (
    "import sys\n"
    "import holopack\n"
    "from holopack.errors import HolopackError\n"
    "try:\n"
    "    holopack.export(sys.argv[1], 'out.hps', device='tiny.toml', seconds=0.2, progress=False)\n"
    "except HolopackError as exc:\n"
    "    print(f'holopack: error: {exc}', file=sys.stderr)\n"
    "    sys.exit(exc.exit_code)\n"
)


@case("preview-jpeg-65535-scans", display=True)
def _(d):
    (d / "p.jpg").write_bytes(progressive_jpeg_many_scans(65535))
    return ["preview", "p.jpg", "--frames", "3", "--screenshot", "shot.png"]


@case("preview-folder-symlink-out", display=True, outputs=("shot.png",))
def _(d):
    (d / "frames").mkdir()
    for k in range(3):
        (d / "frames" / f"{k:04d}.png").write_bytes(png(8, 8))
    os.symlink(d.parent / "outside" / "canary.png", d / "frames" / "0003.png")
    return ["preview", "frames", "--frames", "3", "--screenshot", "shot.png"]


@case("preview-gltf-1e6-joints", display=True)
def _(d):
    n = 1_000_000
    doc = gltf_doc()
    doc["nodes"] = [{"mesh": 0}] + [{} for _ in range(n)]
    (d / "m.gltf").write_text(json.dumps(doc))
    return ["preview", "m.gltf", "--frames", "3", "--screenshot", "shot.png"]


@case("library-export-jpeg-65535-scans", library=True)
def _(d):
    (d / "p.jpg").write_bytes(progressive_jpeg_many_scans(65535))
    return ["p.jpg"]


@case("library-export-folder-symlink-out", library=True, outputs=("out.hps",))
def _(d):
    (d / "frames").mkdir()
    for k in range(3):
        (d / "frames" / f"{k:04d}.png").write_bytes(png(8, 8))
    os.symlink("/etc/passwd", d / "frames" / "0003.png")
    return ["frames"]


@case("library-export-obj-texture-13000", library=True)
def _(d):
    (d / "t.png").write_bytes(png(13000, 13000, rows=1))
    obj_textured(d, "map_Kd t.png")
    return ["model.obj"]


@case("push-folder-manifest-names-outside", code=2)
def _(d):
    (d / "pkg").mkdir()
    items = [{"index": 1, "name": "x", "file": "../outside/canary.png", "sha256": "0" * 64, "bytes": 1}]
    (d / "pkg" / "manifest.json").write_text(json.dumps({"device": "3dcircle-42f2", "items": items}))
    os.symlink(d.parent / "outside", d / "outside")
    return ["push", "pkg", "--fan", "127.0.0.1:9", "--retries", "0", "-q"]


@case("push-folder-manifest-names-device", code=2)
def _(d):
    (d / "pkg" / "files").mkdir(parents=True)
    items = [{"index": 1, "name": "x", "file": "files/X.BIN", "sha256": "0" * 64, "bytes": 1}]
    (d / "pkg" / "manifest.json").write_text(json.dumps({"device": "3dcircle-42f2", "items": items}))
    os.symlink("/dev/zero", d / "pkg" / "files" / "X.BIN")
    return ["push", "pkg", "--fan", "127.0.0.1:9", "--retries", "0", "-q"]


@case("push-folder-manifest-fifo-file", code=2)
def _(d):
    (d / "pkg" / "files").mkdir(parents=True)
    items = [{"index": 1, "name": "x", "file": "files/X.BIN", "sha256": "0" * 64, "bytes": 1}]
    (d / "pkg" / "manifest.json").write_text(json.dumps({"device": "3dcircle-42f2", "items": items}))
    os.mkfifo(d / "pkg" / "files" / "X.BIN")
    return ["push", "pkg", "--fan", "127.0.0.1:9", "--retries", "0", "-q"]


@case("push-manifest-device-is-a-path", code=2)
def _(d):
    (d / "pkg").mkdir()
    (d / "pkg" / "manifest.json").write_text(json.dumps({"device": "/dev/stdin", "items": []}))
    return ["push", "pkg", "--fan", "127.0.0.1:9", "--retries", "0", "-q"]


@case("push-folder-of-files-symlink-out", code=2)
def _(d):
    (d / "fan").mkdir()
    os.symlink(d.parent / "outside" / "canary.png", d / "fan" / "X.BIN")
    return ["push", "fan", "--fan", "127.0.0.1:9", "--device", "3dcircle-42f2", "--retries", "0", "-q"]


@case("push-device-file-is-fifo", code=2)
def _(d):
    os.mkfifo(d / "f.hps")
    return ["push", "f.hps", "--fan", "127.0.0.1:9", "--retries", "0", "-q"]


@case("push-wall-json-device-is-a-path", code=2)
def _(d):
    (d / "wall" / "A1").mkdir(parents=True)
    (d / "wall" / "A1" / "TWIN.BIN").write_bytes(b"x")
    fan = {"name": "A1", "file": "A1/TWIN.BIN", "device": str(d.parent / "outside" / "canary.png")}
    (d / "wall" / "wall.json").write_text(json.dumps({"fans": [fan]}))
    return ["push", "wall", "--wall-fan", "A1", "--fan", "127.0.0.1:9", "--retries", "0", "-q"]


@case("decode-hps-profile-nested-deep")
def _(d):
    (d / "f.hps").write_bytes(hps(1, 1, text="x = " + "[" * 20000 + "]" * 20000 + "\n"))
    return ["decode", "f.hps", "-o", "out.mp4", "--size", "64", "-q"]


@case("validate-folder-device-file-symlink-dev-zero", code=1, report=True)
def _(d):
    (d / "pkg" / "tiny" / "files").mkdir(parents=True)
    items = [{"name": "x", "file": "x.hps", "sha256": "0" * 64, "bytes": 1}]
    (d / "pkg" / "tiny" / "manifest.json").write_text(
        manifest(items, device="tiny", profile_toml=TINY_PROFILE)
    )
    os.symlink("/dev/zero", d / "pkg" / "tiny" / "files" / "x.hps")
    return ["validate", "pkg"]


def tiff_pages(pages: int, loop: bool = False) -> bytes:
    """A little-endian TIFF of ``pages`` 1 x 1 grey pages (or one page whose next-IFD
    offset points back at itself)."""
    out = [b"II*\0" + struct.pack("<I", 8)]
    at = 8
    for k in range(pages):
        entries = [
            (256, 3, 1, 1),  # width
            (257, 3, 1, 1),  # height
            (258, 3, 1, 8),  # bits
            (259, 3, 1, 1),  # no compression
            (262, 3, 1, 1),  # black is zero
            (273, 4, 1, 0),  # strip offset: patched below
            (278, 3, 1, 1),  # rows per strip
            (279, 4, 1, 1),  # strip bytes
        ]
        size = 2 + 12 * len(entries) + 4
        pixel = at + size
        following = 8 if loop else (pixel + 4 if k + 1 < pages else 0)
        ifd = struct.pack("<H", len(entries))
        for tag, kind, count, value in entries:
            ifd += struct.pack("<HHII", tag, kind, count, pixel if tag == 273 else value)
        out.append(ifd + struct.pack("<I", following) + b"\x80\0\0\0")
        at = pixel + 4
    return b"".join(out)


@case("tiff-ifd-loop", either=True)
def _(d):
    (d / "p.tif").write_bytes(tiff_pages(1, loop=True))
    return ["export", "p.tif", "-o", "out.hps", *EXPORT]


@case("tiff-300000-pages", either=True)
def _(d):
    (d / "p.tif").write_bytes(tiff_pages(300_000))
    return ["export", "p.tif", "-o", "out.hps", *EXPORT]


# -- USD and USDZ (holopack/scene/usd/) -------------------------------------------------------
USD_QUAD = """#usda 1.0
(
    defaultPrim = "Root"
    metersPerUnit = 1
    upAxis = "Y"{meta}
)
def Xform "Root"
{{
    def Mesh "quad"
    {{
        int[] faceVertexCounts = {counts}
        int[] faceVertexIndices = {indices}
        point3f[] points = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)]
        uniform token subdivisionScheme = "none"
{body}
    }}
{more}
}}
"""


def usd_quad(meta="", counts="[4]", indices="[0, 1, 2, 3]", body="", more="") -> str:
    """A .usda of one quad mesh under /Root; ``meta`` joins the layer's metadata (one
    line each, indented), ``body`` the mesh's properties, ``more`` Root's other prims."""
    meta = "".join(f"\n    {line}" for line in meta.splitlines())
    return USD_QUAD.format(meta=meta, counts=counts, indices=indices, body=body, more=more)


def usd_textured(file: str) -> str:
    """The quad with a UsdPreviewSurface whose diffuseColor reads the texture ``file``."""
    body = (
        "        texCoord2f[] primvars:st = [(0, 0), (1, 0), (1, 1), (0, 1)] (\n"
        '            interpolation = "vertex"\n        )\n'
        "        rel material:binding = </Root/paint>\n"
    )
    more = f"""    def Material "paint"
    {{
        token outputs:surface.connect = </Root/paint/surface.outputs:surface>
        def Shader "surface"
        {{
            uniform token info:id = "UsdPreviewSurface"
            color3f inputs:diffuseColor.connect = </Root/paint/tex.outputs:rgb>
            token outputs:surface
        }}
        def Shader "reader"
        {{
            uniform token info:id = "UsdPrimvarReader_float2"
            string inputs:varname = "st"
            float2 outputs:result
        }}
        def Shader "tex"
        {{
            uniform token info:id = "UsdUVTexture"
            asset inputs:file = @{file}@
            float2 inputs:st.connect = </Root/paint/reader.outputs:result>
            float3 outputs:rgb
        }}
    }}
"""
    return usd_quad(body=body, more=more)


def usdz(path: Path, entries: list[tuple[str, bytes]], compression=zipfile.ZIP_STORED) -> None:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in entries:
            z.writestr(name, data)


@case("usd-usdz-truncated")
def _(d):
    usdz(d / "m.usdz", [("m.usda", usd_quad().encode()), ("pad.png", png(64, 64))])
    data = (d / "m.usdz").read_bytes()
    (d / "m.usdz").write_bytes(data[: len(data) // 2])
    return ["export", "m.usdz", "-o", "out.hps", *EXPORT]


@case("usd-usdz-deflated")
def _(d):
    usdz(d / "m.usdz", [("m.usda", usd_quad().encode())], zipfile.ZIP_DEFLATED)
    return ["export", "m.usdz", "-o", "out.hps", *EXPORT]


@case("usd-usdz-first-entry-png")
def _(d):
    usdz(d / "m.usdz", [("a.png", png(4, 4)), ("m.usda", usd_quad().encode())])
    return ["inspect", "m.usdz"]


@case("usd-sublayer-dotdot-canary")
def _(d):
    (d / "m.usda").write_text(usd_quad(meta="subLayers = [@../outside/canary.png@]"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-reference-absolute-canary")
def _(d):
    canary = d.parent / "outside" / "canary.png"
    more = f'    def "other" (\n        references = @{canary}@\n    )\n    {{\n    }}\n'
    (d / "m.usda").write_text(usd_quad(more=more))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-payload-url")
def _(d):
    more = '    def "other" (\n        payload = @http://127.0.0.1:9/x.usda@\n    )\n    {\n    }\n'
    (d / "m.usda").write_text(usd_quad(more=more))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-usdz-sublayer-climbing-out")
def _(d):
    stage = usd_quad(meta="subLayers = [@../../outside/canary.usda@]").encode()
    (d.parent / "outside" / "canary.usda").write_text('#usda 1.0\ndef Xform "X"\n{\n}\n')
    usdz(d / "m.usdz", [("m.usda", stage)])
    return ["export", "m.usdz", "-o", "out.hps", *EXPORT]


@case("usd-texture-dotdot-canary")
def _(d):
    (d / "m.usda").write_text(usd_textured("../outside/canary.png"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-usdz-texture-dotdot-canary")
def _(d):
    stage = usd_textured("../../canary/canary.png").encode()
    usdz(d / "m.usdz", [("m.usda", stage), ("canary.png", png(4, 4))])
    return ["export", "m.usdz", "-o", "out.hps", *EXPORT]


@case("usd-reference-cycle", either=True)
def _(d):
    (d / "a.usda").write_text(
        usd_quad(more='    def "b" (\n        references = @b.usda@\n    )\n    {\n    }\n')
    )
    (d / "b.usda").write_text(
        '#usda 1.0\n(\n    defaultPrim = "B"\n)\ndef Xform "B"\n{\n'
        '    def "a" (\n        references = @a.usda@\n    )\n    {\n    }\n}\n'
    )
    return ["export", "a.usda", "-o", "out.hps", *EXPORT]


@case("usd-mesh-counts-past-points")
def _(d):
    (d / "m.usda").write_text(usd_quad(counts="[4, 4, 4]"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-mesh-negative-counts-indices")
def _(d):
    (d / "m.usda").write_text(usd_quad(counts="[-4, 8]", indices="[0, -1, 2, 3, 0, 1, 2, -7]"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-mesh-index-out-of-range")
def _(d):
    (d / "m.usda").write_text(usd_quad(indices="[0, 1, 2, 2147483647]"))
    return ["inspect", "m.usda"]


@case("usd-usda-1e8-face-counts")
def _(d):
    # 300 MB of text: "3, " 10^8 times
    text = usd_quad(counts="[@@]")
    head, tail = text.split("@@")
    with open(d / "m.usda", "w") as f:
        f.write(head)
        block = "3, " * 1_000_000
        for _ in range(100):
            f.write(block)
        f.write("3" + tail)
    return ["inspect", "m.usda"]


@case("usd-usdc-1e8-face-counts")
def _(d):
    # crate compresses an array of one repeated int to a few KB: 400 MB once read
    from pxr import Sdf, Usd, UsdGeom, Vt

    stage = Usd.Stage.CreateNew(str(d / "m.usdc"))
    mesh = UsdGeom.Mesh.Define(stage, "/Root/m")
    stage.SetDefaultPrim(stage.GetPrimAtPath("/Root"))
    mesh.GetPointsAttr().Set(Vt.Vec3fArray([(0, 0, 0), (1, 0, 0), (0, 1, 0)]))
    mesh.GetFaceVertexCountsAttr().Set(Vt.IntArray(100_000_000, 3))
    mesh.GetFaceVertexIndicesAttr().Set(Vt.IntArray(300_000_000, 0))
    del Sdf
    stage.GetRootLayer().Save()
    return ["export", "m.usdc", "-o", "out.hps", *EXPORT]


@case("usd-layer-150000-prims")
def _(d):
    with open(d / "m.usda", "w") as f:
        f.write(usd_quad().rsplit("}", 1)[0])
        for i in range(150_000):
            f.write(f'    def Xform "p{i}"\n    {{\n    }}\n')
        f.write("}\n")
    return ["inspect", "m.usda"]


def usd_laughs(instanceable: bool) -> str:
    """10 prims at each of 8 levels, each level's 10 referencing the level below: 10^8
    prims once composed from 80 specs (a "billion laughs" of references)."""
    flag = "\n        instanceable = true" if instanceable else ""
    out = ['#usda 1.0\n(\n    defaultPrim = "L8"\n)\n']
    out.append(
        'def Mesh "L0"\n{\n    int[] faceVertexCounts = [3]\n    int[] faceVertexIndices = [0, 1, 2]\n'
    )
    out.append("    point3f[] points = [(0, 0, 0), (1, 0, 0), (0, 1, 0)]\n}\n")
    for level in range(1, 9):
        out.append(f'def Xform "L{level}"\n{{\n')
        for k in range(10):
            out.append(
                f'    def "c{k}" (\n        references = </L{level - 1}>{flag}\n    )\n    {{\n    }}\n'
            )
        out.append("}\n")
    return "".join(out)


@case("usd-references-billion-laughs")
def _(d):
    (d / "m.usda").write_text(usd_laughs(False))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-instances-billion-laughs")
def _(d):
    (d / "m.usda").write_text(usd_laughs(True))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


def usd_spinning(meta: str) -> str:
    body = '        float xformOp:rotateY.timeSamples = {0: 0, 10: 90}\n        uniform token[] xformOpOrder = ["xformOp:rotateY"]\n'
    return usd_quad(meta=meta, body=body)


@case("usd-time-codes-per-second-zero")
def _(d):
    (d / "m.usda").write_text(usd_spinning("timeCodesPerSecond = 0\nstartTimeCode = 0\nendTimeCode = 10"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-time-codes-per-second-negative", either=True)
def _(d):
    (d / "m.usda").write_text(usd_spinning("timeCodesPerSecond = -24\nstartTimeCode = 0\nendTimeCode = 10"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-time-codes-per-second-nan")
def _(d):
    (d / "m.usda").write_text(usd_spinning("timeCodesPerSecond = nan\nstartTimeCode = 0\nendTimeCode = 10"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-sublayer-time-codes-per-second-negative", either=True)
def _(d):
    (d / "s.usda").write_text("#usda 1.0\n(\n    timeCodesPerSecond = -1e-300\n)\n")
    (d / "m.usda").write_text(usd_spinning("subLayers = [@s.usda@]\nstartTimeCode = 0\nendTimeCode = 10"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-time-span-1e12")
def _(d):
    (d / "m.usda").write_text(usd_spinning("startTimeCode = -1e12\nendTimeCode = 1e12"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-start-after-end-1e12", either=True)
def _(d):
    (d / "m.usda").write_text(usd_spinning("startTimeCode = 1e12\nendTimeCode = -1e12"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


USD_SKINNED = """#usda 1.0
(
    defaultPrim = "Root"
    metersPerUnit = 1
    upAxis = "Y"
)
def SkelRoot "Root"
{{
    def Skeleton "skel"
    {{
        uniform token[] joints = ["a", "a/b"]
        uniform matrix4d[] bindTransforms = [((1,0,0,0),(0,1,0,0),(0,0,1,0),(0,0,0,1)), ((1,0,0,0),(0,1,0,0),(0,0,1,0),(0,1,0,1))]
        uniform matrix4d[] restTransforms = [((1,0,0,0),(0,1,0,0),(0,0,1,0),(0,0,0,1)), ((1,0,0,0),(0,1,0,0),(0,0,1,0),(0,1,0,1))]
    }}
    def Mesh "quad" (
        prepend apiSchemas = ["SkelBindingAPI"]
    )
    {{
        int[] faceVertexCounts = [4]
        int[] faceVertexIndices = [0, 1, 2, 3]
        point3f[] points = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)]
        uniform token subdivisionScheme = "none"
        rel skel:skeleton = </Root/skel>
        int[] primvars:skel:jointIndices = {indices} (
            elementSize = 1
            interpolation = "vertex"
        )
        float[] primvars:skel:jointWeights = {weights} (
            elementSize = 1
            interpolation = "vertex"
        )
    }}
}}
"""


@case("usd-skel-joint-index-out-of-range")
def _(d):
    (d / "m.usda").write_text(USD_SKINNED.format(indices="[0, 1, 7, 1000000]", weights="[1, 1, 1, 1]"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-skel-joint-count-mismatch", either=True)
def _(d):
    (d / "m.usda").write_text(USD_SKINNED.format(indices="[0, 1, 0, 1, 1, 1, 0]", weights="[1, 1]"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-usdc-garbage-after-magic")
def _(d):
    (d / "m.usdc").write_bytes(b"PXR-USDC" + bytes(range(256)) * 64)
    return ["inspect", "m.usdc"]


@case("usd-usdz-texture-png-30000")
def _(d):
    stage = usd_textured("t.png").encode()
    usdz(d / "m.usdz", [("m.usda", stage), ("t.png", png(30000, 30000, rows=64))])
    return ["export", "m.usdz", "-o", "out.hps", *EXPORT]


@case("usd-sublayer-fifo")
def _(d):
    os.mkfifo(d / "s.usda")
    (d / "m.usda").write_text(usd_quad(meta="subLayers = [@s.usda@]"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-sublayer-symlink-dev-zero")
def _(d):
    os.symlink("/dev/zero", d / "s.usda")
    (d / "m.usda").write_text(usd_quad(meta="subLayers = [@s.usda@]"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-usdz-entry-name-slip")
def _(d):
    usdz(d / "m.usdz", [("m.usda", usd_quad().encode()), ("../../outside/x.usda", b"#usda 1.0\n")])
    return ["export", "m.usdz", "-o", "out.hps", *EXPORT]


def nested_usda(path: Path, depth: int) -> None:
    """A .usda of Xforms ``depth`` deep around a triangle mesh."""
    with open(path, "w") as f:
        f.write("#usda 1.0\n")
        f.write('def Xform "p" {\n' * depth)
        f.write('def Mesh "m" {\nint[] faceVertexCounts = [3]\nint[] faceVertexIndices = [0, 1, 2]\n')
        f.write("point3f[] points = [(0, 0, 0), (1, 0, 0), (0, 1, 0)]\n}\n")
        f.write("}\n" * depth)


@case("usd-prims-nested-50000-deep", either=True)
def _(d):
    nested_usda(d / "m.usda", 50_000)
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-pack-nested-50000-deep", outputs=("out",))
def _(d):
    # `pack` lists an item's layers (to hash them) before it loads the item
    nested_usda(d / "m.usda", 50_000)
    (d / "list.toml").write_text('devices = ["tiny.toml"]\n[[items]]\ninput = "m.usda"\nseconds = 0.2\n')
    return ["pack", "list.toml", "-o", "out", "-j", "1", "-q"]


@case("usd-usda-unended-strings-5MB")
def _(d):
    # strings that never end, each a quote and a backslash: a scan that retried each one
    # to the end of the line is quadratic
    (d / "m.usda").write_bytes(usd_quad().encode() + b'"\\' * 2_500_000)
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-inherits-billion-laughs")
def _(d):
    # as usd-references-billion-laughs, through inherits (the class arc) instead
    (d / "m.usda").write_text(usd_laughs(False).replace("references = </L", "inherits = </L"))
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


@case("usd-variants-billion-laughs")
def _(d):
    # each level's 10 prims reference the level below from inside their selected variant
    text = usd_laughs(False)
    for level in range(1, 9):
        text = text.replace(
            f"(\n        references = </L{level - 1}>\n    )\n    {{\n    }}\n",
            f'(\n        variants = {{ string v = "a" }}\n        prepend variantSets = "v"\n    )\n'
            f'    {{\n        variantSet "v" = {{\n            "a" (references = </L{level - 1}>) {{\n'
            "            }\n        }\n    }\n",
        )
    (d / "m.usda").write_text(text)
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


def usd_crate_bomb(path: Path, samples: bool = False) -> None:
    """A .usdc whose mesh has 10^8 face counts of 3 and 3 x 10^8 indices of 0 (a crate
    packs them into a few hundred KB); ``samples``: 3 x 10^8 indices as a time sample."""
    from pxr import Usd, UsdGeom, Vt

    stage = Usd.Stage.CreateNew(str(path))
    mesh = UsdGeom.Mesh.Define(stage, "/Root/m")
    stage.SetDefaultPrim(stage.GetPrimAtPath("/Root"))
    points = Vt.Vec3fArray([(0, 0, 0), (1, 0, 0), (0, 1, 0)])
    mesh.GetPointsAttr().Set(points)
    if samples:
        mesh.GetFaceVertexCountsAttr().Set(Vt.IntArray([3]))
        mesh.GetFaceVertexIndicesAttr().Set(Vt.IntArray([0, 1, 2]))
        mesh.GetFaceVertexIndicesAttr().Set(Vt.IntArray(300_000_000, 0), 1.0)
    else:
        mesh.GetFaceVertexCountsAttr().Set(Vt.IntArray(100_000_000, 3))
        mesh.GetFaceVertexIndicesAttr().Set(Vt.IntArray(300_000_000, 0))
    stage.GetRootLayer().Save()


@case("usd-usdz-crate-1e8-face-counts")
def _(d):
    usd_crate_bomb(d / "m.usdc")
    usdz(d / "m.usdz", [("m.usdc", (d / "m.usdc").read_bytes())])
    (d / "m.usdc").unlink()
    return ["export", "m.usdz", "-o", "out.hps", *EXPORT]


@case("usd-usdc-time-sample-3e8-indices")
def _(d):
    usd_crate_bomb(d / "m.usdc", samples=True)
    return ["export", "m.usdc", "-o", "out.hps", *EXPORT]


@case("usd-skel-200000-joints")
def _(d):
    joints = ", ".join(f'"j{i}"' for i in range(200_000))
    text = USD_SKINNED.format(indices="[0, 0, 0, 0]", weights="[1, 1, 1, 1]")
    text = text.replace('uniform token[] joints = ["a", "a/b"]', f"uniform token[] joints = [{joints}]")
    (d / "m.usda").write_text(text)
    return ["export", "m.usda", "-o", "out.hps", *EXPORT]


# -- 3D Gaussian splat PLYs (holopack/scene/splat_ply.py) -------------------------------------
SPLAT_NAMES = ("x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2", "opacity") + (
    "scale_0",
    "scale_1",
    "scale_2",
    "rot_0",
    "rot_1",
    "rot_2",
    "rot_3",
)


def splat_ply(
    count: int, rows: list[tuple] | None = None, names=SPLAT_NAMES, fmt="binary_little_endian", kind="float"
) -> bytes:
    """A 3DGS PLY header declaring ``count`` vertices of ``names`` (each a ``kind``), and
    ``rows`` (one tuple of floats each; default ``count`` unit splats, red, opaque)."""
    head = f"ply\nformat {fmt} 1.0\nelement vertex {count}\n"
    head += "".join(f"property {kind} {n}\n" for n in names) + "end_header\n"
    if rows is None:
        one = dict(zip(SPLAT_NAMES, (0, 0, 0, 0, 0, 0, 1.7, -1.7, -1.7, 4, -3, -3, -3, 1, 0, 0, 0)))
        rows = [tuple(one.get(n, 0.0) for n in names)] * count
    end = ">" if fmt == "binary_big_endian" else "<"
    body = b"".join(struct.pack(f"{end}{len(r)}f", *r) for r in rows)
    return head.encode() + body


def splat_rows(count: int, **values) -> list[tuple]:
    """``count`` rows of small splats spread along x, with ``values`` (name -> value) set."""
    rows = []
    for i in range(count):
        one = dict(zip(SPLAT_NAMES, (i * 0.1, 0, 0, 0, 0, 0, 1.7, -1.7, -1.7, 4, -3, -3, -3, 1, 0, 0, 0)))
        if i % 2 == 0:
            one.update(values)
        rows.append(tuple(one[n] for n in SPLAT_NAMES))
    return rows


@case("splat-1e9-vertices-short-body")
def _(d):
    (d / "s.ply").write_bytes(splat_ply(10**9, splat_rows(10)))
    return ["export", "s.ply", "-o", "out.hps", *EXPORT]


@case("splat-no-opacity")
def _(d):
    names = tuple(n for n in SPLAT_NAMES if n != "opacity")
    (d / "s.ply").write_bytes(splat_ply(100, names=names))
    return ["export", "s.ply", "-o", "out.hps", *EXPORT]


@case("splat-no-scale-0")
def _(d):
    names = tuple(n for n in SPLAT_NAMES if n != "scale_0")
    (d / "s.ply").write_bytes(splat_ply(100, names=names))
    return ["inspect", "s.ply"]


@case("splat-nan-inf-positions-scales-rotations", either=True)
def _(d):
    nan, inf = float("nan"), float("inf")
    rows = splat_rows(20, x=nan, scale_1=inf, rot_2=nan)
    rows += splat_rows(4, y=-inf, scale_0=nan, rot_0=inf)
    (d / "s.ply").write_bytes(splat_ply(len(rows), rows))
    return ["export", "s.ply", "-o", "out.hps", *EXPORT]


@case("splat-all-nan")
def _(d):
    rows = [tuple(float("nan") for _ in SPLAT_NAMES)] * 50
    (d / "s.ply").write_bytes(splat_ply(len(rows), rows))
    return ["export", "s.ply", "-o", "out.hps", *EXPORT]


@case("splat-zero-quaternions", either=True)
def _(d):
    (d / "s.ply").write_bytes(splat_ply(20, splat_rows(20, rot_0=0.0)))
    return ["export", "s.ply", "-o", "out.hps", *EXPORT]


@case("splat-huge-scales-200000-faint", either=True)
def _(d):
    # 200,000 splats of standard deviation 1e30 at opacity 0.005: each covers every pixel
    # and none is opaque enough to end a pixel's list early
    one = dict(zip(SPLAT_NAMES, (0, 0, 0, 0, 0, 0, 1.7, -1.7, -1.7, -5.3, 69, 69, 69, 1, 0, 0, 0)))
    row = struct.pack(f"<{len(SPLAT_NAMES)}f", *(one[n] for n in SPLAT_NAMES))
    (d / "s.ply").write_bytes(splat_ply(200_000, []) + row * 200_000)
    return ["export", "s.ply", "-o", "out.hps", *EXPORT]


@case("splat-duplicate-property")
def _(d):
    (d / "s.ply").write_bytes(splat_ply(10, names=(*SPLAT_NAMES, "opacity")))
    return ["export", "s.ply", "-o", "out.hps", *EXPORT]


@case("splat-big-endian", either=True)
def _(d):
    (d / "s.ply").write_bytes(splat_ply(10, splat_rows(10), fmt="binary_big_endian"))
    return ["export", "s.ply", "-o", "out.hps", *EXPORT]


@case("splat-property-of-unknown-type")
def _(d):
    (d / "s.ply").write_bytes(splat_ply(10, kind="float128"))
    return ["inspect", "s.ply"]


@case("splat-header-line-1MB")
def _(d):
    data = splat_ply(10)
    (d / "s.ply").write_bytes(data.replace(b"end_header", b"comment " + b"x" * MB + b"\nend_header", 1))
    return ["export", "s.ply", "-o", "out.hps", *EXPORT]


@case("splat-endless-header")
def _(d):
    head = splat_ply(10).split(b"end_header")[0]
    with open(d / "s.ply", "wb") as f:
        f.write(head)
        block = b"comment no end\n" * 65536
        for _ in range(300):  # 300 MB of header, no end_header
            f.write(block)
    return ["export", "s.ply", "-o", "out.hps", *EXPORT]


@case("splat-huge-scales-200000-faint-672px")
def _(d):
    # as splat-huge-scales-200000-faint, drawn at the 3dcircle's 672 px: 1,764 tiles each
    (d / "big.toml").write_text(TINY_PROFILE.replace("render_size = 32", "render_size = 672"))
    one = dict(zip(SPLAT_NAMES, (0, 0, 0, 0, 0, 0, 1.7, -1.7, -1.7, -5.3, 69, 69, 69, 1, 0, 0, 0)))
    row = struct.pack(f"<{len(SPLAT_NAMES)}f", *(one[n] for n in SPLAT_NAMES))
    (d / "s.ply").write_bytes(splat_ply(200_000, []) + row * 200_000)
    return ["export", "s.ply", "-o", "out.hps", "--device", "big.toml", "--seconds", "0.2", "-q"]


@case("splat-vertex-count-20-digits")
def _(d):
    (d / "s.ply").write_bytes(splat_ply(10).replace(b"element vertex 10", b"element vertex " + b"9" * 20))
    return ["export", "s.ply", "-o", "out.hps", *EXPORT]


@case("splat-vertex-count-negative")
def _(d):
    (d / "s.ply").write_bytes(splat_ply(10).replace(b"element vertex 10", b"element vertex -10"))
    return ["inspect", "s.ply"]


# -- the compact splat formats (splat_compressed_ply.py, splat_antimatter.py, spz.py) ---------
def spz_header(count: int, version: int = 3, degree: int = 0, flags: int = 0) -> bytes:
    return struct.pack("<IIIBBBB", 0x5053474E, version, count, degree, 12, flags, 0)


@case("spz-4e9-splats-gzip-bomb")
def _(d):
    # a header claiming 2^32 - 1 splats over 64 MB of zeros that gzip packs into 64 KB
    (d / "s.spz").write_bytes(gzip.compress(spz_header(0xFFFFFFFF, degree=3) + bytes(64 * MB)))
    return ["export", "s.spz", "-o", "out.hps", *EXPORT]


@case("spz-1e6-splats-body-of-zeros", either=True)
def _(d):
    # within the budget: inflated to what the header says and no further; all-zero splats
    (d / "s.spz").write_bytes(gzip.compress(spz_header(1_000_000) + bytes(1_000_000 * 20 + 16 * MB)))
    return ["export", "s.spz", "-o", "out.hps", *EXPORT]


@case("spz-cut-inside-its-body")
def _(d):
    (d / "s.spz").write_bytes(gzip.compress(spz_header(1000) + bytes(5000))[:-8])
    return ["export", "s.spz", "-o", "out.hps", *EXPORT]


@case("splat-file-sparse-2GB")
def _(d):
    with open(d / "s.splat", "wb") as f:
        f.truncate(2 * 1024 * MB)  # 67 million empty records: refused by the budget, never read
    return ["export", "s.splat", "-o", "out.hps", *EXPORT]


@case("splat-file-of-noise")
def _(d):
    (d / "s.splat").write_bytes(random.Random(5).randbytes(32 * 4096))
    return ["export", "s.splat", "-o", "out.hps", *EXPORT]


def webp_header(width: int, height: int) -> bytes:
    """A lossless WebP (VP8L) whose header declares width x height, with no picture data."""
    bits = (width - 1) | ((height - 1) << 14) | (1 << 28)  # alpha used, version 0
    vp8l = b"\x2f" + struct.pack("<I", bits) + bytes(16)
    chunk = b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def sog_meta(count: int, files: dict | None = None) -> dict:
    names = {"means": ["l.webp", "u.webp"], "scales": ["s.webp"], "quats": ["q.webp"], "sh0": ["c.webp"]}
    names.update(files or {})
    return {
        "version": 2,
        "count": count,
        "means": {"mins": [-1, -1, -1], "maxs": [1, 1, 1], "files": names["means"]},
        "scales": {"codebook": [-4.0] * 256, "files": names["scales"]},
        "quats": {"files": names["quats"]},
        "sh0": {"codebook": [0.0] * 256, "files": names["sh0"]},
    }


@case("sog-picture-16383x16383")
def _(d):
    # lossless WebPs declaring 268 million pixels each (their headers alone): refused by size
    big = webp_header(16383, 16383)
    with zipfile.ZipFile(d / "s.sog", "w") as z:
        z.writestr("meta.json", json.dumps(sog_meta(100)))
        for name in ("l.webp", "u.webp", "s.webp", "q.webp", "c.webp"):
            z.writestr(name, big)
    return ["export", "s.sog", "-o", "out.hps", *EXPORT]


@case("sog-member-zip-bomb")
def _(d):
    with zipfile.ZipFile(d / "s.sog", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("meta.json", json.dumps(sog_meta(100)))
        z.writestr("l.webp", bytes(300 * MB))  # 300 MB of zeros: past the 256 MB a picture may be
    return ["export", "s.sog", "-o", "out.hps", *EXPORT]


@case("sog-meta-names-etc-passwd")
def _(d):
    (d / "meta.json").write_text(json.dumps(sog_meta(100, {"means": ["/etc/passwd", "../../etc/passwd"]})))
    return ["export", "meta.json", "-o", "out.hps", *EXPORT]


@case("sog-meta-count-1e9")
def _(d):
    (d / "meta.json").write_text(json.dumps(sog_meta(10**9)))
    return ["export", "meta.json", "-o", "out.hps", *EXPORT]


@case("compressed-ply-1e9-splats-short")
def _(d):
    head = "ply\nformat binary_little_endian 1.0\nelement chunk 3906250\n"
    head += "".join(f"property float {n}\n" for n in ("min_x", "min_y", "min_z", "max_x", "max_y", "max_z"))
    head += "".join(f"property float {a}_scale_{c}\n" for a in ("min", "max") for c in "xyz")
    head += "element vertex 1000000000\n"
    head += "".join(
        f"property uint {n}\n" for n in ("packed_position", "packed_rotation", "packed_scale", "packed_color")
    )
    (d / "s.ply").write_bytes((head + "end_header\n").encode() + bytes(4096))
    return ["export", "s.ply", "-o", "out.hps", *EXPORT]


# -- running a case ------------------------------------------------------------------------
@dataclass
class Result:
    verdict: str
    rc: int
    seconds: float
    peak_mb: float
    first_line: str


def _sha(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def run_case(c: Case, scratch: Path, timeout: float, memory: str, as_user: str | None) -> Result:
    root = scratch / c.name
    shutil.rmtree(root, ignore_errors=True)
    work, outside = root / "work", root / "outside"
    work.mkdir(parents=True)
    outside.mkdir()
    canary = outside / "canary.png"
    canary.write_bytes(png(4, 4) + b"secret")
    (work / "tiny.toml").write_text(TINY_PROFILE)
    args = c.build(work)
    keep = {p: _sha(p) for p in work.rglob("*") if p.is_file() and not p.is_symlink()}
    links = {p: os.readlink(p) for p in work.rglob("*") if p.is_symlink()}
    before = set(work.rglob("*"))
    canary_sha = _sha(canary)
    # an access time older than the modification time: relatime moves it on the next read,
    # so a read of the canary shows (where the filesystem records reads at all)
    mtime = canary.stat().st_mtime_ns
    os.utime(canary, ns=(mtime - 86_400 * 10**9, mtime))
    canary_stat = canary.stat()
    reads_recorded = _reads_recorded(outside)
    if c.name == "output-full-disk":
        if not _mount_small_tmpfs(work / "full"):
            return Result("skipped (no tmpfs)", 0, 0.0, 0.0, "")
    cmd = [sys.executable, "-m", "holopack", *args]
    if c.library:
        cmd = [sys.executable, "-c", LIBRARY, *args]
    if c.display:
        cmd = ["xvfb-run", "-a", *cmd]
    # GNU time reports the peak of holopack alone: RUSAGE_CHILDREN here would also carry
    # this process's own peak into the child (Linux keeps maxrss across exec)
    peak_file = root / "peak.txt"
    prefix = ["prlimit", f"--as={_bytes(memory)}", "--"]  # prlimit takes bytes, no suffix
    as_user = as_user or (c.user if os.geteuid() == 0 else None)
    if as_user:
        prefix = ["setpriv", f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups", *prefix]
        subprocess.run(["chown", "-R", f"{as_user}:{as_user}", str(root)], check=True)
        os.chmod(work / "ro", 0o555) if (work / "ro").exists() else None
    start = time.monotonic()
    proc = subprocess.Popen(
        ["/usr/bin/time", "-q", "-f", "%M", "-o", str(peak_file), *prefix, *cmd],
        cwd=work,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=dict(os.environ, PYTHONPATH=os.environ.get("HOSTILE_SWEEP_SOURCE", str(REPO))),
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        hung = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        hung = True
    seconds = time.monotonic() - start
    try:
        peak_mb = int(peak_file.read_text().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        peak_mb = float("nan")  # killed at the timeout: time reports nothing
    text = err.decode("utf-8", "replace")
    lines = [line for line in text.strip().splitlines() if line.strip()]
    faults = []
    if hung:
        faults.append(f"ran past {timeout:g} s")
    if "Traceback" in text:
        faults.append("traceback")
    if "internal error" in text:
        faults.append("internal error")
    if proc.returncode < 0:
        faults.append(f"killed by signal {-proc.returncode}")
    if peak_mb > PEAK_LIMIT / MB:  # NaN (killed at the timeout) is said above
        faults.append(f"peak {peak_mb:.0f} MB")
    ok_success = c.either and proc.returncode == 0
    report = out.decode("utf-8", "replace").strip().splitlines()
    if c.report and not hung and proc.returncode in (1, 2) and (report or len(lines) == 1):
        # validate's refusal: its report on stdout (exit 1), or one line (exit 2)
        lines = lines or [next((r for r in report if "unsafe" in r or "FAIL" in r), report[-1]).strip()]
        ok_success = True
    if not hung and not ok_success:
        if proc.returncode != c.code:
            faults.append(f"exit {proc.returncode}, not {c.code}")
        if len(lines) != 1 or not lines[0].startswith("holopack: error:"):
            faults.append(f"{len(lines)} stderr lines")
        for name in c.outputs:
            if (work / name).exists():
                faults.append(f"partial output {name}")
    new = [str(p.relative_to(work)) for p in set(work.rglob("*")) - before]
    temp = [n for n in new if ".partial" in n or ".holopack-" in n]
    if temp:
        faults.append(f"left {temp[0]}")
    for path, sha in keep.items():
        if not path.exists() or path.is_symlink() or _sha(path) != sha:
            faults.append(f"changed the user's {path.name}")
    for path, target in links.items():
        if path.is_symlink() and os.readlink(path) != target:
            faults.append(f"changed the link {path.name}")
    read_canary = canary.stat().st_atime_ns != canary_stat.st_atime_ns
    if _sha(canary) != canary_sha or canary.stat().st_mtime_ns != canary_stat.st_mtime_ns:
        faults.append("changed the canary outside")
    elif reads_recorded and read_canary:
        faults.append("read the canary outside")
    if (outside / "new.hps").exists():
        faults.append("wrote outside the folder")
    first = lines[0] if lines else ""
    if as_user and proc.returncode == 126:  # the interpreter lives where that user cannot go
        return Result(f"skipped (uid {as_user} cannot run {sys.executable})", 126, seconds, peak_mb, "")
    verdict = "FAIL: " + ", ".join(faults) if faults else ("ok (taken)" if proc.returncode == 0 else "ok")
    if c.name == "output-full-disk":
        subprocess.run(["umount", str(work / "full")], check=False)
    return Result(verdict, proc.returncode, seconds, peak_mb, first[:200])


def _reads_recorded(folder: Path) -> bool:
    """Whether the filesystem of ``folder`` moves an access time older than the
    modification time on a read (relatime, strictatime; not noatime)."""
    probe = folder / "probe"
    probe.write_bytes(b"x")
    mtime = probe.stat().st_mtime_ns
    os.utime(probe, ns=(mtime - 86_400 * 10**9, mtime))
    before = probe.stat().st_atime_ns
    probe.read_bytes()
    recorded = probe.stat().st_atime_ns != before
    probe.unlink()
    return recorded


def _bytes(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(text[:-1]) * units[text[-1].upper()]) if text[-1].upper() in units else int(text)


def _mount_small_tmpfs(path: Path) -> bool:
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scratch", required=True, help="a folder for the cases' files (several GB free)")
    ap.add_argument("--only", default="", help="comma-separated parts of case names to run")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per case (default 60)")
    ap.add_argument("--memory", default="4G", help="address-space cap per case (prlimit --as)")
    ap.add_argument("--as-user", default=None, help="run holopack as this uid (e.g. 65534) when root")
    ap.add_argument("--keep", action="store_true", help="keep each case's files")
    ap.add_argument(
        "--source",
        default=str(REPO),
        help="the folder holding the holopack package to sweep (default: this checkout); "
        "e.g. `git archive main holopack shaders assets | tar -x -C DIR` for a before run",
    )
    args = ap.parse_args()
    os.environ["HOSTILE_SWEEP_SOURCE"] = os.path.abspath(args.source)
    scratch = Path(args.scratch).resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    chosen = [c for c in CASES if not args.only or any(k in c.name for k in args.only.split(","))]
    failed = 0
    for c in chosen:
        # each case in a fresh process of its own: a builder's big files and a crash of
        # the sweep itself stay with that case
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--_one",
                c.name,
                str(scratch),
                str(args.timeout),
                args.memory,
                args.as_user or "",
                "1" if args.keep else "0",
            ],
            capture_output=True,
            text=True,
        )
        line = done.stdout.strip() or f"{c.name:44s} FAIL: the sweep itself broke: {done.stderr[-300:]}"
        print(line, flush=True)
        failed += line.split()[1:2] == ["FAIL:"]  # the verdict column (validate's report says [FAIL])
    print(f"# {len(chosen) - failed} of {len(chosen)} cases keep the rule")
    return 1 if failed else 0


def one(name: str, scratch: str, timeout: str, memory: str, as_user: str, keep: str) -> None:
    c = next(c for c in CASES if c.name == name)
    r = run_case(c, Path(scratch), float(timeout), memory, as_user or None)
    print(
        f"{c.name:44s} {r.verdict:40s} rc={r.rc:<4d} {r.seconds:6.1f} s {r.peak_mb:6.0f} MB  {r.first_line}"
    )
    if keep != "1":
        root = Path(scratch) / name
        for p in root.rglob("*"):
            if p.is_dir() and not p.is_symlink():
                os.chmod(p, 0o755)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_one":
        one(*sys.argv[2:8])
        sys.exit(0)
    sys.exit(main())
