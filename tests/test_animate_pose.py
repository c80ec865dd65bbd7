"""Posing whole models, compared with the independent reference in _pose_reference.py
(its own parser, accessor decoding, sampling and per-vertex skinning)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from _gltf_builder import GltfBuilder, quad_primitive, skinned_quad, write_gltf
from _pose_reference import ReferenceModel

from holopack.animate.pose import forget_pose_cache, pose_scene, world_matrices
from holopack.errors import InputError
from holopack.scene.gltf import load_gltf

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"

# (model, clips to check (None = rest pose), how many instants per clip)
CASES = [
    (DATA / "Fox" / "Fox.glb", [None, 0, 1, 2], 4),
    (DATA / "SimpleSkin" / "SimpleSkin.gltf", [None, 0], 6),
    (DATA / "MorphStressTest" / "MorphStressTest.gltf", [None, 0, 1, 2], 4),
    (DATA / "BrainStem" / "BrainStem.glb", [None, 0], 3),
    (DATA / "CesiumMan" / "CesiumMan.glb", [None, 0], 4),
    (DATA / "RiggedFigure" / "RiggedFigure.glb", [None, 0], 4),
    # Dance, Death, Wave and Yes all animate morph weights as well as joints
    (TWIN, [None, "Dance", "Death", "Wave", "Yes"], 3),
]


def _instants(scene, animation, count):
    """Times inside the clip plus one before its start and one after its end."""
    if animation is None:
        return [0.0]
    clip = scene.animations[animation]
    inside = np.linspace(clip.start, clip.duration, count + 2)[1:-1]
    return [clip.start - 0.5, *inside.tolist(), clip.duration + 1.0]


@pytest.mark.parametrize("path, clips, count", CASES, ids=lambda v: getattr(v, "stem", None))
def test_posed_positions_match_the_reference(path, clips, count):
    scene = load_gltf(path)
    ref = ReferenceModel(str(path))
    rest = [p.positions for p in pose_scene(scene, None, 0.0)]
    moved_most = 0.0
    for clip in clips:
        index = None if clip is None else scene.animation_index(clip)
        for t in _instants(scene, index, count):
            expected = ref.pose(index, t)
            got = pose_scene(scene, index, t)
            assert len(got) == len(expected) == len(scene.draw_items)
            every = np.concatenate([e[0] for e in expected])
            diagonal = float(np.linalg.norm(every.max(axis=0) - every.min(axis=0)))
            for (ref_positions, ref_normals), posed, rest_positions in zip(expected, got, rest):
                assert posed.positions.dtype == np.float32 and posed.normals.dtype == np.float32
                assert posed.positions.flags.c_contiguous and posed.normals.flags.c_contiguous
                error = np.abs(posed.positions - ref_positions).max()
                assert error <= 1e-4 * diagonal, (clip, t, error / diagonal)
                if ref_normals is not None:
                    np.testing.assert_allclose(posed.normals, ref_normals, atol=2e-3)
                moved_most = max(moved_most, float(np.abs(posed.positions - rest_positions).max()))
    if len(clips) > 1:
        # the comparison is meaningful: the clips move vertices far beyond the tolerance
        assert moved_most > 100 * 1e-4 * diagonal


def test_scene_methods_delegate_to_the_pose():
    scene = load_gltf(DATA / "Fox" / "Fox.glb")
    positions = scene.posed_positions("Walk", 0.3)
    normals = scene.posed_normals("Walk", 0.3)
    posed = pose_scene(scene, 1, 0.3)
    np.testing.assert_array_equal(positions[0], posed[0].positions)
    np.testing.assert_array_equal(normals[0], posed[0].normals)
    bounds = scene.bounds("Walk", [0.0, 0.3, 0.6])
    assert bounds.shape == (2, 3) and np.all(bounds[1] > bounds[0])
    # a fresh array per call: holding on to one pose is safe
    again = scene.posed_positions("Walk", 0.6)
    assert not np.array_equal(positions[0], again[0])
    np.testing.assert_array_equal(positions[0], pose_scene(scene, 1, 0.3)[0].positions)


def test_skinned_mesh_ignores_its_own_node_transform(tmp_path):
    b, prim = quad_primitive()
    prim["attributes"]["JOINTS_0"] = b.add(np.array([[0, 1, 0, 0]] * 4, np.uint8))
    prim["attributes"]["WEIGHTS_0"] = b.add(np.array([[0.75, 0.25, 0, 0]] * 4, np.float32))
    times = b.add(np.array([0.0, 1.0], np.float32))
    moves = b.add(np.array([[0, 0, 0], [0, 4, 0]], np.float32))
    doc = b.document([prim])
    doc["nodes"] = [
        {"mesh": 0, "skin": 0, "translation": [100, 0, 0], "scale": [3, 3, 3]},
        {"translation": [1, 0, 0]},
        {"translation": [0, 0, 2]},
    ]
    doc["scenes"] = [{"nodes": [0, 1, 2]}]
    doc["skins"] = [{"joints": [1, 2]}]  # no inverse bind matrices: identities
    doc["animations"] = [
        {
            "channels": [{"sampler": 0, "target": {"node": 2, "path": "translation"}}],
            "samplers": [{"input": times, "output": moves}],
        }
    ]
    scene = load_gltf(write_gltf(tmp_path / "s.gltf", doc))
    base = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float64)
    for t, lift in [(0.0, 0.0), (0.5, 2.0), (1.0, 4.0)]:
        # the channel replaces joint 2's rest translation (0, 0, 2) entirely
        expected = base + 0.75 * np.array([1, 0, 0]) + 0.25 * np.array([0, lift, 0])
        np.testing.assert_allclose(pose_scene(scene, 0, t)[0].positions, expected, atol=1e-6)


def test_morph_weights_come_from_channel_then_node_then_mesh(tmp_path):
    b = GltfBuilder()
    pos = b.add(np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32))
    up = b.add(np.array([[0, 0, 1]] * 3, np.float32))
    right = b.add(np.array([[1, 0, 0]] * 3, np.float32))
    times = b.add(np.array([0.0, 1.0], np.float32))
    keys = b.add(np.array([0, 0, 1, 2], np.float32))  # 2 keys x 2 targets
    prim = {"attributes": {"POSITION": pos}, "targets": [{"POSITION": up}, {"POSITION": right}]}
    doc = b.document([prim])
    doc["meshes"][0]["weights"] = [0.5, 0.0]
    doc["animations"] = [
        {
            "channels": [{"sampler": 0, "target": {"node": 0, "path": "weights"}}],
            "samplers": [{"input": times, "output": keys}],
        }
    ]
    base = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float64)
    mesh_only = load_gltf(write_gltf(tmp_path / "m.gltf", doc))
    np.testing.assert_allclose(pose_scene(mesh_only, None, 0)[0].positions, base + [0, 0, 0.5])
    with_node = copy.deepcopy(doc)
    with_node["nodes"][0]["weights"] = [0.0, 2.0]
    node_scene = load_gltf(write_gltf(tmp_path / "n.gltf", with_node))
    np.testing.assert_allclose(pose_scene(node_scene, None, 0)[0].positions, base + [2, 0, 0])
    # the channel wins over both
    np.testing.assert_allclose(pose_scene(node_scene, 0, 0.5)[0].positions, base + [1.0, 0, 0.5], atol=1e-6)


def test_node_hierarchy_and_matrix_nodes(tmp_path):
    b, prim = quad_primitive()
    doc = b.document([prim])
    m = np.eye(4)
    m[:3, :3] = [[0, -2, 0], [2, 0, 0], [0, 0, 2]]  # turn 90 degrees about Z, scale 2
    m[:3, 3] = [5, 0, 0]
    doc["nodes"] = [
        {"matrix": m.T.reshape(-1).tolist(), "children": [1]},
        {"translation": [0, 0, 1], "mesh": 0},
    ]
    scene = load_gltf(write_gltf(tmp_path / "h.gltf", doc))
    posed = pose_scene(scene, None, 0.0)[0]
    quad_points = np.array([[0, 0, 1, 1], [1, 0, 1, 1], [1, 1, 1, 1], [0, 1, 1, 1]], float)
    np.testing.assert_allclose(posed.positions, (quad_points @ m.T)[:, :3], atol=1e-6)
    np.testing.assert_allclose(posed.normals, np.tile([0, 0, 1], (4, 1)), atol=1e-6)
    np.testing.assert_allclose(world_matrices(scene, None, 0.0)[1][:3, 3], [5, 0, 2])


def test_normals_use_the_inverse_transpose_under_non_uniform_scale(tmp_path):
    b = GltfBuilder()
    pos = b.add(np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32))
    tilted = np.array([[1, 1, 0]] * 3, np.float32) / np.sqrt(2)
    normal = b.add(tilted.astype(np.float32))
    doc = b.document([{"attributes": {"POSITION": pos, "NORMAL": normal}}])
    doc["nodes"][0]["scale"] = [4, 1, 1]
    posed = pose_scene(load_gltf(write_gltf(tmp_path / "n.gltf", doc)), None, 0)[0]
    expected = np.array([0.25, 1, 0]) / np.linalg.norm([0.25, 1, 0])
    np.testing.assert_allclose(posed.normals, np.tile(expected, (3, 1)), atol=1e-6)


def test_cache_follows_edits_when_told(tmp_path):
    b, prim = quad_primitive()
    scene = load_gltf(write_gltf(tmp_path / "q.gltf", b.document([prim])))
    before = pose_scene(scene, None, 0)[0].positions.copy()
    scene.nodes[0].translation = np.array([0.0, 0.0, 7.0])
    forget_pose_cache(scene)
    np.testing.assert_allclose(pose_scene(scene, None, 0)[0].positions, before + [0, 0, 7])


def test_runaway_transforms_are_an_input_error(tmp_path):
    b, prim = quad_primitive()
    doc = b.document([prim])
    doc["nodes"] = [{"scale": [1e25] * 3, "children": [1]}, {"scale": [1e25] * 3, "mesh": 0}]
    scene = load_gltf(write_gltf(tmp_path / "big.gltf", doc))
    with pytest.raises(InputError, match="infinity"):
        pose_scene(scene, None, 0.0)


def _drawn_share(scene, eye, animation=None, time=0.0) -> float:
    """The share of a 64 x 64 picture that ``scene`` covers, seen from ``eye`` (on Z)
    looking at the origin."""
    from holopack.rendering import render
    from holopack.rendering.camera import look_at, perspective

    picture = render(
        scene,
        look_at(eye, [0, 0, 0]),
        perspective(40, 1.0, 0.1, 100),
        (64, 64),
        animation=animation,
        time=time,
    )
    return float((picture.depth < 1.0).mean())


def test_a_mirrored_one_sided_part_keeps_its_front_face(tmp_path):
    """glTF 3.7.2.1: under a transform with a negative determinant the winding is
    clockwise. A one-sided quad facing +Z, mirrored in X (or animated into a mirror),
    shows from +Z exactly as the unmirrored quad does (it is symmetric about x = 0) and
    is culled from -Z; two negative scales (determinant > 0) change nothing."""
    b = GltfBuilder()
    positions = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float32)
    b.triangle_mesh(positions, np.array([[0, 1, 2], [0, 2, 3]], np.uint16))
    front, back = [0, 0, 5], [0, 0, -5]
    shares = {}
    for name, scale in [("plain", [1, 1, 1]), ("mirrored", [-1, 1, 1]), ("turned", [-1, -1, 1])]:
        doc = b.build()
        doc["nodes"] = [{"mesh": 0, "scale": scale}]
        doc["scenes"] = [{"nodes": [0]}]
        scene = load_gltf(write_gltf(tmp_path / f"{name}.gltf", doc))
        shares[name] = (_drawn_share(scene, front), _drawn_share(scene, back))
    assert shares["plain"][0] > 0.2 and shares["plain"][1] == 0.0
    assert shares["mirrored"] == shares["plain"]
    assert shares["turned"] == shares["plain"]
    # a scale animated through zero into a mirror: the winding follows the determinant
    times = b.add(np.array([0.0, 1.0], np.float32))
    scales = b.add(np.array([[1, 1, 1], [-1, 1, 1]], np.float32))
    doc = b.build()
    doc["nodes"] = [{"mesh": 0}]
    doc["scenes"] = [{"nodes": [0]}]
    doc["animations"] = [
        {
            "channels": [{"sampler": 0, "target": {"node": 0, "path": "scale"}}],
            "samplers": [{"input": times, "output": scales}],
        }
    ]
    scene = load_gltf(write_gltf(tmp_path / "flip.gltf", doc))
    for t in (0.0, 1.0):
        assert (_drawn_share(scene, front, 0, t), _drawn_share(scene, back, 0, t)) == shares["plain"]


def _mirrored_in_x(scene):
    """``scene`` under one new root node of scale (-1, 1, 1): every posed point mirrored."""
    from holopack.scene.types import Node

    scene.nodes.append(Node(name="mirror", children=list(scene.roots), scale=np.array([-1.0, 1.0, 1.0])))
    scene.roots = [len(scene.nodes) - 1]
    forget_pose_cache(scene)
    return scene


def test_a_mirrored_model_is_drawn_as_the_mirror_image_of_the_model():
    """The Duck mirrored in X, seen from the mirrored camera, is the left-right mirror
    image of the Duck (unlit: the lights stay with the camera). Mirrored without the
    winding following the determinant, its outer faces were culled and its inside drawn."""
    from holopack.rendering import render
    from holopack.rendering.camera import look_at, perspective

    size = 96
    eye, target = np.array([1.2, 0.9, 2.2]), np.array([0.0, 0.0, 0.0])
    projection = perspective(40, 1.0, 0.05, 50)
    scene = load_gltf(DATA / "Duck" / "Duck.glb")
    points = np.concatenate([p.positions for p in pose_scene(scene, None, 0.0)])
    center = (points.min(0) + points.max(0)) / 2
    radius = float(np.linalg.norm(points.max(0) - points.min(0)))
    eye, target = center + (eye / np.linalg.norm(eye)) * radius * 1.6, center
    plain = render(scene, look_at(eye, target), projection, (size, size), shading="unlit")
    mirror = np.array([-1.0, 1.0, 1.0])
    mirrored = render(
        _mirrored_in_x(scene),
        look_at(eye * mirror, target * mirror),
        projection,
        (size, size),
        shading="unlit",
    )
    expected = plain.color[:, ::-1]
    drawn = plain.depth[:, ::-1] < 1.0
    assert drawn.mean() > 0.1
    assert np.mean((mirrored.depth < 1.0) != drawn) < 0.005  # the same outline, flipped
    differ = np.abs(mirrored.color.astype(int) - expected.astype(int)).max(axis=2) > 8
    assert differ[drawn].mean() < 0.01  # and the same outside, not the inside


def test_a_skinned_part_under_a_mirrored_rig_keeps_its_front_face(tmp_path):
    """A one-sided quad facing +Z skinned to a rig whose root is mirrored in X: every
    joint matrix mirrors, so its winding turns as a mirrored node's does; mirroring only
    the tip joint (which carries no weight here) leaves the winding alone."""
    front, back = [0, 0, 5], [0, 0, -5]
    shares = {}
    for name, node, scale in [
        ("plain", 0, [1, 1, 1]),
        ("mirrored rig", 0, [-1, 1, 1]),
        ("tip", 1, [-1, 1, 1]),
    ]:
        b = skinned_quad(joints=[[0, 0, 0, 0]] * 4, weights=[[1, 0, 0, 0]] * 4)
        doc = b.build()
        doc["nodes"][node]["scale"] = scale
        scene = load_gltf(write_gltf(tmp_path / f"{name}.gltf", doc))
        shares[name] = (_drawn_share(scene, front), _drawn_share(scene, back))
    assert shares["plain"][0] > 0.2 and shares["plain"][1] == 0.0
    assert shares["mirrored rig"] == shares["plain"]
    assert shares["tip"] == shares["plain"]
