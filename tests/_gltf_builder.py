"""Build small glTF and GLB files from numpy arrays, byte by byte, for the loader tests
and the tests that need a precise fault. One builder for every test."""

from __future__ import annotations

import base64
import copy
import json
import struct

import numpy as np

# glTF 2.0 componentType and accessor type by numpy dtype and width (specification 3.6.2)
_COMPONENT = {
    np.dtype("int8"): 5120,
    np.dtype("uint8"): 5121,
    np.dtype("int16"): 5122,
    np.dtype("uint16"): 5123,
    np.dtype("uint32"): 5125,
    np.dtype("float32"): 5126,
}
_TYPE = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4", 16: "MAT4"}


class GltfBuilder:
    """Accumulates buffer views and accessors in one buffer, and meshes and nodes in
    ``doc``; ``build()`` gives the glTF document with the buffer inlined as base64."""

    def __init__(self):
        self.blob = bytearray()
        self.doc = {
            "asset": {"version": "2.0"},
            "buffers": [],
            "bufferViews": [],
            "accessors": [],
            "meshes": [],
            "nodes": [],
            "scenes": [{"nodes": []}],
            "scene": 0,
        }

    @property
    def views(self) -> list[dict]:
        return self.doc["bufferViews"]

    @property
    def accessors(self) -> list[dict]:
        return self.doc["accessors"]

    def accessor(
        self, array, *, minmax=False, target=None, normalized=False, type_name: str | None = None
    ) -> int:
        """A buffer view and an accessor for ``array`` (rows = elements); its index."""
        array = np.ascontiguousarray(array)
        while len(self.blob) % 4:
            self.blob.append(0)
        offset = len(self.blob)
        self.blob += array.tobytes()
        view = {"buffer": 0, "byteOffset": offset, "byteLength": array.nbytes}
        if target:
            view["target"] = target
        self.views.append(view)
        width = 1 if array.ndim == 1 else int(np.prod(array.shape[1:]))
        acc = {
            "bufferView": len(self.views) - 1,
            "componentType": _COMPONENT[array.dtype],
            "count": int(array.shape[0]),
            "type": type_name or _TYPE[width],
        }
        if normalized:
            acc["normalized"] = True
        if minmax and len(array):
            acc["min"] = [float(v) for v in array.reshape(len(array), -1).min(0)]
            acc["max"] = [float(v) for v in array.reshape(len(array), -1).max(0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def add(self, array, normalized: bool = False, type_name: str | None = None) -> int:
        """``accessor`` with min/max on float VEC3 arrays (what POSITION needs)."""
        array = np.ascontiguousarray(array)
        vec3 = array.ndim == 2 and array.shape[1] == 3 and type_name in (None, "VEC3")
        return self.accessor(
            array, minmax=vec3 and array.dtype == np.float32, normalized=normalized, type_name=type_name
        )

    def triangle_mesh(self, positions, indices, **attributes) -> int:
        attrs = {"POSITION": self.accessor(np.asarray(positions, np.float32), minmax=True)}
        for name, arr in attributes.items():
            attrs[name] = self.accessor(arr)
        prim = {"attributes": attrs}
        if indices is not None:
            prim["indices"] = self.accessor(np.asarray(indices, np.uint16).ravel())
        self.doc["meshes"].append({"primitives": [prim]})
        return len(self.doc["meshes"]) - 1

    def node(self, **fields) -> int:
        self.doc["nodes"].append(fields)
        return len(self.doc["nodes"]) - 1

    def root(self, node: int) -> None:
        self.doc["scenes"][0]["nodes"].append(node)

    def _buffers(self) -> list[dict]:
        return [
            {
                "byteLength": len(self.blob),
                "uri": "data:application/octet-stream;base64," + base64.b64encode(bytes(self.blob)).decode(),
            }
        ]

    def build(self) -> dict:
        doc = json.loads(json.dumps(self.doc))
        doc["buffers"] = self._buffers()
        return doc

    def document(self, primitives: list[dict], **extra) -> dict:
        """A document of one node drawing one mesh of ``primitives`` (plus ``extra``
        top-level keys), over this builder's accessors."""
        doc = {
            "asset": {"version": "2.0"},
            "scene": 0,
            "scenes": [{"nodes": [0]}],
            "nodes": [{"mesh": 0}],
            "meshes": [{"primitives": primitives}],
            "accessors": self.accessors,
            "bufferViews": self.views,
            "buffers": self._buffers(),
        }
        doc.update(extra)
        return copy.deepcopy(doc)

    def write(self, path) -> None:
        with open(path, "w") as f:
            json.dump(self.build(), f)


def quad():
    """Two triangles facing +Z: (positions (4, 3) float32, indices (2, 3) uint16)."""
    positions = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float32)
    indices = np.array([[0, 1, 2], [0, 2, 3]], np.uint16)
    return positions, indices


def quad_primitive(builder: GltfBuilder | None = None) -> tuple[GltfBuilder, dict]:
    """Two triangles of a unit square in the XY plane, facing +Z, as a primitive."""
    b = builder or GltfBuilder()
    pos = b.add(np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32))
    idx = b.add(np.array([0, 1, 2, 0, 2, 3], np.uint16))
    return b, {"attributes": {"POSITION": pos}, "indices": idx}


def skinned_quad(joints, weights):
    """A quad skinned to a two-joint skin, with one clip rotating joint 1."""
    b = GltfBuilder()
    positions, indices = quad()
    mesh = b.triangle_mesh(
        positions, indices, JOINTS_0=np.asarray(joints, np.uint16), WEIGHTS_0=np.asarray(weights, np.float32)
    )
    j0 = b.node(name="root", children=[1])
    b.node(name="tip", translation=[0, 1, 0])
    ibm = np.stack([np.eye(4), np.eye(4)]).astype(np.float32)
    ibm[1][3, 1] = -1  # column-major: translation (0, -1, 0) in the last column
    b.doc["skins"] = [{"joints": [0, 1], "inverseBindMatrices": b.accessor(ibm.reshape(2, 16))}]
    skinned = b.node(mesh=mesh, skin=0)
    b.root(j0)
    b.root(skinned)
    times = b.accessor(np.array([0.0, 1.0], np.float32), minmax=True)
    rots = b.accessor(np.array([[0, 0, 0, 1], [0, 0, 0.7071068, 0.7071068]], np.float32))
    b.doc["animations"] = [
        {
            "name": "bend",
            "samplers": [{"input": times, "output": rots}],
            "channels": [{"sampler": 0, "target": {"node": 1, "path": "rotation"}}],
        }
    ]
    return b


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


def to_glb(builder: GltfBuilder, doc: dict) -> bytes:
    """The document as a GLB with its buffer in the BIN chunk."""
    doc = copy.deepcopy(doc)
    doc["buffers"] = [{"byteLength": len(builder.blob)}]
    return glb_bytes(doc, builder.blob)


def plate_with_a_point_light(path, color=(1.0, 0.25, 0.1), offset=(0.35, 0.3, 0.45)) -> str:
    """A grey rough unit plate facing +Z, centred on the origin, and a KHR_lights_punctual
    point light of ``color`` at ``offset`` in front of one corner: lit by its own light,
    the plate is bright near that corner and dark across it."""
    b, prim = quad_primitive()
    prim["material"] = 0
    doc = b.document([prim])
    doc["nodes"][0]["translation"] = [-0.5, -0.5, 0.0]
    doc["nodes"].append({"translation": list(offset), "extensions": {"KHR_lights_punctual": {"light": 0}}})
    doc["scenes"][0]["nodes"] = [0, 1]
    doc["extensions"] = {
        "KHR_lights_punctual": {"lights": [{"type": "point", "intensity": 1.5, "color": list(color)}]}
    }
    doc["extensionsUsed"] = ["KHR_lights_punctual"]
    doc["materials"] = [
        {
            "doubleSided": True,
            "pbrMetallicRoughness": {
                "baseColorFactor": [0.8, 0.8, 0.8, 1.0],
                "metallicFactor": 0.0,
                "roughnessFactor": 1.0,
            },
        }
    ]
    return write_gltf(path, doc)
