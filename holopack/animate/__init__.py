"""Animation: sampling clips, posing node hierarchies, morph targets and skinning."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import attributes

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


__getattr__ = attributes(__name__, _LAZY, globals())

__all__ = ["sample_channel", "sample_keys", "slerp", "pose_scene", "world_matrices", "forget_pose_cache"]
