"""Draco, meshopt, quantized and sparse glTF decode to the same model as the uncompressed
original. The originals are read here with a few lines of numpy straight from the GLB
(not holopack's reader); compressed files reorder and merge vertices, so vertices are
matched by position and texture coordinate together."""

from __future__ import annotations

import json
import os
import shutil
import struct

import numpy as np
import pytest
from scipy.spatial import cKDTree

import holopack
from holopack.errors import InputError
from holopack.scene import draco, meshopt
from holopack.scene.gltf import container as gltf_reader

HERE = os.path.dirname(__file__)
DATA = os.path.join(HERE, "data")
CORPUS = os.path.join(HERE, "corpus")
_DTYPES = {5120: "i1", 5121: "u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}


def read_glb(path):
    data = open(path, "rb").read()
    length = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20 : 20 + length])
    start = 20 + length
    blob = data[start + 8 : start + 8 + struct.unpack_from("<I", data, start)[0]]
    return doc, blob


def accessor(doc, blob, index):
    """Plain (unsparse, uncompressed) accessor values as stored: (count, width)."""
    spec = doc["accessors"][index]
    view = doc["bufferViews"][spec["bufferView"]]
    dtype = np.dtype(_DTYPES[spec["componentType"]])
    width = _WIDTH[spec["type"]]
    stride = view.get("byteStride") or dtype.itemsize * width
    offset = view.get("byteOffset", 0) + spec.get("byteOffset", 0)
    return np.ndarray((spec["count"], width), dtype, blob, offset, (stride, dtype.itemsize)).copy()


def match(reference: np.ndarray, candidate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each candidate row, the distance to and index of the nearest reference row."""
    return cKDTree(reference).query(candidate)


def _normalised(values, ctype):
    return values / {5121: 255.0, 5123: 65535.0}.get(ctype, 1.0)


def test_draco_primitive_matches_the_uncompressed_original():
    doc, blob = read_glb(os.path.join(DATA, "CesiumMan", "CesiumMan.glb"))
    attributes = doc["meshes"][0]["primitives"][0]["attributes"]
    ref_pos = accessor(doc, blob, attributes["POSITION"]).astype(np.float64)
    ref_uv = accessor(doc, blob, attributes["TEXCOORD_0"]).astype(np.float64)
    ref_joints = accessor(doc, blob, attributes["JOINTS_0"])
    ref_weights = accessor(doc, blob, attributes["WEIGHTS_0"])
    ref_tris = accessor(doc, blob, doc["meshes"][0]["primitives"][0]["indices"]).reshape(-1, 3)

    scene = holopack.load(os.path.join(CORPUS, "CesiumMan-Draco", "CesiumMan-Draco.glb"))
    prim = scene.meshes[0].primitives[0]
    size = np.ptp(ref_pos, axis=0).max()
    # Draco quantises positions to 14 bits and UVs to 12 bits of their range
    distance, nearest = match(
        np.hstack([ref_pos / size, ref_uv]), np.hstack([prim.positions / size, prim.uv[0]])
    )
    assert distance.max() < 2e-3
    np.testing.assert_array_equal(prim.joints[:, :4], ref_joints[nearest])
    weights = ref_weights[nearest] / ref_weights[nearest].sum(axis=1, keepdims=True)
    np.testing.assert_allclose(prim.weights[:, :4], weights, atol=2e-3)
    assert len(prim.indices) == len(ref_tris)
    ref_centroids = ref_pos[ref_tris].mean(axis=1) / size
    centroids = prim.positions[prim.indices].mean(axis=1) / size
    assert match(ref_centroids, centroids)[0].max() < 2e-3
    assert match(centroids, ref_centroids)[0].max() < 2e-3


def _posed(path, animation, time):
    scene = holopack.load(path)
    return np.concatenate(scene.posed_positions(animation=animation, time=time)), scene


@pytest.mark.parametrize("time", [0.0, 0.31, 0.77])
def test_meshopt_fox_walks_like_the_original(time):
    """Positions (quantised, meshopt-coded) and the walk's rotations (quaternion filter)
    and scales (exponential filter) decode to the original's pose at every instant."""
    original, _ = _posed(os.path.join(DATA, "Fox", "Fox.glb"), "Walk", time)
    packed, scene = _posed(os.path.join(CORPUS, "Fox-Meshopt", "Fox-Meshopt.glb"), "Walk", time)
    size = np.ptp(original, axis=0).max()
    assert match(original, packed)[0].max() < 2e-3 * size
    assert match(packed, original)[0].max() < 2e-3 * size
    assert not scene.warnings


def test_meshopt_texture_coordinates_dequantise_to_the_original():
    doc, blob = read_glb(os.path.join(DATA, "Fox", "Fox.glb"))
    ref_uv = accessor(doc, blob, doc["meshes"][0]["primitives"][0]["attributes"]["TEXCOORD_0"])
    scene = holopack.load(os.path.join(CORPUS, "Fox-Meshopt", "Fox-Meshopt.glb"))
    prim = scene.meshes[0].primitives[0]
    transform = scene.materials[prim.material].base_color_transform  # KHR_texture_transform
    assert transform is not None
    uv = prim.uv[0].astype(np.float64) @ transform[:, :2].T + transform[:, 2]
    assert match(ref_uv.astype(np.float64), uv)[0].max() < 1e-3


def test_quantized_cesium_man_matches_the_original_rest_pose():
    original, _ = _posed(os.path.join(DATA, "CesiumMan", "CesiumMan.glb"), None, 0.0)
    packed, _ = _posed(os.path.join(CORPUS, "CesiumMan-Quantized", "CesiumMan-Quantized.glb"), None, 0.0)
    size = np.ptp(original, axis=0).max()
    assert match(original, packed)[0].max() < 2e-3 * size


@pytest.mark.parametrize("time", [0.0, 0.5, 1.3])
def test_sparse_morph_targets_pose_like_the_dense_original(time):
    dense, scene = _posed(os.path.join(DATA, "MorphStressTest", "MorphStressTest.gltf"), 0, time)
    sparse, sparse_scene = _posed(
        os.path.join(CORPUS, "MorphStressTest-Sparse", "MorphStressTest-Sparse.glb"), 0, time
    )
    assert [a.name for a in scene.animations] == [a.name for a in sparse_scene.animations]
    assert match(dense, sparse)[0].max() < 1e-5
    assert match(sparse, dense)[0].max() < 1e-5


def test_without_the_draco_decoder_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(draco, "available", lambda: False)
    monkeypatch.setitem(gltf_reader._DECODERS, draco.EXTENSION, lambda: False)
    with pytest.raises(InputError) as caught:
        holopack.load(os.path.join(CORPUS, "CesiumMan-Draco", "CesiumMan-Draco.glb"))
    text = str(caught.value)
    assert "Draco" in text and "holopack[compressed]" in text and "\n" not in text


def test_a_damaged_draco_stream_is_one_input_error(tmp_path):
    target = tmp_path / "broken.glb"
    shutil.copy(os.path.join(CORPUS, "CesiumMan-Draco", "CesiumMan-Draco.glb"), target)
    doc, blob = read_glb(target)
    ext = doc["meshes"][0]["primitives"][0]["extensions"]["KHR_draco_mesh_compression"]
    view = doc["bufferViews"][ext["bufferView"]]
    raw = bytearray(target.read_bytes())
    start = len(raw) - len(blob) + view.get("byteOffset", 0)
    raw[start : start + view["byteLength"]] = bytes(view["byteLength"])  # zeros: no Draco header
    target.write_bytes(bytes(raw))
    with pytest.raises(InputError) as caught:
        holopack.load(str(target))
    assert "Draco" in str(caught.value) and "\n" not in str(caught.value)


def test_without_the_meshopt_decoder_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(meshopt, "available", lambda: False)
    monkeypatch.setitem(gltf_reader._DECODERS, meshopt.EXTENSION, lambda: False)
    with pytest.raises(InputError) as caught:
        holopack.load(os.path.join(CORPUS, "Fox-Meshopt", "Fox-Meshopt.glb"))
    text = str(caught.value)
    assert "meshoptimizer" in text and "holopack[compressed]" in text and "\n" not in text


@pytest.mark.parametrize(
    "mode, stride, count, words",
    [
        ("ATTRIBUTES", 6, 3, "multiple of 4"),
        ("TRIANGLES", 2, 4, "multiple of 3"),
        ("INDICES", 3, 3, "2 or 4"),
        ("SOMETHING", 4, 3, "unknown mode"),
    ],
)
def test_meshopt_parameters_the_extension_forbids_are_refused(mode, stride, count, words):
    with pytest.raises(ValueError, match=words):
        meshopt.decode(b"\xa0" + bytes(64), count, stride, mode)
