"""Normal mapping through the tangent frame: bumps come out the right way round on
both halves of a quad whose right half mirrors its UVs, and match the GLSL reference."""

from __future__ import annotations

import numpy as np
import pytest
from _pbr_gl_reference import gl_render_pbr, linear_psnr

import holopack
from holopack.rendering import Renderer
from holopack.rendering.camera import look_at, orthographic
from holopack.scene.types import Material, PosedPrimitive, Primitive, Texture

CELLS = 4  # bumps across the texture


def bump_normal_map(size: int = 128) -> np.ndarray:
    """(size, size, 4) uint8 tangent-space normal map (glTF: +X right, +Y up in the
    image, +Z out) of a grid of round domes, from the height field's slopes."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    cell = size / CELLS
    cx = (x % cell) / cell - 0.5
    cy = (y % cell) / cell - 0.5
    r2 = cx * cx + cy * cy
    h = np.where(r2 < 0.16, np.sqrt(np.maximum(0.16 - r2, 0.0)), 0.0)
    dh_dx = np.gradient(h, axis=1) * cell  # per image pixel -> per cell
    dh_dy_up = -np.gradient(h, axis=0) * cell  # rows go down; +Y is up
    n = np.stack([-dh_dx, -dh_dy_up, np.ones_like(h)], axis=-1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    out = np.empty((size, size, 4), np.uint8)
    out[..., :3] = np.rint((n * 0.5 + 0.5) * 255.0)
    out[..., 3] = 255
    return out


def mirrored_quad():
    """Two 1 x 2 halves of a 2 x 2 quad facing +Z; the left maps u 0 -> 1 left to right,
    the right mirrors it (u 1 -> 0); v runs 0 -> 2 down the picture (glTF's v is
    down; the map repeats, so bumps stay round). Tangents point
    along +u: +X on the left, -X on the right, with w making w N x T = +Y (image up)
    on both."""
    posed = []
    for x0, u0, u1, tx, w in ((-1.0, 0.0, 1.0, 1.0, 1.0), (0.0, 1.0, 0.0, -1.0, -1.0)):
        pos = np.array([[x0, -1, 0], [x0 + 1, -1, 0], [x0 + 1, 1, 0], [x0, 1, 0]], np.float32)
        uv = np.array([[u0, 2], [u1, 2], [u1, 0], [u0, 0]], np.float32)  # square bumps
        nrm = np.tile(np.array([0, 0, 1], np.float32), (4, 1))
        tan = np.tile(np.array([tx, 0, 0, w], np.float32), (4, 1))
        prim = Primitive(pos, nrm, np.array([[0, 1, 2], [0, 2, 3]], np.int32), material=0, uv=[uv])
        posed.append(PosedPrimitive(pos, nrm, prim, tangents=tan))
    return posed


def scene_parts():
    material = Material(
        base_color_factor=np.array([0.8, 0.8, 0.8, 1.0], np.float32),
        metallic_factor=0.0,
        roughness_factor=0.6,
        normal_texture=0,
    )
    textures = [Texture(bump_normal_map(), name="bumps")]
    view = look_at(np.array([0.0, 0.0, 5.0]), np.zeros(3), np.array([0.0, 1.0, 0.0]))
    projection = orthographic(1.0, 1.0, 0.1, 10.0)
    # light from the left, grazing: the domes' left flanks face it
    lights = [holopack.DirectionalLight(direction=(1.0, 0.0, -0.35), intensity=3.0)]
    return material, textures, view, projection, lights


def flank_contrast(luma: np.ndarray, x0: int, x1: int) -> list[float]:
    """For each bump of the picture columns x0..x1 (CELLS bumps across, picture 256
    px), mean(left flank) - mean(right flank) along the bump rows' middles."""
    out = []
    width = (x1 - x0) // CELLS
    height = luma.shape[0] // (2 * CELLS)  # the quad is 2 tall: CELLS bumps per 1 unit
    for i in range(CELLS):
        for j in range(2 * CELLS):
            cx = x0 + i * width + width // 2
            cy = j * height + height // 2
            band = luma[cy - 2 : cy + 3]
            left = band[:, cx - width // 4 : cx - 1].mean()
            right = band[:, cx + 2 : cx + width // 4 + 1].mean()
            out.append(float(left - right))
    return out


def render_quad():
    material, textures, view, projection, lights = scene_parts()
    renderer = Renderer((256, 256), 1, lights=lights)
    return renderer.draw(mirrored_quad(), [material], textures, view, projection, "pbr", tone_mapping="none")


def test_bumps_are_lit_on_the_lights_side_on_both_mirrored_halves():
    frame = render_quad()
    luma = frame.linear.mean(axis=2)
    left_half = flank_contrast(luma, 0, 128)
    right_half = flank_contrast(luma, 128, 256)
    # every bump: the flank towards the light (left) brighter, on both halves
    assert min(left_half) > 0.02, left_half
    assert min(right_half) > 0.02, right_half
    # and the mirrored half is the mirror image of the unmirrored one in its bumps
    assert np.allclose(np.sort(left_half), np.sort(right_half), rtol=0.25, atol=0.01)


def test_the_unmirrored_frame_on_the_mirrored_half_turns_its_bumps_into_dents():
    """The check above can fail: giving the mirrored half the left half's tangent
    frame (+X, w = +1: the mistake mirrored UVs invite) lights its bumps from the
    wrong side."""
    material, textures, view, projection, lights = scene_parts()
    posed = mirrored_quad()
    posed[1].tangents = posed[0].tangents.copy()
    frame = Renderer((256, 256), 1, lights=lights).draw(
        posed, [material], textures, view, projection, "pbr", tone_mapping="none"
    )
    dents = flank_contrast(frame.linear.mean(axis=2), 128, 256)
    assert max(dents) < -0.02, dents


@pytest.mark.gl
def test_normal_mapped_mirrored_quad_matches_glsl():
    material, textures, view, projection, lights = scene_parts()
    posed = mirrored_quad()
    ours = Renderer((256, 256), 1, lights=lights).draw(
        posed, [material], textures, view, projection, "pbr", tone_mapping="none"
    )
    linear, coverage, _ = gl_render_pbr(posed, [material], textures, view, projection, (256, 256), lights)
    both = (ours.alpha > 0) & (coverage > 0)
    assert both.mean() > 0.95
    value = linear_psnr(ours.linear, linear, both)
    assert value >= 40.0, value


def test_loaded_mirrored_quad_gets_mikktspace_tangents_that_keep_its_bumps_right(tmp_path):
    """The same quad written as glTF without a TANGENT attribute: the loader's
    MikkTSpace tangents give both halves bumps lit from the light's side."""
    import base64
    import io

    from _gltf_builder import GltfBuilder, write_gltf
    from PIL import Image

    b = GltfBuilder()
    posed = mirrored_quad()
    positions = np.concatenate([p.positions for p in posed])
    uvs = np.concatenate([p.primitive.uv[0] for p in posed])
    normals = np.concatenate([p.normals for p in posed])
    indices = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]], np.uint16)
    b.root(b.node(mesh=b.triangle_mesh(positions, indices, NORMAL=normals, TEXCOORD_0=uvs)))
    doc = b.build()
    buffer = io.BytesIO()
    Image.fromarray(bump_normal_map()).save(buffer, format="PNG")
    doc["images"] = [{"uri": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()}]
    doc["textures"] = [{"source": 0}]
    doc["materials"] = [
        {
            "pbrMetallicRoughness": {
                "baseColorFactor": [0.8, 0.8, 0.8, 1],
                "metallicFactor": 0,
                "roughnessFactor": 0.6,
            },
            "normalTexture": {"index": 0},
        }
    ]
    doc["meshes"][0]["primitives"][0]["material"] = 0
    scene = holopack.load(write_gltf(tmp_path / "mirrored.gltf", doc))
    loaded = scene.pose(None, 0.0)
    assert loaded[0].tangents is not None
    _, _, view, projection, lights = scene_parts()
    frame = Renderer((256, 256), 1, lights=lights).draw(
        loaded, scene.materials, scene.textures, view, projection, "pbr", tone_mapping="none"
    )
    luma = frame.linear.mean(axis=2)
    assert min(flank_contrast(luma, 0, 128)) > 0.02
    assert min(flank_contrast(luma, 128, 256)) > 0.02
