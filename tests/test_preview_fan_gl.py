"""The preview's fan view made from the window's own picture (holopack.preview.fan_gl,
shaders/fan_view.frag, PipelineFrames.fan_frame) against the export path.

When the left panel is drawn live, the window also draws each device frame's picture
and hands its linear light to the render worker, which resamples, dithers and
quantises it with the export path's own code; the window then draws what a viewer sees
of the LEDs with a shader. Each step is held to the export's: the resampler reading
GL's row order and RGBA stride to the device resampler (bit for bit) and to the numpy
reference sums; the fan view shader to the Numba viewer simulation; and a whole frame
of the default twin to the fan view of the export pipeline's own render.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from _xvfb import hidden_gl_window

from holopack.device import ViewerSimulator
from holopack.device.encode import decode_codes
from holopack.device.profile import load_profile
from holopack.device.resample_kernel import Resampler
from holopack.device.resample_reference import apply_weights_reference
from holopack.preview.source import gl_order_table, resample_gl_picture

ROOT = Path(__file__).resolve().parent.parent
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"
# a shared-data fan (two blades show one column) and a per-blade fan with an
# interleaved blade, a hub and LED 0 at the hub
PROFILES = ("3dcircle-42f2", "diy-apa102")
# the fan view shader is compiled for the profile's layout (shared or per-blade data, LED
# 0 outside or at the hub): the legacy fan is the shared-data fan with LED 0 at the hub
VIEW_PROFILES = PROFILES + ("legacy-224",)


def _picture(n: int, seed: int) -> np.ndarray:
    """A linear picture with black tiles, HDR values and fine detail."""
    rng = np.random.default_rng(seed)
    picture = rng.random((n, n, 3), dtype=np.float32) * 1.4
    picture[: n // 3, : n // 2] = 0.0
    picture[n // 2 :, n // 2 :: 3] = 0.0
    return picture


def _as_gl_reads_it(picture: np.ndarray) -> np.ndarray:
    """(N, N, 3) row 0 = top -> (N, N, 4) RGBA, bottom row first, alpha junk."""
    n = picture.shape[0]
    out = np.full((n, n, 4), 7.0, np.float32)
    out[::-1, :, :3] = picture
    return out


@pytest.mark.parametrize("name", PROFILES)
def test_the_window_picture_is_resampled_as_export_resamples_it(name):
    profile = load_profile(name)
    n = 96
    picture = _picture(n, 1)
    resampler = Resampler(profile, n)
    expected = resampler.resample(picture)
    out = np.full(profile.codes_shape, np.nan, np.float32)
    resample_gl_picture(gl_order_table(resampler.tiled, n), _as_gl_reads_it(picture), out)
    assert np.array_equal(out, expected)  # the same weights in the same order: the same bits
    table = resampler.table
    reference = apply_weights_reference(table.indptr, table.indices, table.weights, picture.reshape(-1, 3))
    assert np.allclose(out.reshape(-1, 3), reference, rtol=1e-5, atol=1e-6)
    assert (reference.max(axis=1) == 0).any() and (reference.max(axis=1) > 0.5).any()


@pytest.fixture(scope="module")
def gl_context():
    """A hidden window's GL 3.3 core context on a private Xvfb display."""
    with hidden_gl_window("fan view test"):
        yield


def _cum(codes: np.ndarray, profile) -> np.ndarray:
    """The prefix sums ViewerSimulator.render_linear builds, written out here."""
    light = decode_codes(codes, profile).astype(np.float64)
    cum = np.zeros((light.shape[0] + 1,) + light.shape[1:], np.float32)
    cum[1:] = np.cumsum(light, axis=0)
    return cum


@pytest.mark.display
@pytest.mark.parametrize("name", VIEW_PROFILES)
def test_the_fan_view_shader_is_the_viewer_simulation(gl_context, name):
    from holopack.preview.fan_gl import FanDrawer

    profile = load_profile(name)
    size = 160
    rng = np.random.default_rng(3)
    codes = rng.integers(0, profile.max_code + 1, profile.codes_shape).astype(np.uint8)
    codes[: profile.slices // 4] = 0  # a dark quarter turn
    codes[:, ::5] = profile.max_code  # bright rings
    drawer = FanDrawer(profile, size)
    try:
        for side in (size, 96):  # its full size, and fewer pixels (a busy machine's)
            drawer.show(_cum(codes, profile), side if side != size else None)
            shown = drawer.read_view().astype(int)
            expected = ViewerSimulator(profile, side, oversample=1).render(codes).astype(int)
            diff = np.abs(shown - expected)
            # float32 on the GPU against float64 sums: sRGB bytes within one step, nearly all equal
            assert diff.max() <= 1, np.unravel_index(diff.argmax(), diff.shape)
            assert (diff > 0).mean() < 0.01
            assert (expected == 0).mean() > 0.05 and (expected > 200).mean() > 0.01  # dark and bright both
    finally:
        drawer.release()


# (share of the export's side the window draws at, least PSNR in dB, least share of the
# lit pixels within 12 sRGB steps): at the export's own size the two paths differ only
# by rounding (measured 79 dB); at SOFTWARE_FAN_SCALE (half the side, what llvmpipe
# draws) by the coarser picture's own detail (measured 37-38 dB on the twin and
# FlightHelmet, 93 %)
AGREEMENT = {"export size": (60.0, 0.999), "software rasteriser": (35.0, 0.9)}


# exposed and tone-mapped: the fan shows the light after both, as export's fan does
TONED = {"shading": "pbr", "tone_mapping": "aces", "exposure": 2.0}


@pytest.mark.display
@pytest.mark.parametrize(
    "drawn_at, look", [(at, None) for at in sorted(AGREEMENT)] + [("export size", TONED)]
)
def test_the_window_fan_view_is_the_export_frame(gl_context, drawn_at, look):
    """A frame of the default twin: the window's picture through fan_frame and the fan
    view shader, against the fan view of the export pipeline's own render
    (PipelineFrames.frame: export's output_frame)."""
    from holopack.preview.controls import Controls
    from holopack.preview.fan_gl import FanDrawer
    from holopack.preview.live import SOFTWARE_FAN_SCALE, LiveRender
    from holopack.preview.source import PipelineFrames
    from holopack.rendering.gl.scene import SceneDrawer
    from holopack.scene.load import load

    device = "3dcircle-42f2"
    scale = 1.0 if drawn_at == "export size" else SOFTWARE_FAN_SCALE
    frames = PipelineFrames(load(TWIN), device, look=look)
    live = LiveRender(SceneDrawer())
    live.fan_scale = scale
    live.set_frames(frames)
    frames._source(10)  # the worker fits the clip's camera before the window draws live
    controls = Controls(animations=frames.animations, devices=[device], animation=10, fps=frames.fps)
    request = replace(controls.request(), frame_index=17, time=17 / frames.fps)
    assert live.draw_fan_frame(request) is not None
    pair = frames.fan_frame(request, live.read_fan_frame())
    assert pair.render is None and pair.fan is None
    assert live.drawer.size == (round(frames.size * scale),) * 2
    drawer = FanDrawer(frames.profile, frames.simulator.size)
    try:
        drawer.show(pair.fan_cum)
        shown = drawer.read_view().astype(float)
    finally:
        drawer.release()
        live.drawer.release()
    expected = frames.frame(request).fan.astype(float)
    lit = expected.max(axis=2) > 40
    assert lit.mean() > 0.05
    least_psnr, least_close = AGREEMENT[drawn_at]
    psnr = 10 * np.log10(255.0**2 / np.mean((shown - expected) ** 2))
    assert psnr >= least_psnr, psnr
    close = np.abs(shown - expected).max(axis=2) <= 12
    assert close[lit].mean() >= least_close, close[lit].mean()


def test_a_software_rasteriser_draws_the_fan_pictures_smaller(gl_context):
    from holopack.preview.live import SOFTWARE_FAN_SCALE, fan_scale_for

    assert fan_scale_for("llvmpipe (LLVM 15.0.6, 256 bits)") == SOFTWARE_FAN_SCALE < 1.0
    assert fan_scale_for("NVIDIA GeForce RTX 3060/PCIe/SSE2") == 1.0


@pytest.mark.display
def test_a_video_fan_shows_the_window_picture_itself(gl_context):
    """A fan that takes video shows the picture: from the window's render (at the
    export's size and supersampling whatever the rasteriser) it is export's frame, as
    the live panel is (test_preview_live_render.py's tolerance)."""
    from holopack.preview.controls import Controls
    from holopack.preview.live import SOFTWARE_FAN_SCALE, LiveRender
    from holopack.preview.source import PipelineFrames
    from holopack.rendering.gl.scene import SceneDrawer
    from holopack.scene.load import load

    device = "mp4-fan"
    frames = PipelineFrames(load(TWIN), device, size=192)
    assert frames.profile.supersample == 2
    live = LiveRender(SceneDrawer())
    live.fan_scale = SOFTWARE_FAN_SCALE
    live.set_frames(frames)
    frames._source(3)
    controls = Controls(animations=frames.animations, devices=[device], animation=3, fps=frames.fps)
    request = replace(controls.request(), frame_index=9, time=9 / frames.fps)
    try:
        assert live.draw_fan_frame(request) is not None
        pair = frames.fan_frame(request, live.read_fan_frame())
    finally:
        live.drawer.release()
    assert pair.render is None and pair.fan.shape == (192, 192, 3)
    expected = frames.frame(request).fan.astype(float)
    shown = pair.fan.astype(float)
    assert (expected.max(axis=2) > 40).mean() > 0.05
    psnr = 10 * np.log10(255.0**2 / np.mean((shown - expected) ** 2))
    assert psnr >= 40.0, psnr
    assert (np.abs(shown - expected).max(axis=2) > 8).mean() <= 0.003
