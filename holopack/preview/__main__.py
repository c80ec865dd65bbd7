"""``python -m holopack.preview [INPUT] [--device NAME] ...``: the preview without the CLI."""
from __future__ import annotations

import argparse
import sys

from ..errors import HolopackError
from . import run_preview


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m holopack.preview")
    parser.add_argument("input", nargs="?")
    parser.add_argument("--device", default="3dcircle-42f2")
    parser.add_argument("--animation")
    parser.add_argument("--size", type=int, help="render size in pixels")
    parser.add_argument("--frames", type=int, help="quit after N UI frames")
    parser.add_argument("--screenshot", help="save a PNG of the window before quitting")
    parser.add_argument("--script", help="scripted input: JSON list of events or a .json file")
    parser.add_argument("--output-dir", default=".", help="where S and E write")
    args = parser.parse_args(argv)
    try:
        return run_preview(args.input, args.device, animation=args.animation, size=args.size,
                           frames=args.frames, screenshot=args.screenshot, script=args.script,
                           output_dir=args.output_dir)
    except HolopackError as exc:
        print(f"holopack: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
