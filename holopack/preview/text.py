"""On-screen text: lines rasterised with Pillow's built-in default font.

Pillow ships its default font inside the package, so text needs no font file and no
extra dependency. A block of lines becomes one coverage picture that the window
uploads as a one-channel texture and tints in the shader.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_PX = 14
LINE_GAP_PX = 3
PADDING_PX = 6
COLUMN_GAP_PX = 12


@lru_cache(maxsize=4)
def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the fixed-size bitmap font
        return ImageFont.load_default()


def line_height(size: int = FONT_PX) -> int:
    top, bottom = _font(size).getbbox("Hgy|")[1::2]
    return int(bottom) + LINE_GAP_PX


def line_width(line: str, size: int = FONT_PX) -> int:
    """The width in pixels ``rasterize([line])`` gives a line without a tab, padding
    included."""
    return int(_font(size).getlength(line)) + 2 * PADDING_PX


def rasterize(lines: list[str] | tuple[str, ...], size: int = FONT_PX) -> np.ndarray:
    """Coverage of ``lines`` drawn top to bottom: (H, W) uint8, 255 = ink, row 0 = top.

    The picture is padded by PADDING_PX on every side so a dark backing rectangle of
    the same size frames the text. A tab splits a line into two columns, the second
    aligned across all lines (the key help: key, then what it does).
    """
    font = _font(size)
    lines = list(lines) or [""]
    step = line_height(size)
    split = [line.split("\t", 1) for line in lines]
    column = max((int(font.getlength(parts[0])) for parts in split if len(parts) == 2), default=0)
    column += COLUMN_GAP_PX if column else 0

    def extent(parts):
        if len(parts) == 2:
            return column + int(font.getlength(parts[1]))
        return int(font.getlength(parts[0]))

    width = max(extent(parts) for parts in split) + 2 * PADDING_PX
    height = step * len(lines) + 2 * PADDING_PX - LINE_GAP_PX
    image = Image.new("L", (max(width, 1), max(height, 1)), 0)
    draw = ImageDraw.Draw(image)
    for i, parts in enumerate(split):
        y = PADDING_PX + i * step
        draw.text((PADDING_PX, y), parts[0], fill=255, font=font)
        if len(parts) == 2:
            draw.text((PADDING_PX + column, y), parts[1], fill=255, font=font)
    return np.asarray(image, dtype=np.uint8).copy()
