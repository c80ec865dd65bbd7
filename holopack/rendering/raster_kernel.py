"""The Numba rasterizer: transform, clip, set up, bin per tile, rasterize, shade.

Stages (each a kernel taking preallocated arrays; ``holopack.rendering.Renderer``
owns the buffers and calls them per frame):

1. ``transform`` (serial, per vertex): clip coordinates (float64), view-space
   position and normal, and the snapped window position, depth and 1/w that all
   triangles sharing the vertex reuse.
2. ``setup_triangles`` (parallel) / ``clip_triangles`` (serial, rare): one
   *record* per drawable (sub-)triangle. Triangles wholly inside the near/far
   planes and the guard band go straight to a record; the others are clipped in
   homogeneous space (Sutherland-Hodgman: near, far, w > 0 and the guard band)
   and fanned into sub-triangles that remember their corners' barycentrics on the
   original triangle, so that attributes need no new vertices.
3. Window coordinates snap to 1/256 pixel (``SUBPIXEL`` bits, as GPUs do) and
   edge functions are exact int64, so two triangles sharing an edge cover each
   pixel centre exactly once (top-left rule; picture y grows downwards).
   Pixel centres sit at +0.5 like OpenGL. Front faces are counter-clockwise in
   OpenGL window coordinates; back faces are culled unless double-sided.
4. ``bin_count``/``bin_fill`` (parallel over runs of records): records binned
   per screen tile, in submission order.
5. ``raster_opaque`` (in parallel over tiles): depth test LESS into a visibility
   buffer (record id + float32 window depth per sub-sample), a record's row tested
   DEPTH_LANES pixels at a time in vector instructions; MASK materials run their alpha
   test here, pixel by pixel. ``shade_visible`` (in parallel over rows) shades each
   visible sub-sample once and resolves the rows at once (see 7).
6. ``raster_blend`` (in parallel over tiles): BLEND records, sorted back to front by
   their mean depth, depth-tested against the opaque depth (without writing it)
   and composited over (src-alpha, one-minus-src-alpha).
7. Resolve: box downsample of the s x s sub-samples; depth takes the nearest
   (minimum) of them; sRGB encoding by exact table. ``shade_visible`` resolves
   every band as it finishes it; ``resolve_tiles`` (in parallel over tiles) redoes the
   tiles the translucent pass drew in.

Record arrays (R = capacity): ``rec_tri`` (R,) int32 original triangle or -1;
``rec_edge`` (R, 16) int32 and ``rec_edge_z`` (R, 8) float64, two views of one
64-byte row per record that holds all the depth pass reads of it (see E_XY ...
E_Z below); ``rec_zw`` (R, 3) float64 window depth per corner; ``rec_plane`` (R, 16)
float64 the perspective-correct weight planes (see setup_record) then the box
origin, material, back-facing flag and the original triangle's vertex ids (columns P_XMIN ... P_V2) for
shading; ``rec_bbox`` (R, 4) int32 xmin xmax ymin ymax (inclusive pixels).

Arrays that travel together travel as one tuple: ``records`` (the six record arrays
above, in that order), ``surface`` = (mat, attr, pool, levels, level_count, wrap),
``lighting`` = (lights, params), ``samples`` = (linear_ss, alpha_ss, depth_ss),
``picture`` = (linear, alpha, depth, color), ``srgb`` = (lut, steps, encode: whether
the shading and resolve write the sRGB colour; False when tone mapping follows), ``bins`` =
(tile_order, tile_start, tile_list) and ``grid`` = (tile, ntx, width, height).
``raster_opaque``, ``shade_visible`` and ``raster_blend`` come in compile-time
variants (``opaque_kernel(masked)``, ``shade_kernel(mode, textured)``,
``blend_kernel(mode, textured)``): a job compiles only those it draws with.

"In parallel" means one compiled claim loop (``_transform_blocks``, ``_raster_tiles``,
``shade_bands_*``, ``blend_tiles_*``...) run on the threads of ``holopack.work_pool``.
These loops and the functions they call are compiled without Numba's reference
counting (``_nrt=False``; they allocate nothing): Python's caller holds every array for
the whole call, and the counters of arrays passed in from Python are shared words that
each count takes with an atomic instruction (see ``_band_kernel``).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from llvmlite import ir
from numba import config as numba_config
from numba import njit, types
from numba.core import codegen as numba_codegen
from numba.extending import intrinsic

from ..kernel_cache import refresh
from ..work_pool import run, threads
from ..work_queue import claim

# the kernels below inline shading.py's, pbr_kernel.py's, texture_kernel.py's and the work queue's
# functions: kernel_cache.KERNEL_MODULES lists the files
refresh(__file__)

from . import pbr_kernel as pbr  # noqa: E402
from .material_columns import (  # noqa: E402
    M_BASE,
    M_EMISSIVE,
    M_FLAT,
    M_METALLIC,
    M_NORMAL_SCALE,
    M_NORMAL_TEX,
    M_PACK_TEX,
    M_PLAIN,
    M_ROUGHNESS,
    M_TINT,
    M_TRANSMISSION,
    M_UNLIT,
)
from .punctual import DIRECTIONAL, L_KIND  # noqa: E402
from .shading import (  # noqa: E402  imported after refresh(), on purpose
    A_BASE_UV,
    A_EM_UV,
    A_NRM,
    A_POS,
    LIT,
    M_ALPHA,
    M_BASE_TEX,
    M_CUTOFF,
    M_DOUBLE,
    M_EM_TEX,
    M_MAPS,
    MASK,
    PBR,
    UNLIT,
    base_color_textured,
    base_color_untextured,
    sample,
    shade_textured,
    shade_untextured,
)
from .texel_mix import emit_prefetch  # noqa: E402
from .texture_kernel import texture_at_uv  # noqa: E402

# rec_plane columns: 0-8 the weight planes (a, b, c of corners 0, 1, 2), then these.
# Module-level integers are compile-time constants to Numba: naming them costs nothing.
P_XMIN, P_YMIN, P_MATERIAL, P_BACK, P_V0, P_V1, P_V2 = 9, 10, 11, 12, 13, 14, 15
P_COLUMNS = 16
# The depth pass reads one 64-byte row a record (rec_edge, aligned to a cache line by
# the Renderer): as int32 (rec_edge), columns E_XY + XY_* the fixed-point corners and
# E_BOX + B_* the pixel box; as float64 (rec_edge_z), columns E_Z + k the window depth of
# corner k over the area (the weight of its edge value). From the six arrays these
# were read from before (four to six cache lines a record, in no order across a tile's
# list), a whole unlit 1024 x 1024 draw on one thread took 12% less CPU time for the
# bunny and 9% less for BrainStem (frames of both versions in turns, in one process).
E_XY, E_BOX, E_Z = 0, 6, 5
E_COLUMNS, E_Z_COLUMNS = 16, 8
# the fixed-point x of corners 0, 1, 2, then their y
XY_X0, XY_X1, XY_X2, XY_Y0, XY_Y1, XY_Y2 = 0, 1, 2, 3, 4, 5
# rec_bbox columns (inclusive pixels), and of the tile boxes made from them
B_XMIN, B_XMAX, B_YMIN, B_YMAX = 0, 1, 2, 3
# per-vertex tables: vfix (V, 2) int64 fixed-point window x, y; vzw (V, 2) float64
# window depth and 1/w
V_X, V_Y = 0, 1
V_DEPTH, V_INV_W = 0, 1

SUBPIXEL = 8
ONE = 1 << SUBPIXEL
HALF = ONE >> 1
# Window coordinates are kept within +-2^20 pixels (the guard band) so that the
# int64 edge functions (products of two 2^29 differences) cannot overflow.
GUARD_PIXELS = float(1 << 20)
# rows at least this wide are clipped to their covered run before the pixel loop
SPAN_MIN_WIDTH = 4
# The depth pass tests the pixels of a record's row in runs of this many, in vector
# instructions (see _depth_kernel): 16 where the CPU has AVX-512, 8 where its vectors
# are 256 bits wide. With AVX-512, one thread's CPU time in the depth pass at 1024 x
# 1024 unlit, ten views each, medians of three turns against the span-and-pixel loop
# it replaces (now left to MASK records and tiles narrower than a run): BrainStem 5.06
# against 6.41 ms, FlightHelmet 4.78 against 6.36, the bunny 5.66 against 7.87, the
# visibility (ids and depth) identical on all 30 views. Runs of 8 took 1.59-1.94 times
# as long as runs of 16 there, runs of 32 1.17-1.28 times (too many pixels outside the
# triangle). It costs 0.2 CPU s more to compile (1.2 against 1.0, compile_cpu.py
# _raster_tiles in turns). Raw: benchmarks/results/2026-12-04/depth-pass-variants.txt.
# On an AVX2 CPU (AMD Zen 3) the runs of 16 took four times that (FlightHelmet 19.3 ms):
# each lane's edge values were products of int64 (AVX2 has no 64-bit multiply) and
# twice as many registers wide as the CPU's. Runs of 8, the edge values stepped by
# addition, took 0.47-0.51 of that time (benchmarks/results/2026-12-06/depth-lanes-avx2.txt).
# The runs are now written as vector IR (_depth_run_intrinsic, which gives the figures
# since): on AVX2 runs of 8 still take less time than runs of 16.
DEPTH_LANES_WIDE, DEPTH_LANES_NARROW = 16, 8


def _has_avx512() -> bool:
    """Whether the CPU that Numba compiles for has AVX-512: NUMBA_CPU_FEATURES when set,
    else the host's features as Numba takes them (none where LLVM cannot read them,
    the AVX ones off with NUMBA_ENABLE_AVX=0)."""
    features = numba_config.CPU_FEATURES
    if features is None:
        features = numba_codegen.get_host_cpu_features()
    return "+avx512f" in features.split(",")


# Numba's cache keeps each CPU's machine code apart, so a cache made on one kind of CPU
# never gives this constant's other value to another
DEPTH_LANES = DEPTH_LANES_WIDE if _has_avx512() else DEPTH_LANES_NARROW
PREFETCH_AHEAD = 8
# the PBR span shader's vertex rows: see _span_kernel
VERTEX_AHEAD = PREFETCH_AHEAD // 2
# Vertices or triangles per item a thread claims (holopack.work_queue): big enough that
# the atomic claim costs nothing next to the work, small enough (a few tens of
# microseconds) that a thread that was descheduled leaves little for the others to wait on.
BLOCK = 1024
# Up to this many vertices, triangles or records a stage runs on the calling thread
# alone: waking the work pool's helpers costs more than they would take over (default
# twin, 3,237 triangles: setup 34 us on one thread, 61 us shared between two).
ALONE_ITEMS = 4 * BLOCK


_MODE_NAMES = {LIT: "lit", UNLIT: "unlit", PBR: "pbr"}


def _variant_name(
    base: str,
    mode: int | None = None,
    textured: bool = False,
    masked: bool = False,
    environment: bool = False,
    lanes: int | None = None,
):
    """Give a closure variant a name of its own before Numba caches it.

    Numba names a kernel's cache files after its qualified name and first line, so the
    variants a factory makes (one closure, one qualname) share one index file. Two
    processes compiling different variants at once (a cold export and its
    compile-ahead process, or two exports) each rewrite that index and can both take
    the same data file number for different keys: a later run then loads one variant's
    machine code for another's key (seen as a FlightHelmet render at PSNR 9.5 against
    its reference). With a name per variant each index holds one variant's keys."""
    parts = [base]
    if mode is not None:
        parts.append(_MODE_NAMES[mode])
    if textured:
        parts.append("textured")
    if masked:
        parts.append("masked")
    if environment:
        parts.append("environment")
    if lanes is not None and lanes != DEPTH_LANES:
        parts.append(f"lanes{lanes}")
    name = "_".join(parts)

    def rename(func):
        func.__name__ = name
        func.__qualname__ = name
        return func

    return rename


def transform(world_pos, world_nrm, camera, size, clip, attr, vertex):
    """Per vertex (in parallel): clip coordinates, view-space position/normal and,
    once for all the triangles that share it, its window position.

    world_pos, world_nrm : (N, 3) float32; camera = (view, proj : (4, 4) float64,
    normal_matrix : (3, 3) float64, the inverse transpose of the view's 3x3);
    size = (width, height) of the sub-sample picture.
    Writes clip (N, 4) float64, the view-space position and normal into attr
    (N, A_COLUMNS) float32 (columns A_POS, A_NRM; the others are left alone), and
    vertex = (vfix (N, 2) int64 fixed-point picture x, y; vzw (N, 2) float64 window
    depth and 1/w; vcode (N,) int32 outcode bits (1 -x, 2 +x, 4 -y, 8 +y, 16 near,
    32 far) plus 64 when the vertex needs clipping (near/far/w <= 0/guard band)).
    """
    run(
        _transform_blocks,
        np.zeros(1, np.int64),
        world_pos,
        world_nrm,
        camera,
        size,
        clip,
        attr,
        vertex,
        alone=world_pos.shape[0] <= ALONE_ITEMS,
    )


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _transform_blocks(next_block, world_pos, world_nrm, camera, size, clip, attr, vertex):
    """One thread's share of transform: it claims blocks of BLOCK vertices from the
    counter next_block until none are left. The threads of holopack.work_pool run it
    at once (nogil): no parallel kernel to compile, which cost seconds of Numba's
    parfor lowering per kernel on a first run."""
    view, proj, normal_matrix = camera
    vfix, vzw, vcode = vertex
    width, height = size
    gx = GUARD_PIXELS / width
    gy = GUARD_PIXELS / height
    while True:
        first, stop = _claim_block(next_block, world_pos.shape[0])
        if first >= stop:
            break
        for i in range(first, stop):
            x = np.float64(world_pos[i, 0])
            y = np.float64(world_pos[i, 1])
            z = np.float64(world_pos[i, 2])
            ex = view[0, 0] * x + view[0, 1] * y + view[0, 2] * z + view[0, 3]
            ey = view[1, 0] * x + view[1, 1] * y + view[1, 2] * z + view[1, 3]
            ez = view[2, 0] * x + view[2, 1] * y + view[2, 2] * z + view[2, 3]
            ew = view[3, 0] * x + view[3, 1] * y + view[3, 2] * z + view[3, 3]
            for r in range(4):
                clip[i, r] = proj[r, 0] * ex + proj[r, 1] * ey + proj[r, 2] * ez + proj[r, 3] * ew
            if ew != 0.0 and ew != 1.0:
                ex /= ew
                ey /= ew
                ez /= ew
            attr[i, A_POS] = ex
            attr[i, A_POS + 1] = ey
            attr[i, A_POS + 2] = ez
            nx = np.float64(world_nrm[i, 0])
            ny = np.float64(world_nrm[i, 1])
            nz = np.float64(world_nrm[i, 2])
            for r in range(3):
                attr[i, A_NRM + r] = (
                    normal_matrix[r, 0] * nx + normal_matrix[r, 1] * ny + normal_matrix[r, 2] * nz
                )
            c = (clip[i, 0], clip[i, 1], clip[i, 2], clip[i, 3])
            code = _outcode(c, gx, gy)
            if not (
                math.isfinite(c[0]) and math.isfinite(c[1]) and math.isfinite(c[2]) and math.isfinite(c[3])
            ):
                code = 128
            vcode[i] = code
            if code & (64 | 128) == 0:
                vfix[i, V_X] = _snap(c[0], c[3], width, False)
                vfix[i, V_Y] = _snap(c[1], c[3], height, True)
                vzw[i, V_DEPTH] = _window_depth(c[2], c[3])
                vzw[i, V_INV_W] = 1.0 / c[3]


@njit(cache=True, error_model="numpy", inline="always")
def _claim_block(next_block, count):
    """Claim the next block of BLOCK positions of 0..count-1: (first, stop), first >=
    stop once all are claimed."""
    first = claim(next_block) * BLOCK
    return first, min(count, first + BLOCK)


@njit(cache=True, error_model="numpy", inline="always")
def _outcode(c, gx, gy):
    """Planes of the view volume the corner is beyond, plus 64 when it needs clipping."""
    x, y, z, w = c
    code = 0
    if x < -w:
        code |= 1
    if x > w:
        code |= 2
    if y < -w:
        code |= 4
    if y > w:
        code |= 8
    if z < -w:
        code |= 16
    if z > w:
        code |= 32
    if (code & 48) != 0 or not (w > 0.0) or abs(x) > gx * w or abs(y) > gy * w:
        code |= 64
    return code


@njit(cache=True, error_model="numpy", inline="always")
def _snap(x, w, size, flip):
    """Clip x (or y) and w -> fixed-point picture coordinate (y grows downwards)."""
    ndc = x / w
    s = (0.5 - ndc * 0.5) * size if flip else (ndc * 0.5 + 0.5) * size
    return np.int64(math.floor(s * ONE + 0.5))


@njit(cache=True, error_model="numpy", inline="always")
def _window_depth(z, w):
    return min(max(z / w * 0.5 + 0.5, 0.0), 1.0)


@njit(cache=True, error_model="numpy", inline="always")
def setup_record(slot, tri, xy, z, iw, bary, verts, size, material, double_sided, records):
    """Fill record ``slot`` of records (rec_tri, rec_edge, rec_edge_z, rec_zw, rec_plane,
    rec_bbox) from three snapped corners: xy = fixed-point (X0, X1, X2, Y0, Y1, Y2)
    (XY_* order), z = their window depths, iw = their 1/w; bary (3, 3): each
    corner's barycentrics on the original triangle tri, whose vertex ids are verts;
    size = (width, height). Returns False (and marks the slot empty) when the
    triangle is culled, degenerate or covers no pixel centre's bounding box."""
    rec_tri, rec_edge, rec_edge_z, rec_zw, rec_plane, rec_bbox = records
    X0, X1, X2, Y0, Y1, Y2 = xy
    z0, z1, z2 = z
    iw0, iw1, iw2 = iw
    width, height = size
    rec_tri[slot] = -1
    area = (X1 - X0) * (Y2 - Y0) - (X2 - X0) * (Y1 - Y0)
    if area == 0:
        return False
    # counter-clockwise in OpenGL's y-up window = negative area in our y-down picture
    back = area > 0
    if back and not double_sided:
        return False
    minx = min(X0, min(X1, X2))
    maxx = max(X0, max(X1, X2))
    miny = min(Y0, min(Y1, Y2))
    maxy = max(Y0, max(Y1, Y2))
    # pixel i is a candidate when its centre i*ONE + HALF lies within [min, max]
    xmin = max(-((HALF - minx) // ONE), 0)
    xmax = min((maxx - HALF) // ONE, width - 1)
    ymin = max(-((HALF - miny) // ONE), 0)
    ymax = min((maxy - HALF) // ONE, height - 1)
    if xmin > xmax or ymin > ymax:
        return False
    # store with a positive area: swap corners 1 and 2 of front faces
    k1, k2 = 1, 2
    if area < 0:
        k1, k2 = 2, 1
        area = -area
        X1, X2 = X2, X1
        Y1, Y2 = Y2, Y1
        z1, z2 = z2, z1
        iw1, iw2 = iw2, iw1
    # within the guard band (2^20 pixels of 2^8 sub-pixels) a corner fits in int32
    rec_edge[slot, E_XY + XY_X0] = X0
    rec_edge[slot, E_XY + XY_X1] = X1
    rec_edge[slot, E_XY + XY_X2] = X2
    rec_edge[slot, E_XY + XY_Y0] = Y0
    rec_edge[slot, E_XY + XY_Y1] = Y1
    rec_edge[slot, E_XY + XY_Y2] = Y2
    rec_zw[slot, 0] = z0
    rec_zw[slot, 1] = z1
    rec_zw[slot, 2] = z2
    # Perspective-correct weights of the original triangle's vertices are ratios of
    # three affine functions of the pixel position: q_j = sum_k l_k (1/w_k) bary[k, j]
    # with l_k = E_k / area. Store q_j = a + b (px - xmin) + c (py - ymin), relative to
    # the box corner so that the constants stay small.
    ox = xmin * ONE
    oy = ymin * ONE
    inv_area = 1.0 / float(area)
    # what shading needs besides, in the same row: one array to pass, one row to read
    rec_plane[slot, P_XMIN] = xmin
    rec_plane[slot, P_YMIN] = ymin
    rec_plane[slot, P_MATERIAL] = material
    rec_plane[slot, P_BACK] = 1.0 if back else 0.0
    rec_plane[slot, P_V0] = verts[0]
    rec_plane[slot, P_V1] = verts[1]
    rec_plane[slot, P_V2] = verts[2]
    # edge functions of the three corners: slope in x and y and value at the corner
    a0 = float(-(Y2 - Y1) * ONE)
    b0 = float((X2 - X1) * ONE)
    c0 = float(_edge(X1, Y1, X2, Y2, ox, oy))
    a1 = float(-(Y0 - Y2) * ONE)
    b1 = float((X0 - X2) * ONE)
    c1 = float(_edge(X2, Y2, X0, Y0, ox, oy))
    a2 = float(-(Y1 - Y0) * ONE)
    b2 = float((X1 - X0) * ONE)
    c2 = float(_edge(X0, Y0, X1, Y1, ox, oy))
    f0 = iw0 * inv_area
    f1 = iw1 * inv_area
    f2 = iw2 * inv_area
    for j in range(3):
        w0 = f0 * bary[0, j]
        w1 = f1 * bary[k1, j]
        w2 = f2 * bary[k2, j]
        rec_plane[slot, 3 * j] = w0 * c0 + w1 * c1 + w2 * c2
        rec_plane[slot, 3 * j + 1] = w0 * a0 + w1 * a1 + w2 * a2
        rec_plane[slot, 3 * j + 2] = w0 * b0 + w1 * b1 + w2 * b2
    rec_edge_z[slot, E_Z] = z0 * inv_area
    rec_edge_z[slot, E_Z + 1] = z1 * inv_area
    rec_edge_z[slot, E_Z + 2] = z2 * inv_area
    rec_bbox[slot, B_XMIN] = xmin
    rec_bbox[slot, B_XMAX] = xmax
    rec_bbox[slot, B_YMIN] = ymin
    rec_bbox[slot, B_YMAX] = ymax
    rec_edge[slot, E_BOX + B_XMIN] = xmin
    rec_edge[slot, E_BOX + B_XMAX] = xmax
    rec_edge[slot, E_BOX + B_YMIN] = ymin
    rec_edge[slot, E_BOX + B_YMAX] = ymax
    rec_tri[slot] = tri
    return True


def setup_triangles(tri_idx, tri_mat, mat, vertex, size, identity, records, needs_clip):
    """One record per triangle t in slot t (rec_tri[t] = -1 when culled); sets
    needs_clip[t] = 1 for triangles that cross near/far/w=0 or the guard band.
    vertex: transform's (vfix, vzw, vcode); identity : (3, 3) float32 identity (the
    corners' barycentrics)."""
    run(
        _setup_blocks,
        np.zeros(1, np.int64),
        tri_idx,
        tri_mat,
        mat,
        vertex,
        size,
        identity,
        records,
        needs_clip,
        alone=tri_idx.shape[0] <= ALONE_ITEMS,
    )


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _setup_blocks(next_block, tri_idx, tri_mat, mat, vertex, size, identity, records, needs_clip):
    """One thread's share of setup_triangles: blocks of BLOCK triangles claimed from
    next_block (on the work pool's threads: see _transform_blocks)."""
    vfix, vzw, vcode = vertex
    rec_tri = records[0]
    while True:
        first, stop = _claim_block(next_block, tri_idx.shape[0])
        if first >= stop:
            break
        for t in range(first, stop):
            rec_tri[t] = -1
            needs_clip[t] = 0
            v0 = tri_idx[t, 0]
            v1 = tri_idx[t, 1]
            v2 = tri_idx[t, 2]
            o0 = vcode[v0]
            o1 = vcode[v1]
            o2 = vcode[v2]
            if ((o0 | o1 | o2) & 128) != 0:
                continue  # NaN or infinity
            if (o0 & o1 & o2 & 63) != 0:
                continue  # all corners beyond one plane of the view volume
            if ((o0 | o1 | o2) & 64) != 0:
                needs_clip[t] = 1
                continue
            setup_record(
                t,
                t,
                (vfix[v0, V_X], vfix[v1, V_X], vfix[v2, V_X], vfix[v0, V_Y], vfix[v1, V_Y], vfix[v2, V_Y]),
                (vzw[v0, V_DEPTH], vzw[v1, V_DEPTH], vzw[v2, V_DEPTH]),
                (vzw[v0, V_INV_W], vzw[v1, V_INV_W], vzw[v2, V_INV_W]),
                identity,
                (v0, v1, v2),
                size,
                tri_mat[t],
                mat[tri_mat[t], M_DOUBLE] == 1.0,
                records,
            )


@njit(cache=True, error_model="numpy")
def _clip_polygon(poly, n, plane, gx, gy, out):
    """Clip polygon rows poly[:n] = (x, y, z, w, b0, b1, b2) against one plane;
    returns the new count (written to ``out``)."""
    count = 0
    for i in range(n):
        j = (i + 1) % n
        da = _plane_distance(poly[i], plane, gx, gy)
        db = _plane_distance(poly[j], plane, gx, gy)
        if da >= 0.0:
            out[count, :] = poly[i, :]
            count += 1
        if (da >= 0.0) != (db >= 0.0):
            s = da / (da - db)
            for c in range(7):
                out[count, c] = poly[i, c] + s * (poly[j, c] - poly[i, c])
            count += 1
    return count


@njit(cache=True, error_model="numpy")
def _plane_distance(p, plane, gx, gy):
    x, y, z, w = p[0], p[1], p[2], p[3]
    if plane == 0:
        return z + w  # near
    if plane == 1:
        return w - z  # far
    if plane == 2:
        return w - 1e-30 * max(abs(x), abs(y), abs(z), 1.0)  # strictly in front
    if plane == 3:
        return gx * w - x
    if plane == 4:
        return gx * w + x
    if plane == 5:
        return gy * w - y
    return gy * w + y


@njit(cache=True, error_model="numpy")
def clip_triangles(tri_idx, tri_mat, mat, clip, size, needs_clip, first_slot, records):
    """Clip the flagged triangles and append their sub-triangles as records from
    ``first_slot`` on (capacity: 8 per flagged triangle). Returns the slot count used."""
    width, height = size
    gx = GUARD_PIXELS / width
    gy = GUARD_PIXELS / height
    poly = np.empty((16, 7), np.float64)
    tmp = np.empty((16, 7), np.float64)
    bary = np.empty((3, 3), np.float32)
    slot = first_slot
    for t in range(tri_idx.shape[0]):
        if needs_clip[t] == 0:
            continue
        for k in range(3):
            v = tri_idx[t, k]
            for c in range(4):
                poly[k, c] = clip[v, c]
            for c in range(3):
                poly[k, 4 + c] = 1.0 if c == k else 0.0
        n = 3
        for plane in range(7):
            n = _clip_polygon(poly, n, plane, gx, gy, tmp)
            for i in range(n):
                poly[i, :] = tmp[i, :]
            if n < 3:
                break
        if n < 3:
            continue
        m = tri_mat[t]
        for i in range(1, n - 1):
            for k in range(3):
                src = 0 if k == 0 else i + k - 1
                for c in range(3):
                    bary[k, c] = poly[src, 4 + c]
            j = i + 1
            if setup_record(
                slot,
                t,
                (
                    _snap(poly[0, 0], poly[0, 3], width, False),
                    _snap(poly[i, 0], poly[i, 3], width, False),
                    _snap(poly[j, 0], poly[j, 3], width, False),
                    _snap(poly[0, 1], poly[0, 3], height, True),
                    _snap(poly[i, 1], poly[i, 3], height, True),
                    _snap(poly[j, 1], poly[j, 3], height, True),
                ),
                (
                    _window_depth(poly[0, 2], poly[0, 3]),
                    _window_depth(poly[i, 2], poly[i, 3]),
                    _window_depth(poly[j, 2], poly[j, 3]),
                ),
                (1.0 / poly[0, 3], 1.0 / poly[i, 3], 1.0 / poly[j, 3]),
                bary,
                (tri_idx[t, 0], tri_idx[t, 1], tri_idx[t, 2]),
                size,
                m,
                mat[m, M_DOUBLE] == 1.0,
                records,
            ):
                slot += 1
    return slot


@njit(cache=True, error_model="numpy", inline="always")
def _claim_chunk(next_chunk, count, chunks):
    """Claim the next of ``chunks`` equal runs of the positions 0..count-1: (chunk,
    first, stop), chunk -1 once all are claimed."""
    c = claim(next_chunk)
    if c >= chunks:
        return -1, 0, 0
    run = (count + chunks - 1) // chunks
    return c, c * run, min(count, (c + 1) * run)


def bin_count(order, count, rec_tri, rec_bbox, tile, ntx, nty, tile_start, offsets, tbox):
    """Count the records order[:count] per tile, in chunks run in parallel.

    offsets (C, ntx*nty) int64: per chunk of the order (C equal runs), where its
    records go in each tile's list (after the serial prefix sum: tile by tile, chunk
    after chunk, so every tile lists its records in submission order whatever the
    thread count). tile_start (ntx*nty + 1,) int64: each tile's first entry. tbox
    (>= count, 4) int32: each record's tiles (x0, x1, y0, y1; empty for dropped
    records), computed once here for bin_fill. Returns the number of entries."""
    alone = count <= ALONE_ITEMS
    run(
        _count_chunks,
        np.zeros(1, np.int64),
        order,
        count,
        rec_tri,
        rec_bbox,
        tile,
        ntx,
        offsets,
        tbox,
        alone=alone,
    )
    # the prefix sum, tile by tile and chunk after chunk (numpy: no kernel to compile)
    ntiles = ntx * nty
    counts = offsets[:, :ntiles].T.ravel()  # (tile, chunk) order, a copy
    ends = np.cumsum(counts)
    starts = (ends - counts).reshape(ntiles, offsets.shape[0])
    offsets[:, :ntiles] = starts.T
    tile_start[:ntiles] = starts[:, 0]
    total = int(ends[-1]) if len(ends) else 0
    tile_start[ntiles] = total
    return total


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _count_chunks(next_chunk, order, count, rec_tri, rec_bbox, tile, ntx, offsets, tbox):
    """One thread's share of bin_count (on the work pool's threads: see _transform_blocks)."""
    while True:
        c, first, stop = _claim_chunk(next_chunk, count, offsets.shape[0])
        if c < 0:
            break
        for t in range(offsets.shape[1]):
            offsets[c, t] = 0
        for i in range(first, stop):
            r = order[i]
            if rec_tri[r] < 0:
                tbox[i, B_XMIN] = 1
                tbox[i, B_XMAX] = 0
                tbox[i, B_YMIN] = 1
                tbox[i, B_YMAX] = 0
                continue
            x0 = rec_bbox[r, B_XMIN] // tile
            x1 = rec_bbox[r, B_XMAX] // tile
            y0 = rec_bbox[r, B_YMIN] // tile
            y1 = rec_bbox[r, B_YMAX] // tile
            tbox[i, B_XMIN] = x0
            tbox[i, B_XMAX] = x1
            tbox[i, B_YMIN] = y0
            tbox[i, B_YMAX] = y1
            for ty in range(y0, y1 + 1):
                for tx in range(x0, x1 + 1):
                    offsets[c, ty * ntx + tx] += 1


def bin_fill(order, count, ntx, offsets, tbox, tile_list):
    """Write the record ids per tile in submission order, chunks in parallel
    (offsets and tbox from bin_count; offsets is used up)."""
    run(
        _fill_chunks,
        np.zeros(1, np.int64),
        order,
        count,
        ntx,
        offsets,
        tbox,
        tile_list,
        alone=count <= ALONE_ITEMS,
    )


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _fill_chunks(next_chunk, order, count, ntx, offsets, tbox, tile_list):
    """One thread's share of bin_fill."""
    while True:
        c, first, stop = _claim_chunk(next_chunk, count, offsets.shape[0])
        if c < 0:
            break
        for i in range(first, stop):
            r = order[i]
            for ty in range(tbox[i, B_YMIN], tbox[i, B_YMAX] + 1):
                for tx in range(tbox[i, B_XMIN], tbox[i, B_XMAX] + 1):
                    t = ty * ntx + tx
                    tile_list[offsets[c, t]] = r
                    offsets[c, t] += 1


@njit(cache=True, error_model="numpy", inline="always")
def _edge(xa, ya, xb, yb, px, py):
    """Edge function of a->b at fixed-point p (> 0 inside a positive triangle)."""
    return (xb - xa) * (py - ya) - (yb - ya) * (px - xa)


@njit(cache=True, error_model="numpy", inline="always")
def _span(e, step, lo, hi, x0):
    """Narrow [lo, hi] to the pixels x where the edge value e + step (x - x0) >= 0."""
    if step > 0:
        if e < 0:
            lo = max(lo, x0 + (-e + step - 1) // step)
    elif step < 0:
        if e < 0:
            hi = lo - 1
        else:
            hi = min(hi, x0 + e // (-step))
    elif e < 0:
        hi = lo - 1
    return lo, hi


@njit(cache=True, error_model="numpy", inline="always")
def _is_top_left(xa, ya, xb, yb):
    """1 for a top or left edge a->b, else 0 (int64). Bitwise, not ``or``/``and``:
    each short circuit is a block of its own, and Numba copies every block of an
    inlined function with all its variables (see _record_edges)."""
    a = -(yb - ya)  # d/dx of the edge function
    return np.int64((a > 0) | ((a == 0) & ((xb - xa) > 0)))


@njit(cache=True, error_model="numpy", inline="always")
def record_weights(r, x, y, rec_plane, derivatives):
    """Perspective-correct barycentrics on the original triangle's vertices at the
    centre of pixel (x, y), then one pixel right and one pixel down (for texture
    derivatives): nine values o0 o1 o2, ox0 ox1 ox2, oy0 oy1 oy2. Without
    ``derivatives`` (an untextured material) the last six repeat the first three,
    which spares two divisions a pixel."""
    px = x + 0.5 - rec_plane[r, P_XMIN]
    py = y + 0.5 - rec_plane[r, P_YMIN]
    a0, b0, c0 = rec_plane[r, 0], rec_plane[r, 1], rec_plane[r, 2]
    a1, b1, c1 = rec_plane[r, 3], rec_plane[r, 4], rec_plane[r, 5]
    a2, b2, c2 = rec_plane[r, 6], rec_plane[r, 7], rec_plane[r, 8]
    q0 = a0 + b0 * px + c0 * py
    q1 = a1 + b1 * px + c1 * py
    q2 = a2 + b2 * px + c2 * py
    s = 1.0 / (q0 + q1 + q2)
    o0, o1, o2 = q0 * s, q1 * s, q2 * s
    if not derivatives:
        return o0, o1, o2, o0, o1, o2, o0, o1, o2
    sx = 1.0 / (q0 + q1 + q2 + b0 + b1 + b2)
    sy = 1.0 / (q0 + q1 + q2 + c0 + c1 + c2)
    return (
        o0,
        o1,
        o2,
        (q0 + b0) * sx,
        (q1 + b1) * sx,
        (q2 + b2) * sx,
        (q0 + c0) * sy,
        (q1 + c1) * sy,
        (q2 + c2) * sy,
    )


@njit(cache=True, error_model="numpy", inline="always")
def record_uv_plane(r, rec_plane, attr, c):
    """The UV (attr columns c, c + 1) of record r as ratios of affine functions of the
    pixel position, for many pixels of one record: with q_j the record's weights
    (record_weights), u = sum_j q_j u_j / sum_j q_j, and each sum is a + b px + c py.
    -> (Q, U, V, x0, y0): the three (a, b, c) triples of sum_j q_j, of sum_j q_j u_j and
    of sum_j q_j v_j, and what turns pixel (x, y) into record_weights' (px, py)
    (px = x + x0, py = y + y0): see plane_uv."""
    v0, v1, v2 = record_vertices(r, rec_plane)
    u0, u1, u2 = attr[v0, c], attr[v1, c], attr[v2, c]
    w0, w1, w2 = attr[v0, c + 1], attr[v1, c + 1], attr[v2, c + 1]
    a0, b0, c0 = rec_plane[r, 0], rec_plane[r, 1], rec_plane[r, 2]
    a1, b1, c1 = rec_plane[r, 3], rec_plane[r, 4], rec_plane[r, 5]
    a2, b2, c2 = rec_plane[r, 6], rec_plane[r, 7], rec_plane[r, 8]
    return (
        (a0 + a1 + a2, b0 + b1 + b2, c0 + c1 + c2),
        (a0 * u0 + a1 * u1 + a2 * u2, b0 * u0 + b1 * u1 + b2 * u2, c0 * u0 + c1 * u1 + c2 * u2),
        (a0 * w0 + a1 * w1 + a2 * w2, b0 * w0 + b1 * w1 + b2 * w2, c0 * w0 + c1 * w1 + c2 * w2),
        0.5 - rec_plane[r, P_XMIN],
        0.5 - rec_plane[r, P_YMIN],
    )


@njit(cache=True, error_model="numpy", inline="always")
def plane_uv(plane, x, y):
    """The UV at the centre of pixel (x, y) and its derivatives one pixel right and one
    pixel down, from record_uv_plane's ``plane``: (u, v, du/dx, dv/dx, du/dy, dv/dy), as
    fragment_uv gives them from record_weights (the same ratios, summed in another order)."""
    (qa, qb, qc), (ua, ub, uc), (va, vb, vc), x0, y0 = plane
    px = x + x0
    py = y + y0
    q = qa + qb * px + qc * py
    nu = ua + ub * px + uc * py
    nv = va + vb * px + vc * py
    s = 1.0 / q
    sx = 1.0 / (q + qb)
    sy = 1.0 / (q + qc)
    u = nu * s
    v = nv * s
    return u, v, (nu + ub) * sx - u, (nv + vb) * sx - v, (nu + uc) * sy - u, (nv + vc) * sy - v


@njit(cache=True, error_model="numpy", inline="always")
def record_vertices(r, rec_plane):
    """The original triangle's vertex ids of record r."""
    return int(rec_plane[r, P_V0]), int(rec_plane[r, P_V1]), int(rec_plane[r, P_V2])


@njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _fragment_alpha(r, x, y, rec_plane, surface):
    """Alpha of record r at pixel (x, y), for the alpha test of MASK materials. Called,
    not inlined: only MASK fragments need it, and inlining the texture sampler into
    the depth pass cost seconds of compile time on every first run."""
    m = int(rec_plane[r, P_MATERIAL])
    w = record_weights(r, x, y, rec_plane, surface[0][m, M_BASE_TEX] >= 0)
    return base_color_textured(m, record_vertices(r, rec_plane), w, surface)[3]


@njit(cache=True, error_model="numpy", inline="always")
def _claim_tile(next_tile, tiles):
    """The next unclaimed tile of ``tiles`` (flat tile numbers in the order threads
    take them), -1 once all are claimed."""
    k = claim(next_tile)
    return tiles[k] if k < tiles.shape[0] else -1


@njit(cache=True, error_model="numpy", inline="always")
def _tile_box(t, grid):
    """Inclusive pixel box (x0, x1, y0, y1) of tile t; grid = (tile, ntx, width, height)."""
    tile, ntx, width, height = grid
    tx0 = (t % ntx) * tile
    ty0 = (t // ntx) * tile
    return tx0, min(tx0 + tile, width) - 1, ty0, min(ty0 + tile, height) - 1


@njit(cache=True, error_model="numpy", inline="always")
def _record_edges(r, box, records):
    """Where record r meets the pixel box (x0, x1, y0, y1): its pixels there (bx0, bx1,
    by0, by1; empty when bx0 > bx1 or by0 > by1), its corners (XY_* order), the
    top-left rule's bias of each edge (a biased edge value is >= 0 inside: the bias of
    1 excludes the pixel centres that lie exactly on an edge which is not a top or
    left edge) and its corners' window depths over its area (so that the edge values
    weight them)."""
    _, rec_edge, rec_edge_z, _, _, _ = records
    tx0, tx1, ty0, ty1 = box
    pixels = (
        max(np.int64(rec_edge[r, E_BOX + B_XMIN]), tx0),
        min(np.int64(rec_edge[r, E_BOX + B_XMAX]), tx1),
        max(np.int64(rec_edge[r, E_BOX + B_YMIN]), ty0),
        min(np.int64(rec_edge[r, E_BOX + B_YMAX]), ty1),
    )
    x0 = np.int64(rec_edge[r, E_XY + XY_X0])
    x1 = np.int64(rec_edge[r, E_XY + XY_X1])
    x2 = np.int64(rec_edge[r, E_XY + XY_X2])
    y0 = np.int64(rec_edge[r, E_XY + XY_Y0])
    y1 = np.int64(rec_edge[r, E_XY + XY_Y1])
    y2 = np.int64(rec_edge[r, E_XY + XY_Y2])
    bias = (
        1 - _is_top_left(x1, y1, x2, y2),
        1 - _is_top_left(x2, y2, x0, y0),
        1 - _is_top_left(x0, y0, x1, y1),
    )
    z = (rec_edge_z[r, E_Z], rec_edge_z[r, E_Z + 1], rec_edge_z[r, E_Z + 2])
    return pixels, (x0, x1, x2, y0, y1, y2), bias, z


@intrinsic
def _prefetch(typingctx, array, row, column):
    """Ask the CPU to start loading the cache line of ``array[row, column]`` (a 2-D
    array) while other work goes on: a hint that changes no result, and reads nothing
    when the element lies outside the array (a prefetch never faults)."""
    if not (
        isinstance(array, types.Array)
        and array.ndim == 2
        and isinstance(row, types.Integer)
        and isinstance(column, types.Integer)
    ):
        return None
    signature = types.void(array, row, column)

    def codegen(context, builder, sig, args):
        rows = context.make_array(sig.args[0])(context, builder, args[0])
        row_stride = builder.extract_value(rows.strides, 0)
        column_stride = builder.extract_value(rows.strides, 1)
        i = context.cast(builder, args[1], sig.args[1], types.intp)
        j = context.cast(builder, args[2], sig.args[2], types.intp)
        offset = builder.add(builder.mul(i, row_stride), builder.mul(j, column_stride))
        emit_prefetch(builder, builder.add(builder.ptrtoint(rows.data, row_stride.type), offset))
        return context.get_dummy_value()

    return signature, codegen


def _depth_run_intrinsic(lanes: int):
    """``depth_run(depth, ids, y, x, e0, e1, e2, sx0, sx1, sx2, z_row, dz, offset, r)``:
    the depth test of pixels x .. x + lanes - 1 of row y against record r, as vector
    instructions. depth (H, W) float32 and ids (H, W) int32, C-contiguous; e0, e1, e2
    the int64 edge values at pixel x, stepping by sx0, sx1, sx2 a pixel; a pixel is
    inside where all three are >= 0, its depth float32(z_row + dz * (offset + lane)),
    and where inside and nearer than depth[y, x + lane] it takes that depth and id r.
    Every lane's depth and id is loaded and stored back (unchanged where not nearer).

    Why written out as vector IR: the same test as a Numba loop of ``lanes`` iterations
    was compiled, on an AVX2 CPU (AMD Zen 3), into scalar code with two branches a pixel
    (LLVM vectorised it only with AVX-512's 16 lanes). Written as vectors, LLVM turned
    the select-then-store into masked stores (vmaskmovps), slower on those cores than
    the scalar code (the depth pass 1.05-1.13 times its time). With the store's address
    passed through an empty asm statement, so that LLVM keeps a plain vector store, the
    depth pass took 0.55 (BrainStem), 0.61 (FlightHelmet) and 0.63 (the bunny) of the
    scalar loop's time (``benchmarks/depth_turns.py --pass-only``: one thread's CPU,
    1024 x 1024 unlit, ten views each, 70 pairs of runs in turns in one process), the
    visibility (ids and depth) identical on every view; whole frames on two threads took
    0.81-0.95 of their time. Runs of 16 took 0.61-0.77 there; 32-bit edge values, for
    records whose values fit, gained nothing further. Raw:
    benchmarks/results/2026-12-06/depth-run-vector-ir.txt."""
    lane_index = ir.Constant(ir.VectorType(ir.IntType(64), lanes), list(range(lanes)))
    lane_offset = ir.Constant(ir.VectorType(ir.DoubleType(), lanes), [float(i) for i in range(lanes)])

    @intrinsic
    def depth_run(typingctx, depth, ids, y, x, e0, e1, e2, sx0, sx1, sx2, z_row, dz, offset, r):
        if not (
            isinstance(depth, types.Array)
            and depth.dtype == types.float32
            and depth.ndim == 2
            and depth.layout == "C"
            and isinstance(ids, types.Array)
            and ids.dtype == types.int32
            and ids.ndim == 2
            and ids.layout == "C"
            and all(isinstance(v, types.Integer) for v in (y, x, e0, e1, e2, sx0, sx1, sx2, r))
            and all(v == types.float64 for v in (z_row, dz, offset))
        ):
            return None
        signature = types.void(depth, ids, y, x, e0, e1, e2, sx0, sx1, sx2, z_row, dz, offset, r)

        def codegen(context, builder, sig, args):
            i32, i64 = ir.IntType(32), ir.IntType(64)
            f32, f64 = ir.FloatType(), ir.DoubleType()

            def scalar(k, to):
                return context.cast(builder, args[k], sig.args[k], to)

            def splat(value, element):
                vector = ir.VectorType(element, lanes)
                one = builder.insert_element(ir.Constant(vector, ir.Undefined), value, i32(0))
                return builder.shuffle_vector(
                    one,
                    ir.Constant(vector, ir.Undefined),
                    ir.Constant(ir.VectorType(i32, lanes), [0] * lanes),
                )

            row, column = scalar(2, types.int64), scalar(3, types.int64)

            def run_pointer(k, element):
                array = context.make_array(sig.args[k])(context, builder, args[k])
                stride = builder.extract_value(array.strides, 0)
                address = builder.add(
                    builder.ptrtoint(array.data, i64),
                    builder.add(builder.mul(row, stride), builder.mul(column, i64(4))),
                )
                return builder.inttoptr(address, ir.VectorType(element, lanes).as_pointer())

            edges = None
            for k in range(3):
                value = builder.add(
                    splat(scalar(4 + k, types.int64), i64),
                    builder.mul(splat(scalar(7 + k, types.int64), i64), lane_index),
                )
                edges = value if edges is None else builder.or_(edges, value)
            inside = builder.icmp_signed(">=", edges, ir.Constant(ir.VectorType(i64, lanes), [0] * lanes))
            at = builder.fadd(splat(args[12], f64), lane_offset)
            z = builder.fptrunc(
                builder.fadd(splat(args[10], f64), builder.fmul(splat(args[11], f64), at)),
                ir.VectorType(f32, lanes),
            )

            def opaque(pointer):
                # the same address through an empty asm statement: LLVM cannot see that the
                # store goes where the load came from, so it keeps a plain vector store
                # rather than a masked one
                address = builder.asm(
                    ir.FunctionType(i64, [i64]), "", "=r,0", [builder.ptrtoint(pointer, i64)], False
                )
                return builder.inttoptr(address, pointer.type)

            depth_at = run_pointer(0, f32)
            ids_at = run_pointer(1, i32)
            here = builder.load(depth_at, align=4)
            closer = builder.and_(inside, builder.fcmp_ordered("<", z, here))
            builder.store(builder.select(closer, z, here), opaque(depth_at), align=4)
            record = splat(scalar(13, types.int32), i32)
            builder.store(
                builder.select(closer, record, builder.load(ids_at, align=4)), opaque(ids_at), align=4
            )
            return context.get_dummy_value()

        return signature, codegen

    return depth_run


# Module globals, not cells of raster_tiles' closure: Numba keys a closure's cached
# machine code by the pickle of its cells, and an intrinsic made at run time pickles
# differently in every process, so each run compiled the depth pass again (2.3-2.7 s)
# and added one more copy to the cache. A global is read when the kernel compiles and
# is not part of the key; this file's time stamp still retires the cache when it changes.
_depth_run_wide = _depth_run_intrinsic(DEPTH_LANES_WIDE)
_depth_run_narrow = _depth_run_intrinsic(DEPTH_LANES_NARROW)


def _depth_kernel(any_masked: bool, lanes: int = DEPTH_LANES):
    """``raster_tiles(next_tile, bins, grid, records, surface, depth, ids)``: one
    thread's share of raster_opaque, on the work pool's threads (see
    _transform_blocks): it claims tiles until none are left, and per tile clears it and
    draws its records with the depth test. any_masked: whether some material is MASK
    (a constant of the closure, which Numba folds); without one the records' materials
    are not read at all (a cache line of rec_plane per record) and the alpha test is
    not compiled. lanes: the pixels of a run (DEPTH_LANES; the other count for tests).

    The whole pass is this one function rather than a tile helper inlined into a claim
    loop: Numba copies an inlined body's IR, at a cost of its blocks times its
    variables, at every level it is inlined through; the tile helper's copy alone was
    0.65 of the 2.2 CPU s the pass took to compile."""

    if lanes not in (DEPTH_LANES_WIDE, DEPTH_LANES_NARROW):
        raise ValueError(f"a depth run is {DEPTH_LANES_WIDE} or {DEPTH_LANES_NARROW} pixels, not {lanes}")
    wide_runs = lanes == DEPTH_LANES_WIDE  # a constant of the closure: Numba compiles one branch

    @njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
    @_variant_name("raster_tiles", masked=any_masked, lanes=lanes)
    def raster_tiles(next_tile, bins, grid, records, surface, depth, ids):
        tile_order, tile_start, tile_list = bins
        rec_edge = records[1]
        rec_plane = records[4]
        mat = surface[0]
        while True:
            t = _claim_tile(next_tile, tile_order)
            if t < 0:
                break
            box = _tile_box(t, grid)
            start = tile_start[t]
            stop = tile_start[t + 1]
            tx0, tx1, ty0, ty1 = box
            # row slices compile to vector stores: 0.35 ms for a 1024 x 1024 picture against
            # 2.7 ms for the same two stores a pixel at a time (one thread)
            for y in range(ty0, ty1 + 1):
                depth[y, tx0 : tx1 + 1] = 1.0
                ids[y, tx0 : tx1 + 1] = -1
            for e in range(start, stop):
                r = tile_list[e]
                if e + PREFETCH_AHEAD < stop:
                    _prefetch(rec_edge, tile_list[e + PREFETCH_AHEAD], 0)
                (bx0, bx1, by0, by1), (x0, x1, x2, y0, y1, y2), (bias0, bias1, bias2), (z0, z1, z2) = (
                    _record_edges(r, box, records)
                )
                if bx0 > bx1 or by0 > by1:
                    continue
                masked = False
                cutoff = 0.0
                if any_masked:
                    m = int(rec_plane[r, P_MATERIAL])
                    masked = mat[m, M_ALPHA] == MASK
                    cutoff = mat[m, M_CUTOFF]
                sx0 = -(y2 - y1) * ONE
                sx1 = -(y0 - y2) * ONE
                sx2 = -(y1 - y0) * ONE
                sy0 = (x2 - x1) * ONE
                sy1 = (x0 - x2) * ONE
                sy2 = (x1 - x0) * ONE
                px = bx0 * ONE + HALF
                py = by0 * ONE + HALF
                row0 = _edge(x1, y1, x2, y2, px, py) - bias0
                row1 = _edge(x2, y2, x0, y0, px, py) - bias1
                row2 = _edge(x0, y0, x1, y1, px, py) - bias2
                dz = sx0 * z0 + sx1 * z1 + sx2 * z2
                if not masked and tx1 - tx0 >= lanes - 1:
                    # ``lanes`` pixels of the row at a time, every one tested, in vector
                    # instructions (_depth_run_intrinsic): no per-row span to
                    # solve, no loop of a new length each row. A run starts at x, or
                    # further left where x is too near the tile's right end, so that it
                    # stays inside the tile that this thread owns. Its pixels outside
                    # bx0..bx1 need no mask: those outside the record's box are outside
                    # the triangle (an edge value < 0), and those left of x were tested
                    # against this record already (testing again changes nothing: z < z
                    # is false).
                    for y in range(by0, by1 + 1):
                        # the depth at bx0, as the per-pixel loop below starts a narrow row
                        z_row = (row0 + bias0) * z0 + (row1 + bias1) * z1 + (row2 + bias2) * z2
                        x = bx0
                        while x <= bx1:
                            run_x = min(x, tx1 - (lanes - 1))
                            offset = run_x - bx0
                            # the edge values step by addition from lane to lane (a multiply
                            # of int64 lanes is a sequence of instructions on AVX2); the
                            # depth is the row's value plus a step times the exact offset,
                            # as the pixel loop below has it
                            edge0 = row0 + sx0 * offset
                            edge1 = row1 + sx1 * offset
                            edge2 = row2 + sx2 * offset
                            at = np.float64(offset)
                            if wide_runs:
                                _depth_run_wide(
                                    depth, ids, y, run_x, edge0, edge1, edge2, sx0, sx1, sx2, z_row, dz, at, r
                                )
                            else:
                                _depth_run_narrow(
                                    depth, ids, y, run_x, edge0, edge1, edge2, sx0, sx1, sx2, z_row, dz, at, r
                                )
                            x = run_x + lanes
                        row0 += sy0
                        row1 += sy1
                        row2 += sy2
                    continue
                # MASK records, and tiles narrower than the runs: a row's pixels one by one
                wide = bx1 - bx0 >= SPAN_MIN_WIDTH
                for y in range(by0, by1 + 1):
                    lo = bx0
                    hi = bx1
                    if wide:
                        # solve each edge for the run of pixel centres inside it (exact
                        # integer division) rather than testing every pixel of a long row
                        # one call site for the three edges: inlined three times, _span's
                        # blocks were copied and compiled three times
                        rows = (row0, row1, row2)
                        steps = (sx0, sx1, sx2)
                        for k in range(3):
                            lo, hi = _span(rows[k], steps[k], lo, hi, bx0)
                    e0 = row0 + sx0 * (lo - bx0)
                    e1 = row1 + sx1 * (lo - bx0)
                    e2 = row2 + sx2 * (lo - bx0)
                    # depth is linear along the row: its value at lo plus a step per pixel
                    z_lo = (e0 + bias0) * z0 + (e1 + bias1) * z1 + (e2 + bias2) * z2
                    for x in range(lo, hi + 1):
                        # a wide row's span is exact: every pixel of it is inside
                        if wide or (e0 | e1 | e2) >= 0:
                            z = np.float32(z_lo + dz * (x - lo))
                            if z < depth[y, x] and (
                                not masked or _fragment_alpha(r, x, y, rec_plane, surface) >= cutoff
                            ):
                                depth[y, x] = z
                                ids[y, x] = r
                        if not wide:
                            e0 += sx0
                            e1 += sx1
                            e2 += sx2
                    row0 += sy0
                    row1 += sy1
                    row2 += sy2

    return raster_tiles


# each variant a global of its own (see _shade_bands_lit)
_raster_tiles = _depth_kernel(False)
_raster_tiles_masked = _depth_kernel(True)


@functools.cache
def opaque_kernel(masked: bool):
    """``raster_opaque(bins, grid, records, surface, depth, ids)``, with the alpha test
    of MASK materials compiled in only when ``masked``.

    Depth-tested visibility per tile: depth (H, W) float32 window depth (1 where
    empty), ids (H, W) int32 record id (-1 where empty); both are cleared here.
    bins = (tile_order, tile_start, tile_list): the tiles in the order threads claim
    them, each tile's first entry in tile_list (ntiles + 1,) and the binned record
    ids; grid = (tile, ntx, width, height) in sub-samples."""
    worker = _raster_tiles_masked if masked else _raster_tiles

    def raster_opaque(bins, grid, records, surface, depth, ids):
        run(worker, np.zeros(1, np.int64), bins, grid, records, surface, depth, ids)

    return raster_opaque


@njit(cache=True, error_model="numpy", inline="always")
def _fragment(r, x, y, textured, rec_plane, mat):
    """What shading.shade needs of record r at pixel (x, y) besides the scene: its
    material, vertices, weights (with derivatives where a texture needs them) and
    whether it faces away. The callers inline shade themselves: Numba copies an
    inlined function's code at every level it is inlined through, so the big shader
    is inlined once, directly where it runs."""
    m = int(rec_plane[r, P_MATERIAL])
    derivatives = textured and (mat[m, M_BASE_TEX] >= 0 or mat[m, M_EM_TEX] >= 0 or mat[m, M_MAPS] == 1.0)
    return (
        m,
        record_vertices(r, rec_plane),
        record_weights(r, x, y, rec_plane, derivatives),
        rec_plane[r, P_BACK] == 1.0,
    )


@njit(cache=True, error_model="numpy", inline="always")
def _store_sample(y, x, rgba, s, samples, srgb, picture):
    """Sub-sample (y, x) of a shaded pass: its linear colour and coverage; with
    supersample 1 (the sub-sample buffers are the picture's) its sRGB colour too,
    unless srgb[2] is False (a tone-mapping pass writes the colour afterwards)."""
    linear_ss, alpha_ss, _ = samples
    color = picture[3]
    for c in range(3):
        linear_ss[y, x, c] = rgba[c]
        if s == 1 and srgb[2]:
            color[y, x, c] = encode_srgb8(rgba[c], srgb[0], srgb[1])
    alpha_ss[y, x] = rgba[3]


def _span_kernel(textured: bool, environment: bool):
    """``shade_span(y, x0, x1, lanes, job)``: shade_visible's PBR shading of sub-samples
    x0..x1-1 of row y (one tile's row, at most the tile's width) into samples, as
    shading.shade would give them one by one, to the bit. lanes (pbr.Q_COLUMNS, >= x1 -
    x0) float64: the calling thread's lane table (pbr_kernel's Q_* rows); job:
    shade_bands'. The texture fetches run fragment by fragment and fill the lanes;
    the normal map, the material terms and each directional light then run as loops
    over all lanes (pbr_kernel's *_lanes), loops without calls or early exits that
    LLVM can vectorise. FlightHelmet's PBR shading pass at 1024 x 1024 took one thread
    36.5-37.0 ms of CPU time against 64.3-65.2 ms fragment by fragment through
    shading.shade (profile_pbr.py --cpu, runs of each in turns, load 2-6 on 2 cores),
    with the same picture to the bit. Called, not inlined, once per tile row (the band
    shader's loop stays small to compile), and without reference counting
    (_nrt=False, as pbr_kernel.shade_pbr). The translucent pass still shades through
    shading.shade, fragment by fragment (its fragments arrive in depth order, not by
    rows). textured and environment (whether the picture has image-based light) are
    compile-time constants: an untextured variant compiles none of the map code, and
    one without environment does not compile pbr_kernel.environment_light."""

    @njit(cache=True, error_model="numpy", _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
    @_variant_name("shade_span", PBR, textured, environment=environment)
    def shade_span(y, x0, x1, lanes, job):
        ids, s, ortho, rec_plane, surface, lighting, samples, srgb, picture, _, _ = job
        mat, attr, pool, levels, level_count, wrap = surface
        lights, params = lighting
        n = x1 - x0
        for x in range(x0, x1):
            i = x - x0
            r = ids[y, x]
            if x + PREFETCH_AHEAD < ids.shape[1]:
                # the record a few sub-samples on, in the next tile too: its row of
                # rec_plane (two cache lines), as the band shader of the other modes
                ahead = ids[y, x + PREFETCH_AHEAD]
                if ahead >= 0 and ahead != r:
                    _prefetch(rec_plane, ahead, 0)
                    _prefetch(rec_plane, ahead, P_COLUMNS - 1)
            if x + VERTEX_AHEAD < ids.shape[1]:
                # the attribute rows (normal, uvs, tangent: two cache lines each) of the
                # vertices of the record half as far on, whose rec_plane row was asked
                # for above. FlightHelmet pbr 1024^2, one thread's CPU in shade_visible:
                # 0.94-0.99 of its time with both (medians of 30, six views); the
                # rec_plane row alone 1.00-1.04, the attribute rows alone 0.99-1.02
                near = ids[y, x + VERTEX_AHEAD]
                if near >= 0 and near != r:
                    a0, a1, a2 = record_vertices(near, rec_plane)
                    _prefetch(attr, a0, 0)
                    _prefetch(attr, a0, pbr.A_PBR_COLUMNS - 1)
                    _prefetch(attr, a1, 0)
                    _prefetch(attr, a1, pbr.A_PBR_COLUMNS - 1)
                    _prefetch(attr, a2, 0)
                    _prefetch(attr, a2, pbr.A_PBR_COLUMNS - 1)
            if r < 0:
                lanes[pbr.Q_KIND, i] = pbr.K_EMPTY
                continue
            m, verts, w, back = _fragment(r, x, y, textured, rec_plane, mat)
            # branches on the closure's constant, dropped before anything is inlined
            if textured:
                br, bg, bb, _ = base_color_textured(m, verts, w, surface)
            else:
                br, bg, bb, _ = base_color_untextured(m, verts, w, surface)
            if mat[m, M_UNLIT] == 1.0:
                lanes[pbr.Q_KIND, i] = pbr.K_UNLIT
                lanes[pbr.Q_R, i] = br
                lanes[pbr.Q_G, i] = bg
                lanes[pbr.Q_B, i] = bb
                continue
            lanes[pbr.Q_KIND, i] = pbr.K_PBR
            er = mat[m, M_EMISSIVE]
            eg = mat[m, M_EMISSIVE + 1]
            eb = mat[m, M_EMISSIVE + 2]
            t = int(mat[m, M_EM_TEX])
            if textured and t >= 0 and (er > 0.0 or eg > 0.0 or eb > 0.0):
                t0, t1, t2, _ = sample(t, A_EM_UV, verts, w, surface)
                er *= t0
                eg *= t1
                eb *= t2
            lanes[pbr.Q_ER, i] = er
            lanes[pbr.Q_EG, i] = eg
            lanes[pbr.Q_EB, i] = eb
            v0, v1, v2 = verts
            o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2 = w
            lanes[pbr.Q_NX, i] = (
                o0 * attr[v0, A_NRM + 0] + o1 * attr[v1, A_NRM + 0] + o2 * attr[v2, A_NRM + 0]
            )
            lanes[pbr.Q_NY, i] = (
                o0 * attr[v0, A_NRM + 1] + o1 * attr[v1, A_NRM + 1] + o2 * attr[v2, A_NRM + 1]
            )
            lanes[pbr.Q_NZ, i] = (
                o0 * attr[v0, A_NRM + 2] + o1 * attr[v1, A_NRM + 2] + o2 * attr[v2, A_NRM + 2]
            )
            px = o0 * attr[v0, A_POS + 0] + o1 * attr[v1, A_POS + 0] + o2 * attr[v2, A_POS + 0]
            py = o0 * attr[v0, A_POS + 1] + o1 * attr[v1, A_POS + 1] + o2 * attr[v2, A_POS + 1]
            pz = o0 * attr[v0, A_POS + 2] + o1 * attr[v1, A_POS + 2] + o2 * attr[v2, A_POS + 2]
            lanes[pbr.Q_PX, i] = px
            lanes[pbr.Q_PY, i] = py
            lanes[pbr.Q_PZ, i] = pz
            lanes[pbr.Q_EX, i] = -px
            lanes[pbr.Q_EY, i] = -py
            lanes[pbr.Q_EZ, i] = -pz
            lanes[pbr.Q_BACK, i] = 1.0 if back else 0.0
            if not textured:
                # no material has a map: the factors alone (surface_maps' values without
                # maps), and none of the map code is compiled
                lanes[pbr.Q_R, i] = br
                lanes[pbr.Q_G, i] = bg
                lanes[pbr.Q_B, i] = bb
                lanes[pbr.Q_METALLIC, i] = min(max(mat[m, M_METALLIC], 0.0), 1.0)
                lanes[pbr.Q_ROUGH, i] = min(max(mat[m, M_ROUGHNESS], 0.0), 1.0)
                lanes[pbr.Q_AO, i] = 1.0
                continue
            br, bg, bb, metallic, rough, ao, s0, s1, s2 = pbr.surface_maps(
                m, br, bg, bb, v0, v1, v2, o0, o1, o2, ox0, ox1, ox2, oy0, oy1, oy2,
                mat, attr, pool, levels, level_count, wrap,
            )  # fmt: skip
            lanes[pbr.Q_R, i] = br
            lanes[pbr.Q_G, i] = bg
            lanes[pbr.Q_B, i] = bb
            lanes[pbr.Q_METALLIC, i] = metallic
            lanes[pbr.Q_ROUGH, i] = rough
            lanes[pbr.Q_AO, i] = ao
            mapped = mat[m, M_NORMAL_TEX] >= 0.0 or mat[m, M_PACK_TEX] >= 0.0
            lanes[pbr.Q_MAPPED, i] = 1.0 if mapped else 0.0
            if mapped:
                lanes[pbr.Q_TX, i] = (
                    o0 * attr[v0, pbr.A_TAN] + o1 * attr[v1, pbr.A_TAN] + o2 * attr[v2, pbr.A_TAN]
                )
                lanes[pbr.Q_TY, i] = (
                    o0 * attr[v0, pbr.A_TAN + 1] + o1 * attr[v1, pbr.A_TAN + 1] + o2 * attr[v2, pbr.A_TAN + 1]
                )
                lanes[pbr.Q_TZ, i] = (
                    o0 * attr[v0, pbr.A_TAN + 2] + o1 * attr[v1, pbr.A_TAN + 2] + o2 * attr[v2, pbr.A_TAN + 2]
                )
                lanes[pbr.Q_TW, i] = (
                    o0 * attr[v0, pbr.A_TAN + 3] + o1 * attr[v1, pbr.A_TAN + 3] + o2 * attr[v2, pbr.A_TAN + 3]
                )
                lanes[pbr.Q_S0, i] = s0
                lanes[pbr.Q_S1, i] = s1
                lanes[pbr.Q_S2, i] = s2
                lanes[pbr.Q_SCALE, i] = mat[m, M_NORMAL_SCALE]
        pbr.unit_lanes(lanes, n, ortho)
        if textured:  # without maps no lane is normal-mapped
            pbr.normal_lanes(lanes, n)
        pbr.material_lanes(lanes, n)
        for k in range(lights.shape[0]):
            if lights[k, L_KIND] == DIRECTIONAL:
                pbr.light_lanes(
                    lanes,
                    n,
                    lights[k, 0],
                    lights[k, 1],
                    lights[k, 2],
                    lights[k, 3],
                    lights[k, 4],
                    lights[k, 5],
                )
            else:
                pbr.punctual_lanes(lanes, n, lights, k)
        for x in range(x0, x1):
            i = x - x0
            kind = lanes[pbr.Q_KIND, i]
            rgba = (0.0, 0.0, 0.0, 0.0)
            if kind == pbr.K_UNLIT:
                rgba = (lanes[pbr.Q_R, i], lanes[pbr.Q_G, i], lanes[pbr.Q_B, i], 1.0)
            elif kind == pbr.K_PBR:
                pr = lanes[pbr.Q_OR, i]
                pg = lanes[pbr.Q_OG, i]
                pb = lanes[pbr.Q_OB, i]
                if environment:
                    dr, dg, db = pbr.environment_light(
                        params, lanes[pbr.Q_NX, i], lanes[pbr.Q_NY, i], lanes[pbr.Q_NZ, i],
                        lanes[pbr.Q_EX, i], lanes[pbr.Q_EY, i], lanes[pbr.Q_EZ, i],
                        lanes[pbr.Q_CR, i], lanes[pbr.Q_CG, i], lanes[pbr.Q_CB, i],
                        lanes[pbr.Q_F0R, i], lanes[pbr.Q_F0G, i], lanes[pbr.Q_F0B, i], lanes[pbr.Q_ROUGH, i], lanes[pbr.Q_AO, i],
                    )  # fmt: skip
                    pr += dr
                    pg += dg
                    pb += db
                rgba = (pr + lanes[pbr.Q_ER, i], pg + lanes[pbr.Q_EG, i], pb + lanes[pbr.Q_EB, i], 1.0)
            _store_sample(y, x, rgba, s, samples, srgb, picture)

    return shade_span


# one compiled span shader per variant, each a global of its own (see _shade_bands_lit)
_shade_span_pbr = _span_kernel(False, False)
_shade_span_pbr_textured = _span_kernel(True, False)
_shade_span_pbr_environment = _span_kernel(False, True)
_shade_span_pbr_textured_environment = _span_kernel(True, True)


def _band_kernel(mode: int, textured: bool, environment: bool = False):
    """``shade_bands(next_band, next_table, tables, job)`` for one shading mode, with or
    without textures (and for PBR, with or without an environment): one thread's share
    of shade_visible. It claims output rows (bands of s sub-sample rows) from the
    counter next_band until none are left, shades them and resolves them. job = (ids,
    s, ortho, rec_plane, surface, lighting, samples, srgb, picture, tile_start, grid),
    see shade_kernel. A closure over the constants, which Numba folds; run on the work
    pool's threads (see _transform_blocks). PBR shades each tile row in one call of the
    span shader (_span_kernel), in a lane table of its own: tables (T, pbr.Q_COLUMNS,
    tile or 1) float64, one per thread of the run, claimed from the counter next_table
    (int64 (1,)); the other modes shade a fragment at a time.

    Without Numba's reference counting (_nrt=False, so it allocates nothing: the lane
    tables come in). With it, the arrays the loops take out of job, and those they hand
    to the texture sampler, had their shared counters atomically raised and lowered
    again, row after row and fragment after fragment, on arrays that Python passed in
    (a parallel loop's body gets them without a counter, which is why the same shader
    ran faster inside a prange kernel). FlightHelmet, unlit with textures, 1024 x 1024,
    one thread's CPU time in this pass: 29.6 ms with counting, 25.4 ms without
    (benchmarks/profile_pbr.py --cpu)."""

    @njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
    @_variant_name("shade_bands", mode, textured, environment=environment)
    def shade_bands(next_band, next_table, tables, job):
        ids, s, ortho, rec_plane, surface, lighting, samples, srgb, picture, tile_start, grid = job
        tile, ntx, width, height = grid
        # PBR shades a tile row at a time in the lanes of this thread's table (_span_kernel)
        lanes = tables[claim(next_table)]
        while True:
            band = claim(next_band)
            if band * s >= height:
                break
            for y in range(band * s, band * s + s):
                first_tile = (y // tile) * ntx
                for tx in range(ntx):
                    x0 = tx * tile
                    x1 = min(x0 + tile, width)
                    if tile_start[first_tile + tx] == tile_start[first_tile + tx + 1]:
                        _store_empty(y, x0, x1, s, samples, picture)
                        continue
                    # branches on the closure's constants, which Numba drops before it
                    # inlines anything: a PBR band shader never inlines shading.shade, and
                    # an untextured one calls the untextured span shader only
                    if mode == PBR:
                        if textured and environment:
                            _shade_span_pbr_textured_environment(y, x0, x1, lanes, job)
                        elif textured:
                            _shade_span_pbr_textured(y, x0, x1, lanes, job)
                        elif environment:
                            _shade_span_pbr_environment(y, x0, x1, lanes, job)
                        else:
                            _shade_span_pbr(y, x0, x1, lanes, job)
                    else:
                        # a fragment at a time through shading.shade, inlined here and
                        # nowhere between: Numba copies an inlined body at every level it
                        # passes through (a _shade_row helper in between cost 1.7 of the
                        # lit shader's 7.0 CPU s of compile)
                        mat = surface[0]
                        flat_m = -1  # the flat material whose colour and codes are at hand
                        flat = (0.0, 0.0, 0.0, 1.0)
                        codes = (np.uint8(0), np.uint8(0), np.uint8(0))
                        # the record whose UV plane, texture and factor are at hand
                        plane_r = -1
                        plane = ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 0.0, 0.0)
                        plane_t = 0
                        plane_keep = 1.0
                        factor = (0.0, 0.0, 0.0)
                        for x in range(x0, x1):
                            r = ids[y, x]
                            if x + PREFETCH_AHEAD < ids.shape[1]:
                                # the record a few sub-samples on, in the next tile too:
                                # its row of rec_plane (two cache lines)
                                ahead = ids[y, x + PREFETCH_AHEAD]
                                if ahead >= 0 and ahead != r:
                                    _prefetch(rec_plane, ahead, 0)
                                    _prefetch(rec_plane, ahead, P_COLUMNS - 1)
                            rgba = (0.0, 0.0, 0.0, 0.0)
                            if r >= 0:
                                m = int(rec_plane[r, P_MATERIAL])
                                if (
                                    textured
                                    and (mode == UNLIT or mat[m, M_UNLIT] == 1.0)
                                    and mat[m, M_PLAIN] == 1.0
                                    and mat[m, M_BASE_TEX] >= 0
                                ):
                                    # an unlit textured material without vertex colours: its
                                    # factor times the texture at the UV, which comes from the
                                    # record's plane (record_uv_plane), made once per run of
                                    # the record's pixels (records of FlightHelmet at 1024^2:
                                    # 5.7 px on average) rather than from nine weights and six
                                    # vertex values at every pixel. The same pictures to the
                                    # bit (the benchmark models and tests/data, unlit and lit);
                                    # FlightHelmet's unlit shading pass at 1024^2, one
                                    # thread's CPU: 14.0 ms against 15.3 (medians of ten runs
                                    # in turns, profile_render.py --cpu)
                                    if r != plane_r:
                                        plane_r = r
                                        plane = record_uv_plane(r, rec_plane, surface[1], A_BASE_UV)
                                        factor = (mat[m, M_BASE], mat[m, M_BASE + 1], mat[m, M_BASE + 2])
                                        plane_keep = 1.0 - mat[m, M_TRANSMISSION]
                                        plane_t = int(mat[m, M_BASE_TEX])
                                    u, v, dudx, dvdx, dudy, dvdy = plane_uv(plane, x, y)
                                    tr, tg, tb, _ = texture_at_uv(
                                        plane_t, u, v, dudx, dvdx, dudy, dvdy,
                                        surface[2], surface[3], surface[4], surface[5],
                                    )  # fmt: skip
                                    # shading.shade's products, in its order
                                    tr, tg, tb = factor[0] * tr, factor[1] * tg, factor[2] * tb
                                    if plane_keep < 1.0:
                                        tr, tg, tb = tr * plane_keep, tg * plane_keep, tb * plane_keep
                                    rgba = (tr, tg, tb, 1.0)
                                    _store_sample(y, x, rgba, s, samples, srgb, picture)
                                    continue
                                if (mode == UNLIT or mat[m, M_UNLIT] == 1.0) and mat[m, M_FLAT] == 1.0:
                                    # an unlit material of one colour (M_FLAT): its factor,
                                    # without weights or vertex rows, and its codes worked
                                    # out once per run of its pixels
                                    if m != flat_m:
                                        flat_m = m
                                        keep = 1.0 - mat[m, M_TRANSMISSION]
                                        flat = (
                                            mat[m, M_BASE] * keep,
                                            mat[m, M_BASE + 1] * keep,
                                            mat[m, M_BASE + 2] * keep,
                                            1.0,
                                        )
                                        codes = (
                                            encode_srgb8(flat[0], srgb[0], srgb[1]),
                                            encode_srgb8(flat[1], srgb[0], srgb[1]),
                                            encode_srgb8(flat[2], srgb[0], srgb[1]),
                                        )
                                    _store_flat(y, x, flat, codes, s, samples, srgb, picture)
                                    continue
                                m, verts, w, back = _fragment(r, x, y, textured, rec_plane, mat)
                                # one of the two is left (textured is the closure's)
                                if textured:
                                    cr, cg, cb, _ = shade_textured(
                                        m, verts, w, back, ortho, mode, surface, lighting
                                    )
                                else:
                                    cr, cg, cb, _ = shade_untextured(
                                        m, verts, w, back, ortho, mode, surface, lighting
                                    )
                                rgba = (cr, cg, cb, 1.0)
                            _store_sample(y, x, rgba, s, samples, srgb, picture)
            if s > 1:
                for tx in range(ntx):
                    x0 = tx * (tile // s)
                    x1 = min(x0 + tile // s, width // s)
                    t = (band * s // tile) * ntx + tx
                    if tile_start[t] == tile_start[t + 1]:
                        _resolve_empty(band, x0, x1, picture)
                    else:
                        _resolve_span_call(band, x0, x1, samples, s, srgb, picture)

    return shade_bands


@njit(cache=True, error_model="numpy", inline="always")
def _store_flat(y, x, rgba, codes, s, samples, srgb, picture):
    """_store_sample of a colour whose sRGB codes are known (a flat material's)."""
    linear_ss, alpha_ss, _ = samples
    color = picture[3]
    for c in range(3):
        linear_ss[y, x, c] = rgba[c]
        if s == 1 and srgb[2]:
            color[y, x, c] = codes[c]
    alpha_ss[y, x] = rgba[3]


@njit(cache=True, error_model="numpy", inline="always")
def _store_empty(y, x0, x1, s, samples, picture):
    """Sub-samples x0..x1-1 of row y where nothing was drawn (a tile no record reaches,
    whose visibility is all empty): _store_sample's empty values, a row slice at a
    time (vector stores; pixel by pixel, the empty pixels of a 1024 x 1024 picture of
    the bunny took 1.7 ms of one thread's shading)."""
    linear_ss, alpha_ss, _ = samples
    linear_ss[y, x0:x1, :] = 0.0
    alpha_ss[y, x0:x1] = 0.0
    if s == 1:
        picture[3][y, x0:x1, :] = 0


@njit(cache=True, error_model="numpy", inline="always")
def _resolve_empty(y, x0, x1, picture):
    """resolve_span of output pixels x0..x1-1 of row y where every sub-sample is empty."""
    linear, alpha, depth, color = picture
    linear[y, x0:x1, :] = 0.0
    alpha[y, x0:x1] = 0.0
    depth[y, x0:x1] = 1.0
    color[y, x0:x1, :] = 0


# One compiled band shader per variant, each a global of its own: a kernel that named a
# compiled function through a closure would get a new cache key on every run (Numba
# hashes a closure's values into the key, and a compiled function's with a random id).
_shade_bands_lit = _band_kernel(LIT, False)
_shade_bands_lit_textured = _band_kernel(LIT, True)
_shade_bands_unlit = _band_kernel(UNLIT, False)
_shade_bands_unlit_textured = _band_kernel(UNLIT, True)
_shade_bands_pbr = _band_kernel(PBR, False)
_shade_bands_pbr_textured = _band_kernel(PBR, True)
_shade_bands_pbr_environment = _band_kernel(PBR, False, True)
_shade_bands_pbr_textured_environment = _band_kernel(PBR, True, True)


_BAND_SHADERS = {
    (LIT, False): _shade_bands_lit,
    (LIT, True): _shade_bands_lit_textured,
    (UNLIT, False): _shade_bands_unlit,
    (UNLIT, True): _shade_bands_unlit_textured,
    (PBR, False): _shade_bands_pbr,
    (PBR, True): _shade_bands_pbr_textured,
    (PBR, False, True): _shade_bands_pbr_environment,
    (PBR, True, True): _shade_bands_pbr_textured_environment,
}


def band_shader(mode: int, textured: bool, environment: bool = False):
    """The compiled band shader of (mode, textured), and for PBR of whether the picture
    has an environment: ``shade_bands(next_band, next_table, tables, job)``."""
    if mode == PBR and environment:
        return _BAND_SHADERS[(mode, textured, True)]
    return _BAND_SHADERS[(mode, textured)]


@functools.cache
def shade_kernel(mode: int, textured: bool, environment: bool = False):
    """``shade_visible`` for one shading mode (shading.LIT, UNLIT or PBR) and with or
    without the texture sampler (and for PBR, the environment's light). The band
    shaders it runs are closures over these constants, which Numba folds: a job
    compiles only the code it draws with (the default twin, lit and untextured,
    compiles neither the PBR nor the texture code), and each variant caches under its
    own key (Numba hashes a closure's constants into it)."""
    worker = band_shader(mode, textured, environment)

    def shade_visible(ids, s, ortho, rec_plane, surface, lighting, samples, srgb, picture, tile_start, grid):
        """Shade each visible sub-sample once into samples = (linear_ss (H*s, W*s, 3)
        float32, alpha_ss (H*s, W*s) float32, depth_ss) and downsample each band of s
        rows right away into picture = (linear, alpha, depth, color) (see
        ``resolve_span``) while it is still in cache. srgb = srgb_tables() + (encode,):
        encode False leaves the covered tiles' colour to a tone-mapping pass. A
        translucent pass afterwards re-resolves only the tiles it drew in.
        tile_start (ntiles + 1,) int64 and grid: raster_opaque's; a tile that no record reaches is empty (its ids are all -1) and is written as
        such without looking."""
        # threads claim bands one at a time as they come free (holopack.work_queue), in
        # order from the top: neighbouring bands run at once and share the textures in cache
        # one lane table per thread that the run may start (work_pool.run starts threads())
        tables = np.empty((threads(), pbr.Q_COLUMNS, grid[0] if mode == PBR else 1), np.float64)
        run(
            worker,
            np.zeros(1, np.int64),
            np.zeros(1, np.int64),
            tables,
            (ids, s, ortho, rec_plane, surface, lighting, samples, srgb, picture, tile_start, grid),
        )

    return shade_visible


# the same two, called, as the translucent pass has always called them (inlined into its
# loop when that was a parallel kernel, their tuples tripped Numba's array analysis)
_record_edges_call = njit(cache=True, error_model="numpy", _nrt=False)(_record_edges.py_func)  # type: ignore[call-overload]
_fragment_call = njit(cache=True, error_model="numpy", _nrt=False)(_fragment.py_func)  # type: ignore[call-overload]


@functools.cache
def blend_worker(mode: int, textured: bool):
    """``blend_tiles(next_tile, bins, grid, ortho, records, surface, lighting, samples)``
    for one shading mode, with or without textures: one thread's share of raster_blend,
    tiles claimed from next_tile (a closure over the two constants, as shade_bands)."""

    @njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
    @_variant_name("blend_tiles", mode, textured)
    def blend_tiles(next_tile, bins, grid, ortho, records, surface, lighting, samples):
        tile_order, tile_start, tile_list = bins
        linear, alpha, depth = samples
        rec_plane = records[4]
        while True:
            t = _claim_tile(next_tile, tile_order)
            if t < 0:
                break
            box = _tile_box(t, grid)
            stop = tile_start[t + 1]
            for e in range(tile_start[t], stop):
                r = tile_list[e]
                if e + PREFETCH_AHEAD < stop:
                    # the record a few entries on: its edge row and its rec_plane row, as
                    # the depth pass. FlightHelmet pbr 1024^2, one thread's CPU in this
                    # pass: 0.53-0.58 of its time on five of six views (medians of 30)
                    ahead = tile_list[e + PREFETCH_AHEAD]
                    _prefetch(records[1], ahead, 0)
                    _prefetch(rec_plane, ahead, 0)
                    _prefetch(rec_plane, ahead, P_COLUMNS - 1)
                (bx0, bx1, by0, by1), (x0, x1, x2, y0, y1, y2), bias, (z0, z1, z2) = _record_edges_call(
                    r, box, records
                )
                for y in range(by0, by1 + 1):
                    py = y * ONE + HALF
                    for x in range(bx0, bx1 + 1):
                        px = x * ONE + HALF
                        e0 = _edge(x1, y1, x2, y2, px, py)
                        e1 = _edge(x2, y2, x0, y0, px, py)
                        e2 = _edge(x0, y0, x1, y1, px, py)
                        if ((e0 - bias[0]) | (e1 - bias[1]) | (e2 - bias[2])) < 0:
                            continue
                        z = np.float32(e0 * z0 + e1 * z1 + e2 * z2)
                        if not z < depth[y, x]:
                            continue
                        m, verts, w, back = _fragment_call(r, x, y, textured, rec_plane, surface[0])
                        if textured:  # the closure's constant: one of the two is compiled
                            cr, cg, cb, ca = shade_textured(m, verts, w, back, ortho, mode, surface, lighting)
                        else:
                            cr, cg, cb, ca = shade_untextured(
                                m, verts, w, back, ortho, mode, surface, lighting
                            )
                        keep = 1.0 - ca
                        kr = keep
                        kg = keep
                        kb = keep
                        cover = ca
                        mat = surface[0]
                        transmission = mat[m, M_TRANSMISSION]
                        if transmission > 0.0:
                            # KHR_materials_transmission: what lies behind passes through,
                            # tinted by the base colour and the volume's tint, over the
                            # surface's own light (shade scaled its diffuse part down)
                            if textured:
                                br, bg, bb, _ = base_color_textured(m, verts, w, surface)
                            else:
                                br, bg, bb, _ = base_color_untextured(m, verts, w, surface)
                            through = ca * transmission
                            tr = through * min(max(br, 0.0), 1.0) * mat[m, M_TINT]
                            tg = through * min(max(bg, 0.0), 1.0) * mat[m, M_TINT + 1]
                            tb = through * min(max(bb, 0.0), 1.0) * mat[m, M_TINT + 2]
                            kr += tr
                            kg += tg
                            kb += tb
                            cover = ca - (tr + tg + tb) / 3.0  # the coverage it adds
                        linear[y, x, 0] = ca * cr + kr * linear[y, x, 0]
                        linear[y, x, 1] = ca * cg + kg * linear[y, x, 1]
                        linear[y, x, 2] = ca * cb + kb * linear[y, x, 2]
                        alpha[y, x] = cover + (1.0 - cover) * alpha[y, x]

    return blend_tiles


@functools.cache
def blend_kernel(mode: int, textured: bool):
    """``raster_blend(bins, grid, ortho, records, surface, lighting, samples)`` for one
    shading mode, with or without textures (see shade_kernel): composite the binned
    BLEND records over the sub-samples' linear colour and alpha in list order (back to
    front), depth-tested LESS against the opaque depth, which stays. Tiles on the
    threads of holopack.work_pool."""
    worker = blend_worker(mode, textured)

    def raster_blend(bins, grid, ortho, records, surface, lighting, samples):
        run(worker, np.zeros(1, np.int64), bins, grid, ortho, records, surface, lighting, samples)

    return raster_blend


@njit(cache=True, error_model="numpy", inline="always")
def resolve_span(y, x0, x1, samples, s, srgb, picture):
    """Box-downsample the s x s sub-samples (s > 1) of output pixels x0..x1-1 of row
    y into picture = (linear (H, W, 3) float32, alpha (H, W) float32 (coverage),
    depth (H, W) float32 = nearest sub-sample, color (H, W, 3) uint8 sRGB of the
    clamped linear colour, left to a tone-mapping pass when srgb[2] is False)."""
    linear_ss, alpha_ss, depth_ss = samples
    linear, alpha, depth, color = picture
    lut, steps, _ = srgb
    inv = 1.0 / (s * s)
    for x in range(x0, x1):
        r = 0.0
        g = 0.0
        b = 0.0
        a = 0.0
        d = np.float32(1.0)
        for j in range(s):
            yy = y * s + j
            for i in range(s):
                xx = x * s + i
                r += linear_ss[yy, xx, 0]
                g += linear_ss[yy, xx, 1]
                b += linear_ss[yy, xx, 2]
                a += alpha_ss[yy, xx]
                d = min(d, depth_ss[yy, xx])
        r *= inv
        g *= inv
        b *= inv
        linear[y, x, 0] = r
        linear[y, x, 1] = g
        linear[y, x, 2] = b
        alpha[y, x] = a * inv
        depth[y, x] = d
        if srgb[2]:
            # one call site for the three channels: Numba copies an inlined body at each
            rgb = (r, g, b)
            for c in range(3):
                color[y, x, c] = encode_srgb8(rgb[c], lut, steps)


# called, not inlined, by the band shaders: once per tile row of output pixels, the call
# costs nothing beside the row's work, and the shader compiles without its blocks
_resolve_span_call = njit(cache=True, error_model="numpy", _nrt=False)(resolve_span.py_func)  # type: ignore[call-overload]


def resolve_tiles(tiles, ntx, tile, samples, s, srgb, picture):
    """``resolve_span`` over the output pixels of the listed tiles (int64 flat tile
    numbers ``ty * ntx + tx`` of ``tile`` output pixels a side): after the
    translucent pass, only the tiles it drew in need resolving again."""
    run(_resolve_tiles, np.zeros(1, np.int64), tiles, ntx, tile, samples, s, srgb, picture)


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _resolve_tiles(next_tile, tiles, ntx, tile, samples, s, srgb, picture):
    """One thread's share of resolve_tiles."""
    linear_ss = samples[0]
    alpha, color = picture[1], picture[3]
    while True:
        t = _claim_tile(next_tile, tiles)
        if t < 0:
            break
        x0, x1, y0, y1 = _tile_box(t, (tile, ntx, alpha.shape[1], alpha.shape[0]))
        for y in range(y0, y1 + 1):
            if s > 1:
                resolve_span(y, x0, x1 + 1, samples, s, srgb, picture)
                continue
            # supersample 1: the sub-sample buffers are the picture's, only colour is left
            # (and not even that when a tone-mapping pass writes it)
            if not srgb[2]:
                continue
            for x in range(x0, x1 + 1):
                for c in range(3):
                    color[y, x, c] = encode_srgb8(linear_ss[y, x, c], srgb[0], srgb[1])


def srgb_tables() -> tuple[np.ndarray, np.ndarray]:
    """Exact linear -> sRGB uint8 encoding by table: ``steps`` (257,) float64 holds
    the linear value at which each code begins (code k covers sRGB values from
    (k - 0.5) / 255; steps[256] = inf); ``lut`` (4096,) uint8 the code at the start
    of each 1/4096 of the linear range. The curve rises by less than one code per
    1/4096, so one comparison finishes the job."""
    k = np.arange(256, dtype=np.float64)
    e = np.clip((k - 0.5) / 255.0, 0.0, 1.0)
    steps = np.where(e <= 0.04045, e / 12.92, ((e + 0.055) / 1.055) ** 2.4)
    steps[0] = -np.inf
    steps = np.append(steps, np.inf)
    starts = np.arange(4096, dtype=np.float64) / 4096.0
    lut = (np.searchsorted(steps, starts, side="right") - 1).astype(np.uint8)
    return lut, steps


@njit(cache=True, error_model="numpy", inline="always")
def encode_srgb8(v, lut, steps):
    """Linear value -> sRGB uint8, clamped, rounded to the nearest code."""
    if not v > 0.0:
        return np.uint8(0)
    if v >= 1.0:
        return np.uint8(255)
    c = np.int64(lut[int(v * 4096.0)])
    return np.uint8(c + (1 if v >= steps[c + 1] else 0))
