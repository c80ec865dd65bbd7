"""``holopack bench``: arguments and the command (the main CLI registers them)."""

from __future__ import annotations

import argparse
import json

from .. import options
from ..argtypes import add_command, add_wall_option, count, given, positive_int
from ..atomic import atomic_output
from ..errors import OutputError


def _peers(text: str) -> list[str]:
    from .peers import PEERS

    if text in ("none", ""):
        return []
    if text == "all":
        return list(PEERS)
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in PEERS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown peer {unknown[0]!r} (peers: {', '.join(PEERS)}, all, none)"
        )
    return names


def _load(text: str) -> int:
    from .load import MAX_PROCESSES

    value = count(text)
    if value > MAX_PROCESSES:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_PROCESSES} processes, got {text!r}")
    return value


def configure_parser(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument(
        "inputs", nargs="*", metavar="INPUT", help="models, pictures or videos (default: the bundled twin)"
    )
    options.add_arguments(p, options.BENCH)
    p.add_argument(
        "--frames",
        type=positive_int,
        default=60,
        metavar="N",
        help="frames timed per loop after the warm-up (default 60)",
    )
    p.add_argument("--warmup", type=count, default=5, metavar="N", help="untimed frames first (default 5)")
    p.add_argument(
        "--peers",
        type=_peers,
        default=None,
        metavar="LIST",
        help="comparison rows: all (default), none, or some of render,resample,encode",
    )
    p.add_argument(
        "--profile",
        type=count,
        default=0,
        metavar="N",
        help="also profile N end-to-end frames with cProfile and list the top functions",
    )
    p.add_argument(
        "--load",
        type=_load,
        default=0,
        metavar="N",
        help="run N busy processes beside the whole measurement, so that holopack "
        "and its peers are timed under the same competing load (default 0)",
    )
    p.add_argument(
        "--json", metavar="OUT.json", help="write the full report as JSON (schema: docs/bench-schema.json)"
    )
    p.add_argument("--plot", metavar="OUT.png", help="write a chart of the stages and peers")
    p.add_argument("-q", "--quiet", action="store_true", help="no text report on stdout")
    add_wall_option(
        p,
        "time a wall of fans end to end (all its files and preview.mp4), "
        "as a ratio to real time, beside one fan alone",
    )
    return p


def add_bench_parser(sub) -> argparse.ArgumentParser:
    """Register ``bench`` on the main CLI's subparsers; dispatch to ``cmd_bench``."""
    return configure_parser(add_command(sub, "bench", cmd_bench))


def cmd_bench(args) -> int:
    """time each pipeline stage and the whole export, with comparison rows"""
    if args.wall:
        from ..wall.bench import bench_wall, format_wall_report

        first = args.inputs[0] if args.inputs else None
        report = bench_wall(
            first,
            args.wall,
            **given(args, "frames", "warmup", "animation"),
            video=given(args, *options.VIDEO_PARSERS),
            look=given(args, *options.LOOK_OPTIONS),
        )
        if args.json:
            _write(args.json, json.dumps(report, indent=1, allow_nan=False) + "\n")
        if not args.quiet:
            print(format_wall_report(report))
        return 0
    from .report import format_report, plot_report
    from .run import BenchSettings, bench

    settings = BenchSettings(
        **given(args, "device", "format", "size", "supersample", "animation", "frames", "warmup"),
        **given(args, "peers", "profile", "load"),
        video=given(args, *options.VIDEO_PARSERS),
        look={k: v for k, v in given(args, *options.LOOK_OPTIONS).items() if v is not None},
    )
    report = bench(args.inputs, settings)
    if args.json:
        _write(args.json, json.dumps(report, indent=1, allow_nan=False) + "\n")
    if args.plot:
        try:
            plot_report(report, args.plot)
        except OSError as exc:
            raise OutputError(f"cannot write the plot ({exc.strerror or exc})", args.plot) from None
    if not args.quiet:
        print(format_report(report))
    return 0


def _write(path: str, text: str) -> None:
    with atomic_output(path) as temp:
        with open(temp, "w", encoding="utf-8") as f:
            f.write(text)
