"""The pictures the preview shows, made by the export pipeline's own objects.

``PipelineFrames`` wires ``holopack.pipeline.open_source`` (the same posing, camera
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

import copy
import threading
import time
from dataclasses import dataclass, replace

import numpy as np

from ..colour import linear_to_srgb
from ..device.encode import decode_codes
from ..device.resample_kernel import Resampler, sum_tiles
from ..options import VIDEO_PARSERS
from ..rendering.pbr_setup import resolve_tone_mapping, shown_light
from .controls import CameraState, FrameRequest
from .overlay import FanGeometry, fan_geometry

# The simulated fan is only looked at in a panel; its picture needs no more pixels, and
# one sample per pixel (the panel's filtering smooths the LED edges) costs the worker
# less than half of the default oversampling: more frames per second while playing.
FAN_VIEW_PX = 512
FAN_VIEW_OVERSAMPLE = 1


@dataclass
class FramePair:
    """One finished frame: render : (H, W, 3) uint8 sRGB, or None where the window
    drew it (fan_frame); fan : (S, S, 3) uint8 sRGB, or None where the window draws
    it from ``fan_cum``."""

    render: np.ndarray | None
    fan: np.ndarray | None
    request: FrameRequest
    seconds: float  # worker time spent making it
    # the LEDs' linear light as prefix sums over slices (slices + 1, columns, 3), where
    # the window draws the fan view itself (PipelineFrames.fan_frame, FanDrawer.show)
    fan_cum: np.ndarray | None = None


def framing_for(base, camera: CameraState, fitted_distance: float | None):
    """The export Framing that the preview camera corresponds to."""
    distance = None if fitted_distance is None or camera.zoom == 1.0 else float(fitted_distance * camera.zoom)
    return replace(
        base,
        yaw=float(camera.yaw),
        pitch=float(camera.pitch),
        distance=distance,
        pan_x=float(camera.pan[0]),
        pan_y=float(camera.pan[1]),
    )


def gl_order_table(tiled, size: int):
    """``tiled`` (the export resampler's TiledTable for ``size`` x ``size`` pictures)
    reading a picture laid out as OpenGL reads it back: RGBA (four floats a pixel),
    bottom row first. Only where each entry reads changes: the same weights, rows and
    order, so the sums are the export's, bit for bit, without turning the picture over
    or dropping its alpha first."""
    pixel = tiled.offsets.astype(np.int64) // 3
    y, x = pixel // size, pixel % size
    offsets = (4 * ((size - 1 - y) * size + x)).astype(np.uint32)
    return replace(tiled, offsets=offsets, span=int(offsets.max()) + 4 if offsets.size else 0)


def resample_gl_picture(table, picture: np.ndarray, out: np.ndarray) -> None:
    """The device resampler's sums of ``picture`` (float32 (N, N, 4), GL's order) with a
    ``gl_order_table`` into ``out`` float32 (slices, columns, 3). Every tile counts as
    lit (a GL picture comes without the renderer's tile map)."""
    lit = np.ones(table.grid * table.grid, np.bool_)
    sum_tiles(table, lit, picture.reshape(-1), out.reshape(-1))


# PipelineFrames' ``variant`` when not given: the one ``look`` names (--variant), if any
LOOK_VARIANT = object()


class PipelineFrames:
    """Preview frames of ``scene`` on ``device`` through holopack.pipeline.

    animations : list of (name, seconds one loop lasts at the device rate), or one
    ("turntable", "video" or "picture", seconds) entry for a model without clips (it
    turns on a turntable, as in export) or a picture/video. Entry i is the scene's clip
    i; a scene with two clips or more has one more entry, last, at the scene's
    ``all_clips_index``: every clip played together (``--animation all``; what export
    plays by default for a file of one clip per joint).
    """

    def __init__(
        self,
        scene,
        device,
        *,
        size: int | None = None,
        fan_size: int = FAN_VIEW_PX,
        video: dict | None = None,
        look: dict | None = None,
        variant: object = LOOK_VARIANT,
    ):
        from .. import pipeline
        from ..pipeline.exporting import warn_if_no_model_lights
        from ..rendering.camera import Framing
        from ..video.process import prepare_scene

        # video input is keyed, cropped and looped as export does (ExportSettings defaults);
        # the model shaded as export shades it: ``look``'s ExportSettings fields (shading,
        # environment, tone mapping, exposure), export's own defaults for the rest
        settings = pipeline.ExportSettings(**(video or {}), **(look or {}))
        if variant is not LOOK_VARIANT:  # the preview's own choice (the v key) over --variant
            settings.variant = variant  # type: ignore[assignment]
        warn_if_no_model_lights(scene, settings)
        # the live panel draws this scene's materials: the variant chosen here, not only
        # in the sources export's code opens
        scene = scene.with_variant(settings.variant)
        scene = prepare_scene(scene, settings.video_options(), Framing().margin)
        self.look = settings.look()
        # the video options the clip was processed with, for the window's export (E):
        # the file must hold the keyed, cropped and looped clip the preview shows
        self.video = {name: getattr(settings, name) for name in VIDEO_PARSERS}
        # a fan shows the exposed, tone-mapped picture (RenderedPicture.shown_light); the
        # GL picture the fan view reads is the light before both
        self._tone = resolve_tone_mapping(settings.tone_mapping, settings.exposure, settings.shading)

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
            indexes = list(range(len(scene.animations)))
            if len(scene.animations) > 1:
                indexes.append(scene.all_clips_index)  # = len(scene.animations): the last entry
            for index in indexes:
                settings = pipeline.ExportSettings(device=self.profile, animation=index)
                tl = pipeline.make_timeline(scene, settings, self.fps)
                self.animations.append((scene.clip(index).name or f"#{index}", tl.seconds))
                self._timelines.append(tl)
        self._sources: dict[int, object] = {}
        # guards each source's framing against copies taken for the UI (live_source)
        self._lock = threading.Lock()
        self._fits: dict[int, tuple[np.ndarray, float, float]] = {}
        self.encoder = None
        self.simulator = None
        if self.profile.kind == "polar":
            from ..device import PolarEncoder, ViewerSimulator

            self.encoder = PolarEncoder(self.profile, self.size)
            self.simulator = ViewerSimulator(self.profile, int(fan_size), oversample=FAN_VIEW_OVERSAMPLE)
            self._polar = np.empty(self.profile.codes_shape, np.float32)
            self._gl_tables: dict[int, object] = {}
            self._codes = np.empty(self.profile.codes_shape, np.uint8)
            # each code's light, float32 (max_code + 1,): decode_codes' own values, looked
            # up instead of raised to the gamma for every LED of every fan frame (1.6 of
            # the worker's 6.5 ms a frame on the 42-F2)
            codes = np.arange(self.profile.max_code + 1, dtype=np.uint8)
            self._code_light = decode_codes(codes, self.profile)
            self.mask = None
        else:
            self.mask = pipeline.CircleMask(self.size) if self.profile.circle_mask else None

    def _source(self, animation: int | None):
        index = animation or 0
        if index not in self._sources:
            lights = getattr(self.profile, "lights", None)
            source = self._pipeline.open_source(
                self.scene,
                self._timelines[index],
                self.size,
                framing=self.base_framing,
                supersample=self.profile.supersample,
                lights=lights,
                **self.look,
            )
            if source.camera is not None:
                cam = source.camera
                eye = np.linalg.inv(cam.view)[:3, 3]
                self._fits[index] = (
                    cam.center.copy(),
                    float(cam.radius),
                    float(np.linalg.norm(eye - cam.center)),
                )
            with self._lock:  # published once whole (live_source reads both)
                self._sources[index] = source
        return self._sources[index], self._fits.get(index)

    def live_source(self, animation: int | None):
        """For the UI thread's live render: (a shallow copy of the SceneSource of
        ``animation`` (its own framing and camera; the fitted sphere, drawn box,
        timeline and lights shared, read only), the fitted camera distance), or None
        while the worker has not made that source yet (it fits the camera: seconds on
        a long clip, which the UI thread must not spend)."""
        index = animation or 0
        with self._lock:
            source = self._sources.get(index)
            if source is None or getattr(source, "camera", None) is None:
                return None
            view_copy = copy.copy(source)
        return view_copy, self._fits[index][2]

    def close(self) -> None:
        """Stop the clip's read-ahead threads (VideoSource.close): the worker calls it
        when it replaces this frame maker and when the window closes. Left running, a
        thread still decoding or keying when the process ends can abort it."""
        for source in self._sources.values():
            close = getattr(source, "close", None)
            if close is not None:
                close()

    def fitted_distance(self, animation: int | None) -> float | None:
        fit = self._source(animation)[1]
        return None if fit is None else fit[2]

    def frame(self, request: FrameRequest) -> FramePair:
        started = time.perf_counter()
        source, fit = self._source(request.animation)
        index = max(0, int(request.frame_index))
        if fit is not None:
            with self._lock:
                source.set_framing(framing_for(self.base_framing, request.camera, fit[2]))
        picture = source.picture(index)
        return self._pair(request, picture, np.asarray(picture.color), started)

    def fan_frame(self, request: FrameRequest, picture: np.ndarray) -> FramePair:
        """The fan view of ``request``'s frame from its picture already rendered: the
        window's OpenGL draws the very picture ``frame`` would render (the same pose,
        camera, lights and size). ``picture``: its linear light as GL holds it, float32
        (N, N, 4) RGBA, bottom row first, N = ``fan_picture_size`` (the export's
        ``size``, or less for a polar device). From there on the same steps as
        ``frame`` and as export: for a polar device the export path's resampler (its
        weight table read in GL's row order and channel stride), dithering and
        quantisation. ``render`` is None (the window shows its own picture); for a polar
        device ``fan`` is None too and ``fan_cum`` holds the LEDs' light for the
        window's fan view shader (FanDrawer.show)."""
        started = time.perf_counter()
        n = picture.shape[0]
        if (
            picture.shape != (n, n, 4)
            or not 0 < n <= self.size
            or (self.encoder is None and n != self.size)
            or picture.dtype != np.float32
            or not picture.flags.c_contiguous
        ):
            raise ValueError(
                f"the picture must be C-contiguous float32 {(self.size, self.size, 4)}, got {picture.shape}"
            )
        if self._tone != ("none", 1.0):
            picture = picture.copy()
            picture[..., :3] = shown_light(picture[..., :3], *self._tone)
        if self.encoder is None:
            linear = np.ascontiguousarray(picture[::-1, :, :3])
            return self._pair(request, self._pipeline.Picture(color=None, linear=linear), None, started)
        polar = self._polar
        resample_gl_picture(self._gl_table(n), picture, polar)
        polar *= np.float32(request.brightness)  # resampling is linear: = brightened first
        index = max(0, int(request.frame_index))
        codes = self.encoder.quantise(polar, index, out=self._codes)
        shape = self.profile.codes_shape
        cum = np.zeros((shape[0] + 1,) + shape[1:], np.float32)
        np.cumsum(self._code_light.take(codes), axis=0, dtype=np.float32, out=cum[1:])
        return FramePair(
            render=None, fan=None, request=request, seconds=time.perf_counter() - started, fan_cum=cum
        )

    def fan_picture_size(self, scale: float = 1.0) -> int:
        """The side of the picture ``fan_frame`` takes when the window draws it at
        ``scale`` of the export's side: a polar device resamples any size by area into
        its LEDs, a video device shows the picture itself (the export's size)."""
        if self.encoder is None:
            return self.size
        return max(1, min(self.size, round(self.size * float(scale))))

    def _gl_table(self, n: int):
        if n not in self._gl_tables:
            assert self.encoder is not None
            # the export's own table at that size (built once, cached on disk), read in GL's layout
            table = self.encoder.resampler.tiled if n == self.size else Resampler(self.profile, n).tiled
            self._gl_tables[n] = gl_order_table(table, n)
        return self._gl_tables[n]

    def _pair(self, request: FrameRequest, picture, render, started: float) -> FramePair:
        index = max(0, int(request.frame_index))
        # the fan side is what export writes (pipeline.ExportPlan.output_frame)
        shown = picture.brightened(request.brightness)
        if self.encoder is not None:
            assert self.simulator is not None, "a polar device gets its simulator with its encoder"
            linear = shown.linear_light()  # before .tiles: media input maps them here
            fan = self.simulator.render(self.encoder.encode(linear, index, occupied=shown.tiles))
        else:
            fan = shown.color
            if fan is None:  # a picture the window drew: its linear light, encoded as export does
                fan = (linear_to_srgb(shown.linear_light()) * 255.0 + 0.5).astype(np.uint8)
            if self.mask is not None:
                fan = self.mask.apply(fan)
        return FramePair(
            render=render,
            fan=np.asarray(fan),
            request=request,
            seconds=time.perf_counter() - started,
        )
