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
# extensions that change how a surface looks and are not drawn: the words inspect uses,
# the values of the factors that govern each one at which it leaves the surface as it is
# (the specification's defaults), and the textures that would scale those factors. An
# extension written with those values and no such texture (Blender writes
# KHR_materials_specular and _ior for most materials) changes nothing, so nothing is said.
NOT_DRAWN: dict[str, tuple[str, dict, tuple[str, ...]]] = {
    "KHR_materials_clearcoat": ("clearcoat", {"clearcoatFactor": 0.0}, ("clearcoatTexture",)),
    "KHR_materials_sheen": ("sheen", {"sheenColorFactor": [0.0, 0.0, 0.0]}, ("sheenColorTexture",)),
    "KHR_materials_specular": (
        "specular",
        {"specularFactor": 1.0, "specularColorFactor": [1.0, 1.0, 1.0]},
        ("specularTexture", "specularColorTexture"),
    ),
    "KHR_materials_ior": ("index of refraction", {"ior": 1.5}, ()),
    "KHR_materials_iridescence": ("iridescence", {"iridescenceFactor": 0.0}, ("iridescenceTexture",)),
    "KHR_materials_anisotropy": ("anisotropy", {"anisotropyStrength": 0.0}, ("anisotropyTexture",)),
    "KHR_materials_dispersion": ("dispersion", {"dispersion": 0.0}, ()),
    "KHR_materials_diffuse_transmission": (
        "diffuse transmission",
        {"diffuseTransmissionFactor": 0.0},
        ("diffuseTransmissionTexture",),
    ),
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
    m.not_drawn = tuple(
        words
        for name, (words, neutral, textures) in NOT_DRAWN.items()
        if _changes_the_look(extensions.get(name), neutral, textures)
    )


def _changes_the_look(spec, neutral: dict, textures: tuple[str, ...]) -> bool:
    """Whether an extension object (None: absent) sets a governing factor to anything
    but its neutral value (an absent factor takes the specification's default, the
    neutral one), or names a texture for one."""
    if spec is None:
        return False
    if not isinstance(spec, dict):
        return True
    if any(key in spec for key in textures):
        return True
    for key, value in neutral.items():
        if key in spec and not _same_numbers(spec[key], value):
            return True
    return False


def _same_numbers(a, b) -> bool:
    try:
        return bool(np.allclose(np.asarray(a, np.float64), np.asarray(b, np.float64)))
    except (TypeError, ValueError):
        return False


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
