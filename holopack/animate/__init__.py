"""Animation: sampling clips, posing node hierarchies, morph targets and skinning."""

from .clip import sample_channel, sample_keys, slerp
from .pose import forget_pose_cache, pose_scene, world_matrices

__all__ = ["sample_channel", "sample_keys", "slerp", "pose_scene", "world_matrices", "forget_pose_cache"]
