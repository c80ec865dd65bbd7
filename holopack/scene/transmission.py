"""KHR_materials_transmission and KHR_materials_volume of a glTF material: how much of
the light behind a surface passes through it (glass, clear plastic, liquids) and the
tint it takes on the way, the part of those extensions a fan can show
(holopack.rendering draws a see-through surface over what lies behind it). The other
material extensions that change a surface's look are named, so that ``inspect`` says
they are not drawn. The glTF loader calls ``read_transmission`` for each material."""

from __future__ import annotations

import math

import numpy as np

from .types import Material

TRANSMISSION = "KHR_materials_transmission"
VOLUME = "KHR_materials_volume"
# extensions that change how a surface looks and are not drawn, with the words inspect uses
NOT_DRAWN = {
    "KHR_materials_clearcoat": "clearcoat",
    "KHR_materials_sheen": "sheen",
    "KHR_materials_specular": "specular",
    "KHR_materials_ior": "index of refraction",
    "KHR_materials_iridescence": "iridescence",
    "KHR_materials_anisotropy": "anisotropy",
    "KHR_materials_dispersion": "dispersion",
    "KHR_materials_diffuse_transmission": "diffuse transmission",
}


def read_transmission(reader, extensions: dict, m: Material, where: str) -> None:
    """Fill ``m``'s transmission, volume tint and not-drawn list from the material's
    ``extensions`` (already checked to be an object). ``reader``: the glTF reader,
    whose ``_dict``, ``_numbers`` and ``_texture_ref`` check what they read (faults are
    InputErrors naming ``where``)."""
    spec = extensions.get(TRANSMISSION)
    if spec is not None:
        spec = reader._dict(spec, f"{where} {TRANSMISSION}")
        factor = _number(reader, spec, "transmissionFactor", 0.0, f"{where} transmissionFactor")
        m.transmission_factor = min(max(factor, 0.0), 1.0)  # the schema's range
        m.transmission_texture, _, _ = reader._texture_ref(
            spec.get("transmissionTexture"), f"{where} transmissionTexture"
        )
    volume = extensions.get(VOLUME)
    if volume is not None:
        volume = reader._dict(volume, f"{where} {VOLUME}")
        m.thickness_factor = max(
            0.0, _number(reader, volume, "thicknessFactor", 0.0, f"{where} thicknessFactor")
        )
        distance = _number(reader, volume, "attenuationDistance", math.inf, f"{where} attenuationDistance")
        m.attenuation_distance = distance if distance > 0.0 else math.inf
        colour = reader._numbers(
            volume.get("attenuationColor"), 3, f"{where} attenuationColor", [1.0, 1.0, 1.0]
        )
        m.attenuation_color = np.clip(colour, 0.0, 1.0).astype(np.float32)
    m.not_drawn = tuple(words for name, words in NOT_DRAWN.items() if name in extensions)


def transmitted_tint(m: Material) -> np.ndarray:
    """(3,) float64 linear RGB: the share of each primary that crosses the material's
    volume, attenuation_color ** (thickness / attenuation_distance) (Beer's law as
    KHR_materials_volume defines it, over the thickness the material gives, the one
    length a rasteriser has; 1 for a thin surface or a clear medium)."""
    distance = float(getattr(m, "attenuation_distance", math.inf))
    thickness = float(getattr(m, "thickness_factor", 0.0))
    colour = np.asarray(getattr(m, "attenuation_color", np.ones(3)), np.float64).reshape(-1)[:3]
    if not (math.isfinite(distance) and distance > 0.0) or thickness <= 0.0:
        return np.ones(3)
    return np.power(np.clip(colour, 0.0, 1.0), thickness / distance)


def _number(reader, obj: dict, key: str, default: float, where: str) -> float:
    value = obj.get(key)
    if value is None:
        return default
    return float(reader._numbers([value], 1, where, None)[0])
