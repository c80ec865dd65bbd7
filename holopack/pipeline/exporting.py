"""export(): one frame at a time from the input file to the device file.

    load -> animate(t) -> render(camera) -> resample(device) -> encode -> write

Frames are streamed: each is rendered, encoded and handed to the writer before the
next one is made, so memory does not grow with the clip's length. The output is
written to a temporary path beside the target and renamed only when complete.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .. import resources
from ..atomic import check_output_path
from ..containment import check_output_not_folder, check_output_not_input
from ..device import PolarEncoder, ViewerSimulator, load_profile
from ..errors import InputError
from ..first_run import compiling, end_ahead, start_ahead, start_notice, stop_notice
from ..formats import get_format
from ..formats.names import check_output_name
from ..formats.stream import write_stream
from ..formats.target import check_frame_limit, format_for_target
from ..notices import held, note, warn
from ..progress import Progress, first_pass_line
from ..scene.load import load
from ..scene.scene import Scene
from ..settings_check import check_export_settings
from . import compile_ahead
from .frames import CircleMask, make_timeline, open_source
from .settings import ExportSettings


def warn_if_no_model_lights(scene: Scene, settings: ExportSettings) -> None:
    """--model-lights on a model without lights: said once, and the rig lights it."""
    if settings.model_lights and not scene.is_media and not scene.lights:
        warn(
            "--model-lights: the model has no KHR_lights_punctual lights; it is lit by the default camera rig",
            scene.path,
        )


def default_twin() -> str:
    """The bundled default twin (RobotExpressive, CC0), wherever this installation keeps it."""
    return str(resources.default_twin())


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

    @classmethod
    def of(cls, plan: ExportPlan, output: str, **more):
        """The result of ``plan`` written to ``output`` (its size read from disk), with
        a subclass's ``more`` fields."""
        return cls(
            path=output,
            format=plan.format.name,
            device=plan.profile.name,
            frames=plan.timeline.frame_count,
            fps=plan.fps,
            seconds=plan.timeline.seconds,
            size=plan.size,
            bytes=_size_on_disk(output),
            **more,
        )


def resolve_profile(device):
    if hasattr(device, "kind") and hasattr(device, "fps"):
        return device
    return load_profile(device)


def check_target(settings: ExportSettings, output: str) -> None:
    """Refuse an output the device cannot take (its extension, a name it does not play,
    an existing folder where a file goes) from the settings alone, before the input is
    loaded: a keyed clip's first pass took 6-7 s of a 10 s 1080p clip before a wrong name
    was said. Warnings about the name are given here too (ExportPlan does not repeat
    them)."""
    profile = resolve_profile(settings.device)
    fmt = format_for_target(profile, output, settings.format)
    check_output_name(profile, fmt, output)
    check_output_not_folder(output, folder_ok=fmt.directory)


def band_shader_for(scene: Scene, settings: ExportSettings) -> tuple[str, bool, bool] | None:
    """(shading, textured, environment) of the band shader a render of ``scene`` runs,
    for compile_ahead; None for a picture or video. Textured is guessed from the
    materials (the renderer decides from its material table: a wrong guess only
    compiles a variant that goes unused)."""
    if scene.is_media or scene.is_splats:
        return None
    textures: tuple[str, ...] = ("base_color_texture", "emissive_texture")
    if settings.shading == "pbr":
        textures += ("metallic_roughness_texture", "normal_texture", "occlusion_texture")
    textured = any(getattr(m, name) is not None for m in scene.materials for name in textures)
    environment = settings.shading == "pbr" and settings.environment not in (None, "none")
    return settings.shading, textured and bool(scene.textures), environment


class ExportPlan:
    """What export() decided: profile, format, sizes, timeline, frame source, and the
    per-frame path (``output_frame``). Public so that bench can time its stages."""

    def __init__(
        self,
        scene: Scene,
        settings: ExportSettings,
        output: str | None,
        first_pass: Callable[[int, int], None] | None = None,
    ):
        """first_pass: called with (frames read, frames in the clip) during a video's
        first pass (holopack.video.analyse.analyse), if it has one."""
        self.profile = resolve_profile(settings.device)
        profile = self.profile
        if output:
            # the extension says the format (.gif a GIF, .mp4 an MP4, the fan's own file),
            # among those the device takes; anything else is refused, never renamed
            self.format = format_for_target(profile, output, settings.format)
        else:
            self.format = get_format(settings.format or profile.format)
        self.fps = float(settings.fps or profile.fps)
        # the material variant before anything reads the materials (the band shader's choice)
        scene = scene.with_variant(settings.variant)
        if scene.is_media:
            # imported here: the video stack (OpenCV among it) costs a model's export
            # 0.12 CPU s of its first frame, and a model passes through it unchanged
            from ..video.process import prepare_scene

            scene = prepare_scene(scene, settings.video_options(), settings.framing.margin, first_pass)
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
        if not (settings.brightness > 0 and math.isfinite(settings.brightness)):
            raise InputError(f"brightness must be a positive number, got {settings.brightness}")
        self.brightness = float(settings.brightness)
        self._encoder: PolarEncoder | None = None
        self._render_size = render_size
        self.compile_ahead: compile_ahead.CompileAhead | None = None
        if (self.polar or self.simulated) and compiling():
            # a cold first export compiles the band shader and the encoder in a second
            # process meanwhile: its job given before the frame source compiles anything
            self.compile_ahead = compile_ahead.start(profile, render_size, band_shader_for(scene, settings))
        try:
            self.source = open_source(
                scene,
                self.timeline,
                render_size,
                framing=settings.framing,
                supersample=settings.supersample or profile.supersample,
                lights=settings.lights if settings.lights is not None else getattr(profile, "lights", None),
                **settings.look(),
            )
            self._note_decisions(scene, settings)
            self.simulator = None
            if self.simulated:
                self.simulator = ViewerSimulator(profile, self.size)
        except BaseException:
            if self.compile_ahead is not None:  # the export ends here: so does its second process
                self.compile_ahead.stop()
            raise
        mask = settings.circle_mask if settings.circle_mask is not None else profile.circle_mask
        self.mask = CircleMask(self.size) if (mask and not self.polar and not self.simulated) else None
        renderer = getattr(self.source, "renderer", None)
        if self.compile_ahead is not None and renderer is not None:
            renderer.before_shading = self._before_shading

    def _before_shading(self) -> None:
        """A cold first export reaches its first shading pass before the second process
        has its band shader (timeline_first_run.py: its other render kernels done at
        9.6 s, the shader cached at 11.3 s). Rather than wait idle there, this process
        does the encoder's work (the weight table first) while the shader compiles."""
        ahead = self.compile_ahead
        assert ahead is not None
        ahead.do_unclaimed(self.profile, self._render_size, while_shader_pending=True)
        ahead.wait_for_shader()

    @property
    def encoder(self) -> PolarEncoder | None:
        """The polar encoder (None for a picture format), made on first use: after the
        first frame is rendered, once the second process of a cold first export has
        left its weight table and kernels on disk."""
        if self._encoder is None and (self.polar or self.simulated):
            if self.compile_ahead is not None:
                # what the second process has not taken yet, while it does the rest
                self.compile_ahead.do_unclaimed(self.profile, self._render_size)
                self.compile_ahead.finish()
            self._encoder = PolarEncoder(self.profile, self._render_size)
        return self._encoder

    def _note_decisions(self, scene: Scene, settings: ExportSettings) -> None:
        """Say on stderr what holopack decided that is not the plain default."""
        warn_if_no_model_lights(scene, settings)
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
        if self.encoder is not None:  # a polar file, or a polar fan's picture simulated
            linear = picture.linear_light()  # before .tiles: media input maps them here
            codes = self.encoder.encode(linear, index, occupied=picture.tiles)
            return codes if self.simulator is None else self.simulator.render(codes)
        color = picture.color
        assert color is not None, "a Source's pictures carry their colour"
        if self.mask is not None:
            color = self.mask.apply(color)
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
    start_ahead()  # and start the second process then (compile_ahead), before the model loads
    try:
        return _export(input, output, settings, progress)
    except BaseException:
        stop_notice(ready=False)  # no "kernels ready" above the error
        raise
    finally:
        stop_notice()
        end_ahead()  # one this export gave no job


def _export(input, output: str, settings: ExportSettings, progress) -> ExportResult:
    with held():  # warnings and decisions print once the file is written
        check_target(settings, output)
        if isinstance(input, Scene):
            scene = input
        else:
            scene = load(default_twin() if input is None else input)
        # a clip's first pass reads all of it before the first frame: its own line
        with first_pass_line(scene, progress) as first_pass:
            plan = ExportPlan(scene, settings, output, first_pass)
        try:
            total = plan.timeline.frame_count
            check_frame_limit(plan.format, output, total)
            frames = _frames_after_notice(plan, total)
            bar: CallbackProgress | Progress
            if callable(progress):
                bar = CallbackProgress(total, progress)
            else:
                bar = Progress(total, label=os.path.basename(output), enabled=bool(progress))
            write_stream(plan.format, output, plan.profile, plan.fps, frames, bar)
            bar.finish()
        finally:
            if plan.compile_ahead is not None:  # an export that failed before its first frame
                plan.compile_ahead.stop()
    return ExportResult.of(plan, output)


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
