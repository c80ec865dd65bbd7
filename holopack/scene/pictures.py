"""Pictures decoded by Pillow as plain arrays: the one place a PIL image becomes RGBA
codes, for textures (glTF, OBJ, PLY) and for pictures and frames shown as they are."""

from __future__ import annotations

import numpy as np


def rgba_array(image) -> np.ndarray:
    """A PIL image -> (H, W, 4) uint8 straight RGBA. Pillow opens a 16-bit grey PNG
    as mode I;16 (or I), and its own convert("RGBA") clips those 0..65535 values at
    255 instead of scaling them: a 16-bit grey frame folder or texture came out white.
    They are scaled here (v / 257, rounded, so 8-bit values stored as v * 257 come
    back)."""
    if image.mode.startswith("I"):
        wide = np.asarray(image).astype(np.int64)
        grey = ((np.clip(wide, 0, 65535) + 128) // 257).astype(np.uint8)
        return np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    return np.asarray(image.convert("RGBA"), np.uint8)
