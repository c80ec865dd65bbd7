"""Another revision's source, for the *_turns.py benchmarks that compile an older
kernel beside this tree's code and time the two in turns in one process."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def source_at(rev: str, path: str) -> str:
    """The text of ``path`` (relative to the repository's root) at git revision ``rev``."""
    return subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
