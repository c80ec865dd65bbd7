"""How each fan wants its files named, and checks of names against those rules.

SD-card fans play files in the byte order of their names, so every name starts with a
zero-padded play position (``01_``, ``02_``, ...). The rules per device come from the
profile's [file] table where it has them (``suffix``, ``name_case``, ``name_max_stem``)
and otherwise from the ``naming`` its format module declares.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace

from ..errors import InputError
from ..format_registry import Format, get_format
from ..notices import warn

_MAX_STEM_DEFAULT = 40  # keeps names readable in a shop's file browser


@dataclass(frozen=True)
class NameRule:
    """How a device wants its files named. ``strict``: the device silently drops a file
    not ending exactly in ``suffix``, so export refuses such a name; the text says why."""

    suffix: str
    case: str  # "upper" | "lower"
    max_stem: int | None
    strict: str | None = None

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
            text = text[: self.max_stem].rstrip("_") or text[: self.max_stem]
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
                out.append(
                    f"ends in {suffix!r} but the device needs exactly {self.suffix!r} "
                    "(it silently skips other files)"
                )
            else:
                out.append(f"does not end in {self.suffix!r}")
        if self.max_stem and len(stem) > self.max_stem:
            out.append(f"name {stem!r} is longer than {self.max_stem} characters before the dot")
        if self.max_stem and not re.fullmatch(r"[A-Z0-9_]+" if self.case == "upper" else r"[a-z0-9_]+", stem):
            out.append(
                f"name {stem!r} holds characters other than "
                f"{'A-Z' if self.case == 'upper' else 'a-z'}, 0-9 and _"
            )
        if need_position and not re.match(r"\d+", stem):
            out.append(
                "does not start with its play position (e.g. 01_), so the play order is left to chance"
            )
        return out


def name_rule(profile) -> NameRule:
    """The naming rule of a device profile: its format's, with the profile's [file]
    ``suffix``, ``name_case`` and ``name_max_stem`` where it gives them."""
    rule = get_format(profile.format).naming
    layout = getattr(profile, "layout", None) or {}
    overrides = {
        field: layout[key]
        for key, field in (("suffix", "suffix"), ("name_case", "case"), ("name_max_stem", "max_stem"))
        if key in layout
    }
    return replace(rule, **overrides)


def check_output_name(profile, fmt: Format, output: str) -> None:
    """The device's own file must carry a name the device plays, by the very rules
    ``holopack validate`` checks: a name that breaks them is refused before rendering,
    with the nearest legal name; a name without a play position gets the warning
    validate gives. Previews (MP4, GIF, PNG frames) and the open polar stream follow no
    fan's rules."""
    if fmt.name != profile.format:
        return
    rule = name_rule(profile)
    name = os.path.basename(os.path.normpath(output))
    problems = rule.problems(name, need_position=False)
    if problems:
        nearest = os.path.join(os.path.dirname(output), rule.nearest(name))
        said = [p[len("name ") :] if p.startswith("name ") else p for p in problems]
        raise InputError(
            f"{profile.name} does not play this name: the file name "
            f"{'; '.join(said)}; nearest legal name: {nearest}",
            output,
        )
    # fans that play a card's files in name order (those with 8.3 names) need the position
    if rule.max_stem and position_of(name) is None:
        warn(
            "the name does not start with a play position (01_, 02_, ...); with several clips "
            "on a card the order is left to chance",
            output,
        )


def position_of(file_name: str) -> int | None:
    match = re.match(r"(\d+)", file_name)
    return int(match.group(1)) if match else None
