"""Loading: every input file becomes a Scene (see load.py for the registry)."""

from .scene import Scene
from .types import (
    Animation,
    Channel,
    DrawItem,
    Material,
    MediaSource,
    Mesh,
    MorphTargets,
    Node,
    PosedPrimitive,
    Primitive,
    Skin,
    Splats,
    Texture,
)

__all__ = [
    "Scene",
    "Animation",
    "Channel",
    "DrawItem",
    "Material",
    "MediaSource",
    "Mesh",
    "MorphTargets",
    "Node",
    "PosedPrimitive",
    "Primitive",
    "Skin",
    "Splats",
    "Texture",
]
