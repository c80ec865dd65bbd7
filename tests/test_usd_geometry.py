"""holopack.scene.usd.geometry: USD polygon topology as triangles, in numpy, checked
against plain loops over the faces and against composed matrices. No pxr needed."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from holopack.scene.usd.geometry import (
    attribute_source,
    continuous_quaternions,
    cube_mesh,
    decompose_many,
    fan_triangles,
    split_vertices,
)


def _loop_fans(counts, holes, left_handed):
    """The obviously-correct twin: one face at a time."""
    corners, faces, start = [], [], 0
    for f, c in enumerate(counts):
        if f not in holes:
            for k in range(1, c - 1):
                tri = [start, start + k, start + k + 1]
                if left_handed:
                    tri = [tri[0], tri[2], tri[1]]
                corners.append(tri)
                faces.append(f)
        start += c
    return np.array(corners, np.int64).reshape(-1, 3), np.array(faces, np.int64)


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(0, 9), min_size=1, max_size=30),
    data=st.data(),
    left_handed=st.booleans(),
)
def test_fan_triangulation_matches_a_loop_over_the_faces(counts, data, left_handed):
    holes = data.draw(st.sets(st.integers(0, len(counts) - 1), max_size=len(counts)))
    corners, faces = fan_triangles(np.array(counts), np.array(sorted(holes), np.int64), left_handed)
    want_corners, want_faces = _loop_fans(counts, holes, left_handed)
    np.testing.assert_array_equal(corners, want_corners)
    np.testing.assert_array_equal(faces, want_faces)


def test_a_left_handed_polygon_faces_the_other_way():
    points = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float64)
    for left, sign in ((False, 1.0), (True, -1.0)):
        corners, _ = fan_triangles(np.array([4]), None, left)
        tri = points[corners]
        normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        assert np.all(normal[:, 2] * sign > 0)


def test_split_vertices_gives_every_corner_its_own_values_and_no_more_vertices_than_needed():
    rng = np.random.default_rng(3)
    counts = rng.integers(3, 7, size=40)
    corners = int(counts.sum())
    point_of_corner = rng.integers(0, 25, size=corners)
    face_of_corner = np.repeat(np.arange(len(counts)), counts)
    uv_values = rng.random((12, 2))
    uv_indices = rng.integers(0, 12, size=corners)  # an indexed faceVarying primvar
    colour_values = rng.random((len(counts), 3))  # a uniform primvar
    uv_source = attribute_source("faceVarying", point_of_corner, face_of_corner, uv_indices)
    colour_source = attribute_source("uniform", point_of_corner, face_of_corner, None)
    first, vertex_of_corner = split_vertices(point_of_corner, [uv_source, colour_source])
    # each corner's vertex reads the corner's own point, uv and colour
    np.testing.assert_array_equal(point_of_corner[first][vertex_of_corner], point_of_corner)
    np.testing.assert_array_equal(uv_values[uv_source[first]][vertex_of_corner], uv_values[uv_indices])
    np.testing.assert_array_equal(
        colour_values[colour_source[first]][vertex_of_corner], colour_values[face_of_corner]
    )
    # one vertex per distinct combination, counted with a set
    combos = set(zip(point_of_corner.tolist(), uv_indices.tolist(), face_of_corner.tolist()))
    assert len(first) == len(combos)


def test_without_per_corner_data_the_points_stay_shared():
    point_of_corner = np.array([0, 1, 2, 0, 2, 3])
    first, vertex_of_corner = split_vertices(point_of_corner, [])
    assert len(first) == 4
    np.testing.assert_array_equal(point_of_corner[first][vertex_of_corner], point_of_corner)
    assert attribute_source("constant", point_of_corner, np.zeros(6, np.int64), None) is None


def _quaternion_matrix(q):
    x, y, z, w = q
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def test_decompose_many_rebuilds_each_matrix_from_its_parts():
    rng = np.random.default_rng(7)
    q = rng.normal(size=(200, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    scale = rng.uniform(0.1, 3.0, size=(200, 3))
    scale[::5, 1] *= -1  # mirrored ones
    matrices = np.tile(np.eye(4), (200, 1, 1))
    for i in range(200):
        matrices[i, :3, :3] = _quaternion_matrix(q[i]) * scale[i]
        matrices[i, :3, 3] = rng.normal(size=3)
    t, r, s = decompose_many(matrices)
    for i in range(200):
        rebuilt = _quaternion_matrix(r[i]) * s[i]
        np.testing.assert_allclose(rebuilt, matrices[i, :3, :3], atol=1e-9)
    np.testing.assert_allclose(t, matrices[:, :3, 3])
    np.testing.assert_allclose(np.linalg.norm(r, axis=1), 1.0)


def test_continuous_quaternions_keep_each_key_on_the_side_of_the_one_before():
    q = np.array([[0, 0, 0, 1.0], [0, 0, 0.1, -0.995], [0, 0, 0.2, 0.98]])
    out = continuous_quaternions(q)
    assert np.all(np.sum(out[1:] * out[:-1], axis=1) > 0)
    np.testing.assert_allclose(np.abs(out), np.abs(q))


def test_cube_faces_point_outward_with_counter_clockwise_triangles():
    positions, normals, indices = cube_mesh(2.0)
    assert np.abs(positions).max() == 1.0
    tri = positions[indices].astype(np.float64)
    face = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    centre = tri.mean(axis=1)
    assert np.all(np.sum(face * centre, axis=1) > 0)  # outward, seen from outside CCW
    np.testing.assert_allclose(normals[indices[:, 0]], face / np.linalg.norm(face, axis=1, keepdims=True))
