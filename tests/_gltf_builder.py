"""Build small glTF files from numpy arrays, for tests that need a precise fault."""
from __future__ import annotations

import base64
import json

import numpy as np

_COMPONENT = {np.dtype("float32"): 5126, np.dtype("uint16"): 5123, np.dtype("uint32"): 5125,
              np.dtype("uint8"): 5121}
_TYPE = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4", 16: "MAT4"}


class GltfBuilder:
    """Accumulates buffer views and accessors in one base64 buffer."""

    def __init__(self):
        self.blob = bytearray()
        self.doc = {"asset": {"version": "2.0"}, "buffers": [], "bufferViews": [],
                    "accessors": [], "meshes": [], "nodes": [], "scenes": [{"nodes": []}],
                    "scene": 0}

    def accessor(self, array, *, minmax=False, target=None) -> int:
        array = np.ascontiguousarray(array)
        while len(self.blob) % 4:
            self.blob.append(0)
        offset = len(self.blob)
        self.blob += array.tobytes()
        view = {"buffer": 0, "byteOffset": offset, "byteLength": array.nbytes}
        if target:
            view["target"] = target
        self.doc["bufferViews"].append(view)
        width = 1 if array.ndim == 1 else int(np.prod(array.shape[1:]))
        acc = {"bufferView": len(self.doc["bufferViews"]) - 1, "componentType": _COMPONENT[array.dtype],
               "count": int(array.shape[0]), "type": _TYPE[width]}
        if minmax:
            acc["min"] = [float(v) for v in array.reshape(len(array), -1).min(0)]
            acc["max"] = [float(v) for v in array.reshape(len(array), -1).max(0)]
        self.doc["accessors"].append(acc)
        return len(self.doc["accessors"]) - 1

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

    def build(self) -> dict:
        doc = json.loads(json.dumps(self.doc))
        doc["buffers"] = [{"byteLength": len(self.blob), "uri": "data:application/octet-stream;base64,"
                           + base64.b64encode(bytes(self.blob)).decode()}]
        return doc

    def write(self, path) -> None:
        with open(path, "w") as f:
            json.dump(self.build(), f)


def quad():
    """Two triangles facing +Z."""
    positions = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float32)
    indices = np.array([[0, 1, 2], [0, 2, 3]], np.uint16)
    return positions, indices


def skinned_quad(joints, weights):
    """A quad skinned to a two-joint skin, with one clip rotating joint 1."""
    b = GltfBuilder()
    positions, indices = quad()
    mesh = b.triangle_mesh(positions, indices, JOINTS_0=np.asarray(joints, np.uint16),
                           WEIGHTS_0=np.asarray(weights, np.float32))
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
    b.doc["animations"] = [{"name": "bend", "samplers": [{"input": times, "output": rots}],
                            "channels": [{"sampler": 0, "target": {"node": 1, "path": "rotation"}}]}]
    return b
