"""Walls of fans: one picture across many fans (docs/walls.md).

``load_wall(path)`` reads a wall file; ``export_wall(input, wall, out_dir)`` writes one
file per fan in its device's own format, ``wall.json`` and ``preview.mp4``.
"""

from .export import WallPlan, export_wall
from .layout import Fan, Wall, load_wall, parse_wall

__all__ = ["Fan", "Wall", "WallPlan", "export_wall", "load_wall", "parse_wall"]
