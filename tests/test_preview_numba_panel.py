"""The preview's live panel drawn by holopack's own renderer (holopack.preview.numba_panel).

On a software OpenGL the window draws its left panel and the fan pictures with the
renderer export writes its files with, and shows the picture as a texture. Checked here
against the export path built without the preview: the panel's texture (read back from
OpenGL) is export's frame byte for byte, its linear light is laid out as the OpenGL
drawer's (so the worker resamples it unchanged), and a fan frame made from it gives
export's very LED codes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from _xvfb import hidden_gl_window

from holopack import pipeline
from holopack.scene.load import load

ROOT = Path(__file__).resolve().parent.parent
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"
FLIGHT_HELMET = ROOT / "tests" / "data" / "FlightHelmet" / "FlightHelmet.gltf"
DEVICE = "3dcircle-42f2"
pytestmark = pytest.mark.display


@pytest.fixture(scope="module")
def gl_context():
    """A hidden window's GL 3.3 core context on a private Xvfb display."""
    with hidden_gl_window("numba panel test"):
        yield


def _texture_pixels(texture) -> np.ndarray:
    """A gl.Texture's RGB bytes as OpenGL holds them, (H, W, 3) uint8, row 0 first."""
    from OpenGL import GL

    h, w = texture.shape[:2]
    texture.bind(0)
    GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
    data = GL.glGetTexImage(GL.GL_TEXTURE_2D, 0, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
    return np.frombuffer(data, np.uint8).reshape(h, w, 3)


def _export_picture(scene, animation, index, look=None):
    """Frame ``index`` as holopack export renders it for the 42-F2 (no preview code)."""
    look = look or {}
    settings = pipeline.ExportSettings(device=DEVICE, animation=animation, **look)
    profile = pipeline.resolve_profile(DEVICE)
    timeline = pipeline.make_timeline(scene, settings, profile.fps)
    source = pipeline.open_source(
        scene,
        timeline,
        profile.render_size,
        supersample=profile.supersample,
        lights=profile.lights,
        **settings.look(),
    )
    return source.draw(scene.pose(timeline.animation, timeline.anim_time(index)), index), profile


@pytest.mark.parametrize(
    "path, animation, look",
    [
        (TWIN, 10, None),
        (FLIGHT_HELMET, None, None),
        (TWIN, 3, {"shading": "pbr", "environment": "studio", "exposure": 1.4}),
    ],
    ids=["twin-lit", "flighthelmet-turntable", "twin-pbr-studio"],
)
def test_the_numba_panel_at_an_export_frame_is_that_export_frame_exactly(gl_context, path, animation, look):
    from holopack.preview.controls import Controls
    from holopack.preview.live import LiveRender
    from holopack.preview.numba_panel import NumbaDrawer
    from holopack.preview.source import PipelineFrames

    scene = load(path)
    frames = PipelineFrames(scene, DEVICE, look=look)
    drawer = NumbaDrawer()
    live = LiveRender(drawer)
    live.set_frames(frames)
    frames._source(animation)  # the worker fits the clip's camera first
    controls = Controls(animations=frames.animations, devices=[DEVICE], animation=animation, fps=frames.fps)
    index = 17
    controls.time = index / frames.fps
    texture = live.draw(controls)
    assert texture is not None and drawer.size == (frames.size, frames.size)
    shown = _texture_pixels(texture)

    expected, _ = _export_picture(load(path), animation, index, look)
    assert (expected.color.max(axis=2) > 40).mean() > 0.02
    assert np.array_equal(shown, expected.color)

    linear = drawer.read_linear()
    assert linear.shape == (frames.size, frames.size, 4) and linear.dtype == np.float32
    # bottom row first, alpha the coverage: as SceneDrawer.read_linear gives it
    assert np.array_equal(linear[::-1, :, :3], expected.linear)
    assert np.array_equal(linear[::-1, :, 3], expected.alpha)


def test_a_fan_frame_from_the_numba_panel_gives_exports_led_codes(gl_context):
    from holopack.preview.controls import Controls
    from holopack.preview.live import LiveRender
    from holopack.preview.numba_panel import NumbaDrawer
    from holopack.preview.source import PipelineFrames

    scene = load(TWIN)
    frames = PipelineFrames(scene, DEVICE)
    live = LiveRender(NumbaDrawer())
    live.fan_scale = 1.0  # the export's own size: the export's own picture
    live.set_frames(frames)
    frames._source(10)
    controls = Controls(animations=frames.animations, devices=[DEVICE], animation=10, fps=frames.fps)
    request = replace(controls.request(), frame_index=17, time=17 / frames.fps)
    assert live.draw_fan_frame(request) is not None
    pair = frames.fan_frame(request, live.read_fan_frame())

    picture, profile = _export_picture(load(TWIN), 10, 17)
    from holopack.device import PolarEncoder
    from holopack.device.encode import decode_codes

    encoder = PolarEncoder(profile, profile.render_size)
    codes = encoder.encode(picture.linear, 17, occupied=picture.tiles)
    light = decode_codes(codes, profile)
    expected = np.zeros((light.shape[0] + 1,) + light.shape[1:], np.float32)
    np.cumsum(light, axis=0, dtype=np.float32, out=expected[1:])
    assert (codes > 0).mean() > 0.02
    assert np.array_equal(pair.fan_cum, expected)


def test_the_numba_panel_draws_each_scale_step_with_the_textures_decoded_once(gl_context):
    from holopack.preview.controls import Controls
    from holopack.preview.live import MIN_SCALE, LiveRender
    from holopack.preview.numba_panel import NumbaDrawer
    from holopack.preview.source import PipelineFrames

    frames = PipelineFrames(load(FLIGHT_HELMET), DEVICE)
    drawer = NumbaDrawer()
    live = LiveRender(drawer)
    live.set_frames(frames)
    frames._source(None)
    controls = Controls(animations=frames.animations, devices=[DEVICE], fps=frames.fps)
    sides = set()
    for i, scale in enumerate(np.linspace(MIN_SCALE, 1.0, 11)):
        live.scale = float(scale)
        controls.time = i / frames.fps
        texture = live.draw(controls)
        assert texture.shape[0] == texture.shape[1] == drawer.size[0]
        sides.add(drawer.size[0])
    # eighths of the export's side from half to whole: five renderers, not eleven
    assert sides == {frames.size * k // 8 for k in range(4, 9)}
    pools = {id(r.textures) for r in drawer._renderers.values()}
    assert len(drawer._renderers) == 5 and len(pools) == 1


def test_a_software_opengl_gets_the_numba_panel_and_a_gpu_the_windows_own(gl_context):
    from holopack.preview.live import panel_drawer

    software = "llvmpipe (LLVM 15.0.6, 256 bits)"
    gpu = "NVIDIA GeForce RTX 3060/PCIe/SSE2"
    drawers = {
        (renderer, choice): panel_drawer(renderer, choice)
        for renderer in (software, gpu)
        for choice in ("auto", "gl", "numba")
    }
    kinds = {key: type(drawer).__name__ for key, (drawer, _) in drawers.items()}
    assert kinds[(software, "auto")] == kinds[(software, "numba")] == kinds[(gpu, "numba")] == "NumbaDrawer"
    assert kinds[(gpu, "auto")] == kinds[(gpu, "gl")] == kinds[(software, "gl")] == "SceneDrawer"
    # the fan pictures' size follows the rasteriser, whoever draws them
    assert drawers[(software, "auto")][1] == drawers[(software, "gl")][1] < 1.0
    assert drawers[(gpu, "numba")][1] == 1.0
    with pytest.raises(ValueError, match="live panel must be one of"):
        panel_drawer(software, "vulkan")
