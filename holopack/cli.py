"""The holopack command line: argument parsing only; the work is in the library."""
from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings

from . import __version__
from .argtypes import finite_float, positive_float, positive_int
from .containment import allow_outside_files
from .errors import HolopackError, InputError
from .interrupt import sigint_guard
from .openmp import configure as configure_openmp


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other bad input
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_containment_option(p: argparse.ArgumentParser) -> None:
    """--allow-outside-files: lift the folder rule of docs/security.md for trusted inputs."""
    p.add_argument("--allow-outside-files", action="store_true",
                   help="let the input refer to files outside its own folder (trusted inputs "
                        "only; see docs/security.md)")


def _add_render_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("camera and light")
    g.add_argument("--yaw", type=finite_float, default=0.0, help="camera yaw in degrees (0 = front)")
    g.add_argument("--pitch", type=finite_float, default=0.0, help="camera pitch in degrees (+ = from above)")
    g.add_argument("--distance", type=positive_float, help="camera distance (default: fitted)")
    g.add_argument("--fov", type=finite_float, default=30.0,
                   help="vertical field of view in degrees; 0 = orthographic (default 30)")
    g.add_argument("--margin", type=finite_float, default=0.08,
                   help="empty border inside the fan's circle, as a fraction of its radius")
    g.add_argument("--turntable", type=finite_float, metavar="DEG_PER_S",
                   help="spin the model around its vertical axis (default: one turn per clip "
                        "for a model without animation)")
    g.add_argument("--light", action="append", default=[], metavar="KEY=VALUE",
                   help="override a lighting setting, e.g. --light rim=1.5 (repeatable)")
    g.add_argument("--unlit", action="store_true", help="base colour only, no lighting")
    g.add_argument("--supersample", type=positive_int, help="anti-aliasing factor per axis")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="holopack", description="Pack 3D twins and videos for spinning-LED "
                     "hologram fans.")
    parser.add_argument("--version", action="version", version=f"holopack {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("export", help="render a model or repack a video into a device file")
    p.add_argument("input", nargs="?", help="model, picture or video (default: the bundled twin)")
    p.add_argument("-o", "--output", required=True, help="output file (or folder for --format png)")
    p.add_argument("--device", default="mp4-fan", help="device profile name or .toml path "
                   "(default mp4-fan; see `holopack devices`)")
    p.add_argument("--format", help="output format (default: the device's own)")
    p.add_argument("--seconds", type=positive_float, help="length (default: one loop of the clip)")
    p.add_argument("--loops", type=positive_float, help="number of loops of the clip")
    p.add_argument("--speed", type=positive_float, default=1.0, help="playback speed factor")
    p.add_argument("--fps", type=positive_float, help="frames per second (default: the device's)")
    p.add_argument("--size", type=positive_int, help="square frame size in pixels")
    p.add_argument("--animation", help="animation name or index (default: the first)")
    p.add_argument("--no-circle-mask", dest="circle_mask", action="store_false", default=None,
                   help="keep the corners of an MP4 (default: the device profile decides)")
    p.add_argument("--circle-mask", dest="circle_mask", action="store_true",
                   help="black out everything outside the fan's circle")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_render_options(p)
    add_containment_option(p)

    p = sub.add_parser("inspect", help="what is in a model or video, and what will look bad")
    p.add_argument("input")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_containment_option(p)

    p = sub.add_parser("devices", help="list the device profiles, or show one")
    p.add_argument("name", nargs="?")

    p = sub.add_parser("decode", help="turn a device file back into pictures (viewer simulation)")
    p.add_argument("file")
    p.add_argument("--device", help="profile (default: guessed from the file)")
    p.add_argument("-o", "--output", required=True, help="frames folder, .mp4 or .gif")
    p.add_argument("--size", type=positive_int, default=512, help="picture size in pixels")
    p.add_argument("--frames", type=positive_int, help="decode at most this many frames")
    p.add_argument("-q", "--quiet", action="store_true")
    add_containment_option(p)

    p = sub.add_parser("preview", help="a window with the render and the simulated fan side by side")
    p.add_argument("input", nargs="?")
    p.add_argument("--device", default="3dcircle-42f2")
    p.add_argument("--animation")
    p.add_argument("--size", type=positive_int, help="render size in pixels")
    p.add_argument("--frames", type=positive_int, help="headless: quit after N frames")
    p.add_argument("--screenshot", help="save a PNG of the window before quitting")
    p.add_argument("--script", help="scripted input: a JSON list of events, or a .json file "
                   "(e.g. '[{\"frame\": 5, \"key\": \"d\"}]')")
    p.add_argument("--output-dir", default=".", help="where S (screenshot) and E (export) write")
    add_containment_option(p)

    from .pack.cli import add_pack_parser, add_validate_parser

    add_pack_parser(sub)
    add_validate_parser(sub)

    from .bench.cli import add_bench_parser

    add_bench_parser(sub)
    return parser


def _framing(args):
    from .render.camera import Framing

    return Framing(yaw=args.yaw, pitch=args.pitch, distance=args.distance, fov=args.fov,
                   margin=args.margin)


def _lights(pairs: list[str]):
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InputError(f"--light takes KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = float(value) if "," not in value else [float(v) for v in value.split(",")]
        except ValueError:
            raise InputError(f"--light {key}: expected a number or x,y,z, got {value!r}") from None
    return out


def cmd_export(args) -> int:
    from .pipeline import ExportSettings, export

    settings = ExportSettings(
        device=args.device, format=args.format, seconds=args.seconds, fps=args.fps,
        size=args.size, animation=args.animation, loops=args.loops, speed=args.speed,
        turntable=args.turntable, framing=_framing(args), lights=_lights(args.light),
        supersample=args.supersample, circle_mask=args.circle_mask,
        shading="unlit" if args.unlit else "lit")
    result = export(args.input, args.output, settings, progress=not args.quiet)
    print(f"wrote {result.path}: {result.format} for {result.device}, {result.frames} frames at "
          f"{result.fps:g} fps ({result.seconds:.2f} s), {result.bytes:,} bytes", file=sys.stderr)
    return 0


def cmd_inspect(args) -> int:
    from .inspect import describe, format_report
    from .scene.load import load

    info = describe(load(args.input))
    print(json.dumps(info, indent=2) if args.json else format_report(info))
    return 0


def cmd_devices(args) -> int:
    from .device import list_profiles, load_profile

    if args.name:
        print(load_profile(args.name).to_text())
        return 0
    for name in list_profiles():
        profile = load_profile(name)
        print(f"{name:16s} {profile.kind:6s} {profile.format:12s} {profile.description.splitlines()[0]}")
    return 0


def cmd_decode(args) -> int:
    from .decode import decode

    result = decode(args.file, args.output, device=args.device, size=args.size,
                    max_frames=args.frames, progress=not args.quiet)
    print(f"wrote {result.path}: {result.frames} frames", file=sys.stderr)
    return 0


def cmd_preview(args) -> int:
    from .preview import run_preview
    from .settings_check import check_export_settings

    # the preview renders through export's settings: the same ranges, checked up front
    check_export_settings(argparse.Namespace(size=args.size, animation=args.animation))

    return run_preview(args.input, args.device, animation=args.animation, size=args.size,
                       frames=args.frames, screenshot=args.screenshot, script=args.script,
                       output_dir=args.output_dir) or 0


def cmd_pack(args) -> int:
    from .pack.cli import cmd_pack as run

    return run(args)


def cmd_validate(args) -> int:
    from .pack.cli import cmd_validate as run

    return run(args)


def cmd_bench(args) -> int:
    from .bench.cli import cmd_bench as run

    return run(args)


COMMANDS = {"export": cmd_export, "inspect": cmd_inspect, "devices": cmd_devices,
            "decode": cmd_decode, "preview": cmd_preview, "pack": cmd_pack,
            "validate": cmd_validate, "bench": cmd_bench}


def _caused_by_interrupt(exc: BaseException) -> bool:
    """True when Ctrl-C is what went wrong underneath `exc`.

    A SIGINT that lands inside a compiled kernel surfaces when the kernel returns, as a
    SystemError ("returned a result with an exception set") whose cause is the
    KeyboardInterrupt.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def quiet_libraries() -> None:
    """Errors reach the user as one line: library warnings (numpy's RuntimeWarnings,
    Pillow's, imageio-ffmpeg's log messages) are not shown; --debug shows them."""
    warnings.simplefilter("ignore")
    logging.getLogger().addHandler(logging.NullHandler())


def main(argv: list[str] | None = None) -> int:
    configure_openmp()      # before the first parallel kernel: see holopack.openmp
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    if not args.debug:
        quiet_libraries()
    try:
        with sigint_guard(), allow_outside_files(getattr(args, "allow_outside_files", False)):
            return COMMANDS[args.command](args)
    except HolopackError as exc:
        if args.debug:
            raise
        print(f"holopack: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("holopack: interrupted; no output was written", file=sys.stderr)
        return 130
    except MemoryError:
        if args.debug:
            raise
        print("holopack: error: out of memory (try a smaller --size or a simpler model)",
              file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    except Exception as exc:  # a bug of ours: still one line, with the way to the details
        if args.debug:
            raise
        if _caused_by_interrupt(exc):
            print("holopack: interrupted; no output was written", file=sys.stderr)
            return 130
        print(f"holopack: internal error: {type(exc).__name__}: {str(exc)[:200]} "
              "(run with --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
