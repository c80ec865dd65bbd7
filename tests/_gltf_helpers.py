"""Building small glTF/GLB files for the loader tests, byte by byte."""
from __future__ import annotations

import base64
import copy
import json
import struct

import numpy as np

CTYPE = {np.dtype("int8"): 5120, np.dtype("uint8"): 5121, np.dtype("int16"): 5122,
         np.dtype("uint16"): 5123, np.dtype("uint32"): 5125, np.dtype("float32"): 5126}
TYPES = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4", 16: "MAT4"}


class Builder:
    """Collects arrays into one buffer and describes them as accessors."""

    def __init__(self):
        self.blob = bytearray()
        self.views: list[dict] = []
        self.accessors: list[dict] = []

    def add(self, array, normalized: bool = False, type_name: str | None = None) -> int:
        array = np.ascontiguousarray(array)
        if array.ndim == 1:
            array = array[:, None]
        width = int(np.prod(array.shape[1:]))
        while len(self.blob) % 4:
            self.blob.append(0)
        self.views.append({"buffer": 0, "byteOffset": len(self.blob),
                           "byteLength": array.nbytes})
        self.blob += array.tobytes()
        acc = {"bufferView": len(self.views) - 1, "componentType": CTYPE[array.dtype],
               "count": len(array), "type": type_name or TYPES[width]}
        if normalized:
            acc["normalized"] = True
        if acc["type"] == "VEC3" and array.dtype == np.float32 and len(array):
            acc["min"] = array.min(axis=0).tolist()
            acc["max"] = array.max(axis=0).tolist()
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def document(self, primitives: list[dict], **extra) -> dict:
        doc = {
            "asset": {"version": "2.0"},
            "scene": 0,
            "scenes": [{"nodes": [0]}],
            "nodes": [{"mesh": 0}],
            "meshes": [{"primitives": primitives}],
            "accessors": self.accessors,
            "bufferViews": self.views,
            "buffers": [{"byteLength": len(self.blob),
                         "uri": "data:application/octet-stream;base64,"
                                + base64.b64encode(bytes(self.blob)).decode()}],
        }
        doc.update(extra)
        return copy.deepcopy(doc)


def quad(builder: Builder | None = None) -> tuple[Builder, dict]:
    """Two triangles of a unit square in the XY plane, facing +Z."""
    b = builder or Builder()
    pos = b.add(np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32))
    idx = b.add(np.array([0, 1, 2, 0, 2, 3], np.uint16))
    return b, {"attributes": {"POSITION": pos}, "indices": idx}


def write_gltf(path, doc: dict) -> str:
    with open(path, "w") as f:
        json.dump(doc, f)
    return str(path)


def glb_bytes(doc: dict, blob: bytes | None) -> bytes:
    """A GLB container: JSON chunk (space padded) and optional BIN chunk (zero padded)."""
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    body = struct.pack("<II", len(text), 0x4E4F534A) + text
    if blob is not None:
        blob = bytes(blob) + b"\0" * (-len(blob) % 4)
        body += struct.pack("<II", len(blob), 0x004E4942) + blob
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


def to_glb(builder: Builder, doc: dict) -> bytes:
    """The document as a GLB with its buffer in the BIN chunk."""
    doc = copy.deepcopy(doc)
    doc["buffers"] = [{"byteLength": len(builder.blob)}]
    return glb_bytes(doc, builder.blob)
