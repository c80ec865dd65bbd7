"""Where holopack's bundled data live: the default twin and the preview's shaders.

The repository keeps them at its top level (``assets/``, ``shaders/``); a wheel carries
copies inside the package (``holopack/assets``, ``holopack/shaders``: see setup.py). A
source checkout or an editable install finds the top-level folder, an installed wheel
the package's copy.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

PACKAGE = Path(__file__).resolve().parent
SEARCH = (PACKAGE.parent, PACKAGE)  # the checkout's top level first: the source of truth

DEFAULT_TWIN = "assets/RobotExpressive/RobotExpressive.glb"
SHADERS = "shaders"


def bundled(relative: str) -> Path:
    """The bundled file or folder ``relative`` (a '/'-separated path such as
    ``"shaders"``), wherever this installation keeps it."""
    for base in SEARCH:
        candidate = base / relative
        if candidate.exists():
            return candidate
    raise InputError(
        f"{relative} is missing from this installation (looked in "
        + ", ".join(str(base) for base in SEARCH)
        + "); reinstall holopack"
    )


def default_twin() -> Path:
    """The bundled default twin (RobotExpressive, CC0)."""
    try:
        return bundled(DEFAULT_TWIN)
    except InputError:
        raise InputError(
            "the bundled default twin is missing from this installation; give an INPUT file"
        ) from None
