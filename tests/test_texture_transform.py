"""KHR_texture_transform: read from glTF, and applied by the renderer as the extension's
own worked examples say."""

from __future__ import annotations

import base64
import io
import math

import numpy as np
from _gltf_builder import GltfBuilder, quad
from PIL import Image

from holopack.rendering import render
from holopack.scene.load import load

# the texture's lower-left quadrant holds four sub-quadrants A B / C D; the rest is grey
A, B, C, D = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)
GREY = (128, 128, 128)
SIZE = 64


def _texture_png() -> str:
    img = np.full((SIZE, SIZE, 3), GREY, np.uint8)
    q = SIZE // 4
    img[2 * q : 3 * q, 0:q] = A
    img[2 * q : 3 * q, q : 2 * q] = B
    img[3 * q : 4 * q, 0:q] = C
    img[3 * q : 4 * q, q : 2 * q] = D
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _textured_quad(tmp_path, transform=None, flip_set1=False):
    """A quad filling the view, UV (0, 0) at its top-left, (1, 1) at its bottom-right;
    TEXCOORD_1 is TEXCOORD_0 mirrored left to right."""
    b = GltfBuilder()
    positions, indices = quad()  # corners: (-1,-1) (1,-1) (1,1) (-1,1)
    uv0 = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32)
    uv1 = uv0.copy()
    uv1[:, 0] = 1 - uv1[:, 0]
    b.triangle_mesh(positions, indices, TEXCOORD_0=uv0, TEXCOORD_1=uv1)
    b.doc["meshes"][0]["primitives"][0]["material"] = 0
    info = {"index": 0}
    if transform is not None:
        info["extensions"] = {"KHR_texture_transform": transform}
    b.doc["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": info}}]
    b.doc["textures"] = [{"source": 0, "sampler": 0}]
    b.doc["samplers"] = [{"wrapS": 33071, "wrapT": 33071, "minFilter": 9729, "magFilter": 9729}]
    b.doc["images"] = [{"uri": _texture_png()}]
    b.doc["extensionsUsed"] = ["KHR_texture_transform"]
    b.root(b.node(mesh=0))
    path = tmp_path / "quad.gltf"
    b.write(path)
    return load(str(path))


def _picture(scene) -> np.ndarray:
    view = np.eye(4)
    view[2, 3] = -2.0
    near, far = 0.1, 10.0
    projection = np.diag([1.0, 1.0, -2.0 / (far - near), 1.0])
    projection[2, 3] = -(far + near) / (far - near)
    return render(scene, view, projection, (SIZE, SIZE), shading="unlit", supersample=1).color


def _colours_at(picture, *points) -> list[tuple[int, ...]]:
    """The picture's colour at screen points given as (u, v) of TEXCOORD_0 (the quad
    fills the picture: u runs left to right, v top to bottom)."""
    return [tuple(int(c) for c in picture[int(v * SIZE), int(u * SIZE)]) for u, v in points]


def _quadrant_colours(picture) -> list[tuple[int, ...]]:
    """The colour at the middle of the top-left, top-right, bottom-left and bottom-right
    quarter of the picture."""
    return _colours_at(picture, (0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75))


def test_the_transform_is_read_as_translation_rotation_scale(tmp_path):
    spec = {"offset": [0, 1], "rotation": math.pi / 2, "scale": [0.5, 0.5], "texCoord": 1}
    material = _textured_quad(tmp_path, spec).materials[0]
    assert material.base_color_texcoord == 1  # the extension's texCoord wins
    assert np.allclose(material.base_color_transform, [[0, 0.5, 0], [-0.5, 0, 1]], atol=1e-12)
    assert material.emissive_transform is None


def test_lower_left_quadrant_rotated_clockwise(tmp_path):
    # the extension's first example: "utilizes only the lower left quadrant of the
    # source image, rotated clockwise 90 degrees": A B / C D turns into C A / D B
    spec = {"offset": [0, 1], "rotation": 1.57079632679, "scale": [0.5, 0.5]}
    assert _quadrant_colours(_picture(_textured_quad(tmp_path, spec))) == [C, A, D, B]


def test_inverted_t_axis_and_the_untransformed_picture(tmp_path):
    # without the extension the picture is the texture (sub-quadrant centres, and grey)
    picture = _picture(_textured_quad(tmp_path))
    assert _colours_at(
        picture, (0.125, 0.625), (0.375, 0.625), (0.125, 0.875), (0.375, 0.875), (0.75, 0.25)
    ) == [A, B, C, D, GREY]
    # the second example, "inverts the T axis": the texture upside down
    spec = {"offset": [0, 1], "scale": [1, -1]}
    picture = _picture(_textured_quad(tmp_path, spec))
    assert _colours_at(
        picture, (0.125, 0.125), (0.375, 0.125), (0.125, 0.375), (0.375, 0.375), (0.75, 0.75)
    ) == [C, D, A, B, GREY]


def test_the_extensions_texcoord_picks_the_uv_set(tmp_path):
    # TEXCOORD_1 is mirrored left to right, and the extension (identity otherwise) picks it
    picture = _picture(_textured_quad(tmp_path, {"texCoord": 1}))
    assert _colours_at(picture, (0.875, 0.625), (0.625, 0.625), (0.875, 0.875), (0.125, 0.625)) == [
        A,
        B,
        C,
        GREY,
    ]


def test_a_changed_transform_is_seen_by_a_renderer_that_drew_the_primitives(tmp_path):
    # the per-vertex UVs are gathered once per set of primitives and materials
    import dataclasses

    from holopack.rendering import Renderer

    scene = _textured_quad(tmp_path, {"offset": [0, 1], "scale": [1, -1]})
    plain = [dataclasses.replace(m, base_color_transform=None) for m in scene.materials]
    view = np.eye(4)
    view[2, 3] = -2.0
    projection = np.diag([1.0, 1.0, -2.0 / 9.9, 1.0])
    projection[2, 3] = -10.1 / 9.9
    renderer = Renderer((SIZE, SIZE), 1)
    posed = scene.pose(None, 0.0)
    flipped = renderer.draw(posed, scene.materials, scene.textures, view, projection, "unlit")
    upright = renderer.draw(posed, plain, scene.textures, view, projection, "unlit")
    assert _colours_at(flipped.color, (0.125, 0.125)) == [C]
    assert _colours_at(upright.color, (0.125, 0.125), (0.125, 0.625)) == [GREY, A]
