"""An independent, deliberately simple glTF posing reference for the tests.

Written straight from the glTF 2.0 specification and sharing no code with holopack:
the file is parsed by pygltflib, accessors are decoded here byte by byte (gathered
with explicit byte indices), keys are found by a linear scan, quaternions rotate
vectors by q v q*, and every vertex gets its own blended skin matrix. Slow and
obvious on purpose.
"""

from __future__ import annotations

import base64
import math
import os
import urllib.parse

import numpy as np
import pygltflib

COMPONENT = {5120: "<i1", 5121: "<u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


class ReferenceModel:
    def __init__(self, path: str):
        self.path = path
        self.gltf = pygltflib.GLTF2().load(path)
        self.buffers = []
        for buf in self.gltf.buffers:
            if buf.uri is None:
                self.buffers.append(self.gltf.binary_blob())
            elif buf.uri.startswith("data:"):
                self.buffers.append(base64.b64decode(buf.uri.split(",", 1)[1]))
            else:
                folder = os.path.dirname(path)
                with open(os.path.join(folder, urllib.parse.unquote(buf.uri)), "rb") as f:
                    self.buffers.append(f.read())

    # -- accessors -------------------------------------------------------------------
    def read(self, index: int) -> np.ndarray:
        """(count, width) float64 values of an accessor (normalized ints mapped)."""
        acc = self.gltf.accessors[index]
        dtype = np.dtype(COMPONENT[acc.componentType])
        width = WIDTH[acc.type]
        element = dtype.itemsize * width
        if acc.bufferView is None:
            raw = np.zeros((acc.count, width), dtype)
        else:
            view = self.gltf.bufferViews[acc.bufferView]
            data = np.frombuffer(self.buffers[view.buffer], np.uint8)
            stride = view.byteStride or element
            start = (view.byteOffset or 0) + (acc.byteOffset or 0)
            byte_index = start + np.arange(acc.count)[:, None] * stride + np.arange(element)[None, :]
            raw = data[byte_index].copy().view(dtype).reshape(acc.count, width)
        if acc.sparse is not None:
            sp = acc.sparse
            iview = self.gltf.bufferViews[sp.indices.bufferView]
            idtype = np.dtype(COMPONENT[sp.indices.componentType])
            ibytes = self.buffers[iview.buffer]
            istart = (iview.byteOffset or 0) + (sp.indices.byteOffset or 0)
            which = np.frombuffer(ibytes, idtype, sp.count, istart)
            vview = self.gltf.bufferViews[sp.values.bufferView]
            vstart = (vview.byteOffset or 0) + (sp.values.byteOffset or 0)
            vals = np.frombuffer(self.buffers[vview.buffer], dtype, sp.count * width, vstart)
            raw = raw.copy()
            for n, row in enumerate(which):
                raw[row] = vals[n * width : (n + 1) * width]
        values = raw.astype(np.float64)
        if acc.normalized:
            divisor = {5121: 255.0, 5123: 65535.0, 5120: 127.0, 5122: 32767.0}[acc.componentType]
            values = np.maximum(values / divisor, -1.0)
        return values

    # -- animation ---------------------------------------------------------------------
    def sample(self, sampler, time: float, is_rotation: bool) -> np.ndarray:
        times = self.read(sampler.input)[:, 0]
        out = self.read(sampler.output).reshape(-1)
        mode = sampler.interpolation or "LINEAR"
        keys = len(times)
        width = len(out) // keys // (3 if mode == "CUBICSPLINE" else 1)

        def key_value(k):
            if mode == "CUBICSPLINE":
                return out[(3 * k + 1) * width : (3 * k + 2) * width]
            return out[k * width : (k + 1) * width]

        if time <= times[0]:
            value = key_value(0)
        elif time >= times[-1]:
            value = key_value(keys - 1)
        else:
            k = 0
            while times[k + 1] <= time:
                k += 1
            span = times[k + 1] - times[k]
            u = (time - times[k]) / span
            if mode == "STEP":
                value = key_value(k)
            elif mode == "CUBICSPLINE":
                b_k = out[(3 * k + 2) * width : (3 * k + 3) * width]
                a_k1 = out[(3 * (k + 1)) * width : (3 * (k + 1) + 1) * width]
                value = (
                    (2 * u**3 - 3 * u**2 + 1) * key_value(k)
                    + span * (u**3 - 2 * u**2 + u) * b_k
                    + (-2 * u**3 + 3 * u**2) * key_value(k + 1)
                    + span * (u**3 - u**2) * a_k1
                )
            elif is_rotation:
                value = reference_slerp(key_value(k), key_value(k + 1), u)
            else:
                value = (1 - u) * key_value(k) + u * key_value(k + 1)
        value = np.array(value, np.float64)
        if is_rotation:
            value = value / np.linalg.norm(value)
        return value

    def animated_properties(self, animation: int | None, time: float) -> dict:
        found = {}
        if animation is None:
            return found
        anim = self.gltf.animations[animation]
        for channel in anim.channels:
            target = channel.target
            if target.node is None:
                continue
            found[(target.node, target.path)] = self.sample(
                anim.samplers[channel.sampler], time, target.path == "rotation"
            )
        return found

    # -- hierarchy ---------------------------------------------------------------------
    def local_matrix(self, index: int, animated: dict) -> np.ndarray:
        node = self.gltf.nodes[index]
        paths = ("translation", "rotation", "scale")
        if node.matrix is not None and not any((index, p) in animated for p in paths):
            return np.array(node.matrix, np.float64).reshape(4, 4).T
        if node.matrix is not None:
            raise ValueError("glTF forbids animating a node given by a matrix")
        t = animated.get((index, "translation"), node.translation or [0, 0, 0])
        r = animated.get((index, "rotation"), node.rotation or [0, 0, 0, 1])
        s = animated.get((index, "scale"), node.scale or [1, 1, 1])
        r = np.array(r, np.float64)
        r = r / np.linalg.norm(r)
        m = np.eye(4)
        for axis in range(3):
            basis = np.zeros(3)
            basis[axis] = s[axis]
            m[:3, axis] = rotate(r, basis)
        m[:3, 3] = t
        return m

    def world_matrices(self, animated: dict) -> list[np.ndarray]:
        count = len(self.gltf.nodes)
        parent = [None] * count
        for i, node in enumerate(self.gltf.nodes):
            for c in node.children or []:
                parent[c] = i
        world = [None] * count

        def resolve(i):
            if world[i] is None:
                local = self.local_matrix(i, animated)
                world[i] = local if parent[i] is None else resolve(parent[i]) @ local
            return world[i]

        for i in range(count):
            resolve(i)
        return world

    def draw_order(self) -> list[tuple[int, int, int]]:
        """(node, mesh, primitive) in depth-first order of the default scene."""
        scene = self.gltf.scenes[self.gltf.scene or 0]
        order = []

        def visit(i):
            node = self.gltf.nodes[i]
            if node.mesh is not None:
                for p in range(len(self.gltf.meshes[node.mesh].primitives)):
                    order.append((i, node.mesh, p))
            for c in node.children or []:
                visit(c)

        for root in scene.nodes:
            visit(root)
        return order

    # -- posing ------------------------------------------------------------------------
    def pose(self, animation: int | None, time: float):
        """[(positions (N, 3) float64, normals (N, 3) float64 or None)] in draw order."""
        animated = self.animated_properties(animation, time)
        world = self.world_matrices(animated)
        result = []
        for node_index, mesh_index, p in self.draw_order():
            node = self.gltf.nodes[node_index]
            mesh = self.gltf.meshes[mesh_index]
            prim = mesh.primitives[p]
            attrs = prim.attributes
            positions = self.read(attrs.POSITION)
            normals = self.read(attrs.NORMAL) if attrs.NORMAL is not None else None
            if prim.targets:
                weights = animated.get((node_index, "weights"))
                if weights is None:
                    weights = getattr(node, "weights", None) or mesh.weights
                if weights is None:
                    weights = [0.0] * len(prim.targets)
                for w, target in zip(weights, prim.targets):
                    if "POSITION" in target and target["POSITION"] is not None:
                        positions = positions + w * self.read(target["POSITION"])
                    if normals is not None and target.get("NORMAL") is not None:
                        normals = normals + w * self.read(target["NORMAL"])
            if node.skin is not None and attrs.JOINTS_0 is not None:
                skin = self.gltf.skins[node.skin]
                if skin.inverseBindMatrices is not None:
                    ibm = self.read(skin.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
                else:
                    ibm = np.tile(np.eye(4), (len(skin.joints), 1, 1))
                joint_mats = np.array([world[j] @ ibm[k] for k, j in enumerate(skin.joints)])
                joints = [self.read(attrs.JOINTS_0).astype(np.int64)]
                weights = [self.read(attrs.WEIGHTS_0)]
                if getattr(attrs, "JOINTS_1", None) is not None:
                    joints.append(self.read(attrs.JOINTS_1).astype(np.int64))
                    weights.append(self.read(attrs.WEIGHTS_1))
                joints = np.concatenate(joints, axis=1)
                weights = np.concatenate(weights, axis=1)
                total = weights.sum(axis=1)
                zero = total == 0
                weights[zero, 0] = 1.0
                total[zero] = 1.0
                weights = weights / total[:, None]
                # one blended matrix per vertex
                per_vertex = np.einsum("vk,vkij->vij", weights, joint_mats[joints])
            else:
                per_vertex = np.broadcast_to(world[node_index], (len(positions), 4, 4))
            homogeneous = np.concatenate([positions, np.ones((len(positions), 1))], axis=1)
            posed = np.einsum("vij,vj->vi", per_vertex, homogeneous)[:, :3]
            posed_normals = None
            if normals is not None:
                inv_t = np.linalg.inv(per_vertex[:, :3, :3]).transpose(0, 2, 1)
                posed_normals = np.einsum("vij,vj->vi", inv_t, normals)
                posed_normals /= np.linalg.norm(posed_normals, axis=1, keepdims=True)
            result.append((posed, posed_normals))
        return result


def rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vector v by unit quaternion q = (x, y, z, w) as q * (v, 0) * conj(q)."""

    def mul(a, b):
        ax, ay, az, aw = a
        bx, by, bz, bw = b
        return np.array(
            [
                aw * bx + ax * bw + ay * bz - az * by,
                aw * by - ax * bz + ay * bw + az * bx,
                aw * bz + ax * by - ay * bx + az * bw,
                aw * bw - ax * bx - ay * by - az * bz,
            ]
        )

    conj = np.array([-q[0], -q[1], -q[2], q[3]])
    return mul(mul(q, np.array([v[0], v[1], v[2], 0.0])), conj)[:3]


def reference_slerp(a, b, u: float) -> np.ndarray:
    a = np.array(a, np.float64) / np.linalg.norm(a)
    b = np.array(b, np.float64) / np.linalg.norm(b)
    cos = float(np.dot(a, b))
    if cos < 0:
        b, cos = -b, -cos
    if cos > 1 - 1e-9:
        return (1 - u) * a + u * b
    angle = math.acos(cos)
    return (math.sin((1 - u) * angle) * a + math.sin(u * angle) * b) / math.sin(angle)
