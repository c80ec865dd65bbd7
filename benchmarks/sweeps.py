"""The command line the input sweeps share (clip_sweep.py, picture_sweep.py): which of
their cases to run and where the decoded frames go."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable, Iterable


def run_sweep(
    description: str, cases: Iterable[str], sweep: Callable[[list[str], str, bool], object], prefix: str
):
    """Parse ``--out`` (a folder for the decoded frames; a new temporary one by default),
    ``--only`` (comma-separated parts of case names) and ``--no-cli`` (holopack.load
    only), then ``sweep(names, out, cli)`` over the chosen ``cases``."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument(
        "--out", default=None, help="folder for the decoded frames (default: a new temporary one)"
    )
    ap.add_argument("--only", default="", help="comma-separated parts of the case names to run")
    ap.add_argument("--no-cli", action="store_true", help="only holopack.load, not the commands")
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix=prefix)
    names = [n for n in cases if not args.only or any(k in n for k in args.only.split(","))]
    os.makedirs(out, exist_ok=True)
    print(f"# decoded frames under {out}")
    return sweep(names, out, not args.no_cli)
