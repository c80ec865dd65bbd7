"""Every export option, once: name, type, default, range, help, and the faces that offer it.

The table drives the command line (``export``, ``preview``, ``bench``: argparse), the
playlist's items and ``[defaults]``, ExportSettings' defaults and the preview's export.
A value is checked by the same code whichever face it came through, so the fault reads
the same: ``--seconds: must be greater than 0, got -1`` on the command line,
``item 1 (duck): seconds must be greater than 0, got -1`` in a playlist.

A new option is one ``Option(...)`` entry in OPTIONS (docs/developing.md); the faces
and ExportSettings.from_options pick it up.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .animate.axes import FRONT_CHOICES, UP_CHOICES
from .errors import InputError
from .limits import BOUNDS
from .rendering.camera import Framing
from .rendering.lights import LIGHT_KEYS, Lights
from .rendering.tonemap_choices import ENVIRONMENTS, TONE_MAPPINGS
from .schema import Fault
from .textfile import show_value
from .video import options as video_choices

EXPORT, PREVIEW, BENCH, PLAYLIST = "export", "preview", "bench", "playlist"
FACES = (EXPORT, PREVIEW, BENCH, PLAYLIST)


def _framing_default(name: str):
    """A camera option's default is Framing's own (stated once, in render.camera)."""
    return next(f.default for f in dataclasses.fields(Framing) if f.name == name)


@dataclass(frozen=True)
class Option:
    """One option.

    kind: "number" (a float), "integer", "text", "flag" (true/false; a store_true
    switch on the command line), "animation" (a name or an index), "turntable" (a
    number, or false for none), "lights" (a table; ``--light KEY=VALUE`` repeated),
    "switch" (a pair of --x/--no-x flags whose absence means None). lo/hi: the range
    (lo_open: lo itself excluded); unit: a word for errors ("pixels"). target: where the
    value lands in ExportSettings (``framing.yaw`` for the camera); convert: value ->
    field value. default: the value when the option is not given, for every face
    unless ``face_defaults`` names another for a face. flag/metavar/group: argparse
    spelling.
    """

    name: str
    kind: str
    help: str
    default: Any = None
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    unit: str = ""
    faces: tuple[str, ...] = (EXPORT, PLAYLIST)
    target: str | None = None
    convert: Callable[[Any], Any] | None = None
    face_defaults: dict = field(default_factory=dict)
    flag: str | None = None
    metavar: str | None = None
    group: str | None = None
    choices: tuple[str, ...] = ()  # kind "choice": the values it takes

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def settings_field(self) -> str:
        return self.target or self.name

    def default_for(self, face: str):
        return self.face_defaults.get(face, self.default)

    # -- checking ------------------------------------------------------------------------
    def check(self, value):
        """The checked value (from TOML, or text from the command line); raises Fault
        with the words that follow the option's name in an error."""
        checker = _CHECKS[self.kind]
        return checker(self, value)

    def _range(self, v: float) -> float:
        if self.lo is not None and (v < self.lo or (self.lo_open and v == self.lo)):
            if self.lo_open and self.lo == 0:
                raise Fault(f"must be greater than 0, got {v:g}")
            raise Fault(f"must be at least {self.lo:g}, got {v:g}")
        if self.hi is not None and v > self.hi:
            raise Fault(f"must be at most {self.hi:g}, got {v:g}")
        return v


def _number(opt: Option, v) -> float:
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            raise Fault(f"must be a number, got {show_value(v)}") from None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise Fault(f"must be a number, got {show_value(v)}")
    return opt._range(float(v))


def _integer(opt: Option, v) -> int:
    if isinstance(v, str):
        try:
            v = int(v)  # command-line text; a fault shows the text when it is no number
        except ValueError:
            pass
    ok = not isinstance(v, bool) and isinstance(v, int)
    if not ok or (opt.lo is not None and v < opt.lo) or (opt.hi is not None and v > opt.hi):
        unit = f" of {opt.unit}" if opt.unit else ""
        raise Fault(f"must be a whole number{unit} from {opt.lo:g} to {opt.hi:g}, got {show_value(v)}")
    return v


def _text(opt: Option, v) -> str:
    if not isinstance(v, str) or not v:
        raise Fault(f"must be a non-empty string, got {show_value(v)}")
    return v


def _flag(opt: Option, v) -> bool:
    if not isinstance(v, bool):
        raise Fault(f"must be true or false, got {show_value(v)}")
    return v


def _animation(opt: Option, v):
    """A name or an index: of an animation (--animation) or of what ``opt.unit`` says."""
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise Fault(f"must be {opt.unit or 'an animation'} name or index, got {show_value(v)}")
    if isinstance(v, int) and v < 0:
        raise Fault(f"index must be 0 or more, got {v}")
    return v


def _turntable(opt: Option, v) -> float:
    if v is False:
        return 0.0
    if v is True:
        raise Fault("takes degrees per second (e.g. turntable = 45), or false for no spin")
    return _number(opt, v)


def _video(opt: Option, v) -> str:
    """A video option's text (--key, --crop, --loop, --levels, --edge-fade, --see-through), checked by its parser in
    holopack.video.options; the text is kept, the parsed value is made where it is used."""
    if not isinstance(v, str):
        raise Fault(f"must be a string, got {show_value(v)}")
    try:
        VIDEO_PARSERS[opt.name](v)
    except InputError as exc:
        # "--key takes auto|green|..., got 'x'": the words after the option's name
        raise Fault(exc.message.split(" ", 1)[1]) from None
    return v


VIDEO_PARSERS = {
    "key": video_choices.parse_key,
    "crop": video_choices.parse_crop,
    "loop": video_choices.parse_loop,
    "levels": video_choices.parse_levels,
    "edge_fade": video_choices.parse_edge_fade,
    "see_through": video_choices.parse_see_through,
}


def _choice(opt: Option, v) -> str:
    if not isinstance(v, str) or v.strip().lower() not in opt.choices:
        raise Fault(f"takes one of {', '.join(opt.choices)}; got {show_value(v)}")
    return v.strip().lower()


def _lights(opt: Option, v) -> dict:
    Lights.from_table(v)  # raises the Fault
    return dict(v)


_CHECKS: dict[str, Callable[[Option, Any], Any]] = {
    "number": _number,
    "integer": _integer,
    "text": _text,
    "flag": _flag,
    "switch": _flag,
    "animation": _animation,
    "turntable": _turntable,
    "lights": _lights,
    "video": _video,
    "choice": _choice,
}


def _bounds(name: str) -> dict:
    """An option's range, from the one table every face shares (holopack.limits.BOUNDS)."""
    lo, hi, lo_open, _ = BOUNDS[name]
    return {"lo": lo, "hi": hi, "lo_open": lo_open}


CAMERA = "camera and light"
VIDEO = "video input"
VIDEO_FACES = (EXPORT, PREVIEW, BENCH, PLAYLIST)
# how the model is shaded: the preview's live panel draws what export renders, and the
# bench times (and its render peer draws) the same
LOOK_FACES = (EXPORT, PREVIEW, BENCH, PLAYLIST)
LOOK_OPTIONS = ("shading", "environment", "tone_mapping", "exposure", "model_lights", "variant")


def _axis_option(name: str, choices: tuple[str, ...], help: str) -> Option:
    """--front and --up: one of the model's axes, or auto (the model's file decides)."""
    return Option(
        name, "choice", help, default="auto", choices=choices, metavar="|".join(choices), group=CAMERA
    )


OPTIONS: tuple[Option, ...] = (
    Option(
        "device",
        "text",
        "device profile name or .toml path (see `holopack devices`)",
        metavar="NAME",
        default="mp4-fan",
        faces=(EXPORT, PREVIEW, BENCH),
        face_defaults={PREVIEW: "3dcircle-42f2", BENCH: "3dcircle-42f2"},
    ),
    Option(
        "format",
        "text",
        "output format: mp4, webm, gif, png, picture, 42f2, legacy224 or polarstream (default: the device's own)",
        faces=(EXPORT, BENCH),
        metavar="FMT",
    ),
    Option(
        "animation",
        "animation",
        "animation name or index, or 'all' to play every clip together "
        "(default: the first; all when the clips are one per joint)",
        metavar="NAME|INDEX|all",
        faces=(EXPORT, PREVIEW, BENCH, PLAYLIST),
    ),
    Option(
        "variant",
        "animation",
        "the model's material variant (KHR_materials_variants: a product's colourways; a USD "
        "stage's variant sets as SET=NAME; listed by `holopack inspect`), by name or index "
        "(default: the file's own materials)",
        unit="a material variant",
        metavar="NAME|INDEX",
        faces=LOOK_FACES,
    ),
    Option("seconds", "number", "length (default: one loop of the clip)", **_bounds("seconds"), metavar="S"),
    Option("loops", "number", "number of loops of the clip", **_bounds("loops"), metavar="N"),
    Option("speed", "number", "playback speed factor", default=1.0, **_bounds("speed"), metavar="X"),
    Option(
        "fps",
        "number",
        "frames per second (default: the device's)",
        **_bounds("fps"),
        faces=(EXPORT,),
        metavar="N",
    ),
    Option(
        "size",
        "integer",
        "square frame size in pixels (default: the device's)",
        metavar="PX",
        **_bounds("size"),
        unit="pixels",
        faces=(EXPORT, PREVIEW, BENCH, PLAYLIST),
    ),
    Option(
        "yaw",
        "number",
        "camera yaw in degrees (0 = front)",
        default=_framing_default("yaw"),
        **_bounds("yaw"),
        target="framing.yaw",
        metavar="DEG",
        group=CAMERA,
    ),
    Option(
        "pitch",
        "number",
        "camera pitch in degrees (+ = from above)",
        default=_framing_default("pitch"),
        **_bounds("pitch"),
        target="framing.pitch",
        metavar="DEG",
        group=CAMERA,
    ),
    Option(
        "distance",
        "number",
        "camera distance (default: fitted)",
        default=_framing_default("distance"),
        **_bounds("distance"),
        target="framing.distance",
        metavar="D",
        group=CAMERA,
    ),
    Option(
        "fov",
        "number",
        "vertical field of view in degrees; 0 = orthographic",
        default=_framing_default("fov"),
        **_bounds("fov"),
        target="framing.fov",
        metavar="DEG",
        group=CAMERA,
    ),
    Option(
        "margin",
        "number",
        "empty border inside the fan's circle, as a fraction of its radius",
        default=_framing_default("margin"),
        **_bounds("margin"),
        target="framing.margin",
        metavar="F",
        group=CAMERA,
    ),
    Option(
        "turntable",
        "turntable",
        "spin the model around its vertical axis, degrees per second; 0: no spin "
        "(default: one turn per clip for a model without animation, none for an animated one)",
        **_bounds("turntable"),
        metavar="DEG_PER_S",
        group=CAMERA,
    ),
    Option(
        "lights",
        "lights",
        "override a lighting setting, e.g. --light rim=1.5 (repeatable; settings: "
        + ", ".join(LIGHT_KEYS)
        + "; a direction or colour as x,y,z)",
        flag="--light",
        metavar="KEY=VALUE",
        group=CAMERA,
    ),
    Option(
        "shading",
        "choice",
        "lighting model: lit (the default: holopack's own Blinn-Phong rig), pbr (glTF's "
        "metallic-roughness materials with their normal and metal-rough maps, tone-mapped) or "
        "unlit (as --unlit)",
        default="lit",
        choices=("lit", "unlit", "pbr"),
        metavar="lit|unlit|pbr",
        group=CAMERA,
        faces=LOOK_FACES,
    ),
    Option(
        "unlit",
        "flag",
        "base colour only, no lighting",
        default=False,
        target="shading",
        # after "shading" in this table, so that --unlit wins over its default; None:
        # --shading's value, or its default
        convert=lambda unlit: "unlit" if unlit else None,
        group=CAMERA,
    ),
    Option(
        "environment",
        "choice",
        "image-based light of --shading pbr: none, or studio (a built-in neutral studio: "
        "soft diffuse light and reflections; the model's occlusion maps dim it)",
        default="none",
        choices=ENVIRONMENTS,
        metavar="|".join(ENVIRONMENTS),
        group=CAMERA,
        faces=LOOK_FACES,
    ),
    Option(
        "tone_mapping",
        "choice",
        "how linear light becomes the picture's colour: none (clamped), neutral (Khronos PBR "
        "Neutral) or aces (default: neutral for --shading pbr, none otherwise)",
        choices=TONE_MAPPINGS,
        metavar="|".join(TONE_MAPPINGS),
        group=CAMERA,
        faces=LOOK_FACES,
    ),
    Option(
        "exposure",
        "number",
        "multiplies the linear light before tone mapping",
        default=1.0,
        metavar="X",
        **_bounds("exposure"),
        group=CAMERA,
        faces=LOOK_FACES,
    ),
    Option(
        "model_lights",
        "flag",
        "light the model with its own KHR_lights_punctual lights instead of the camera rig",
        default=False,
        group=CAMERA,
        faces=LOOK_FACES,
    ),
    Option(
        "supersample",
        "integer",
        "anti-aliasing factor per axis, 1 to 4 (default: the device's)",
        metavar="N",
        **_bounds("supersample"),
        faces=(EXPORT, BENCH),
        group=CAMERA,
    ),
    Option(
        "circle_mask",
        "switch",
        "black out everything outside the fan's circle "
        "(--no-circle-mask keeps the corners of an MP4; default: the device profile decides)",
        faces=(EXPORT,),
    ),
    _axis_option(
        "front",
        FRONT_CHOICES,
        "the model's axis that faces the viewer (auto: glTF's +z unless the "
        "model clearly says otherwise, e.g. a character facing -z)",
    ),
    _axis_option(
        "up", UP_CHOICES, "the model's axis that points up (auto: +y, or +z for a CAD export that says so)"
    ),
    Option(
        "key",
        "video",
        "turn the background to black: auto detects it, green/blue or a colour "
        "(#RRGGBB or R,G,B) keys that colour, person segments a person (pip install "
        "'holopack[segment]'), none keeps the frame",
        default="auto",
        faces=VIDEO_FACES,
        metavar=video_choices.KEY_HELP,
        group=VIDEO,
    ),
    Option(
        "crop",
        "video",
        "auto fits the subject's extent over the clip into the fan's circle; "
        "fit keeps the whole frame in the square",
        default="auto",
        faces=VIDEO_FACES,
        metavar="auto|fit",
        group=VIDEO,
    ),
    Option(
        "loop",
        "video",
        "close the loop: blend the end into the start, or play forward then back",
        faces=VIDEO_FACES,
        metavar="crossfade=SECONDS|pingpong",
        group=VIDEO,
    ),
    Option(
        "levels",
        "video",
        "auto stretches the subject's brightness to the fan's range (black stays black)",
        faces=VIDEO_FACES,
        metavar="auto",
        group=VIDEO,
    ),
    Option(
        "edge_fade",
        "video",
        "auto fades a subject cut by the frame (a waist-up presenter) out towards the cut",
        faces=VIDEO_FACES,
        metavar="auto",
        group=VIDEO,
    ),
    Option(
        "see_through",
        "video",
        "auto gives a glow, smoke or veil over a green or blue screen its own opacity and "
        "takes the screen's colour out of it",
        faces=VIDEO_FACES,
        metavar="auto",
        group=VIDEO,
    ),
)

BY_NAME = {opt.name: opt for opt in OPTIONS}


def option(name: str) -> Option:
    return BY_NAME[name]


def for_face(face: str) -> list[Option]:
    return [opt for opt in OPTIONS if face in opt.faces]


def default(name: str):
    """The default of an option (for ExportSettings' fields)."""
    return BY_NAME[name].default


# -- the command line ------------------------------------------------------------------------
def _arg_type(opt: Option) -> Callable[[str], Any]:
    def parse(text: str):
        try:
            return opt.check(text)
        except Fault as fault:
            raise argparse.ArgumentTypeError(str(fault)) from None

    parse.__name__ = opt.name  # argparse names the type in some messages
    return parse


def _light_pair(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"takes KEY=VALUE, got {text!r}")
    try:
        number = [float(v) for v in value.split(",")] if "," in value else float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{key.strip()} must be a number or x,y,z, got {value!r}") from None
    return key.strip(), number


def add_arguments(parser: argparse.ArgumentParser, face: str) -> None:
    """Add the options of ``face`` to an argparse parser (dest = the option's name)."""
    groups: dict[str, Any] = {}
    for opt in for_face(face):
        target = (
            parser
            if opt.group is None
            else groups.setdefault(opt.group, parser.add_argument_group(opt.group))
        )
        default = opt.default_for(face)
        help_text = opt.help + (
            f" (default {default})" if default not in (None, False) and "default" not in opt.help else ""
        )
        if opt.kind == "flag":
            target.add_argument(opt.cli_flag, dest=opt.name, action="store_true", help=opt.help)
        elif opt.kind == "switch":
            target.add_argument(opt.cli_flag, dest=opt.name, action="store_true", default=None, help=opt.help)
            target.add_argument(
                "--no-" + opt.cli_flag[2:],
                dest=opt.name,
                action="store_false",
                default=None,
                help=argparse.SUPPRESS,
            )
        elif opt.kind == "lights":
            target.add_argument(
                opt.cli_flag,
                dest=opt.name,
                action="append",
                type=_light_pair,
                default=None,
                metavar=opt.metavar,
                help=opt.help,
            )
        else:
            target.add_argument(
                opt.cli_flag,
                dest=opt.name,
                type=_arg_type(opt),
                default=default,
                metavar=opt.metavar,
                help=help_text,
            )


def values_from_args(args: argparse.Namespace, face: str) -> dict:
    """{option name: value} of the options of ``face`` in parsed arguments; checks
    what argparse could not (a --light table as a whole)."""
    values = {}
    for opt in for_face(face):
        value = getattr(args, opt.name, None)
        if opt.kind == "lights" and value is not None:
            value = dict(value)
            try:
                opt.check(value)
            except Fault as fault:
                raise InputError(f"{opt.cli_flag} {fault}") from None
        values[opt.name] = value
    return values


# -- tables (playlists) ------------------------------------------------------------------------
def check_values(table: dict, face: str) -> dict:
    """Checked values of the options of ``face`` in a TOML table; raises Fault naming
    the key: "seconds must be greater than 0, got -1". Unknown keys are the caller's
    to report (it knows which other keys the table may hold)."""
    known = {opt.name: opt for opt in for_face(face)}
    out = {}
    for key, value in table.items():
        if key in known:
            try:
                out[key] = known[key].check(value)
            except Fault as fault:
                raise Fault(f"{key} {fault}") from None
    return out


# -- ExportSettings ---------------------------------------------------------------------------
def settings_fields(values: dict) -> tuple[dict, dict]:
    """Option values -> (ExportSettings fields, Framing fields); options not given
    (absent, or None where the default is None) are left out."""
    settings: dict[str, Any] = {}
    framing: dict[str, Any] = {}
    for name, value in values.items():
        opt = BY_NAME[name]
        if value is None:
            continue
        if opt.convert is not None:
            value = opt.convert(value)
            if value is None:  # a flag left off says nothing (--unlit: the shading's default)
                continue
        where, _, attr = opt.settings_field.rpartition(".")
        (framing if where == "framing" else settings)[attr] = value
    return settings, framing
