"""The glTF/GLB reader: what it reads, checked against independent decoding, and
how it refuses broken files (always InputError, never another exception)."""

from __future__ import annotations

import copy
import json
import random
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from _gltf_builder import GltfBuilder, quad_primitive, to_glb, write_gltf
from _pose_reference import ReferenceModel

from holopack.errors import InputError
from holopack.scene.gltf import load_gltf
from holopack.scene.load import load

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"
CORPUS = DATA / "gltf-validator-corpus"
MODELS = [
    DATA / "Duck" / "Duck.glb",
    DATA / "FlightHelmet" / "FlightHelmet.gltf",
    DATA / "BrainStem" / "BrainStem.glb",
    DATA / "CesiumMan" / "CesiumMan.glb",
    DATA / "Fox" / "Fox.glb",
    DATA / "RiggedFigure" / "RiggedFigure.glb",
    DATA / "SimpleSkin" / "SimpleSkin.gltf",
    DATA / "MorphStressTest" / "MorphStressTest.gltf",
    TWIN,
]


def _expect_input_error(path, *words):
    with pytest.raises(InputError) as caught:
        load_gltf(path)
    text = str(caught.value)
    assert text.startswith(str(path)), text
    for word in words:
        assert word in text, text
    return text


# -- real models ----------------------------------------------------------------------
@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_models_decode_like_an_independent_reader(path):
    scene = load(path)
    ref = ReferenceModel(str(path))
    order = ref.draw_order()
    assert [(d.node, d.mesh, d.primitive) for d in scene.draw_items] == order
    for item in scene.draw_items:
        prim = scene.primitive(item)
        spec = ref.gltf.meshes[item.mesh].primitives[item.primitive]
        np.testing.assert_array_equal(prim.positions, ref.read(spec.attributes.POSITION))
        if spec.indices is not None:
            flat = ref.read(spec.indices)[:, 0].astype(np.int64)
            np.testing.assert_array_equal(prim.indices.reshape(-1), flat)
        if spec.attributes.TEXCOORD_0 is not None:
            np.testing.assert_allclose(prim.uv[0], ref.read(spec.attributes.TEXCOORD_0), atol=1e-7)
        assert prim.positions.dtype == np.float32 and prim.positions.flags.c_contiguous
        assert prim.indices.dtype == np.int32 and prim.indices.shape[1] == 3
        assert prim.normals.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(prim.normals, axis=1), 1.0, atol=1e-5)
        assert 0 <= prim.material < len(scene.materials)
        if prim.weights is not None:
            assert prim.joints.dtype == np.uint16
            np.testing.assert_allclose(prim.weights.sum(axis=1), 1.0, atol=1e-6)
    for skin_index, skin in enumerate(scene.skins):
        spec = ref.gltf.skins[skin_index]
        assert list(skin.joints) == list(spec.joints)
        if spec.inverseBindMatrices is not None:
            ibm = ref.read(spec.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
            np.testing.assert_allclose(skin.inverse_bind, ibm, atol=1e-7)
    assert len(scene.animations) == len(ref.gltf.animations or [])


def test_model_details():
    duck = load_gltf(DATA / "Duck" / "Duck.glb")
    assert len(duck.textures) == 1
    tex = duck.textures[0]
    assert tex.pixels.dtype == np.uint8 and tex.pixels.ndim == 3 and tex.pixels.shape[2] == 4
    assert duck.materials[duck.primitive(duck.draw_items[0]).material].base_color_texture == 0

    helmet = load_gltf(DATA / "FlightHelmet" / "FlightHelmet.gltf")  # external .bin and PNGs
    assert len(helmet.draw_items) == 6
    drawn = [helmet.materials[helmet.primitive(d).material] for d in helmet.draw_items]
    used = {m.base_color_texture for m in drawn}
    assert None not in used and len(used) == 5  # five materials, one base colour map each
    # each also has its own metallic-roughness (shared with occlusion) and normal map:
    # every decoded texture is one of these, none twice
    maps = {m.metallic_roughness_texture for m in drawn} | {m.normal_texture for m in drawn}
    assert {m.occlusion_texture for m in drawn} <= maps and None not in maps and not maps & used
    assert len(used | maps) == len(helmet.textures)

    fox = load_gltf(DATA / "Fox" / "Fox.glb")
    assert [a.name for a in fox.animations] == ["Survey", "Walk", "Run"]
    morph = load_gltf(DATA / "MorphStressTest" / "MorphStressTest.gltf")
    targets = morph.primitive(morph.draw_items[0]).morph
    assert targets.positions.shape[0] == 8 and targets.positions.dtype == np.float32
    assert targets.normals is not None
    brain = load_gltf(DATA / "BrainStem" / "BrainStem.glb")
    assert len(brain.draw_items) == 59
    robot = load_gltf(TWIN)
    names = [a.name for a in robot.animations]
    assert "Dance" in names and "Wave" in names
    assert any(c.path == "weights" for a in robot.animations for c in a.channels)
    cesium = load_gltf(DATA / "CesiumMan" / "CesiumMan.glb")
    assert cesium.animations[0].start > 0  # its keys start after 0 s


def test_robot_skin_weights_are_normalised_like_threejs():
    robot = load_gltf(TWIN)
    ref = ReferenceModel(str(TWIN))
    skinned = [d for d in robot.draw_items if d.skin is not None]
    assert skinned
    raw_sums = []
    for item in skinned:
        prim = robot.primitive(item)
        spec = ref.gltf.meshes[item.mesh].primitives[item.primitive]
        raw = ref.read(spec.attributes.WEIGHTS_0)
        raw_sums.append(raw.sum(axis=1))
        expected = raw / raw.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(prim.weights, expected, atol=1e-6)
        np.testing.assert_allclose(prim.weights.sum(axis=1), 1.0, atol=1e-6)
    # the file's own sums are not all exactly 1: the normalisation did something
    assert max(np.abs(s - 1).max() for s in raw_sums) > 1e-7


# -- synthetic files: what is decoded -------------------------------------------------
def test_quad_with_computed_normals_and_default_material(tmp_path):
    b, prim = quad_primitive()
    scene = load_gltf(write_gltf(tmp_path / "q.gltf", b.document([prim])))
    p = scene.primitive(scene.draw_items[0])
    np.testing.assert_allclose(p.normals, np.tile([0, 0, 1], (4, 1)), atol=1e-6)
    assert scene.materials[p.material].name == "default"
    assert p.indices.tolist() == [[0, 1, 2], [0, 2, 3]]


def test_no_indices_means_sequential_triangles(tmp_path):
    b = GltfBuilder()
    pos = b.add(np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 1]], np.float32))
    scene = load_gltf(write_gltf(tmp_path / "s.gltf", b.document([{"attributes": {"POSITION": pos}}])))
    assert scene.primitive(scene.draw_items[0]).indices.tolist() == [[0, 1, 2], [3, 4, 5]]


@pytest.mark.parametrize("mode", [5, 6])
def test_strips_and_fans_become_front_facing_triangles(tmp_path, mode):
    b = GltfBuilder()
    if mode == 5:  # a strip zig-zagging along +X in the XY plane
        pts = [[0, 1, 0], [0, 0, 0], [1, 1, 0], [1, 0, 0], [2, 1, 0], [2, 0, 0]]
    else:  # a fan around the origin, counter-clockwise seen from +Z
        pts = [[0, 0, 0]] + [[np.cos(a), np.sin(a), 0] for a in np.linspace(0, 2, 5)]
    pos = b.add(np.array(pts, np.float32))
    scene = load_gltf(
        write_gltf(tmp_path / "m.gltf", b.document([{"attributes": {"POSITION": pos}, "mode": mode}]))
    )
    prim = scene.primitive(scene.draw_items[0])
    assert len(prim.indices) == len(pts) - 2
    p = prim.positions[prim.indices]
    face_normals = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    assert np.all(face_normals[:, 2] > 0)  # every triangle faces +Z: winding kept


def test_lines_are_skipped_with_a_warning(tmp_path):
    b, prim = quad_primitive()
    lines = dict(prim, mode=1)
    scene = load_gltf(write_gltf(tmp_path / "l.gltf", b.document([lines, prim])))
    assert len(scene.draw_items) == 1
    assert any("LINES" in w for w in scene.warnings)
    _expect_input_error(
        write_gltf(tmp_path / "only.gltf", b.document([lines])), "nothing a fan can show", "LINES"
    )


def test_normalized_integers_follow_the_spec_formula(tmp_path):
    b, prim = quad_primitive()
    uv = np.array([[0, 0], [255, 0], [255, 255], [128, 1]], np.uint8)
    normals = np.array([[0, 0, 127], [0, 0, 127], [0, -128, 127], [0, 0, 127]], np.int8)
    colors = np.array([[65535, 0, 32768]] * 4, np.uint16)
    prim["attributes"]["TEXCOORD_0"] = b.add(uv, normalized=True)
    prim["attributes"]["NORMAL"] = b.add(normals, normalized=True)
    prim["attributes"]["COLOR_0"] = b.add(colors, normalized=True)
    short_uv = np.array([[-32767, 32767], [0, -32768], [1, 2], [3, 4]], np.int16)
    prim["attributes"]["TEXCOORD_1"] = b.add(short_uv, normalized=True)
    scene = load_gltf(write_gltf(tmp_path / "n.gltf", b.document([prim])))
    p = scene.primitive(scene.draw_items[0])
    np.testing.assert_allclose(p.uv[0], uv / 255.0, atol=1e-7)
    np.testing.assert_allclose(p.uv[1], np.maximum(short_uv / 32767.0, -1.0), atol=1e-7)
    n = np.maximum(normals / 127.0, -1.0)
    np.testing.assert_allclose(p.normals, n / np.linalg.norm(n, axis=1, keepdims=True), atol=1e-6)
    np.testing.assert_allclose(p.colors, [[1.0, 0.0, 32768 / 65535, 1.0]] * 4, atol=1e-7)


def test_interleaved_stride_and_sparse_substitution(tmp_path):
    b = GltfBuilder()
    # interleaved: position (12 bytes) + 4 bytes of something else per vertex
    pts = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32)
    record = np.zeros(4, dtype=[("p", "<f4", 3), ("pad", "<u4")])
    record["p"] = pts
    record["pad"] = 0xFFFFFFFF
    b.blob += record.tobytes()
    b.views.append({"buffer": 0, "byteOffset": 0, "byteLength": record.nbytes, "byteStride": 16})
    b.accessors.append(
        {
            "bufferView": 0,
            "componentType": 5126,
            "count": 4,
            "type": "VEC3",
            "min": [0, 0, 0],
            "max": [1, 1, 0],
        }
    )
    idx = b.add(np.array([0, 1, 2, 0, 2, 3], np.uint32))
    # a morph target given only sparsely: vertex 2 moves up by 0.5
    sparse_idx = b.add(np.array([2], np.uint16))
    sparse_val = b.add(np.array([[0, 0, 0.5]], np.float32))
    index_view = b.accessors[sparse_idx]["bufferView"]
    value_view = b.accessors[sparse_val]["bufferView"]
    b.accessors.append(
        {
            "componentType": 5126,
            "count": 4,
            "type": "VEC3",
            "sparse": {
                "count": 1,
                "indices": {"bufferView": index_view, "componentType": 5123},
                "values": {"bufferView": value_view},
            },
        }
    )
    target = len(b.accessors) - 1
    prim = {"attributes": {"POSITION": 0}, "indices": idx, "targets": [{"POSITION": target}]}
    doc = b.document([prim])
    doc["meshes"][0]["weights"] = [0.25]
    scene = load_gltf(write_gltf(tmp_path / "i.gltf", doc))
    p = scene.primitive(scene.draw_items[0])
    np.testing.assert_array_equal(p.positions, pts)
    expected = np.zeros((1, 4, 3), np.float32)
    expected[0, 2, 2] = 0.5
    np.testing.assert_array_equal(p.morph.positions, expected)
    np.testing.assert_array_equal(p.morph.default_weights, [0.25])
    # the same file as a GLB with its buffer in the BIN chunk reads the same
    glb = tmp_path / "i.glb"
    glb.write_bytes(to_glb(b, doc))
    again = load_gltf(glb).primitive(load_gltf(glb).draw_items[0])
    np.testing.assert_array_equal(again.morph.positions, expected)


def test_matrix_nodes_are_decomposed_and_kept(tmp_path):
    b, prim = quad_primitive()
    angle = 0.7
    m = np.eye(4)
    m[:3, :3] = np.array(
        [[np.cos(angle), 0, np.sin(angle)], [0, 1, 0], [-np.sin(angle), 0, np.cos(angle)]]
    ) @ np.diag([2.0, -3.0, 0.5])
    m[:3, 3] = [1, 2, 3]
    doc = b.document([prim])
    doc["nodes"] = [{"mesh": 0, "matrix": m.T.reshape(-1).tolist()}]
    node = load_gltf(write_gltf(tmp_path / "m.gltf", doc)).nodes[0]
    np.testing.assert_allclose(node.matrix, m)
    x, y, z, w = node.rotation
    r = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    np.testing.assert_allclose(r @ np.diag(node.scale), m[:3, :3], atol=1e-12)
    np.testing.assert_allclose(node.translation, [1, 2, 3])


def test_materials_and_textures(tmp_path):
    from PIL import Image

    Image.new("RGB", (3, 2), (10, 20, 30)).save(tmp_path / "red.png")
    b, prim = quad_primitive()
    uv = b.add(np.zeros((4, 2), np.float32))
    prim["attributes"]["TEXCOORD_0"] = uv
    prim["material"] = 0
    doc = b.document([prim])
    doc["materials"] = [
        {
            "pbrMetallicRoughness": {
                "baseColorFactor": [0.5, 0.25, 1, 0.75],
                "baseColorTexture": {"index": 0, "texCoord": 0},
                "metallicFactor": 0.1,
                "roughnessFactor": 0.2,
            },
            "emissiveFactor": [1, 0, 0],
            "emissiveTexture": {"index": 1},
            "alphaMode": "MASK",
            "alphaCutoff": 0.3,
            "doubleSided": True,
            "extensions": {"KHR_materials_unlit": {}},
        }
    ]
    doc["textures"] = [{"source": 0, "sampler": 0}, {"source": 1}]
    doc["samplers"] = [{"wrapS": 33071, "wrapT": 33648}]
    doc["images"] = [{"uri": "red.png"}, {"uri": "red.png"}]
    scene = load_gltf(write_gltf(tmp_path / "t.gltf", doc))
    mat = scene.materials[0]
    np.testing.assert_allclose(mat.base_color_factor, [0.5, 0.25, 1, 0.75])
    assert (mat.metallic_factor, mat.roughness_factor) == pytest.approx((0.1, 0.2))
    assert mat.alpha_mode == "MASK" and mat.alpha_cutoff == pytest.approx(0.3)
    assert mat.double_sided and mat.unlit
    tex = scene.textures[mat.base_color_texture]
    assert tex.pixels.shape == (2, 3, 4) and tex.pixels[0, 0].tolist() == [10, 20, 30, 255]
    assert (tex.wrap_s, tex.wrap_t) == (33071, 33648)
    assert mat.emissive_texture is not None
    # a texture the material needs but cannot have would change the picture: refused
    doc["images"][1] = {"uri": "missing.png"}
    _expect_input_error(write_gltf(tmp_path / "m.gltf", doc), "missing.png")
    (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    doc["images"][1] = {"uri": "junk.png"}
    _expect_input_error(write_gltf(tmp_path / "j.gltf", doc), "junk.png")
    doc["materials"][0]["emissiveTexture"] = {"index": 5}
    _expect_input_error(write_gltf(tmp_path / "d.gltf", doc), "texture 5")


def test_zero_weights_bind_to_the_first_joint_with_one_warning(tmp_path):
    b, prim = quad_primitive()
    prim["attributes"]["JOINTS_0"] = b.add(np.array([[1, 0, 0, 0]] * 4, np.uint8))
    prim["attributes"]["WEIGHTS_0"] = b.add(
        np.array([[0, 0, 0, 0], [0, 0, 0, 0], [2, 2, 0, 0], [0.5, 0, 0, 0]], np.float32)
    )
    ibm = b.add(np.tile(np.eye(4, dtype=np.float32), (2, 1, 1)).reshape(2, 16), type_name="MAT4")
    doc = b.document([prim])
    doc["nodes"] = [{"mesh": 0, "skin": 0}, {}, {}]
    doc["scenes"] = [{"nodes": [0, 1, 2]}]
    doc["skins"] = [{"joints": [1, 2], "inverseBindMatrices": ibm}]
    scene = load_gltf(write_gltf(tmp_path / "w.gltf", doc))
    p = scene.primitive(scene.draw_items[0])
    np.testing.assert_allclose(p.weights, [[1, 0, 0, 0], [1, 0, 0, 0], [0.5, 0.5, 0, 0], [1, 0, 0, 0]])
    assert p.joints[0, 0] == 1
    fixed = [w for w in scene.warnings if "first joint" in w]
    assert len(fixed) == 1 and "2 vertices" in fixed[0]


# -- broken files ---------------------------------------------------------------------
def _doc_with(tmp_path, name, mutate):
    b, prim = quad_primitive()
    doc = b.document([prim])
    mutate(doc, b)
    return write_gltf(tmp_path / name, doc)


@pytest.mark.parametrize(
    "name, mutate, words",
    [
        ("index_oob", None, ["index 7", "vertex count 3"]),
        ("nan", None, ["NaN"]),
        ("accessor_past_view", lambda d, b: d["accessors"][0].update(count=5), ["past the end"]),
        ("view_past_buffer", lambda d, b: d["bufferViews"][0].update(byteLength=4000), ["past the end"]),
        ("missing_node", lambda d, b: d["scenes"][0].update(nodes=[3]), ["node 3"]),
        ("missing_mesh", lambda d, b: d["nodes"][0].update(mesh=2), ["mesh 2"]),
        ("missing_accessor", lambda d, b: d["meshes"][0]["primitives"][0].update(indices=9), ["accessor 9"]),
        ("cycle", lambda d, b: d.update(nodes=[{"mesh": 0, "children": [1]}, {"children": [0]}]), ["cycle"]),
        ("no_mesh", lambda d, b: d.update(nodes=[{}]), ["no mesh"]),
        (
            "zero_faces",
            lambda d, b: d["accessors"][1].update(count=2) or d["bufferViews"][1].update(byteLength=4),
            ["no faces"],
        ),
        ("version", lambda d, b: d["asset"].update(version="1.0"), ["version 1.0"]),
        ("missing_bin", lambda d, b: d["buffers"][0].update(uri="gone.bin"), ["gone.bin", "missing"]),
        ("bad_base64", lambda d, b: d["buffers"][0].update(uri="data:;base64,@@@"), ["base64"]),
        ("wrong_type", lambda d, b: d.update(nodes={"a": 1}), ["should be a list"]),
    ],
)
def test_broken_json_files_raise_input_error(tmp_path, name, mutate, words):
    if name == "index_oob":
        b = GltfBuilder()
        pos = b.add(np.zeros((3, 3), np.float32) + np.eye(3, dtype=np.float32))
        idx = b.add(np.array([0, 1, 7], np.uint16))
        path = write_gltf(
            tmp_path / "oob.gltf", b.document([{"attributes": {"POSITION": pos}, "indices": idx}])
        )
        _expect_input_error(path, *words)
        return
    if name == "nan":
        b = GltfBuilder()
        pos = b.add(np.array([[0, 0, 0], [1, 0, 0], [np.nan, 1, 0]], np.float32))
        path = write_gltf(tmp_path / "nan.gltf", b.document([{"attributes": {"POSITION": pos}}]))
        _expect_input_error(path, *words)
        return
    _expect_input_error(_doc_with(tmp_path, name + ".gltf", mutate), *words)


def test_invalid_json_names_the_place(tmp_path):
    path = tmp_path / "bad.gltf"
    path.write_text('{"asset": {"version": "2.0"},\n "nodes": [}')
    _expect_input_error(path, "invalid JSON", "line 2")


def _skinned_animated(b: GltfBuilder, prim: dict) -> dict:
    prim["attributes"]["JOINTS_0"] = b.add(np.array([[0, 0, 0, 0]] * 4, np.uint8))
    prim["attributes"]["WEIGHTS_0"] = b.add(np.array([[1, 0, 0, 0]] * 4, np.float32))
    times = b.add(np.array([0, 1, 2], np.float32))
    values = b.add(np.array([[0, 0, 0, 1]] * 3, np.float32))
    doc = b.document([prim])
    doc["nodes"] = [{"mesh": 0, "skin": 0}, {}]
    doc["scenes"] = [{"nodes": [0, 1]}]
    doc["skins"] = [{"joints": [1]}]
    doc["animations"] = [
        {
            "channels": [{"sampler": 0, "target": {"node": 1, "path": "rotation"}}],
            "samplers": [{"input": times, "output": values}],
        }
    ]
    return doc


def test_animation_and_skin_faults(tmp_path):
    b, prim = quad_primitive()
    good = _skinned_animated(b, prim)
    scene = load_gltf(write_gltf(tmp_path / "good.gltf", good))
    assert len(scene.animations[0].channels) == 1 and scene.draw_items[0].skin == 0

    b2, prim2 = quad_primitive()
    doc2 = _skinned_animated(b2, prim2)
    joints_view = doc2["accessors"][prim2["attributes"]["JOINTS_0"]]["bufferView"]
    _patch_blob(b2, joints_view, bytes([3, 0, 0, 0] * 4))
    doc2["buffers"] = b2.document([prim2])["buffers"]
    _expect_input_error(write_gltf(tmp_path / "joint.gltf", doc2), "joint index 3")

    for name, mutate, words in [
        (
            "times",
            lambda d: d["accessors"][d["animations"][0]["samplers"][0]["input"]].update(count=2),
            ["key"],
        ),
        ("sampler", lambda d: d["animations"][0]["channels"][0].update(sampler=4), ["sampler 4"]),
        ("target", lambda d: d["animations"][0]["channels"][0]["target"].update(node=8), ["node 8"]),
        ("interp", lambda d: d["animations"][0]["samplers"][0].update(interpolation="BEZIER"), ["BEZIER"]),
        ("skin", lambda d: d["skins"][0].update(joints=[7]), ["joint node 7"]),
    ]:
        doc = copy.deepcopy(good)
        mutate(doc)
        _expect_input_error(write_gltf(tmp_path / f"{name}.gltf", doc), *words)


def _patch_blob(builder: GltfBuilder, view: int, data: bytes) -> GltfBuilder:
    start = builder.views[view]["byteOffset"]
    builder.blob[start : start + len(data)] = data
    return builder


def test_non_increasing_key_times(tmp_path):
    b, prim = quad_primitive()
    doc = _skinned_animated(b, prim)
    times_view = doc["accessors"][doc["animations"][0]["samplers"][0]["input"]]["bufferView"]
    _patch_blob(b, times_view, np.array([0, 1, 1], np.float32).tobytes())
    doc["buffers"] = b.document([prim])["buffers"]
    _expect_input_error(write_gltf(tmp_path / "t.gltf", doc), "do not increase")


def test_broken_glb_containers(tmp_path):
    b, prim = quad_primitive()
    doc = b.document([prim])
    good = to_glb(b, doc)
    (tmp_path / "good.glb").write_bytes(good)
    assert len(load_gltf(tmp_path / "good.glb").draw_items) == 1
    cases = {
        "magic.glb": (b"gLTF" + good[4:], ["not a GLB"]),
        "version.glb": (good[:4] + struct.pack("<I", 1) + good[8:], ["version 1"]),
        "short.glb": (good[:9], ["truncated"]),
        "length.glb": (good[:8] + struct.pack("<I", len(good) + 8) + good[12:], ["truncated"]),
        "chunk.glb": (good[:12] + struct.pack("<I", 10**6) + good[16:], ["chunk"]),
        "cut.glb": (good[:-5], ["truncated"]),
        "json.glb": (
            struct.pack("<4sII", b"glTF", 2, 28) + struct.pack("<II", 8, 0x4E4F534A) + b'{"a": ]}',
            ["invalid JSON"],
        ),
    }
    for name, (data, words) in cases.items():
        (tmp_path / name).write_bytes(data)
        _expect_input_error(tmp_path / name, *words)


def test_every_truncation_of_a_real_glb_is_an_input_error(tmp_path):
    data = (DATA / "SimpleSkin" / "SimpleSkin.gltf").read_bytes()
    duck = (DATA / "Duck" / "Duck.glb").read_bytes()
    cuts = sorted(set(np.linspace(0, len(duck) - 1, 60).astype(int).tolist()))
    for n in cuts:
        path = tmp_path / "cut.glb"
        path.write_bytes(duck[:n])
        with pytest.raises(InputError):
            load_gltf(path)
    for n in range(0, len(data), max(1, len(data) // 40)):
        path = tmp_path / "cut.gltf"
        path.write_bytes(data[:n])
        with pytest.raises(InputError):
            load_gltf(path)


def test_random_corruption_never_escapes_as_another_exception(tmp_path):
    rng = random.Random(1234)
    duck = bytearray((DATA / "Duck" / "Duck.glb").read_bytes())
    json_length = struct.unpack_from("<I", duck, 12)[0]
    text = (DATA / "SimpleSkin" / "SimpleSkin.gltf").read_text()
    doc = json.loads(text)
    outcomes = {"loaded": 0, "refused": 0}
    for trial in range(150):
        if trial % 3 == 0:  # flip bytes in the JSON chunk or the binary chunk of a GLB
            data = bytearray(duck)
            for _ in range(rng.randint(1, 8)):
                pos = rng.randrange(20, 20 + json_length) if rng.random() < 0.7 else rng.randrange(len(data))
                data[pos] = rng.randrange(256)
            path = tmp_path / "x.glb"
            path.write_bytes(bytes(data))
        else:  # replace a random JSON value with a value of another kind
            d = copy.deepcopy(doc)
            _mutate_json(d, rng)
            path = tmp_path / "x.gltf"
            path.write_text(json.dumps(d))
        try:
            load_gltf(path)
            outcomes["loaded"] += 1
        except InputError as exc:
            assert str(exc).startswith(str(path))
            outcomes["refused"] += 1
    assert outcomes["refused"] > 10 and outcomes["loaded"] > 0


def _mutate_json(node, rng):
    """Replace one randomly chosen value somewhere in the tree."""
    path = []
    current = node
    while isinstance(current, (dict, list)) and current:
        keys = list(current.keys()) if isinstance(current, dict) else list(range(len(current)))
        key = rng.choice(keys)
        path.append((current, key))
        if rng.random() < 0.3:
            break
        current = current[key]
    if not path:
        return
    container, key = path[-1]
    container[key] = rng.choice([None, -1, 10**9, 0.5, "x", [], {}, True, [1, 2], {"a": 1}, float("1e308")])


def test_whole_validator_corpus_loads_or_raises_input_error():
    index = json.loads((CORPUS / "index.json").read_text())
    loaded = refused = 0
    for entry in index:
        path = CORPUS / entry["file"]
        try:
            scene = load_gltf(path)
        except InputError as exc:
            assert str(exc).startswith(str(path))
            refused += 1
            continue
        loaded += 1
        # files the validator faults load only when the fault cannot change the picture,
        # and then the user hears about it
        if entry["errors"]:
            assert scene.warnings, entry
        for item in scene.draw_items:
            prim = scene.primitive(item)
            assert np.all(np.isfinite(prim.positions))
            assert prim.indices.size and prim.indices.max() < len(prim.positions)
    assert loaded + refused == len(index) and loaded > 0


def test_missing_texture_or_bin_in_a_copied_model(tmp_path):
    folder = tmp_path / "helmet"
    shutil.copytree(DATA / "FlightHelmet", folder)
    doc = json.loads((folder / "FlightHelmet.gltf").read_text())
    base_texture = doc["materials"][0]["pbrMetallicRoughness"]["baseColorTexture"]["index"]
    victim = doc["images"][doc["textures"][base_texture]["source"]]["uri"]
    (folder / victim).unlink()
    _expect_input_error(folder / "FlightHelmet.gltf", victim, "missing")
    bins = [b["uri"] for b in doc["buffers"]]
    (folder / bins[0]).unlink()
    _expect_input_error(folder / "FlightHelmet.gltf", bins[0], "missing")


def test_specular_glossiness_materials_show_their_diffuse_colour(tmp_path):
    b, prim = quad_primitive()
    prim["material"] = 0
    doc = b.document([prim])
    doc["materials"] = [
        {"extensions": {"KHR_materials_pbrSpecularGlossiness": {"diffuseFactor": [0.2, 0.4, 0.6, 1.0]}}}
    ]
    mat = load_gltf(write_gltf(tmp_path / "sg.gltf", doc)).materials[0]
    np.testing.assert_allclose(mat.base_color_factor, [0.2, 0.4, 0.6, 1.0])
    assert mat.base_color_texture is None and mat.metallic_factor == 0.0


def test_an_enormous_accessor_without_data_is_refused_before_allocating(tmp_path):
    b, prim = quad_primitive()
    doc = b.document([prim])
    doc["accessors"].append({"componentType": 5126, "count": 200_000_000, "type": "MAT4"})
    doc["meshes"][0]["primitives"][0]["attributes"]["TEXCOORD_0"] = len(doc["accessors"]) - 1
    _expect_input_error(write_gltf(tmp_path / "huge.gltf", doc), "implausibly large")


def _instanced_quads(**attributes) -> tuple[GltfBuilder, dict]:
    """One unit quad (quad_primitive) drawn by node 1, a child of node 0, with
    EXT_mesh_gpu_instancing ``attributes`` (name -> array) on node 1."""
    b, prim = quad_primitive()
    refs = {name: b.add(values, normalized=values.dtype.kind == "i") for name, values in attributes.items()}
    doc = b.document([prim])
    doc["extensionsUsed"] = ["EXT_mesh_gpu_instancing"]
    doc["nodes"] = [
        {"children": [1], "translation": [0, 0, -3]},
        {"mesh": 0, "scale": [2, 2, 2], "extensions": {"EXT_mesh_gpu_instancing": {"attributes": refs}}},
    ]
    return b, doc


def test_an_instanced_mesh_is_drawn_once_per_instance_under_its_node(tmp_path):
    """EXT_mesh_gpu_instancing: each instance at node world x instance TRS (a quarter
    turn about Z given as normalized shorts, as gltfpack writes it)."""
    from holopack.animate.pose import pose_scene

    translations = np.array([[0, 0, 0], [5, 0, 0], [0, 7, 1]], np.float32)
    quarter = round(np.sqrt(0.5) * 32767)
    rotations = np.array([[0, 0, 0, 32767], [0, 0, quarter, quarter], [0, 0, 0, 32767]], np.int16)
    scales = np.array([[1, 1, 1], [1, 1, 1], [3, 1, 1]], np.float32)
    _, doc = _instanced_quads(TRANSLATION=translations, ROTATION=rotations, SCALE=scales)
    scene = load_gltf(write_gltf(tmp_path / "instanced.gltf", doc))
    assert len(scene.draw_items) == 3 and not scene.warnings
    quad = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float64)
    turned = quad @ np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]], np.float64).T  # (x, y) -> (-y, x)
    local = [quad, turned + [5, 0, 0], quad * [3, 1, 1] + [0, 7, 1]]
    posed = pose_scene(scene, None, 0.0)
    for got, instance in zip(posed, local):
        np.testing.assert_allclose(got.positions, instance * 2 + [0, 0, -3], atol=1e-3)


def test_instancing_faults_are_named(tmp_path, monkeypatch):
    _, doc = _instanced_quads(TRANSLATION=np.zeros((3, 3), np.float32), SCALE=np.ones((2, 3), np.float32))
    _expect_input_error(
        write_gltf(tmp_path / "counts.gltf", doc), "node 1 EXT_mesh_gpu_instancing", "TRANSLATION 3, SCALE 2"
    )
    # the instances' own nodes are not the file's: a scene cannot name one of them
    _, doc = _instanced_quads(TRANSLATION=np.zeros((3, 3), np.float32))
    doc["scenes"] = [{"nodes": [0, 3]}]
    _expect_input_error(write_gltf(tmp_path / "scene.gltf", doc), "scene 0 refers to", "node 3")
    # instances past the memory budget are refused before any is made: 50,000 copies of
    # the quad's 4 vertices, posed (24 bytes each), against a 2 MB budget
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "2")
    _, doc = _instanced_quads(TRANSLATION=np.zeros((3, 3), np.float32))
    doc["accessors"].append({"componentType": 5126, "count": 50_000, "type": "VEC3"})
    doc["nodes"][1]["extensions"]["EXT_mesh_gpu_instancing"]["attributes"]["TRANSLATION"] = (
        len(doc["accessors"]) - 1
    )
    _expect_input_error(
        write_gltf(tmp_path / "many.gltf", doc),
        "node 1 EXT_mesh_gpu_instancing needs 5 MB",
        "2 MB memory budget",
    )


_LFS_POINTER = (
    b"version https://git-lfs.github.com/spec/v1\n"
    b"oid sha256:e6467fe76921718b13d8586b23abb7ff6dd131a8ba216d821fcf8986c9ddc8d4\n"
    b"size 2616\n"
)


def test_a_git_lfs_pointer_in_place_of_a_file_is_named_as_one(tmp_path):
    """A clone without git-lfs leaves text stubs for the .glb, .bin and pictures: each is
    refused as what it is, with the size of the real file, in one line."""
    b, prim = quad_primitive()
    b.add(np.zeros(40, np.uint8))  # a buffer longer than the stub: the stub is not shorter
    doc = b.document([prim])
    (tmp_path / "model.bin").write_bytes(_LFS_POINTER)
    doc["buffers"][0]["uri"] = "model.bin"
    _expect_input_error(
        write_gltf(tmp_path / "bin.gltf", doc), "buffer 0: model.bin is a Git LFS pointer", "2,616"
    )
    # a small buffer (under the stub's length) gave "index ... is beyond the vertex count"
    doc["buffers"][0]["byteLength"] = 60
    _expect_input_error(write_gltf(tmp_path / "small.gltf", doc), "model.bin is a Git LFS pointer")
    # a picture
    b, prim = quad_primitive()
    prim["attributes"]["TEXCOORD_0"] = b.add(np.zeros((4, 2), np.float32))
    prim["material"] = 0
    doc = b.document([prim])
    (tmp_path / "skin.png").write_bytes(_LFS_POINTER)
    doc["images"] = [{"uri": "skin.png"}]
    doc["textures"] = [{"source": 0}]
    doc["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
    _expect_input_error(write_gltf(tmp_path / "picture.gltf", doc), "skin.png is a Git LFS pointer")
    # the model file itself, whatever its suffix
    for name in ("Duck.glb", "Duck.gltf", "Duck.obj"):
        stub = tmp_path / name
        stub.write_bytes(_LFS_POINTER)
        with pytest.raises(InputError) as caught:
            load(stub)
        assert str(caught.value) == (
            f"{stub}: the file is a Git LFS pointer (a text stub), not the data (the real file has "
            "2,616 bytes); fetch it with 'git lfs pull' where it came from"
        )


def test_a_morph_weight_channel_of_an_instanced_node_drives_every_instance(tmp_path):
    from holopack.animate.pose import pose_scene

    b, doc = _instanced_quads(TRANSLATION=np.array([[0, 0, 0], [4, 0, 0]], np.float32))
    lift = b.add(np.array([[0, 0, 1]] * 4, np.float32))
    times = b.add(np.array([0.0, 1.0], np.float32))
    keys = b.add(np.array([0.0, 0.5], np.float32))
    rebuilt = b.document([])  # the builder's accessors with the three just added
    doc.update(accessors=rebuilt["accessors"], bufferViews=rebuilt["bufferViews"], buffers=rebuilt["buffers"])
    doc["meshes"][0]["primitives"][0]["targets"] = [{"POSITION": lift}]
    doc["animations"] = [
        {
            "channels": [{"sampler": 0, "target": {"node": 1, "path": "weights"}}],
            "samplers": [{"input": times, "output": keys}],
        }
    ]
    scene = load_gltf(write_gltf(tmp_path / "morphing.gltf", doc))
    assert not scene.warnings
    quad = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float64)
    for t, z in [(0.0, 0.0), (1.0, 0.5)]:
        posed = pose_scene(scene, 0, t)
        assert len(posed) == 2
        for got, dx in zip(posed, (0, 4)):
            np.testing.assert_allclose(got.positions, (quad + [dx, 0, z]) * 2 + [0, 0, -3], atol=1e-5)
