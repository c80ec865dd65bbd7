"""Lights and the per-fragment shading of the Numba renderer.

A fan shows emissive LEDs on black: there is no background to read a shape
against, so besides a key and a fill light a rim term brightens the silhouette.
All lights are fixed to the camera (given in view space: +X right, +Y up, +Z
towards the viewer), so a turntable keeps the same lighting while the model spins.

Lit shading (linear light):
    diffuse  = base x (1 - 0.5 metallic)
    specular = mix(0.04, base, metallic), Blinn-Phong, exponent from roughness
    colour   = diffuse x (ambient + sum_i I_i max(N.L_i, 0))
             + specular x sum_i I_i spec_i + rim + emissive
    rim      = rim_strength x (1 - N.V)^rim_power x rim_color x (0.5 + 0.5 base)
PBR shading (``shading="pbr"``): glTF's metallic-roughness BRDF per punctual light,
see holopack.rendering.pbr_kernel.
Unlit shading (``shading="unlit"``, or a KHR_materials_unlit material):
    colour = base colour factor x texture x vertex colour, no emissive.
Alpha: OPAQUE gives 1; MASK discards below the cutoff and gives 1; BLEND gives
factor x texture x vertex alpha.

Numba inlines these functions into the kernels of raster_kernel.py, which caches those by
its own time stamp; raster_kernel.py therefore drops its cached kernels when this file
changes (holopack.kernel_cache).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..scene.transmission import transmitted_tint
from .lights import LIGHT_KEYS, Light, Lights  # noqa: F401  (re-exported: the shading model's inputs)
from .material_columns import (  # noqa: F401  (the table's columns, re-exported for the kernels)
    M_ALPHA,
    M_BASE,
    M_BASE_SET,
    M_BASE_TEX,
    M_COLUMNS,
    M_CUTOFF,
    M_DOUBLE,
    M_EM_SET,
    M_EM_TEX,
    M_EMISSIVE,
    M_MAPS,
    M_METALLIC,
    M_MR_TEX,
    M_NORMAL_SCALE,
    M_NORMAL_TEX,
    M_OCC_STRENGTH,
    M_OCC_TEX,
    M_PACK_LAYERS,
    M_PACK_OCC,
    M_PACK_TEX,
    M_PLAIN,
    M_ROUGHNESS,
    M_SHININESS,
    M_SPEC_FLOOR,
    M_SPEC_NORM,
    M_TINT,
    M_TRANSMISSION,
    M_UNLIT,
)
from .pbr_kernel import P_ENV, P_PBR_LENGTH, environment_light, shade_pbr
from .texture_kernel import texture_at

OPAQUE, MASK, BLEND = 0, 1, 2
ALPHA_MODES = {"OPAQUE": OPAQUE, "MASK": MASK, "BLEND": BLEND}

# columns of the packed material tables
MF_BASE, MF_EMISSIVE, MF_CUTOFF, MF_METALLIC, MF_ROUGHNESS = 0, 4, 7, 8, 9
MI_BASE_TEX, MI_BASE_SET, MI_EM_TEX, MI_EM_SET, MI_ALPHA, MI_DOUBLE, MI_UNLIT = 0, 1, 2, 3, 4, 5, 6
# the columns of the one float64 material table the kernels read (material_table):
# holopack.rendering.material_columns
# shading modes as the kernels take them (SHADING_MODES[shading])
LIT, UNLIT, PBR = 0, 1, 2
SHADING_MODES = {"lit": LIT, "unlit": UNLIT, "pbr": PBR}
# highlights weaker than this (times the peak) are skipped: below a 16-bit step
SPEC_EPSILON = 1e-5
# columns of the per-vertex attribute table: view-space position and normal, the UVs
# of the base colour texture and of the emissive texture (each its material's UV set
# through its KHR_texture_transform: an affine map commutes with interpolation, so it
# is applied once per vertex), linear RGBA vertex colour (one row per vertex: one
# cache line to read)
A_POS, A_NRM, A_UV, A_COL = 0, 3, 6, 10
A_BASE_UV, A_EM_UV = A_UV, A_UV + 2
A_COLUMNS = 14
# columns of the lights table (L, 6) (Lights.pack): view-space direction xyz, radiance rgb
L_DIR, L_RADIANCE = 0, 3
# entries of the lighting parameters (8,) (Lights.pack): ambient, rim strength, rim power,
# rim colour rgb, specular strength, 1 where the rim power takes the short path
LP_AMBIENT, LP_RIM, LP_RIM_POWER, LP_RIM_COLOR, LP_SPECULAR, LP_SHORT_POWER = 0, 1, 2, 3, 6, 7


def pack_materials(materials) -> tuple[np.ndarray, np.ndarray]:
    """Material tables for the kernels: (mat_f (K, 10) float32, mat_i (K, 8) int32).

    A default material (white, opaque) is appended as the last row for primitives
    whose material index is out of range.
    """
    k = len(materials) + 1
    mat_f = np.zeros((k, 10), np.float32)
    mat_i = np.full((k, 8), -1, np.int32)
    mat_f[-1, :4] = 1.0
    mat_f[-1, MF_CUTOFF] = 0.5
    mat_f[-1, MF_METALLIC] = 0.0
    mat_f[-1, MF_ROUGHNESS] = 1.0
    mat_i[-1, [MI_BASE_SET, MI_EM_SET, MI_ALPHA, MI_DOUBLE, MI_UNLIT]] = 0
    for row, m in enumerate(materials):
        mat_f[row, MF_BASE : MF_BASE + 4] = np.asarray(m.base_color_factor, np.float32).reshape(-1)[:4]
        mat_f[row, MF_EMISSIVE : MF_EMISSIVE + 3] = np.asarray(m.emissive_factor, np.float32).reshape(-1)[
            :3
        ] * np.float32(getattr(m, "emissive_strength", 1.0))
        mat_f[row, MF_CUTOFF] = m.alpha_cutoff
        mat_f[row, MF_METALLIC] = m.metallic_factor
        mat_f[row, MF_ROUGHNESS] = m.roughness_factor
        mat_i[row, MI_BASE_TEX] = -1 if m.base_color_texture is None else m.base_color_texture
        mat_i[row, MI_BASE_SET] = min(max(m.base_color_texcoord, 0), 1)
        mat_i[row, MI_EM_TEX] = -1 if m.emissive_texture is None else m.emissive_texture
        mat_i[row, MI_EM_SET] = min(max(m.emissive_texcoord, 0), 1)
        mat_i[row, MI_ALPHA] = ALPHA_MODES.get(str(m.alpha_mode).upper(), OPAQUE)
        mat_i[row, MI_DOUBLE] = 1 if m.double_sided else 0
        mat_i[row, MI_UNLIT] = 1 if m.unlit else 0
    return mat_f, mat_i


def material_table(
    materials,
    n_textures: int,
    data_textures: dict | None = None,
    occlusion: bool = False,
    packed: dict | None = None,
) -> np.ndarray:
    """(K + 1, M_COLUMNS) float64: pack_materials in one table (small integers are
    exact in float64); texture indices that point nowhere become -1 (no texture);
    then each material's Blinn-Phong exponent, its normalisation and the N.H below
    which its highlight is negligible. Fewer arrays make the kernels' calls cheaper.

    data_textures: for ``shading="pbr"``, scene texture index -> pool index of that
    texture decoded as linear data; the metallic-roughness, normal and occlusion
    maps found there fill pbr_kernel.py's columns (without it they stay -1: unused); the
    occlusion map's only with ``occlusion`` (a picture with an environment: the one
    light occlusion dims), so that no pixel samples it for nothing. packed: material
    row -> (pool index, layers, occlusion in the pack) of the materials whose maps
    are packed into one texture (pbr_setup.plan_maps); their separate map columns
    (and, with three layers, the base colour texture's) are -1."""
    mat_f, mat_i = pack_materials(materials)
    table = np.zeros((len(mat_f), M_COLUMNS), np.float64)
    table[:, [M_MR_TEX, M_NORMAL_TEX, M_OCC_TEX, M_PACK_TEX]] = -1.0
    table[:, M_NORMAL_SCALE] = 1.0
    table[:, M_OCC_STRENGTH] = 1.0
    for row, m in enumerate(materials):
        table[row, M_NORMAL_SCALE] = getattr(m, "normal_scale", 1.0)
        table[row, M_OCC_STRENGTH] = getattr(m, "occlusion_strength", 1.0)
        if data_textures is None:
            continue
        for column, name in (
            (M_MR_TEX, "metallic_roughness"),
            (M_NORMAL_TEX, "normal"),
            (M_OCC_TEX, "occlusion"),
        ):
            index = getattr(m, f"{name}_texture", None)
            if column == M_OCC_TEX and not occlusion:
                continue
            if index is not None and index in data_textures:
                table[row, column] = data_textures[index]
    table[:, :10] = mat_f
    table[:, 10:17] = mat_i[:, :7]
    for row, (pool_index, layers, occlusion_packed) in (packed or {}).items():
        table[row, [M_MR_TEX, M_NORMAL_TEX]] = -1.0
        table[row, M_PACK_TEX] = pool_index
        table[row, M_PACK_LAYERS] = layers
        if layers == 3:
            table[row, M_BASE_TEX] = -1.0
        if occlusion_packed:
            table[row, M_OCC_TEX] = -1.0
            table[row, M_PACK_OCC] = 1.0
    for row, m in enumerate(materials):
        table[row, M_TRANSMISSION] = min(max(float(getattr(m, "transmission_factor", 0.0)), 0.0), 1.0)
        table[row, M_TINT : M_TINT + 3] = transmitted_tint(m)
    table[-1, M_TINT : M_TINT + 3] = 1.0  # the fallback material
    table[:, M_MAPS] = np.any(table[:, [M_MR_TEX, M_NORMAL_TEX, M_OCC_TEX, M_PACK_TEX]] >= 0, axis=1)
    for column in (M_BASE_TEX, M_EM_TEX):
        table[table[:, column] >= n_textures, column] = -1
    rough = np.clip(table[:, M_ROUGHNESS], 0.02, 1.0)
    shininess = np.clip(2.0 / rough**4 - 2.0, 2.0, 512.0)
    table[:, M_SHININESS] = shininess
    table[:, M_SPEC_NORM] = (shininess + 8.0) / (8.0 * math.pi)
    table[:, M_SPEC_FLOOR] = SPEC_EPSILON ** (1.0 / shininess)  # N.H^s < epsilon below it
    return table


def material_key(materials) -> tuple:
    """Everything of ``materials`` that pack_materials and material_table read, as a
    tuple that compares equal only when their tables would be equal: the Renderer
    builds the table again only when it changes. Building it took 0.78 ms a frame for
    BrainStem's 59 materials (13 us a material), this key 0.1 ms."""
    return tuple(
        (
            np.asarray(m.base_color_factor, np.float32).tobytes(),
            np.asarray(m.emissive_factor, np.float32).tobytes(),
            getattr(m, "emissive_strength", 1.0),
            m.alpha_cutoff,
            m.metallic_factor,
            m.roughness_factor,
            m.base_color_texture,
            m.base_color_texcoord,
            m.emissive_texture,
            m.emissive_texcoord,
            str(m.alpha_mode),
            m.double_sided,
            m.unlit,
            getattr(m, "normal_scale", 1.0),
            getattr(m, "occlusion_strength", 1.0),
            getattr(m, "metallic_roughness_texture", None),
            getattr(m, "normal_texture", None),
            getattr(m, "occlusion_texture", None),
            getattr(m, "transmission_factor", 0.0),
            # what transmitted_tint reads, not the tint: working it out for the key
            # tripled the key's time (BrainStem: 0.63 ms a draw)
            getattr(m, "attenuation_distance", None),
            getattr(m, "thickness_factor", None),
            np.asarray(getattr(m, "attenuation_color", ()), np.float64).tobytes(),
        )
        for m in materials
    )


@njit(cache=True, error_model="numpy", inline="always")
def sample(t, column, verts, w, surface):
    """texture_at (trilinear RGBA of texture t at the fragment's UV, attr columns
    column and column + 1) with the argument groups of base_color."""
    _, attr, pool, levels, level_count, wrap = surface
    v0, v1, v2 = verts
    o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2 = w
    return texture_at(
        t, column, v0, v1, v2, o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2, attr, pool, levels, level_count, wrap
    )


@njit(cache=True, error_model="numpy")
def rim_falloff(edge, power, short):
    """edge ** power; with ``short`` (power = k/2 for a whole k <= 16) by products and
    a square root, several times faster than pow. Not inlined: one compiled copy
    serves every kernel that shades. The specular highlight takes it too (see
    short_power)."""
    if not short:
        return edge**power
    twice = int(2.0 * power + 0.5)
    falloff = 1.0
    for _ in range(twice // 2):
        falloff *= edge
    if twice % 2 == 1:
        falloff *= math.sqrt(edge)
    return falloff


@njit(cache=True, error_model="numpy", inline="always")
def short_power(power):
    """Whether rim_falloff may raise to ``power`` by products: power = k/2 for a whole
    k <= 16 (lights.Lights sets the rim's flag by the same rule)."""
    twice = 2.0 * power
    return 0.0 <= twice <= 16.0 and twice == math.floor(twice)


@njit(cache=True, error_model="numpy", inline="always")
def _unit(x, y, z, zero):
    """(x, y, z) scaled to length 1, or ``zero`` (a 3-tuple) where it has no length."""
    n = math.sqrt(x * x + y * y + z * z)
    if n > 0.0:
        inv = 1.0 / n  # one division, not three
        return x * inv, y * inv, z * inv
    return zero


def _texture_variant(textured: bool):
    """``(base_color, shade)`` with or without the texture sampler: ``textured`` (False
    when no material has a texture) is a constant of the closure, so that Numba drops
    the sampler's branches before it inlines anything. As an argument it was known only
    after inlining, and an untextured lit band shader inlined the sampler twice (about
    650 of the 1,930 variables of the inlined shader, whose every block Numba copies
    with all of them) only to drop it again."""

    @njit(cache=True, error_model="numpy", inline="always")
    def base_color(m, verts, w, surface):
        """Linear RGBA base colour (factor x texture x vertex colour) of a fragment.

        verts = (v0, v1, v2), the triangle's vertices; w = (o0, o1, o2, ox0, ox1, ox2, oy0,
        oy1, oy2), the perspective-correct barycentrics on them at the pixel centre, then
        one pixel right and one pixel down (for the texture's mip level). surface = (mat,
        attr, pool, levels, level_count, wrap): the material_table, the per-vertex table
        (A_* columns) and the texture pool. Without ``textured`` no texture is sampled
        (the sampler is not compiled at all).
        """
        mat, attr = surface[0], surface[1]
        v0, v1, v2 = verts
        o0, o1, o2 = w[0], w[1], w[2]
        if mat[m, M_PLAIN] == 1.0:
            # no vertex colours: the factor, without the vertices' colour columns
            r = mat[m, M_BASE]
            g = mat[m, M_BASE + 1]
            b = mat[m, M_BASE + 2]
            a = mat[m, M_BASE + 3]
        else:
            r = mat[m, M_BASE] * (o0 * attr[v0, A_COL] + o1 * attr[v1, A_COL] + o2 * attr[v2, A_COL])
            g = mat[m, M_BASE + 1] * (
                o0 * attr[v0, A_COL + 1] + o1 * attr[v1, A_COL + 1] + o2 * attr[v2, A_COL + 1]
            )
            b = mat[m, M_BASE + 2] * (
                o0 * attr[v0, A_COL + 2] + o1 * attr[v1, A_COL + 2] + o2 * attr[v2, A_COL + 2]
            )
            a = mat[m, M_BASE + 3] * (
                o0 * attr[v0, A_COL + 3] + o1 * attr[v1, A_COL + 3] + o2 * attr[v2, A_COL + 3]
            )
        t = int(mat[m, M_BASE_TEX])
        if textured and t >= 0:
            t0, t1, t2, t3 = sample(t, A_BASE_UV, verts, w, surface)
            r *= t0
            g *= t1
            b *= t2
            a *= t3
        return r, g, b, a

    @njit(cache=True, error_model="numpy", inline="always")
    def shade(m, verts, w, back, ortho, shading_mode, surface, lighting):
        """Linear RGB and alpha of one fragment (see the module doc for the model).
        verts, w, surface: as base_color's; back: the triangle faces away;
        ortho: the camera is orthographic. shading_mode: LIT, UNLIT or PBR, a compile-time
        constant (a kernel compiles only its own mode's code). lighting = (lights, params):
        lights (L, >= 6) float64 (punctual.pack_lights' table: the lit model reads its
        directional rows' first six columns), params the lighting parameters (LP_*)."""
        mat, attr, pool, levels, level_count, wrap = surface
        lights, params = lighting
        v0, v1, v2 = verts
        o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2 = w
        unlit = shading_mode == UNLIT or mat[m, M_UNLIT] == 1.0
        r, g, b, a = base_color(m, verts, w, surface)
        transmission = mat[m, M_TRANSMISSION]
        if transmission > 0.0:
            # the light that passes through is added by the translucent pass (over
            # what lies behind, tinted); the surface's own scattered colour is the rest
            keep = 1.0 - transmission
            r *= keep
            g *= keep
            b *= keep
        er = mat[m, M_EMISSIVE]
        eg = mat[m, M_EMISSIVE + 1]
        eb = mat[m, M_EMISSIVE + 2]
        t = int(mat[m, M_EM_TEX])
        if textured and t >= 0 and not unlit and (er > 0.0 or eg > 0.0 or eb > 0.0):
            t0, t1, t2, _ = sample(t, A_EM_UV, verts, w, surface)
            er *= t0
            eg *= t1
            eb *= t2
        mode = int(mat[m, M_ALPHA])
        if mode != BLEND:
            a = 1.0
        else:
            a = min(max(a, 0.0), 1.0)
        if unlit:
            return r, g, b, a
        nx = o0 * attr[v0, A_NRM + 0] + o1 * attr[v1, A_NRM + 0] + o2 * attr[v2, A_NRM + 0]
        ny = o0 * attr[v0, A_NRM + 1] + o1 * attr[v1, A_NRM + 1] + o2 * attr[v2, A_NRM + 1]
        nz = o0 * attr[v0, A_NRM + 2] + o1 * attr[v1, A_NRM + 2] + o2 * attr[v2, A_NRM + 2]
        nx, ny, nz = _unit(nx, ny, nz, (nx, ny, nz))
        if back:  # the back of a double-sided surface faces the viewer with its normal flipped
            nx, ny, nz = -nx, -ny, -nz
        if ortho:
            ex, ey, ez = 0.0, 0.0, 1.0
        else:
            ex = -(o0 * attr[v0, A_POS + 0] + o1 * attr[v1, A_POS + 0] + o2 * attr[v2, A_POS + 0])
            ey = -(o0 * attr[v0, A_POS + 1] + o1 * attr[v1, A_POS + 1] + o2 * attr[v2, A_POS + 1])
            ez = -(o0 * attr[v0, A_POS + 2] + o1 * attr[v1, A_POS + 2] + o2 * attr[v2, A_POS + 2])
            ex, ey, ez = _unit(ex, ey, ez, (0.0, 0.0, 1.0))
        if shading_mode == PBR:
            pr, pg, pb, cr, cg, cb, sx, sy, sz, f0r, f0g, f0b, rough, ao = shade_pbr(
                m, v0, v1, v2, o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2, nx, ny, nz, ex, ey, ez, back, r, g, b,
                mat, attr, pool, levels, level_count, wrap, lights,
            )  # fmt: skip
            if params.shape[0] >= P_PBR_LENGTH and params[P_ENV] == 1.0:
                dr, dg, db = environment_light(
                    params, sx, sy, sz, ex, ey, ez, cr, cg, cb, f0r, f0g, f0b, rough, ao
                )
                pr += dr
                pg += dg
                pb += db
            return pr + er, pg + eg, pb + eb, a
        metallic = min(max(mat[m, M_METALLIC], 0.0), 1.0)
        shininess = mat[m, M_SHININESS]
        spec_norm = params[LP_SPECULAR] * mat[m, M_SPEC_NORM]
        spec_floor = mat[m, M_SPEC_FLOOR]
        # a rough material's shininess is clamped to 2: products, not a pow per light and pixel
        spec_short = short_power(shininess)
        kd = 1.0 - 0.5 * metallic
        sr = 0.04 * (1.0 - metallic) + r * metallic
        sg = 0.04 * (1.0 - metallic) + g * metallic
        sb = 0.04 * (1.0 - metallic) + b * metallic
        dr = params[LP_AMBIENT]
        dg = params[LP_AMBIENT]
        db = params[LP_AMBIENT]
        hr = 0.0
        hg = 0.0
        hb = 0.0
        for i in range(lights.shape[0]):
            lx, ly, lz = lights[i, L_DIR], lights[i, L_DIR + 1], lights[i, L_DIR + 2]
            ndl = nx * lx + ny * ly + nz * lz
            if ndl <= 0.0:
                continue
            dr += lights[i, L_RADIANCE] * ndl
            dg += lights[i, L_RADIANCE + 1] * ndl
            db += lights[i, L_RADIANCE + 2] * ndl
            hx, hy, hz = lx + ex, ly + ey, lz + ez
            hn = math.sqrt(hx * hx + hy * hy + hz * hz)
            if hn > 0.0:
                ndh = (nx * hx + ny * hy + nz * hz) / hn
                if ndh <= spec_floor:  # the highlight would be below SPEC_EPSILON: skip pow
                    continue
                s = spec_norm * rim_falloff(ndh, shininess, spec_short) * ndl
                hr += lights[i, L_RADIANCE] * s
                hg += lights[i, L_RADIANCE + 1] * s
                hb += lights[i, L_RADIANCE + 2] * s
        ndv = min(max(nx * ex + ny * ey + nz * ez, 0.0), 1.0)
        rim = params[LP_RIM] * rim_falloff(1.0 - ndv, params[LP_RIM_POWER], params[LP_SHORT_POWER] == 1.0)
        out_r = kd * r * dr + sr * hr + rim * params[LP_RIM_COLOR] * (0.5 + 0.5 * r)
        out_g = kd * g * dg + sg * hg + rim * params[LP_RIM_COLOR + 1] * (0.5 + 0.5 * g)
        out_b = kd * b * db + sb * hb + rim * params[LP_RIM_COLOR + 2] * (0.5 + 0.5 * b)
        return out_r + er, out_g + eg, out_b + eb, a

    return base_color, shade


# each variant a global of its own: a kernel names them as globals (a compiled function
# reached through a closure would change the kernel's cache key on every run)
base_color_textured, shade_textured = _texture_variant(True)
base_color_untextured, shade_untextured = _texture_variant(False)
