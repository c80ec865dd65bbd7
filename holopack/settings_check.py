"""The ranges of an export's settings (holopack.limits.BOUNDS), checked on the library face.

The command line, the playlist and the preview all end in ``ExportSettings``; checking
them here, before anything is loaded or rendered, gives every face the same ranges and
the same one-line message.
"""

from __future__ import annotations

import math

from .errors import InputError
from .limits import BoundError, check_bound

# ExportSettings field -> how the command line spells it (the name users see)
_OPTIONS = {
    "fps": "--fps",
    "seconds": "--seconds",
    "loops": "--loops",
    "speed": "--speed",
    "size": "--size",
    "supersample": "--supersample",
    "turntable": "--turntable",
}
_FRAMING = {
    "yaw": "--yaw",
    "pitch": "--pitch",
    "distance": "--distance",
    "fov": "--fov",
    "margin": "--margin",
}


def _check(name: str, option: str, value, integer: bool = False) -> None:
    try:
        check_bound(name, value, integer=integer)
    except BoundError as exc:
        raise InputError(f"{option} {exc}") from None


def check_export_settings(settings) -> None:
    """Raise InputError (one line naming the option) for any setting outside its range."""
    for field, option in _OPTIONS.items():
        value = getattr(settings, field, None)
        if value is not None:
            _check(field, option, value, integer=field in ("size", "supersample"))
    framing = getattr(settings, "framing", None)
    if framing is not None:
        for field, option in _FRAMING.items():
            value = getattr(framing, field, None)
            if value is not None:
                _check(field, option, value)
    animation = getattr(settings, "animation", None)
    if isinstance(animation, str) and animation.lstrip("-").isdigit():
        animation = int(animation)
    if isinstance(animation, int) and not isinstance(animation, bool) and animation < 0:
        raise InputError(f"--animation index must be 0 or more, got {animation}")
    lights = getattr(settings, "lights", None)
    if isinstance(lights, dict):
        for key, value in lights.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            for v in values:
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                    raise InputError(f"--light {key} must be a finite number (or x,y,z), got {v!r}")
                _check("light", f"--light {key}", v)
