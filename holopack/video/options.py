"""The video options (--key, --crop, --loop, --levels, --edge-fade, --see-through), parsed and checked in one place
for the command line, playlists, the preview and the bench."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import InputError

KEY_HELP = "auto|green|blue|person|COLOR|none"
CROP_CHOICES = ("auto", "fit")
NAMED_KEYS = {"green": (0, 255, 0), "blue": (0, 0, 255)}


@dataclass(frozen=True)
class VideoOptions:
    """key: "auto", "green", "blue", "person", "none" or an (r, g, b) tuple of 0-255 ints;
    crop: "auto" | "fit"; loop: None, ("crossfade", seconds) or ("pingpong", 0.0);
    levels: "auto" | "none"; edge_fade: "auto" | "none" (holopack.video.edge_fade);
    see_through: "auto" | "none" (matte.screen_light: the screen seen through a glow,
    smoke or a veil of the subject)."""

    key: str | tuple = "auto"
    crop: str = "auto"
    loop: tuple | None = None
    levels: str = "none"
    edge_fade: str = "none"
    see_through: str = "none"

    @property
    def is_plain(self) -> bool:
        """Today's path: nothing keyed, the whole frame fitted, no loop, no levels, no fade."""
        return (
            self.key == "none"
            and self.crop == "fit"
            and self.loop is None
            and self.levels == "none"
            and self.edge_fade == "none"
        )


def parse_key(text) -> str | tuple:
    """'auto' | 'green' | 'blue' | 'person' | 'none' | '#RRGGBB' | 'RRGGBB' | 'R,G,B' -> key.
    'person' (segmentation, holopack.video.segment) is refused here, with what to
    install, where the optional extra is missing: every face (the command line,
    playlists, the preview, the bench) checks its options before it writes anything."""
    if not isinstance(text, str):
        raise InputError(f"--key takes {KEY_HELP}, got {text!r}")
    value = text.strip().lower()
    if value in ("auto", "green", "blue", "none"):
        return value
    if value == "person":
        from .segment import require  # looks for files only; mediapipe is not imported

        require()
        return value
    m = re.fullmatch(r"#?([0-9a-f]{6})", value)
    if m:
        h = m.group(1)
        return tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))
    parts = value.split(",")
    if len(parts) == 3:
        try:
            rgb = tuple(int(p) for p in parts)
        except ValueError:
            rgb = None
        if rgb is not None and all(0 <= c <= 255 for c in rgb):
            return rgb
    raise InputError(f"--key takes {KEY_HELP} (a colour as #RRGGBB or R,G,B), got {text!r}")


def parse_crop(text) -> str:
    if text not in CROP_CHOICES:
        raise InputError(f"--crop takes auto or fit, got {text!r}")
    return text


def parse_loop(text) -> tuple | None:
    """'crossfade=SECONDS' | 'pingpong' | None/'none' -> loop."""
    if text is None or text == "none":
        return None
    if not isinstance(text, str):
        raise InputError(f"--loop takes crossfade=SECONDS or pingpong, got {text!r}")
    if text == "pingpong":
        return ("pingpong", 0.0)
    name, sep, value = text.partition("=")
    if name == "crossfade" and sep:
        try:
            seconds = float(value)
        except ValueError:
            seconds = float("nan")
        if math.isfinite(seconds) and seconds > 0:
            return ("crossfade", seconds)
    raise InputError(f"--loop takes crossfade=SECONDS (a positive number) or pingpong, got {text!r}")


def _auto_or_none(flag: str, text) -> str:
    """An option that is off ("none", the default) or "auto"."""
    if text is None:
        return "none"
    if text not in ("auto", "none"):
        raise InputError(f"{flag} takes auto (or none), got {text!r}")
    return text


def parse_levels(text) -> str:
    return _auto_or_none("--levels", text)


def parse_edge_fade(text) -> str:
    return _auto_or_none("--edge-fade", text)


def parse_see_through(text) -> str:
    return _auto_or_none("--see-through", text)


def video_options(
    key="auto", crop="auto", loop=None, levels=None, edge_fade=None, see_through=None
) -> VideoOptions:
    """Checked VideoOptions from the option texts (None = the default)."""
    return VideoOptions(
        key=parse_key(key if key is not None else "auto"),
        crop=parse_crop(crop if crop is not None else "auto"),
        loop=parse_loop(loop),
        levels=parse_levels(levels),
        edge_fade=parse_edge_fade(edge_fade),
        see_through=parse_see_through(see_through),
    )


def key_label(key) -> str:
    return key if isinstance(key, str) else "#{:02x}{:02x}{:02x}".format(*tuple(key))
