"""Wall items of a playlist (``wall = "WALL.toml"``): one folder per wall in the package.

A wall's fans each play one file, so a wall takes one item; the folder is named by the
wall (its file's ``name``, else the wall file's stem) and holds what ``export --wall``
writes. Two items for one wall are refused rather than one silently replacing the other.
"""

from __future__ import annotations

import os
import re

from ..errors import InputError
from .export import export_wall
from .layout import load_wall


def wall_folder_name(wall) -> str:
    return "wall-" + (re.sub(r"[^A-Za-z0-9._-]+", "_", wall.name).strip("._") or "wall")


def pack_walls(playlist, root: str, progress: bool = True) -> list[str]:
    """Export every wall item of ``playlist`` into ``root``; returns the folders written."""
    written: dict[str, str] = {}
    for item in playlist.items:
        if not item.wall:
            continue
        wall = load_wall(item.wall)
        folder = wall_folder_name(wall)
        if folder in written:
            raise InputError(
                f"{item.label}: wall {wall.name!r} already plays {written[folder]}; a wall "
                "takes one item (its fans each play one file)",
                playlist.path,
            )
        written[folder] = item.label
        export_wall(
            item.input, wall, os.path.join(root, folder), item.export_settings(None), progress=progress
        )
    return list(written)
