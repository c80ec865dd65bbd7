"""Slow, obviously-correct numpy twin of alpha_kernel.premultiply_into."""

from __future__ import annotations

import numpy as np


def premultiply(rgba: np.ndarray, keep_alpha: bool = False) -> np.ndarray:
    """(H, W, 4) uint8 straight RGBA -> (H, W, 3) uint8 composited over black (each
    colour code times alpha / 255, to the nearest code); with ``keep_alpha`` (H, W, 4):
    that colour and the alpha."""
    rgb = rgba[..., :3].astype(np.uint16) * rgba[..., 3:4].astype(np.uint16)
    colour = ((rgb + 127) // 255).astype(np.uint8)
    return np.concatenate([colour, rgba[..., 3:4]], axis=2) if keep_alpha else colour
