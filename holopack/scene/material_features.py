"""Which glTF material features a material uses, and how holopack draws each: what
``inspect`` lists, so that nothing the author made is dropped without a word."""

from __future__ import annotations

import numpy as np

from .transmission import transmitted_tint
from .types import Material

DRAWN = "drawn"
PBR_ONLY = "drawn with --shading pbr"
APPROXIMATED = "approximated; exact with --shading pbr"
# occlusion dims image-based light alone (glTF): only a picture with an environment shows it
# KHR_materials_transmission as a rasteriser draws it (rendering/shading.py)
SEE_THROUGH = "drawn: what lies behind shows through, tinted, neither refracted nor blurred"
OCCLUSION = "dims the environment's light of shading pbr; no effect without one"


def material_features(m: Material) -> list[dict]:
    """[{"feature": words, "rendered": how}] for the features ``m`` uses."""
    out: list[dict] = []

    def add(feature: str, rendered: str) -> None:
        out.append({"feature": feature, "rendered": rendered})

    if m.unlit:
        add("unlit (KHR_materials_unlit)", DRAWN)
    if m.base_color_texture is not None:
        add("base colour map", DRAWN)
    if not m.unlit:
        add(f"metallic {m.metallic_factor:g} / roughness {m.roughness_factor:g}", APPROXIMATED)
    if m.metallic_roughness_texture is not None:
        add("metallic-roughness map", PBR_ONLY)
    if m.normal_texture is not None:
        add("normal map" + (f" (scale {m.normal_scale:g})" if m.normal_scale != 1.0 else ""), PBR_ONLY)
    if m.occlusion_texture is not None:
        add("occlusion map", OCCLUSION)
    if np.any(np.asarray(m.emissive_factor) > 0):
        add("emission" + ("" if m.emissive_texture is None else " map"), DRAWN)
        if m.emissive_strength != 1.0:
            add(f"emissive strength {m.emissive_strength:g}", DRAWN)
    transforms = [
        getattr(m, f"{name}_transform")
        for name in ("base_color", "emissive", "metallic_roughness", "normal", "occlusion")
    ]
    if any(t is not None for t in transforms):
        add("texture transform (KHR_texture_transform)", DRAWN)
    if m.alpha_mode in ("MASK", "BLEND"):
        add(f"alpha {m.alpha_mode}", DRAWN)
    if m.double_sided:
        add("double-sided", DRAWN)
    out += _see_through_features(m)
    out += [{"feature": words, "rendered": "not drawn"} for words in m.not_drawn]
    return out


def _see_through_features(m: Material) -> list[dict]:
    """The transmission (and volume) entries of material_features."""
    if m.transmission_factor <= 0.0:
        return []
    out = [
        {
            "feature": f"transmission {m.transmission_factor:g} (KHR_materials_transmission)",
            "rendered": SEE_THROUGH,
        }
    ]
    if m.transmission_texture is not None:
        out.append({"feature": "transmission map", "rendered": "not drawn; its factor is"})
    if np.any(transmitted_tint(m) < 1.0):
        out.append(
            {
                "feature": "volume attenuation (KHR_materials_volume)",
                "rendered": "drawn as a tint over its thickness",
            }
        )
    return out
