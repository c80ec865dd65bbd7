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


def wall_items(playlist) -> list[tuple]:
    """(item, wall, folder) for every wall item of ``playlist``. Two items for one wall are
    refused here, which ``pack`` asks before it renders anything: found while packing,
    the fault came after every device file and the first wall had been rendered."""
    found: list[tuple] = []
    played: dict[str, str] = {}
    for item in playlist.items:
        if not item.wall:
            continue
        wall = load_wall(item.wall)
        folder = wall_folder_name(wall)
        if folder in played:
            raise InputError(
                f"{item.label}: wall {wall.name!r} already plays {played[folder]}; a wall "
                "takes one item (its fans each play one file)",
                playlist.path,
            )
        played[folder] = item.label
        found.append((item, wall, folder))
    return found


def pack_walls(playlist, root: str, progress: bool = True) -> list[str]:
    """Export every wall item of ``playlist`` into ``root``; returns the folders written."""
    written = []
    for item, wall, folder in wall_items(playlist):
        export_wall(
            item.input, wall, os.path.join(root, folder), item.export_settings(None), progress=progress
        )
        written.append(folder)
    return written
