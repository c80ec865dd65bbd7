"""The left panel drawn live on the UI thread, at the display's rate.

``LiveRender`` poses the scene at the controls' wall-clock time (not rounded to a
device frame) and draws it with its drawer (the window's own OpenGL, ``SceneDrawer``, or
holopack's renderer, ``NumbaDrawer``: see below), through the
camera the export pipeline fits (a copy of the worker's ``SceneSource``: the same
fitted sphere, drawn box, turntable, lights, shading, tone mapping, size and
supersampling). For the fan view
it also draws each device frame's own instant (``draw_fan_frame``; while playing that
render is the left panel's picture too) and hands its linear light to the render
worker, which resamples it at the device's frame rate; when the worker cannot keep up
device frames are skipped, and neither panel ever slows the clock down.

When the machine cannot draw a UI frame in the display's frame time, the panel is
drawn with fewer pixels for a while (dynamic resolution, ``LiveRender.adapt``) rather
than less often.

Who draws (``panel_drawer``): the window's OpenGL on a GPU; on a software rasteriser
holopack's own renderer (``holopack.preview.numba_panel.NumbaDrawer``), which draws the
export's picture itself for a third of llvmpipe's CPU on FlightHelmet.

A frame maker without ``live_source`` (a picture or video input, the tests' drawn
discs) leaves the left panel to the worker's pictures.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Protocol

import numba
import numpy as np

from .controls import Controls, FrameRequest
from .fan_gl import FanDrawer
from .source import framing_for

# Dynamic resolution: when a UI frame takes longer than the display's frame time, the live
# panel is drawn with fewer pixels (down to MIN_SCALE of its side) rather than at a lower
# frame rate; it climbs back as frames get cheap. On a GPU the scale stays 1; with Mesa's
# software rasteriser on two busy cores the panel's draw went from 78 ms at 672 px to
# 12 ms at 336 px (pixels dominate its cost: 2.6 ms at 64 px).
MIN_SCALE = 0.5
SCALE_DOWN, SCALE_UP = 0.9, 1.05

# The pictures a software rasteriser draws for the fan view of a polar device have this
# share of the export's side (PipelineFrames.fan_picture_size): resampled by area into
# the LEDs, half the side (still 1.5 pixels a LED pitch on the 42-F2) keeps the fan view
# within the tested agreement with export (tests/test_preview_fan_gl.py: 37-38 dB
# against 79 dB at full size) for a quarter of llvmpipe's work. A GPU draws full size.
SOFTWARE_FAN_SCALE = 0.5
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swiftshader", "software rasterizer")


def is_software(renderer: str) -> bool:
    """Whether an OpenGL renderer (its GL_RENDERER string) rasterises on the CPU."""
    name = renderer.lower()
    return any(word in name for word in SOFTWARE_RENDERERS)


def fan_scale_for(renderer: str) -> float:
    """The fan pictures' scale for an OpenGL renderer (its GL_RENDERER string)."""
    return SOFTWARE_FAN_SCALE if is_software(renderer) else 1.0


LIVE_PANELS = ("auto", "gl", "numba")


def panel_drawer(renderer: str, choice: str = "auto") -> tuple[PanelDrawer, float]:
    """(the drawer of the live panel, the fan pictures' scale) for an OpenGL renderer
    (its GL_RENDERER string). ``choice``: "gl" (the window's OpenGL, SceneDrawer),
    "numba" (holopack's renderer, NumbaDrawer) or "auto": holopack's renderer where
    the OpenGL is a software rasteriser (see holopack.preview.numba_panel), which then
    draws the fan pictures at the export's full size."""
    if choice not in LIVE_PANELS:
        raise ValueError(f"live panel must be one of {', '.join(LIVE_PANELS)}, got {choice!r}")
    if choice == "numba" or (choice == "auto" and is_software(renderer)):
        from .numba_panel import NumbaDrawer

        return NumbaDrawer(), fan_scale_for(renderer)
    from ..rendering.gl.scene import SceneDrawer

    return SceneDrawer(), fan_scale_for(renderer)


class PanelDrawer(Protocol):
    """What draws the live panel: holopack.rendering.gl.scene.SceneDrawer (the window's
    OpenGL) or holopack.preview.numba_panel.NumbaDrawer (holopack's renderer).

    ``draw`` takes SceneDrawer.draw's arguments and returns the picture for the
    window's image shader, ``picture`` the last one, ``size`` its (width, height);
    ``read_linear`` its linear light as float32 (H, W, 4) RGBA, bottom row first. A
    drawer may ask for the dynamic resolution's scale to be rounded up to steps of
    1 / ``SCALE_STEPS`` (a class attribute; none: any scale)."""

    size: tuple[int, int]

    def draw(
        self,
        posed,
        materials,
        textures,
        view,
        projection,
        size: tuple[int, int],
        *,
        supersample: int = 1,
        lights=None,
        shading: str = "lit",
        linear: bool = False,
        tone_mapping: str | None = None,
        exposure: float = 1.0,
        environment=None,
    ) -> Any: ...

    @property
    def picture(self) -> Any: ...

    def read_linear(self, out: np.ndarray | None = None) -> np.ndarray: ...

    def release(self) -> None: ...


class LiveRender:
    """Draws the current state of ``Controls`` into ``drawer``'s picture."""

    def __init__(self, drawer: PanelDrawer):
        self.drawer = drawer
        self._frames: Any = None
        self._scene: Any = None
        self._sources: dict[int | None, tuple] = {}
        self.frames_drawn = 0
        self._drawn_key: tuple | None = None
        self.scale = 1.0  # of the panel's side, see MIN_SCALE
        self._posed: list = []
        self._posed_key: tuple | None = None
        self.fan_frames_drawn = 0
        self.fan_scale = 1.0  # of the export's side, for fan pictures (fan_scale_for)
        self._fan: FanDrawer | None = None
        self._fan_frames: Any = None
        self._shown_time: float | None = None

    def set_frames(self, frames) -> None:
        """A new frame maker (after a reload or a device change) from the worker."""
        if frames is self._frames:
            return
        self._frames = frames
        self._drawn_key = None
        self._sources = {}
        self._scene = None
        scene = getattr(frames, "scene", None)
        # the live GL panel draws meshes; a picture, a video or a splat twin shows the
        # worker's frames (the fan view) alone
        drawn = not getattr(scene, "is_media", False) and not getattr(scene, "is_splats", False)
        if scene is not None and hasattr(frames, "live_source") and drawn:
            # a shallow copy with its own pose cache: posing here never touches the state
            # the worker thread poses with
            self._scene = copy.copy(scene)
            self._scene.pose_cache = None

    def adapt(self, frame_seconds: float, budget_seconds: float) -> None:
        """Scale the next draws for a UI frame that took ``frame_seconds`` of work
        against a display frame time of ``budget_seconds``."""
        if frame_seconds > 1.1 * budget_seconds:
            self.scale = max(MIN_SCALE, self.scale * SCALE_DOWN)
        elif frame_seconds < 0.6 * budget_seconds:
            self.scale = min(1.0, self.scale * SCALE_UP)

    @property
    def active(self) -> bool:
        return self._scene is not None

    def _source(self, animation):
        if animation not in self._sources:
            made = self._frames.live_source(animation)
            if made is None:
                return None  # the worker has not fitted the camera for this clip yet
            if not _parallel_kernels_may_overlap():
                self._scene = None  # leave the left panel to the worker
                return None
            self._sources[animation] = made
        return self._sources[animation]

    def draw(self, controls: Controls, max_side: int | None = None):
        """Render the scene as ``controls`` say; returns the picture (a texture for the
        window's image shader), or None when there is nothing to draw live yet.

        max_side: the panel's side in pixels. A larger export size (the MP4 fan's 1024
        at 2x2 samples: 9 times the pixels of a 680-pixel panel) is drawn at the panel's
        size instead, with the same camera and sampling: the window would only scale
        it down."""
        if self._scene is None:
            return None
        made = self._source(controls.animation)
        if made is None:
            return None
        source = made[0]
        full = source.size if not max_side else max(1, min(source.size, int(max_side)))
        steps = getattr(self.drawer, "SCALE_STEPS", 0)
        scale = math.ceil(self.scale * steps) / steps if steps else self.scale
        side = max(1, round(full * scale))
        self._shown_time = controls.time
        # the export frame index as a real number: the clock's own instant, between frames
        position = controls.time * float(self._frames.fps)
        key = self._drawn_key
        picture = self._render(made, controls.animation, controls.camera, position, side)
        if self._drawn_key != key:
            self.frames_drawn += 1
        return picture

    def draw_fan_frame(self, request: FrameRequest):
        """Render the device frame ``request`` asks for (its export frame index, camera
        and clip) at the export's own size and sampling, keeping its linear light for
        ``read_fan_frame``: the picture export renders for that frame, which the fan
        view is resampled from. Returns the picture (the left panel may show it: see
        ``fan_frame_is_now``), or None while there is nothing to draw live yet."""
        if self._scene is None:
            return None
        made = self._source(request.animation)
        if made is None:
            return None
        picture = self._render(
            made,
            request.animation,
            request.camera,
            float(request.frame_index),
            self._frames.fan_picture_size(self.fan_scale),
            linear=True,
        )
        self.fan_frames_drawn += 1
        return picture

    def fan_frame_is_now(self, controls: Controls, request: FrameRequest) -> bool:
        """Whether the fan frame drawn for ``request`` may stand for the clock's instant
        on the left panel this UI frame (one render then serves both panels): while
        playing, when the frame began after the instant the panel showed last (the
        panel's time never steps back; the frame is at most a display frame old); when
        paused only at that very instant (a pose would flicker between two instants)."""
        if controls.animation != request.animation or controls.camera != request.camera:
            return False
        fan_time = request.frame_index / float(controls.fps) if controls.fps > 0 else 0.0
        if controls.playing:
            return self._shown_time is not None and self._shown_time <= fan_time <= controls.time
        return abs(controls.time - fan_time) < 1e-9

    def shown_at(self, seconds: float) -> None:
        """The left panel now shows the fan frame just drawn, the clip at ``seconds``."""
        self._shown_time = seconds
        self.frames_drawn += 1

    def read_fan_frame(self) -> np.ndarray:
        """The linear light of the last ``draw_fan_frame`` as GL holds it: float32
        (S, S, 4) RGBA, bottom row first (PipelineFrames.fan_frame takes it so), in a
        new array: the worker may still be reading the one before."""
        side = self.drawer.size[1]
        return self.drawer.read_linear(np.empty((side, side, 4), np.float32))

    def fan_drawer(self) -> FanDrawer:
        """The fan view's drawer for the current polar device (made on first use)."""
        frames = self._frames
        if getattr(frames, "simulator", None) is None:
            raise ValueError("the device is not a polar fan: its fan view is a picture")
        if self._fan is None or self._fan_frames is not frames:
            if self._fan is not None:
                self._fan.release()
            self._fan = FanDrawer(frames.profile, frames.simulator.size)
            self._fan_frames = frames
        return self._fan

    def _render(self, made, animation, camera, position: float, side: int, linear: bool = False):
        source, fitted_distance = made
        key = (id(self._frames), animation, position, camera, side, linear)
        if key == self._drawn_key:
            return self.drawer.picture  # paused and untouched: the picture stands
        source.set_framing(framing_for(self._frames.base_framing, camera, fitted_distance))
        timeline = source.timeline
        scene = self._scene
        clip_time = timeline.anim_time(position)
        pose_key = (id(self._frames), timeline.animation, clip_time)
        if pose_key != self._posed_key:
            # a still model on a turntable keeps one pose: posed (and uploaded) once
            self._posed = scene.pose(timeline.animation, clip_time)
            self._posed_key = pose_key
        picture = self.drawer.draw(
            self._posed,
            scene.materials,
            scene.textures,
            source.view_at(position),
            source.camera.projection,
            (side, side),
            supersample=source.supersample,
            lights=source.lights_at(position),  # the instant's own lights (--model-lights)
            shading=source.shading,
            linear=linear,
            tone_mapping=source.tone_mapping,
            exposure=source.exposure,
            environment=source.environment,
        )
        self._drawn_key = key
        return picture


def _parallel_kernels_may_overlap() -> bool:
    """Whether this thread may pose (a parallel skinning kernel for large meshes) while
    the worker runs its kernels. Numba's omp and tbb layers allow it; its workqueue layer
    aborts the process. The worker has posed the same meshes to fit the camera before
    ``live_source`` gives anything, so a layer is known by then if posing needs one."""
    try:
        return numba.threading_layer() != "workqueue"
    except ValueError:  # no parallel kernel has run: posing these meshes needs none
        return True
