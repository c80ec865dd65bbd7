"""glTF sampler filters (magFilter / minFilter): read from the file and drawn as OpenGL
draws them, NEAREST included (pixel-art and voxel exports ask for it)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from _gltf_builder import GltfBuilder, quad
from PIL import Image

from holopack.colour import linear_to_srgb, srgb_to_linear
from holopack.rendering import render
from holopack.scene.load import load

SIZE = 64
CELLS = 4  # the texture is CELLS x CELLS texels, each SIZE // CELLS pixels on screen


def _texels() -> np.ndarray:
    """(CELLS, CELLS, 3) uint8: neighbours far apart in every channel."""
    rng = np.random.default_rng(11)
    return rng.integers(0, 256, (CELLS, CELLS, 3)).astype(np.uint8)


def _quad_scene(tmp_path, sampler: dict | None):
    """A quad filling the view, UV (0, 0) top-left to (1, 1) bottom-right, its base
    colour the CELLS x CELLS texture through ``sampler`` (None: no sampler)."""
    b = GltfBuilder()
    positions, indices = quad()  # corners: (-1,-1) (1,-1) (1,1) (-1,1)
    uv = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32)
    b.triangle_mesh(positions, indices, TEXCOORD_0=uv)
    b.doc["meshes"][0]["primitives"][0]["material"] = 0
    b.doc["materials"] = [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}]
    buffer = io.BytesIO()
    Image.fromarray(_texels()).save(buffer, format="PNG")
    b.doc["images"] = [{"uri": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()}]
    b.doc["textures"] = [{"source": 0}]
    if sampler is not None:
        b.doc["textures"][0]["sampler"] = 0
        b.doc["samplers"] = [sampler]
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


def _blocks() -> np.ndarray:
    """(SIZE, SIZE, 3) uint8: each texel's colour over its SIZE // CELLS square of pixels,
    what NEAREST magnification shows (the sRGB codes back after linear light)."""
    codes = linear_to_srgb(srgb_to_linear(_texels() / 255.0))
    step = SIZE // CELLS
    return np.floor(codes * 255.0 + 0.5).repeat(step, axis=0).repeat(step, axis=1)


def test_the_sampler_filters_are_read(tmp_path):
    scene = _quad_scene(tmp_path, {"magFilter": 9728, "minFilter": 9984})
    assert (scene.textures[0].mag_filter, scene.textures[0].min_filter) == (9728, 9984)
    plain = _quad_scene(tmp_path, None)
    assert (plain.textures[0].mag_filter, plain.textures[0].min_filter) == (None, None)
    odd = _quad_scene(tmp_path, {"magFilter": 9986, "minFilter": 1234})
    assert (odd.textures[0].mag_filter, odd.textures[0].min_filter) == (None, None)
    assert any("magFilter" in w for w in odd.warnings) and any("minFilter" in w for w in odd.warnings)


def test_nearest_magnification_shows_each_texel_as_a_sharp_block(tmp_path):
    picture = _picture(_quad_scene(tmp_path, {"magFilter": 9728, "minFilter": 9728})).astype(int)
    assert np.abs(picture - _blocks()).max() <= 1  # 16-bit texels: at most one code off


def test_point_sampled_minification_with_linear_magnification_is_drawn_trilinear(tmp_path):
    """NEAREST_MIPMAP_LINEAR with LINEAR magnification (what exporters write for every
    texture) is drawn as LINEAR_MIPMAP_LINEAR: the same picture as no sampler at all,
    here with the quad's texture minified (repeated 40 times across 64 pixels)."""
    pictures = []
    for sampler in (None, {"magFilter": 9729, "minFilter": 9986}):
        scene = _quad_scene(tmp_path, sampler)
        for prim in (p for mesh in scene.meshes for p in mesh.primitives):
            prim.uv = [np.asarray(prim.uv[0]) * 40.0]
        pictures.append(_picture(scene))
    assert np.array_equal(pictures[0], pictures[1])
    # and with NEAREST magnification the same minified texture is point-sampled
    scene = _quad_scene(tmp_path, {"magFilter": 9728, "minFilter": 9986})
    for prim in (p for mesh in scene.meshes for p in mesh.primitives):
        prim.uv = [np.asarray(prim.uv[0]) * 40.0]
    assert not np.array_equal(_picture(scene), pictures[0])


def test_linear_magnification_blends_neighbouring_texels(tmp_path):
    # without a sampler (and with LINEAR) the same quad is smooth: the blocks' edges blend
    for sampler in (None, {"magFilter": 9729}):
        picture = _picture(_quad_scene(tmp_path, sampler)).astype(int)
        assert np.abs(picture - _blocks()).max() > 40


@pytest.mark.gl
@pytest.mark.parametrize(
    "sampler",
    [
        {"magFilter": 9728, "minFilter": 9728},
        {"magFilter": 9728, "minFilter": 9986, "wrapS": 33648},
        {"magFilter": 9729, "minFilter": 9985, "wrapT": 33071},
        {"magFilter": 9729, "minFilter": 9986},  # many exporters' default
    ],
)
def test_filters_match_opengl_on_a_textured_model(tmp_path, sampler):
    """A box with the texture repeated 24 times across each face, seen at an angle: its
    near texels are magnified and its far ones minified, so both filters matter."""
    from _gl_reference import framed_camera, gl_render, psnr, srgb8

    from holopack.rendering import Renderer

    scene = _quad_scene(tmp_path, sampler)
    posed = scene.pose(None, 0.0)
    for p in posed:
        p.primitive.uv = [np.asarray(p.primitive.uv[0]) * 24.0 - 3.0]
    view, projection = framed_camera(posed, yaw=60.0, pitch=20.0)
    ours = Renderer((160, 160), 1).draw(posed, scene.materials, scene.textures, view, projection, "unlit")
    linear, coverage, _ = gl_render(posed, scene.materials, scene.textures, view, projection, (160, 160))
    both = (ours.alpha > 0) & (coverage > 0)
    assert both.sum() > 0.1 * 160 * 160
    assert psnr(ours.color[both], srgb8(linear)[both]) >= 30.0


@pytest.mark.gl
def test_nearest_maps_match_the_pbr_reference_through_the_packed_fetch(tmp_path):
    """Base colour, normal and metallic-roughness maps of one size, sampler and UVs are
    sampled in one packed fetch (pbr_kernel.packed_maps); with a NEAREST sampler the
    picture must match the GLSL Appendix B reference, as it does not when the filters
    are dropped."""
    import dataclasses

    from _gl_reference import framed_camera
    from _pbr_gl_reference import gl_render_pbr, linear_psnr

    import holopack
    from holopack.rendering import Renderer
    from holopack.rendering.pbr_setup import plan_maps

    scene = _quad_scene(tmp_path, {"magFilter": 9728, "minFilter": 9986})
    m = scene.materials[0]
    m.normal_texture = m.metallic_roughness_texture = m.base_color_texture
    m.metallic_factor, m.roughness_factor = 1.0, 1.0
    assert plan_maps(scene.materials, scene.textures).packed
    posed = scene.pose(None, 0.0)
    for p in posed:
        p.primitive.uv = [np.asarray(p.primitive.uv[0]) * 24.0 - 3.0]
    lights = [holopack.DirectionalLight(direction=(0.3, -0.4, -0.8), color=(1.0, 1.0, 1.0), intensity=3.0)]
    view, projection = framed_camera(posed, yaw=50.0, pitch=20.0)
    linear, coverage, _ = gl_render_pbr(
        posed, scene.materials, scene.textures, view, projection, (160, 160), lights
    )
    values = {}
    for label, textures in (
        ("filters", scene.textures),
        ("dropped", [dataclasses.replace(t, mag_filter=None, min_filter=None) for t in scene.textures]),
    ):
        ours = Renderer((160, 160), 1, lights=lights).draw(
            posed, scene.materials, textures, view, projection, "pbr", tone_mapping="none"
        )
        both = (ours.alpha > 0) & (coverage > 0)
        assert both.sum() > 0.1 * 160 * 160
        values[label] = linear_psnr(np.clip(ours.linear, 0, 1), np.clip(linear, 0, 1), both)
    assert values["filters"] >= 30.0, values
    assert values["dropped"] < values["filters"] - 6.0, values
