"""Playing several clips at once (--animation all).

Some exporters (COLLADA2GLTF among them) write a character's walk as one clip per joint:
each clip drives its own node or two, and all last equally long. Played one at a time such
a file stands still but for one limb; played together it walks. ``play_together`` says
when a file looks like that, so that "all" becomes its default.
"""

from __future__ import annotations

from .types import Animation

ALL = "all"  # the --animation value that plays every clip
SMALL_SET = 3  # a per-joint clip drives at most this many nodes
SAME_LENGTH = 0.02  # lengths within 2 % (or one 30 fps frame) count as one duration


def animated_nodes(clip: Animation) -> set[int]:
    return {int(c.node) for c in clip.channels}


def play_together(animations: list[Animation]) -> bool:
    """True when 2+ clips each drive a small set of nodes, no node in two clips, and all
    last the same: pieces of one motion rather than alternatives."""
    if len(animations) < 2:
        return False
    seen: set[int] = set()
    lengths = []
    for clip in animations:
        nodes = animated_nodes(clip)
        if not nodes or len(nodes) > SMALL_SET or nodes & seen:
            return False
        seen |= nodes
        lengths.append(clip.duration - clip.start)
    longest = max(lengths)
    return longest > 0 and longest - min(lengths) <= max(SAME_LENGTH * longest, 1.0 / 30.0)


def combine(animations: list[Animation]) -> Animation:
    """One clip holding every channel of ``animations``: it lasts as long as the longest;
    a shorter clip holds its last pose until the loop starts again. Where two clips drive
    the same property the later one wins."""
    channels = [c for clip in animations for c in clip.channels]
    return Animation(name=ALL, channels=channels)
