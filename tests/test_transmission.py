"""KHR_materials_transmission (and KHR_materials_volume's tint): glass, clear plastic and
liquids show what lies behind them.

On a fan black is transparent, so a glass bottle drawn as an opaque surface of its base
colour (white, for clear glass) became a glowing white solid that hid the product inside.
A see-through surface is now drawn over what lies behind it: the light from behind passes
through tinted by the base colour (and by attenuation_color ** (thickness / distance)),
and the surface adds its own light with its diffuse part scaled by 1 - transmission. The
expected pictures are worked out here from those rules in numpy (unlit: the closed form
per pixel), or from an equivalent opaque scene (clear glass over nothing is exactly the
highlights and rim of a black dielectric), and the preview's OpenGL panel, a second
implementation in GLSL, must agree with the Numba render.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from _gltf_builder import GltfBuilder, write_gltf

from holopack.cli import main
from holopack.rendering import Renderer
from holopack.rendering.camera import look_at, perspective
from holopack.scene.load import load
from holopack.scene.types import Material, PosedPrimitive, Primitive

SIZE = 64
VIEW = look_at((0.0, 0.0, 4.0), (0.0, 0.0, 0.0))
PROJECTION = perspective(40.0, 1.0, 0.1, 100.0)
BACKDROP = (0.2, 0.6, 0.9)
GLASS = (1.0, 0.5, 0.25)


def square(z: float, half: float, material: int) -> PosedPrimitive:
    """A square facing the camera (+Z) at depth z."""
    p = np.array([[-half, -half, z], [half, -half, z], [half, half, z], [-half, half, z]], np.float32)
    n = np.tile(np.array([0.0, 0.0, 1.0], np.float32), (4, 1))
    prim = Primitive(p, n, np.array([[0, 1, 2], [0, 2, 3]], np.int32), material)
    return PosedPrimitive(p, n, prim)


def ball() -> PosedPrimitive:
    """A sphere of radius 0.8 about the origin: every normal facing the camera, so that
    the lights' highlights and the rim fall on it."""
    import trimesh

    mesh = trimesh.creation.icosphere(subdivisions=3, radius=0.8)
    p = np.asarray(mesh.vertices, np.float32)
    n = np.asarray(mesh.vertex_normals, np.float32)
    return PosedPrimitive(p, n, Primitive(p, n, np.asarray(mesh.faces, np.int32), 0))


def material(rgb, **fields) -> Material:
    return Material(base_color_factor=np.array([*rgb, 1.0], np.float32), metallic_factor=0.0, **fields)


def draw(materials, posed, shading):
    return Renderer((SIZE, SIZE), 1).draw(posed, materials, [], VIEW, PROJECTION, shading)


def glass_window(frame) -> np.ndarray:
    """Pixels well inside the front square (half 0.5 at z 0.5)."""
    return frame.linear[26:38, 26:38]


@pytest.mark.parametrize("transmission", [0.25, 0.75, 1.0])
def test_a_see_through_surface_shows_what_lies_behind_tinted_by_its_colour(transmission):
    # unlit: a pixel is (1 - t) base + t base tint behind, exactly
    attenuation = (0.5, 1.0, 0.8)
    glass = material(
        GLASS,
        transmission_factor=transmission,
        attenuation_color=np.array(attenuation, np.float32),
        attenuation_distance=0.5,
        thickness_factor=1.0,
    )
    frame = draw([material(BACKDROP), glass], [square(0.0, 1.0, 0), square(0.5, 0.5, 1)], "unlit")
    tint = np.array(attenuation) ** (1.0 / 0.5)
    base = np.array(GLASS)
    expected = (1 - transmission) * base + transmission * base * tint * np.array(BACKDROP)
    np.testing.assert_allclose(glass_window(frame), np.broadcast_to(expected, (12, 12, 3)), atol=1e-5)
    # the backdrop beside the glass is untouched
    np.testing.assert_allclose(frame.linear[32, 12], BACKDROP, atol=1e-6)


def test_without_transmission_the_surface_hides_what_lies_behind():
    frame = draw([material(BACKDROP), material(GLASS)], [square(0.0, 1.0, 0), square(0.5, 0.5, 1)], "unlit")
    np.testing.assert_allclose(glass_window(frame), np.broadcast_to(GLASS, (12, 12, 3)), atol=1e-6)


@pytest.mark.parametrize("shading", ["lit", "pbr"])
def test_clear_glass_over_nothing_is_its_highlights_alone(shading):
    # white glass that lets everything through scatters no diffuse light: over black it
    # is the light of a black dielectric of its roughness (specular, rim), and it adds
    # no coverage of its own where it lets all the light behind through
    posed = [ball()]
    glass = draw([material((1.0, 1.0, 1.0), transmission_factor=1.0, roughness_factor=0.3)], posed, shading)
    black = draw([material((0.0, 0.0, 0.0), roughness_factor=0.3)], posed, shading)
    covered = black.alpha > 0
    assert covered.mean() > 0.2 and np.max(black.linear) > 0.02  # something to compare
    np.testing.assert_allclose(glass.linear, black.linear, atol=1e-6)
    np.testing.assert_allclose(glass.alpha[covered], 0.0, atol=1e-6)


def test_a_blend_surface_that_transmits_lets_through_both_ways():
    # alpha a and transmission t: behind x (1 - a + a t base), plus a (1 - t) base
    a, t = 0.5, 0.6
    glass = Material(
        base_color_factor=np.array([*GLASS, a], np.float32),
        metallic_factor=0.0,
        alpha_mode="BLEND",
        transmission_factor=t,
    )
    frame = draw([material(BACKDROP), glass], [square(0.0, 1.0, 0), square(0.5, 0.5, 1)], "unlit")
    base, behind = np.array(GLASS), np.array(BACKDROP)
    expected = a * (1 - t) * base + (1 - a + a * t * base) * behind
    np.testing.assert_allclose(glass_window(frame), np.broadcast_to(expected, (12, 12, 3)), atol=1e-5)


def glass_model(path, transmission=0.9, extra=None) -> str:
    """A unit quad whose material is see-through, with a volume and a clearcoat."""
    b = GltfBuilder()
    pos = b.add(np.array([[-0.5, -0.5, 0], [0.5, -0.5, 0], [0.5, 0.5, 0], [-0.5, 0.5, 0]], np.float32))
    idx = b.add(np.array([0, 1, 2, 0, 2, 3], np.uint16))
    extensions = {
        "KHR_materials_transmission": {"transmissionFactor": transmission},
        "KHR_materials_volume": {
            "thicknessFactor": 0.2,
            "attenuationDistance": 0.4,
            "attenuationColor": [0.9, 0.5, 0.2],
        },
        "KHR_materials_clearcoat": {"clearcoatFactor": 1.0},
        "KHR_materials_ior": {"ior": 1.45},
        **(extra or {}),
    }
    doc = b.document(
        [{"attributes": {"POSITION": pos}, "indices": idx, "material": 0}],
        materials=[{"name": "glass", "extensions": extensions}],
        extensionsUsed=sorted(extensions),
    )
    return write_gltf(path, doc)


def test_the_loader_reads_transmission_and_volume_and_names_what_it_leaves_out(tmp_path, capsys):
    path = glass_model(tmp_path / "bottle.gltf")
    m = load(path).materials[0]
    assert m.transmission_factor == pytest.approx(0.9)
    assert m.thickness_factor == pytest.approx(0.2) and m.attenuation_distance == pytest.approx(0.4)
    np.testing.assert_allclose(m.attenuation_color, [0.9, 0.5, 0.2], rtol=1e-6)
    assert set(m.not_drawn) == {"clearcoat", "index of refraction"}
    assert main(["inspect", path, "--json"]) == 0
    features = {
        f["feature"]: f["rendered"] for f in json.loads(capsys.readouterr().out)["materials"][0]["features"]
    }
    assert features["transmission 0.9 (KHR_materials_transmission)"].startswith("drawn")
    assert features["volume attenuation (KHR_materials_volume)"].startswith("drawn as a tint")
    assert features["clearcoat"] == "not drawn" and features["index of refraction"] == "not drawn"


def test_a_transmission_out_of_range_is_clamped_and_a_malformed_one_is_one_line(tmp_path, capsys):
    assert load(glass_model(tmp_path / "over.gltf", transmission=3.0)).materials[0].transmission_factor == 1.0
    path = glass_model(tmp_path / "bad.gltf", transmission="clear")
    out = tmp_path / "never.mp4"
    rc = main(
        ["export", path, "-o", str(out), "--device", "mp4-fan", "--size", "64", "--seconds", "0.05", "-q"]
    )
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "bad.gltf" in err and "transmissionFactor" in err and "Traceback" not in err
    assert not out.exists()


def test_export_lets_the_fan_show_through_a_glass_model(tmp_path):
    # the CLI end to end: the see-through quad in front of nothing, unlit, exported to
    # a square video, is dimmer than the same quad made opaque by the light it lets through
    from _video_probe import read_frames

    means = []
    for name, transmission in (("opaque", 0.0), ("glass", 0.9)):
        path = glass_model(
            tmp_path / f"{name}.gltf", transmission=transmission, extra={"KHR_materials_unlit": {}}
        )
        out = tmp_path / f"{name}.mp4"
        argv = ["export", path, "-o", str(out), "--device", "mp4-fan", "--size", "96", "--seconds", "0.1"]
        assert main([*argv, "--turntable", "0", "-q"]) == 0
        means.append(float(np.mean(read_frames(out)[0])))
    # base colour white, t 0.9: a tenth of the light is the surface's own
    assert means[1] < 0.35 * means[0], means


@pytest.mark.display
def test_the_live_panel_draws_see_through_surfaces_as_export_does():
    from _xvfb import hidden_gl_window

    glass = material(
        GLASS,
        transmission_factor=0.7,
        roughness_factor=0.2,
        attenuation_color=np.array([0.6, 0.9, 1.0], np.float32),
        attenuation_distance=1.0,
        thickness_factor=0.5,
    )
    materials = [material(BACKDROP), glass]
    posed = [square(0.0, 1.0, 0), square(0.5, 0.5, 1)]
    with hidden_gl_window("transmission test"):
        from holopack.rendering.gl.scene import SceneDrawer

        drawer = SceneDrawer()
        for shading in ("unlit", "lit", "pbr"):
            numba = draw(materials, posed, shading)
            drawer.draw(posed, materials, [], VIEW, PROJECTION, (SIZE, SIZE), shading=shading)
            live = drawer.read()
            diff = np.abs(numba.color.astype(int) - live.astype(int))
            assert diff.max() <= 2, (shading, diff.max())
            assert abs(int(numba.color[32, 32, 0]) - int(numba.color[32, 32, 2])) > 10  # tinted, not grey


def test_extensions_written_with_their_neutral_values_are_not_said(tmp_path):
    # Blender writes KHR_materials_specular and _ior for most materials; at the
    # specification's defaults they change nothing, and inspect says nothing of them
    neutral = {
        "KHR_materials_ior": {"ior": 1.5},
        "KHR_materials_specular": {"specularFactor": 1.0, "specularColorFactor": [1, 1, 1]},
        "KHR_materials_clearcoat": {},
        "KHR_materials_sheen": {"sheenColorFactor": [0, 0, 0], "sheenRoughnessFactor": 0.3},
    }
    path = glass_model(tmp_path / "neutral.gltf", extra=neutral)
    assert set(load(path).materials[0].not_drawn) == set()
    changed = dict(neutral, KHR_materials_sheen={"sheenColorFactor": [0.2, 0.1, 0.1]})
    changed["KHR_materials_specular"] = {"specularColorTexture": {"index": 0}}
    m = load(glass_model(tmp_path / "changed.gltf", extra=changed)).materials[0]
    assert set(m.not_drawn) == {"sheen", "specular"}
