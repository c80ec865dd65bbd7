"""``holopack bench``: arguments and the command (the main CLI registers them)."""
from __future__ import annotations

import argparse
import json
import os
import sys

from ..errors import HolopackError, OutputError


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def _positive(text: str) -> int:
    value = _count(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _peers(text: str) -> list[str]:
    from .peers import PEERS

    if text in ("none", ""):
        return []
    if text == "all":
        return list(PEERS)
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in PEERS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown peer {unknown[0]!r} (peers: {', '.join(PEERS)}, "
                                         "all, none)")
    return names


def configure_parser(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="models, pictures or videos (default: the bundled twin)")
    p.add_argument("--device", default="3dcircle-42f2",
                   help="device profile name or .toml path (default 3dcircle-42f2)")
    p.add_argument("--format", help="output format (default: the device's own)")
    p.add_argument("--size", type=_positive, help="square frame size in pixels (default: the device's)")
    p.add_argument("--supersample", type=_positive, help="anti-aliasing factor per axis")
    p.add_argument("--animation", help="animation name or index (default: the first)")
    p.add_argument("--frames", type=_positive, default=60,
                   help="frames timed per loop after the warm-up (default 60)")
    p.add_argument("--warmup", type=_count, default=5, help="untimed frames first (default 5)")
    p.add_argument("--peers", type=_peers, default=None, metavar="LIST",
                   help="comparison rows: all (default), none, or some of render,resample,encode")
    p.add_argument("--profile", type=_count, default=0, metavar="N",
                   help="also profile N end-to-end frames with cProfile and list the top functions")
    p.add_argument("--json", metavar="OUT.json", help="write the full report as JSON "
                   "(schema: docs/bench-schema.json)")
    p.add_argument("--plot", metavar="OUT.png", help="write a chart of the stages and peers")
    p.add_argument("-q", "--quiet", action="store_true", help="no text report on stdout")
    return p


def add_bench_parser(sub) -> argparse.ArgumentParser:
    """Register ``bench`` on the main CLI's subparsers; dispatch to ``cmd_bench``."""
    p = sub.add_parser("bench", help="time each pipeline stage and the whole export, "
                       "with comparison rows")
    return configure_parser(p)


def cmd_bench(args) -> int:
    from .report import format_report, plot_report
    from .run import BenchSettings, bench

    settings = BenchSettings(device=args.device, format=args.format, size=args.size,
                             supersample=args.supersample, animation=args.animation,
                             frames=args.frames, warmup=args.warmup, peers=args.peers,
                             profile=args.profile)
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
    try:
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise OutputError(f"cannot write the report ({exc.strerror or exc})", path) from None


def main(argv: list[str] | None = None) -> int:
    """``python -m holopack.bench``: the same command on its own."""
    parser = configure_parser(argparse.ArgumentParser(
        prog="holopack bench", description="Time holopack's pipeline stages and compare peers."))
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    args = parser.parse_args(argv)
    try:
        return cmd_bench(args)
    except HolopackError as exc:
        if args.debug:
            raise
        print(f"holopack: error: {exc}", file=sys.stderr)
        return exc.exit_code
