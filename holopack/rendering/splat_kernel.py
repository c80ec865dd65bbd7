"""The Numba Gaussian splat renderer: project, bin per tile, blend front to back.

The forward pass of 3D Gaussian Splatting (Kerbl et al. 2023), written from the
paper's equations; ``splat_reference.py`` is its slow numpy twin, and the tests hold
the two to each other. Stages (``holopack.rendering.splats.SplatRenderer`` owns the
buffers and calls them per frame):

1. ``project`` (in parallel over blocks of splats): per splat the view-space centre,
   culled behind the near plane (clip z < -w, or w <= 0); the 3D covariance
   Sigma = R S S^T R^T (R from the unit quaternion, S = diag(scales)) projected to the
   picture as J W Sigma W^T J^T (EWA splatting: W the view's rotation, J the Jacobian
   of the projection at the centre, in pixels: exact for any projective matrix,
   perspective or orthographic; for a centre far outside the view, at the nearest
   point 1.3 half-widths out, JACOBIAN_NDC), plus 0.3 px^2 on the diagonal (the paper's low-pass
   filter, so that no splat is thinner than a pixel); its inverse (the conic); a
   radius of 3 sigma along the larger eigenvalue, ceil'd, and the box of pixels whose
   centres lie within it, clipped to the picture (empty: culled); the colour from the
   spherical harmonics at the direction from the camera to the centre (real SH, degree
   0-3) + 0.5, clamped at 0; the opacity (a splat below 1/255 can never pass the
   alpha test: culled).
2. ``depth_order`` (serial): the visible splats sorted by depth, a stable radix sort;
   ``gather_boxes`` and ``bin_tiles`` (serial): listed per TILE x TILE tile their box
   meets (a counting
   sort: each tile's list comes out in depth order because the splats are taken in
   depth order).
3. ``blend`` (in parallel over tiles, taken as threads come free): per pixel, the
   splats front to back: alpha = min(0.99, opacity * exp(-0.5 d^T Sigma2D^-1 d)),
   skipped below 1/255; colour += c * alpha * T; T *= 1 - alpha; a pixel is done once
   T < 1e-4. The colour is premultiplied over black (a fan's black is see-through).

"In parallel" means one compiled claim loop run on the threads of holopack.work_pool
(see raster_kernel.py): compiled without reference counting (``_nrt=False``), they
allocate nothing.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..kernel_cache import refresh
from ..work_pool import run
from ..work_queue import claim

refresh(__file__)

TILE = 16  # pixels (sub-samples) per tile side
BLOCK = 4096  # splats per claimed block of the projection
LOW_PASS = 0.3  # px^2 added to the projected covariance's diagonal
# The Jacobian is taken where the centre would be if it lay at most 1.3 half-widths from
# the picture's middle (normalised device x and y clamped to +-1.3), as the 3DGS
# reference rasteriser clamps tx/tz and ty/tz to 1.3 tan(fov/2): a capture's splats far
# outside the view (a room around the subject) were trained so, and unclamped their
# ellipses stretch outward without bound and smear into the picture's edge.
JACOBIAN_NDC = 1.3
ALPHA_MIN = 1.0 / 255.0
ALPHA_MAX = 0.99
T_MIN = 1e-4
# box columns
X0, X1, Y0, Y1 = 0, 1, 2, 3
# the real spherical harmonics' constants (degree 0, 1, 2, 3)
SH_C0 = 0.28209479177387814
SH_C1 = 0.4886025119029199
SH_C2 = (
    1.0925484305920792,
    -1.0925484305920792,
    0.31539156525252005,
    -1.0925484305920792,
    0.5462742152960396,
)
SH_C3 = (
    -0.5900435899266435,
    2.890611442640554,
    -0.4570457994644658,
    0.3731763325901154,
    -0.4570457994644658,
    1.445305721320277,
    -0.5900435899266435,
)


@njit(cache=True, error_model="numpy", inline="always")
def _sh_colour(sh, i, c, x, y, z):
    """Channel c of splat i's colour seen along the unit direction (x, y, z) (from the
    camera to the splat): its spherical harmonics summed, + 0.5, clamped at 0."""
    k = sh.shape[1]
    v = SH_C0 * sh[i, 0, c]
    if k > 1:
        v += -SH_C1 * y * sh[i, 1, c] + SH_C1 * z * sh[i, 2, c] - SH_C1 * x * sh[i, 3, c]
    if k > 4:
        xx, yy, zz = x * x, y * y, z * z
        v += (
            SH_C2[0] * x * y * sh[i, 4, c]
            + SH_C2[1] * y * z * sh[i, 5, c]
            + SH_C2[2] * (2.0 * zz - xx - yy) * sh[i, 6, c]
            + SH_C2[3] * x * z * sh[i, 7, c]
            + SH_C2[4] * (xx - yy) * sh[i, 8, c]
        )
        if k > 9:
            v += (
                SH_C3[0] * y * (3.0 * xx - yy) * sh[i, 9, c]
                + SH_C3[1] * x * y * z * sh[i, 10, c]
                + SH_C3[2] * y * (4.0 * zz - xx - yy) * sh[i, 11, c]
                + SH_C3[3] * z * (2.0 * zz - 3.0 * xx - 3.0 * yy) * sh[i, 12, c]
                + SH_C3[4] * x * (4.0 * zz - xx - yy) * sh[i, 13, c]
                + SH_C3[5] * z * (xx - yy) * sh[i, 14, c]
                + SH_C3[6] * x * (xx - 3.0 * yy) * sh[i, 15, c]
            )
    return max(v + 0.5, 0.0)


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def project_blocks(next_block, splats, camera, size, projected):
    """One thread's share of ``project``: blocks of BLOCK splats claimed from next_block.

    splats = (means (N, 3), scales (N, 3), rotations (N, 4) x y z w, opacities (N,),
    sh (N, K, 3)), float32; camera = (view (4, 4), projection (4, 4), eye (3,): the
    camera's position in the splats' coordinates), float64; size = (width, height) in
    pixels; projected = (xy (N, 2), conic (N, 3), rgb (N, 3), opacity (N,), depth (N,))
    float64 and box (N, 4) int32 (x0 x1 y0 y1 inclusive pixels; x0 = -1 when culled).
    """
    means, scales, rotations, opacities, sh = splats
    view, proj, eye = camera
    width, height = size
    xy, conic, rgb, opacity, depth, box = projected
    n = means.shape[0]
    while True:
        first = claim(next_block) * BLOCK
        stop = min(first + BLOCK, n)
        if first >= stop:
            break
        for i in range(first, stop):
            box[i, X0] = -1
            _project_one(
                i, means, scales, rotations, opacities, sh, view, proj, eye, width, height, projected
            )


@njit(cache=True, error_model="numpy", inline="always")
def _project_one(i, means, scales, rotations, opacities, sh, view, proj, eye, width, height, projected):
    xy, conic, rgb, opacity, depth, box = projected
    op = np.float64(opacities[i])
    if not op >= ALPHA_MIN:  # alpha <= opacity: it never passes the alpha test (or NaN)
        return
    mx = np.float64(means[i, 0])
    my = np.float64(means[i, 1])
    mz = np.float64(means[i, 2])
    vx = view[0, 0] * mx + view[0, 1] * my + view[0, 2] * mz + view[0, 3]
    vy = view[1, 0] * mx + view[1, 1] * my + view[1, 2] * mz + view[1, 3]
    vz = view[2, 0] * mx + view[2, 1] * my + view[2, 2] * mz + view[2, 3]
    cx = proj[0, 0] * vx + proj[0, 1] * vy + proj[0, 2] * vz + proj[0, 3]
    cy = proj[1, 0] * vx + proj[1, 1] * vy + proj[1, 2] * vz + proj[1, 3]
    cz = proj[2, 0] * vx + proj[2, 1] * vy + proj[2, 2] * vz + proj[2, 3]
    cw = proj[3, 0] * vx + proj[3, 1] * vy + proj[3, 2] * vz + proj[3, 3]
    if not (cw > 0.0 and cz >= -cw and math.isfinite(cx) and math.isfinite(cy)):
        return  # behind the near plane (or not a number)
    px = (cx / cw * 0.5 + 0.5) * width
    py = (0.5 - cy / cw * 0.5) * height
    # J: d(pixel)/d(view position), rows x and y, at the centre clamped to JACOBIAN_NDC;
    # then T = J W (W = the view's rotation)
    jcx = min(JACOBIAN_NDC, max(-JACOBIAN_NDC, cx / cw)) * cw
    jcy = min(JACOBIAN_NDC, max(-JACOBIAN_NDC, cy / cw)) * cw
    t00 = t01 = t02 = t10 = t11 = t12 = 0.0
    for j in range(3):
        jx = 0.5 * width * (proj[0, j] * cw - jcx * proj[3, j]) / (cw * cw)
        jy = -0.5 * height * (proj[1, j] * cw - jcy * proj[3, j]) / (cw * cw)
        t00 += jx * view[j, 0]
        t01 += jx * view[j, 1]
        t02 += jx * view[j, 2]
        t10 += jy * view[j, 0]
        t11 += jy * view[j, 1]
        t12 += jy * view[j, 2]
    # R from the quaternion (normalised again: a caller's Splats may not be)
    qx = np.float64(rotations[i, 0])
    qy = np.float64(rotations[i, 1])
    qz = np.float64(rotations[i, 2])
    qw = np.float64(rotations[i, 3])
    qn = math.sqrt(qx * qx + qy * qy + qz * qz + qw * qw)
    if qn > 0.0:
        qx, qy, qz, qw = qx / qn, qy / qn, qz / qn, qw / qn
    else:
        qx, qy, qz, qw = 0.0, 0.0, 0.0, 1.0
    r00 = 1.0 - 2.0 * (qy * qy + qz * qz)
    r01 = 2.0 * (qx * qy - qw * qz)
    r02 = 2.0 * (qx * qz + qw * qy)
    r10 = 2.0 * (qx * qy + qw * qz)
    r11 = 1.0 - 2.0 * (qx * qx + qz * qz)
    r12 = 2.0 * (qy * qz - qw * qx)
    r20 = 2.0 * (qx * qz - qw * qy)
    r21 = 2.0 * (qy * qz + qw * qx)
    r22 = 1.0 - 2.0 * (qx * qx + qy * qy)
    sx = np.float64(scales[i, 0])
    sy = np.float64(scales[i, 1])
    sz = np.float64(scales[i, 2])
    # A = T R S (2 x 3): Sigma2D = A A^T, as Sigma = (R S)(R S)^T
    a00 = (t00 * r00 + t01 * r10 + t02 * r20) * sx
    a01 = (t00 * r01 + t01 * r11 + t02 * r21) * sy
    a02 = (t00 * r02 + t01 * r12 + t02 * r22) * sz
    a10 = (t10 * r00 + t11 * r10 + t12 * r20) * sx
    a11 = (t10 * r01 + t11 * r11 + t12 * r21) * sy
    a12 = (t10 * r02 + t11 * r12 + t12 * r22) * sz
    ca = a00 * a00 + a01 * a01 + a02 * a02 + LOW_PASS
    cb = a00 * a10 + a01 * a11 + a02 * a12
    cc = a10 * a10 + a11 * a11 + a12 * a12 + LOW_PASS
    det = ca * cc - cb * cb
    if not (det > 0.0 and math.isfinite(det)):
        return
    mid = 0.5 * (ca + cc)
    radius = math.ceil(3.0 * math.sqrt(mid + math.sqrt(max(0.0, mid * mid - det))))  # larger eigenvalue
    # the pixels whose centres (k + 0.5) lie within the radius, clipped to the picture
    x0 = max(math.ceil(px - radius - 0.5), 0.0)
    x1 = min(math.floor(px + radius - 0.5), width - 1.0)
    y0 = max(math.ceil(py - radius - 0.5), 0.0)
    y1 = min(math.floor(py + radius - 0.5), height - 1.0)
    if not (x0 <= x1 and y0 <= y1):
        return  # outside the picture
    dx = mx - eye[0]
    dy = my - eye[1]
    dz = mz - eye[2]
    dn = math.sqrt(dx * dx + dy * dy + dz * dz)
    if dn > 0.0:
        dx, dy, dz = dx / dn, dy / dn, dz / dn
    for c in range(3):
        rgb[i, c] = _sh_colour(sh, i, c, dx, dy, dz)
    xy[i, 0] = px
    xy[i, 1] = py
    conic[i, 0] = cc / det
    conic[i, 1] = -cb / det
    conic[i, 2] = ca / det
    opacity[i] = op
    depth[i] = -vz
    box[i, X0] = np.int32(x0)
    box[i, X1] = np.int32(x1)
    box[i, Y0] = np.int32(y0)
    box[i, Y1] = np.int32(y1)


def project(splats, camera, size, projected) -> None:
    """Project every splat (project_blocks' arguments) on the work pool's threads."""
    run(project_blocks, np.zeros(1, np.int64), splats, camera, size, projected, alone=len(splats[0]) <= BLOCK)


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]
def depth_order(bits, visible, order, scratch, counts):
    """order[:] = ``visible`` sorted by depth, nearest first, equal depths in the order
    ``visible`` gives them: numpy's ``visible[np.argsort(depth[visible],
    kind="stable")]`` (the tests hold the two together), as a least-significant-digit
    radix sort, 16 bits a pass. Numpy's stable sort of 1,000,000 float64 took 130 ms
    of CPU; this, ~20 ms.

    bits: (N,) uint64, the depths' float64 bits (depth.view(np.uint64)); visible:
    (M,) int64; order: (M,) int64, written; scratch = (keys (M,) uint64, keys (M,)
    uint64, order (M,) int64): the passes' buffers; counts: (65536,) int64."""
    keys, keys_b, order_b = scratch
    m = visible.shape[0]
    sign = np.uint64(1) << np.uint64(63)
    for k in range(m):
        i = visible[k]
        b = bits[i]
        if b == sign:
            b = np.uint64(0)  # -0.0 sorts as +0.0, as numpy compares them
        # the float's order as an unsigned integer's: flip every bit of a negative, the
        # sign bit of a positive
        keys[k] = ~b if b & sign else b | sign
        order[k] = i
    mask = np.uint64(0xFFFF)
    swapped = False
    for p in range(4):
        shift = np.uint64(16 * p)
        counts[:] = 0
        for k in range(m):
            counts[(keys[k] >> shift) & mask] += 1
        if m == 0 or counts[(keys[0] >> shift) & mask] == m:
            continue  # every key has this digit: the pass would change nothing
        total = 0
        for d in range(counts.shape[0]):
            c = counts[d]
            counts[d] = total
            total += c
        for k in range(m):
            d = (keys[k] >> shift) & mask
            keys_b[counts[d]] = keys[k]
            order_b[counts[d]] = order[k]
            counts[d] += 1
        keys, keys_b = keys_b, keys
        order, order_b = order_b, order
        swapped = not swapped
    if swapped:  # the sorted run ended in the other buffer
        for k in range(m):
            order_b[k] = order[k]


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]
def gather_boxes(order, box, boxes):
    """boxes[k] = box[order[k]]: the splats' pixel boxes in depth order, so that the
    binning reads them one after another. Read through ``order`` (depth order is no
    order in memory) inside the two binning passes, which wait on their own stores,
    binning a million splats took 70-115 ms of CPU; gathered first by this loop of
    independent loads, 9 ms, then 30 ms."""
    for k in range(order.shape[0]):
        i = order[k]
        for c in range(4):
            boxes[k, c] = box[i, c]


@njit(cache=True, error_model="numpy", nogil=True)
def tile_entries(boxes):
    """How many (tile, splat) entries the splats of ``boxes`` (gather_boxes) make: the
    tiles each box meets."""
    total = 0
    for k in range(boxes.shape[0]):
        tiles_x = boxes[k, X1] // TILE - boxes[k, X0] // TILE + 1
        tiles_y = boxes[k, Y1] // TILE - boxes[k, Y0] // TILE + 1
        total += np.int64(tiles_x) * tiles_y
    return total


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]
def bin_tiles(order, boxes, ntx, tile_start, tile_list):
    """List the splats ``order`` (visible ones, in depth order; ``boxes`` their boxes,
    gather_boxes) per tile they meet: tile t's splats are
    tile_list[tile_start[t]:tile_start[t + 1]], in depth order. tile_start: (tiles + 1,)
    int64; tile_list: (entries,) int32 (tile_entries)."""
    tile_start[:] = 0
    for k in range(order.shape[0]):
        for ty in range(boxes[k, Y0] // TILE, boxes[k, Y1] // TILE + 1):
            for tx in range(boxes[k, X0] // TILE, boxes[k, X1] // TILE + 1):
                tile_start[ty * ntx + tx + 1] += 1
    for t in range(1, tile_start.shape[0]):
        tile_start[t] += tile_start[t - 1]
    # filled with tile_start[t] as tile t's cursor: it ends at the tile's end (the next
    # tile's start), then every entry is shifted back by one tile
    for k in range(order.shape[0]):
        i = order[k]
        for ty in range(boxes[k, Y0] // TILE, boxes[k, Y1] // TILE + 1):
            for tx in range(boxes[k, X0] // TILE, boxes[k, X1] // TILE + 1):
                t = ty * ntx + tx
                tile_list[tile_start[t]] = i
                tile_start[t] += 1
    for t in range(tile_start.shape[0] - 1, 0, -1):
        tile_start[t] = tile_start[t - 1]
    tile_start[0] = 0


# Rows of a splat at least this long take exp(power) by products: power is quadratic in
# x, so exp(power(x + 1)) = exp(power(x)) * step(x) and step(x + 1) = step(x) * exp(-ca):
# two exp a row (and one a splat) rather than one a pixel, to a relative error of ~1e-14
# over a tile's 16 pixels; shorter rows take one exp a pixel. A frame of 100,000 splats
# at 672 px took 190-192 ms of CPU before, 162-165 with this; one of 1,000,000 (rows of
# a few pixels) 648-661 before, 658-660 with it. Products on every row: 1,000,000 splats
# took 5% more.
LONG_ROW = 4


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]
def blend_tiles(next_tile, bins, grid, projected, colour, transmittance):
    """One thread's share of ``blend``: tiles claimed from next_tile until none are left.

    bins = (tile_start, tile_list) (bin_tiles); grid = (ntx, nty, width, height);
    projected as project_blocks'; colour (H, W, 3) float64 premultiplied colour and
    transmittance (H, W) float64, written for every pixel of the claimed tiles."""
    tile_start, tile_list = bins
    ntx, nty, width, height = grid
    xy, conic, rgb, opacity, _, box = projected
    while True:
        t = claim(next_tile)
        if t >= ntx * nty:
            break
        tx0 = (t % ntx) * TILE
        ty0 = (t // ntx) * TILE
        tx1 = min(tx0 + TILE, width) - 1
        ty1 = min(ty0 + TILE, height) - 1
        for y in range(ty0, ty1 + 1):
            for x in range(tx0, tx1 + 1):
                colour[y, x, 0] = 0.0
                colour[y, x, 1] = 0.0
                colour[y, x, 2] = 0.0
                transmittance[y, x] = 1.0
        left = (tx1 - tx0 + 1) * (ty1 - ty0 + 1)  # pixels not yet done
        for k in range(tile_start[t], tile_start[t + 1]):
            i = tile_list[k]
            px, py = xy[i, 0], xy[i, 1]
            ca, cb, cc = conic[i, 0], conic[i, 1], conic[i, 2]
            op = opacity[i]
            r, g, b = rgb[i, 0], rgb[i, 1], rgb[i, 2]
            # alpha >= 1/255 only where -power <= reach, an ellipse: on row dy its dx lie
            # between the roots of ca dx^2 + 2 cb dy dx + cc dy^2 - 2 reach = 0. Only the
            # pixels between them (widened by one for rounding) are visited; each is still
            # tested. A 3-sigma box is ~4/pi the ellipse at full opacity, and far more for
            # a faint or a thin, tilted splat: on the synthetic twin
            # (benchmarks/splat_twin.py) the blend took 1.10 s a 2048 px frame without this
            reach = math.log(255.0 * op)
            bend = -1.0  # exp(-ca), computed on the first long row
            for y in range(max(ty0, box[i, Y0]), min(ty1, box[i, Y1]) + 1):
                dy = y + 0.5 - py
                disc = cb * cb * dy * dy - ca * (cc * dy * dy - 2.0 * reach)
                if disc < -1e-9 * (cb * cb * dy * dy + ca * abs(cc * dy * dy - 2.0 * reach)):
                    continue  # (a margin for rounding: the pixels' own test decides)
                root = math.sqrt(max(disc, 0.0))
                first = math.floor((-cb * dy - root) / ca + px - 0.5) - 1
                last = math.ceil((-cb * dy + root) / ca + px - 0.5) + 1
                x0 = max(tx0, box[i, X0], first)
                x1 = min(tx1, box[i, X1], last)
                if x1 - x0 < LONG_ROW:
                    for x in range(x0, x1 + 1):
                        tr = transmittance[y, x]
                        if tr < T_MIN:
                            continue
                        dx = x + 0.5 - px
                        power = -0.5 * (ca * dx * dx + cc * dy * dy) - cb * dx * dy
                        if power > 0.0:
                            continue
                        alpha = min(ALPHA_MAX, op * math.exp(power))
                        if alpha < ALPHA_MIN:
                            continue
                        w = alpha * tr
                        colour[y, x, 0] += r * w
                        colour[y, x, 1] += g * w
                        colour[y, x, 2] += b * w
                        tr *= 1.0 - alpha
                        transmittance[y, x] = tr
                        if tr < T_MIN:
                            left -= 1
                    continue
                if bend < 0.0:
                    bend = math.exp(-ca)
                dx = x0 + 0.5 - px
                gauss = math.exp(-0.5 * (ca * dx * dx + cc * dy * dy) - cb * dx * dy)
                step = math.exp(-ca * dx - 0.5 * ca - cb * dy)
                for x in range(x0, x1 + 1):
                    tr = transmittance[y, x]
                    if tr >= T_MIN:
                        dx = x + 0.5 - px
                        power = -0.5 * (ca * dx * dx + cc * dy * dy) - cb * dx * dy
                        alpha = min(ALPHA_MAX, op * gauss)
                        if power <= 0.0 and alpha >= ALPHA_MIN:
                            w = alpha * tr
                            colour[y, x, 0] += r * w
                            colour[y, x, 1] += g * w
                            colour[y, x, 2] += b * w
                            tr *= 1.0 - alpha
                            transmittance[y, x] = tr
                            if tr < T_MIN:
                                left -= 1
                    gauss *= step
                    step *= bend
            if left == 0:
                break


def blend(bins, grid, projected, colour, transmittance) -> None:
    """Blend every tile (blend_tiles' arguments) on the work pool's threads."""
    run(blend_tiles, np.zeros(1, np.int64), bins, grid, projected, colour, transmittance)


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]
def resolve_rows(next_row, s, colour, transmittance, picture):
    """One thread's share of ``resolve``: output rows claimed from next_row. Each
    pixel is the mean of its s x s sub-samples of colour (Hs, Ws, 3) and
    transmittance (Hs, Ws) float64; picture = (color (H, W, 3) uint8: the colour clamped
    to [0, 1] as 8-bit codes, linear (H, W, 3) float32: the clamped colour decoded from
    sRGB, alpha (H, W) float32: 1 - the mean transmittance)."""
    color, linear, alpha = picture
    height, width = alpha.shape
    inv = 1.0 / (s * s)
    while True:
        y = claim(next_row)
        if y >= height:
            break
        for x in range(width):
            t = 0.0
            for sy in range(y * s, y * s + s):
                for sx in range(x * s, x * s + s):
                    t += transmittance[sy, sx]
            alpha[y, x] = np.float32(1.0 - t * inv)
            for c in range(3):
                v = 0.0
                for sy in range(y * s, y * s + s):
                    for sx in range(x * s, x * s + s):
                        v += colour[sy, sx, c]
                v = min(max(v * inv, 0.0), 1.0)
                color[y, x, c] = np.uint8(v * 255.0 + 0.5)
                linear[y, x, c] = np.float32(v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4)


def resolve(s, colour, transmittance, picture) -> None:
    """Box-filter and encode the sub-samples (resolve_rows' arguments) on the work pool."""
    run(resolve_rows, np.zeros(1, np.int64), s, colour, transmittance, picture)
