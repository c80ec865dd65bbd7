"""Another revision's source, for the *_turns.py benchmarks that compile an older
kernel beside this tree's code and time the two in turns in one process."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def source_at(rev: str, path: str) -> str:
    """The text of ``path`` (relative to the repository's root) at git revision ``rev``."""
    return subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def turns_parser(description: str, frames: int | None = 10, runs: int = 3) -> argparse.ArgumentParser:
    """The options every *_turns.py benchmark takes: --rev (the revision to compare
    with), --frames (a turn's frames; left out when ``frames`` is None) and --runs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rev", default="main")
    if frames is not None:
        parser.add_argument("--frames", type=int, default=frames)
    parser.add_argument("--runs", type=int, default=runs)
    return parser


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, for the line printed beside figures."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())
