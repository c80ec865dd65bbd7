"""Which of a scene's textures each shading reads, by identity, for the tests that count
texture decodes."""

from __future__ import annotations


def _textures_of(scene, roles: tuple[str, ...]) -> set[int]:
    return {
        id(scene.textures[t])
        for m in scene.materials
        for t in (getattr(m, f"{role}_texture") for role in roles)
        if t is not None
    }


def colour_and_map_textures(scene) -> tuple[set[int], set[int]]:
    """(ids of the base colour and emissive textures: what lit and unlit sample, ids of
    the normal and metallic-roughness maps: what only pbr reads)."""
    return (
        _textures_of(scene, ("base_color", "emissive")),
        _textures_of(scene, ("normal", "metallic_roughness")),
    )
