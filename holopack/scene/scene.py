"""Scene: everything loaded from one input file, ready to be posed and drawn."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import InputError
from .clips import combine, play_together
from .types import (
    Animation,
    DrawItem,
    Material,
    MediaSource,
    Mesh,
    Node,
    PosedPrimitive,
    Primitive,
    Skin,
    Splats,
    Texture,
)


@dataclass
class Scene:
    """A loaded model (or a picture/video, then ``media`` is set and the rest is empty;
    or a Gaussian splat twin, then ``splats`` is set and the rest is empty).

    nodes, meshes, materials, textures, skins and animations index each other as in
    glTF. ``roots`` are the default scene's root nodes; ``draw_items`` the drawn
    primitives in depth-first order. ``warnings`` collects what the loader fixed or
    ignored, in the user's words.
    """

    path: str
    nodes: list[Node] = field(default_factory=list)
    roots: list[int] = field(default_factory=list)
    meshes: list[Mesh] = field(default_factory=list)
    materials: list[Material] = field(default_factory=list)
    textures: list[Texture] = field(default_factory=list)
    skins: list[Skin] = field(default_factory=list)
    animations: list[Animation] = field(default_factory=list)
    draw_items: list[DrawItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    media: MediaSource | None = None
    splats: Splats | None = None
    # what holopack.animate precomputes once per scene to pose it (keys as float64,
    # hierarchy levels...); None until first posed, reset by animate.forget_pose_cache
    pose_cache: Any = field(default=None, init=False, repr=False, compare=False)
    # every clip combined into one (holopack.scene.clips), made on first use by clip()
    all_clips: Animation | None = field(default=None, init=False, repr=False, compare=False)
    # every texture the file's materials name: [{"texture", "name", "material", "role",
    # "used"}] (holopack.scene.texture_roles); empty when the loader knows no roles
    texture_roles: list[dict] = field(default_factory=list)
    # the model's own KHR_lights_punctual lights (holopack.scene.model_lights.ModelLight)
    lights: list = field(default_factory=list)
    # KHR_materials_variants' names, in the file's order (a product's colourways);
    # Primitive.variant_materials maps them to materials, with_variant chooses one
    variants: list[str] = field(default_factory=list)
    # the variant this scene is drawn in (None: the file's own materials), and the scene
    # as loaded, which with_variant switches from
    variant: int | None = field(default=None, init=False, compare=False)
    as_loaded: Scene | None = field(default=None, init=False, repr=False, compare=False)
    # where a variant is more than a swap of materials (a USD variant set may change the
    # geometry too): the model composed anew in variant i, by its loader; None: the
    # variants swap materials (Primitive.variant_materials)
    variant_loader: Callable[[int], Scene] | None = field(default=None, repr=False, compare=False)
    # per variant, what inspect says it does when it is not a swap of materials
    variant_notes: list[str] = field(default_factory=list)

    # -- queries ---------------------------------------------------------------
    @property
    def is_media(self) -> bool:
        return self.media is not None

    @property
    def is_splats(self) -> bool:
        return self.splats is not None

    def primitive(self, item: DrawItem) -> Primitive:
        return self.meshes[item.mesh].primitives[item.primitive]

    @property
    def triangle_count(self) -> int:
        return sum(len(self.primitive(d).indices) for d in self.draw_items)

    @property
    def vertex_count(self) -> int:
        return sum(len(self.primitive(d).positions) for d in self.draw_items)

    @property
    def all_clips_index(self) -> int:
        """The index that stands for every clip played together (one past the last)."""
        return len(self.animations)

    def clip(self, index: int):
        """The Animation at ``index``; ``all_clips_index`` gives every clip combined."""
        if index == len(self.animations) and len(self.animations) > 1:
            if self.all_clips is None:
                self.all_clips = combine(self.animations)
            return self.all_clips
        return self.animations[index]

    @property
    def clips_play_together(self) -> bool:
        """True when the file's clips are pieces of one motion (one clip per joint): then
        "all" is the default animation."""
        return play_together(self.animations)

    def animation_index(self, animation: str | int | None) -> int | None:
        """Resolve a name or index (as given on a command line) to an index.

        None means: all clips together when they are pieces of one motion
        (``clips_play_together``), else the first animation if there is one, else no
        animation. "all" plays every clip together (``all_clips_index``; the loop is the
        longest clip).
        """
        if animation is None:
            if not self.animations:
                return None
            return self.all_clips_index if self.clips_play_together else 0
        if (
            isinstance(animation, str)
            and animation.strip().lower() == "all"
            and "all" not in [a.name for a in self.animations]
        ):
            if not self.animations:
                return None
            return self.all_clips_index if len(self.animations) > 1 else 0
        if isinstance(animation, (int, np.integer)):
            index = int(animation)
            if index == self.all_clips_index and len(self.animations) > 1:
                return index  # an index this method gave for "all"
        elif isinstance(animation, str) and animation.lstrip("-").isdigit():
            index = int(animation)
        else:
            names = [a.name for a in self.animations]
            if animation in names:
                return names.index(animation)
            lowered = [n.lower() for n in names]
            if str(animation).lower() in lowered:
                return lowered.index(str(animation).lower())
            known = ", ".join(names) if names else "none"
            raise InputError(f"no animation named {animation!r} (animations: {known})", self.path)
        if not -len(self.animations) <= index < len(self.animations) or not self.animations:
            raise InputError(
                f"animation index {index} is out of range ({len(self.animations)} animations)", self.path
            )
        return index % len(self.animations)

    def variant_index(self, variant: str | int | None) -> int | None:
        """Resolve a material variant's name or index (as given on a command line) to
        an index into ``variants``; None stays None (the file's own materials)."""
        if variant is None:
            return None
        names = self.variants
        listing = ", ".join(f"{i}: {n}" for i, n in enumerate(names))
        if not names:
            raise InputError(
                f"--variant {variant}: the model has no material variants (KHR_materials_variants or USD variant sets)",
                self.path,
            )
        if isinstance(variant, str) and variant in names:
            if names.count(variant) > 1:
                raise InputError(
                    f"{variant!r} names {names.count(variant)} variants; give its index ({listing})"
                )
            return names.index(variant)
        if isinstance(variant, (int, np.integer)) or (isinstance(variant, str) and variant.strip().isdigit()):
            index = int(variant)
            if not 0 <= index < len(names):
                raise InputError(f"variant index {index} is out of range (variants: {listing})", self.path)
            return index
        folded = [n.casefold() for n in names]
        wanted = str(variant).strip().casefold()
        if folded.count(wanted) == 1:
            return folded.index(wanted)
        # a USD variant is named SET=NAME: its NAME alone will do where no other set has it
        choices = [n.split("=", 1)[1] if "=" in n else None for n in folded]
        if "=" not in wanted and choices.count(wanted) == 1:
            return choices.index(wanted)
        raise InputError(f"no material variant named {variant!r} (variants: {listing})", self.path)

    def with_variant(self, variant: str | int | None) -> Scene:
        """This scene drawn in material variant ``variant`` (a name or an index; None:
        as it is). Every primitive the variant names takes its material; the others keep
        the file's. A new Scene sharing the arrays (poses are cached anew); choosing
        another variant of it starts again from the scene as loaded."""
        index = self.variant_index(variant)
        if index is None or index == self.variant:
            return self
        loaded = self.as_loaded or self
        if loaded.variant_loader is not None:
            switched = loaded.variant_loader(index)
            switched.variant = index
            switched.as_loaded = loaded
            return switched
        meshes = [
            replace(
                mesh,
                primitives=[
                    replace(p, material=p.variant_materials.get(index, p.material)) for p in mesh.primitives
                ],
            )
            for mesh in loaded.meshes
        ]
        switched = replace(loaded, meshes=meshes)
        switched.variant = index
        switched.as_loaded = loaded
        return switched

    # -- posing (delegates to holopack.animate) --------------------------------
    def pose(self, animation: str | int | None = None, time: float = 0.0) -> list[PosedPrimitive]:
        """World-space primitives at ``time`` seconds of ``animation`` (None: rest pose
        when the scene has no animation, else the first animation)."""
        if _POSER is None:
            importlib.import_module(POSER_MODULE)  # it registers itself: set_poser
        assert _POSER is not None
        return _POSER(self, self.animation_index(animation), float(time))

    def posed_positions(self, animation: str | int | None = None, time: float = 0.0) -> list[np.ndarray]:
        """float32 (N, 3) world positions, one per drawn primitive (draw_items order)."""
        return [p.positions for p in self.pose(animation, time)]

    def posed_normals(self, animation: str | int | None = None, time: float = 0.0) -> list[np.ndarray]:
        """float32 (N, 3) world unit normals, one per drawn primitive."""
        return [p.normals for p in self.pose(animation, time)]

    def bounds(self, animation: str | int | None = None, times=None) -> np.ndarray:
        """(2, 3) float64 min/max corner over the given times (rest/first pose if None)."""
        if times is None:
            times = [0.0]
        lo = np.full(3, np.inf)
        hi = np.full(3, -np.inf)
        for t in times:
            for p in self.pose(animation, t):
                if len(p.positions):
                    lo = np.minimum(lo, p.positions.min(axis=0))
                    hi = np.maximum(hi, p.positions.max(axis=0))
        if not np.all(np.isfinite(lo)):
            return np.zeros((2, 3))
        return np.stack([lo, hi])


# Posing lives a layer up, in holopack.animate, which registers its pose_scene here when
# imported; Scene.pose imports it by name on first use (as the format registry imports
# format modules), so that loading never depends on animating nor pays for Numba.
POSER_MODULE = "holopack.animate.pose"
Poser = Callable[[Scene, "int | None", float], "list[PosedPrimitive]"]
_POSER: Poser | None = None


def set_poser(poser: Poser) -> None:
    """Make ``Scene.pose`` call ``poser(scene, animation_index, time)``."""
    global _POSER
    _POSER = poser
