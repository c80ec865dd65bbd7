"""What the renderer prepares for ``shading="pbr"`` and for tone mapping: the data
textures, the PBR columns of the vertex table (the maps' UVs, view-space tangents),
the light table, and the checked tone-mapping choice. Plain numpy."""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np

from ..colour import srgb8_to_linear
from ..errors import InputError
from .lights import Lights
from .pbr_kernel import (
    A_MR_UV,
    A_NORMAL_UV,
    A_OCC_UV,
    A_PBR_COLUMNS,
    A_TAN,
    P_ENV,
    P_LUT_SIZE,
    P_PBR_LENGTH,
    P_SH,
    P_SPEC,
    P_SPEC_H,
    P_SPEC_LEVELS,
    P_SPEC_W,
)
from .punctual import LIGHT_COLUMNS, PunctualLight, pack_lights, rig
from .raster_kernel import srgb_tables
from .tangent_kernel import view_tangents as turn_tangents
from .tonemap_choices import TONE_MAPPINGS
from .tonemap_kernel import ACES, NEUTRAL, NONE, tone_map

LightsArg = Lights | list | tuple | None
ToneMapping = str | None
TONE_CODES = {"none": NONE, "neutral": NEUTRAL, "aces": ACES}


def resolve_tone_mapping(tone_mapping: ToneMapping, exposure, shading: str) -> tuple[str, float]:
    """The tone mapping to apply ("neutral" for "pbr" when None, else "none") and the
    exposure as a float; InputError for anything else."""
    if tone_mapping is None:
        tone_mapping = "neutral" if shading == "pbr" else "none"
    if tone_mapping not in TONE_MAPPINGS:
        raise InputError(f"tone_mapping must be one of {', '.join(TONE_MAPPINGS)}, got {tone_mapping!r}")
    if (
        isinstance(exposure, bool)
        or not isinstance(exposure, (int, float))
        or not (math.isfinite(exposure) and exposure > 0)
    ):
        raise InputError(f"exposure must be a number greater than 0, got {exposure!r}")
    return tone_mapping, float(exposure)


def tone_applies(tone: str, exposure: float) -> bool:
    """Whether apply_tone_mapping writes the colour: anything but "none" at exposure 1."""
    return tone != "none" or exposure != 1.0


def apply_tone_mapping(
    linear, alpha, tone: str, exposure: float, lut, steps, color, tiles=None, tile=32
) -> bool:
    """color (H, W, 3) uint8 = sRGB of the tone-mapped ``exposure x linear`` where
    alpha (coverage) > 0, of the clamped linear value elsewhere, over the ``tile``-pixel
    tiles marked in ``tiles`` (a bool grid of them; None: all), when tone_applies;
    otherwise left as the renderer encoded it (clamped linear). Returns whether it
    wrote the colour."""
    if tone_applies(tone, exposure):
        tone_map(linear, alpha, exposure, TONE_CODES[tone], lut, steps, color, tiles, tile)
        return True
    return False


def shown_light(linear, tone: str, exposure: float) -> np.ndarray:
    """(H, W, 3) float32 linear light of what a picture of ``linear`` (H, W, 3) float32
    shows after exposure, tone mapping and the 8-bit sRGB encode: what a fan's
    resampler reads for a picture the GPU drew (RenderedPicture.shown_light decodes
    the renderer's own colour). Black stays black."""
    linear = np.ascontiguousarray(linear, np.float32)
    color = np.zeros(linear.shape, np.uint8)
    everywhere = np.ones(linear.shape[:2], np.float32)  # black stays black: no coverage needed
    lut, steps = srgb_tables()
    tone_map(linear, everywhere, float(exposure), TONE_CODES[tone], lut, steps, color)
    return srgb8_to_linear(color)


@dataclass
class MapPlan:
    """Where the textures of one draw sit in the pool (texture.TexturePool.pack's
    arguments) and which PBR maps each material samples how.

    data: textures decoded as linear data, pool indices len(textures) onwards
    (``data_index``: scene texture index -> pool index); packs: the layers
    ((Texture, srgb), ...) of each packed texture, after the data textures;
    ``packed``: material row -> (pool index, layers, occlusion in the pack);
    colour_used: the scene textures sampled as colour (None: all)."""

    data_index: dict[int, int] | None = None
    data: list = dataclass_field(default_factory=list)
    packs: list = dataclass_field(default_factory=list)
    packed: dict[int, tuple[int, int, bool]] = dataclass_field(default_factory=dict)
    colour_used: set[int] | None = None


def _same_uv(material, a: str, b: str) -> bool:
    """Whether two of the material's textures are read through the same UVs."""
    ta = getattr(material, f"{a}_transform", None)
    tb = getattr(material, f"{b}_transform", None)
    same_transform = (ta is None and tb is None) or (
        ta is not None and tb is not None and np.array_equal(np.asarray(ta), np.asarray(tb))
    )
    return getattr(material, f"{a}_texcoord", 0) == getattr(material, f"{b}_texcoord", 0) and same_transform


def _same_image_grid(a, b) -> bool:
    """Whether two textures have one size, one wrap and one filtering: their texels can
    be packed."""
    return np.shape(a.pixels)[:2] == np.shape(b.pixels)[:2] and (
        a.wrap_s,
        a.wrap_t,
        a.mag_filter,
        a.min_filter,
    ) == (
        b.wrap_s,
        b.wrap_t,
        b.mag_filter,
        b.min_filter,
    )


def plan_maps(materials, textures, pbr: bool = True, occlusion: bool = False) -> MapPlan:
    """The MapPlan of a draw. Not ``pbr``: the sampled textures as colour, no maps. For
    "pbr", a material whose normal and metallic-roughness maps share their UVs, size
    and wrap gets them packed texel by texel into one texture, sampled in one fetch
    (with its base colour texture first when that matches too and the material is
    OPAQUE, lit and not see-through: alpha tests, blending, KHR_materials_unlit and the
    light that transmission lets through read the base colour on their own); its
    occlusion rides along when it is the metallic-roughness texture's R. Other maps
    are decoded as data on their own. The occlusion map only with ``occlusion`` (a
    picture with an environment: the one light it dims). Textures no material samples
    as colour are left out of the pool's colour part; without "pbr" that is every
    texture but the base colour and emissive ones (a glTF's normal, metallic-roughness
    and occlusion maps were decoded as colour for nothing: three of DamagedHelmet's
    five 2048 px textures)."""
    if not pbr:
        count = len(textures)
        return MapPlan(
            colour_used={
                t
                for m in materials
                for t in (m.base_color_texture, m.emissive_texture)
                if t is not None and 0 <= t < count
            }
        )
    plan = MapPlan(data_index={}, colour_used=set())
    assert plan.data_index is not None and plan.colour_used is not None
    count = len(textures)

    def index(value) -> int:
        """A texture index that points at a texture, else -1."""
        return value if value is not None and 0 <= value < count else -1

    separate: list[int] = []
    pack_keys: dict[tuple, int] = {}
    for row, m in enumerate(materials):
        base, normal, mr = (
            index(m.base_color_texture),
            index(m.normal_texture),
            index(m.metallic_roughness_texture),
        )
        occ = index(m.occlusion_texture) if occlusion else -1
        if index(m.emissive_texture) >= 0:
            plan.colour_used.add(m.emissive_texture)
        if (
            normal >= 0
            and mr >= 0
            and _same_uv(m, "normal", "metallic_roughness")
            and _same_image_grid(textures[normal], textures[mr])
        ):
            layers: tuple[tuple[int, bool], ...] = ((normal, False), (mr, False))
            if (
                base >= 0
                and str(m.alpha_mode).upper() == "OPAQUE"
                and not m.unlit
                and getattr(m, "transmission_factor", 0.0) <= 0.0  # its tint reads the base colour
                and _same_uv(m, "base_color", "normal")
                and _same_image_grid(textures[base], textures[normal])
            ):
                layers = ((base, True),) + layers
            elif base >= 0:
                plan.colour_used.add(base)
            if layers not in pack_keys:
                pack_keys[layers] = len(plan.packs)
                plan.packs.append(tuple((textures[i], srgb) for i, srgb in layers))
            occ_in_pack = occ >= 0 and occ == mr and _same_uv(m, "occlusion", "metallic_roughness")
            plan.packed[row] = (pack_keys[layers], len(layers), occ_in_pack)
            if occ >= 0 and not occ_in_pack:
                separate.append(occ)
            continue
        if base >= 0:
            plan.colour_used.add(base)
        separate += [i for i in (mr, normal, occ) if i >= 0]
    for texture in separate:
        if texture not in plan.data_index:
            plan.data_index[texture] = count + len(plan.data)
            plan.data.append(textures[texture])
    first_pack = count + len(plan.data)
    plan.packed = {row: (first_pack + k, layers, occ) for row, (k, layers, occ) in plan.packed.items()}
    return plan


def fill_pbr_columns(prim, count: int, material, attr: np.ndarray, texture_uv) -> None:
    """The UVs of the material's metallic-roughness, normal and occlusion maps into
    attr (count, A_PBR_COLUMNS) float32 (``texture_uv``: the renderer's UV mapper)."""
    for column, name in ((A_MR_UV, "metallic_roughness"), (A_NORMAL_UV, "normal"), (A_OCC_UV, "occlusion")):
        if getattr(material, f"{name}_texture", None) is None:
            continue
        texture_uv(
            prim,
            count,
            getattr(material, f"{name}_texcoord", 0),
            getattr(material, f"{name}_transform", None),
            attr[:, column : column + 2],
        )


def view_tangents(posed, counts, view3: np.ndarray, attr: np.ndarray, world_tan: np.ndarray | None = None):
    """attr[:, A_TAN:A_TAN + 4] = each posed primitive's tangents turned into view
    space (xyz by the view's 3 x 3, which keeps them in the surface; w, the
    bitangent sign, as it is); zero (no normal mapping) where a primitive has none.
    world_tan: a (>= N, 4) float32 buffer for the posed tangents, from the last call;
    returns the one used (None when attr is not a "pbr" table)."""
    if attr.shape[1] < A_PBR_COLUMNS:  # not a "pbr" table: no tangent columns
        return world_tan
    n = int(sum(counts))
    if world_tan is None or world_tan.shape[0] < n:
        world_tan = np.empty((max(n, 1), 4), np.float32)
    offset = 0
    for p, count in zip(posed, counts):
        tangents = getattr(p, "tangents", None)
        rows = world_tan[offset : offset + count]
        if tangents is None or len(tangents) != count:
            rows[:] = 0.0  # w = 0: no tangent
        else:
            t = np.asarray(tangents, np.float32)
            if t.shape[1] == 4:
                rows[:] = t
            else:
                rows[:, :3] = t[:, :3]
                rows[:, 3] = 1.0
        offset += count
    # in float32, as the table stores them
    rotation = np.ascontiguousarray(np.asarray(view3, np.float64).T.astype(np.float32))
    turn_tangents(world_tan[:n], rotation, attr, A_TAN)
    return world_tan


def resolve_environment(environment):
    """None, or an environment object with ``sh`` (9, 3) irradiance SH coefficients
    in view space (holopack.rendering.environment.Environment); "studio" is the
    built-in one, "none" (the option's word) is None. InputError for anything else."""
    if environment is None or environment == "none":
        return None
    if isinstance(environment, str):
        if environment != "studio":
            raise InputError(f"environment must be None or 'studio', got {environment!r}")
        try:  # the environment's prefiltering is only needed when one is asked for
            from .environment import studio
        except ImportError:
            raise InputError("the built-in 'studio' environment is not available in this version") from None
        return studio()
    sh = getattr(environment, "sh", None)
    if sh is None or np.shape(sh) != (9, 3) or not np.all(np.isfinite(sh)):
        raise InputError(f"environment must be None, 'studio' or an Environment, got {environment!r}")
    return environment


def pbr_params(params: np.ndarray, environment) -> np.ndarray:
    """The lit model's params (8,) extended for "pbr" (pbr_kernel.py's P_* layout): float64
    with the environment flag and its SH coefficients (k-major), then, when the
    environment has them, its prefiltered maps ``specular`` (R, H, W, 3) and split-sum
    table ``lut`` (S, S, 2) with their sizes."""
    specular_given = getattr(environment, "specular", None)
    lut_given = getattr(environment, "lut", None)
    specular = np.zeros((0, 0, 0, 3)) if specular_given is None else np.asarray(specular_given)
    lut = np.zeros((0, 0, 2)) if lut_given is None else np.asarray(lut_given)
    full = specular.ndim == 4 and lut.ndim == 3 and specular.size > 0 and lut.size > 0
    length = P_SPEC + (specular.size + lut.size if full else 0)
    out = np.zeros(max(length, P_PBR_LENGTH), np.float64)
    out[: len(params)] = params
    if environment is not None:
        out[P_ENV] = 1.0
        out[P_SH : P_SH + 27] = np.asarray(environment.sh, np.float64).reshape(9, 3).reshape(-1)
    if environment is not None and full:
        levels, height, width, _ = specular.shape
        out[P_SPEC_LEVELS], out[P_SPEC_H], out[P_SPEC_W] = levels, height, width
        out[P_LUT_SIZE] = lut.shape[0]
        maps = np.asarray(specular, np.float64).reshape(-1)
        out[P_SPEC : P_SPEC + maps.size] = maps
        out[P_SPEC + maps.size :] = np.asarray(lut, np.float64).reshape(-1)
    return out


def has_environment(params: np.ndarray) -> bool:
    """Whether the params vector (pbr_params) carries an environment."""
    return bool(len(params) > P_ENV and params[P_ENV] == 1.0)


def light_table(lights: LightsArg, pbr: bool, environment=None) -> tuple[np.ndarray, np.ndarray]:
    """(lights (L, LIGHT_COLUMNS) float64 as punctual.pack_lights makes it, params
    float64: the lit model's (8,) terms as Lights.pack makes them, for "pbr"
    extended by pbr_params with the ``environment`` (resolve_environment)).

    A Lights is the lit model's rig: "lit" draws it as it always has, "pbr" as its
    punctual lights (punctual.rig). A list of punctual lights is drawn as it is; the
    lit model adds the default Lights' ambient, rim and specular terms to it."""
    table, params = _light_rows(lights, pbr)
    if pbr:
        params = pbr_params(params, resolve_environment(environment))
    return table, params


def _light_rows(lights: LightsArg, pbr: bool) -> tuple[np.ndarray, np.ndarray]:
    if lights is None:
        lights = Lights()
    if isinstance(lights, Lights):
        rows, params = lights.pack()
        if pbr:
            return pack_lights(rig(lights)), params
        table = np.zeros((len(rows), LIGHT_COLUMNS), np.float64)
        table[:, :6] = rows
        return table, params
    if not isinstance(lights, (list, tuple)):
        raise InputError(
            f"lights must be a list of DirectionalLight, PointLight or SpotLight, got {lights!r}"
        )
    punctual: list[PunctualLight] = list(lights)
    return pack_lights(punctual), Lights().pack()[1]
