"""export(): one frame at a time from the input file to the device file.

    load -> animate(t) -> render(camera) -> resample(device) -> encode -> write

Frames are streamed: each is rendered, encoded and handed to the writer before the
next one is made, so memory does not grow with the clip's length. The output is
written to a temporary path beside the target and renamed only when complete.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from typing import Iterator

import numpy as np

from .atomic import check_output_path
from .containment import check_output_not_folder, check_output_not_input
from .colour import SRGB8_TO_LINEAR, linear_to_srgb
from .colour_kernel import srgb8_to_linear_tiles
from .errors import InputError
from .limits import check_frame_count
from .formats.stream import write_stream
from .progress import Progress
from .render import TILE
from .render.camera import Camera, Framing, camera_for_sphere, fit_camera
from .scene.load import load
from .scene.media import STILL_SECONDS, fit_square
from .scene.scene import Scene
from .settings_check import check_export_settings

STATIC_SECONDS = 8.0  # a model without animation plays one turntable turn this long
FRAMING_SAMPLES = 48  # poses sampled over a clip to fit the camera once for all of it
DEFAULT_TWIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            "assets", "RobotExpressive", "RobotExpressive.glb")


def default_twin() -> str:
    """The bundled default twin (RobotExpressive, CC0): in the source tree, or installed
    beside the package as data."""
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (DEFAULT_TWIN,
                      os.path.join(here, "assets", "RobotExpressive", "RobotExpressive.glb")):
        if os.path.exists(candidate):
            return candidate
    raise InputError("the bundled default twin is missing from this installation; give an INPUT file")


@dataclass
class ExportSettings:
    """Everything that decides the output besides the input file.

    seconds None = one loop of the clip (times ``loops``); fps/size None = the device's;
    turntable = degrees per second around the vertical axis (None: a full turn per clip
    for a model without animation, none for an animated one); speed scales the clip's
    playback rate.
    """

    device: object = "mp4-fan"  # a profile name, a .toml path, or a DeviceProfile
    format: str | None = None
    seconds: float | None = None
    fps: float | None = None
    size: int | None = None
    animation: str | int | None = None
    loops: float | None = None
    speed: float = 1.0
    turntable: float | None = None
    framing: Framing = field(default_factory=Framing)
    lights: dict | None = None
    supersample: int | None = None
    circle_mask: bool | None = None
    shading: str = "lit"
    brightness: float = 1.0  # scales the picture's light before the device's own limit


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
    from .device import load_profile

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
    speed: float = 1.0
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
        clip = scene.animations[index]
        start, length = clip.start, clip.duration - clip.start
    timeline = Timeline(fps=fps, frame_count=1, animation=index, start=start, length=length,
                        speed=settings.speed)
    if settings.seconds:
        timeline.frame_count = _frames(settings.seconds, fps)
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


def _frames(seconds: float, fps: float) -> int:
    if seconds <= 0 or not math.isfinite(seconds):
        raise InputError(f"--seconds must be a positive number, got {seconds}")
    return max(1, int(round(check_frame_count(seconds, fps))))


@dataclass
class Picture:
    """One square picture on its way to the device.

    color : (S, S, 3) uint8 sRGB; linear : (S, S, 3) float32 linear light (what the
    resampler averages), computed lazily for media input; tiles : the map of TILE-px
    tiles that may hold light: the renderer's (Frame.tiles), or for media input found
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
            srgb8_to_linear_tiles(np.ascontiguousarray(self.color), SRGB8_TO_LINEAR, TILE,
                                  linear, tiles)
            self.linear, self.tiles = linear, tiles
        return self.linear

    def brightened(self, factor: float) -> "Picture":
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

    def __init__(self, scene: Scene, timeline: Timeline, size: int, *, framing: Framing | None = None,
                 supersample: int = 1, lights=None, shading: str = "lit"):
        self.scene = scene
        self.timeline = timeline
        self.size = int(size)
        self.framing = framing or Framing()
        self.supersample = max(1, int(supersample))
        self.shading = shading
        self._media_iter: Iterator[np.ndarray] | None = None
        self._media_pos = -1
        self._media_frame: np.ndarray | None = None
        self.renderer = None
        self.camera: Camera | None = None
        if not scene.is_media:
            from .render import Renderer

            self.renderer = Renderer((self.size, self.size), supersample=self.supersample,
                                     lights=_lights(lights))
            self.camera = self._fit_camera()

    # -- camera ------------------------------------------------------------------
    def _fit_camera(self) -> Camera:
        tl = self.timeline
        points = []
        for i in tl.loop_indices(FRAMING_SAMPLES):
            for posed in self.scene.pose(tl.animation, tl.anim_time(i)):
                points.append(_framing_points(posed.positions))
        if not points:
            raise InputError("the scene has nothing to draw", self.scene.path)
        pts = np.concatenate(points)
        return fit_camera(pts, self.framing, spin_axis_points=tl.turntable != 0.0)

    def set_framing(self, framing: Framing) -> None:
        """Change yaw, pitch, distance, pan... keeping the sphere fitted over the clip
        (no posing again): what the preview does as the user orbits."""
        self.framing = framing
        if self.camera is not None:
            self.camera = camera_for_sphere(self.camera.center, self.camera.radius, framing)

    def view_at(self, index: int) -> np.ndarray:
        """The view matrix for frame ``index``: the turntable orbits the camera the
        other way round, which with camera-fixed lights equals spinning the model."""
        angle = self.timeline.angle(index)
        if angle == 0.0:
            return self.camera.view
        turned = replace(self.framing, yaw=self.framing.yaw - angle)
        return camera_for_sphere(self.camera.center, self.camera.radius, turned).view

    # -- pictures ----------------------------------------------------------------
    def picture(self, index: int) -> Picture:
        if self.scene.is_media:
            return Picture(color=fit_square(self._media_frame_at(index), self.size))
        tl = self.timeline
        posed = self.scene.pose(tl.animation, tl.anim_time(index))
        frame = self.renderer.draw(posed, self.scene.materials, self.scene.textures,
                                   self.view_at(index), self.camera.projection, shading=self.shading)
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


def _framing_points(positions: np.ndarray, limit: int = 20000) -> np.ndarray:
    """A subset of vertices that still holds each axis' extremes (enough for a sphere)."""
    if len(positions) <= limit:
        return positions
    stride = int(math.ceil(len(positions) / limit))
    extremes = np.concatenate([positions.argmin(0), positions.argmax(0)])
    return np.concatenate([positions[::stride], positions[extremes]])


LIGHT_KEYS = ("key", "fill", "key_direction", "fill_direction", "key_color", "fill_color",
              "rim", "rim_power", "rim_color", "ambient", "specular")


def _lights(lights):
    """A lights table (device profile [lights], --light KEY=VALUE) -> render Lights."""
    if lights is None or not isinstance(lights, dict):
        return lights
    from .render.shading import Lights

    base = Lights()
    fields = {}
    key, fill = base.key, base.fill
    for name, value in lights.items():
        if name not in LIGHT_KEYS:
            raise InputError(f"unknown light setting {name!r} (known: {', '.join(LIGHT_KEYS)})")
        try:
            if name in ("key", "fill"):
                light = key if name == "key" else fill
                light = replace(light, intensity=float(value))
            elif name.endswith("_direction") or name.endswith("_color"):
                vec = tuple(float(v) for v in value)
                if len(vec) != 3:
                    raise ValueError
                which, attr = name.split("_")
                light = key if which == "key" else fill
                if which == "rim":
                    fields["rim_color"] = vec
                    continue
                light = replace(light, **{attr: vec})
                name = which
            else:
                fields[name] = float(value)
                continue
        except (TypeError, ValueError):
            raise InputError(f"light setting {name!r}: expected a number (or x,y,z), "
                             f"got {value!r}") from None
        if name == "key":
            key = light
        else:
            fill = light
    return replace(base, key=key, fill=fill, **fields)


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
        from .formats import format_for_path, get_format

        self.profile = resolve_profile(settings.device)
        profile = self.profile
        if settings.format:
            self.format = get_format(settings.format)
        else:
            self.format = get_format(profile.format)
            # an explicit .mp4/.gif/folder target on a fan device asks for a preview video
            by_path = format_for_path(output, kind="video") if output else None
            if by_path is not None and profile.kind == "polar" and os.path.splitext(output)[1]:
                self.format = by_path
        self.fps = float(settings.fps or profile.fps)
        self.timeline = make_timeline(scene, settings, self.fps)
        if profile.max_seconds and self.timeline.seconds > profile.max_seconds + 1e-9:
            raise InputError(f"{self.timeline.seconds:.1f} s is longer than {profile.name} "
                             f"plays ({profile.max_seconds:g} s at most)")
        self.polar = self.format.kind == "polar"
        if self.polar and profile.kind != "polar":
            raise InputError(f"format {self.format.name} needs a fan device with a polar layout; "
                             f"{profile.name} takes {profile.format}")
        if self.polar:
            self.size = int(settings.size or profile.render_size)
        else:
            self.size = int(settings.size or profile.video_size)
        if self.size < 8 or self.size > 8192:
            raise InputError(f"--size must be between 8 and 8192 pixels, got {self.size}")
        if self.format.name == "mp4" and self.size % 2:
            self.size += 1  # yuv420p needs even sides
        self.simulated = (not self.polar) and profile.kind == "polar"
        render_size = int(profile.render_size) if self.simulated else self.size
        self.source = FrameSource(scene, self.timeline, render_size, framing=settings.framing,
                                  supersample=settings.supersample or profile.supersample,
                                  lights=settings.lights if settings.lights is not None
                                  else getattr(profile, "lights", None),
                                  shading=settings.shading)
        self.encoder = None
        self.simulator = None
        if self.polar or self.simulated:
            from .device import PolarEncoder

            self.encoder = PolarEncoder(profile, render_size)
        if self.simulated:
            from .device import ViewerSimulator

            self.simulator = ViewerSimulator(profile, self.size)
        if not (settings.brightness > 0 and math.isfinite(settings.brightness)):
            raise InputError(f"brightness must be a positive number, got {settings.brightness}")
        self.brightness = float(settings.brightness)
        mask = settings.circle_mask if settings.circle_mask is not None else profile.circle_mask
        self.mask = circle_mask(self.size) if (mask and not self.polar and not self.simulated) else None

    def output_frame(self, index: int) -> np.ndarray:
        picture = self.source.picture(index).brightened(self.brightness)
        if self.polar or self.simulated:
            linear = picture.linear_light()         # before .tiles: media input maps them here
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


def export(input=None, output: str = "", settings: ExportSettings | None = None, *,
           progress=True, **overrides) -> ExportResult:
    """Export ``input`` (a path or a loaded Scene; None = the bundled default twin) to
    ``output`` for a device. Keyword overrides set ExportSettings fields, e.g.
    ``export("twin.glb", "LOOP.BIN", device="3dcircle-42f2", seconds=4)``.

    ``progress``: True draws a bar on stderr, False nothing, a function
    ``progress(done, total)`` is called after each frame.
    """
    settings = replace(settings or ExportSettings(), **overrides)
    if not output:
        raise InputError("no output path given (-o OUT)")
    check_export_settings(settings)
    check_output_path(output)
    if not isinstance(input, Scene):
        check_output_not_input(output, [default_twin() if input is None else input])
    if isinstance(input, Scene):
        scene = input
    else:
        scene = load(default_twin() if input is None else input)
    plan = ExportPlan(scene, settings, output)
    check_output_name(plan.profile, plan.format, output)
    check_output_not_folder(output, folder_ok=plan.format.directory)
    total = plan.timeline.frame_count
    if callable(progress):
        bar = CallbackProgress(total, progress)
    else:
        bar = Progress(total, label=os.path.basename(output), enabled=bool(progress))
    frames = (plan.output_frame(index) for index in range(total))
    write_stream(plan.format, output, plan.profile, plan.fps, frames, bar)
    bar.finish()
    size = _size_on_disk(output)
    return ExportResult(path=output, format=plan.format.name, device=plan.profile.name,
                        frames=total, fps=plan.fps, seconds=plan.timeline.seconds,
                        size=plan.size, bytes=size)


def check_output_name(profile, fmt, output: str) -> None:
    """Fans that silently drop misnamed files: refuse the name before rendering."""
    rule = getattr(fmt, "name", None)
    if rule == "42f2" and not os.path.basename(output).endswith(".BIN"):
        raise InputError("the 3D Circle 42-F2 plays only files whose name ends in upper-case "
                         "'.BIN'; the fan silently drops others", output)


def _size_on_disk(path: str) -> int:
    if os.path.isdir(path):
        return sum(e.stat().st_size for e in os.scandir(path) if e.is_file())
    return os.path.getsize(path)
