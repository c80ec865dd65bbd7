"""numpy twin of tangent_kernel.view_tangents, for the tests: slow and plain."""

from __future__ import annotations

import numpy as np


def view_tangents(world_tan: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """(N, 4) float32: xyz = world_tan (N, 4)[:, :3] @ rotation (3, 3), w as it is;
    zero where w is 0 (no tangent)."""
    t = np.asarray(world_tan, np.float32)
    out = np.zeros(t.shape, np.float32)
    has = t[:, 3] != 0
    out[has, :3] = t[has, :3] @ np.asarray(rotation, np.float32)
    out[has, 3] = t[has, 3]
    return out
