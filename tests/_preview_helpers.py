"""A stand-in frame maker for window tests: pictures whose content follows the request.

``DiscFrames`` has the same members as ``holopack.preview.source.PipelineFrames``
(animations, fps, geometry, frame(request)) but draws simple pictures, so the window's
own behaviour (layout, orientation, input, playback, reload) can be checked pixel by
pixel against ``disc_center`` without the renderer.
"""

from __future__ import annotations

import json
import math
import time

import numpy as np

from holopack.preview.overlay import FanGeometry
from holopack.preview.source import FramePair

SIZE = 160
DISC_RADIUS = 0.12  # fraction of the picture
ANIMATIONS = [("slide", 2.0), ("hold", 1.0)]
DEVICE_COLORS = {"fan-a": (255, 0, 255), "fan-b": (0, 255, 255)}


def load_scene(path) -> dict:
    """The 'scene' of a test input: a JSON file {"color": [r, g, b]}."""
    with open(path) as f:
        return json.load(f)


def disc_center(request) -> tuple[float, float]:
    """Where the disc is drawn, as fractions (x right, y down) of the render.

    x follows the clip time (left to right over the clip), y follows the camera's yaw and
    sits in the upper half at yaw 0, so a vertical flip on screen is caught.
    """
    duration = ANIMATIONS[request.animation or 0][1]
    x = 0.2 + 0.6 * min(request.time / duration, 1.0)
    y = 0.3 + 0.4 * (math.sin(math.radians(request.camera.yaw)) * 0.5 + 0.5) - 0.2
    y += request.camera.pan[1] * -0.1
    return x, y


def disc_radius(request) -> float:
    return DISC_RADIUS / request.camera.zoom


class DiscFrames:
    fps = 30.0

    def __init__(self, scene, device, delay: float = 0.0):
        self.scene = scene
        self.device = device
        self.delay = delay
        self.animations = list(ANIMATIONS)
        self.geometry = FanGeometry(hub=0.1, inner=0.1, pitch=0.1125, leds=8, slices=32)
        self.calls = 0

    def frame(self, request) -> FramePair:
        started = time.perf_counter()  # the time it took, as the real source reports it
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        y, x = (np.mgrid[0:SIZE, 0:SIZE] + 0.5) / SIZE
        cx, cy = disc_center(request)
        inside = (x - cx) ** 2 + (y - cy) ** 2 <= disc_radius(request) ** 2
        render = np.zeros((SIZE, SIZE, 3), np.uint8)
        render[inside] = self.scene["color"]
        # the fan view: a ring whose colour names the device, dimmed by brightness
        r = np.hypot(x - 0.5, y - 0.5)
        ring = (r > 0.3) & (r < 0.4)
        fan = np.zeros((SIZE, SIZE, 3), np.uint8)
        level = min(1.0, 0.5 * request.brightness)
        fan[ring] = (np.array(DEVICE_COLORS.get(request.device, (255, 255, 255))) * level).astype(np.uint8)
        return FramePair(render=render, fan=fan, request=request, seconds=time.perf_counter() - started)
