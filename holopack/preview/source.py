"""The pictures the preview shows, made by the export pipeline's own objects.

``PipelineFrames`` wires ``holopack.pipeline.FrameSource`` (the same posing, camera
fitting and Numba renderer export uses) to the device's ``PolarEncoder`` and
``ViewerSimulator``: the left panel is the picture export renders, the right panel
what a person sees on the spinning fan when that picture is encoded for the device.
Frame ``i`` of the preview is frame ``i`` of the export, so what is on screen is what
``holopack export`` writes with the same settings.

Anything with the same members (``animations``, ``fps``, ``geometry`` and
``frame(request)``) can stand in for it, which is how the window is tested with
simple drawn pictures.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from .controls import CameraState, FrameRequest
from .overlay import FanGeometry, fan_geometry

# The simulated fan is only looked at in a panel; its picture needs no more pixels, and
# one sample per pixel (the panel's filtering smooths the LED edges) costs the worker
# less than half of the default oversampling: more frames per second while playing.
FAN_VIEW_PX = 512
FAN_VIEW_OVERSAMPLE = 1


@dataclass
class FramePair:
    """One finished frame: render : (H, W, 3) uint8 sRGB; fan : (S, S, 3) uint8 sRGB."""

    render: np.ndarray
    fan: np.ndarray
    request: FrameRequest
    seconds: float  # worker time spent making it


def framing_for(base, camera: CameraState, fitted_distance: float):
    """The export Framing that the preview camera corresponds to (pan aside)."""
    return replace(base, yaw=float(camera.yaw), pitch=float(camera.pitch),
                   distance=float(fitted_distance * camera.zoom))


def _sphere_points(center: np.ndarray, radius: float) -> np.ndarray:
    """Six points whose enclosing sphere is exactly (center, radius): re-fitting them
    reproduces the fitted camera for any yaw/pitch/distance without posing again."""
    axes = np.vstack([np.eye(3), -np.eye(3)])
    return center[None, :] + radius * axes


def _pan_matrix(pan: tuple[float, float], radius: float) -> np.ndarray:
    """Camera-space shift: moving the camera sideways/up by pan x radius."""
    m = np.eye(4)
    m[0, 3] = -pan[0] * radius
    m[1, 3] = -pan[1] * radius
    return m


class PipelineFrames:
    """Preview frames of ``scene`` on ``device`` through holopack.pipeline.

    animations : list of (name, seconds one loop lasts at the device rate), or one
    ("still", seconds) entry for a model without clips (it turns on a turntable, as in
    export) or a picture/video.
    """

    def __init__(self, scene, device, *, size: int | None = None, fan_size: int = FAN_VIEW_PX):
        from .. import pipeline
        from ..render.camera import Framing

        self._pipeline = pipeline
        self.scene = scene
        self.profile = pipeline.resolve_profile(device)
        self.fps = float(self.profile.fps)
        # the size export renders at: polar devices resample a render_size picture,
        # video devices write their video_size picture directly
        polar = self.profile.kind == "polar"
        self.size = int(size or (self.profile.render_size if polar else self.profile.video_size))
        self.geometry: FanGeometry = fan_geometry(self.profile)
        self.base_framing = Framing()
        self._timelines = []
        if scene.is_media or not scene.animations:
            settings = pipeline.ExportSettings(device=self.profile)
            tl = pipeline.make_timeline(scene, settings, self.fps)
            if scene.is_media:
                label = "video" if scene.media.fps > 0 else "picture"
            else:
                label = "turntable"
            self.animations = [(label, tl.seconds)]
            self._timelines.append(tl)
        else:
            self.animations = []
            for index, clip in enumerate(scene.animations):
                settings = pipeline.ExportSettings(device=self.profile, animation=index)
                tl = pipeline.make_timeline(scene, settings, self.fps)
                self.animations.append((clip.name or f"#{index}", tl.seconds))
                self._timelines.append(tl)
        self._sources: dict[int, object] = {}
        self._fits: dict[int, tuple[np.ndarray, float, float]] = {}
        self.encoder = None
        self.simulator = None
        if self.profile.kind == "polar":
            from ..device import PolarEncoder, ViewerSimulator

            self.encoder = PolarEncoder(self.profile, self.size)
            self.simulator = ViewerSimulator(self.profile, int(fan_size),
                                             oversample=FAN_VIEW_OVERSAMPLE)
            self.mask = None
        else:
            self.mask = pipeline.circle_mask(self.size) if self.profile.circle_mask else None

    def _source(self, animation: int | None):
        index = animation or 0
        if index not in self._sources:
            lights = getattr(self.profile, "lights", None)
            source = self._pipeline.FrameSource(
                self.scene, self._timelines[index], self.size, framing=self.base_framing,
                supersample=self.profile.supersample, lights=lights)
            self._sources[index] = source
            if source.camera is not None:
                cam = source.camera
                eye = np.linalg.inv(cam.view)[:3, 3]
                self._fits[index] = (cam.center.copy(), float(cam.radius),
                                     float(np.linalg.norm(eye - cam.center)))
        return self._sources[index], self._fits.get(index)

    def fitted_distance(self, animation: int | None) -> float | None:
        fit = self._source(animation)[1]
        return None if fit is None else fit[2]

    def frame(self, request: FrameRequest) -> FramePair:
        from ..render.camera import fit_camera

        started = time.perf_counter()
        source, fit = self._source(request.animation)
        index = max(0, int(request.frame_index))
        if fit is not None:
            center, radius, distance = fit
            framing = framing_for(self.base_framing, request.camera, distance)
            source.framing = framing
            camera = fit_camera(_sphere_points(center, radius), framing)
            source.camera = camera
        panned = fit is not None and any(request.camera.pan)
        if panned and source.timeline.turntable == 0.0:
            source.camera.view = _pan_matrix(request.camera.pan, fit[1]) @ source.camera.view
            picture = source.picture(index)
        elif panned:
            # the turntable recomputes its view from the framing alone, so the pan is
            # applied here on the view export would use for this frame
            picture = self._draw_panned(source, index, request.camera.pan, fit[1])
        else:
            picture = source.picture(index)
        color = picture.color
        if self.encoder is not None:
            linear = picture.linear_light()
            if request.brightness != 1.0:
                linear = linear * np.float32(request.brightness)
            codes = self.encoder.encode(linear, index)
            fan = self.simulator.render(codes)
        else:
            # as export writes a video device's frame (pipeline._Plan.output_frame)
            fan = color
            if request.brightness != 1.0:
                from ..colour import linear_to_srgb

                linear = picture.linear_light() * np.float32(request.brightness)
                fan = (linear_to_srgb(linear) * 255.0 + 0.5).astype(np.uint8)
            if self.mask is not None:
                fan = (fan * self.mask + 0.5).astype(np.uint8)
        return FramePair(render=np.asarray(color), fan=np.asarray(fan), request=request,
                         seconds=time.perf_counter() - started)

    def _draw_panned(self, source, index: int, pan, radius: float):
        tl = source.timeline
        posed = self.scene.pose(tl.animation, tl.anim_time(index))
        view = _pan_matrix(pan, radius) @ source.view_at(index)
        frame = source.renderer.draw(posed, self.scene.materials, self.scene.textures, view,
                                     source.camera.projection, shading=source.shading)
        return self._pipeline.Picture(color=frame.color, linear=frame.linear)
