"""The metallic-roughness, normal and occlusion maps of a glTF material, and its
KHR_materials_emissive_strength: the parts of glTF's PBR that ``shading="pbr"``
draws with (holopack.rendering.pbr_kernel). The glTF loader calls ``read_pbr_maps`` for
each material."""

from __future__ import annotations

import math

from .types import Material


def read_pbr_maps(reader, spec: dict, pbr: dict, extensions: dict, m: Material, where: str) -> None:
    """Fill ``m``'s texture maps and emissive strength from the material ``spec``
    (its ``pbrMetallicRoughness`` object ``pbr`` and ``extensions`` already checked
    to be objects). ``reader``: the glTF reader, whose ``_texture_ref`` checks and
    resolves a textureInfo and whose ``_numbers`` checks numbers (faults are
    InputErrors naming ``where``)."""
    m.metallic_roughness_texture, m.metallic_roughness_texcoord, m.metallic_roughness_transform = (
        reader._texture_ref(pbr.get("metallicRoughnessTexture"), f"{where} metallicRoughnessTexture")
    )
    normal = spec.get("normalTexture")
    m.normal_texture, m.normal_texcoord, m.normal_transform = reader._texture_ref(
        normal, f"{where} normalTexture"
    )
    if isinstance(normal, dict):
        m.normal_scale = _number(reader, normal, "scale", 1.0, f"{where} normalTexture scale")
    occlusion = spec.get("occlusionTexture")
    m.occlusion_texture, m.occlusion_texcoord, m.occlusion_transform = reader._texture_ref(
        occlusion, f"{where} occlusionTexture"
    )
    if isinstance(occlusion, dict):
        strength = _number(reader, occlusion, "strength", 1.0, f"{where} occlusionTexture strength")
        m.occlusion_strength = min(max(strength, 0.0), 1.0)  # the schema's range
    emissive = extensions.get("KHR_materials_emissive_strength")
    if isinstance(emissive, dict):
        m.emissive_strength = max(
            0.0, _number(reader, emissive, "emissiveStrength", 1.0, f"{where} emissiveStrength")
        )


def _number(reader, obj: dict, key: str, default: float, where: str) -> float:
    value = float(reader._numbers([obj.get(key, default)], 1, where, None)[0])
    return value if math.isfinite(value) else default
