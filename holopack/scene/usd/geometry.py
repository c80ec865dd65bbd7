"""USD mesh topology as holopack triangles, in plain numpy (no pxr here).

A UsdGeom.Mesh stores polygons (``faceVertexCounts``, ``faceVertexIndices``) and its
primvars each at an interpolation: per point ("vertex", "varying"), per face corner
("faceVarying"), per face ("uniform") or once ("constant"), each optionally indexed.
holopack's Primitive has one index list for every attribute, so where any attribute
varies per corner or per face the points are split: every distinct combination of
(point, corner value, face value) becomes one vertex (``split_vertices``).
"""

from __future__ import annotations

import math

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


# Segments around the axis of a round prim: 32 keep a 0.5 m sphere within 2.4 mm of its
# true surface and put vertices on both axes across it (its extent is exact)
ROUND_SEGMENTS = 32
# Rings from pole to pole of a sphere (half for each cap of a capsule): even, so the
# equator is a ring
SPHERE_RINGS = 16


def lathe_mesh(profile: np.ndarray, axis: str, segments: int = ROUND_SEGMENTS):
    """A surface of revolution about ``axis`` ("X", "Y" or "Z") as (positions (P, 3)
    float32, normals (P, 3) float32, indices (T, 3) int32), counter-clockwise seen from
    outside.

    profile : (K, 4) float64 rows (r, z, nr, nz): a path over the surface in a half
        plane through the axis, from the -axis end to the +axis end, each point with its
        outward normal in that plane. Two rows at one point make a crease (the normal
        changes there, no triangles between them); a ring at r = 0 is a pole.
    """
    profile = np.asarray(profile, np.float64)
    angle = 2.0 * np.pi * np.arange(segments) / segments
    cos, sin = np.cos(angle)[None, :], np.sin(angle)[None, :]
    r, z, nr, nz = (profile[:, i : i + 1] for i in range(4))
    ring = np.ones_like(cos)
    positions = np.stack([r * cos, r * sin, z * ring], axis=-1).reshape(-1, 3)
    normals = np.stack([nr * cos, nr * sin, nz * ring], axis=-1).reshape(-1, 3)
    joined = np.flatnonzero(np.hypot(np.diff(profile[:, 0]), np.diff(profile[:, 1])) > 0)
    j = np.arange(segments)
    a = joined[:, None] * segments + j
    b = joined[:, None] * segments + (j + 1) % segments
    c, d = a + segments, b + segments
    triangles = np.concatenate(
        [np.stack([a, b, d], -1).reshape(-1, 3), np.stack([a, d, c], -1).reshape(-1, 3)]
    )
    corner = positions[triangles]
    area = np.linalg.norm(np.cross(corner[:, 1] - corner[:, 0], corner[:, 2] - corner[:, 0]), axis=1)
    triangles = triangles[area > 0]  # the slivers at a pole
    # the lathe turns about z; a cyclic swap of the axes (a rotation) turns it about X or Y
    order = {"Z": [0, 1, 2], "X": [2, 0, 1], "Y": [1, 2, 0]}[axis]
    return (
        np.ascontiguousarray(positions[:, order], np.float32),
        np.ascontiguousarray(normals[:, order], np.float32),
        triangles.astype(np.int32),
    )


def sphere_profile(radius: float) -> np.ndarray:
    """UsdGeom.Sphere: centred on the origin."""
    phi = np.linspace(-0.5 * np.pi, 0.5 * np.pi, SPHERE_RINGS + 1)
    return np.stack([radius * np.cos(phi), radius * np.sin(phi), np.cos(phi), np.sin(phi)], axis=1)


def frustum_profile(radius_bottom: float, radius_top: float, height: float) -> np.ndarray:
    """UsdGeom.Cylinder (both radii the radius), Cylinder_1 and Cone (the top radius 0):
    the side from radius_bottom at -height/2 to radius_top at +height/2, both ends
    capped flat."""
    h = 0.5 * height
    side = np.array([height, radius_bottom - radius_top], np.float64)
    nr, nz = side / max(np.hypot(*side), 1e-30)
    return np.array(
        [
            [0.0, -h, 0.0, -1.0],
            [radius_bottom, -h, 0.0, -1.0],
            [radius_bottom, -h, nr, nz],
            [radius_top, h, nr, nz],
            [radius_top, h, 0.0, 1.0],
            [0.0, h, 0.0, 1.0],
        ]
    )


def capsule_profile(radius_bottom: float, radius_top: float, height: float) -> np.ndarray:
    """UsdGeom.Capsule (both radii the radius) and Capsule_1: the side from
    radius_bottom at -height/2 to radius_top at +height/2, each end closed by the sphere
    tangent to the side there (radius r / cos a, its centre r tan a below the end, with
    tan a = (radius_bottom - radius_top) / height: pxr's extents for Capsule_1)."""
    slope = math.atan2(radius_bottom - radius_top, height)
    rows = []
    for end, r, phis in (
        (-0.5 * height, radius_bottom, np.linspace(-0.5 * np.pi, slope, SPHERE_RINGS // 2 + 1)),
        (0.5 * height, radius_top, np.linspace(slope, 0.5 * np.pi, SPHERE_RINGS // 2 + 1)),
    ):
        big, centre = r / math.cos(slope), end - r * math.tan(slope)
        rows += [[big * math.cos(p), centre + big * math.sin(p), math.cos(p), math.sin(p)] for p in phis]
    return np.asarray(rows, np.float64)


def plane_mesh(width: float, length: float, axis: str):
    """UsdGeom.Plane: a width x length rectangle through the origin facing +axis (width
    along x for axis Z or Y and along z for X; length along y for Z or X and along z for
    Y), as (positions (4, 3), normals (4, 3) float32, indices (2, 3) int32)."""
    u, v, n = {"Z": (0, 1, 2), "X": (2, 1, 0), "Y": (0, 2, 1)}[axis]
    positions = np.zeros((4, 3), np.float32)
    for k, (a, b) in enumerate(((-1, -1), (1, -1), (1, 1), (-1, 1))):
        positions[k, u], positions[k, v] = 0.5 * a * width, 0.5 * b * length
    normals = np.zeros((4, 3), np.float32)
    normals[:, n] = 1.0
    indices = np.array([[0, 1, 2], [0, 2, 3]], np.int32)
    e = np.cross(positions[1] - positions[0], positions[2] - positions[0])
    if np.dot(e, normals[0]) < 0:  # the (u, v) pair was left-handed about n
        indices = indices[:, ::-1].copy()
    return positions, normals, indices


# the UsdGeom prims drawn from their parameters rather than their points
IMPLICIT_TYPES = ("Cube", "Sphere", "Cylinder", "Cylinder_1", "Cone", "Capsule", "Capsule_1", "Plane")


def implicit_mesh(prim, time):
    """The triangles of an implicit UsdGeom prim (its type in IMPLICIT_TYPES) at
    ``time``, each attribute at its schema default where unauthored: (positions (P, 3)
    float32, normals (P, 3) float32, indices (T, 3) int32) in the prim's own space."""
    kind = str(prim.GetTypeName())

    def value(name: str, default):
        found = prim.GetAttribute(name).Get(time)
        return default if found is None else found

    def number(name: str, default: float) -> float:
        # a crafted file may give a negative or non-finite size: drawn as nothing
        found = float(value(name, default))
        return found if math.isfinite(found) and found >= 0.0 else 0.0

    axis = str(value("axis", "Z"))
    axis = axis if axis in ("X", "Y", "Z") else "Z"
    if kind == "Cube":
        return cube_mesh(number("size", 2.0))
    if kind == "Plane":
        return plane_mesh(number("width", 2.0), number("length", 2.0), axis)
    if kind == "Sphere":
        return lathe_mesh(sphere_profile(number("radius", 1.0)), "Z")
    if kind in ("Cylinder", "Cone"):
        radius = number("radius", 1.0)
        profile = frustum_profile(radius, radius if kind == "Cylinder" else 0.0, number("height", 2.0))
    elif kind == "Cylinder_1":
        profile = frustum_profile(
            number("radiusBottom", 1.0), number("radiusTop", 1.0), number("height", 2.0)
        )
    elif kind == "Capsule":
        radius = number("radius", 0.5)
        profile = capsule_profile(radius, radius, number("height", 1.0))
    else:  # Capsule_1
        profile = capsule_profile(
            number("radiusBottom", 0.5), number("radiusTop", 0.5), number("height", 1.0)
        )
    return lathe_mesh(profile, axis)
