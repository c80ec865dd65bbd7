"""glTF 2.0 metallic-roughness shading (``shading="pbr"``), called from the kernels.

The BRDF is the glTF 2.0 specification's Appendix B, per punctual light
(holopack.rendering.punctual), in linear light, view space:

    c_diff = lerp(base.rgb, 0, metallic)      F0 = lerp(0.04, base.rgb, metallic)
    alpha  = roughness^2
    F   = F0 + (1 - F0) (1 - |V.H|)^5
    D   = alpha^2 / (pi ((N.H)^2 (alpha^2 - 1) + 1)^2)
    Vis = 0.5 / (N.L sqrt((N.V)^2 (1 - alpha^2) + alpha^2) + N.V sqrt((N.L)^2 (1 - alpha^2) + alpha^2))
    f   = (1 - F) c_diff / pi + F D Vis
    radiance += f E_light max(N.L, 0)

plus the emission (emissive factor x texture x emissive strength) once. N.V, N.H
and V.H are clamped to [0, 1]; lights with N.L <= 0 add nothing; Vis is 0 where its
denominator is 0 (N.L = N.V = 0).

Metallic and roughness are their factors times the metallic-roughness texture's B
and G; the normal comes from the normal texture through the tangent frame (T, B =
w N x T, N) of the interpolated vertex tangent, Gram-Schmidt'ed against the
interpolated normal; the back of a double-sided surface flips all three. Occlusion
(1 + strength x (R - 1) of the linear occlusion map) scales the image-based
(environment) light only, so without an environment it has no effect.

Environment (``params[P_ENV] == 1``; holopack.rendering.environment.Environment's
layouts, view space): diffuse ``c_diff / pi x E(n)`` from the irradiance in spherical
harmonics, ``E(n) = sum_k sh[k] Y_k(n)`` (real SH to band 2, order Y00, Y1-1, Y10,
Y11, Y2-2, Y2-1, Y20, Y21, Y22), plus specular ``prefiltered(R, roughness) x (F0 A +
B)`` (split sum, R the eye's mirror about N), both times the occlusion. ``sh`` (9, 3)
sits in ``params[P_SH:P_SH + 27]`` (k-major), then the specular maps' and table's
sizes and the arrays themselves (P_SPEC onwards): one float64 vector, so the kernels'
signatures stay as they are. The material table's columns (holopack.rendering.material_columns)
and the vertex table's (A_MR_UV...) are set by holopack.rendering.shading.material_table
and the renderer.

Maps: a material whose normal and metallic-roughness maps (and opaque base colour)
share UVs, size and wrap has them packed texel by texel into one pool texture
(holopack.rendering.pbr_setup.plan_maps, texture.TexturePool.pack); ``packed_maps``
works out one level of detail and one set of taps for all its layers, which gives
what separate fetches give to the bit. Other maps are fetched one by one.

``shade_pbr`` is compiled once and called from raster_kernel.py's kernels, not inlined into
each (see the comment above it and holopack.kernel_cache). The opaque pass shades a tile
row at a time instead (raster_kernel._span_kernel): ``surface_maps`` and ``light_from``
are shade_pbr's steps it shares, the ``*_lanes`` functions the rest of them over a
table of fragments (Q_* rows), each the same operations to the bit.
"""

from __future__ import annotations

import math

from numba import njit

from ..kernel_cache import refresh

# shade_pbr and environment_light are cached on their own (not inlined into raster_kernel.py's
# kernels): they compile texture_kernel.py's samplers and the columns of punctual.py and
# material_columns.py into themselves
refresh(__file__, ["texture_kernel.py", "texel_mix.py", "punctual.py", "material_columns.py"])

from . import material_columns as col  # noqa: E402  (as above)
from .punctual import DIRECTIONAL, L_KIND, L_POSITION, L_RANGE, L_SPOT_DIR, L_SPOT_OFFSET, L_SPOT_SCALE, SPOT  # noqa: E402
from .texel_mix import data_pointer, mix_texels, prefetch_texel  # noqa: E402
from .texture_kernel import (  # noqa: E402
    fragment_uv,
    levels_and_period,
    nearest_centre,
    taps_at,
    texture_at,
)

INV_PI = 1.0 / math.pi
# vertex table columns: the UVs of the metallic-roughness, normal and occlusion
# textures (each through its texCoord set and KHR_texture_transform), and the
# view-space tangent xyz and bitangent sign w
A_MR_UV, A_NORMAL_UV, A_OCC_UV, A_TAN = 14, 16, 18, 20
A_PBR_COLUMNS = 24
# the params vector after the lit model's 8 terms: environment flag, then its SH
P_ENV, P_SH = 8, 9
P_PBR_LENGTH = P_SH + 27
# then the environment's prefiltered specular maps and split-sum table, when it has
# them: their sizes, the maps (levels, H, W, 3) and the table (S, S, 2), flattened
P_SPEC_LEVELS, P_SPEC_H, P_SPEC_W, P_LUT_SIZE = 36, 37, 38, 39
P_SPEC = 40
# real spherical harmonics constants, bands 0-2
SH_C0, SH_C1, SH_C2, SH_C3, SH_C4 = 0.282095, 0.488603, 1.092548, 0.315392, 0.546274


@njit(cache=True, error_model="numpy", inline="always")
def brdf_light(nx, ny, nz, vx, vy, vz, lx, ly, lz, ndv, cr, cg, cb, f0r, f0g, f0b, alpha2, view_term):
    """Appendix B's f x max(N.L, 0) for one light direction L (unit, towards the
    light): (r, g, b) to multiply by the light's irradiance; 0 when N.L <= 0.
    (cr, cg, cb): c_diff / pi; view_term: sqrt((N.V)^2 (1 - alpha^2) + alpha^2), the
    same for every light (see view_terms)."""
    ndl = nx * lx + ny * ly + nz * lz
    if ndl <= 0.0:
        return 0.0, 0.0, 0.0
    ndl = min(ndl, 1.0)
    # H = (L + V) / |L + V| is never formed: for unit L and V, V.H = |L + V| / 2, and
    # (N.H)^2 = (N.(L + V))^2 / |L + V|^2 joins D x Vis's one division below
    hx, hy, hz = lx + vx, ly + vy, lz + vz
    hn = hx * hx + hy * hy + hz * hz
    nh = max(nx * hx + ny * hy + nz * hz, 0.0)
    nh2 = min(nh * nh, hn)  # N.H <= 1
    vdh = min(0.5 * math.sqrt(hn), 1.0)
    k = 1.0 - vdh
    k2 = k * k
    k5 = k2 * k2 * k  # (1 - |V.H|)^5 by products, not pow
    fr = f0r + (1.0 - f0r) * k5
    fg = f0g + (1.0 - f0g) * k5
    fb = f0b + (1.0 - f0b) * k5
    # D x Vis = alpha^2 / pi / q^2 x 0.5 / denom with q = (N.H)^2 (alpha^2 - 1) + 1,
    # = alpha^2 / pi x 0.5 |H|^4 / ((N.(L+V))^2 (alpha^2 - 1) + |H|^2)^2 / denom: one division
    denom = ndl * view_term + ndv * math.sqrt(ndl * ndl * (1.0 - alpha2) + alpha2)
    if hn > 0.0:
        qh = nh2 * (alpha2 - 1.0) + hn
        qqd = qh * qh * denom
        s = 0.5 * alpha2 * INV_PI * hn * hn / qqd if qh > 0.0 and denom > 0.0 else 0.0
    else:  # L = -V: H is undefined and N.H taken as 0, so q = 1
        s = 0.5 * alpha2 * INV_PI / denom if denom > 0.0 else 0.0
    return (
        ((1.0 - fr) * cr + fr * s) * ndl,
        ((1.0 - fg) * cg + fg * s) * ndl,
        ((1.0 - fb) * cb + fb * s) * ndl,
    )


@njit(cache=True, error_model="numpy", inline="always")
def view_terms(ndv, cr, cg, cb, alpha2):
    """What brdf_light takes once per fragment: c_diff / pi and the view's term of
    Vis's denominator, sqrt((N.V)^2 (1 - alpha^2) + alpha^2)."""
    return cr * INV_PI, cg * INV_PI, cb * INV_PI, math.sqrt(ndv * ndv * (1.0 - alpha2) + alpha2)


# Called, not inlined, with its arrays as pointers to their first elements, as
# texture_kernel's sampler (_sample_at): inlined with whole Numba arrays, it was copied
# into the span shader's two textured variants and into shade_pbr, and its array
# structures stayed live through the span shader's fetch loop.
@njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def packed_maps(texels, levels, level_count, wrap, t, layers, u, v, dudx, dvdx, dudy, dvdy):
    """Trilinear sample of a packed texture (texture.TexturePool.pack's ``packs``):
    ``layers`` RGBA layers per texel, the last two the normal and the metallic-
    roughness maps, the first the base colour when there are three. One level of
    detail, one set of taps and weights for all layers: (base rgb, normal rgb,
    metallic-roughness rgb), each exactly what texture.sample_trilinear gives for
    that texture alone (base 0 with two layers). The arrays as pointers to their
    first elements (texel_mix.data_pointer), as texture_kernel._sample_at takes them:
    texels uint16 (P x 4), levels int64 (T x MAX_LEVELS x 3), level_count int32 (T),
    wrap int32 (T x 2), each flattened row-major."""
    row, u, v, l0, f, mode_s, mode_t, nearest = levels_and_period(
        levels, level_count, wrap, t, u, v, dudx, dvdx, dudy, dvdy
    )
    first = layers - 2
    c0 = c1 = c2 = n0 = n1 = n2 = q0 = q1 = q2 = 0.0
    for i in range(2):
        weight = 1.0 - f if i == 0 else f
        if weight <= 0.0:
            continue
        at = row + 3 * (l0 + i)
        offset, width, height = levels[at], levels[at + 1], levels[at + 2]
        su, sv = u, v
        if nearest:  # a sampler's NEAREST (texture_kernel.lod)
            su = nearest_centre(u, width)
            sv = nearest_centre(v, height)
        i00, i01, i10, i11, w00, w01, w10, w11 = taps_at(
            offset, width, height, su, sv, mode_s, mode_t, layers
        )
        # The next fragment of a row (one pixel right: (u + du/dx, v + dv/dx)) reads about
        # here: ask for its two texel rows now. A fragment takes longer than a miss
        # to memory, and packed texels (two or three layers) miss the cache most.
        nx = min(max(int((u + dudx) * width - 0.5), 0), width - 1)
        ny = min(max(int((v + dvdx) * height - 0.5), 0), height - 1)
        ahead = offset + (ny * width + nx) * layers
        below = ahead + width * layers if ny + 1 < height else ahead
        prefetch_texel(texels, ahead)
        prefetch_texel(texels, ahead + 2 * layers - 1)
        prefetch_texel(texels, below)
        prefetch_texel(texels, below + 2 * layers - 1)
        if first == 1:
            x0, x1, x2, _ = mix_texels(texels, i00, i01, i10, i11, w00, w01, w10, w11)
            c0 += weight * x0
            c1 += weight * x1
            c2 += weight * x2
        x0, x1, x2, _ = mix_texels(
            texels, i00 + first, i01 + first, i10 + first, i11 + first, w00, w01, w10, w11
        )
        n0 += weight * x0
        n1 += weight * x1
        n2 += weight * x2
        k = first + 1
        x0, x1, x2, _ = mix_texels(texels, i00 + k, i01 + k, i10 + k, i11 + k, w00, w01, w10, w11)
        q0 += weight * x0
        q1 += weight * x1
        q2 += weight * x2
    return c0, c1, c2, n0, n1, n2, q0, q1, q2


# Inlined into shade_pbr and into the span shader (raster_kernel._span_kernel), a copy in
# each. Compiled once and called from both, a cold FlightHelmet pbr frame (whose glass
# compiles the translucent pass's shade_pbr too) took 47.2-48.2 CPU s to compile instead
# of 61.5-63.9 (43.7-44.3 before span shading), but the call per fragment cost the
# shading pass 4.5 ms of one thread (41.1-41.5 ms against 36.5-37.0), which put
# bench_pbr.py's pbr/unlit at 1.53-1.54, over the 1.5. A picture without
# translucent pbr materials compiles only the span shader's copy (Duck's cold pbr frame:
# 48.2 CPU s against 34.4 before span shading: the span shader itself costs the most).
@njit(cache=True, error_model="numpy", inline="always")
def surface_maps(
    m, r, g, b, v0, v1, v2, o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2, mat, attr, pool, levels, level_count, wrap
):  # fmt: skip
    """What material m's maps make of a fragment: base colour (r, g, b) times a packed
    base layer, metallic and roughness (factors times the map, clamped), the
    occlusion (1 without a map) and the normal map's texel (0 without one): nine
    values. A packed material samples all its maps in one fetch."""
    metallic = mat[m, col.M_METALLIC]
    rough = mat[m, col.M_ROUGHNESS]
    ao = 1.0
    s0 = s1 = s2 = 0.0
    packed = int(mat[m, col.M_PACK_TEX])
    if packed >= 0:
        u, v, dudx, dvdx, dudy, dvdy = fragment_uv(
            A_NORMAL_UV, v0, v1, v2, o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2, attr
        )
        layers = int(mat[m, col.M_PACK_LAYERS])
        c0, c1, c2, s0, s1, s2, q0, q1, q2 = packed_maps(
            data_pointer(pool),
            data_pointer(levels),
            data_pointer(level_count),
            data_pointer(wrap),
            packed,
            layers,
            u,
            v,
            dudx,
            dvdx,
            dudy,
            dvdy,
        )
        if layers == 3:  # the base colour texture is the first layer
            r *= c0
            g *= c1
            b *= c2
        rough *= q1
        metallic *= q2
        if mat[m, col.M_PACK_OCC] == 1.0:  # the occlusion is the metallic-roughness map's R
            ao = 1.0 + mat[m, col.M_OCC_STRENGTH] * (q0 - 1.0)
    else:
        t = int(mat[m, col.M_MR_TEX])
        if t >= 0:
            _, sg, sb, _ = texture_at(
                t, A_MR_UV, v0, v1, v2, o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2, attr, pool, levels, level_count, wrap
            )  # fmt: skip
            rough *= sg
            metallic *= sb
        t = int(mat[m, col.M_NORMAL_TEX])
        if t >= 0:
            s0, s1, s2, _ = texture_at(
                t, A_NORMAL_UV, v0, v1, v2, o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2, attr, pool, levels, level_count, wrap
            )  # fmt: skip
    t = int(mat[m, col.M_OCC_TEX])  # set only when the picture has an environment
    if t >= 0:
        q0, _, _, _ = texture_at(
            t, A_OCC_UV, v0, v1, v2, o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2, attr, pool, levels, level_count, wrap
        )  # fmt: skip
        ao = 1.0 + mat[m, col.M_OCC_STRENGTH] * (q0 - 1.0)
    metallic = min(max(metallic, 0.0), 1.0)
    rough = min(max(rough, 0.0), 1.0)
    return r, g, b, metallic, rough, ao, s0, s1, s2


@njit(cache=True, error_model="numpy", inline="always")
def light_from(lights, i, px, py, pz):
    """Point or spot light i (KHR_lights_punctual) seen from view-space position (px,
    py, pz): (on, unit direction to it, irradiance rgb); on is False where it adds
    nothing (at the light itself, beyond its range or outside its cone)."""
    er = lights[i, 3]
    eg = lights[i, 4]
    eb = lights[i, 5]
    lx = lights[i, L_POSITION] - px
    ly = lights[i, L_POSITION + 1] - py
    lz = lights[i, L_POSITION + 2] - pz
    d2 = lx * lx + ly * ly + lz * lz
    if d2 <= 0.0:
        return False, lx, ly, lz, er, eg, eb
    inv = 1.0 / math.sqrt(d2)
    lx *= inv
    ly *= inv
    lz *= inv
    att = 1.0 / d2
    rng = lights[i, L_RANGE]
    if rng > 0.0:
        q = d2 / (rng * rng)
        w = min(max(1.0 - q * q, 0.0), 1.0)
        att *= w * w
    if lights[i, L_KIND] == SPOT:
        cd = -(lights[i, L_SPOT_DIR] * lx + lights[i, L_SPOT_DIR + 1] * ly + lights[i, L_SPOT_DIR + 2] * lz)
        st = min(max(cd * lights[i, L_SPOT_SCALE] + lights[i, L_SPOT_OFFSET], 0.0), 1.0)
        att *= st * st
    if att <= 0.0:
        return False, lx, ly, lz, er, eg, eb
    return True, lx, ly, lz, er * att, eg * att, eb * att


@njit(cache=True, error_model="numpy", inline="always")
def normal_mapped(s0, s1, s2, scale, nx, ny, nz, back, v0, v1, v2, o0, o1, o2, attr):
    """The shading normal through the normal map's texel (s0, s1, s2); (nx, ny, nz)
    as it is where the vertices carry no tangent. normal_lanes is the same over a
    span's lanes."""
    tx = o0 * attr[v0, A_TAN] + o1 * attr[v1, A_TAN] + o2 * attr[v2, A_TAN]
    ty = o0 * attr[v0, A_TAN + 1] + o1 * attr[v1, A_TAN + 1] + o2 * attr[v2, A_TAN + 1]
    tz = o0 * attr[v0, A_TAN + 2] + o1 * attr[v1, A_TAN + 2] + o2 * attr[v2, A_TAN + 2]
    tw = o0 * attr[v0, A_TAN + 3] + o1 * attr[v1, A_TAN + 3] + o2 * attr[v2, A_TAN + 3]
    # Gram-Schmidt against the (possibly flipped) normal; flipping N and T
    # together keeps N x T, so the bitangent's own flip is explicit below
    dot = tx * nx + ty * ny + tz * nz
    tx -= dot * nx
    ty -= dot * ny
    tz -= dot * nz
    tn = math.sqrt(tx * tx + ty * ty + tz * tz)
    if not tn > 1e-12:
        return nx, ny, nz
    inv = 1.0 / tn
    tx *= inv
    ty *= inv
    tz *= inv
    if back:
        tx, ty, tz = -tx, -ty, -tz
    sign = 1.0 if tw >= 0.0 else -1.0
    if back:
        sign = -sign
    bx = sign * (ny * tz - nz * ty)
    by = sign * (nz * tx - nx * tz)
    bz = sign * (nx * ty - ny * tx)
    px = (2.0 * s0 - 1.0) * scale
    py = (2.0 * s1 - 1.0) * scale
    pz = 2.0 * s2 - 1.0
    mx = tx * px + bx * py + nx * pz
    my = ty * px + by * py + ny * pz
    mz = tz * px + bz * py + nz * pz
    mn = math.sqrt(mx * mx + my * my + mz * mz)
    if mn > 0.0:
        inv = 1.0 / mn
        return mx * inv, my * inv, mz * inv
    return nx, ny, nz


# Not inlined: compiled once as its own function and called, instead of copied into every
# kernel that inlines shading.shade. Inlined, it made the first run's compile (cold cache,
# the twin to the 42-F2, lit shading) 64 s against 41 s without PBR, idle 2 cores.
# Without Numba's reference counting (_nrt=False; it allocates nothing): with it, every
# call took a reference to each of its seven arrays on entry and gave it back on return,
# fourteen atomic operations per fragment on counters that all threads share.
@njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def shade_pbr(
    m, v0, v1, v2, o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2, nx, ny, nz, ex, ey, ez, back, r, g, b,
    mat, attr, pool, levels, level_count, wrap, lights,
):  # fmt: skip
    """Linear RGB reflected by a fragment of material m from the punctual lights
    (without its emission), then what environment_light needs: c_diff (3), the
    normal-mapped normal (3), F0 (3), roughness and the occlusion: fourteen values. Base colour (r, g, b), unit shading
    normal (nx, ny, nz) (already flipped on a back face), unit direction to the eye
    (ex, ey, ez), view space. lights: the (L, LIGHT_COLUMNS) table of
    holopack.rendering.punctual.pack_lights. (Thirty arguments at most: CPython
    passes more through a tuple, a call Numba's inliner refuses.)"""
    r, g, b, metallic, rough, ao, s0, s1, s2 = surface_maps(
        m, r, g, b, v0, v1, v2, o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2, mat, attr, pool, levels, level_count, wrap
    )  # fmt: skip
    if mat[m, col.M_NORMAL_TEX] >= 0.0 or mat[m, col.M_PACK_TEX] >= 0.0:
        nx, ny, nz = normal_mapped(
            s0, s1, s2, mat[m, col.M_NORMAL_SCALE], nx, ny, nz, back, v0, v1, v2, o0, o1, o2, attr
        )
    cr = r * (1.0 - metallic)
    cg = g * (1.0 - metallic)
    cb = b * (1.0 - metallic)
    f0r = 0.04 + (r - 0.04) * metallic
    f0g = 0.04 + (g - 0.04) * metallic
    f0b = 0.04 + (b - 0.04) * metallic
    alpha = rough * rough
    alpha2 = alpha * alpha
    ndv = min(max(nx * ex + ny * ey + nz * ez, 0.0), 1.0)
    dr, dg, db, view_term = view_terms(ndv, cr, cg, cb, alpha2)
    out_r = 0.0
    out_g = 0.0
    out_b = 0.0
    px = 0.0
    py = 0.0
    pz = 0.0
    positioned = False
    for i in range(lights.shape[0]):
        if lights[i, L_KIND] == DIRECTIONAL:
            lx, ly, lz = lights[i, 0], lights[i, 1], lights[i, 2]
            er = lights[i, 3]
            eg = lights[i, 4]
            eb = lights[i, 5]
        else:
            if not positioned:
                px = o0 * attr[v0, 0] + o1 * attr[v1, 0] + o2 * attr[v2, 0]
                py = o0 * attr[v0, 1] + o1 * attr[v1, 1] + o2 * attr[v2, 1]
                pz = o0 * attr[v0, 2] + o1 * attr[v1, 2] + o2 * attr[v2, 2]
                positioned = True
            on, lx, ly, lz, er, eg, eb = light_from(lights, i, px, py, pz)
            if not on:
                continue
        fr, fg, fb = brdf_light(
            nx, ny, nz, ex, ey, ez, lx, ly, lz, ndv, dr, dg, db, f0r, f0g, f0b, alpha2, view_term
        )
        out_r += fr * er
        out_g += fg * eg
        out_b += fb * eb
    return out_r, out_g, out_b, cr, cg, cb, nx, ny, nz, f0r, f0g, f0b, rough, ao


@njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]  # as shade_pbr
def environment_light(params, nx, ny, nz, ex, ey, ez, cr, cg, cb, f0r, f0g, f0b, rough, ao):
    """The environment's light reflected towards the eye (ex, ey, ez) by the normal
    (nx, ny, nz), times the occlusion ao: c_diff / pi x E(n) (SH irradiance) plus,
    when params holds the prefiltered maps, prefiltered(R, roughness) x (F0 A + B)
    (split sum; R the mirror of the eye about N). Called, not inlined: only pictures
    with an environment need it. params: see the module doc (P_* layout)."""
    ir, ig, ib = sh_irradiance(params, nx, ny, nz)
    out_r = cr * INV_PI * max(ir, 0.0)
    out_g = cg * INV_PI * max(ig, 0.0)
    out_b = cb * INV_PI * max(ib, 0.0)
    if params.shape[0] > P_SPEC and params[P_SPEC_LEVELS] > 0.0:
        ndv_raw = nx * ex + ny * ey + nz * ez
        rx = 2.0 * ndv_raw * nx - ex
        ry = 2.0 * ndv_raw * ny - ey
        rz = 2.0 * ndv_raw * nz - ez
        rn = math.sqrt(rx * rx + ry * ry + rz * rz)
        if rn > 0.0:
            rx /= rn
            ry /= rn
            rz /= rn
        sr, sg, sb = prefiltered_radiance(params, rx, ry, rz, rough)
        a, b = split_sum(params, min(max(ndv_raw, 0.0), 1.0), rough)
        out_r += sr * (f0r * a + b)
        out_g += sg * (f0g * a + b)
        out_b += sb * (f0b * a + b)
    return out_r * ao, out_g * ao, out_b * ao


@njit(cache=True, error_model="numpy", inline="always")
def prefiltered_radiance(params, x, y, z, rough):
    """The environment's GGX-prefiltered radiance towards unit (x, y, z) for a
    roughness: equirectangular maps (holopack.rendering.environment.Environment's
    ``specular`` layout) bilinear in (u, v), wrapping in u, clamped in v; linear
    between the two nearest roughness levels."""
    levels = int(params[P_SPEC_LEVELS])
    height = int(params[P_SPEC_H])
    width = int(params[P_SPEC_W])
    level = min(max(rough, 0.0), 1.0) * (levels - 1)
    low = min(int(math.floor(level)), levels - 1)
    high = min(low + 1, levels - 1)
    frac = level - low
    u = 0.5 + math.atan2(x, -z) / (2.0 * math.pi)
    u -= math.floor(u)
    v = math.acos(min(max(y, -1.0), 1.0)) / math.pi
    px = u * width - 0.5
    py = min(max(v * height - 0.5, 0.0), height - 1.0)
    x0 = int(math.floor(px))
    y0 = min(int(math.floor(py)), height - 1)
    fx = px - x0
    fy = py - y0
    y1 = min(y0 + 1, height - 1)
    x1 = (x0 + 1) % width
    x0 = x0 % width
    out_r = 0.0
    out_g = 0.0
    out_b = 0.0
    for which in range(2):
        k = low if which == 0 else high
        weight = 1.0 - frac if which == 0 else frac
        if weight <= 0.0:
            continue
        base = P_SPEC + k * height * width * 3
        i00 = base + (y0 * width + x0) * 3
        i01 = base + (y0 * width + x1) * 3
        i10 = base + (y1 * width + x0) * 3
        i11 = base + (y1 * width + x1) * 3
        w00 = (1.0 - fx) * (1.0 - fy) * weight
        w01 = fx * (1.0 - fy) * weight
        w10 = (1.0 - fx) * fy * weight
        w11 = fx * fy * weight
        out_r += w00 * params[i00] + w01 * params[i01] + w10 * params[i10] + w11 * params[i11]
        out_g += w00 * params[i00 + 1] + w01 * params[i01 + 1] + w10 * params[i10 + 1] + w11 * params[i11 + 1]
        out_b += w00 * params[i00 + 2] + w01 * params[i01 + 2] + w10 * params[i10 + 2] + w11 * params[i11 + 2]
    return out_r, out_g, out_b


@njit(cache=True, error_model="numpy", inline="always")
def split_sum(params, n_dot_v, rough):
    """(A, B) of the split-sum table (Environment.lut's layout: entry [i, j] for
    N.V = (i + 1) / S, roughness = j / (S - 1)), bilinear, clamped at its ends."""
    size = int(params[P_LUT_SIZE])
    start = P_SPEC + int(params[P_SPEC_LEVELS]) * int(params[P_SPEC_H]) * int(params[P_SPEC_W]) * 3
    i = min(max(n_dot_v * size - 1.0, 0.0), size - 1.0)
    j = min(max(rough * (size - 1), 0.0), size - 1.0)
    i0 = min(int(math.floor(i)), size - 2)
    j0 = min(int(math.floor(j)), size - 2)
    fi = i - i0
    fj = j - j0
    a00 = start + (i0 * size + j0) * 2
    a01 = start + (i0 * size + j0 + 1) * 2
    a10 = start + ((i0 + 1) * size + j0) * 2
    a11 = start + ((i0 + 1) * size + j0 + 1) * 2
    a = (params[a00] * (1.0 - fj) + params[a01] * fj) * (1.0 - fi) + (
        params[a10] * (1.0 - fj) + params[a11] * fj
    ) * fi
    b = (params[a00 + 1] * (1.0 - fj) + params[a01 + 1] * fj) * (1.0 - fi) + (
        params[a10 + 1] * (1.0 - fj) + params[a11 + 1] * fj
    ) * fi
    return a, b


@njit(cache=True, error_model="numpy", inline="always")
def sh_irradiance(params, x, y, z):
    """E(n) = sum_k sh[k] Y_k(n) for unit n = (x, y, z), sh in params[P_SH:] (k-major)."""
    y0 = SH_C0
    y1 = SH_C1 * y
    y2 = SH_C1 * z
    y3 = SH_C1 * x
    y4 = SH_C2 * x * y
    y5 = SH_C2 * y * z
    y6 = SH_C3 * (3.0 * z * z - 1.0)
    y7 = SH_C2 * x * z
    y8 = SH_C4 * (x * x - y * y)
    out_r = 0.0
    out_g = 0.0
    out_b = 0.0
    for c in range(3):
        p = P_SH + c
        e = (
            params[p] * y0
            + params[p + 3] * y1
            + params[p + 6] * y2
            + params[p + 9] * y3
            + params[p + 12] * y4
            + params[p + 15] * y5
            + params[p + 18] * y6
            + params[p + 21] * y7
            + params[p + 24] * y8
        )
        if c == 0:
            out_r = e
        elif c == 1:
            out_g = e
        else:
            out_b = e
    return out_r, out_g, out_b


# The lane table of the span shader (raster_kernel._span_kernel): (Q_COLUMNS, lanes)
# float64, one row per quantity, one column per fragment of a tile row. The texture
# fetches fill it fragment by fragment; the stages below then run over all its lanes
# in plain loops without calls or early exits, which LLVM turns into vector code.
Q_NX, Q_NY, Q_NZ = 0, 1, 2  # the interpolated normal, then the unit shading normal
Q_EX, Q_EY, Q_EZ = 3, 4, 5  # minus the view-space position (the eye), then its unit
Q_TX, Q_TY, Q_TZ, Q_TW = 6, 7, 8, 9  # the interpolated tangent and bitangent sign
Q_S0, Q_S1, Q_S2 = 10, 11, 12  # the normal map's texel
Q_SCALE, Q_MAPPED, Q_BACK = 13, 14, 15  # normal scale; 1 where normal-mapped; 1 on a back face
Q_R, Q_G, Q_B = 16, 17, 18  # base colour
Q_METALLIC, Q_ROUGH, Q_AO = 19, 20, 21
Q_ER, Q_EG, Q_EB = 22, 23, 24  # emission
Q_CR, Q_CG, Q_CB = 25, 26, 27  # c_diff
Q_F0R, Q_F0G, Q_F0B = 28, 29, 30
Q_ALPHA2, Q_NDV, Q_VIEW = 31, 32, 33  # alpha^2, clamped N.V, view_terms' Vis term
Q_DR, Q_DG, Q_DB = 34, 35, 36  # c_diff / pi
Q_OR, Q_OG, Q_OB = 37, 38, 39  # light reflected from the punctual lights
Q_KIND = 40  # K_EMPTY, K_UNLIT (its colour in Q_R...) or K_PBR
Q_PX, Q_PY, Q_PZ = 41, 42, 43  # the view-space position (for point and spot lights)
Q_LOBE = 44  # 0.5 alpha^2 / pi: the factor of D x Vis that no light changes
Q_COLUMNS = 45
K_EMPTY, K_UNLIT, K_PBR = 0.0, 1.0, 2.0


@njit(cache=True, error_model="numpy", inline="always")
def unit_lanes(lanes, n, ortho):
    """Lanes 0..n-1: the normal to unit length (as it is where it has none) and
    flipped on back faces; the eye direction to unit length ((0, 0, 1) where it has
    none, and always under an orthographic camera)."""
    for i in range(n):
        x = lanes[Q_NX, i]
        y = lanes[Q_NY, i]
        z = lanes[Q_NZ, i]
        length = math.sqrt(x * x + y * y + z * z)
        inv = 1.0 / length
        ok = length > 0.0
        x = x * inv if ok else x
        y = y * inv if ok else y
        z = z * inv if ok else z
        back = lanes[Q_BACK, i] == 1.0
        lanes[Q_NX, i] = -x if back else x
        lanes[Q_NY, i] = -y if back else y
        lanes[Q_NZ, i] = -z if back else z
    if ortho:
        for i in range(n):
            lanes[Q_EX, i] = 0.0
            lanes[Q_EY, i] = 0.0
            lanes[Q_EZ, i] = 1.0
        return
    for i in range(n):
        x = lanes[Q_EX, i]
        y = lanes[Q_EY, i]
        z = lanes[Q_EZ, i]
        length = math.sqrt(x * x + y * y + z * z)
        inv = 1.0 / length
        ok = length > 0.0
        lanes[Q_EX, i] = x * inv if ok else 0.0
        lanes[Q_EY, i] = y * inv if ok else 0.0
        lanes[Q_EZ, i] = z * inv if ok else 1.0


@njit(cache=True, error_model="numpy", inline="always")
def normal_lanes(lanes, n):
    """normal_mapped over lanes 0..n-1 where Q_MAPPED is 1: the unit normal through
    the tangent frame and the normal map's texel."""
    for i in range(n):
        nx = lanes[Q_NX, i]
        ny = lanes[Q_NY, i]
        nz = lanes[Q_NZ, i]
        tx = lanes[Q_TX, i]
        ty = lanes[Q_TY, i]
        tz = lanes[Q_TZ, i]
        back = lanes[Q_BACK, i] == 1.0
        dot = tx * nx + ty * ny + tz * nz
        tx -= dot * nx
        ty -= dot * ny
        tz -= dot * nz
        tn = math.sqrt(tx * tx + ty * ty + tz * tz)
        inv = 1.0 / tn
        tx *= inv
        ty *= inv
        tz *= inv
        tx = -tx if back else tx
        ty = -ty if back else ty
        tz = -tz if back else tz
        sign = 1.0 if lanes[Q_TW, i] >= 0.0 else -1.0
        sign = -sign if back else sign
        bx = sign * (ny * tz - nz * ty)
        by = sign * (nz * tx - nx * tz)
        bz = sign * (nx * ty - ny * tx)
        scale = lanes[Q_SCALE, i]
        px = (2.0 * lanes[Q_S0, i] - 1.0) * scale
        py = (2.0 * lanes[Q_S1, i] - 1.0) * scale
        pz = 2.0 * lanes[Q_S2, i] - 1.0
        mx = tx * px + bx * py + nx * pz
        my = ty * px + by * py + ny * pz
        mz = tz * px + bz * py + nz * pz
        mn = math.sqrt(mx * mx + my * my + mz * mz)
        inv = 1.0 / mn
        use = (lanes[Q_MAPPED, i] == 1.0) & (tn > 1e-12) & (mn > 0.0)
        lanes[Q_NX, i] = mx * inv if use else nx
        lanes[Q_NY, i] = my * inv if use else ny
        lanes[Q_NZ, i] = mz * inv if use else nz


# Three loops, not one: as one loop (8 rows read, 15 written) LLVM left it scalar,
# apparently for the number of rows whose overlap it would have to rule out at run
# time; each of these it vectorises. 195,000 lanes (FlightHelmet at 1024^2), one
# thread: 1.13 ms as one loop, 0.55 ms as three, the same values to the bit.
@njit(cache=True, error_model="numpy", inline="always")
def material_lanes(lanes, n):
    """Over lanes 0..n-1: c_diff, F0, alpha^2, N.V and view_terms' values, and the
    reflected light set to 0 (shade_pbr's steps before its light loop)."""
    for i in range(n):
        metallic = lanes[Q_METALLIC, i]
        rough = lanes[Q_ROUGH, i]
        r = lanes[Q_R, i]
        g = lanes[Q_G, i]
        b = lanes[Q_B, i]
        lanes[Q_CR, i] = r * (1.0 - metallic)
        lanes[Q_CG, i] = g * (1.0 - metallic)
        lanes[Q_CB, i] = b * (1.0 - metallic)
        lanes[Q_F0R, i] = 0.04 + (r - 0.04) * metallic
        lanes[Q_F0G, i] = 0.04 + (g - 0.04) * metallic
        lanes[Q_F0B, i] = 0.04 + (b - 0.04) * metallic
        alpha = rough * rough
        alpha2 = alpha * alpha
        lanes[Q_ALPHA2, i] = alpha2
        lanes[Q_LOBE, i] = 0.5 * alpha2 * INV_PI  # D x Vis's factor, the same for every light
    for i in range(n):
        ndv = min(
            max(
                lanes[Q_NX, i] * lanes[Q_EX, i]
                + lanes[Q_NY, i] * lanes[Q_EY, i]
                + lanes[Q_NZ, i] * lanes[Q_EZ, i],
                0.0,
            ),
            1.0,
        )
        lanes[Q_NDV, i] = ndv
        dr, dg, db, view_term = view_terms(
            ndv, lanes[Q_CR, i], lanes[Q_CG, i], lanes[Q_CB, i], lanes[Q_ALPHA2, i]
        )
        lanes[Q_DR, i] = dr
        lanes[Q_DG, i] = dg
        lanes[Q_DB, i] = db
        lanes[Q_VIEW, i] = view_term
    for i in range(n):
        lanes[Q_OR, i] = 0.0
        lanes[Q_OG, i] = 0.0
        lanes[Q_OB, i] = 0.0


@njit(cache=True, error_model="numpy", inline="always")
def light_lanes(lanes, n, lx, ly, lz, er, eg, eb):
    """brdf_light over lanes 0..n-1 for one light (unit direction to it (lx, ly, lz),
    irradiance (er, eg, eb)), added to the reflected light. The same operations as
    brdf_light, its branches as selects: every lane computes both sides."""
    for i in range(n):
        nx = lanes[Q_NX, i]
        ny = lanes[Q_NY, i]
        nz = lanes[Q_NZ, i]
        ndl = nx * lx + ny * ly + nz * lz
        lit = not ndl <= 0.0
        ndl = min(ndl, 1.0)
        hx = lx + lanes[Q_EX, i]
        hy = ly + lanes[Q_EY, i]
        hz = lz + lanes[Q_EZ, i]
        hn = hx * hx + hy * hy + hz * hz
        nh = max(nx * hx + ny * hy + nz * hz, 0.0)
        nh2 = min(nh * nh, hn)
        vdh = min(0.5 * math.sqrt(hn), 1.0)
        k = 1.0 - vdh
        k2 = k * k
        k5 = k2 * k2 * k
        f0r = lanes[Q_F0R, i]
        f0g = lanes[Q_F0G, i]
        f0b = lanes[Q_F0B, i]
        fr = f0r + (1.0 - f0r) * k5
        fg = f0g + (1.0 - f0g) * k5
        fb = f0b + (1.0 - f0b) * k5
        alpha2 = lanes[Q_ALPHA2, i]
        denom = ndl * lanes[Q_VIEW, i] + lanes[Q_NDV, i] * math.sqrt(ndl * ndl * (1.0 - alpha2) + alpha2)
        qh = nh2 * (alpha2 - 1.0) + hn
        qqd = qh * qh * denom
        # brdf_light's two cases (H defined or not) as one division: numerator and
        # denominator are selected first, so each lane divides once, as brdf_light does
        lobe = lanes[Q_LOBE, i]
        has_h = hn > 0.0
        ok = denom > 0.0
        quotient = (lobe * hn * hn if has_h else lobe) / (qqd if has_h else denom)
        s = quotient if ok & ((qh > 0.0) | (not has_h)) else 0.0
        cr = ((1.0 - fr) * lanes[Q_DR, i] + fr * s) * ndl
        cg = ((1.0 - fg) * lanes[Q_DG, i] + fg * s) * ndl
        cb = ((1.0 - fb) * lanes[Q_DB, i] + fb * s) * ndl
        lanes[Q_OR, i] += (cr if lit else 0.0) * er
        lanes[Q_OG, i] += (cg if lit else 0.0) * eg
        lanes[Q_OB, i] += (cb if lit else 0.0) * eb


@njit(cache=True, error_model="numpy", inline="always")
def punctual_lanes(lanes, n, lights, i):
    """Point or spot light i over lanes 0..n-1, lane by lane (each lane its own
    direction and attenuation): shade_pbr's steps for such a light."""
    for j in range(n):
        on, lx, ly, lz, er, eg, eb = light_from(lights, i, lanes[Q_PX, j], lanes[Q_PY, j], lanes[Q_PZ, j])
        if not on:
            continue
        fr, fg, fb = brdf_light(
            lanes[Q_NX, j], lanes[Q_NY, j], lanes[Q_NZ, j], lanes[Q_EX, j], lanes[Q_EY, j], lanes[Q_EZ, j],
            lx, ly, lz, lanes[Q_NDV, j], lanes[Q_DR, j], lanes[Q_DG, j], lanes[Q_DB, j],
            lanes[Q_F0R, j], lanes[Q_F0G, j], lanes[Q_F0B, j], lanes[Q_ALPHA2, j], lanes[Q_VIEW, j],
        )  # fmt: skip
        lanes[Q_OR, j] += fr * er
        lanes[Q_OG, j] += fg * eg
        lanes[Q_OB, j] += fb * eb
