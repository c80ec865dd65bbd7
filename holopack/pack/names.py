"""How each fan wants its files named, and checks of names against those rules.

SD-card fans play files in the byte order of their names, so every name starts with a
zero-padded play position (``01_``, ``02_``, ...). The rules per device come from the
profile's [file] table where it has them (``suffix``, ``name_case``, ``name_max_stem``)
and otherwise from the defaults per format below.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Defaults per file format where the profile's [file] table says nothing.
# The 42-F2 ignores files not ending in upper-case ".BIN"; SD-card fans read FAT cards
# whose firmware is known to choke on long names, so their stems stay 8.3-short.
_FORMAT_RULES = {
    "42f2": {"suffix": ".BIN", "name_case": "upper", "name_max_stem": 8},
    "legacy224": {"suffix": ".bin", "name_case": "upper", "name_max_stem": 8},
    "polarstream": {"suffix": ".hps", "name_case": "lower", "name_max_stem": None},
    "mp4": {"suffix": ".mp4", "name_case": "lower", "name_max_stem": None},
}
_MAX_STEM_DEFAULT = 40  # keeps names readable in a shop's file browser


@dataclass(frozen=True)
class NameRule:
    suffix: str
    case: str  # "upper" | "lower"
    max_stem: int | None

    def prefix_width(self, count: int) -> int:
        return max(2, len(str(count)))

    def file_name(self, position: int, count: int, name: str) -> str:
        """The file name for the clip at 1-based ``position`` of ``count``."""
        width = self.prefix_width(count)
        prefix = f"{position:0{width}d}_"
        allowed = ("A-Z" if self.case == "upper" else "a-z") + "0-9_" + ("" if self.max_stem else "-")
        text = name.upper() if self.case == "upper" else name.lower()
        text = re.sub(f"[^{allowed}]+", "_", text).strip("_") or ("CLIP" if self.case == "upper" else "clip")
        room = (self.max_stem or _MAX_STEM_DEFAULT) - len(prefix)
        if room <= 0:  # so many clips that only the number fits
            return f"{position:0{self.max_stem}d}{self.suffix}"
        return prefix + text[:room].rstrip("_") + self.suffix

    def nearest(self, file_name: str) -> str:
        """The legal name closest to ``file_name``: its play position (if any) and words
        kept, case and characters as the device needs, cut to the stem's length, the
        device's suffix."""
        stem, dot, suffix = file_name.rpartition(".")
        if not dot:
            stem = file_name
        allowed = ("A-Z" if self.case == "upper" else "a-z") + "0-9_" + ("" if self.max_stem else "-")
        text = stem.upper() if self.case == "upper" else stem.lower()
        text = re.sub(f"[^{allowed}]+", "_", text).strip("_") or ("CLIP" if self.case == "upper" else "clip")
        if self.max_stem:
            text = text[:self.max_stem].rstrip("_") or text[:self.max_stem]
        return text + self.suffix

    def problems(self, file_name: str, need_position: bool = True) -> list[str]:
        """What is wrong with ``file_name`` for this device (empty when it is fine).
        ``need_position``: the name must start with its play position (in a package)."""
        out = []
        stem, dot, suffix = file_name.rpartition(".")
        suffix = dot + suffix if dot else ""
        if not dot:
            stem = file_name
        if suffix != self.suffix:
            if suffix.lower() == self.suffix.lower():
                out.append(f"ends in {suffix!r} but the device needs exactly {self.suffix!r} "
                           "(it silently skips other files)")
            else:
                out.append(f"does not end in {self.suffix!r}")
        if self.max_stem and len(stem) > self.max_stem:
            out.append(f"name {stem!r} is longer than {self.max_stem} characters before the dot")
        if self.max_stem and not re.fullmatch(r"[A-Z0-9_]+" if self.case == "upper" else r"[a-z0-9_]+", stem):
            out.append(f"name {stem!r} holds characters other than "
                       f"{'A-Z' if self.case == 'upper' else 'a-z'}, 0-9 and _")
        if need_position and not re.match(r"\d+", stem):
            out.append("does not start with its play position (e.g. 01_), so the play order is "
                       "left to chance")
        return out


def name_rule(profile) -> NameRule:
    """The naming rule of a device profile."""
    fmt = profile.format
    rules = dict(_FORMAT_RULES.get(fmt, {"suffix": "." + fmt, "name_case": "lower",
                                         "name_max_stem": None}))
    layout = getattr(profile, "layout", None) or {}
    for key in ("suffix", "name_case", "name_max_stem"):
        if key in layout:
            rules[key] = layout[key]
    return NameRule(suffix=rules["suffix"], case=rules["name_case"], max_stem=rules["name_max_stem"])


def position_of(file_name: str) -> int | None:
    match = re.match(r"(\d+)", file_name)
    return int(match.group(1)) if match else None
