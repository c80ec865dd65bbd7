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


@lru_cache(maxsize=4)
def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the fixed-size bitmap font
        return ImageFont.load_default()


def line_height(size: int = FONT_PX) -> int:
    top, bottom = _font(size).getbbox("Hgy|")[1::2]
    return int(bottom) + LINE_GAP_PX


def rasterize(lines: list[str] | tuple[str, ...], size: int = FONT_PX) -> np.ndarray:
    """Coverage of ``lines`` drawn top to bottom: (H, W) uint8, 255 = ink, row 0 = top.

    The picture is padded by PADDING_PX on every side so a dark backing rectangle of
    the same size frames the text.
    """
    font = _font(size)
    lines = list(lines) or [""]
    step = line_height(size)
    width = max(int(font.getlength(line)) for line in lines) + 2 * PADDING_PX
    height = step * len(lines) + 2 * PADDING_PX - LINE_GAP_PX
    image = Image.new("L", (max(width, 1), max(height, 1)), 0)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((PADDING_PX, PADDING_PX + i * step), line, fill=255, font=font)
    return np.asarray(image, dtype=np.uint8).copy()
