"""16-bit grey texture pictures keep their levels (holopack.scene.pictures): Pillow
opens them as mode I;16 and its own convert("RGBA") clips 0..65535 at 255, so a grey
texture of any level came out white. The reference is the stored value divided by 257,
worked out here with numpy."""

from __future__ import annotations

import numpy as np
from _gltf_builder import quad_primitive, write_gltf
from PIL import Image

import holopack


def _grey_ramp() -> np.ndarray:
    """(16, 16) uint8 levels 0..255 as an 8-bit picture would hold them."""
    return (np.arange(256, dtype=np.uint16).reshape(16, 16)).astype(np.uint8)


def _save_sixteen_bit(path, grey: np.ndarray) -> None:
    Image.fromarray(grey.astype(np.uint16) * 257).save(path)
    assert Image.open(path).mode.startswith("I")  # what Pillow makes of it


def test_a_gltf_base_colour_texture_in_sixteen_bit_grey_keeps_its_levels(tmp_path):
    grey = _grey_ramp()
    _save_sixteen_bit(tmp_path / "grey16.png", grey)
    builder, primitive = quad_primitive()
    uv = builder.add(np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32))
    primitive["attributes"]["TEXCOORD_0"] = uv
    primitive["material"] = 0
    doc = builder.document(
        [primitive],
        materials=[{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
        textures=[{"source": 0}],
        images=[{"uri": "grey16.png"}],
    )
    scene = holopack.load(write_gltf(tmp_path / "quad.gltf", doc))
    pixels = scene.textures[scene.materials[0].base_color_texture].pixels
    assert np.array_equal(pixels[..., 0], grey) and np.array_equal(pixels[..., 2], grey)
    assert (pixels[..., 3] == 255).all()


def test_an_obj_map_kd_in_sixteen_bit_grey_keeps_its_levels(tmp_path):
    grey = _grey_ramp()
    _save_sixteen_bit(tmp_path / "grey16.png", grey)
    (tmp_path / "quad.mtl").write_text("newmtl plate\nKd 1 1 1\nmap_Kd grey16.png\n")
    (tmp_path / "quad.obj").write_text(
        "mtllib quad.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\n"
        "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nusemtl plate\nf 1/1 2/2 3/3\nf 1/1 3/3 4/4\n"
    )
    scene = holopack.load(str(tmp_path / "quad.obj"))
    (texture,) = scene.textures
    assert np.array_equal(texture.pixels[..., 1], grey)
