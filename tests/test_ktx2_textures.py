"""KHR_texture_basisu: KTX2 textures (Basis Universal ETC1S and UASTC) decode to the
picture they were made from, and without the decoder a file says in one line what to
install.

tests/data/ktx2 holds quadrants.png and the two KTX2 files made from it with Binomial's
basisu encoder (make_ktx2.py there); the reference is the PNG as Pillow reads it.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from _gltf_builder import GltfBuilder, quad
from PIL import Image

from holopack.errors import InputError
from holopack.rendering import render
from holopack.scene import ktx2
from holopack.scene.gltf import container as gltf_reader
from holopack.scene.load import load

KTX2_DATA = os.path.join(os.path.dirname(__file__), "data", "ktx2")
# Basis Universal is lossy: ETC1S measures 1.8 mean / 9 largest error per channel on this
# picture, UASTC 1.0 / 12 (at the edges of the ramp)
MEAN_ERROR, LARGEST_ERROR = 4.0, 24


def _reference() -> np.ndarray:
    """(64, 64, 4) int: the source picture."""
    with Image.open(os.path.join(KTX2_DATA, "quadrants.png")) as picture:
        return np.asarray(picture.convert("RGBA")).astype(int)


def _quad_gltf(tmp_path, codec: str, *, required=True, fallback=False) -> str:
    """A quad filling the view, UV (0, 0) at its top-left, textured by the KTX2 file (and,
    with ``fallback``, by the PNG where KHR_texture_basisu is not read)."""
    shutil.copy(os.path.join(KTX2_DATA, f"quadrants-{codec}.ktx2"), tmp_path / "albedo.ktx2")
    shutil.copy(os.path.join(KTX2_DATA, "quadrants.png"), tmp_path / "albedo.png")
    b = GltfBuilder()
    positions, indices = quad()  # corners: (-1,-1) (1,-1) (1,1) (-1,1)
    uv = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32)
    b.triangle_mesh(positions, indices, TEXCOORD_0=uv)
    b.doc["meshes"][0]["primitives"][0]["material"] = 0
    b.doc["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
    texture = {"extensions": {"KHR_texture_basisu": {"source": 0}}}
    if fallback:
        texture["source"] = 1
    b.doc["textures"] = [texture]
    b.doc["images"] = [{"uri": "albedo.ktx2", "mimeType": "image/ktx2"}, {"uri": "albedo.png"}]
    b.doc["extensionsUsed"] = ["KHR_texture_basisu"]
    if required:
        b.doc["extensionsRequired"] = ["KHR_texture_basisu"]
    b.root(b.node(mesh=0))
    path = tmp_path / "quad.gltf"
    b.write(path)
    return str(path)


def _without_decoder(monkeypatch):
    monkeypatch.setattr(ktx2, "available", lambda: False)
    monkeypatch.setitem(gltf_reader._DECODERS, ktx2.EXTENSION, lambda: False)


@pytest.mark.parametrize("codec", ["etc1s", "uastc"])
def test_a_ktx2_texture_decodes_to_the_picture_it_was_made_from(tmp_path, codec):
    scene = load(_quad_gltf(tmp_path, codec))
    pixels = scene.textures[0].pixels
    assert pixels.shape == (64, 64, 4) and pixels.dtype == np.uint8
    error = np.abs(pixels.astype(int) - _reference())
    assert error.mean(axis=(0, 1)).max() < MEAN_ERROR and error.max() <= LARGEST_ERROR
    # the quadrants in their places (top row first), the half-transparent one included
    assert np.abs(pixels[16, 16].astype(int) - (220, 30, 30, 255)).max() <= 6
    assert np.abs(pixels[16, 48].astype(int) - (30, 200, 40, 128)).max() <= 6
    assert np.abs(pixels[48, 16].astype(int) - (30, 40, 220, 255)).max() <= 6


def test_a_ktx2_textured_quad_renders_in_its_colours(tmp_path):
    scene = load(_quad_gltf(tmp_path, "uastc"))
    view = np.eye(4)
    view[2, 3] = -2.0
    projection = np.diag([1.0, 1.0, -2.0 / 9.9, 1.0])
    projection[2, 3] = -10.1 / 9.9
    picture = render(scene, view, projection, (64, 64), shading="unlit", supersample=1).color
    assert np.abs(picture[16, 16].astype(int) - (220, 30, 30)).max() <= 8  # top-left red
    assert np.abs(picture[48, 16].astype(int) - (30, 40, 220)).max() <= 8  # bottom-left blue


def test_without_the_decoder_a_required_ktx2_texture_says_how_to_install_it(tmp_path, monkeypatch):
    _without_decoder(monkeypatch)
    with pytest.raises(InputError) as caught:
        load(_quad_gltf(tmp_path, "etc1s"))
    text = str(caught.value)
    assert "KHR_texture_basisu" in text and "holopack[compressed]" in text and "\n" not in text


def test_without_the_decoder_the_fallback_picture_is_used(tmp_path, monkeypatch):
    _without_decoder(monkeypatch)
    scene = load(_quad_gltf(tmp_path, "etc1s", required=False, fallback=True))
    assert np.array_equal(scene.textures[0].pixels.astype(int), _reference())


def test_a_damaged_ktx2_texture_is_one_input_error(tmp_path):
    path = _quad_gltf(tmp_path, "uastc")
    data = bytearray((tmp_path / "albedo.ktx2").read_bytes())
    (tmp_path / "albedo.ktx2").write_bytes(bytes(data[:200]))  # cut inside the payload
    with pytest.raises(InputError) as caught:
        load(path)
    text = str(caught.value)
    assert "image 0" in text and "damaged" in text and "\n" not in text
