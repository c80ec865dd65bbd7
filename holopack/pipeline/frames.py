"""Frames of an export: which instant each frame shows (Timeline), and the square
picture at each frame (a Source -> Picture), which export and the preview both draw."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from .. import options
from ..animate.orientation import Orientation, decide
from ..colour import SRGB8_TO_LINEAR, linear_to_srgb
from ..colour_kernel import srgb8_to_linear_tiles
from ..errors import InputError
from ..limits import check_frame_count
from ..notices import warn
from ..rendering import TILE, RenderedPicture, Renderer
from ..rendering.camera import Camera, Framing, camera_for_sphere, fit_camera, fit_drawn_box
from ..rendering.lights import Lights
from ..rendering.model_lights import model_lights_in_view
from ..scene.media import STILL_SECONDS, fit_square
from ..scene.scene import Scene
from ..schema import Fault
from .settings import ExportSettings

STATIC_SECONDS = 8.0  # a model without animation plays one turntable turn this long
FRAMING_SAMPLES = 48  # poses sampled over a clip to fit the camera once for all of it
FRAMING_ANGLES = 24  # turntable angles the framing is checked at (every 15 degrees)


@dataclass
class Timeline:
    """Which instant each output frame shows.

    anim_times[i] = time in the animation (seconds of clip time), or None without one;
    angles[i] = turntable angle in degrees.
    """

    fps: float
    frame_count: int
    animation: int | None
    start: float = 0.0
    length: float = 0.0  # clip length in animation time; 0 = no animation
    speed: float = options.default("speed")
    turntable: float = 0.0  # degrees per second

    @property
    def seconds(self) -> float:
        return self.frame_count / self.fps

    @property
    def loop_frames(self) -> int:
        """Frames in one loop of the clip (at least 1)."""
        if self.length <= 0:
            return 1
        return max(1, int(round(self.length / self.speed * self.fps)))

    def anim_time(self, index: int) -> float:
        if self.length <= 0:
            return self.start
        # Loops wrap on a whole number of frames: frame i of a loop of N frames is at
        # start + (i mod N) / N * length, so the last frame is at length - length/N and
        # the seam never repeats a pose. When length*fps is not a whole number the clip
        # plays a fraction of a percent faster or slower rather than jump at the seam.
        n = self.loop_frames
        return self.start + (index % n) * self.length / n

    def angle(self, index: int) -> float:
        return self.turntable * index / self.fps

    def loop_indices(self, count: int) -> list[int]:
        """Up to ``count`` frame indices spread over one whole loop of the clip (for
        framing: even a short export is framed for the whole clip, so that exports of
        different lengths of one twin match)."""
        loop_frames = self.loop_frames
        if loop_frames <= count:
            return list(range(loop_frames))
        return sorted(set(np.linspace(0, loop_frames - 1, count).round().astype(int).tolist()))


def make_timeline(scene: Scene, settings: ExportSettings, fps: float) -> Timeline:
    if fps <= 0 or not math.isfinite(fps):
        raise InputError(f"fps must be a positive number, got {fps}")
    if not settings.speed or settings.speed <= 0 or not math.isfinite(settings.speed):
        raise InputError(f"--speed must be a positive number, got {settings.speed}")
    loops = 1.0 if settings.loops is None else float(settings.loops)
    if loops <= 0 or not math.isfinite(loops):
        raise InputError(f"--loops must be a positive number, got {settings.loops}")
    media = scene.media
    if media is not None:
        clip = media.duration if media.fps > 0 else STILL_SECONDS
        seconds = settings.seconds if settings.seconds else clip * loops
        return Timeline(fps=fps, frame_count=_frames(seconds, fps), animation=None)
    index = scene.animation_index(settings.animation)
    start = length = 0.0
    if index is not None:
        clip = scene.clip(index)
        start, length = clip.start, clip.duration - clip.start
    timeline = Timeline(
        fps=fps, frame_count=1, animation=index, start=start, length=length, speed=settings.speed
    )
    if settings.seconds:
        timeline.frame_count = _frames(settings.seconds, fps)
        if length > 0:
            _warn_partial_loop(timeline, settings.seconds, scene.path)
    elif length > 0:
        check_frame_count(timeline.loop_frames * loops / fps, fps)
        timeline.frame_count = max(1, int(round(timeline.loop_frames * loops)))
    else:
        timeline.frame_count = _frames(STATIC_SECONDS * loops, fps)
    turntable = settings.turntable
    if turntable is None:
        turntable = 360.0 / timeline.seconds if length <= 0 else 0.0
    timeline.turntable = float(turntable)
    return timeline


def whole_loop_seconds(timeline: Timeline, seconds: float) -> list[float]:
    """The whole-loop lengths nearest ``seconds`` (one below and one above, or just the
    single loop when ``seconds`` is shorter than it), in seconds of output."""
    loop = timeline.loop_frames / timeline.fps
    below = math.floor(seconds / loop + 1e-9)
    return [n * loop for n in (below, below + 1) if n >= 1]


PARTIAL_LOOP = "--seconds "  # how _warn_partial_loop's line begins (notices.leaving_out)


def _warn_partial_loop(timeline: Timeline, seconds: float, path: str) -> None:
    """A clip cut mid-loop jumps when the fan plays the file again from its start."""
    if timeline.frame_count % timeline.loop_frames == 0:
        return
    loop = timeline.loop_frames / timeline.fps
    choices = whole_loop_seconds(timeline, seconds)
    nearest = min(choices, key=lambda s: abs(s - seconds))
    others = " or ".join(
        f"{_secs(s)} s ({round(s / loop)} loop{'s' if round(s / loop) != 1 else ''})"
        for s in sorted(choices, key=lambda s: abs(s - seconds))
    )
    warn(
        f"{PARTIAL_LOOP}{seconds:g} is {timeline.frame_count / timeline.loop_frames:.2f} loops of the "
        f"{_secs(loop)} s clip, so the loop jumps where the file starts again; the nearest "
        f"whole-loop length is --seconds {_secs(nearest)}"
        + (f" (choices: {others})" if len(choices) > 1 else ""),
        path,
    )


def _secs(seconds: float) -> str:
    """Seconds to the millisecond (exact to the frame at any fan's rate), no trailing 0s."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


def _frames(seconds: float, fps: float) -> int:
    if seconds <= 0 or not math.isfinite(seconds):
        raise InputError(f"--seconds must be a positive number, got {seconds}")
    return max(1, int(round(check_frame_count(seconds, fps))))


@dataclass
class Picture:
    """One square picture on its way to the device.

    color : (S, S, 3) uint8 sRGB, or None for a picture given as linear light only (one
    the preview window drew on the GPU); linear : (S, S, 3) float32 linear light (what the
    resampler averages), computed lazily for media input; tiles : the map of TILE-px
    tiles that may hold light: the renderer's (RenderedPicture.tiles), or for media input found
    with the linear light (None until then).
    """

    color: np.ndarray | None
    linear: np.ndarray | None = None
    tiles: np.ndarray | None = None

    def linear_light(self) -> np.ndarray:
        """The linear light; converting the colour also maps its black tiles (tiles)."""
        if self.linear is None:
            assert self.color is not None, "a Picture has its colour, its linear light or both"
            h, w = self.color.shape[:2]
            linear = np.empty((h, w, 3), np.float32)
            tiles = np.empty((-(-h // TILE), -(-w // TILE)), np.bool_)
            srgb8_to_linear_tiles(np.ascontiguousarray(self.color), SRGB8_TO_LINEAR, TILE, linear, tiles)
            self.linear, self.tiles = linear, tiles
        return self.linear

    def brightened(self, factor: float) -> Picture:
        """The picture with its light scaled by ``factor`` (in linear light)."""
        if factor == 1.0:
            return self
        linear = self.linear_light() * np.float32(factor)
        color = (linear_to_srgb(linear) * 255.0 + 0.5).astype(np.uint8)
        return Picture(color=color, linear=linear, tiles=self.tiles)  # black stays black


class Source(Protocol):
    """Square pictures at each frame of a timeline, whatever the input: a scene posed and
    rendered (SceneSource), or a picture or video decoded (VideoSource). Export, the
    preview and the bench ask a Source for pictures and never branch on its kind;
    ``open_source`` is the one place that chooses.
    """

    scene: Scene
    timeline: Timeline
    size: int
    supersample: int
    framing: Framing
    orientation: Orientation

    @property
    def camera(self) -> Camera | None:
        """The camera fitted over the clip; None where nothing is rendered."""
        ...

    def set_framing(self, framing: Framing) -> None: ...

    def picture(self, index: int) -> Picture: ...


def open_source(scene: Scene, timeline: Timeline, size: int, **options) -> SceneSource | VideoSource:
    """The Source for ``scene``: its media decoded when it holds a picture or video, its
    splats drawn when it is a Gaussian splat twin, else the scene rendered.
    ``options``: SceneSource's keywords; a picture or video uses only ``framing`` and
    ``supersample`` of them, splats those and ``front``/``up``."""
    if scene.is_media:
        framing, supersample = options.get("framing"), options.get("supersample", 1)
        return VideoSource(scene, timeline, size, framing=framing, supersample=supersample)
    if scene.is_splats:
        keep = {k: options[k] for k in ("framing", "supersample", "front", "up") if k in options}
        return SplatSource(scene, timeline, size, **keep)
    return SceneSource(scene, timeline, size, **options)


def frame_lights(source, index: int, rig):
    """The lights ``source`` (a SceneSource or a wall's CanvasSource) draws frame
    ``index`` with: its model's own KHR_lights_punctual lights at that instant, in
    that frame's view space, when ``source.model_lights`` asks for them and the model
    has some; else ``rig`` (the camera-fixed lights)."""
    if source.model_lights and source.scene.lights:
        tl = source.timeline
        return model_lights_in_view(source.scene, source.view_at(index), tl.animation, tl.anim_time(index))
    return rig


class _SourceBase:
    """What every Source keeps: its scene, timeline, picture size and framing."""

    def __init__(
        self,
        scene: Scene,
        timeline: Timeline,
        size: int,
        *,
        framing: Framing | None = None,
        supersample: int = 1,
    ):
        self.scene = scene
        self.timeline = timeline
        self.size = int(size)
        self.framing = framing or Framing()
        self.supersample = max(1, int(supersample))


# how many strides ahead of a reader that skips frames its next skips are guessed
SKIP_AHEAD_STRIDES = 4


class VideoSource(_SourceBase):
    """Square pictures of a decoded picture or video: frame ``i`` shows the video's frame
    at that instant (a picture: always itself), fitted into the square. ``supersample``
    is only reported (by the bench): a decoded picture is not supersampled."""

    camera = None  # nothing is rendered

    def __init__(self, scene: Scene, timeline: Timeline, size: int, **common):
        super().__init__(scene, timeline, size, **common)
        if scene.media is None:
            raise ValueError("a VideoSource needs a scene that holds a picture or video")
        self.media = scene.media
        self.orientation = Orientation()
        self._media_iter: Iterator[np.ndarray | None] | None = None
        self._media_pos = -1
        self._media_fitted = False  # whether the open pass hands over fitted frames
        self._media_frame: np.ndarray | None = None
        # the open pass's frames to process (a processed clip's frames_kept), or None,
        # and the output frame asked for last
        self._kept: np.ndarray | None = None
        self._last_index: int | None = None
        if hasattr(self.media, "set_size"):
            self.media.set_size(self.size)  # processed video is keyed at the output size

    def set_framing(self, framing: Framing) -> None:
        self.framing = framing

    def picture(self, index: int) -> Picture:
        return Picture(color=fit_square(self._frame(index, fitted=True), self.size))

    def source_index(self, index: int) -> int:
        """The video frame that output frame ``index`` shows (0 for a picture)."""
        media = self.media
        if media.fps <= 0:
            return 0
        return int(math.floor(index / self.timeline.fps * media.fps + 1e-6)) % max(1, media.frame_count)

    def kept_frames(self, index: int) -> np.ndarray:
        """bool (N,): the video frames that a pass over the clip from output frame
        ``index`` shows, up to where the clip starts again (the next pass reads anew)."""
        count = max(1, self.media.frame_count)
        kept = np.zeros(count, bool)
        last = -1
        # one pass shows at most every frame, each at most ceil(device / clip rate) times
        steps = count * (int(math.ceil(self.timeline.fps / max(self.media.fps, 1e-9))) + 1)
        for i in range(index, index + steps):
            shown = self.source_index(i)
            if shown < last:
                break
            kept[shown], last = True, shown
        return kept

    def frame_at(self, index: int) -> np.ndarray:
        """The decoded frame (h, w, 3) uint8 sRGB that output frame ``index`` shows."""
        return self._frame(index, fitted=False)

    def _frame(self, index: int, fitted: bool) -> np.ndarray:
        """frame_at, or with ``fitted`` the frame already fitted in the square where
        ffmpeg can fit it as it decodes (an unkeyed clip: video.process.fitted_frames)."""
        media = self.media
        wanted = self.source_index(index)
        if self._media_iter is None or wanted < self._media_pos or fitted != self._media_fitted:
            if fitted != self._media_fitted:
                self._media_frame = None  # a frame of the other kind is no last frame to hold
            self.close()
            self._media_iter = iter(self._open(index, fitted))
            self._media_pos = -1
            self._media_fitted = fitted
        last, self._last_index = self._last_index, index
        if self._kept is not None and last is not None and index > last + 1 and wanted > self._media_pos:
            self._skip_ahead(index, index - last, wanted)
        while self._media_pos < wanted:
            try:
                frame = next(self._media_iter)
                self._media_pos += 1
            except StopIteration:
                # the container's duration overstated the frames: hold the last one
                if self._media_frame is None:
                    raise InputError("the video has no frames", self.scene.path) from None
                media.frame_count = max(1, self._media_pos + 1)
                break
            if frame is not None:  # None: a frame of the clip this pass does not show
                self._media_frame = frame
        assert self._media_frame is not None  # the loop read a frame, or raised
        return self._media_frame

    def _skip_ahead(self, index: int, stride: int, wanted: int) -> None:
        """The reader asked for output frame ``index``, ``stride`` after the one before
        (the preview drops frames to keep time; export asks for every frame): the video
        frames it was not shown, up to ``wanted``, and those it will probably skip next
        (at the same stride, SKIP_AHEAD_STRIDES ahead) are decoded but not keyed: the
        pass's reading thread reads the same array (holopack.video.process). A frame
        asked for that was left out shows the kept one before it. Keying every frame
        held the preview's fan view of a 540 px keyed clip to 1 fps: each late request
        caught up 30 frames (0.9-1.4 s), and so came later still; with the frames between
        left out but not the guessed ones, the frames keyed ahead of the reader were
        thrown away at each skip (5-6 fps)."""
        kept = self._kept
        assert kept is not None
        kept[max(self._media_pos + 1, 0) : wanted] = False
        shown: list[int] = []
        for k in range(1, SKIP_AHEAD_STRIDES + 1):
            i = self.source_index(index + k * stride)
            if not (max(shown, default=wanted) < i < len(kept)):
                break  # the clip starts again there (the next pass reads anew)
            shown.append(i)
        if shown:
            guessed = kept[wanted + 1 : shown[-1] + 1]
            keep = guessed[np.array(shown) - (wanted + 1)].copy()
            guessed[:] = False
            guessed[np.array(shown) - (wanted + 1)] = keep

    def _open(self, index: int, fitted: bool) -> Iterator[np.ndarray | None]:
        """A new pass over the media's frames for output frame ``index`` on."""
        media = self.media
        if media.fps <= 0:
            return media.frames()
        # a processed clip faster than the device keys only the frames shown
        kept_frames = getattr(media, "frames_kept", None)
        if kept_frames is not None:
            self._kept = self.kept_frames(index)
            return kept_frames(self._kept)
        if fitted:
            from ..video.process import fitted_frames

            placed = fitted_frames(media, self.size)
            if placed is not None:
                return placed
        return media.frames()

    def close(self) -> None:
        """Stop reading: a processed clip decodes and keys ahead on a thread of its own
        (holopack.ahead), which otherwise lives on until this source is collected."""
        media_iter, self._media_iter = self._media_iter, None
        self._media_pos = -1
        self._kept = None
        self._last_index = None
        close = getattr(media_iter, "close", None)
        if close is not None:
            close()


class SceneSource(_SourceBase):
    """Square pictures of a scene rendered at each frame of a timeline.

    The camera is fitted once over the whole clip, so the subject never bobs or gets
    cut off. Both export and the preview window draw through this class, so the
    preview shows exactly what export writes.
    """

    def __init__(
        self,
        scene: Scene,
        timeline: Timeline,
        size: int,
        *,
        lights=None,
        shading: str = "lit",
        front: str = "auto",
        up: str = "auto",
        model_lights: bool = False,
        environment: str | None = None,
        tone_mapping: str | None = None,
        exposure: float = 1.0,
        variant: str | int | None = None,
        **common,
    ):
        # the material variant (a no-op when the caller has chosen it already)
        scene = scene.with_variant(variant)
        super().__init__(scene, timeline, size, **common)
        self.shading = shading
        self.model_lights = model_lights
        self.environment = environment  # None, "none" or "studio" (Renderer.draw's)
        self.tone_mapping = tone_mapping
        self.exposure = exposure
        self.orientation = decide(scene, front, up)
        self._model = self.orientation.matrix4()  # (4, 4) float64: the model's axes turned to face the viewer
        self.renderer = Renderer(
            (self.size, self.size), supersample=self.supersample, lights=as_lights(lights)
        )
        self.camera = self._fit_camera()

    # -- camera ------------------------------------------------------------------
    def _fit_camera(self) -> Camera:
        """A sphere fit over the clip chooses the camera's direction and distance; then
        the box of everything drawn, as the camera sees it over the clip (every sampled
        pose, every turntable angle), is centred in the circle and filled up to the margin
        (fit_drawn_box: the measure validate uses)."""
        tl = self.timeline
        points = []
        rotation = self._model[:3, :3]
        for i in tl.loop_indices(FRAMING_SAMPLES):
            for posed in self.scene.pose(tl.animation, tl.anim_time(i)):
                points.append(_framing_points(posed.positions))
        if not points:
            raise InputError("the scene has nothing to draw", self.scene.path)
        pts = np.concatenate(points).astype(np.float64)
        if not np.array_equal(rotation, np.eye(3)):  # --front/--up turn the model's axes
            # signed axis swaps, as column arithmetic (a BLAS call is slower here)
            pts = np.stack([pts[:, 0] * r[0] + pts[:, 1] * r[1] + pts[:, 2] * r[2] for r in rotation], axis=1)
        camera = fit_camera(pts, self.framing, spin_axis_points=tl.turntable != 0.0)
        self._box_pts = _box_points(pts)
        return self._framed(camera, self.framing)

    def _framed(self, camera: Camera, framing: Framing) -> Camera:
        """``camera`` (the sphere fit seen with ``framing``) with the drawn box centred and
        filling the circle: the same for export and for the preview's every framing."""
        if framing.pan_x or framing.pan_y:
            return camera  # the user placed the subject
        if framing.distance:
            # a chosen distance moves the camera as a dolly does: the picture plane keeps
            # the shift and zoom fitted at the fitted distance (a fixed lens)
            fitted_framing = replace(framing, distance=None)
            at_fit = self._framed(
                camera_for_sphere(camera.center, camera.radius, fitted_framing), fitted_framing
            )
            if at_fit.screen is None:
                return camera
            return replace(camera, projection=at_fit.screen @ camera.projection, screen=at_fit.screen)
        views = [self._turned_view(camera, angle, framing) for angle in self._framing_angles()]
        return fit_drawn_box(camera, self._box_pts, views, framing.margin)

    def _framing_angles(self) -> list[float]:
        """Turntable angles (degrees) the framing must hold for: the export's own, up to
        one whole turn, sampled."""
        tl = self.timeline
        if tl.turntable == 0.0:
            return [0.0]
        count = tl.frame_count
        if abs(tl.turntable) * tl.seconds >= 360.0:
            return [float(a) for a in np.arange(0.0, 360.0, 360.0 / FRAMING_ANGLES)]
        picks = np.linspace(0, count - 1, min(count, FRAMING_ANGLES)).round().astype(int)
        return [tl.angle(int(i)) for i in sorted(set(picks.tolist()))]

    def _turned_view(self, camera: Camera, angle: float, framing: Framing | None = None) -> np.ndarray:
        if angle == 0.0:
            return camera.view
        framing = self.framing if framing is None else framing
        turned = replace(framing, yaw=framing.yaw - angle)
        return camera_for_sphere(camera.center, camera.radius, turned).view

    def set_framing(self, framing: Framing) -> None:
        """Change yaw, pitch, distance, pan... keeping the sphere fitted over the clip
        (no posing again) and centring the drawn box for the new view, as export does
        with that framing: what the preview does as the user orbits."""
        if self.camera is not None and framing != self.framing:
            sphere = camera_for_sphere(self.camera.center, self.camera.radius, framing)
            self.framing = framing
            self.camera = self._framed(sphere, framing)
        self.framing = framing

    def view_at(self, index: int) -> np.ndarray:
        """The view matrix for frame ``index`` (the model's axes turned by --front/--up
        first): the turntable orbits the camera the other way round, which with
        camera-fixed lights equals spinning the model."""
        return self._turned_view(self.camera, self.timeline.angle(index)) @ self._model

    # -- pictures ----------------------------------------------------------------
    def picture(self, index: int) -> Picture:
        tl = self.timeline
        frame = self.draw(self.scene.pose(tl.animation, tl.anim_time(index)), index)
        return Picture(color=frame.color, linear=frame.shown_light(), tiles=frame.tiles)

    def lights_at(self, index: int):
        """The lights frame ``index`` is drawn with: the model's own lights in view
        (--model-lights, where it has some), else the renderer's rig."""
        return frame_lights(self, index, self.renderer.lights)

    def draw(self, posed: list, index: int) -> RenderedPicture:
        """Render ``posed`` (the scene's pose at frame ``index``) as frame ``index`` sees
        it: what ``picture`` does after posing (the bench times the two apart)."""
        self.renderer.lights = self.lights_at(index)
        return self.renderer.draw(
            posed,
            self.scene.materials,
            self.scene.textures,
            self.view_at(index),
            self.camera.projection,
            shading=self.shading,
            tone_mapping=self.tone_mapping,
            exposure=self.exposure,
            environment=self.environment,
        )


class SplatSource(SceneSource):
    """Square pictures of a Gaussian splat twin (Scene.splats) turning on the turntable:
    a still model's timeline (one turn per STATIC_SECONDS), the camera fitted once as
    SceneSource fits it (--front/--up turn the splats' axes the same way), each frame
    drawn by holopack.rendering.splats. Lights, shading, tone mapping and exposure do
    not apply: a splat's colour is its capture's light."""

    model_lights = False

    def __init__(
        self,
        scene: Scene,
        timeline: Timeline,
        size: int,
        *,
        front: str = "auto",
        up: str = "auto",
        **common,
    ):
        _SourceBase.__init__(self, scene, timeline, size, **common)
        if scene.splats is None:
            raise ValueError("a SplatSource needs a scene that holds splats")
        self.splats = scene.splats
        self.orientation = decide(scene, front, up)
        self._model = self.orientation.matrix4()
        from ..rendering.splats import SplatRenderer  # the kernels: imported where drawn

        self.splat_renderer = SplatRenderer(
            (self.size, self.size), supersample=self.supersample, path=scene.path
        )
        self.camera = self._fit_camera()

    def _fit_camera(self) -> Camera:
        """SceneSource's fit, over the splats' extent (framing_points) rather than posed
        vertices."""
        pts = _padded(self.splats, framing_points(self.splats, keep=True))
        rotation = self._model[:3, :3]
        if not np.array_equal(rotation, np.eye(3)):
            pts = np.stack([pts[:, 0] * r[0] + pts[:, 1] * r[1] + pts[:, 2] * r[2] for r in rotation], axis=1)
        camera = fit_camera(
            _framing_points(pts), self.framing, spin_axis_points=self.timeline.turntable != 0.0
        )
        self._box_pts = _box_points(pts)
        return self._framed(camera, self.framing)

    def lights_at(self, index: int):
        return None  # splats carry their light

    def picture(self, index: int) -> Picture:
        frame = self.draw([], index)
        return Picture(color=frame.color, linear=frame.linear, tiles=frame.tiles)

    def draw(self, posed: list, index: int) -> RenderedPicture:
        """Frame ``index`` (``posed`` is the empty pose of a scene without meshes; the
        bench passes it as it passes a model's)."""
        return self.splat_renderer.draw(self.splats, self.view_at(index), self.camera.projection)


# splats fainter than this are left out of the extent the camera is fitted to, as are the
# FRAMING_PERCENTILE % nearest each end of each axis: a capture's floaters (stray splats
# far from the subject, in the air where the photographs did not agree) would otherwise
# shrink the subject to a dot
FRAMING_OPACITY = 0.1
FRAMING_PERCENTILE = 1.0


def framing_points(splats, keep: bool = False):
    """(M, 3) float64 centres of the splats that frame the twin: those with opacity above
    FRAMING_OPACITY inside the box from the FRAMING_PERCENTILE-th to the (100 -
    FRAMING_PERCENTILE)-th percentile of their centres on each axis (every centre when
    no splat is that opaque). ``keep``: (their indices into the splats) instead."""
    means = np.asarray(splats.means, np.float64)
    solid = np.flatnonzero(np.asarray(splats.opacities) > FRAMING_OPACITY)
    if not len(solid):
        solid = np.arange(len(means))
    lo = np.percentile(means[solid], FRAMING_PERCENTILE, axis=0)
    hi = np.percentile(means[solid], 100.0 - FRAMING_PERCENTILE, axis=0)
    inside = solid[np.all((means[solid] >= lo) & (means[solid] <= hi), axis=1)]
    chosen = inside if len(inside) else solid
    return chosen if keep else means[chosen]


FRAMING_SIGMAS = 2.0  # how far past its centre a splat counts for the framing (its light to 1/7)


def _padded(splats, chosen: np.ndarray, limit: int = 20000) -> np.ndarray:
    """(M, 3) float64 points that frame the splats ``chosen`` (indices) with their size:
    each centre (at most ``limit`` of them, keeping each axis' extremes) moved
    FRAMING_SIGMAS x its largest scale along each axis both ways. A capture's surface
    splats are small beside the twin, but a coarse one's are not: a sphere of 800
    splats of 0.12 radii filled the whole circle framed by its centres alone."""
    means = np.asarray(splats.means, np.float64)[chosen]
    reach = FRAMING_SIGMAS * np.asarray(splats.scales, np.float64)[chosen].max(axis=1)
    if len(means) > limit:
        stride = int(math.ceil(len(means) / limit))
        pick = np.concatenate([np.arange(0, len(means), stride), means.argmin(0), means.argmax(0)])
        means, reach = means[pick], reach[pick]
    steps = np.concatenate([np.eye(3), -np.eye(3)])
    return (means[None, :, :] + steps[:, None, :] * reach[None, :, None]).reshape(-1, 3)


def _box_points(points: np.ndarray, limit: int = 400_000) -> np.ndarray:
    """At most ``limit`` of the framing points for the box fit, keeping each axis'
    extremes (projecting every point of a long clip through every turntable angle would
    cost more than the fit is worth)."""
    return _framing_points(points, limit)


def _framing_points(positions: np.ndarray, limit: int = 20000) -> np.ndarray:
    """A subset of vertices that still holds each axis' extremes (enough for a sphere)."""
    if len(positions) <= limit:
        return positions
    stride = int(math.ceil(len(positions) / limit))
    extremes = np.concatenate([positions.argmin(0), positions.argmax(0)])
    return np.concatenate([positions[::stride], positions[extremes]])


def as_lights(lights) -> Lights | None:
    """A lights table (device profile [lights], --light KEY=VALUE) -> render Lights."""
    if lights is None or isinstance(lights, Lights):
        return lights
    try:
        return Lights.from_table(lights)
    except Fault as fault:
        raise InputError(f"lights {fault}") from None


def circle_mask(size: int, feather_px: float = 1.0) -> np.ndarray:
    """(size, size, 1) float32: 1 inside the fan's circle, 0 outside, a soft rim."""
    c = (size - 1) / 2.0
    y, x = np.mgrid[0:size, 0:size]
    r = np.sqrt((x - c) ** 2 + (y - c) ** 2)
    return np.clip((size / 2.0 - r) / feather_px + 0.5, 0.0, 1.0).astype(np.float32)[..., None]


class CircleMask:
    """circle_mask(size) applied to pictures: ``apply(color)`` is (color x mask + 0.5)
    as uint8, to the bit, but only the rim's few thousand pixels are multiplied: the
    inside is kept and the outside cleared by one multiply by 1 or 0 in uint8. The whole
    product took 5.5-6.2 ms of one thread a 1024 px frame (every frame of an MP4 fan's
    export and of the preview's fan view), this 0.33 ms."""

    def __init__(self, size: int):
        mask = circle_mask(size)[..., 0]
        self.size = size
        # 1 where the picture stays, per channel (a broadcast multiply took 6.5 ms)
        self._lit = np.repeat((mask > 0.0).astype(np.uint8)[..., None], 3, axis=2)
        self._rim = np.nonzero((mask > 0.0) & (mask < 1.0))
        self._rim_mask = mask[self._rim][:, None]  # float32 (n, 1)

    def apply(self, color: np.ndarray) -> np.ndarray:
        """color uint8 (size, size, 3) -> a new uint8 (size, size, 3): black outside the
        circle, the rim faded as circle_mask says, the inside as it was."""
        # x 1 or x 0, in uint8 (on contiguous pixels: numpy's loop over a view's pixels
        # three codes at a time took 14 ms a 1024 px frame)
        out = np.multiply(np.ascontiguousarray(color), self._lit)
        # uint8 x float32 + 0.5, then truncated: circle_mask's product on these pixels
        out[self._rim] = (color[self._rim] * self._rim_mask + 0.5).astype(np.uint8)
        return out
