"""The scene's core types: plain numpy arrays in small dataclasses.

Shapes and dtypes are part of the contract; every loader produces exactly these.
Coordinates follow glTF: right-handed, +Y up, metres, counter-clockwise front faces.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Texture:
    """A decoded image. ``pixels`` : (H, W, 4) uint8, row 0 = top of the image,
    values as stored in the file (sRGB-encoded for colour textures)."""

    pixels: np.ndarray
    name: str = ""
    # glTF sampler wrap modes: 10497 REPEAT, 33071 CLAMP_TO_EDGE, 33648 MIRRORED_REPEAT
    wrap_s: int = 10497
    wrap_t: int = 10497
    # glTF sampler filters, numbered as OpenGL's: mag 9728 NEAREST / 9729 LINEAR; min
    # those two (level 0 only) or 9984-9987 NEAREST_MIPMAP_NEAREST, LINEAR_MIPMAP_NEAREST,
    # NEAREST_MIPMAP_LINEAR, LINEAR_MIPMAP_LINEAR; None = the file gives none (drawn
    # LINEAR and LINEAR_MIPMAP_LINEAR)
    mag_filter: int | None = None
    min_filter: int | None = None


@dataclass
class Material:
    """glTF metallic-roughness material (the parts that matter on a fan)."""

    name: str = ""
    base_color_factor: np.ndarray = field(
        default_factory=lambda: np.ones(4, np.float32)
    )  # (4,) float32, linear RGBA
    base_color_texture: int | None = None  # index into Scene.textures
    base_color_texcoord: int = 0
    # KHR_texture_transform: (2, 3) float64 affine map of the UV set, (u', v') =
    # M @ (u, v, 1); None = identity
    base_color_transform: np.ndarray | None = None
    emissive_factor: np.ndarray = field(
        default_factory=lambda: np.zeros(3, np.float32)
    )  # (3,) float32, linear RGB
    emissive_texture: int | None = None
    emissive_texcoord: int = 0
    emissive_transform: np.ndarray | None = None  # as base_color_transform
    metallic_factor: float = 1.0
    roughness_factor: float = 1.0
    alpha_mode: str = "OPAQUE"  # OPAQUE | MASK | BLEND
    alpha_cutoff: float = 0.5
    double_sided: bool = False
    unlit: bool = False  # KHR_materials_unlit
    # KHR_materials_emissive_strength: the emission is emissive_factor x texture x this
    emissive_strength: float = 1.0
    # the metallic-roughness texture (linear; B = metallic, G = roughness, each times
    # its factor), the tangent-space normal texture (linear; xy scaled by
    # normal_scale) and the occlusion texture (linear R; 1 + strength x (R - 1)), each
    # with its texCoord set and KHR_texture_transform as for the base colour
    metallic_roughness_texture: int | None = None
    metallic_roughness_texcoord: int = 0
    metallic_roughness_transform: np.ndarray | None = None
    normal_texture: int | None = None
    normal_texcoord: int = 0
    normal_transform: np.ndarray | None = None
    normal_scale: float = 1.0
    occlusion_texture: int | None = None
    occlusion_texcoord: int = 0
    occlusion_transform: np.ndarray | None = None
    occlusion_strength: float = 1.0
    # KHR_materials_transmission: the share of light that passes through the surface
    # (glass, clear plastic), tinted by the base colour; the diffuse part is scaled by
    # 1 - transmission. transmission_texture is kept so that inspect can say it is
    # not applied (the factor alone is drawn).
    transmission_factor: float = 0.0
    transmission_texture: int | None = None
    # KHR_materials_volume: the colour that white light takes after travelling
    # attenuation_distance through the medium, and the medium's thickness (mesh units);
    # a transmitted colour is tinted by attenuation_color ** (thickness / distance)
    attenuation_color: np.ndarray = field(default_factory=lambda: np.ones(3, np.float32))  # (3,) linear RGB
    attenuation_distance: float = math.inf
    thickness_factor: float = 0.0
    # glTF material extensions present in the file that holopack does not draw
    # (clearcoat, sheen, ...), by name: inspect lists them
    not_drawn: tuple[str, ...] = ()


@dataclass
class MorphTargets:
    """Morph target deltas of one primitive.

    positions : (T, N, 3) float32; normals : (T, N, 3) float32 or None;
    default_weights : (T,) float32 (the mesh's ``weights``);
    tangents : (T, N, 3) float32 or None, TANGENT deltas (xyz; w is never morphed).
    """

    positions: np.ndarray
    normals: np.ndarray | None
    default_weights: np.ndarray
    names: list[str] = field(default_factory=list)
    tangents: np.ndarray | None = None


@dataclass
class Primitive:
    """One drawable triangle list in its node's local (bind) space.

    positions : (N, 3) float32
    normals   : (N, 3) float32, unit length (computed when the file has none)
    indices   : (M, 3) int32, counter-clockwise front faces
    uv        : list of (N, 2) float32, one per TEXCOORD_n set, glTF convention (v down)
    colors    : (N, 4) float32 linear RGBA or None (COLOR_0)
    joints    : (N, K) uint16 or None, K = 4 per JOINTS_n set, indices into the skin's joints
    weights   : (N, K) float32 or None, normalised so each row sums to 1
    tangents  : (N, 4) float32 or None: xyz unit, w = +1 or -1 the bitangent sign,
                B = w * cross(N, T); from the TANGENT attribute, else MikkTSpace
                (scene/tangents.py) for primitives whose material has a normal texture
    """

    positions: np.ndarray
    normals: np.ndarray
    indices: np.ndarray
    material: int  # index into Scene.materials
    uv: list[np.ndarray] = field(default_factory=list)
    colors: np.ndarray | None = None
    joints: np.ndarray | None = None
    weights: np.ndarray | None = None
    morph: MorphTargets | None = None
    name: str = ""
    tangents: np.ndarray | None = None
    # KHR_materials_variants: variant index (Scene.variants) -> the material this
    # primitive takes in that variant; a variant it does not name keeps ``material``
    variant_materials: dict[int, int] = field(default_factory=dict)


@dataclass
class Mesh:
    name: str
    primitives: list[Primitive]
    weights: np.ndarray | None = None  # (T,) default morph weights of the mesh


@dataclass
class Node:
    """A scene-graph node with its rest TRS.

    translation : (3,) float64; rotation : (4,) float64 quaternion (x, y, z, w);
    scale : (3,) float64. A node given by ``matrix`` is decomposed into TRS on load
    (glTF forbids animating such nodes, so the decomposition is only used at rest).
    """

    name: str = ""
    children: list[int] = field(default_factory=list)
    translation: np.ndarray = field(default_factory=lambda: np.zeros(3))
    rotation: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, 0.0, 1.0]))
    scale: np.ndarray = field(default_factory=lambda: np.ones(3))
    matrix: np.ndarray | None = None  # (4, 4) float64, when the file gave a matrix
    mesh: int | None = None
    skin: int | None = None
    weights: np.ndarray | None = None  # (T,) node override of morph weights


@dataclass
class Skin:
    """joints : (J,) int node indices; inverse_bind : (J, 4, 4) float64."""

    joints: np.ndarray
    inverse_bind: np.ndarray
    skeleton: int | None = None
    name: str = ""


@dataclass
class Channel:
    """One animated property of one node.

    path: "translation" | "rotation" | "scale" | "weights"
    times : (K,) float32, strictly increasing
    values : (K, C) float32 for LINEAR/STEP, (K, 3, C) [in-tangent, value, out-tangent]
             for CUBICSPLINE; C = 3, 4 (quaternion x, y, z, w) or the morph-target count
    """

    node: int
    path: str
    interpolation: str  # LINEAR | STEP | CUBICSPLINE
    times: np.ndarray
    values: np.ndarray


@dataclass
class Animation:
    name: str
    channels: list[Channel]

    @property
    def duration(self) -> float:
        ends = [float(c.times[-1]) for c in self.channels if len(c.times)]
        return max(ends) if ends else 0.0

    @property
    def start(self) -> float:
        starts = [float(c.times[0]) for c in self.channels if len(c.times)]
        return min(starts) if starts else 0.0


@dataclass
class MediaSource:
    """A picture or a video used as input: frames are read on demand, streamed.

    ``frames()`` yields (H, W, 3) uint8 sRGB pictures; ``fps`` is the source rate
    (0 for a still picture); ``frame_count`` may be an estimate for videos.
    ``alpha``: the source carries an alpha channel; ``open_rgba`` then yields (H, W, 4)
    uint8 straight RGBA and ``frames()`` the same composited over black;
    ``open_rgba_from(seconds)``, where the source can seek (a video ffmpeg reads), the
    same from the first frame at or after that time on.
    ``open_filtered(vf, (width, height), passthrough)``, for a video ffmpeg reads
    (but one with both alpha and an HDR signal), decodes it through an ffmpeg filter
    chain (holopack.video.decode.FilteredFrames), into RGB, or RGBA where it has alpha;
    ``rgb_filter`` is the filter such a chain turns the picture into RGB with (format=rgb24,
    format=rgba with alpha, or an HDR clip's 16-bit signal, turned into sRGB after the
    chain: StreamInfo.rgb_filter).
    ``colour``: what is done to an HDR or wide-gamut video's colours to make them sRGB
    (holopack.video.hdr.Conversion.describe), None for SDR in sRGB/BT.709.
    """

    path: str
    width: int
    height: int
    fps: float
    frame_count: int
    open_frames: Callable[[], Iterator[np.ndarray]]
    alpha: bool = False
    open_rgba: Callable[[], Iterator[np.ndarray]] | None = None
    open_rgba_from: Callable[[float], Iterator[np.ndarray]] | None = None
    open_filtered: Callable[..., Any] | None = None
    colour: str | None = None
    rgb_filter: str = "format=rgb24"

    def frames(self) -> Iterator[np.ndarray]:
        return self.open_frames()

    @property
    def duration(self) -> float:
        return self.frame_count / self.fps if self.fps > 0 else 0.0


@dataclass
class Splats:
    """A 3D Gaussian Splatting twin (Kerbl et al. 2023): N anisotropic Gaussians, each
    drawn as a translucent ellipse blended front to back (holopack.rendering.splats).
    The file's values are converted once, here, to what the renderer uses:

    means : (N, 3) float32, the centres, in the file's coordinates
    scales : (N, 3) float32, the standard deviations along the Gaussian's own axes
        (linear: exp of the file's log scales)
    rotations : (N, 4) float32 unit quaternions (x, y, z, w), holopack's order (the file
        stores w x y z, not normalised), turning the Gaussian's axes into the file's
    opacities : (N,) float32 in [0, 1] (the sigmoid of the file's logits)
    sh : (N, K, 3) float32 spherical-harmonic colour coefficients per RGB channel, K =
        1, 4, 9 or 16 (degree 0-3); sh[:, 0] is the file's f_dc, sh[:, 1:] its f_rest
    """

    means: np.ndarray
    scales: np.ndarray
    rotations: np.ndarray
    opacities: np.ndarray
    sh: np.ndarray

    def __len__(self) -> int:
        return int(self.means.shape[0])

    @property
    def degree(self) -> int:
        """The spherical-harmonic degree, 0 to 3."""
        return {1: 0, 4: 1, 9: 2, 16: 3}[int(self.sh.shape[1])]

    @property
    def nbytes(self) -> int:
        return sum(int(a.nbytes) for a in (self.means, self.scales, self.rotations, self.opacities, self.sh))


@dataclass
class DrawItem:
    """One primitive as it is drawn: which node carries it, with which mesh/skin.

    The list Scene.draw_items is a depth-first walk of the default scene's nodes
    (children in index order), primitives in mesh order: the order that
    ``posed_positions`` returns.
    """

    node: int
    mesh: int
    primitive: int  # index within the mesh
    skin: int | None


@dataclass
class PosedPrimitive:
    """A primitive in world space at one instant.

    positions : (N, 3) float32 world; normals : (N, 3) float32 world, unit length.
    ``primitive`` carries indices, uv, colours and the material index.
    tangents : (N, 4) float32 world or None (when the primitive has none): xyz unit,
    w = +1 or -1 with B = w * cross(normal, tangent) in world space.
    """

    positions: np.ndarray
    normals: np.ndarray
    primitive: Primitive
    tangents: np.ndarray | None = None
