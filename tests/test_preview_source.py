"""PipelineFrames: the preview's camera (orbit, zoom, pan) on top of export's framing."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from holopack.preview.controls import CameraState, Controls
from holopack.preview.source import PipelineFrames
from holopack.scene.load import load

ROOT = Path(__file__).resolve().parent.parent
SIZE = 128


def centroid_and_extent(picture):
    lit = picture.max(axis=2) > 20
    ys, xs = np.nonzero(lit)
    return np.array([xs.mean(), ys.mean()]), np.array([xs.max() - xs.min(), ys.max() - ys.min()])


@pytest.mark.parametrize("model", ["Duck/Duck.glb", "CesiumMan/CesiumMan.glb"])
def test_pan_moves_the_model_by_the_projected_amount(model):
    """Duck turns on a turntable (no clip), CesiumMan plays a clip: both pan alike."""
    scene = load(ROOT / "tests" / "data" / model)
    frames = PipelineFrames(scene, "mp4-fan", size=SIZE)
    controls = Controls(devices=["mp4-fan"], fps=frames.fps)
    controls.set_animations(frames.animations)
    base = frames.frame(controls.request()).render
    pan = (0.3, -0.2)
    controls.camera = replace(controls.camera, pan=pan)
    panned = frames.frame(controls.request()).render
    c0, e0 = centroid_and_extent(base)
    c1, e1 = centroid_and_extent(panned)
    # the fitted sphere's radius at the fitted distance spans this many pixels
    source, (center, radius, distance) = frames._source(controls.animation)
    f = 1.0 / math.tan(math.radians(30.0) / 2)
    px_per_radius = f * radius / distance * SIZE / 2
    expected = np.array([-pan[0], pan[1]]) * px_per_radius  # camera right = model left; y down
    assert np.allclose(c1 - c0, expected, atol=0.12 * np.abs(expected).max() + 1.0)
    # a pan does not zoom (the sideways view changes the outline a little)
    assert np.all(np.abs(e1 - e0) <= 0.15 * e0 + 1)


def test_zoom_scales_the_model_and_orbit_turns_it():
    scene = load(ROOT / "tests" / "data" / "Duck" / "Duck.glb")
    frames = PipelineFrames(scene, "mp4-fan", size=SIZE)
    controls = Controls(devices=["mp4-fan"], fps=frames.fps, playing=False)
    controls.set_animations(frames.animations)
    _, e0 = centroid_and_extent(frames.frame(controls.request()).render)
    controls.camera = CameraState(zoom=2.0)  # twice as far: about half as big
    _, e1 = centroid_and_extent(frames.frame(controls.request()).render)
    assert np.allclose(e1 / e0, 0.5, atol=0.06)
    controls.camera = CameraState(yaw=90.0)
    turned = frames.frame(controls.request()).render
    controls.camera = CameraState()
    front = frames.frame(controls.request()).render
    assert np.abs(turned.astype(int) - front).mean() > 2.0


def test_brightness_dims_the_fan_not_the_render():
    scene = load(ROOT / "tests" / "data" / "Duck" / "Duck.glb")
    frames = PipelineFrames(scene, "diy-apa102", size=SIZE, fan_size=96)
    controls = Controls(devices=["diy-apa102"], fps=frames.fps, playing=False)
    controls.set_animations(frames.animations)
    full = frames.frame(controls.request())
    controls.brightness = 0.25
    dim = frames.frame(controls.request())
    assert np.array_equal(full.render, dim.render)
    assert dim.fan.astype(int).sum() < 0.8 * full.fan.astype(int).sum()


def test_the_fan_frames_code_light_is_decode_codes_light():
    """fan_frame looks each code's light up instead of decoding every LED: the same
    float32 values as decode_codes on a whole frame of codes, bit for bit."""
    from holopack.device.encode import decode_codes

    frames = PipelineFrames(
        load(ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"), "3dcircle-42f2"
    )
    profile = frames.profile
    codes = np.random.default_rng(19).integers(0, profile.max_code + 1, profile.codes_shape, dtype=np.uint8)
    expected = decode_codes(codes, profile)
    looked_up = frames._code_light.take(codes)
    assert looked_up.dtype == expected.dtype and np.array_equal(looked_up, expected)
