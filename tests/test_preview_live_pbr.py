"""The preview's live panel draws shading="pbr" as holopack.render does.

shaders/scene_pbr.frag (through holopack.rendering.gl.scene) against the Numba renderer's
glTF metallic-roughness shading for the same posed geometry, camera and lights: the
maps (a normal-mapped model with mirrored UVs, FlightHelmet's packed normal and
metal-rough maps, a product model's texture transform, second UV set and emissive
strength), punctual point and spot lights, the studio environment with its occlusion,
and every tone mapping and exposure. Compared in linear light (the fan's input) and
as the panel's sRGB picture, over the pixels the model covers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _xvfb import hidden_gl_window
from test_normal_map import flank_contrast, mirrored_quad, scene_parts
from test_render_pbr import product_model

import holopack
from holopack.rendering import Renderer
from holopack.rendering.camera import Framing, fit_camera
from holopack.scene.load import load

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"
FLIGHT_HELMET = DATA / "FlightHelmet" / "FlightHelmet.gltf"
SIZE = 192
pytestmark = pytest.mark.display


@pytest.fixture(scope="module")
def gl_context():
    """The live scene drawer in a hidden window's GL 3.3 core context (Xvfb, EGL)."""
    with hidden_gl_window("live pbr test"):
        from holopack.rendering.gl.scene import SceneDrawer

        drawer = SceneDrawer()
        yield drawer
        drawer.release()


def covered_psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray, peak: float) -> float:
    mse = float(np.mean((a[mask].astype(np.float64) - b[mask].astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(peak**2 / mse)


def agreement(drawer, posed, materials, textures, view, projection, *, supersample=1, lights=None, **look):
    """PSNR of the live panel against Renderer.draw(..., "pbr") over the covered pixels:
    sRGB picture (peak 255) and linear light before tone mapping (peak 1)."""
    numba = Renderer((SIZE, SIZE), supersample, lights=lights).draw(
        posed, materials, textures, view, projection, "pbr", **look
    )
    drawer.draw(
        posed,
        materials,
        textures,
        view,
        projection,
        (SIZE, SIZE),
        supersample=supersample,
        lights=lights,
        shading="pbr",
        linear=True,
        **look,
    )
    live = drawer.read()
    live_rgba = drawer.read_linear()[::-1]  # GL's bottom row first
    live_linear = live_rgba[:, :, :3]
    covered = numba.alpha > 0
    live_covered = live_rgba[:, :, 3] > 0
    diff = np.abs(numba.color.astype(int) - live.astype(int)).max(axis=2)
    return {
        "psnr": covered_psnr(numba.color, live, covered, 255.0),
        "linear_psnr": covered_psnr(numba.linear, live_linear, covered, 1.0),
        "mismatch": float(np.mean(diff[covered] > 8)),  # visibly different covered pixels
        "covered": float(covered.mean()),
        "coverage_differs": float(np.mean(covered != live_covered)),
        "live": live,
        "numba": numba.color,
    }


def check(result, bar=40.0):
    summary = {k: v for k, v in result.items() if not isinstance(v, np.ndarray)}
    assert result["covered"] > 0.05, summary  # the model is in view, not an empty frame
    assert result["coverage_differs"] < 0.01, summary
    assert result["psnr"] >= bar, summary
    assert result["linear_psnr"] >= bar, summary
    assert result["mismatch"] <= 0.01, summary


def framed(posed, yaw=35.0, pitch=12.0):
    points = np.concatenate([p.positions for p in posed])
    camera = fit_camera(points, Framing(yaw=yaw, pitch=pitch))
    return camera.view, camera.projection


def test_live_pbr_matches_the_numba_render_on_the_default_twin_walking(gl_context):
    scene = load(TWIN)
    posed = scene.pose("Walking", 0.45)
    view, projection = framed(posed)
    check(agreement(gl_context, posed, scene.materials, scene.textures, view, projection))


@pytest.mark.parametrize(
    "look",
    [
        {"tone_mapping": "none"},
        {"tone_mapping": "neutral", "exposure": 1.6},
        {"tone_mapping": "aces", "environment": "studio"},
    ],
    ids=["none", "neutral-exposure", "aces-studio"],
)
def test_live_pbr_matches_the_numba_render_on_normal_mapped_flight_helmet(gl_context, look):
    scene = load(FLIGHT_HELMET)
    assert any(m.normal_texture is not None for m in scene.materials)
    posed = scene.pose(None, 0.0)
    view, projection = framed(posed, yaw=-120.0, pitch=-8.0)
    check(agreement(gl_context, posed, scene.materials, scene.textures, view, projection, **look))


def test_live_pbr_matches_supersampled_in_the_studio_environment(gl_context):
    scene = load(FLIGHT_HELMET)
    posed = scene.pose(None, 0.0)
    view, projection = framed(posed)
    check(
        agreement(
            gl_context,
            posed,
            scene.materials,
            scene.textures,
            view,
            projection,
            supersample=2,
            environment="studio",
        )
    )


def test_live_pbr_lights_a_textured_product_with_point_and_spot_lights(gl_context, tmp_path):
    scene = holopack.load(product_model(tmp_path / "bottle.gltf"))
    posed = scene.pose(None, 0.0)
    view, projection = framed(posed, yaw=20.0, pitch=0.0)
    eye_distance = float(np.linalg.norm(np.linalg.inv(view)[:3, 3]))
    lights = [
        holopack.DirectionalLight(direction=(0.3, -0.5, -0.8), intensity=1.5),
        holopack.PointLight(
            position=(-1.0, 1.0, -eye_distance + 2.0), color=(1.0, 0.8, 0.6), intensity=6.0, range=6.0
        ),
        holopack.SpotLight(
            position=(1.5, 0.0, -eye_distance + 2.5),
            direction=(-0.5, 0.0, -1.0),
            intensity=10.0,
            inner_cone_angle=0.1,
            outer_cone_angle=0.5,
        ),
    ]
    result = agreement(gl_context, posed, scene.materials, scene.textures, view, projection, lights=lights)
    check(result)
    # the point and spot lights reach the model: without them it is darker
    result_directional = agreement(
        gl_context, posed, scene.materials, scene.textures, view, projection, lights=lights[:1]
    )
    assert result["live"].astype(float).mean() > result_directional["live"].astype(float).mean() + 2.0


def test_live_pbr_bumps_face_the_light_on_both_mirrored_halves(gl_context):
    material, textures, view, projection, lights = scene_parts()
    posed = mirrored_quad()
    result = agreement(
        gl_context, posed, [material], textures, view, projection, lights=lights, tone_mapping="none"
    )
    check(result)
    luma = result["live"].astype(np.float64).mean(axis=2)
    # left flanks (towards the light) brighter on the unmirrored and the mirrored half
    assert min(flank_contrast(luma, 0, SIZE // 2)) > 0
    assert min(flank_contrast(luma, SIZE // 2, SIZE)) > 0


@pytest.mark.parametrize(
    "look",
    [{}, {"tone_mapping": "aces", "exposure": 1.3, "environment": "studio"}],
    ids=["default-neutral", "aces-studio"],
)
def test_live_pbr_panel_draws_of_an_opaque_model_tone_map_each_fragment(gl_context, look):
    """The live panel's own draws (one sample a pixel, no linear light kept) of a model
    without BLEND materials go straight into an sRGB target, tone-mapped per fragment:
    the picture the renderer makes by tone-mapping each resolved pixel."""
    scene = load(TWIN)
    assert all(str(m.alpha_mode).upper() != "BLEND" for m in scene.materials)
    posed = scene.pose("Walking", 0.45)
    view, projection = framed(posed)
    numba = Renderer((SIZE, SIZE), 1).draw(
        posed, scene.materials, scene.textures, view, projection, "pbr", **look
    )
    picture = gl_context.draw(
        posed, scene.materials, scene.textures, view, projection, (SIZE, SIZE), shading="pbr", **look
    )
    assert picture.flip  # drawn directly, without the float target and the resolve pass
    live = gl_context.read()
    covered = numba.alpha > 0
    diff = np.abs(numba.color.astype(int) - live.astype(int)).max(axis=2)
    assert covered.mean() > 0.05
    assert covered_psnr(numba.color, live, covered, 255.0) >= 40.0
    assert np.mean(diff[covered] > 8) <= 0.01
    assert np.mean(live[~covered].max(axis=1) > 8) < 0.01  # the background stays black


def test_live_panel_lights_each_instant_with_the_models_own_lights(gl_context, tmp_path):
    """--model-lights in the preview: the live panel at an instant shows export's frame
    of that instant, lit by the model's own light where that frame's camera sees it,
    even just after the worker drew a frame from another side of the turntable."""
    from _gltf_builder import plate_with_a_point_light

    from holopack import pipeline
    from holopack.preview.controls import Controls
    from holopack.preview.live import LiveRender
    from holopack.preview.source import PipelineFrames

    scene = holopack.load(plate_with_a_point_light(tmp_path / "lit-plate.gltf"))
    device = "3dcircle-42f2"
    look = {"shading": "pbr", "model_lights": True}
    frames = PipelineFrames(scene, device, size=SIZE, look=look)
    live = LiveRender(gl_context)
    live.set_frames(frames)
    source, _ = frames._source(None)  # what the worker does for its first frame
    timeline = source.timeline
    # the worker has just drawn a frame a quarter turn on from the one the clock shows
    shown_index = 3
    worker_index = next(
        i for i in range(1, 10_000) if timeline.angle(i) - timeline.angle(shown_index) >= 60.0
    )
    source.picture(worker_index)
    controls = Controls(animations=frames.animations, devices=[device], animation=0, fps=frames.fps)
    controls.time = shown_index / frames.fps
    assert live.draw(controls) is not None
    shown = gl_context.read()

    settings = pipeline.ExportSettings(device=device, **look)
    profile = pipeline.resolve_profile(device)
    export_source = pipeline.open_source(
        scene,
        pipeline.make_timeline(scene, settings, profile.fps),
        SIZE,
        supersample=profile.supersample,
        lights=profile.lights,
        **settings.look(),
    )
    expected = export_source.picture(shown_index).color
    covered = expected.max(axis=2) > 10
    assert covered.mean() > 0.05
    assert covered_psnr(shown, expected, covered, 255.0) >= 35.0
    # lit by its own red light, not by the white rig
    red, green = expected[covered][:, 0].astype(float), expected[covered][:, 1].astype(float)
    assert red.mean() > 2.0 * green.mean()
