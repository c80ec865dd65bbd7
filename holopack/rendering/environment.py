"""Image-based ambient light: a built-in studio environment, fixed to the camera.

An ``Environment`` holds what the split-sum approximation (Karis 2013, "Real Shading in
Unreal Engine 4") needs for glTF's metallic-roughness BRDF:

- diffuse: irradiance as 9 spherical-harmonic coefficients (Ramamoorthi & Hanrahan
  2001, "An efficient representation for irradiance environment maps"); the diffuse
  radiance is c_diff / pi * E(n);
- specular: the radiance prefiltered with GGX lobes, one equirectangular map per
  roughness level, times the (A, B) lookup table: prefiltered(R, roughness) *
  (F0 * A + B).

Everything is in view space: the camera looks down -Z with +Y up, and the environment
turns with the camera, as the lights do. ``studio()`` builds a neutral studio (soft
overhead key area, dimmer horizon band, dark floor) from a radiance function, so
nothing is downloaded. Plain numpy; ``irradiance``, ``prefiltered`` and ``split_sum``
are the reference lookups a renderer's kernel is compared with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# the constants of the real SH basis, l <= 2, in full (Ramamoorthi & Hanrahan print
# them to 6 digits, which would put a constant environment's E 1.5e-6 off pi L)
_C0 = 0.5 / math.sqrt(math.pi)  # 0.282095
_C1 = math.sqrt(3 / (4 * math.pi))  # 0.488603
_C2 = math.sqrt(15 / (4 * math.pi))  # 1.092548
_C3 = math.sqrt(5 / (16 * math.pi))  # 0.315392
_C4 = math.sqrt(15 / (16 * math.pi))  # 0.546274
# cosine-lobe convolution per band: A_0 = pi, A_1 = 2 pi / 3, A_2 = pi / 4
_BAND_SCALE = np.array([math.pi] + [2 * math.pi / 3] * 3 + [math.pi / 4] * 5)

LEVELS = 6  # specular roughness levels 0, 0.2, ..., 1
MAP_HEIGHT, MAP_WIDTH = 32, 64  # equirectangular texels per level (5.6 degrees each)
LUT_SIZE = 32
LUT_SAMPLES = 512


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: arrays have no ==
class Environment:
    """Ambient light from all directions, in view space (camera looks down -Z, +Y up).

    sh : (9, 3) float64, irradiance in RGB, already convolved with the clamped cosine:
        E(n) = sum_k sh[k] * Y_k(n) for a unit view-space normal n = (x, y, z), with
        Y_0 = c0; Y_1 = c1 y; Y_2 = c1 z; Y_3 = c1 x; Y_4 = c2 x y; Y_5 = c2 y z;
        Y_6 = c3 (3 z^2 - 1); Y_7 = c2 x z; Y_8 = c4 (x^2 - y^2)
        (the order Y00; Y1-1, Y10, Y11; Y2-2, Y2-1, Y20, Y21, Y22), c0 = 1 / (2 sqrt(pi))
        = 0.282095, c1 = sqrt(3 / (4 pi)) = 0.488603, c2 = sqrt(15 / (4 pi)) = 1.092548,
        c3 = sqrt(5 / (16 pi)) = 0.315392, c4 = sqrt(15 / (16 pi)) = 0.546274. A
        Lambertian surface's diffuse radiance is c_diff / pi * E(n).
    specular : (R, H, W, 3) float32 linear radiance, level k prefiltered for roughness
        k / (R - 1) (level 0 is the radiance itself). Texel (i, j) of a level holds the
        direction d = (sin t sin p, cos t, -sin t cos p) with t = pi (i + 0.5) / H (from
        +Y down to -Y) and p = 2 pi ((j + 0.5) / W - 0.5) (0 straight ahead, at -Z;
        +pi / 2 at +X). Inversely, u = 0.5 + atan2(x, -z) / (2 pi) in [0, 1) and
        v = acos(y) / pi in [0, 1], sampled at (u W - 0.5, v H - 0.5) in texels:
        bilinear, wrapping in u, clamped in v; roughness between levels is linear.
    lut : (S, S, 2) float32 split-sum table: entry [i, j] is (A, B) for
        N.V = (i + 1) / S and roughness = j / (S - 1), bilinear in between (clamped at
        the ends), so the specular ambient is prefiltered(R, roughness) * (F0 A + B).
        It integrates glTF's specular BRDF (GGX D, the height-correlated Smith Vis,
        alpha = roughness^2, Schlick's Fresnel) times N.L over the hemisphere.
    """

    sh: np.ndarray
    specular: np.ndarray
    lut: np.ndarray


def sh_basis(directions: np.ndarray) -> np.ndarray:
    """(N, 9) float64 values of Y_0..Y_8 (see ``Environment``) at (N, 3) unit vectors."""
    d = np.asarray(directions, np.float64).reshape(-1, 3)
    x, y, z = d[:, 0], d[:, 1], d[:, 2]
    return np.stack(
        [
            np.full_like(x, _C0),
            _C1 * y,
            _C1 * z,
            _C1 * x,
            _C2 * x * y,
            _C2 * y * z,
            _C3 * (3 * z * z - 1),
            _C2 * x * z,
            _C4 * (x * x - y * y),
        ],
        axis=1,
    )


def irradiance(env: Environment, normals: np.ndarray) -> np.ndarray:
    """(N, 3) float64 irradiance E(n) at (N, 3) unit view-space normals."""
    return sh_basis(normals) @ env.sh


def direction_to_uv(directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(u, v), each (N,) float64, of (N, 3) unit view-space directions (see
    ``Environment.specular``)."""
    d = np.asarray(directions, np.float64).reshape(-1, 3)
    u = 0.5 + np.arctan2(d[:, 0], -d[:, 2]) / (2 * math.pi)
    v = np.arccos(np.clip(d[:, 1], -1.0, 1.0)) / math.pi
    return u % 1.0, v


def texel_directions(height: int, width: int) -> np.ndarray:
    """(H, W, 3) float64 unit directions at the texel centres of an equirectangular map."""
    t = math.pi * (np.arange(height) + 0.5) / height
    p = 2 * math.pi * ((np.arange(width) + 0.5) / width - 0.5)
    t, p = np.meshgrid(t, p, indexing="ij")
    return np.stack([np.sin(t) * np.sin(p), np.cos(t), -np.sin(t) * np.cos(p)], axis=-1)


def prefiltered(env: Environment, directions: np.ndarray, roughness) -> np.ndarray:
    """(N, 3) float64 prefiltered radiance towards (N, 3) unit view-space directions
    (reflection vectors) for roughness in [0, 1] ((N,) or a number): bilinear in (u, v),
    linear between the two nearest levels."""
    d = np.asarray(directions, np.float64).reshape(-1, 3)
    levels, height, width, _ = env.specular.shape
    r = np.broadcast_to(np.clip(np.asarray(roughness, np.float64), 0.0, 1.0), (len(d),))
    level = r * (levels - 1)
    low = np.minimum(np.floor(level).astype(np.int64), levels - 1)
    high = np.minimum(low + 1, levels - 1)
    frac = (level - low)[:, None]
    u, v = direction_to_uv(d)
    x = u * width - 0.5
    y = np.clip(v * height - 0.5, 0.0, height - 1.0)
    x0 = np.floor(x).astype(np.int64)
    y0 = np.minimum(np.floor(y).astype(np.int64), height - 1)
    fx = (x - x0)[:, None]
    fy = (y - y0)[:, None]
    y1 = np.minimum(y0 + 1, height - 1)
    x1 = (x0 + 1) % width
    x0 = x0 % width

    out = np.zeros((len(d), 3))
    maps = env.specular.astype(np.float64)
    for which, weight in ((low, 1.0 - frac), (high, frac)):
        c00 = maps[which, y0, x0]
        c01 = maps[which, y0, x1]
        c10 = maps[which, y1, x0]
        c11 = maps[which, y1, x1]
        value = (c00 * (1 - fx) + c01 * fx) * (1 - fy) + (c10 * (1 - fx) + c11 * fx) * fy
        out += weight * value
    return out


def split_sum(env: Environment, n_dot_v, roughness) -> np.ndarray:
    """(N, 2) float64 (A, B) for N.V in (0, 1] and roughness in [0, 1] ((N,) each, or
    numbers), bilinear in the table, clamped at its ends."""
    size = env.lut.shape[0]
    nv = np.atleast_1d(np.asarray(n_dot_v, np.float64))
    rough = np.atleast_1d(np.asarray(roughness, np.float64))
    nv, rough = np.broadcast_arrays(nv, rough)
    i = np.clip(nv * size - 1.0, 0.0, size - 1.0)
    j = np.clip(rough * (size - 1), 0.0, size - 1.0)
    i0 = np.minimum(np.floor(i).astype(np.int64), size - 2)
    j0 = np.minimum(np.floor(j).astype(np.int64), size - 2)
    fi = (i - i0)[:, None]
    fj = (j - j0)[:, None]
    t = env.lut.astype(np.float64)
    return (t[i0, j0] * (1 - fj) + t[i0, j0 + 1] * fj) * (1 - fi) + (
        t[i0 + 1, j0] * (1 - fj) + t[i0 + 1, j0 + 1] * fj
    ) * fi


# -- building an environment ---------------------------------------------------------


def from_radiance(radiance) -> Environment:
    """An Environment from ``radiance``: a function of (N, 3) float64 unit view-space
    directions giving (N, 3) float64 linear RGB radiance."""
    arrays = project_irradiance(radiance), prefilter(radiance), split_sum_table()
    for array in arrays:  # shared by every render (studio() is cached): nobody may write
        array.setflags(write=False)
    return Environment(sh=arrays[0], specular=arrays[1], lut=arrays[2])


def project_irradiance(radiance, rings: int = 48) -> np.ndarray:
    """(9, 3) float64 irradiance SH of ``radiance``: L_k = integral of L Y_k over the
    sphere, by Gauss-Legendre quadrature in y and the midpoint rule in azimuth (exact
    for the basis itself, so a constant radiance L gives E = pi L to rounding), times
    the cosine lobe's band factor A_l."""
    nodes, wy = np.polynomial.legendre.leggauss(rings)
    segments = 2 * rings
    azimuth = 2 * math.pi * (np.arange(segments) + 0.5) / segments
    y, phi = np.meshgrid(nodes, azimuth, indexing="ij")
    s = np.sqrt(1 - y * y)
    d = np.stack([s * np.sin(phi), y, -s * np.cos(phi)], axis=-1).reshape(-1, 3)
    weight = np.repeat(wy, segments) * (2 * math.pi / segments)
    coefficients = sh_basis(d).T @ (weight[:, None] * radiance(d))
    return coefficients * _BAND_SCALE[:, None]


def hammersley(count: int) -> np.ndarray:
    """(count, 2) float64 Hammersley points: (i / count, bit-reversed i)."""
    i = np.arange(count, dtype=np.uint64)
    bits = i.copy()
    bits = ((bits << np.uint64(16)) | (bits >> np.uint64(16))) & np.uint64(0xFFFFFFFF)
    bits = ((bits & np.uint64(0x55555555)) << np.uint64(1)) | ((bits & np.uint64(0xAAAAAAAA)) >> np.uint64(1))
    bits = ((bits & np.uint64(0x33333333)) << np.uint64(2)) | ((bits & np.uint64(0xCCCCCCCC)) >> np.uint64(2))
    bits = ((bits & np.uint64(0x0F0F0F0F)) << np.uint64(4)) | ((bits & np.uint64(0xF0F0F0F0)) >> np.uint64(4))
    bits = ((bits & np.uint64(0x00FF00FF)) << np.uint64(8)) | ((bits & np.uint64(0xFF00FF00)) >> np.uint64(8))
    return np.stack([i.astype(np.float64) / count, bits.astype(np.float64) / 2.0**32], axis=1)


def ggx_half_vectors(alpha: float, count: int) -> np.ndarray:
    """(count, 3) float64 GGX-distributed half vectors around +Z (Karis 2013's
    ImportanceSampleGGX on a Hammersley set), for alpha = roughness^2."""
    xi = hammersley(count)
    phi = 2 * math.pi * xi[:, 0]
    cos_t = np.sqrt((1 - xi[:, 1]) / (1 + (alpha * alpha - 1) * xi[:, 1]))
    sin_t = np.sqrt(np.maximum(0.0, 1 - cos_t * cos_t))
    return np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=1)


def prefilter(radiance, levels: int = LEVELS, height: int = MAP_HEIGHT, width: int = MAP_WIDTH) -> np.ndarray:
    """(levels, H, W, 3) float32 GGX-prefiltered radiance (Karis 2013, with N = V = R):
    level k, roughness k / (levels - 1), is sum L(l) (N.L) / sum (N.L) over GGX
    samples (a Hammersley set) around each texel's direction; level 0 is the radiance
    itself."""
    out = np.empty((levels, height, width, 3), np.float32)
    out[0] = radiance(texel_directions(height, width).reshape(-1, 3)).reshape(height, width, 3)
    for k in range(1, levels):
        roughness = k / (levels - 1)
        out[k] = _prefilter_level(radiance, roughness, height, width, _samples(roughness))
    return out


def _samples(roughness: float) -> int:
    """GGX samples per texel: wider lobes need more. Against 1536 samples on the studio,
    the largest texel error is 0.7, 0.8, 0.6, 1.1 and 2.0 % of the level's range at
    roughness 0.2, 0.4, 0.6, 0.8 and 1."""
    return {1: 64, 2: 128, 3: 192, 4: 256}.get(round(roughness * 5), 384)


def _prefilter_level(radiance, roughness: float, height: int, width: int, samples: int) -> np.ndarray:
    """(H, W, 3) float64 one prefiltered level."""
    r = texel_directions(height, width).reshape(-1, 3)
    # a frame around every texel direction: x = up x r, y = r x x
    up = np.where(np.abs(r[:, 1:2]) < 0.999, [[0.0, 1.0, 0.0]], [[1.0, 0.0, 0.0]])
    fx = np.cross(up, r)
    fx /= np.linalg.norm(fx, axis=1, keepdims=True)
    fy = np.cross(r, fx)
    h = ggx_half_vectors(roughness * roughness, samples)
    # with N = V = +Z, L = 2 (V.H) H - V is the same in every texel's frame
    local = 2 * h[:, 2:3] * h - np.array([0.0, 0.0, 1.0])
    keep = local[:, 2] > 0
    local, n_dot_l = local[keep], local[keep, 2]
    total = np.zeros((len(r), 3))
    for chunk in range(0, len(r), 2048):  # (texels, samples, 3) in slices: bounded memory
        part = slice(chunk, chunk + 2048)
        world = (
            fx[part, None, :] * local[None, :, 0:1]
            + fy[part, None, :] * local[None, :, 1:2]
            + r[part, None, :] * local[None, :, 2:3]
        )
        values = radiance(world.reshape(-1, 3)).reshape(world.shape)
        total[part] = np.einsum("tsc,s->tc", values, n_dot_l)
    return (total / n_dot_l.sum()).reshape(height, width, 3)


def split_sum_table(size: int = LUT_SIZE, samples: int = LUT_SAMPLES) -> np.ndarray:
    """(S, S, 2) float32 (A, B) table of ``Environment.lut`` by GGX importance sampling
    (Karis 2013's IntegrateBRDF with glTF's Vis): with H ~ D(H) (N.H) and L the mirror
    of V about H, each sample adds G_vis = 4 Vis (N.L) (V.H) / (N.H) times (1 - Fc, Fc),
    Fc = (1 - V.H)^5."""
    table = np.zeros((size, size, 2), np.float32)
    n_dot_v = (np.arange(size) + 1.0) / size  # (S,) rows
    v = np.stack([np.sqrt(1 - n_dot_v * n_dot_v), np.zeros(size), n_dot_v], axis=1)  # (S, 3)
    for j in range(size):
        roughness = j / (size - 1)
        a2 = roughness**4
        h = ggx_half_vectors(roughness * roughness, samples)  # (samples, 3)
        v_dot_h = v @ h.T  # (S, samples)
        n_dot_l = 2 * v_dot_h * h[None, :, 2] - n_dot_v[:, None]  # z of L = 2 (V.H) H - V
        nv = n_dot_v[:, None]
        nl = np.maximum(n_dot_l, 0.0)
        vh = np.maximum(v_dot_h, 0.0)
        denominator = nl * np.sqrt(nv * nv * (1 - a2) + a2) + nv * np.sqrt(nl * nl * (1 - a2) + a2)
        vis = np.where(n_dot_l > 0, 0.5 / np.maximum(denominator, 1e-300), 0.0)
        g_vis = 4 * vis * nl * vh / h[None, :, 2]
        fc = (1 - vh) ** 5
        table[:, j, 0] = ((1 - fc) * g_vis).sum(axis=1) / samples
        table[:, j, 1] = (fc * g_vis).sum(axis=1) / samples
    return table


def studio_radiance(directions: np.ndarray) -> np.ndarray:
    """(N, 3) float64 radiance of the built-in studio towards (N, 3) unit view-space
    directions: neutral (R = G = B), linear light.

    A soft key area overhead and a little towards the camera (centred 63 degrees up,
    fading smoothly to nothing 100 degrees away from its centre), a dimmer band around
    the horizon, a dim sky above it and a dark floor below, joined smoothly. Soft
    enough that 9 SH coefficients give its irradiance to within 1 % of the brightest
    (sharper edges measured 1.9 %). Scaled so that a white Lambertian sphere's brightest
    point reflects 1 (E / pi = 1 there).
    """
    d = np.asarray(directions, np.float64).reshape(-1, 3)
    y = d[:, 1]
    key = _smoothstep(math.cos(math.radians(100)), 1.0, d @ _KEY_DIRECTION)
    band = np.exp(-((y / 0.4) ** 2))
    sky = _smoothstep(-0.6, 0.6, y)  # 0 on the floor, 1 in the sky
    value = _SCALE * (_KEY * key + _BAND * band + _SKY * sky + _FLOOR * (1 - sky))
    return np.repeat(value[:, None], 3, axis=1)


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


_KEY_DIRECTION = np.array([0.0, 0.9, 0.45]) / math.hypot(0.9, 0.45)
_KEY, _BAND, _SKY, _FLOOR = 3.0, 0.7, 0.3, 0.08
_SCALE = 1 / 2.6973  # E / pi of the unscaled studio at its brightest normal (+Y tilted to the camera)


@lru_cache(maxsize=1)
def studio() -> Environment:
    """The built-in neutral studio environment (built once per process, ~0.5 s)."""
    return from_radiance(studio_radiance)
