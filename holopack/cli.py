"""The holopack command line: argument parsing only; the work is in the library."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings

from . import __version__, options
from .argtypes import (
    add_cluster_options,
    add_command,
    add_containment_option,
    add_wall_option,
    given,
    positive_int,
)
from .containment import allow_outside_files
from .errors import HolopackError, InputError
from .interrupt import sigint_guard
from .openmp import configure as configure_openmp


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        # an option is named in full: argparse's prefix matching read a mistyped
        # "decode ... --frame 10" as --frames 10 and went on
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):  # one line, exit 2, worded like every other bad input
        self.exit(2, f"holopack: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="holopack", description="Pack 3D twins and videos for spinning-LED hologram fans.")
    parser.add_argument("--version", action="version", version=f"holopack {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = add_command(sub, "export", cmd_export)
    p.add_argument(
        "input",
        nargs="?",
        help="model, Gaussian splat capture (.ply, .sog, .spz, .splat), picture or video (default: the bundled twin)",
    )
    p.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="output file (or folder for --format png)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_wall_option(
        p,
        "export across a wall of fans (docs/walls.md): "
        "-o names a folder that gets one file per fan, wall.json and preview.mp4",
    )
    add_cluster_options(p, "render chunks of frames", "input")
    p.add_argument(
        "--chunk-frames",
        type=positive_int,
        default=16,
        metavar="N",
        help="with --cluster: frames per task (default 16; see docs/cluster.md)",
    )
    options.add_arguments(p, options.EXPORT)
    add_containment_option(p)

    p = add_command(sub, "inspect", cmd_inspect)
    p.add_argument("input", help="model, Gaussian splat capture (.ply, .sog, .spz, .splat), picture or video")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_containment_option(p)

    p = add_command(sub, "devices", cmd_devices)
    p.add_argument(
        "name", nargs="?", help="a profile's name or a .toml path: show it (default: list them all)"
    )

    p = add_command(sub, "decode", cmd_decode)
    p.add_argument("file", help="a fan file: .BIN (42-F2), .bin (legacy 224) or .hps")
    p.add_argument("--device", metavar="NAME", help="profile (default: guessed from the file)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="a folder of PNG frames (frames/), one picture (look.png, with --frames 1), or a .mp4, .webm or .gif video",
    )
    p.add_argument(
        "--size", type=positive_int, default=512, metavar="PX", help="picture size in pixels (default 512)"
    )
    p.add_argument(
        "--frames", type=positive_int, metavar="N", help="decode at most this many frames (default: all)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_containment_option(p)

    p = add_command(sub, "preview", cmd_preview)
    p.add_argument(
        "input",
        nargs="?",
        help="model, Gaussian splat capture (.ply, .sog, .spz, .splat), picture or video (default: the bundled twin)",
    )
    options.add_arguments(p, options.PREVIEW)
    p.add_argument("--frames", type=positive_int, metavar="N", help="headless: quit after N frames")
    p.add_argument("--screenshot", metavar="OUT.png", help="save a PNG of the window before quitting")
    p.add_argument(
        "--script",
        help='scripted input: a JSON list of events, or a .json file (e.g. \'[{"frame": 5, "key": "d"}]\')',
    )
    p.add_argument(
        "--output-dir",
        default=".",
        help="where S (screenshot) and E (export) write (default: the current folder)",
    )
    add_wall_option(p, "show the whole wall of fans (docs/walls.md)")
    add_containment_option(p)

    add_command(sub, "warmup", cmd_warmup)

    from .pack.cli import add_pack_parser, add_validate_parser

    add_pack_parser(sub)
    add_validate_parser(sub)

    from .bench.cli import add_bench_parser

    add_bench_parser(sub)

    from .fans.cli import add_emulate_parser, add_fan_parser, add_push_parser

    add_push_parser(sub)
    add_fan_parser(sub)
    add_emulate_parser(sub)
    return parser


def cmd_export(args) -> int:
    """render a model or repack a video into a device file"""
    from .first_run import end_ahead, start_ahead, start_notice, stop_notice

    if not args.quiet:  # before the heavy imports: a cold first run says so at once
        start_notice()
        if not args.cluster:
            start_ahead()  # a cold export's second process imports meanwhile
    try:
        return _export_command(args)
    except BaseException:
        stop_notice(ready=False)  # no "kernels ready" above the error
        raise
    finally:
        stop_notice()  # each export ends it at its first frame; this is for one that made none
        end_ahead()  # a second process that no export gave a job (a wall of pictures)


def _export_command(args) -> int:
    from .pipeline import ExportResult, ExportSettings, export

    settings = ExportSettings.from_options(options.values_from_args(args, options.EXPORT))
    if args.wall and args.cluster:
        raise InputError("--wall renders on this machine; --cluster does not take a wall yet")
    if args.wall:
        from .wall import export_wall

        wall = export_wall(args.input, args.wall, args.output, settings, progress=not args.quiet)
        print(
            f"wrote {wall.path}: {len(wall.fans)} fan files, {wall.frames} frames each at "
            f"{wall.fps:g} fps ({wall.seconds:.2f} s), wall.json, preview.mp4",
            file=sys.stderr,
        )
        return 0
    if args.cluster:
        from .cluster import connect
        from .cluster.export import export_chunked

        with connect(args.cluster, shared_fs=args.shared_fs) as executor:
            result: ExportResult = export_chunked(
                args.input,
                args.output,
                settings,
                progress=not args.quiet,
                executor=executor,
                chunk_frames=args.chunk_frames,
            )
    else:
        result = export(args.input, args.output, settings, progress=not args.quiet)
    print(
        f"wrote {result.path}: {result.format} for {result.device}, "
        f"{result.frames} frame{'s' if result.frames != 1 else ''} at "
        f"{result.fps:g} fps ({result.seconds:.2f} s), {result.bytes:,} bytes",
        file=sys.stderr,
    )
    for line in getattr(result, "summary", []):  # per worker, on a cluster
        print(line, file=sys.stderr)
    return 0


def cmd_inspect(args) -> int:
    """what is in a model or video, and what will look bad"""
    from .inspection import describe, format_report
    from .scene.load import load

    info = describe(load(args.input))
    print(json.dumps(info, indent=2) if args.json else format_report(info))
    return 0


def cmd_devices(args) -> int:
    """list the device profiles, or show one"""
    from .device import list_profiles, load_profile

    if args.name:
        print(load_profile(args.name).to_text())
        return 0
    for name in list_profiles():
        profile = load_profile(name)
        print(f"{name:16s} {profile.kind:6s} {profile.format:12s} {profile.description.splitlines()[0]}")
    return 0


def cmd_decode(args) -> int:
    """turn a device file back into pictures (viewer simulation)"""
    from .decode import decode

    result = decode(
        args.file,
        args.output,
        device=args.device,
        size=args.size,
        max_frames=args.frames,
        progress=not args.quiet,
    )
    print(f"wrote {result.path}: {result.frames} frame{'s' if result.frames != 1 else ''}", file=sys.stderr)
    return 0


def cmd_preview(args) -> int:
    """a window with the render and the simulated fan side by side"""
    if args.wall:
        from .wall.window import run_wall_preview

        shown = given(args, "animation", "frames", "screenshot")
        video = given(args, *options.VIDEO_PARSERS)
        look = given(args, *options.LOOK_OPTIONS)
        return run_wall_preview(args.input, args.wall, **shown, video=video, look=look) or 0
    from .preview import run_preview
    from .settings_check import check_export_settings

    # the preview renders through export's settings: the same ranges, checked up front
    check_export_settings(argparse.Namespace(size=args.size, animation=args.animation))

    shown = given(args, "animation", "size", "frames", "screenshot", "script", "output_dir")
    look = given(args, *options.LOOK_OPTIONS)
    return (
        run_preview(args.input, args.device, **shown, look=look, video=given(args, *options.VIDEO_PARSERS))
        or 0
    )


def cmd_warmup(args) -> int:
    """compile every kernel now (once per installation), so that the first real job starts at once"""
    from .warmup import warmup

    warmup()
    return 0


def _caused_by_interrupt(exc: BaseException | None) -> bool:
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
    configure_openmp()  # before the first parallel kernel: see holopack.openmp
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    if not args.debug:
        quiet_libraries()
    try:
        with sigint_guard(), allow_outside_files(getattr(args, "allow_outside_files", False)):
            return args.run(args)
    except HolopackError as exc:
        if args.debug:
            raise
        print(f"holopack: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        if args.debug:
            raise
        # a pack on a cluster keeps the files it finished, and says so (pack.package)
        print(f"holopack: interrupted; {str(exc) or 'no output was written'}", file=sys.stderr)
        return 130
    except MemoryError:
        if args.debug:
            raise
        print("holopack: error: out of memory (try a smaller --size or a simpler model)", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    except Exception as exc:  # a bug of ours: still one line, with the way to the details
        if args.debug:
            raise
        if _caused_by_interrupt(exc):
            print("holopack: interrupted; no output was written", file=sys.stderr)
            return 130
        print(
            f"holopack: internal error: {type(exc).__name__}: {str(exc)[:200]} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
