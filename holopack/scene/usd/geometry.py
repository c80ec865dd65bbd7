"""USD mesh topology as holopack triangles, in plain numpy (no pxr here).

A UsdGeom.Mesh stores polygons (``faceVertexCounts``, ``faceVertexIndices``) and its
primvars each at an interpolation: per point ("vertex", "varying"), per face corner
("faceVarying"), per face ("uniform") or once ("constant"), each optionally indexed.
holopack's Primitive has one index list for every attribute, so where any attribute
varies per corner or per face the points are split: every distinct combination of
(point, corner value, face value) becomes one vertex (``split_vertices``).
"""

from __future__ import annotations

import numpy as np

# interpolations read per point, per face corner, per face, once
PER_POINT = ("vertex", "varying")
PER_CORNER = "faceVarying"
PER_FACE = "uniform"
CONSTANT = "constant"


def fan_triangles(
    counts: np.ndarray, holes: np.ndarray | None = None, left_handed: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Triangulate polygons as fans: polygon f of ``counts[f]`` corners, starting at
    corner s, gives the triangles (s, s+k, s+k+1) for k = 1 .. counts[f] - 2.

    counts : (F,) int, corners of each face; holes : (H,) int face indices left out;
    left_handed : USD's orientation "leftHanded" (clockwise front faces): each
    triangle's winding is reversed so that front faces are counter-clockwise.
    Returns (corners (M, 3) int64 indices into the face-corner list, faces (M,) int64
    the face each triangle comes from). Faces of fewer than 3 corners give nothing.
    """
    counts = np.asarray(counts, np.int64)
    starts = np.cumsum(counts) - counts
    per_face = np.maximum(counts - 2, 0)
    if holes is not None and len(holes):
        holes = np.asarray(holes, np.int64)
        holes = holes[(holes >= 0) & (holes < len(counts))]
        per_face = per_face.copy()
        per_face[holes] = 0
    faces = np.repeat(np.arange(len(counts), dtype=np.int64), per_face)
    first = np.cumsum(per_face) - per_face  # first triangle of each face
    k = np.arange(len(faces), dtype=np.int64) - first[faces] + 1
    s = starts[faces]
    if left_handed:
        corners = np.stack([s, s + k + 1, s + k], axis=1)
    else:
        corners = np.stack([s, s + k, s + k + 1], axis=1)
    return corners, faces


def attribute_source(
    interpolation: str, point_of_corner: np.ndarray, face_of_corner: np.ndarray, indices: np.ndarray | None
) -> np.ndarray | None:
    """For each face corner, the element of a primvar's value array it reads: (C,) int64,
    or None for a constant primvar (element 0 everywhere).

    point_of_corner, face_of_corner : (C,) int64; indices : the primvar's own index
    array ("indexed primvar") or None.
    """
    if interpolation in PER_POINT:
        source = point_of_corner
    elif interpolation == PER_CORNER:
        source = np.arange(len(point_of_corner), dtype=np.int64)
    elif interpolation == PER_FACE:
        source = face_of_corner
    else:
        return None
    if indices is not None:
        indices = np.asarray(indices, np.int64)
        if len(source) and source.max() >= len(indices):
            raise ValueError(f"{len(indices)} primvar indices for {source.max() + 1} elements")
        source = indices[source]
    return source


def split_vertices(point_of_corner: np.ndarray, keys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One vertex per distinct (point, key...) combination of the face corners.

    point_of_corner : (C,) int64; keys : list of (C,) int64, per corner the element each
    per-corner or per-face attribute reads (``attribute_source``).
    Returns (first (V,) int64: a corner of each new vertex, vertex_of_corner (C,) int64).
    Without keys the points themselves are the vertices (first = point index order).
    """
    if not keys:
        points, inverse = np.unique(point_of_corner, return_inverse=True)
        # a corner of each used point: any one, all read the same values
        first = np.zeros(len(points), np.int64)
        first[inverse] = np.arange(len(point_of_corner), dtype=np.int64)
        return first, inverse.reshape(-1).astype(np.int64)
    table = np.stack([point_of_corner, *keys], axis=1)
    _, first, inverse = np.unique(table, axis=0, return_index=True, return_inverse=True)
    return first.astype(np.int64), inverse.reshape(-1).astype(np.int64)


def decompose_many(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(K, 4, 4) float64 affine matrices (column vectors: p' = M @ p) -> translations
    (K, 3), unit quaternions (K, 4) x, y, z, w, scales (K, 3), all float64. A mirroring
    matrix puts its sign on the x scale; shear is dropped."""
    m = np.asarray(matrices, np.float64)
    translation = m[:, :3, 3].copy()
    basis = m[:, :3, :3]
    scale = np.linalg.norm(basis, axis=1)  # length of each column
    scale[np.linalg.det(basis) < 0, 0] *= -1.0
    safe = np.where(np.abs(scale) < 1e-12, 1.0, scale)
    return translation, matrix_to_quaternions(basis / safe[:, None, :]), scale


def matrix_to_quaternions(r: np.ndarray) -> np.ndarray:
    """(K, 3, 3) rotation matrices -> (K, 4) unit quaternions x, y, z, w (Shepperd's
    method: each row takes the branch of its largest diagonal term)."""
    r = np.asarray(r, np.float64)
    k = len(r)
    q = np.zeros((k, 4))
    trace = r[:, 0, 0] + r[:, 1, 1] + r[:, 2, 2]
    diag = np.stack([r[:, 0, 0], r[:, 1, 1], r[:, 2, 2]], axis=1)
    branch = np.where(trace > 0, 3, np.argmax(diag, axis=1))
    for b in range(4):
        sel = branch == b
        if not np.any(sel):
            continue
        m = r[sel]
        if b == 3:
            s = np.sqrt(trace[sel] + 1.0) * 2
            q[sel] = np.stack(
                [
                    (m[:, 2, 1] - m[:, 1, 2]) / s,
                    (m[:, 0, 2] - m[:, 2, 0]) / s,
                    (m[:, 1, 0] - m[:, 0, 1]) / s,
                    0.25 * s,
                ],
                axis=1,
            )
        elif b == 0:
            s = np.sqrt(np.maximum(1.0 + m[:, 0, 0] - m[:, 1, 1] - m[:, 2, 2], 1e-300)) * 2
            q[sel] = np.stack(
                [
                    0.25 * s,
                    (m[:, 0, 1] + m[:, 1, 0]) / s,
                    (m[:, 0, 2] + m[:, 2, 0]) / s,
                    (m[:, 2, 1] - m[:, 1, 2]) / s,
                ],
                axis=1,
            )
        elif b == 1:
            s = np.sqrt(np.maximum(1.0 + m[:, 1, 1] - m[:, 0, 0] - m[:, 2, 2], 1e-300)) * 2
            q[sel] = np.stack(
                [
                    (m[:, 0, 1] + m[:, 1, 0]) / s,
                    0.25 * s,
                    (m[:, 1, 2] + m[:, 2, 1]) / s,
                    (m[:, 0, 2] - m[:, 2, 0]) / s,
                ],
                axis=1,
            )
        else:
            s = np.sqrt(np.maximum(1.0 + m[:, 2, 2] - m[:, 0, 0] - m[:, 1, 1], 1e-300)) * 2
            q[sel] = np.stack(
                [
                    (m[:, 0, 2] + m[:, 2, 0]) / s,
                    (m[:, 1, 2] + m[:, 2, 1]) / s,
                    0.25 * s,
                    (m[:, 1, 0] - m[:, 0, 1]) / s,
                ],
                axis=1,
            )
    norm = np.linalg.norm(q, axis=1, keepdims=True)
    return np.where(norm > 0, q / np.maximum(norm, 1e-300), [0.0, 0.0, 0.0, 1.0])


def continuous_quaternions(q: np.ndarray) -> np.ndarray:
    """(K, 4) quaternions with each one's sign chosen nearest the one before, so that
    linear interpolation between keys takes the short way round."""
    q = np.array(q, np.float64)
    for i in range(1, len(q)):
        if np.dot(q[i], q[i - 1]) < 0:
            q[i] = -q[i]
    return q


def cube_mesh(size: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A UsdGeom.Cube of edge ``size`` centred on the origin as (positions (24, 3)
    float32, normals (24, 3) float32, indices (12, 3) int32): four vertices a face so
    that each face keeps its flat normal, counter-clockwise seen from outside."""
    h = 0.5 * float(size)
    positions: list[np.ndarray] = []
    normals: list[np.ndarray] = []
    indices: list[list[int]] = []
    for axis in range(3):
        for sign in (1.0, -1.0):
            n = np.zeros(3)
            n[axis] = sign
            u = np.zeros(3)
            u[(axis + 1) % 3] = 1.0
            v = np.cross(n, u)
            base = len(positions)
            for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                positions.append(h * (n + a * u + b * v))
                normals.append(n)
            indices += [[base, base + 1, base + 2], [base, base + 2, base + 3]]
    return (
        np.asarray(positions, np.float32),
        np.asarray(normals, np.float32),
        np.asarray(indices, np.int32),
    )
