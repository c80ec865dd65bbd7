"""OBJ, OFF, STL and PLY files as public test models write them: text that is not plain
UTF-8 (a byte-order mark, UTF-16, a Latin-1 letter in a comment or a name) loads as its
UTF-8 twin does; a file of points or lines alone is refused in one line that says so; a
PLY with texture coordinates but no picture is drawn as its twin without them."""

from __future__ import annotations

import codecs
import struct

import numpy as np
import pytest

from holopack.errors import InputError
from holopack.scene.load import load
from holopack.scene.mesh_text import as_utf8, utf8_model

# a red tetrahedron in an OBJ with a material library; its first line a vertex, which a
# byte-order mark read as text would hide
OBJ = "v 0 0 0\nmtllib {mtl}\nv 1 0 0\nv 0 1 0\nv 0 0 1\nusemtl rougeé\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n# modèle\n"
MTL = "# matériau\nnewmtl rougeé\nKd 1 0 0\n"
ENCODINGS = {
    "latin-1": lambda text: text.encode("latin-1"),
    "utf-8 with a mark": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16-le with a mark": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16-be with a mark": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
}


def _geometry(scene):
    """(positions (N, 3), faces (M, 3) as positions) of every drawn primitive, in order."""
    prims = [scene.primitive(item) for item in scene.draw_items]
    positions = np.concatenate([p.positions for p in prims])
    faces = np.concatenate([p.positions[p.indices] for p in prims])
    return positions, faces


def _assert_same_geometry(scene, twin):
    for a, b in zip(_geometry(scene), _geometry(twin), strict=True):
        assert a.shape == b.shape and np.allclose(a, b)


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_an_obj_and_its_material_library_in_another_encoding_load_as_utf8_does(tmp_path, encoding):
    write = ENCODINGS[encoding]
    plain, other = tmp_path / "plain", tmp_path / "other"
    plain.mkdir(), other.mkdir()
    (plain / "m.obj").write_text(OBJ.format(mtl="m.mtl"), encoding="utf-8")
    (plain / "m.mtl").write_text(MTL, encoding="utf-8")
    (other / "m.obj").write_bytes(write(OBJ.format(mtl="m.mtl")))
    (other / "m.mtl").write_bytes(write(MTL))
    twin, scene = load(plain / "m.obj"), load(other / "m.obj")
    _assert_same_geometry(scene, twin)
    assert len(twin.draw_items) == 1 and twin.materials[0].name == "rougeé"
    material = scene.materials[scene.primitive(scene.draw_items[0]).material]
    assert material.name == "rougeé"
    assert np.allclose(material.base_color_factor[:3], [1.0, 0.0, 0.0])


def _ascii_twins(tmp_path, comment: str):
    """The same triangle as OFF, ASCII STL and ASCII PLY, each with ``comment``."""
    tri = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0)]
    rows = "\n".join(" ".join(str(v) for v in p) for p in tri)
    loops = "\n".join(f"vertex {' '.join(str(v) for v in p)}" for p in tri)
    return {
        ".off": f"OFF\n# {comment}\n3 1 0\n{rows}\n3 0 1 2\n",
        ".stl": f"solid {comment}\nfacet normal 0 0 1\nouter loop\n{loops}\nendloop\nendfacet\nendsolid\n",
        ".ply": (
            f"ply\nformat ascii 1.0\ncomment {comment}\nelement vertex 3\nproperty float x\n"
            "property float y\nproperty float z\nelement face 1\n"
            f"property list uchar int vertex_indices\nend_header\n{rows}\n3 0 1 2\n"
        ),
    }


@pytest.mark.parametrize("suffix", [".off", ".stl", ".ply"])
@pytest.mark.parametrize("encoding", ["latin-1", "utf-8 with a mark"])
def test_ascii_off_stl_and_ply_in_another_encoding_load_as_utf8_does(tmp_path, suffix, encoding):
    plain = tmp_path / f"plain{suffix}"
    plain.write_text(_ascii_twins(tmp_path, "cafe")[suffix], encoding="utf-8")
    other = tmp_path / f"other{suffix}"
    other.write_bytes(ENCODINGS[encoding](_ascii_twins(tmp_path, "café")[suffix]))
    _assert_same_geometry(load(other), load(plain))


def _binary_ply(comment: bytes) -> bytes:
    header = (
        b"ply\nformat binary_little_endian 1.0\ncomment " + comment + b"\nelement vertex 3\n"
        b"property float x\nproperty float y\nproperty float z\nelement face 1\n"
        b"property list uchar int vertex_indices\nend_header\n"
    )
    # the data holds bytes that are not UTF-8 (0xe9 in a float): they must stay as they are
    vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0.0001]], "<f4").tobytes()
    return header + vertices + struct.pack("<B3i", 3, 0, 1, 2)


def test_a_binary_ply_with_a_latin1_header_keeps_its_data_byte_for_byte(tmp_path):
    latin = _binary_ply("café".encode("latin-1"))
    converted = utf8_model(latin, ".ply")
    assert converted == _binary_ply("café".encode())
    (tmp_path / "plain.ply").write_bytes(_binary_ply(b"cafe"))
    (tmp_path / "other.ply").write_bytes(latin)
    _assert_same_geometry(load(tmp_path / "other.ply"), load(tmp_path / "plain.ply"))


def test_a_binary_stl_and_plain_utf8_are_left_alone():
    header = b"COLOR=\xff\xff\xff\xff" + b"\xe9" * 70
    stl = header + struct.pack("<I", 1) + struct.pack("<12fH", 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0)
    assert utf8_model(stl, ".stl") is None
    assert as_utf8("v 0 0 0 # é\n".encode()) is None


@pytest.mark.parametrize(
    "name, text",
    [
        ("points.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\np 1 2 3\n"),
        ("lines.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nl 1 2 3\n"),
        (
            "cloud.ply",
            "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
            "property float z\nend_header\n0 0 0\n1 0 0\n0 1 0\n",
        ),
    ],
)
def test_points_or_lines_alone_are_refused_as_such(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    assert "no triangles to draw, only points or lines (3 vertices)" in message


def _ply_square(uv: bool) -> str:
    """A unit square as an ASCII PLY, with ``s t`` texture coordinates or without."""
    props = "property float s\nproperty float t\n" if uv else ""
    rows = [(0, 0, 0, 0, 0), (1, 0, 0, 1, 0), (1, 1, 0, 1, 1), (0, 1, 0, 0, 1)]
    body = "\n".join(" ".join(str(v) for v in (r if uv else r[:3])) for r in rows)
    return (
        "ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\n"
        f"property float z\n{props}element face 2\nproperty list uchar int vertex_indices\n"
        f"end_header\n{body}\n3 0 1 2\n3 0 2 3\n"
    )


def test_a_ply_with_texture_coordinates_but_no_picture_is_drawn_as_without_them(tmp_path):
    (tmp_path / "plain.ply").write_text(_ply_square(uv=False))
    (tmp_path / "uv.ply").write_text(_ply_square(uv=True))
    plain, scene = load(tmp_path / "plain.ply"), load(tmp_path / "uv.ply")
    assert scene.textures == []
    material = scene.materials[scene.primitive(scene.draw_items[0]).material]
    twin = plain.materials[plain.primitive(plain.draw_items[0]).material]
    assert material.base_color_texture is None
    assert np.allclose(material.base_color_factor, twin.base_color_factor)
    assert any("texture coordinates but no texture picture" in w for w in scene.warnings)
