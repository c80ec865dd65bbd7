"""shading="pbr" against an independent GLSL implementation of glTF's Appendix B
(moderngl, llvmpipe) with the same matrices and lights, and against closed forms."""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import numpy as np
import pytest
from _gl_reference import framed_camera, posed_model
from _gltf_builder import GltfBuilder, write_gltf
from _pbr_gl_reference import gl_render_pbr, linear_psnr
from _texture_roles import colour_and_map_textures
from numba import njit

import holopack
from holopack.rendering import Renderer
from holopack.rendering.camera import look_at, orthographic, perspective
from holopack.rendering.pbr_kernel import packed_maps
from holopack.rendering.texel_mix import data_pointer
from holopack.rendering.texture_kernel import TexturePool, sample_trilinear
from holopack.rendering.tonemap_reference import tone_map as tone_map_reference
from holopack.scene.types import Material, PosedPrimitive, Primitive, Texture

DATA = Path(__file__).parent / "data"
SIZE = (256, 256)
LIGHTS = [
    holopack.DirectionalLight(direction=(0.45, -0.55, -0.70), color=(1.0, 0.95, 0.9), intensity=2.5),
    holopack.DirectionalLight(direction=(-0.65, -0.05, -0.55), color=(0.6, 0.7, 1.0), intensity=1.2),
]


def sphere(center, radius, rings=24, segments=48):
    """UV sphere: (positions (N, 3) float32, normals, uv (N, 2), indices (M, 3) int32)."""
    theta = np.linspace(0.0, math.pi, rings + 1)
    phi = np.linspace(0.0, 2.0 * math.pi, segments + 1)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    n = np.stack([np.sin(t) * np.cos(p), np.cos(t), -np.sin(t) * np.sin(p)], axis=-1).reshape(-1, 3)
    uv = np.stack([p / (2 * math.pi), t / math.pi], axis=-1).reshape(-1, 2)
    idx = []
    for i in range(rings):
        for j in range(segments):
            a, b = i * (segments + 1) + j, (i + 1) * (segments + 1) + j
            idx += [[a, b, b + 1], [a, b + 1, a + 1]]
    positions = np.asarray(center, np.float32) + radius * n
    return positions.astype(np.float32), n.astype(np.float32), uv.astype(np.float32), np.array(idx, np.int32)


def compare(posed, materials, textures, view, projection, lights=LIGHTS, size=SIZE):
    """(PSNR in linear light over the pixels both cover away from depth steps, share
    of pixels covered by one only, our picture, the reference's)."""
    renderer = Renderer(size, 1, lights=lights)
    ours = renderer.draw(posed, materials, textures, view, projection, "pbr", tone_mapping="none")
    linear, coverage, depth = gl_render_pbr(posed, materials, textures, view, projection, size, lights)
    both = (ours.alpha > 0) & (coverage > 0)
    # which surface a pixel centre on a silhouette or a depth step lands on is left to
    # the implementation: those pixels are compared by coverage, the others by value
    padded = np.pad(depth, 1, constant_values=1.0)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    smooth = (windows.max(axis=(2, 3)) - windows.min(axis=(2, 3))) < 0.01
    one_only = float(np.mean((ours.alpha > 0) != (coverage > 0)))
    return linear_psnr(ours.linear, linear, both & smooth), one_only, ours, linear, both & smooth


def sphere_grid():
    """4 x 4 spheres: metallic 0 .. 1 across, roughness 0.25 .. 1 down."""
    posed, materials = [], []
    for row, rough in enumerate((0.25, 0.5, 0.75, 1.0)):
        for col, metal in enumerate((0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0)):
            pos, nrm, uv, idx = sphere(((col - 1.5) * 1.1, (1.5 - row) * 1.1, 0.0), 0.5)
            prim = Primitive(positions=pos, normals=nrm, indices=idx, material=len(materials), uv=[uv])
            posed.append(PosedPrimitive(positions=pos, normals=nrm, primitive=prim))
            materials.append(
                Material(
                    base_color_factor=np.array([0.9, 0.35, 0.2, 1.0], np.float32),
                    metallic_factor=metal,
                    roughness_factor=rough,
                )
            )
    view = look_at(np.array([0.0, 0.0, 7.5]), np.zeros(3), np.array([0.0, 1.0, 0.0]))
    return posed, materials, view


@pytest.mark.gl
def test_sphere_grid_matches_glsl_appendix_b():
    posed, materials, view = sphere_grid()
    projection = perspective(45.0, 1.0, 0.1, 100.0)
    value, one_only, ours, _, mask = compare(posed, materials, [], view, projection)
    assert mask.sum() > 0.2 * SIZE[0] * SIZE[1]
    assert one_only < 0.01
    assert value >= 40.0, value
    # the grid spans what the BRDF does: metals take the base colour into their
    # highlight, rough dielectrics spread theirs
    assert ours.linear.max() > 0.5


@pytest.mark.gl
def test_sphere_grid_orthographic_matches_glsl():
    posed, materials, view = sphere_grid()
    projection = orthographic(2.5, 2.5, 0.1, 100.0)
    value, one_only, _, _, _ = compare(posed, materials, [], view, projection)
    assert one_only < 0.01
    assert value >= 40.0, value


@pytest.mark.gl
def test_flight_helmet_matches_glsl():
    posed, materials, textures = posed_model(DATA / "FlightHelmet" / "FlightHelmet.gltf")
    view, projection = framed_camera(posed, yaw=30.0)
    value, one_only, _, _, mask = compare(posed, materials, textures, view, projection, size=(320, 320))
    assert mask.sum() > 0.1 * 320 * 320
    assert one_only < 0.02
    assert value >= 40.0, value


@pytest.mark.parametrize("environment", [None, "studio"])
def test_packed_maps_give_exactly_what_separate_fetches_give(environment):
    """FlightHelmet's normal and occlusion-roughness-metal maps (and its opaque base
    colours) share UVs and sizes, so each material samples them in one packed
    fetch; an explicit identity KHR_texture_transform on the normal map leaves the
    UVs as they are but makes the maps be fetched one by one. The pictures must be
    the same to the bit."""
    import dataclasses

    from holopack.rendering.pbr_setup import plan_maps

    posed, materials, textures = posed_model(DATA / "FlightHelmet" / "FlightHelmet.gltf")
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    separate = [dataclasses.replace(m, normal_transform=identity) for m in materials]
    occlusion = environment is not None
    packed_plan = plan_maps(materials, textures, True, occlusion)
    assert len(packed_plan.packed) >= len(materials) - 1  # the lenses' maps differ in size
    assert any(layers == 3 for _, layers, _ in packed_plan.packed.values())
    assert all(occ == occlusion for _, _, occ in packed_plan.packed.values())
    assert not plan_maps(separate, textures, True, occlusion).packed
    view, projection = framed_camera(posed, yaw=30.0)
    pictures = [
        Renderer((192, 192), 1, lights=LIGHTS).draw(
            posed, mats, textures, view, projection, "pbr", environment=environment
        )
        for mats in (materials, separate)
    ]
    assert np.count_nonzero(pictures[0].alpha) > 0.1 * 192 * 192
    assert np.array_equal(pictures[0].linear, pictures[1].linear)
    assert np.array_equal(pictures[0].color, pictures[1].color)


def test_an_unlit_material_with_maps_keeps_its_base_colour_texture():
    """KHR_materials_unlit draws factor x base colour texture whatever the shading;
    maps it also carries (packable ones here) must not take its texture away."""
    import dataclasses

    posed, materials, textures = posed_model(DATA / "FlightHelmet" / "FlightHelmet.gltf")
    unlit = [dataclasses.replace(m, unlit=True) for m in materials]
    view, projection = framed_camera(posed, yaw=30.0)
    pictures = [
        Renderer((160, 160), 1, lights=LIGHTS).draw(
            posed, unlit, textures, view, projection, shading, tone_mapping="none"
        )
        for shading in ("pbr", "unlit")
    ]
    assert np.count_nonzero(pictures[0].alpha) > 0.1 * 160 * 160
    assert np.array_equal(pictures[0].linear, pictures[1].linear)


def _png_uri(pixels: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def product_model(path) -> str:
    """A textured PBR "bottle" written as glTF: base colour (UV set 0 through a
    KHR_texture_transform), metallic-roughness (UV set 1: metal bands, varying
    roughness), an emissive label with KHR_materials_emissive_strength."""
    rng = np.random.default_rng(7)
    pos, nrm, uv, idx = sphere((0.0, 0.0, 0.0), 1.0, rings=32, segments=64)
    pos = pos * np.array([0.6, 1.2, 0.6], np.float32)
    nrm = nrm / np.array([0.6, 1.2, 0.6], np.float32)
    nrm = (nrm / np.linalg.norm(nrm, axis=1, keepdims=True)).astype(np.float32)
    uv1 = np.stack([uv[:, 1], uv[:, 0]], axis=1).astype(np.float32)  # a second, swapped set
    b = GltfBuilder()
    mesh = b.triangle_mesh(pos, idx, NORMAL=nrm, TEXCOORD_0=uv, TEXCOORD_1=uv1)
    b.root(b.node(mesh=mesh))
    yy, xx = np.mgrid[0:64, 0:64]
    base = np.zeros((64, 64, 4), np.uint8)
    base[..., 0] = 40 + 180 * ((xx // 8 + yy // 8) % 2)
    base[..., 1] = 90 + yy * 2
    base[..., 2] = 200 - xx * 2
    base[..., 3] = 255
    mr = np.zeros((64, 64, 4), np.uint8)
    mr[..., 1] = (60 + 190 * xx / 63).astype(np.uint8)  # roughness across
    mr[..., 2] = np.where((yy // 16) % 2 == 0, 255, 0)  # metal bands
    mr[..., 3] = 255
    em = (rng.random((32, 32, 4)) * 255).astype(np.uint8)
    em[..., 3] = 255
    doc = b.build()
    doc["images"] = [{"uri": _png_uri(base)}, {"uri": _png_uri(mr)}, {"uri": _png_uri(em)}]
    doc["textures"] = [{"source": 0}, {"source": 1}, {"source": 2}]
    transform = {"KHR_texture_transform": {"offset": [0.1, 0.0], "scale": [2.0, 1.0], "rotation": 0.3}}
    doc["materials"] = [
        {
            "name": "bottle",
            "pbrMetallicRoughness": {
                "baseColorTexture": {"index": 0, "extensions": transform},
                "metallicRoughnessTexture": {"index": 1, "texCoord": 1},
                "metallicFactor": 1.0,
                "roughnessFactor": 0.9,
            },
            "emissiveTexture": {"index": 2},
            "emissiveFactor": [0.05, 0.04, 0.02],
            "extensions": {"KHR_materials_emissive_strength": {"emissiveStrength": 3.0}},
        }
    ]
    doc["meshes"][0]["primitives"][0]["material"] = 0
    doc["extensionsUsed"] = ["KHR_texture_transform", "KHR_materials_emissive_strength"]
    return write_gltf(path, doc)


@pytest.mark.gl
def test_textured_product_model_matches_glsl(tmp_path):
    scene = holopack.load(product_model(tmp_path / "bottle.gltf"))
    m = scene.materials[0]
    assert m.metallic_roughness_texcoord == 1 and m.base_color_transform is not None
    assert m.emissive_strength == 3.0
    posed = scene.pose(None, 0.0)
    view, projection = framed_camera(posed, yaw=20.0)
    value, one_only, _, _, mask = compare(posed, scene.materials, scene.textures, view, projection)
    assert mask.sum() > 0.1 * SIZE[0] * SIZE[1]
    assert one_only < 0.01
    assert value >= 40.0, value


def plate(normal=(0.0, 0.0, 1.0)):
    """A 2 x 2 square at the origin facing ``normal``: posed primitive."""
    n = np.asarray(normal, np.float64)
    n /= np.linalg.norm(n)
    u = np.cross(n, [0.0, 1.0, 0.0] if abs(n[1]) < 0.9 else [1.0, 0.0, 0.0])
    u /= np.linalg.norm(u)
    v = np.cross(n, u)
    corners = np.array([-u - v, u - v, u + v, -u + v], np.float32)
    normals = np.repeat(n[None].astype(np.float32), 4, axis=0)
    prim = Primitive(
        positions=corners, normals=normals, indices=np.array([[0, 1, 2], [0, 2, 3]], np.int32), material=0
    )
    return PosedPrimitive(positions=corners, normals=normals, primitive=prim)


def test_lambertian_plate_gives_base_over_pi_times_irradiance_cos():
    """A rough dielectric is not quite Lambertian (Fresnel, the GGX lobe), so the
    closed form is checked on its diffuse part by taking metallic 0 and reading the
    plate where the specular lobe is negligible: roughness 1, light at 60 degrees and
    an orthographic eye straight on. Then radiance = (1 - F) base / pi E cos + spec,
    with F and spec from the closed forms below."""
    base = np.array([0.7, 0.5, 0.3])
    material = Material(
        base_color_factor=np.array([*base, 1.0], np.float32), metallic_factor=0.0, roughness_factor=1.0
    )
    theta = math.radians(60.0)
    light = holopack.DirectionalLight(
        direction=(-math.sin(theta), 0.0, -math.cos(theta)), color=(1.0, 0.8, 0.6), intensity=3.0
    )
    view = look_at(np.array([0.0, 0.0, 5.0]), np.zeros(3), np.array([0.0, 1.0, 0.0]))
    projection = orthographic(2.0, 2.0, 0.1, 10.0)
    frame = Renderer((64, 64), 1, lights=[light]).draw(
        [plate()], [material], [], view, projection, "pbr", tone_mapping="none"
    )
    e = np.array(light.color) * light.intensity
    # closed form at N = V = +Z, L at 60 degrees: H halfway, N.H = V.H = cos 30
    ndl, ndv = math.cos(theta), 1.0
    ndh = vdh = math.cos(theta / 2)
    a2 = 1.0  # roughness 1
    f = 0.04 + 0.96 * (1.0 - vdh) ** 5
    d = a2 / (math.pi * (ndh * ndh * (a2 - 1.0) + 1.0) ** 2)
    vis = 0.5 / (ndl * math.sqrt(ndv * ndv * (1 - a2) + a2) + ndv * math.sqrt(ndl * ndl * (1 - a2) + a2))
    expected = ((1.0 - f) * base / math.pi + f * d * vis) * e * ndl
    centre = frame.linear[16:48, 16:48].reshape(-1, 3)
    assert np.allclose(centre, expected, rtol=1e-4, atol=1e-6), (centre[0], expected)
    # and the diffuse part alone is what Lambert gives: base / pi x E cos
    lambert = base / math.pi * e * ndl
    assert np.allclose(centre[0] - f * d * vis * e * ndl, (1.0 - f) * lambert, rtol=1e-4)


def test_metal_mirror_plate_peak_is_f0_d_vis():
    """A metal plate seen along the reflection of the light: N.H = V.H = 1, so
    F = F0 = base, D = 1 / (pi a^2), and the radiance is base D Vis E N.L."""
    base = np.array([0.95, 0.64, 0.54])
    rough = 0.5
    material = Material(
        base_color_factor=np.array([*base, 1.0], np.float32), metallic_factor=1.0, roughness_factor=rough
    )
    light = holopack.DirectionalLight(direction=(0.0, 0.0, -1.0), intensity=2.0)
    view = look_at(np.array([0.0, 0.0, 5.0]), np.zeros(3), np.array([0.0, 1.0, 0.0]))
    projection = orthographic(2.0, 2.0, 0.1, 10.0)
    frame = Renderer((32, 32), 1, lights=[light]).draw(
        [plate()], [material], [], view, projection, "pbr", tone_mapping="none"
    )
    a2 = rough**4
    d = 1.0 / (math.pi * a2)
    vis = 0.5 / (2.0 * math.sqrt(1.0))  # N.L = N.V = 1: sqrt(1 - a2 + a2) = 1
    expected = base * d * vis * 2.0
    assert np.allclose(frame.linear[8:24, 8:24].reshape(-1, 3), expected, rtol=1e-4)


def test_point_light_falls_off_with_inverse_square_and_range():
    """KHR_lights_punctual: a point light of intensity I at distance d gives I / d^2
    on a surface facing it, windowed by clamp(1 - (d / range)^4, 0, 1)^2."""
    base = np.array([0.8, 0.8, 0.8])
    material = Material(
        base_color_factor=np.array([*base, 1.0], np.float32), metallic_factor=0.0, roughness_factor=1.0
    )
    view = look_at(np.array([0.0, 0.0, 5.0]), np.zeros(3), np.array([0.0, 1.0, 0.0]))
    projection = orthographic(2.0, 2.0, 0.1, 10.0)
    for rng, window in ((None, 1.0), (4.0, (1.0 - (2.0 / 4.0) ** 4) ** 2)):
        # the plate is at view z = -5; the light 2 units in front of it, on the axis
        light = holopack.PointLight(position=(0.0, 0.0, -3.0), intensity=10.0, range=rng)
        frame = Renderer((33, 33), 1, lights=[light]).draw(
            [plate()], [material], [], view, projection, "pbr", tone_mapping="none"
        )
        e = 10.0 / 4.0 * window
        f = 0.04  # N = L = V = H: F = F0
        d = 1.0 / math.pi
        expected = ((1.0 - f) * base / math.pi + f * d * 0.25) * e
        assert np.allclose(frame.linear[16, 16], expected, rtol=2e-3), (rng, frame.linear[16, 16], expected)


def test_emission_is_added_once_with_its_strength():
    material = Material(
        base_color_factor=np.array([0.0, 0.0, 0.0, 1.0], np.float32),
        metallic_factor=0.0,
        roughness_factor=1.0,
        emissive_factor=np.array([0.2, 0.1, 0.05], np.float32),
        emissive_strength=4.0,
    )
    view = look_at(np.array([0.0, 0.0, 5.0]), np.zeros(3), np.array([0.0, 1.0, 0.0]))
    projection = orthographic(2.0, 2.0, 0.1, 10.0)
    frame = Renderer((16, 16), 1, lights=[]).draw(
        [plate()], [material], [], view, projection, "pbr", tone_mapping="none"
    )
    assert np.allclose(frame.linear[8, 8], [0.8, 0.4, 0.2], rtol=1e-5)


def test_model_lights_are_read_and_placed_by_their_nodes(tmp_path):
    """KHR_lights_punctual: a point light on a node 2 units above a plate facing +Z
    gives I / 4 on it (the node's world matrix places the light; the view carries
    it into view space); a spot light's cone, on a rotated node, points down its -Z."""
    from _gltf_builder import quad_primitive

    from holopack.rendering.model_lights import model_lights_in_view

    b, prim = quad_primitive()
    prim["material"] = 0
    doc = b.document([prim])
    doc["nodes"][0]["translation"] = [-0.5, -0.5, 0.0]  # the unit quad centred on the origin
    doc["nodes"] += [
        {"translation": [0.0, 0.0, 2.0], "extensions": {"KHR_lights_punctual": {"light": 0}}},
        {
            "translation": [5.0, 0.0, 0.0],
            "rotation": [0.0, 0.7071068, 0.0, 0.7071068],
            "extensions": {"KHR_lights_punctual": {"light": 1}},
        },
    ]
    doc["scenes"][0]["nodes"] = [0, 1, 2]
    doc["extensions"] = {
        "KHR_lights_punctual": {
            "lights": [
                {"type": "point", "intensity": 8.0, "color": [1.0, 0.5, 0.25]},
                {"type": "spot", "intensity": 3.0, "spot": {"innerConeAngle": 0.1, "outerConeAngle": 0.3}},
            ]
        }
    }
    doc["extensionsUsed"] = ["KHR_lights_punctual"]
    doc["materials"] = [
        {
            "pbrMetallicRoughness": {
                "baseColorFactor": [0.5, 0.5, 0.5, 1.0],
                "metallicFactor": 0.0,
                "roughnessFactor": 1.0,
            }
        }
    ]
    scene = holopack.load(write_gltf(tmp_path / "lit.gltf", doc))
    assert [light.kind for light in scene.lights] == ["point", "spot"]
    view = look_at(np.array([0.0, 0.0, 5.0]), np.zeros(3), np.array([0.0, 1.0, 0.0]))
    lights = model_lights_in_view(scene, view)
    point, spot = lights
    assert np.allclose(point.position, (0.0, 0.0, -3.0), atol=1e-6)  # 5 - 2 in front of the eye
    # the spot's node turns -Z by +90 degrees about Y: it shines along world -X
    assert np.allclose(spot.direction, (-1.0, 0.0, 0.0), atol=1e-6)
    projection = orthographic(1.0, 1.0, 0.1, 10.0)
    frame = Renderer((33, 33), 1, lights=[point]).draw(
        scene.pose(None, 0.0), scene.materials, scene.textures, view, projection, "pbr", tone_mapping="none"
    )
    e = 8.0 / 4.0 * np.array([1.0, 0.5, 0.25])
    f, d = 0.04, 1.0 / math.pi  # N = L = V = H, roughness 1
    expected = ((1.0 - f) * 0.5 / math.pi + f * d * 0.25) * e
    assert np.allclose(frame.linear[16, 16], expected, rtol=2e-3), (frame.linear[16, 16], expected)


def _sh_environment(seed=11):
    """An environment object holding only irradiance SH (9, 3): a bright band-0 term
    and smaller directional terms, so E(n) > 0 everywhere and varies with n."""
    from types import SimpleNamespace

    rng = np.random.default_rng(seed)
    sh = rng.normal(scale=0.15, size=(9, 3))
    sh[0] = [2.0, 1.8, 1.6]
    return SimpleNamespace(sh=sh)


def test_uniform_environment_reflects_base_over_pi_times_irradiance_times_occlusion():
    """With E(n) = E0 for every n (band 0 alone) a dielectric returns c_diff / pi E0,
    dimmed by the occlusion map (1 + strength (R - 1)) and by nothing else."""
    from types import SimpleNamespace

    e0 = 1.7
    sh = np.zeros((9, 3))
    sh[0] = e0 / 0.282095
    occlusion = np.zeros((8, 8, 4), np.uint8)
    occlusion[..., 0] = 128  # R = 128/255, linear data
    occlusion[..., 3] = 255
    base = np.array([0.6, 0.4, 0.2])
    material = Material(
        base_color_factor=np.array([*base, 1.0], np.float32),
        metallic_factor=0.0,
        roughness_factor=1.0,
        occlusion_texture=0,
        occlusion_strength=0.8,
    )
    posed = [plate()]
    posed[0].primitive.uv = [np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32)]
    view = look_at(np.array([0.0, 0.0, 5.0]), np.zeros(3), np.array([0.0, 1.0, 0.0]))
    projection = orthographic(2.0, 2.0, 0.1, 10.0)

    def draw(**environment):
        return Renderer((32, 32), 1, lights=[]).draw(
            posed,
            [material],
            [holopack.scene.types.Texture(occlusion)],
            view,
            projection,
            "pbr",
            tone_mapping="none",
            **environment,
        )

    frame = draw(environment=SimpleNamespace(sh=sh))
    ao = 1.0 + 0.8 * (128 / 255 - 1.0)
    expected = base / math.pi * e0 * ao
    assert np.allclose(frame.linear[8:24, 8:24].reshape(-1, 3), expected, rtol=1e-4)
    # without the environment the occlusion map changes nothing: the plate is black
    assert draw().linear.max() == 0.0


@pytest.mark.gl
def test_sphere_grid_in_an_environment_matches_glsl():
    posed, materials, view = sphere_grid()
    projection = perspective(45.0, 1.0, 0.1, 100.0)
    env = _sh_environment()
    renderer = Renderer(SIZE, 1, lights=LIGHTS)
    ours = renderer.draw(posed, materials, [], view, projection, "pbr", tone_mapping="none", environment=env)
    linear, coverage, _ = gl_render_pbr(posed, materials, [], view, projection, SIZE, LIGHTS, sh=env.sh)
    both = (ours.alpha > 0) & (coverage > 0)
    assert linear_psnr(ours.linear, linear, both) >= 40.0


@pytest.mark.gl
def test_flight_helmet_in_an_environment_with_its_occlusion_maps_matches_glsl():
    posed, materials, textures = posed_model(DATA / "FlightHelmet" / "FlightHelmet.gltf")
    assert all(m.occlusion_texture is not None for m in materials)
    view, projection = framed_camera(posed, yaw=-40.0)
    env = _sh_environment(5)
    ours = Renderer((320, 320), 1, lights=LIGHTS).draw(
        posed, materials, textures, view, projection, "pbr", tone_mapping="none", environment=env
    )
    linear, coverage, depth = gl_render_pbr(
        posed, materials, textures, view, projection, (320, 320), LIGHTS, sh=env.sh
    )
    padded = np.pad(depth, 1, constant_values=1.0)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    smooth = (windows.max(axis=(2, 3)) - windows.min(axis=(2, 3))) < 0.01
    mask = (ours.alpha > 0) & (coverage > 0) & smooth
    assert mask.sum() > 0.1 * 320 * 320
    assert linear_psnr(ours.linear, linear, mask) >= 40.0


def _pixel_points(size, view, projection, plane_point, plane_normal):
    """View-space points where each pixel centre's ray meets a plane (view space)."""
    w, h = size
    inv = np.linalg.inv(np.asarray(projection, np.float64))
    xs = (np.arange(w) + 0.5) / w * 2 - 1
    ys = 1 - (np.arange(h) + 0.5) / h * 2
    x, y = np.meshgrid(xs, ys)
    near = np.stack([x, y, -np.ones_like(x), np.ones_like(x)], -1) @ inv.T
    far = np.stack([x, y, np.ones_like(x), np.ones_like(x)], -1) @ inv.T
    a = near[..., :3] / near[..., 3:]
    b = far[..., :3] / far[..., 3:]
    d = b - a
    t = ((plane_point - a) @ plane_normal) / (d @ plane_normal)
    return a + t[..., None] * d


@pytest.mark.parametrize("metallic, rough", [(0.0, 0.3), (1.0, 0.3), (1.0, 0.7), (0.0, 0.9)])
def test_studio_environment_matches_its_numpy_reference(metallic, rough):
    """A tilted plate in the studio environment, no lights, perspective (so the eye
    direction and the mirror direction vary over it): every pixel is
    c_diff / pi E(n) + prefiltered(R, roughness) (F0 A + B) with the environment's own
    numpy lookups, R the eye's mirror about N."""
    from holopack.rendering import environment as envmod

    env = envmod.studio()
    base = np.array([0.7, 0.55, 0.3])
    material = Material(
        base_color_factor=np.array([*base, 1.0], np.float32), metallic_factor=metallic, roughness_factor=rough
    )
    normal = np.array([0.3, 0.5, 0.81])
    normal /= np.linalg.norm(normal)
    view = look_at(np.array([0.0, 0.0, 4.0]), np.zeros(3), np.array([0.0, 1.0, 0.0]))
    projection = perspective(40.0, 1.0, 0.1, 20.0)
    size = (48, 48)
    frame = Renderer(size, 1, lights=[]).draw(
        [plate(normal)], [material], [], view, projection, "pbr", tone_mapping="none", environment="studio"
    )
    n_view = view[:3, :3] @ normal
    points = _pixel_points(size, view, projection, view[:3, 3], n_view)
    covered = frame.alpha > 0
    assert covered.mean() > 0.3
    v = -points[covered]
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    ndv = np.clip(v @ n_view, 0.0, 1.0)
    r = 2 * (v @ n_view)[:, None] * n_view - v
    r /= np.linalg.norm(r, axis=1, keepdims=True)
    c_diff = base * (1 - metallic)
    f0 = 0.04 * (1 - metallic) + base * metallic
    ab = envmod.split_sum(env, ndv, rough)
    expected = c_diff / math.pi * np.maximum(envmod.irradiance(env, np.tile(n_view, (len(v), 1))), 0.0)
    expected = expected + envmod.prefiltered(env, r, rough) * (f0[None] * ab[:, :1] + ab[:, 1:])
    got = frame.linear[covered].astype(np.float64)
    # pixels on the plate's edge are partly the plate: compare those fully inside
    inside = np.zeros(size[::-1], bool)
    inside[1:-1, 1:-1] = (
        covered[1:-1, 1:-1] & covered[:-2, 1:-1] & covered[2:, 1:-1] & covered[1:-1, :-2] & covered[1:-1, 2:]
    )
    keep = inside[covered]
    assert np.allclose(got[keep], expected[keep], rtol=2e-3, atol=2e-4), np.abs(
        got[keep] - expected[keep]
    ).max()


@njit
def _packed_at(pool, levels, level_count, wrap, t, layers, uvs, out):
    for i in range(uvs.shape[0]):
        out[i] = packed_maps(
            data_pointer(pool),
            data_pointer(levels),
            data_pointer(level_count),
            data_pointer(wrap),
            t,
            layers,
            uvs[i, 0],
            uvs[i, 1],
            uvs[i, 2],
            uvs[i, 3],
            uvs[i, 4],
            uvs[i, 5],
        )


@njit
def _one_at(pool, levels, level_count, wrap, t, uvs, out):
    for i in range(uvs.shape[0]):
        out[i] = sample_trilinear(
            pool,
            levels,
            level_count,
            wrap,
            t,
            uvs[i, 0],
            uvs[i, 1],
            uvs[i, 2],
            uvs[i, 3],
            uvs[i, 4],
            uvs[i, 5],
        )


@pytest.mark.parametrize("wrap", [(10497, 10497), (33071, 33648)])
@pytest.mark.parametrize("layers", [2, 3])
def test_packed_maps_through_pointers_give_each_map_as_sampled_alone(wrap, layers):
    """packed_maps, called with pointers to the pool's arrays, returns for each layer
    exactly what the texture sampler gives for that map packed on its own, at UVs
    across and beyond one period and derivatives that span every mip level."""
    rng = np.random.default_rng(18)
    maps = [
        Texture(rng.integers(0, 256, (24, 40, 4)).astype(np.uint8), wrap_s=wrap[0], wrap_t=wrap[1])
        for _ in range(3)
    ]
    base, normal, rough = maps
    packed = ((base, True), (normal, False), (rough, False))[3 - layers :]
    pool, levels, level_count, wrap_table = TexturePool().pack([base], [normal, rough], [packed])
    uvs = np.column_stack(
        [
            rng.uniform(-2.5, 2.5, (400, 2)),
            rng.uniform(-0.2, 0.2, (400, 4)) * rng.choice([1e-4, 1e-2, 1.0], (400, 1)),
        ]
    )
    uvs[0] = (0.0, 1.0, 0.0, 0.0, 0.0, 0.0)
    got = np.zeros((400, 9))
    _packed_at(pool, levels, level_count, wrap_table, 3, layers, uvs, got)
    for k, t in enumerate((0, 1, 2)):
        alone = np.zeros((400, 4))
        _one_at(pool, levels, level_count, wrap_table, t, uvs, alone)
        if k == 0 and layers == 2:
            assert not got[:, 0:3].any()
            continue
        assert np.array_equal(got[:, 3 * k : 3 * k + 3], alone[:, :3]), k


@pytest.mark.parametrize("supersample", [1, 2])
@pytest.mark.parametrize("tone_mapping, exposure", [("neutral", 1.0), ("aces", 1.7), ("none", 0.6)])
def test_tone_mapped_colour_is_the_linear_picture_tone_mapped(supersample, tone_mapping, exposure):
    """The colour of a tone-mapped picture, which the tone-mapping pass alone writes in
    the tiles that triangles reach, is the published curve of frame.linear where covered
    and black elsewhere, translucent spheres and tiles left out by restrict_tiles included."""
    posed, materials, view = sphere_grid()
    for m in materials[::3]:
        m.alpha_mode = "BLEND"
        m.base_color_factor = np.array([0.2, 0.6, 0.9, 0.4], np.float32)
    size = (200, 168)  # tiles cut short at two edges
    renderer = Renderer(size, supersample, lights=LIGHTS)
    mask = np.ones((6, 7), bool)
    mask[1, 2] = mask[3, 4] = False
    renderer.restrict_tiles(mask)
    projection = perspective(45.0, size[0] / size[1], 0.1, 100.0)
    frame = renderer.draw(
        posed, materials, [], view, projection, "pbr", tone_mapping=tone_mapping, exposure=exposure
    )
    assert frame.tone_mapped
    covered = frame.alpha > 0
    assert 0.2 < covered.mean() < 0.9 and ((frame.alpha > 0) & (frame.alpha < 1)).any()
    assert np.all(frame.color[~covered] == 0)
    expected = tone_map_reference(frame.linear, exposure, tone_mapping)
    diff = np.abs(frame.color.astype(int) - expected.astype(int))[covered]
    assert diff.max() <= 1 and np.mean(diff > 0) < 0.01


@pytest.mark.parametrize("shading", ["lit", "unlit"])
def test_lit_and_unlit_draws_decode_only_the_colour_textures_they_sample(monkeypatch, shading):
    """Blinn-Phong and unlit read a material's base colour and emissive textures only: its
    normal and metallic-roughness maps are never decoded for them, and leaving them out
    changes no pixel (the draw with every texture decoded, as before, is the reference)."""
    import holopack.rendering.renderer as renderer_module
    import holopack.rendering.texture_kernel as texture_kernel
    from holopack.rendering.pbr_setup import MapPlan

    scene = holopack.load(DATA / "FlightHelmet" / "FlightHelmet.gltf")
    posed = scene.pose(None, 0.0)
    view, projection = framed_camera(posed, yaw=35.0)
    sampled, maps = colour_and_map_textures(scene)
    assert sampled and maps and not sampled & maps
    decoded: list[int] = []
    decode = texture_kernel.decode_texture

    def counting(texture, srgb=True):
        decoded.append(id(texture))
        return decode(texture, srgb)

    monkeypatch.setattr(texture_kernel, "decode_texture", counting)
    picture = Renderer((160, 160), 1).draw(posed, scene.materials, scene.textures, view, projection, shading)
    assert set(decoded) == sampled
    plan_maps = renderer_module.plan_maps
    monkeypatch.setattr(
        renderer_module,
        "plan_maps",
        lambda m, t, pbr=True, occlusion=False: MapPlan() if not pbr else plan_maps(m, t, pbr, occlusion),
    )
    decoded.clear()
    everything = Renderer((160, 160), 1).draw(
        posed, scene.materials, scene.textures, view, projection, shading
    )
    assert set(decoded) >= sampled | maps
    assert np.array_equal(picture.color, everything.color)
