"""export(): one frame at a time from the input file to the device file.

    load -> animate(t) -> render(camera) -> resample(device) -> encode -> write

Frames are streamed: each is rendered, encoded and handed to the writer before the
next one is made, so memory does not grow with the clip's length. The output is
written to a temporary path beside the target and renamed only when complete.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from . import options, resources
from .animate.orientation import Orientation, decide
from .atomic import check_output_path
from .colour import SRGB8_TO_LINEAR, linear_to_srgb
from .colour_kernel import srgb8_to_linear_tiles
from .containment import check_output_not_folder, check_output_not_input
from .device import PolarEncoder, ViewerSimulator, load_profile
from .errors import InputError
from .first_run import start_notice, stop_notice
from .formats import get_format
from .formats.names import check_output_name
from .formats.stream import write_stream
from .formats.target import format_for_target
from .limits import check_frame_count
from .notices import held, note, warn
from .progress import Progress
from .rendering import TILE, Renderer
from .rendering.camera import Camera, Framing, camera_for_sphere, fit_camera, fit_drawn_box
from .rendering.lights import Lights
from .rendering.model_lights import model_lights_in_view
from .scene.load import load
from .scene.media import STILL_SECONDS, fit_square
from .scene.scene import Scene
from .schema import Fault
from .settings_check import check_export_settings
from .video.options import video_options
from .video.process import prepare_scene

STATIC_SECONDS = 8.0  # a model without animation plays one turntable turn this long
FRAMING_SAMPLES = 48  # poses sampled over a clip to fit the camera once for all of it
FRAMING_ANGLES = 24  # turntable angles the framing is checked at (every 15 degrees)


def default_twin() -> str:
    """The bundled default twin (RobotExpressive, CC0), wherever this installation keeps it."""
    return str(resources.default_twin())


@dataclass
class ExportSettings:
    """Everything that decides the output besides the input file.

    seconds None = one loop of the clip (times ``loops``); fps/size None = the device's;
    turntable = degrees per second around the vertical axis (None: a full turn per clip
    for a model without animation, none for an animated one); speed scales the clip's
    playback rate.
    """

    device: object = options.default("device")  # a profile name, a .toml path, or a DeviceProfile
    format: str | None = None
    seconds: float | None = None
    fps: float | None = None
    size: int | None = None
    animation: str | int | None = None
    loops: float | None = None
    speed: float = options.default("speed")
    turntable: float | None = None
    framing: Framing = field(default_factory=Framing)
    lights: dict | None = None
    supersample: int | None = None
    circle_mask: bool | None = None
    shading: str = "lit"
    model_lights: bool = False  # draw with the model's KHR_lights_punctual lights
    brightness: float = 1.0  # scales the picture's light before the device's own limit
    # video input (holopack.video, docs/video.md): --key, --crop, --loop, --levels
    key: str = options.default("key")
    crop: str = options.default("crop")
    loop: str | None = options.default("loop")
    levels: str | None = options.default("levels")

    def video_options(self):
        return video_options(self.key, self.crop, self.loop, self.levels)

    @classmethod
    def from_options(cls, values: dict, **fields) -> ExportSettings:
        """Settings from option values ({name: value}, holopack.options), plus fields."""
        settings, framing = options.settings_fields(values)
        settings.update(fields)
        if framing:
            settings["framing"] = replace(settings.get("framing") or Framing(), **framing)
        return cls(**settings)

    front: str = options.default("front")  # the model's axis that faces the viewer
    up: str = options.default("up")  # the model's axis that points up


@dataclass
class ExportResult:
    path: str
    format: str
    device: str
    frames: int
    fps: float
    seconds: float
    size: int
    bytes: int


def resolve_profile(device):
    if hasattr(device, "kind") and hasattr(device, "fps"):
        return device
    return load_profile(device)


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
    if scene.is_media:
        media = scene.media
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
        f"--seconds {seconds:g} is {timeline.frame_count / timeline.loop_frames:.2f} loops of the "
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

    color : (S, S, 3) uint8 sRGB; linear : (S, S, 3) float32 linear light (what the
    resampler averages), computed lazily for media input; tiles : the map of TILE-px
    tiles that may hold light: the renderer's (RenderedPicture.tiles), or for media input found
    with the linear light (None until then).
    """

    color: np.ndarray
    linear: np.ndarray | None = None
    tiles: np.ndarray | None = None

    def linear_light(self) -> np.ndarray:
        """The linear light; converting the colour also maps its black tiles (tiles)."""
        if self.linear is None:
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


class FrameSource:
    """Square pictures of a scene (or a picture/video) at each frame of a timeline.

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
        framing: Framing | None = None,
        supersample: int = 1,
        lights=None,
        shading: str = "lit",
        front: str = "auto",
        up: str = "auto",
        model_lights: bool = False,
    ):

        self.scene = scene
        self.timeline = timeline
        self.size = int(size)
        self.framing = framing or Framing()
        self.supersample = max(1, int(supersample))
        self.shading = shading
        self.model_lights = model_lights
        self._media_iter: Iterator[np.ndarray] | None = None
        self._media_pos = -1
        self._media_frame: np.ndarray | None = None
        if scene.is_media and hasattr(scene.media, "set_size"):
            scene.media.set_size(self.size)  # processed video is keyed at the output size
        self.renderer = None
        self.camera: Camera | None = None
        self.orientation = Orientation()
        self._model = np.eye(4)  # (4, 4) float64: the model's axes turned to face the viewer
        if not scene.is_media:
            self.orientation = decide(scene, front, up)
            self._model = self.orientation.matrix4()
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
        if self.scene.is_media:
            return Picture(color=fit_square(self._media_frame_at(index), self.size))
        tl = self.timeline
        posed = self.scene.pose(tl.animation, tl.anim_time(index))
        if self.model_lights and self.scene.lights:  # else the rig stays
            self.renderer.lights = model_lights_in_view(
                self.scene, self.view_at(index), tl.animation, tl.anim_time(index)
            )
        frame = self.renderer.draw(
            posed,
            self.scene.materials,
            self.scene.textures,
            self.view_at(index),
            self.camera.projection,
            shading=self.shading,
        )
        return Picture(color=frame.color, linear=frame.linear, tiles=frame.tiles)

    def _media_frame_at(self, index: int) -> np.ndarray:
        media = self.scene.media
        if media.fps <= 0:
            wanted = 0
        else:
            wanted = int(math.floor(index / self.timeline.fps * media.fps + 1e-6)) % max(1, media.frame_count)
        if self._media_iter is None or wanted < self._media_pos:
            self._media_iter = iter(media.frames())
            self._media_pos = -1
        while self._media_pos < wanted:
            try:
                self._media_frame = next(self._media_iter)
                self._media_pos += 1
            except StopIteration:
                # the container's duration overstated the frames: hold the last one
                if self._media_frame is None:
                    raise InputError("the video has no frames", self.scene.path) from None
                media.frame_count = max(1, self._media_pos + 1)
                break
        return self._media_frame


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


# -- export ------------------------------------------------------------------------
class ExportPlan:
    """What export() decided: profile, format, sizes, timeline, frame source, and the
    per-frame path (``output_frame``). Public so that bench can time its stages."""

    def __init__(self, scene: Scene, settings: ExportSettings, output: str | None):
        self.profile = resolve_profile(settings.device)
        profile = self.profile
        if output:
            # the extension says the format (.gif a GIF, .mp4 an MP4, the fan's own file),
            # among those the device takes; anything else is refused, never renamed
            self.format = format_for_target(profile, output, settings.format)
        else:
            self.format = get_format(settings.format or profile.format)
        self.fps = float(settings.fps or profile.fps)
        scene = prepare_scene(scene, settings.video_options(), settings.framing.margin)
        self.timeline = make_timeline(scene, settings, self.fps)
        if profile.max_seconds and self.timeline.seconds > profile.max_seconds + 1e-9:
            raise InputError(
                f"{self.timeline.seconds:.1f} s is longer than {profile.name} "
                f"plays ({profile.max_seconds:g} s at most)"
            )
        self.polar = self.format.kind == "polar"
        if self.polar and profile.kind != "polar":
            raise InputError(
                f"format {self.format.name} needs a fan device with a polar layout; "
                f"{profile.name} takes {profile.format}"
            )
        if self.polar:
            self.size = int(settings.size or profile.render_size)
        else:
            self.size = int(settings.size or profile.video_size)
        if self.size < 8 or self.size > 8192:
            raise InputError(f"--size must be between 8 and 8192 pixels, got {self.size}")
        if self.format.even_size and self.size % 2:
            self.size += 1  # yuv420p needs even sides
        self.simulated = (not self.polar) and profile.kind == "polar"
        render_size = int(profile.render_size) if self.simulated else self.size
        self.source = FrameSource(
            scene,
            self.timeline,
            render_size,
            framing=settings.framing,
            supersample=settings.supersample or profile.supersample,
            lights=settings.lights if settings.lights is not None else getattr(profile, "lights", None),
            shading=settings.shading,
            front=settings.front,
            up=settings.up,
            model_lights=settings.model_lights,
        )
        self._note_decisions(scene, settings)
        self.encoder = None
        self.simulator = None
        if self.polar or self.simulated:
            self.encoder = PolarEncoder(profile, render_size)
        if self.simulated:
            self.simulator = ViewerSimulator(profile, self.size)
        if not (settings.brightness > 0 and math.isfinite(settings.brightness)):
            raise InputError(f"brightness must be a positive number, got {settings.brightness}")
        self.brightness = float(settings.brightness)
        mask = settings.circle_mask if settings.circle_mask is not None else profile.circle_mask
        self.mask = circle_mask(self.size) if (mask and not self.polar and not self.simulated) else None

    def _note_decisions(self, scene: Scene, settings: ExportSettings) -> None:
        """Say on stderr what holopack decided that is not the plain default."""
        orientation = self.source.orientation
        if not orientation.chosen and not orientation.is_default:
            note(f"turned to face the viewer: {orientation.describe()}; --front/--up override", scene.path)
        if (
            settings.animation is None
            and self.timeline.animation is not None
            and self.timeline.animation == scene.all_clips_index
        ):
            note(
                f"playing its {len(scene.animations)} clips together (each drives its own "
                "joints; --animation NAME plays one)",
                scene.path,
            )

    def output_frame(self, index: int) -> np.ndarray:
        picture = self.source.picture(index).brightened(self.brightness)
        if self.polar or self.simulated:
            linear = picture.linear_light()  # before .tiles: media input maps them here
            codes = self.encoder.encode(linear, index, occupied=picture.tiles)
            return codes if self.polar else self.simulator.render(codes)
        color = picture.color
        if self.mask is not None:
            color = (color * self.mask + 0.5).astype(np.uint8)
        return color


class CallbackProgress:
    """Progress reported to a function ``progress(done, total)`` instead of stderr
    (a notebook's widget, a parent process drawing one line for many workers)."""

    def __init__(self, total: int, callback):
        self.total, self.callback = total, callback

    def update(self, done: int) -> None:
        self.callback(done, self.total)

    def finish(self) -> None:
        self.callback(self.total, self.total)


def export(
    input=None, output: str = "", settings: ExportSettings | None = None, *, progress=True, **overrides
) -> ExportResult:
    """Export ``input`` (a path or a loaded Scene; None = the bundled default twin) to
    ``output`` for a device. Keyword overrides set ExportSettings fields, e.g.
    ``export("twin.glb", "LOOP.BIN", device="3dcircle-42f2", seconds=4)``.

    ``progress``: True draws a bar on stderr, False nothing, a function
    ``progress(done, total)`` is called after each frame. To render chunks of frames on
    other processes or a Dask cluster, see holopack.cluster.export.export_chunked (the
    same bytes).
    """
    settings = replace(settings or ExportSettings(), **overrides)
    if not output:
        raise InputError("no output path given (-o OUT)")
    check_export_settings(settings)
    check_output_path(output)
    if not isinstance(input, Scene):
        check_output_not_input(output, [default_twin() if input is None else input])
    if progress is True:
        start_notice()  # a cold kernel cache: say so before the minute of compiling
    try:
        return _export(input, output, settings, progress)
    finally:
        stop_notice()


def _export(input, output: str, settings: ExportSettings, progress) -> ExportResult:
    with held():  # warnings and decisions print once the file is written
        if isinstance(input, Scene):
            scene = input
        else:
            scene = load(default_twin() if input is None else input)
        plan = ExportPlan(scene, settings, output)
        check_output_name(plan.profile, plan.format, output)
        check_output_not_folder(output, folder_ok=plan.format.directory)
        total = plan.timeline.frame_count
        frames = _frames_after_notice(plan, total)
        if callable(progress):
            bar = CallbackProgress(total, progress)
        else:
            bar = Progress(total, label=os.path.basename(output), enabled=bool(progress))
        write_stream(plan.format, output, plan.profile, plan.fps, frames, bar)
        bar.finish()
    size = _size_on_disk(output)
    return ExportResult(
        path=output,
        format=plan.format.name,
        device=plan.profile.name,
        frames=total,
        fps=plan.fps,
        seconds=plan.timeline.seconds,
        size=plan.size,
        bytes=size,
    )


def _frames_after_notice(plan: ExportPlan, total: int):
    """The output frames; the compile notice ends once the first is made (the kernels
    compile on first use)."""
    for index in range(total):
        frame = plan.output_frame(index)
        if index == 0:
            stop_notice()
        yield frame


def _size_on_disk(path: str) -> int:
    if os.path.isdir(path):
        return sum(e.stat().st_size for e in os.scandir(path) if e.is_file())
    return os.path.getsize(path)
