"""UsdPreviewSurface materials as holopack's glTF-style Material.

Each input of the surface shader is either a value or a connection to a UsdUVTexture
(``file``, ``wrapS``/``wrapT``, ``scale``/``bias``, ``sourceColorSpace``, one of its
outputs ``rgb``/``r``/``g``/``b``/``a``), whose ``st`` reads a primvar through a
UsdPrimvarReader_float2, possibly through a UsdTransform2d. What maps onto glTF:

* diffuseColor -> base colour (factor = the texture's scale), or the mesh's
  displayColor where a UsdPrimvarReader reads it; opacity -> its alpha;
  opacityThreshold > 0 -> MASK at that cutoff, else opacity < 1 or a texture -> BLEND;
* metallic and roughness -> the metallic-roughness texture when they read the b and g
  channels of one texture (glTF's packing, which converters from glTF write); else
  their factors (said in a warning);
* emissiveColor -> emissive; normal -> the normal texture (scale 2, bias -1 as USD
  writes it); occlusion -> the occlusion texture's r;
* UsdTransform2d -> the KHR_texture_transform matrix (``Material.*_transform``).

Texture coordinates: USD's st has v up; glTF's uv has v down (uv = (s, 1 - t)); the
transform is carried over to glTF's uv by the same flip on both sides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..types import Material

_WRAP = {"repeat": 10497, "clamp": 33071, "mirror": 33648, "black": 33071, "useMetadata": 10497}
# (2, 3) matrices act on (u, v, 1); F flips between USD's st and glTF's uv
_FLIP = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 1.0], [0.0, 0.0, 1.0]])


@dataclass
class TextureUse:
    """One texture reference of a material: the file, how it is sampled, which channel."""

    layer: str  # identifier of the layer that authored ``file`` (paths are relative to it)
    file: str  # as authored
    resolved: str
    wrap_s: int
    wrap_t: int
    channel: str  # rgb, r, g, b, a
    scale: np.ndarray  # (4,) float64
    bias: np.ndarray  # (4,) float64
    color_space: str  # auto, raw, sRGB
    primvar: str  # the texture coordinate primvar it reads
    transform: np.ndarray | None  # (2, 3) float64 in glTF uv, or None


@dataclass
class SurfaceMaterial:
    """A material read from the stage: the Material (texture fields hold indices into
    ``uses`` until the reader swaps in scene texture indices) and the primvars its
    textures read, in texcoord-set order."""

    material: Material
    uses: list[TextureUse] = field(default_factory=list)
    primvars: list[str] = field(default_factory=list)
    # diffuseColor read from the mesh's displayColor by a UsdPrimvarReader (the colour
    # each mesh carries, as a product's colourways set it): the reader takes the base
    # colour from the mesh it draws
    colour_from_mesh: bool = False


def _input_value(shader, name: str, default):
    inp = shader.GetInput(name)
    got = inp.Get() if inp else None
    return default if got is None else got


def transform2d_matrix(rotation_degrees: float, scale, translation) -> np.ndarray:
    """UsdTransform2d (st' = T R S st, rotation counter-clockwise in degrees) as the
    (2, 3) matrix that maps glTF uv (v down) to glTF uv."""
    c, s = math.cos(math.radians(rotation_degrees)), math.sin(math.radians(rotation_degrees))
    sx, sy = float(scale[0]), float(scale[1])
    a = np.array(
        [[c * sx, -s * sy, float(translation[0])], [s * sx, c * sy, float(translation[1])], [0.0, 0.0, 1.0]]
    )
    return (_FLIP @ a @ _FLIP)[:2]


def read_material(material_prim, warn) -> SurfaceMaterial:
    """A UsdShade.Material prim -> SurfaceMaterial; a surface that is not a
    UsdPreviewSurface (MaterialX, a renderer's own) is drawn in plain white, said in
    ``warn``."""
    from pxr import UsdShade

    name = material_prim.GetName()
    out = SurfaceMaterial(Material(name=name))
    # the universal render context: where UsdPreviewSurface is connected
    shader = UsdShade.Material(material_prim).ComputeSurfaceSource("")[0]
    if not shader or shader.GetIdAttr().Get() != "UsdPreviewSurface":
        warn(
            f"material {name}: its surface is not a UsdPreviewSurface (MaterialX and "
            "renderers' own shaders are not read); drawn white"
        )
        return out
    surface = _Surface(shader, out, warn, name)
    if int(surface.value("useSpecularWorkflow", 0)):
        warn(f"material {name}: the specular workflow is drawn as metallic-roughness (metallic 0)")
    surface.base_colour()
    surface.metallic_roughness()
    surface.emissive_normal_occlusion()
    return out


class _Surface:
    """The inputs of one UsdPreviewSurface, read into ``out.material``."""

    def __init__(self, shader, out: SurfaceMaterial, warn, name: str):
        self.shader, self.out, self.m, self.warn, self.name = shader, out, out.material, warn, name

    def value(self, input_name: str, default):
        inp = self.shader.GetInput(input_name)
        got = inp.Get() if inp else None
        return default if got is None else got

    def texture(self, input_name: str) -> TextureUse | None:
        """The UsdUVTexture an input is connected to, or None (then its value holds)."""
        from pxr import UsdShade

        inp = self.shader.GetInput(input_name)
        sources = inp.GetConnectedSources()[0] if inp else []
        if not sources:
            return None
        tex = UsdShade.Shader(sources[0].source.GetPrim())
        kind = tex.GetIdAttr().Get()
        if (
            input_name == "diffuseColor"
            and kind in ("UsdPrimvarReader_float3", "UsdPrimvarReader_float4")
            and str(_input_value(tex, "varname", "")) == "displayColor"
        ):
            self.out.colour_from_mesh = True
            return None
        if kind != "UsdUVTexture":
            self.warn(
                f"material {self.name}: {input_name} reads a {kind} node, not a texture; its value is used"
            )
            return None
        return _texture_use(tex, str(sources[0].sourceName), self.warn, self.name)

    def slot(self, use: TextureUse) -> tuple[int, int, np.ndarray | None]:
        """(index into out.uses, texcoord set, transform) of a texture use."""
        out = self.out
        out.uses.append(use)
        if use.primvar not in out.primvars:
            out.primvars.append(use.primvar)
        return len(out.uses) - 1, out.primvars.index(use.primvar), use.transform

    def base_colour(self) -> None:
        m = self.m
        diffuse = self.texture("diffuseColor")
        colour = np.asarray(self.value("diffuseColor", (0.18, 0.18, 0.18)), np.float64)
        opacity = float(self.value("opacity", 1.0))
        opacity_texture = self.texture("opacity")
        if diffuse is not None:
            m.base_color_texture, m.base_color_texcoord, m.base_color_transform = self.slot(diffuse)
            colour = diffuse.scale[:3]
            if np.any(np.abs(diffuse.bias[:3]) > 1e-6):
                self.warn(f"material {self.name}: the diffuse texture's bias is not drawn")
        if opacity_texture is not None:
            if (
                diffuse is not None
                and opacity_texture.file == diffuse.file
                and opacity_texture.channel == "a"
            ):
                opacity = float(opacity_texture.scale[3])
            else:
                self.warn(
                    f"material {self.name}: an opacity texture apart from the diffuse texture's alpha is not drawn"
                )
        m.base_color_factor = np.array([*colour[:3], opacity], np.float32)
        threshold = float(self.value("opacityThreshold", 0.0))
        if threshold > 0:
            m.alpha_mode, m.alpha_cutoff = "MASK", threshold
        elif opacity < 1.0 or opacity_texture is not None:
            m.alpha_mode = "BLEND"

    def metallic_roughness(self) -> None:
        m = self.m
        m.metallic_factor = float(self.value("metallic", 0.0))
        m.roughness_factor = float(self.value("roughness", 0.5))
        metallic, roughness = self.texture("metallic"), self.texture("roughness")
        if metallic is None and roughness is None:
            return
        if (
            metallic is not None
            and roughness is not None
            and metallic.file == roughness.file
            and (metallic.channel, roughness.channel) == ("b", "g")
        ):
            m.metallic_roughness_texture, m.metallic_roughness_texcoord, m.metallic_roughness_transform = (
                self.slot(metallic)
            )
            m.metallic_factor = float(metallic.scale[2])
            m.roughness_factor = float(roughness.scale[1])
        else:
            self.warn(
                f"material {self.name}: metallic and roughness textures not packed as glTF's "
                "(roughness g, metallic b of one texture) are drawn as their factors"
            )

    def emissive_normal_occlusion(self) -> None:
        m = self.m
        m.emissive_factor = np.asarray(self.value("emissiveColor", (0.0, 0.0, 0.0)), np.float32)[:3]
        emissive = self.texture("emissiveColor")
        if emissive is not None:
            m.emissive_texture, m.emissive_texcoord, m.emissive_transform = self.slot(emissive)
            m.emissive_factor = emissive.scale[:3].astype(np.float32)
        normal = self.texture("normal")
        if normal is not None:
            m.normal_texture, m.normal_texcoord, m.normal_transform = self.slot(normal)
            # USD writes a normal map's decode as scale 2, bias -1; glTF's scale is x and y's
            m.normal_scale = float(normal.scale[0]) / 2.0 if abs(normal.scale[0]) > 1e-6 else 1.0
        occlusion = self.texture("occlusion")
        if occlusion is not None:
            m.occlusion_texture, m.occlusion_texcoord, m.occlusion_transform = self.slot(occlusion)


def _texture_use(tex, channel: str, warn, material_name: str) -> TextureUse | None:
    from pxr import UsdShade

    def get(input_name: str, default):
        inp = tex.GetInput(input_name)
        got = inp.Get() if inp else None
        return default if got is None else got

    file_input = tex.GetInput("file")
    asset = file_input.Get() if file_input else None
    if asset is None or not asset.path:
        warn(f"material {material_name}: a texture names no file; its value is used")
        return None
    stack = file_input.GetAttr().GetPropertyStack()
    layer = stack[0].layer.identifier if stack else ""
    primvar, transform = "st", None
    st = tex.GetInput("st")
    if st:
        sources = st.GetConnectedSources()[0]
        node = UsdShade.Shader(sources[0].source.GetPrim()) if sources else None
        if node is not None and node.GetIdAttr().Get() == "UsdTransform2d":
            transform = transform2d_matrix(
                float(_input(node, "rotation", 0.0)),
                _input(node, "scale", (1.0, 1.0)),
                _input(node, "translation", (0.0, 0.0)),
            )
            inner = node.GetInput("in")
            sources = inner.GetConnectedSources()[0] if inner else []
            node = UsdShade.Shader(sources[0].source.GetPrim()) if sources else None
        if node is not None and str(node.GetIdAttr().Get()).startswith("UsdPrimvarReader"):
            primvar = str(_input(node, "varname", "st"))
    wrap_s, wrap_t = str(get("wrapS", "useMetadata")), str(get("wrapT", "useMetadata"))
    if "black" in (wrap_s, wrap_t):
        warn(f"material {material_name}: texture wrap 'black' is drawn clamped")
    return TextureUse(
        layer=layer,
        file=asset.path,
        resolved=asset.resolvedPath or "",
        wrap_s=_WRAP.get(wrap_s, 10497),
        wrap_t=_WRAP.get(wrap_t, 10497),
        channel=channel,
        scale=np.asarray(get("scale", (1.0, 1.0, 1.0, 1.0)), np.float64),
        bias=np.asarray(get("bias", (0.0, 0.0, 0.0, 0.0)), np.float64),
        color_space=str(get("sourceColorSpace", "auto")),
        primvar=primvar,
        transform=transform,
    )


def _input(node, name: str, default):
    inp = node.GetInput(name)
    got = inp.Get() if inp else None
    return default if got is None else got
