"""The preview's live left panel (OpenGL in the window) against holopack.render.

The window draws the posed scene with its own OpenGL (holopack.rendering.gl.scene,
shaders/mesh.*) so that the left panel plays at the display's rate; export renders with
the Numba rasteriser. The two must agree pixel for pixel up to rounding: the same
cameras, poses, materials, textures, lights, supersampling and sRGB encoding, checked
as the renderer itself is checked against moderngl (test_render_gl.py): PSNR and the
share of pixels that differ visibly, on real models, a skinned textured one among them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _texture_roles import colour_and_map_textures
from _xvfb import hidden_gl_window

from holopack.rendering import Renderer
from holopack.rendering.camera import Framing, fit_camera, look_at, orthographic
from holopack.rendering.lights import Light, Lights
from holopack.scene.load import load

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"
SIZE = 192
pytestmark = pytest.mark.display

# (model, clip, seconds into it): static, skinned, textured, translucent, many materials
CASES = {
    "bunny": (DATA / "stanford-bunny" / "stanford-bunny.obj", None, 0.0),
    "robot-walking": (TWIN, "Walking", 0.45),
    "cesiumman-skinned-textured": (DATA / "CesiumMan" / "CesiumMan.glb", 0, 0.8),
    "flighthelmet-95k-textured-blend": (DATA / "FlightHelmet" / "FlightHelmet.gltf", None, 0.0),
    "brainstem-skinned": (DATA / "BrainStem" / "BrainStem.glb", 0, 1.2),
}


@pytest.fixture(scope="module")
def gl_context():
    """The live scene drawer in a hidden window's GL 3.3 core context on a private Xvfb
    display (EGL, as the test process's windows use)."""
    with hidden_gl_window("live render test"):
        from holopack.rendering.gl.scene import SceneDrawer

        yield SceneDrawer()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0**2 / mse))


def agreement(drawer, scene, posed, view, projection, supersample=1, shading="lit", lights=None):
    numba = Renderer((SIZE, SIZE), supersample, lights=lights).draw(
        posed, scene.materials, scene.textures, view, projection, shading
    )
    drawer.draw(
        posed,
        scene.materials,
        scene.textures,
        view,
        projection,
        (SIZE, SIZE),
        supersample=supersample,
        lights=lights,
        shading=shading,
    )
    live = drawer.read()
    diff = np.abs(numba.color.astype(int) - live.astype(int)).max(axis=2)
    covered = numba.color.max(axis=2) > 0
    return {
        "psnr": psnr(numba.color, live),
        "mismatch": float(np.mean(diff > 8)),  # visibly different pixels
        "covered": float(covered.mean()),
        "live_covered": float((live.max(axis=2) > 0).mean()),
    }


def framed(posed, yaw=35.0, pitch=12.0):
    points = np.concatenate([p.positions for p in posed])
    camera = fit_camera(points, Framing(yaw=yaw, pitch=pitch))
    return camera.view, camera.projection


def check(result):
    assert result["covered"] > 0.05, result  # the model is in view, not an empty frame
    assert abs(result["live_covered"] - result["covered"]) < 0.002, result
    assert result["psnr"] >= 40.0, result
    assert result["mismatch"] <= 0.003, result


@pytest.mark.parametrize("name", sorted(CASES))
def test_live_render_matches_the_numba_render_lit(gl_context, name):
    path, clip, seconds = CASES[name]
    scene = load(path)
    posed = scene.pose(clip, seconds)
    view, projection = framed(posed)
    check(agreement(gl_context, scene, posed, view, projection))


@pytest.mark.parametrize("name", ["robot-walking", "flighthelmet-95k-textured-blend"])
def test_live_render_matches_supersampled_and_unlit(gl_context, name):
    path, clip, seconds = CASES[name]
    scene = load(path)
    posed = scene.pose(clip, seconds)
    view, projection = framed(posed, yaw=-120.0, pitch=-8.0)
    check(agreement(gl_context, scene, posed, view, projection, supersample=2))
    check(agreement(gl_context, scene, posed, view, projection, shading="unlit"))


def test_live_render_matches_with_changed_lights_and_orthographic(gl_context):
    scene = load(DATA / "Duck" / "Duck.glb")
    posed = scene.pose(None, 0.0)
    points = np.concatenate([p.positions for p in posed])
    center = (points.min(0) + points.max(0)) / 2
    radius = float(np.linalg.norm(points.max(0) - points.min(0))) / 2
    view = look_at(center + np.array([radius * 2.0, radius * 0.8, radius * 2.5]), center, (0.0, 1.0, 0.0))
    projection = orthographic(radius * 1.1, radius * 1.1, 0.1, radius * 10)
    lights = Lights(
        key=Light((0.3, 0.9, 0.3), 1.1, (1.0, 0.6, 0.4)),
        fill=Light((-0.8, -0.2, 0.4), 0.5),
        rim=1.2,
        rim_power=1.7,
        ambient=0.15,
        specular=0.8,
    )
    check(agreement(gl_context, scene, posed, view, projection, lights=lights))


@pytest.mark.parametrize(
    "look", [{}, {"shading": "pbr", "environment": "studio", "exposure": 1.4}], ids=["default", "pbr-studio"]
)
def test_window_left_panel_is_the_export_frame_drawn_live(gl_context, look):
    """The window's live panel at an export frame's instant shows that export frame
    (built here from holopack.pipeline without the preview), with export's default
    shading or the one the preview was opened with."""
    from holopack import pipeline
    from holopack.preview.controls import Controls
    from holopack.preview.live import LiveRender
    from holopack.preview.source import PipelineFrames

    scene = load(TWIN)
    device = "3dcircle-42f2"
    frames = PipelineFrames(scene, device, size=SIZE, look=look)
    live = LiveRender(gl_context)
    live.set_frames(frames)
    assert live.active
    controls = Controls(animations=frames.animations, devices=[device], animation=10, fps=frames.fps)
    assert live.draw(controls) is None  # the worker has not fitted this clip's camera yet
    frames._source(10)  # what the worker does for its first frame of the clip
    index = 17
    controls.time = index / frames.fps
    assert live.draw(controls) is not None
    shown = gl_context.read()

    settings = pipeline.ExportSettings(device=device, animation=10, **look)
    profile = pipeline.resolve_profile(device)
    timeline = pipeline.make_timeline(scene, settings, profile.fps)
    source = pipeline.open_source(
        scene, timeline, SIZE, supersample=profile.supersample, lights=profile.lights, **settings.look()
    )
    assert source.shading == settings.shading and frames.look == settings.look()
    expected = source.picture(index).color
    diff = np.abs(shown.astype(int) - expected.astype(int)).max(axis=2)
    assert (expected.max(axis=2) > 40).mean() > 0.05
    assert psnr(shown, expected) >= 40.0 and (diff > 8).mean() <= 0.003

    # half a frame later the clock's own instant is drawn: not frame 17's pose any more
    controls.time = (index + 0.5) / frames.fps
    live.draw(controls)
    between = gl_context.read()
    moved = np.abs(between.astype(int) - shown.astype(int)).max(axis=2) > 8
    assert moved.mean() > 0.002


def test_the_panel_shows_a_direct_draw_upright(gl_context):
    """A lit draw of one sample a pixel goes straight into an sRGB target, stored bottom
    row first as GL draws; the window's image shader (u_flip) shows it upright: what
    ``read`` returns, row 0 at the top."""
    from OpenGL import GL

    from holopack.rendering.gl.program import Program, Quad, read_framebuffer
    from holopack.rendering.gl.scene import _Target

    scene = load(TWIN)
    posed = scene.pose("Walking", 0.45)
    view, projection = framed(posed)
    picture = gl_context.draw(posed, scene.materials, scene.textures, view, projection, (SIZE, SIZE))
    assert picture.flip  # drawn directly, not through the float target and the resolve pass
    expected = gl_context.read()
    target = _Target(SIZE, SIZE, GL.GL_RGBA8, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, depth=False)
    try:
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, target.fbo)
        GL.glViewport(0, 0, SIZE, SIZE)
        GL.glDisable(GL.GL_BLEND)
        program = Program("quad.vert", "image.frag").use()
        picture.bind(0)
        program.set_int("u_image", 0)
        program.set("u_uv_scale", *picture.uv_scale)
        program.set_int("u_flip", int(picture.flip))
        program.set("u_rect", -1.0, -1.0, 1.0, 1.0)
        Quad().draw()
        shown = read_framebuffer(target.fbo, SIZE, SIZE)[::-1]  # the screen's top row first
    finally:
        target.release()
    assert (expected.max(axis=2) > 40).mean() > 0.05
    assert np.abs(shown.astype(int) - expected.astype(int)).max() <= 1


def test_live_render_draws_a_mirrored_model_as_its_mirror_image(gl_context):
    """A model under a mirroring node (determinant < 0) seen from the mirrored camera is
    the left-right mirror image of the model (unlit: the lights stay with the camera),
    in the live panel as in holopack.render: its outer faces, not its inside."""
    from holopack.animate.pose import forget_pose_cache
    from holopack.rendering.camera import perspective
    from holopack.scene.types import Node

    scene = load(DATA / "Duck" / "Duck.glb")
    points = np.concatenate([p.positions for p in scene.pose(None, 0.0)])
    center = (points.min(0) + points.max(0)) / 2
    eye = center + np.array([0.45, 0.35, 0.82]) * float(np.linalg.norm(points.max(0) - points.min(0))) * 1.6
    projection = perspective(40, 1.0, 0.05, 500)

    def live(posed, view):
        gl_context.draw(
            posed, scene.materials, scene.textures, view, projection, (SIZE, SIZE), shading="unlit"
        )
        return gl_context.read()

    plain = live(scene.pose(None, 0.0), look_at(eye, center))[:, ::-1]
    scene.nodes.append(Node(name="mirror", children=list(scene.roots), scale=np.array([-1.0, 1.0, 1.0])))
    scene.roots = [len(scene.nodes) - 1]
    forget_pose_cache(scene)
    mirror = np.array([-1.0, 1.0, 1.0])
    posed = scene.pose(None, 0.0)
    mirrored = live(posed, look_at(eye * mirror, center * mirror))
    drawn = plain.max(axis=2) > 0
    assert drawn.mean() > 0.1
    differ = np.abs(mirrored.astype(int) - plain.astype(int)).max(axis=2) > 8
    assert differ[drawn].mean() < 0.01
    check(agreement(gl_context, scene, posed, look_at(eye * mirror, center * mirror), projection))


def test_a_lit_live_draw_uploads_only_the_textures_it_samples(gl_context, monkeypatch):
    """The window's OpenGL decodes and uploads a texture on the first draw that samples
    it: a lit FlightHelmet reads its base colour textures, never its normal and
    occlusion-roughness-metallic maps (they were all uploaded as colour before)."""
    import holopack.rendering.gl.scene as gl_scene

    scene = load(CASES["flighthelmet-95k-textured-blend"][0])
    posed = scene.pose(None, 0.0)
    view, projection = framed(posed)
    sampled, maps = colour_and_map_textures(scene)
    assert sampled and maps and not sampled & maps
    decoded: list[tuple[int, bool]] = []
    decode = gl_scene.decode_texture

    def counting(texture, srgb=True):
        decoded.append((id(texture), srgb))
        return decode(texture, srgb)

    monkeypatch.setattr(gl_scene, "decode_texture", counting)
    for yaw in (0.0, 90.0):  # a second draw uploads nothing again
        turned, projection = framed(posed, yaw=yaw)
        gl_context.draw(
            posed, scene.materials, scene.textures, turned, projection, (SIZE, SIZE), shading="lit"
        )
    assert sorted(decoded) == sorted((t, True) for t in sampled)
    decoded.clear()
    gl_context.draw(posed, scene.materials, scene.textures, view, projection, (SIZE, SIZE), shading="pbr")
    assert {t for t, srgb in decoded if not srgb} >= maps  # pbr's maps, as data
