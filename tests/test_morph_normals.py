"""Morph targets move normals: by their NORMAL deltas when the file has them, else by
recomputing area-weighted normals from the morphed positions, keeping the file's hard
edges hard and its texture seams smooth.

References: closed-form normals of an analytic surface, and a plain-Python
accumulation over faces (three.js computeVertexNormals style, joined over vertices
that share position and rest normal) that shares no code with holopack.
"""

from __future__ import annotations

import numpy as np

import holopack
from tests._gltf_builder import GltfBuilder, write_gltf


def _document(positions, indices, normals=None, uv=None, targets=(), weights=(1.0,)) -> dict:
    b = GltfBuilder()
    attrs = {"POSITION": b.accessor(np.asarray(positions, np.float32), minmax=True)}
    if normals is not None:
        attrs["NORMAL"] = b.accessor(np.asarray(normals, np.float32))
    if uv is not None:
        attrs["TEXCOORD_0"] = b.accessor(np.asarray(uv, np.float32))
    prim = {
        "attributes": attrs,
        "indices": b.accessor(np.asarray(indices, np.uint32).ravel()),
        "targets": [
            {name: b.accessor(np.asarray(d, np.float32), minmax=name == "POSITION") for name, d in t.items()}
            for t in targets
        ],
    }
    doc = b.document([prim])
    doc["meshes"][0]["weights"] = list(weights)
    return doc


def _grid(n=9):
    xs, ys = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1, 1, n))
    positions = np.stack([xs, ys, 0 * xs], -1).reshape(-1, 3)
    indices = []
    for r in range(n - 1):
        for c in range(n - 1):
            a = r * n + c
            indices += [[a, a + 1, a + n + 1], [a, a + n + 1, a + n]]
    return positions, np.array(indices)


def _reference_normals(positions, indices, rest_positions, rest_normals):
    """Plain Python: sum each face's cross product (2 x area x normal) into every vertex
    that shares its corner's rest position and rest normal, then normalise."""
    sums: dict[tuple, np.ndarray] = {}

    def key(v):
        return (tuple(np.float32(rest_positions[v]).tolist()), tuple(np.float32(rest_normals[v]).tolist()))

    for a, b, c in indices:
        p0, p1, p2 = (np.asarray(positions[i], np.float64) for i in (a, b, c))
        face = np.cross(p1 - p0, p2 - p0)
        for v in (a, b, c):
            sums[key(v)] = sums.get(key(v), np.zeros(3)) + face
    out = np.array([sums[key(v)] for v in range(len(positions))])
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_normals_of_a_morphed_surface_without_normal_targets_are_recomputed(tmp_path):
    positions, indices = _grid()
    a = 0.4
    delta = np.zeros_like(positions)
    delta[:, 2] = a * (positions[:, 0] ** 2 + positions[:, 1] ** 2)  # a paraboloid
    doc = _document(
        positions,
        indices,
        normals=np.tile([0.0, 0.0, 1.0], (len(positions), 1)),
        targets=[{"POSITION": delta}],
    )
    scene = holopack.load(write_gltf(tmp_path / "bowl.gltf", doc))
    posed = scene.pose(None, 0.0)[0]
    morphed = positions + delta
    rest = scene.meshes[0].primitives[0]
    np.testing.assert_allclose(
        posed.normals, _reference_normals(morphed, indices, rest.positions, rest.normals), atol=1e-5
    )
    # the closed form, where the mesh is symmetric about the vertex (interior)
    analytic = np.stack([-2 * a * morphed[:, 0], -2 * a * morphed[:, 1], np.ones(len(morphed))], 1)
    analytic /= np.linalg.norm(analytic, axis=1, keepdims=True)
    interior = (np.abs(positions[:, 0]) < 0.99) & (np.abs(positions[:, 1]) < 0.99)
    angle = np.degrees(
        np.arccos(np.clip(np.einsum("ij,ij->i", posed.normals[interior], analytic[interior]), -1, 1))
    )
    assert angle.max() < 3.0


def test_rest_normals_stay_when_every_weight_is_zero(tmp_path):
    positions, indices = _grid(4)
    normals = np.tile([0.0, 0.6, 0.8], (len(positions), 1))  # authored, not the face normal
    delta = np.zeros_like(positions)
    delta[:, 2] = positions[:, 0]
    doc = _document(positions, indices, normals=normals, targets=[{"POSITION": delta}], weights=[0.0])
    scene = holopack.load(write_gltf(tmp_path / "still.gltf", doc))
    np.testing.assert_allclose(scene.pose(None, 0.0)[0].normals, normals, atol=1e-6)


def _cube():
    """24 vertices, four per face with the face's normal (hard edges)."""
    positions, normals, indices = [], [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            n = np.zeros(3)
            n[axis] = sign
            u = np.zeros(3)
            u[(axis + 1) % 3] = 1
            v = np.cross(n, u)
            base = len(positions)
            for du, dv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                positions.append(n + du * u + dv * v)
                normals.append(n)
            indices += [[base, base + 1, base + 2], [base, base + 2, base + 3]]
    return np.array(positions), np.array(normals), np.array(indices)


def test_hard_edges_stay_hard_after_morphing(tmp_path):
    positions, normals, indices = _cube()
    delta = np.zeros_like(positions)
    delta[:, 0] = positions[:, 0]  # stretched along x: the faces stay axis-aligned
    delta[:, 1] = 0.3 * positions[:, 0] * (positions[:, 1] > 0)  # and the top tilts
    doc = _document(positions, indices, normals=normals, targets=[{"POSITION": delta}])
    scene = holopack.load(write_gltf(tmp_path / "cube.gltf", doc))
    posed = scene.pose(None, 0.0)[0]
    morphed = positions + delta
    np.testing.assert_allclose(
        posed.normals, _reference_normals(morphed, indices, positions, normals), atol=1e-5
    )
    # each face keeps one flat normal: its own face normal
    for face in range(6):
        corners = np.arange(4 * face, 4 * face + 4)
        p = morphed[corners]
        expected = np.cross(p[1] - p[0], p[2] - p[0])
        expected /= np.linalg.norm(expected)
        np.testing.assert_allclose(posed.normals[corners], np.tile(expected, (4, 1)), atol=1e-5)


def test_a_texture_seam_stays_smooth_after_morphing(tmp_path):
    # a cylinder whose seam column is split for its texture only (same normal)
    rings, segments = 3, 12
    positions, normals, uv = [], [], []
    for r in range(rings):
        for s in range(segments + 1):
            phi = 2 * np.pi * s / segments
            positions.append([np.cos(phi), r * 0.5, np.sin(phi)])
            normals.append([np.cos(phi), 0.0, np.sin(phi)])
            uv.append([s / segments, r / (rings - 1)])
    positions, normals = np.array(positions), np.array(normals)
    positions[segments :: segments + 1] = positions[:: segments + 1]  # bit-identical seam
    normals[segments :: segments + 1] = normals[:: segments + 1]
    indices = []
    for r in range(rings - 1):
        for s in range(segments):
            a = r * (segments + 1) + s
            b = a + segments + 1
            indices += [[a, b, a + 1], [a + 1, b, b + 1]]
    indices = np.array(indices)
    delta = np.zeros_like(positions)
    delta[:, 0] = 0.5 * positions[:, 1] * positions[:, 0]  # a flaring bulge
    doc = _document(positions, indices, normals=normals, uv=uv, targets=[{"POSITION": delta}])
    scene = holopack.load(write_gltf(tmp_path / "tube.gltf", doc))
    posed = scene.pose(None, 0.0)[0]
    np.testing.assert_allclose(
        posed.normals, _reference_normals(positions + delta, indices, positions, normals), atol=1e-5
    )
    np.testing.assert_allclose(
        posed.normals[segments :: segments + 1], posed.normals[:: segments + 1], atol=1e-6
    )


def test_normal_targets_move_normals_when_the_file_has_them(tmp_path):
    positions, indices = _grid(4)
    normals = np.tile([0.0, 0.0, 1.0], (len(positions), 1))
    delta = np.zeros_like(positions)
    delta[:, 2] = positions[:, 0]  # a slope whose face normals the NORMAL deltas ignore
    normal_delta = np.tile([1.0, 0.0, 0.0], (len(positions), 1))
    doc = _document(
        positions,
        indices,
        normals=normals,
        targets=[{"POSITION": delta, "NORMAL": normal_delta}],
        weights=[0.5],
    )
    scene = holopack.load(write_gltf(tmp_path / "tilt.gltf", doc))
    expected = normals + 0.5 * normal_delta
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(scene.pose(None, 0.0)[0].normals, expected, atol=1e-6)
