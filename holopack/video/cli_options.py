"""--key, --crop, --loop and --levels on the command line (export, preview, bench).

The values are checked by holopack.video.options, the same code playlists use.
"""
from __future__ import annotations

import argparse

from ..errors import InputError
from .options import KEY_HELP, parse_crop, parse_key, parse_levels, parse_loop


def _checked(parse):
    def check(text: str) -> str:
        try:
            parse(text)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text
    check.__name__ = parse.__name__.replace("parse_", "")
    return check


def add_video_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("video input")
    g.add_argument("--key", type=_checked(parse_key), default="auto", metavar=KEY_HELP,
                   help="turn the background to black: auto (default) detects it, green/blue "
                        "or a colour (#RRGGBB) keys that colour, none keeps the frame")
    g.add_argument("--crop", type=_checked(parse_crop), default="auto", metavar="auto|fit",
                   help="auto (default) fits the subject's extent over the clip into the fan's "
                        "circle; fit keeps the whole frame in the square")
    g.add_argument("--loop", type=_checked(parse_loop), metavar="crossfade=SECONDS|pingpong",
                   help="close the loop: blend the end into the start, or play forward then back")
    g.add_argument("--levels", type=_checked(parse_levels), metavar="auto",
                   help="auto stretches the subject's brightness to the fan's range (black stays black)")


def video_settings(args) -> dict:
    """ExportSettings fields from parsed arguments."""
    return {"key": args.key, "crop": args.crop, "loop": args.loop, "levels": args.levels}
