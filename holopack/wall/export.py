"""export_wall(): one input, one wall file -> one folder of fan files that play together.

    canvas frame (one render) -> each fan's own region (its weights, turned and
    mirrored as mounted) -> each fan's device codes -> each fan's own file format

and beside them ``wall.json`` (fans, files, SHA-256 sums, frames, fps, how to start
them together) and ``preview.mp4`` (the wall as a viewer sees it: every fan's simulated
view at its place and turn). Frames are streamed: memory does not grow with the clip.
The folder is written under a temporary name beside the target and renamed when done.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ..atomic import atomic_output, check_output_path
from ..device.simulate import _LUT
from ..device.simulate_kernel import encode_srgb8
from ..errors import InputError, OutputError
from ..first_run import compiling, stop_notice
from ..formats import get_format
from ..formats.mp4 import MP4Writer
from ..notices import warn
from ..pipeline import CallbackProgress, ExportSettings, compile_ahead, default_twin, make_timeline
from ..pipeline.exporting import band_shader_for, warn_if_no_model_lights
from ..progress import Progress, first_pass_line
from ..scene.load import load
from ..scene.scene import Scene
from .canvas import CanvasGeometry, canvas_geometry
from .layout import Fan, Wall, load_wall
from .ownership import owned_tiles, owner_map
from .prefetch import prefetched
from .preview import WallPreview
from .source import CanvasCut, CanvasSource, canvas_cut
from .weights import CanvasTiles, FanEncoder, FusedResample

WALL_JSON = "wall.json"
PREVIEW = "preview.mp4"
# x264 runs beside the export on the same cores and the preview is a check: ultrafast
# halves its CPU time against veryfast (at 768 px, 6-8 instead of 13 ms per frame) for
# a file 2.7 times larger (16 KB per frame); see preview.PREVIEW_SIZE
PREVIEW_PRESET = "ultrafast"
SYNC_NOTE = (
    "Copy each file to the fan named beside it. Every file has the same frame count and fps, "
    "so the loops stay in step once started: start all fans at the same moment (one "
    "controller sending play to every fan, or a common power switch), and restart them "
    "together if they drift by more than a frame."
)


def fan_to_canvas(
    geometry: CanvasGeometry, fan: Fan, local_side: int, local_mm: float, ppm: float | None = None
) -> np.ndarray:
    """The affine (2, 3) from a fan's own square picture (local_side px across local_mm,
    pixel indices, y down) to canvas pixel indices at ``ppm`` (default the canvas's):
    mirror left-right, turn counter-clockwise, place at the fan's centre."""
    ppm = geometry.px_per_mm if ppm is None else ppm
    s = local_mm / local_side * ppm  # canvas px per local px
    t = math.radians(fan.rotation)
    c, n = math.cos(t), math.sin(t)
    m = -1.0 if fan.mirror else 1.0
    # local index (i, j) -> y-up offsets from the centre: x = j + 0.5 - side/2, y = side/2 - (i + 0.5)
    # turned: X = c*m*x - n*y, Y = n*m*x + c*y; canvas: u = cx + s*X - 0.5, v = cy - s*Y - 0.5
    cx = (fan.x - geometry.left) * ppm
    cy = (geometry.top - fan.y) * ppm
    h = local_side / 2.0 - 0.5
    a = np.array([[s * c * m, s * n], [-s * n * m, s * c]], np.float64)
    offset = np.array([cx - 0.5, cy - 0.5]) - a @ np.array([h, h])
    return np.hstack([a, offset[:, None]])


class VideoFan:
    """A fan that takes square video: its own square picture cut from the canvas (only
    the pixels it owns), turned back into its own frame. ``picture(canvas_linear)`` ->
    uint8 (N, N, 3) sRGB, N = the profile's video size (even)."""

    def __init__(self, geometry: CanvasGeometry, owner: np.ndarray, index: int):
        import cv2  # heavy; only video fans need it

        self._cv2 = cv2
        self.fan = geometry.wall.fans[index]
        self.profile = self.fan.profile
        n = int(self.profile.video_size)
        self.side = n + (n % 2)
        to_canvas = fan_to_canvas(geometry, self.fan, self.side, self.profile.physical_diameter_mm)
        ys, xs = np.nonzero(owner == index)
        self.box = (ys.min(), ys.max() + 1, xs.min(), xs.max() + 1) if len(ys) else (0, 1, 0, 1)
        y0, y1, x0, x1 = self.box
        self.mask = (owner[y0:y1, x0:x1] == index)[..., None].astype(np.float32)
        to_canvas[:, 2] -= (x0, y0)
        self.matrix = to_canvas
        self.out = np.empty((self.side, self.side, 3), np.uint8)

    def linear(self, canvas: np.ndarray) -> np.ndarray:
        y0, y1, x0, x1 = self.box
        region = canvas[y0:y1, x0:x1] * self.mask
        cv2 = self._cv2
        return cv2.warpAffine(
            region,
            self.matrix,
            (self.side, self.side),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0.0, 0.0, 0.0),
        )

    def picture_from_linear(self, local: np.ndarray) -> np.ndarray:
        """The fan's own linear picture (from ``linear``) as uint8 sRGB (an internal buffer)."""
        encode_srgb8(np.ascontiguousarray(local, np.float32), _LUT, self.out)
        return self.out


class WallPlan:
    """What export_wall decided: the wall, fps, timeline, canvas, ownership, the canvas
    source and one encoder per fan. Public so that bench and preview can drive it."""

    def __init__(
        self,
        scene: Scene,
        wall: Wall,
        settings: ExportSettings,
        px_per_mm: float | None = None,
        first_pass: Callable[[int, int], None] | None = None,
    ):
        """first_pass: as ExportPlan's, for a clip's first pass."""
        self.wall = wall
        self.fps = float(settings.fps or wall.fps)
        scene = scene.with_variant(settings.variant)
        given = scene
        if scene.is_media:
            # the fan's video options (--key, --crop, --loop, --levels), processed on the
            # canvas below; imported here, as ExportPlan does: a model never needs OpenCV
            from ..video.process import prepare_scene

            scene = prepare_scene(scene, settings.video_options(), settings.framing.margin, first_pass)
        self.scene = scene
        self.timeline = make_timeline(scene, settings, self.fps)
        for fan in wall.fans:
            limit = fan.profile.max_seconds
            if limit and self.timeline.seconds > limit + 1e-9:
                raise InputError(
                    f"{self.timeline.seconds:.1f} s is longer than fan {fan.name!r} "
                    f"({fan.profile.name}) plays ({limit:g} s at most)"
                )
        if px_per_mm is None and settings.size:  # --size: pixels across the smallest fan
            px_per_mm = settings.size / min(f.profile.physical_diameter_mm for f in wall.fans)
        self.geometry = canvas_geometry(wall, px_per_mm, media=scene.is_media)
        cut = _place_on_canvas(scene.media, self.geometry, settings) if scene is not given else None
        self.owner = owner_map(self.geometry)
        self.tile_mask = owned_tiles(self.owner)
        polar = [f.profile.supersample for f in wall.fans if f.profile.is_polar]
        supersample = settings.supersample or (max(polar) if polar else 1)
        warn_if_no_model_lights(scene, settings)
        self.source = CanvasSource(
            scene,
            self.timeline,
            self.geometry,
            self.tile_mask,
            framing=settings.framing,
            supersample=supersample,
            lights=settings.lights,
            cut=cut,
            **settings.look(),
        )
        if not (settings.brightness > 0 and math.isfinite(settings.brightness)):
            raise InputError(f"brightness must be a positive number, got {settings.brightness}")
        self.brightness = float(settings.brightness)
        self.fans: list[FanEncoder | VideoFan] = [
            FanEncoder(self.geometry, k) if fan.profile.is_polar else VideoFan(self.geometry, self.owner, k)
            for k, fan in enumerate(wall.fans)
        ]
        self.tiles = CanvasTiles(self.geometry.width, self.geometry.height)
        polar_fans = [enc for enc in self.fans if isinstance(enc, FanEncoder)]
        self.resample = FusedResample(polar_fans) if polar_fans else None  # every polar fan in one call
        # a cold first run: a second process compiles the band shader while this one
        # compiles the other kernels, as a single fan's export does (pipeline.compile_ahead)
        self.compile_ahead: compile_ahead.CompileAhead | None = None
        shader = band_shader_for(scene, settings)
        if shader is not None and self.source.renderer is not None and compiling():
            self.compile_ahead = compile_ahead.start(None, 0, shader)
            if self.compile_ahead is not None:
                self.source.renderer.before_shading = self.compile_ahead.wait_for_shader

    def end_compile_ahead(self) -> None:
        """Let the second process of a cold first run go (it ends once its shader is
        cached; the first frame has loaded it), or stop it if it still runs."""
        ahead, self.compile_ahead = self.compile_ahead, None
        if ahead is None:
            return
        if ahead.shader_pending():
            ahead.stop()
        else:
            ahead.finish()

    def canvas(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Frame ``index``'s canvas: float32 (H, W, 3) linear light (brightened) and its
        bool tile map (ceil(H/TILE), ceil(W/TILE)), both new arrays that later frames
        leave alone, so that the next canvas can be made while this one is used."""
        frame = self.source.frame(index)  # the renderer and the picture fit draw into new arrays
        linear = frame.linear
        if self.brightness != 1.0:
            linear = linear * np.float32(self.brightness)
        return linear, frame.tiles.copy()

    def outputs_from(self, canvas: tuple[np.ndarray, np.ndarray], index: int) -> list:
        """Every fan's output from a canvas (as ``canvas`` gives it): codes uint8
        (S, C, 3) for a polar fan, a linear float32 (N, N, 3) picture for a video fan
        (internal buffers: use before the next)."""
        linear, tiles = canvas
        flat = linear.reshape(-1)
        occupied = self.tiles.place(tiles)
        if self.resample is not None:
            self.resample.run(flat, occupied)
        return [
            enc.quantise(enc.linear, index) if isinstance(enc, FanEncoder) else enc.linear(linear)
            for enc in self.fans
        ]

    def frames_from(self, canvas: tuple[np.ndarray, np.ndarray], index: int) -> list:
        """Every fan's frame as its file gets it: codes uint8 (S, C, 3) for a polar fan,
        its own sRGB picture uint8 (N, N, 3) for a video fan (internal buffers)."""
        return [
            out if isinstance(enc, FanEncoder) else enc.picture_from_linear(out)
            for enc, out in zip(self.fans, self.outputs_from(canvas, index))
        ]

    def fan_outputs(self, index: int) -> list:
        """``outputs_from`` frame ``index``'s canvas."""
        return self.outputs_from(self.canvas(index), index)

    def fan_frames(self, index: int) -> list:
        """``frames_from`` frame ``index``'s canvas."""
        return self.frames_from(self.canvas(index), index)


def _place_on_canvas(media, geometry: CanvasGeometry, settings: ExportSettings) -> CanvasCut:
    """A processed clip (video.process.ProcessedMedia) placed by the wall's rule, not a
    fan's: ``--crop auto`` the subject's extent over the clip (the first pass's box)
    into the canvas rectangle with the margin, ``--crop fit`` (or no subject found) the
    whole frame into the rectangle, as an unprocessed clip is fitted."""
    box = media.model.box if media.options.crop == "auto" else None
    if box is None:
        cut = canvas_cut((0, 0, media.width, media.height), media.width, media.height, geometry, 0.0)
    else:
        cut = canvas_cut(box, media.width, media.height, geometry, settings.framing.margin)
    media.fixed = cut.placement
    return cut


@dataclass
class WallResult:
    path: str
    frames: int
    fps: float
    seconds: float
    fans: list


def export_wall(
    input=None,
    wall=None,
    output: str = "",
    settings: ExportSettings | None = None,
    *,
    progress=True,
    preview: bool = True,
    **overrides,
) -> WallResult:
    """Export ``input`` (path, Scene or None = the bundled twin) across the fans of
    ``wall`` (a wall file path or a Wall) into the folder ``output``."""
    settings = replace(settings or ExportSettings(), **overrides)
    if not output:
        raise InputError("no output folder given (-o DIR)")
    check_output_path(output)
    if wall is None:
        raise InputError("no wall file given (--wall WALL.toml)")
    wall_path = None
    if not isinstance(wall, Wall):
        wall_path = os.fspath(wall)
        wall = load_wall(wall_path)
    _check_target(
        output, [p for p in (input if isinstance(input, (str, os.PathLike)) else None, wall_path) if p]
    )
    # the notices name the wall file, also for a Wall parsed from one (a playlist's wall item)
    named = wall_path or (None if wall.source == "<wall>" else wall.source)
    scene = input if isinstance(input, Scene) else load(default_twin() if input is None else input)
    with first_pass_line(scene, progress) as first_pass:
        plan = WallPlan(scene, wall, settings, first_pass=first_pass)
    off_rate = wall.off_rate_fans(plan.fps)
    if off_rate:
        many = len(off_rate) > 1
        warn(
            ("fans " if many else "fan ")
            + ", ".join(f"{f.name} ({f.profile.name}, {f.profile.fps:g} fps)" for f in off_rate)
            + (" play their files" if many else " plays its file")
            + f" at the device's own rate, not the wall's {plan.fps:g} fps, and will not stay in step "
            "(a wall's polar fans must share one frame rate)",
            wall_path,
        )
    total = plan.timeline.frame_count
    bar: CallbackProgress | Progress
    if callable(progress):
        bar = CallbackProgress(total, progress)
    else:
        bar = Progress(total, label=os.path.basename(os.path.normpath(output)), enabled=bool(progress))
    with atomic_output(output, directory=True) as temp:
        try:
            dark = _write_files(plan, temp, bar, preview)
        finally:
            plan.end_compile_ahead()  # at the first frame, or here if there was none
        fans = [_fan_entry(fan, os.path.join(temp, fan.file_name), total, plan.fps) for fan in wall.fans]
        info = {
            "format": "holopack-wall",
            "version": 1,
            "wall": wall.name,
            "frames": total,
            "fps": plan.fps,
            "loop_seconds": total / plan.fps,
            "canvas": plan.geometry.to_dict(),
            "ownership": "each canvas pixel belongs to the nearest fan centre among the fans whose "
            "circle covers its centre (ties: the fan listed first); gaps stay black",
            "fit": "pictures and videos: scaled to fit the canvas rectangle, aspect kept, centred "
            "(a video keyed with --crop auto: the subject's extent over the clip, with a margin); "
            "models: camera fixed over the clip, upright, centred, with a margin",
            "fans": fans,
            "sync": {"frames": total, "fps": plan.fps, "start": SYNC_NOTE},
        }
        if preview:
            info["preview"] = {"file": PREVIEW, "sha256": sha256_file(os.path.join(temp, PREVIEW))}
        try:
            with open(os.path.join(temp, WALL_JSON), "w", encoding="utf-8") as f:
                json.dump(info, f, indent=2)
                f.write("\n")
        except OSError as e:
            raise OutputError(f"cannot write ({e.strerror})", os.path.join(output, WALL_JSON)) from None
    bar.finish()
    if len(dark) == len(wall.fans):
        warn(
            "no fan lights up in any frame: the picture is black wherever a fan is (see the layout)",
            named,
        )
    elif len(dark) == 1:
        warn(f"fan {dark[0]} stays dark in every frame: the picture is black where it is", named)
    elif dark:
        warn(
            f"fans {', '.join(dark)} stay dark in every frame: the picture is black wherever they are",
            named,
        )
    return WallResult(path=output, frames=total, fps=plan.fps, seconds=total / plan.fps, fans=fans)


def _write_files(plan: WallPlan, temp: str, bar, preview: bool) -> list[str]:
    """Every fan's file (and the preview) into the folder ``temp``, frame by frame;
    every writer is aborted when one fails. Returns the names of the fans whose every
    frame is black (a layout that misses the picture: said, not refused)."""
    total = plan.timeline.frame_count
    writers = []
    dark = [True] * len(plan.wall.fans)
    try:
        for fan in plan.wall.fans:
            fmt = get_format(fan.profile.format)
            writers.append(fmt.writer_class()(os.path.join(temp, fan.file_name), fan.profile, plan.fps))
        shower = WallPreview(plan.geometry) if preview else None
        if shower is not None:
            writers.append(MP4Writer(os.path.join(temp, PREVIEW), None, plan.fps, preset=PREVIEW_PRESET))
        # the next canvas is drawn on a worker thread while this one's fans are
        # made, written and previewed (prefetch.py)
        for index, canvas in prefetched(plan.canvas, total):
            frames = plan.frames_from(canvas, index)
            for k, (writer, frame) in enumerate(zip(writers, frames)):
                writer.write(frame)
                if dark[k] and frame.any():
                    dark[k] = False
            if shower is not None:
                writers[-1].write(shower.picture(frames))
            if index == 0:
                stop_notice()  # a cold first run: compiled by now
                plan.end_compile_ahead()
            bar.update(index + 1)
        for writer in writers:
            writer.close()
        return [fan.name for fan, off in zip(plan.wall.fans, dark) if off]
    except BaseException:
        for writer in writers:
            try:
                writer.abort()
            except Exception:
                pass
        raise


def _fan_entry(fan, path: str, frames: int, fps: float) -> dict:
    """A fan's entry in wall.json: where it hangs, its device and its file."""
    return {
        "name": fan.name,
        "device": fan.profile.name,
        "file": fan.file_name,
        "sha256": sha256_file(path),
        "bytes": os.path.getsize(path),
        "frames": frames,
        "fps": fps,
        "x_mm": fan.x,
        "y_mm": fan.y,
        "rotation_deg": fan.rotation,
        "mirror": fan.mirror,
        "diameter_mm": fan.profile.physical_diameter_mm,
        "profile_toml": fan.profile.to_toml(),
    }


def _check_target(output: str, inputs: list) -> None:
    """Refuse a target folder that holds anything but an earlier wall export, or that
    holds the input: replacing it would destroy what the user gave."""
    target = os.path.abspath(output)
    if os.path.exists(target) and not os.path.isdir(target):
        raise OutputError("exists and is not a folder; a wall is written into a folder", output)
    for path in inputs:
        inside = os.path.abspath(os.fspath(path))
        if inside == target or inside.startswith(target.rstrip(os.sep) + os.sep):
            raise InputError("the output folder holds an input file; choose another folder", output)
    if os.path.isdir(target) and os.listdir(target) and not os.path.exists(os.path.join(target, WALL_JSON)):
        raise OutputError(
            "exists and is not an earlier wall export (no wall.json); nothing was "
            "overwritten: choose an empty or new folder",
            output,
        )


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
