"""Tangents for normal maps: MikkTSpace against the reference implementation, the
TANGENT attribute, vertex splits at mirrored UVs, and tangents through posing.

References shared with no holopack code: tests/data/mikktspace/reference.npz (the
`mikktspace` npm package, a WebAssembly build of the Rust port of mikktspace.c, run by
tests/data/mikktspace/make_reference.py), FlightHelmet's own TANGENT accessors (written
by its authoring tool), pygltflib-decoded accessors, and per-triangle texture
derivatives solved here with plain numpy.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import holopack
from holopack.animate.tangent_transform import skin_tangents
from holopack.scene import tangents as module
from holopack.scene.tangents import mikktspace, tangents_for_gltf
from tests._gltf_builder import GltfBuilder, write_gltf
from tests._pose_reference import ReferenceModel

DATA = Path(__file__).parent / "data"
REFERENCE = np.load(DATA / "mikktspace" / "reference.npz")
HELMET = DATA / "FlightHelmet" / "FlightHelmet.gltf"


@pytest.mark.parametrize("name", [str(n) for n in REFERENCE["names"]])
def test_mikktspace_matches_the_reference_implementation_at_every_corner(name):
    inputs = [REFERENCE[f"{name}_{k}"] for k in ("positions", "normals", "uv", "indices")]
    expected = REFERENCE[f"{name}_tangents"]
    got = mikktspace(*inputs)
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got[..., :3], expected[..., :3], atol=1e-4)
    np.testing.assert_array_equal(got[..., 3], expected[..., 3])


def test_gltf_tangents_negate_mikktspace_sign_and_keep_every_corner_on_its_tangent():
    for name in REFERENCE["names"]:
        positions, normals, uv, indices = (
            REFERENCE[f"{name}_{k}"] for k in ("positions", "normals", "uv", "indices")
        )
        expected = REFERENCE[f"{name}_tangents"]
        tangents, source, new_indices = tangents_for_gltf(positions, normals, uv, indices)
        np.testing.assert_array_equal(source[new_indices], indices)  # same corners, same data
        np.testing.assert_array_equal(source[: len(positions)], np.arange(len(positions)))
        np.testing.assert_allclose(tangents[new_indices][..., :3], expected[..., :3], atol=1e-4)
        np.testing.assert_array_equal(tangents[new_indices][..., 3], -expected[..., 3])


def test_generated_tangents_agree_with_the_tangents_flight_helmet_was_authored_with():
    scene = holopack.load(str(HELMET))
    for prim in scene.meshes[2].primitives + scene.meshes[5].primitives:
        authored = prim.tangents[prim.indices]
        tangents, _, new_indices = tangents_for_gltf(prim.positions, prim.normals, prim.uv[0], prim.indices)
        generated = tangents[new_indices]
        cos = np.einsum("fci,fci->fc", authored[..., :3], generated[..., :3])
        assert np.median(cos) > 0.9999
        assert np.mean(cos > 0.99) > 0.95
        assert np.mean(authored[..., 3] == generated[..., 3]) > 0.999


def test_the_tangent_attribute_is_taken_from_the_file_as_it_is():
    scene = holopack.load(str(HELMET))
    ref = ReferenceModel(str(HELMET))
    for m, mesh in enumerate(ref.gltf.meshes):
        raw = ref.read(mesh.primitives[0].attributes.TANGENT).astype(np.float64)
        got = scene.meshes[m].primitives[0].tangents
        assert got.shape == (len(raw), 4) and got.dtype == np.float32
        np.testing.assert_allclose(
            got[:, :3], raw[:, :3] / np.linalg.norm(raw[:, :3], axis=1)[:, None], atol=1e-6
        )
        np.testing.assert_array_equal(got[:, 3], np.sign(raw[:, 3]))


def test_a_model_without_a_normal_texture_gets_no_tangents():
    scene = holopack.load(str(DATA / "Duck" / "Duck.glb"))
    assert all(p.tangents is None for m in scene.meshes for p in m.primitives)


def _png() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (2, 2), (128, 128, 255)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _mirrored_strip(
    texcoord: int = 0, morph: bool = False, node: dict | None = None, skinned: bool = False
) -> dict:
    """A 4 x 2 grid facing +Z, x in [-2, 2], y in [-1, 1], bent a little in z, whose
    texture is mirrored at x = 0 (u = |x| / 2, v = (1 - y) / 2, glTF's v down), with
    one vertex column shared by both halves; normal-mapped through UV set ``texcoord``
    (the other set is a plain planar map). Colours and a morph target ride along."""
    xs, ys = np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 1, 3))
    zs = 0.1 * xs * ys
    positions = np.stack([xs, ys, zs], -1).reshape(-1, 3).astype(np.float32)
    mirrored = np.stack([np.abs(xs) / 2, (1 - ys) / 2], -1).reshape(-1, 2).astype(np.float32)
    planar = np.stack([(xs + 2) / 4, (1 - ys) / 2], -1).reshape(-1, 2).astype(np.float32)
    indices = []
    for r in range(2):
        for c in range(4):
            a = r * 5 + c
            indices += [[a, a + 1, a + 6], [a, a + 6, a + 5]]
    b = GltfBuilder()
    uv_sets = [mirrored, planar] if texcoord == 0 else [planar, mirrored]
    colours = np.linspace(0, 1, len(positions) * 4).reshape(-1, 4).astype(np.float32)
    prim = {
        "attributes": {
            "POSITION": b.accessor(positions, minmax=True),
            "TEXCOORD_0": b.accessor(uv_sets[0]),
            "TEXCOORD_1": b.accessor(uv_sets[1]),
            "COLOR_0": b.accessor(colours),
        },
        "indices": b.accessor(np.asarray(indices, np.uint16).ravel()),
        "material": 0,
    }
    if skinned:  # to joints 1 and 2 (nodes the caller adds), blended along x
        weights = np.stack([(2 - xs.ravel()) / 4, (xs.ravel() + 2) / 4, 0 * xs.ravel(), 0 * xs.ravel()], 1)
        prim["attributes"]["JOINTS_0"] = b.accessor(np.tile(np.array([0, 1, 0, 0], np.uint16), (15, 1)))
        prim["attributes"]["WEIGHTS_0"] = b.accessor(weights.astype(np.float32))
        ibm = np.tile(np.eye(4, dtype=np.float32), (2, 1, 1)).reshape(2, 16)
        skin = {"joints": [1, 2], "inverseBindMatrices": b.accessor(ibm)}
    if morph:
        delta = np.zeros_like(positions)
        delta[:, 2] = 0.5 * positions[:, 0] ** 2
        prim["targets"] = [{"POSITION": b.accessor(delta, minmax=True)}]
    doc = b.document([prim])
    doc["materials"] = [{"normalTexture": {"index": 0, "texCoord": texcoord}}]
    doc["textures"] = [{"source": 0}]
    doc["images"] = [{"uri": _png()}]
    if node:
        doc["nodes"] = [{"mesh": 0, **node}]
    if skinned:
        doc["skins"] = [skin]
        doc["nodes"] = [{"mesh": 0, "skin": 0}]
    return doc


def _texture_derivatives(positions, uv, indices):
    """(M, 3) dP/du and dP/dv of each triangle, solved from its two edges."""
    p, t = positions[indices].astype(np.float64), uv[indices].astype(np.float64)
    dp = np.stack([p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]], axis=1)  # (M, 2, 3)
    dt = np.stack([t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]], axis=1)  # (M, 2, 2): rows (du, dv)
    solved = np.linalg.solve(dt, dp)  # dp = dt @ [dP/du; dP/dv]
    return solved[:, 0], solved[:, 1]


def _assert_tangents_follow_the_texture(positions, normals, tangents, uv, indices):
    """T along +u; B = w cross(N, T) up the image (towards smaller glTF v); T unit."""
    dpdu, dpdv = _texture_derivatives(positions, uv, indices)
    for corner in range(3):
        v = indices[:, corner]
        t, n, w = tangents[v, :3], normals[v], tangents[v, 3]
        np.testing.assert_allclose(np.linalg.norm(t, axis=1), 1, atol=1e-5)
        assert np.all(np.einsum("ij,ij->i", t, dpdu) > 0)
        bitangent = w[:, None] * np.cross(n, t)
        assert np.all(np.einsum("ij,ij->i", bitangent, -dpdv) > 0)


def test_mirrored_uvs_split_the_seam_and_each_half_gets_its_own_sign(tmp_path):
    doc = _mirrored_strip()
    scene = holopack.load(write_gltf(tmp_path / "strip.gltf", doc))
    prim = scene.meshes[0].primitives[0]
    assert prim.tangents.shape == (len(prim.positions), 4) and prim.tangents.dtype == np.float32
    assert len(prim.positions) == 15 + 3  # the shared column at x = 0, once per half
    left = prim.positions[prim.indices].mean(axis=1)[:, 0] < 0
    w = prim.tangents[prim.indices][..., 3]
    assert np.all(w[left] == -1) and np.all(w[~left] == 1)
    _assert_tangents_follow_the_texture(prim.positions, prim.normals, prim.tangents, prim.uv[0], prim.indices)


def test_split_vertices_carry_every_other_attribute_of_their_corner(tmp_path):
    doc = _mirrored_strip(morph=True)
    scene = holopack.load(write_gltf(tmp_path / "strip.gltf", doc))
    prim = scene.meshes[0].primitives[0]
    ref = ReferenceModel(str(tmp_path / "strip.gltf"))
    spec = ref.gltf.meshes[0].primitives[0]
    original = ref.read(spec.indices).reshape(-1, 3).astype(np.int64)
    attrs = spec.attributes
    for name, ours in (
        ("POSITION", prim.positions),
        ("TEXCOORD_0", prim.uv[0]),
        ("TEXCOORD_1", prim.uv[1]),
        ("COLOR_0", prim.colors),
    ):
        theirs = ref.read(getattr(attrs, name))
        np.testing.assert_array_equal(ours[prim.indices], theirs[original])
    delta = ref.read(spec.targets[0]["POSITION"])
    np.testing.assert_array_equal(prim.morph.positions[0][prim.indices], delta[original])


def test_the_normal_textures_uv_set_is_the_one_tangents_follow(tmp_path):
    scene = holopack.load(write_gltf(tmp_path / "strip.gltf", _mirrored_strip(texcoord=1)))
    prim = scene.meshes[0].primitives[0]
    left = prim.positions[prim.indices].mean(axis=1)[:, 0] < 0
    assert np.all(prim.tangents[prim.indices][left][..., 3] == -1)
    _assert_tangents_follow_the_texture(prim.positions, prim.normals, prim.tangents, prim.uv[1], prim.indices)


@pytest.mark.parametrize(
    "node",
    [
        {"rotation": [0.0, math.sin(0.4), 0.0, math.cos(0.4)], "scale": [2.0, 0.5, 1.0]},
        {"scale": [-1.0, 1.0, 1.0]},  # a mirroring node flips the bitangent sign
        {"scale": [1.0, 3.0, -2.0], "translation": [1.0, 2.0, 3.0]},
    ],
)
def test_posed_tangents_follow_the_texture_in_world_space(tmp_path, node):
    scene = holopack.load(write_gltf(tmp_path / "strip.gltf", _mirrored_strip(node=node)))
    posed = scene.pose(None, 0.0)[0]
    prim = posed.primitive
    assert posed.tangents.shape == (len(prim.positions), 4) and posed.tangents.dtype == np.float32
    flip = np.sign(np.prod(node.get("scale", [1, 1, 1])))
    np.testing.assert_array_equal(posed.tangents[:, 3], prim.tangents[:, 3] * flip)
    # a face's winding flips with a mirroring node; its texture frame is still T, B
    indices = prim.indices if flip > 0 else prim.indices[:, ::-1]
    _assert_tangents_follow_the_texture(posed.positions, posed.normals, posed.tangents, prim.uv[0], indices)


def test_morphed_tangents_follow_the_texture_on_the_morphed_surface(tmp_path):
    doc = _mirrored_strip(morph=True)
    doc["meshes"][0]["weights"] = [1.0]
    scene = holopack.load(write_gltf(tmp_path / "strip.gltf", doc))
    prim = scene.meshes[0].primitives[0]
    # TANGENT deltas that carry the rest tangents onto the morphed surface's (solved
    # here per vertex from the morphed positions' texture derivatives)
    morphed = prim.positions + prim.morph.positions[0]
    dpdu, _ = _texture_derivatives(morphed, prim.uv[0], prim.indices)
    target = np.zeros((len(prim.positions), 3))
    for corner in range(3):
        np.add.at(target, prim.indices[:, corner], dpdu)
    target /= np.linalg.norm(target, axis=1, keepdims=True)
    prim.morph.tangents = (target - prim.tangents[:, :3]).astype(np.float32)[None]
    posed = scene.pose(None, 0.0)[0]
    np.testing.assert_allclose(posed.tangents[:, :3], target, atol=1e-5)
    np.testing.assert_array_equal(posed.tangents[:, 3], prim.tangents[:, 3])


def test_skinned_tangents_match_a_per_vertex_blended_matrix():
    rng = np.random.default_rng(7)
    n, joints_count = 200, 5
    tangents = rng.normal(size=(n, 4)).astype(np.float32)
    tangents[:, :3] /= np.linalg.norm(tangents[:, :3], axis=1, keepdims=True)
    tangents[:, 3] = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    joints = rng.integers(0, joints_count, size=(n, 4)).astype(np.uint16)
    weights = rng.random((n, 4)).astype(np.float32)
    weights[:, 3] = 0.0
    joints[:, 3] = 999  # a zero-weight slot may name a joint the skin lacks
    weights /= weights.sum(axis=1, keepdims=True)
    matrices = np.tile(np.eye(4), (joints_count, 1, 1))
    matrices[:, :3, :3] = rng.normal(size=(joints_count, 3, 3))
    got = skin_tangents(tangents, joints, weights, matrices)
    for i in range(n):
        m = sum(weights[i, k] * matrices[joints[i, k], :3, :3] for k in range(3))
        t = m @ tangents[i, :3].astype(np.float64)
        np.testing.assert_allclose(got[i, :3], t / np.linalg.norm(t), atol=1e-5)
        assert got[i, 3] == tangents[i, 3] * (1 if np.linalg.det(m) > 0 else -1)


def test_skinned_tangents_stay_perpendicular_to_skinned_normals(tmp_path):
    # the strip skinned to two joints, one turned, one stretched and turned: tangents
    # go through numpy (tangent_transform.py), normals through the Numba skin kernel
    doc = _mirrored_strip(skinned=True)
    doc["nodes"] += [
        {"rotation": [0.0, 0.0, math.sin(0.3), math.cos(0.3)]},
        {"scale": [1.5, 0.7, 1.2], "rotation": [math.sin(0.5), 0.0, 0.0, math.cos(0.5)]},
    ]
    doc["scenes"] = [{"nodes": [0, 1, 2]}]
    scene = holopack.load(write_gltf(tmp_path / "skinned.gltf", doc))
    posed = scene.pose(None, 0.0)[0]
    rest = posed.primitive
    assert np.all(np.abs(np.einsum("ij,ij->i", rest.tangents[:, :3], rest.normals)) < 1e-5)
    assert np.all(np.abs(np.einsum("ij,ij->i", posed.tangents[:, :3], posed.normals)) < 1e-4)
    np.testing.assert_allclose(np.linalg.norm(posed.tangents[:, :3], axis=1), 1, atol=1e-5)


@pytest.mark.parametrize("name", ["bumpy_grid", "duck"])
def test_grouping_as_components_equals_the_c_codes_walk(name):
    # meshes without zero-UV-area triangles take the vectorised grouping; the stored
    # reference covers it, and here it must partition corners as the walk does
    positions, normals, uv, indices = (
        REFERENCE[f"{name}_{k}"] for k in ("positions", "normals", "uv", "indices")
    )
    weld = module._weld(positions, normals, uv)
    tri = weld[indices.astype(np.int64)]
    p = positions[indices]
    t21, t31 = uv[indices][:, 1] - uv[indices][:, 0], uv[indices][:, 2] - uv[indices][:, 0]
    assert not np.any(np.all(p[:, 0] == p[:, 1], axis=1) | np.all(p[:, 1] == p[:, 2], axis=1))
    orient = t21[:, 0] * t31[:, 1] - t21[:, 1] * t31[:, 0] > 0
    neighbour = module._neighbours(tri)
    walk, walk_orient, _ = module._build_groups(tri, neighbour, orient.copy(), np.zeros(len(tri), bool))
    fast, fast_orient = module._connected_groups(tri, neighbour, orient)
    # the same partition: a one-to-one map between the two numberings
    pairs = np.unique(np.stack([walk.ravel(), fast.ravel()], 1), axis=0)
    assert len(pairs) == len(np.unique(walk)) == len(np.unique(fast))
    np.testing.assert_array_equal(walk_orient[pairs[:, 0]], fast_orient[pairs[:, 1]])


def test_a_tangent_attribute_with_zero_vectors_is_reported_and_regenerated(tmp_path):
    doc = _mirrored_strip()
    b = GltfBuilder()
    b.blob = bytearray(base64.b64decode(doc["buffers"][0]["uri"].split(",", 1)[1]))
    b.doc["bufferViews"], b.doc["accessors"] = doc["bufferViews"], doc["accessors"]
    tangents = np.tile(np.array([1.0, 0.0, 0.0, 1.0], np.float32), (15, 1))
    tangents[4] = 0.0
    doc["meshes"][0]["primitives"][0]["attributes"]["TANGENT"] = b.accessor(tangents)
    doc["buffers"] = b.build()["buffers"]
    scene = holopack.load(write_gltf(tmp_path / "strip.gltf", doc))
    prim = scene.meshes[0].primitives[0]
    assert any("TANGENT" in w for w in scene.warnings)
    left = prim.positions[prim.indices].mean(axis=1)[:, 0] < 0
    assert np.all(prim.tangents[prim.indices][left][..., 3] == -1)  # generated, not read


def test_a_normal_texture_on_a_missing_uv_set_is_reported_and_gets_no_tangents(tmp_path):
    doc = _mirrored_strip()
    doc["materials"][0]["normalTexture"]["texCoord"] = 5
    scene = holopack.load(write_gltf(tmp_path / "strip.gltf", doc))
    assert scene.meshes[0].primitives[0].tangents is None
    assert any("TEXCOORD_5" in w for w in scene.warnings)


def test_the_texture_transforms_uv_set_overrides_the_normal_textures():
    material = {
        "normalTexture": {"index": 0, "texCoord": 0, "extensions": {"KHR_texture_transform": {"texCoord": 1}}}
    }
    assert module.normal_texture_texcoord(material) == 1
    assert module.normal_texture_texcoord({"normalTexture": {"index": 0}}) == 0
    assert module.normal_texture_texcoord({"pbrMetallicRoughness": {}}) is None
    assert module.normal_texture_texcoord({"normalTexture": {"index": 0, "texCoord": -1}}) is None


def test_members_whose_derivatives_point_exactly_apart_get_separate_sub_groups():
    # mikktspace.c's GenerateTSpaces: around one vertex, a corner's space averages only
    # the members whose projected derivatives are not exactly opposite to its own.
    # Three triangles fan around vertex 0 (normal +Z); the third's vOs is exactly -X.
    angle = np.radians([40.0, 50.0, 60.0])
    edges = np.concatenate([[0.0], np.cumsum(angle)])
    positions = np.zeros((5, 3))
    positions[1:, 0], positions[1:, 1] = np.cos(edges), np.sin(edges)
    normals = np.tile([0.0, 0.0, 1.0], (5, 1))
    tri = np.array([[0, 1, 2], [0, 2, 3], [0, 3, 4]])
    group = np.array([[0, -1, -1], [0, -1, -1], [0, -1, -1]])
    vos = np.array([[1.0, 0.0, 0.0], [math.cos(0.1), math.sin(0.1), 0.0], [-1.0, 0.0, 0.0]])
    vot = np.tile([0.0, 1.0, 0.0], (3, 1))
    got = module._group_tangents(tri, group, np.zeros(3, bool), vos, vot, positions, normals)[:, 0]

    def mean(members):
        total = sum(angle[m] * vos[m] for m in members)
        return total / np.linalg.norm(total)

    np.testing.assert_allclose(got[0], mean([0, 1]), atol=1e-12)
    np.testing.assert_allclose(got[1], mean([0, 1, 2]), atol=1e-12)
    np.testing.assert_allclose(got[2], mean([1, 2]), atol=1e-12)
