"""Animation: sampling clips, posing node hierarchies, morph targets and skinning."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# name -> submodule; imported on first use (PEP 562), so that the axes the option table
# needs (holopack.animate.axes) load without the skinning kernel and Numba
_LAZY = {
    "sample_channel": "clip",
    "sample_keys": "clip",
    "slerp": "clip",
    "pose_scene": "pose",
    "world_matrices": "pose",
    "forget_pose_cache": "pose",
}

if TYPE_CHECKING:
    from .clip import sample_channel, sample_keys, slerp
    from .pose import forget_pose_cache, pose_scene, world_matrices


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'holopack.animate' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = ["sample_channel", "sample_keys", "slerp", "pose_scene", "world_matrices", "forget_pose_cache"]
