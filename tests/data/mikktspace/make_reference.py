"""Regenerates reference.npz: MikkTSpace tangents of a few meshes, computed by the
``mikktspace`` npm package (Don McCurdy's WebAssembly build of the Rust port of
Morten Mikkelsen's mikktspace.c; MIT licence, see LICENSE.md), not by holopack.

    npm pack mikktspace && tar xzf mikktspace-*.tgz && mkdir -p node_modules && \
        mv package node_modules/mikktspace
    NODE_PATH=$PWD/node_modules python tests/data/mikktspace/make_reference.py

Each mesh is stored with its inputs (positions, normals, uv, indices) and the
reference per-corner tangents (M, 3, 4) float32, so the test needs neither node nor
this script.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def mirrored_sphere(rings: int = 14, segments: int = 24):
    """A UV sphere whose left half mirrors the right half's texture (u = |x| side),
    with a seam of split vertices at the mirror plane and at the back."""
    pos, nrm, uv = [], [], []
    for r in range(rings + 1):
        theta = np.pi * r / rings
        for s in range(segments + 1):
            phi = 2 * np.pi * s / segments
            p = np.array([np.sin(theta) * np.sin(phi), np.cos(theta), np.sin(theta) * np.cos(phi)])
            pos.append(p)
            nrm.append(p)
            frac = s / segments
            u = 2 * frac if frac <= 0.5 else 2 * (1 - frac)  # mirrored about phi = pi
            uv.append([u, r / rings])
    idx = []
    for r in range(rings):
        for s in range(segments):
            a = r * (segments + 1) + s
            b = a + segments + 1
            idx += [[a, b, a + 1], [a + 1, b, b + 1]]
    return np.array(pos), np.array(nrm), np.array(uv), np.array(idx)


def bumpy_grid(n: int = 12, seed: int = 3):
    """A displaced grid with jittered UVs, one quarter of the UV chart mirrored in u and
    one in v, so groups split in several ways."""
    rng = np.random.default_rng(seed)
    x, y = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1, 1, n))
    z = 0.2 * np.sin(2 * x) * np.cos(3 * y)
    pos = np.stack([x, y, z], -1).reshape(-1, 3)
    u = (x + 1) / 2 + rng.normal(0, 0.01, x.shape)
    v = (1 - y) / 2 + rng.normal(0, 0.01, y.shape)
    u = np.where(x < 0, 1 - u, u)
    v = np.where((y > 0) & (x > 0), 1 - v, v)
    uv = np.stack([u, v], -1).reshape(-1, 2)
    idx = []
    for r in range(n - 1):
        for c in range(n - 1):
            a = r * n + c
            idx += [[a, a + 1, a + n + 1], [a, a + n + 1, a + n]]
    idx = np.array(idx)
    nrm = face_area_normals(pos, idx)
    return pos, nrm, uv, idx


def face_area_normals(pos, idx):
    n = np.zeros_like(pos)
    for f in idx:
        fn = np.cross(pos[f[1]] - pos[f[0]], pos[f[2]] - pos[f[0]])
        for k in f:
            n[k] += fn
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def awkward_mesh():
    """A strip with a degenerate triangle (two equal positions), a triangle with zero UV
    area (grouped with any), a lone zero-UV triangle and a non-manifold edge."""
    pos = np.array(
        [
            [0, 0, 0],
            [1, 0, 0],
            [0, 1, 0],
            [1, 1, 0],
            [2, 0, 0],
            [2, 1, 0],
            [1, 1, 0],
            [5, 5, 0],
            [6, 5, 0],
            [5, 6, 0],
            [1, 0, 1],
        ],
        float,
    )
    uv = np.array(
        [[0, 0], [1, 0], [0, 1], [1, 1], [1, 0], [1, 0], [1, 1], [0, 0], [0, 0], [0, 0], [0.5, 0.5]], float
    )
    nrm = np.tile([0.0, 0.0, 1.0], (len(pos), 1))
    idx = np.array([[0, 1, 2], [1, 3, 2], [1, 4, 3], [4, 5, 3], [3, 6, 2], [7, 8, 9], [1, 10, 3], [3, 3, 5]])
    return pos, nrm, uv, idx


def duck():
    """The Duck's one primitive (Khronos sample model, see tests/data/Duck/LICENSE.md)."""
    sys.path.insert(0, str(HERE.parents[2]))
    import holopack

    scene = holopack.load(str(HERE.parent / "Duck" / "Duck.glb"))
    prim = scene.meshes[0].primitives[0]
    return prim.positions, prim.normals, prim.uv[0], prim.indices


def run(meshes: dict) -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, (pos, nrm, uv, idx) in meshes.items():
            idx = np.asarray(idx)
            flat = [np.asarray(a, np.float32)[idx.reshape(-1)] for a in (pos, nrm, uv)]
            path = Path(tmp) / f"{name}.in.bin"
            path.write_bytes(struct.pack("<I", idx.size) + b"".join(a.tobytes() for a in flat))
            paths.append(str(path))
        subprocess.run(["node", str(HERE / "reference.js"), *paths], check=True)
        for name, (pos, nrm, uv, idx) in meshes.items():
            idx = np.asarray(idx)
            tangents = np.frombuffer((Path(tmp) / f"{name}.out.bin").read_bytes(), np.float32)
            out[f"{name}_positions"] = np.asarray(pos, np.float32)
            out[f"{name}_normals"] = np.asarray(nrm, np.float32)
            out[f"{name}_uv"] = np.asarray(uv, np.float32)
            out[f"{name}_indices"] = idx.astype(np.int32)
            out[f"{name}_tangents"] = tangents.reshape(len(idx), 3, 4)
    return out


if __name__ == "__main__":
    meshes = {
        "mirrored_sphere": mirrored_sphere(),
        "bumpy_grid": bumpy_grid(),
        "awkward": awkward_mesh(),
        "duck": duck(),
    }
    np.savez_compressed(HERE / "reference.npz", names=np.array(list(meshes)), **run(meshes))
    print(json.dumps({k: len(v[3]) for k, v in meshes.items()}))
