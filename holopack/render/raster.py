"""The Numba rasterizer: transform, clip, set up, bin per tile, rasterize, shade.

Stages (each a kernel taking preallocated arrays; ``holopack.render.Renderer``
owns the buffers and calls them per frame):

1. ``transform``: world positions/normals -> clip coordinates (float64) and
   view-space positions/normals.
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
4. ``bin_count``/``bin_fill``: records binned per screen tile, in submission order.
5. ``raster_opaque`` (prange over tiles): depth test LESS into a visibility
   buffer (record id per pixel + float32 window depth); MASK materials run their
   alpha test here. Then ``shade_visible`` shades each visible pixel once.
6. ``raster_blend`` (prange over tiles): BLEND records, sorted back to front by
   their mean depth, are depth-tested against the opaque depth (without writing
   it) and composited over (src-alpha, one-minus-src-alpha).
7. ``resolve``: box downsample of the supersampled buffers; depth takes the
   nearest (minimum) of the sub-samples.

Record arrays (R = capacity): ``rec_tri`` (R,) int32 original triangle or -1;
``rec_xy`` (R, 6) int64 fixed-point X0 X1 X2 Y0 Y1 Y2; ``rec_area`` (R,) int64
> 0; ``rec_zw`` (R, 6) float64 window depth z0 z1 z2 and 1/w per corner;
``rec_bary`` (R, 3, 3) float32 corner -> original-triangle barycentrics;
``rec_vert`` (R, 3) int32 original vertex ids; ``rec_bbox`` (R, 4) int32
xmin xmax ymin ymax (inclusive pixels); ``rec_back`` (R,) int8 back-facing.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .shading import BLEND, MASK, MI_ALPHA, MI_DOUBLE, MF_CUTOFF, base_color, shade

SUBPIXEL = 8
ONE = 1 << SUBPIXEL
HALF = ONE >> 1
# Window coordinates are kept within +-2^20 pixels (the guard band) so that the
# int64 edge functions (products of two 2^29 differences) cannot overflow.
GUARD_PIXELS = float(1 << 20)


@njit(parallel=True, cache=True)
def transform(world_pos, world_nrm, view, proj, normal_matrix, clip, vpos, vnrm):
    """world_pos, world_nrm : (N, 3) float32; view, proj : (4, 4) float64;
    normal_matrix : (3, 3) float64 (inverse transpose of the view's 3x3).
    Writes clip (N, 4) float64, vpos (N, 3) float32, vnrm (N, 3) float32."""
    for i in prange(world_pos.shape[0]):
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
        vpos[i, 0] = ex
        vpos[i, 1] = ey
        vpos[i, 2] = ez
        nx = np.float64(world_nrm[i, 0])
        ny = np.float64(world_nrm[i, 1])
        nz = np.float64(world_nrm[i, 2])
        for r in range(3):
            vnrm[i, r] = normal_matrix[r, 0] * nx + normal_matrix[r, 1] * ny + normal_matrix[r, 2] * nz


@njit(cache=True, inline="always")
def _snap(x, w, size, flip):
    """Clip x (or y) and w -> fixed-point picture coordinate (y grows downwards)."""
    ndc = x / w
    s = (0.5 - ndc * 0.5) * size if flip else (ndc * 0.5 + 0.5) * size
    return np.int64(math.floor(s * ONE + 0.5))


@njit(cache=True)
def setup_record(slot, tri, c0, c1, c2, bary, v0, v1, v2, width, height, double_sided,
                 rec_tri, rec_xy, rec_area, rec_zw, rec_bary, rec_vert, rec_bbox, rec_back):
    """Fill record ``slot`` from three clip-space corners c0, c1, c2 (tuples x, y,
    z, w; w > 0, inside the guard band); bary (3, 3): each corner's barycentrics on
    the original triangle. Returns False (and marks the slot empty) when the
    triangle is culled, degenerate or covers no pixel centre's bounding box."""
    rec_tri[slot] = -1
    X0 = _snap(c0[0], c0[3], width, False)
    X1 = _snap(c1[0], c1[3], width, False)
    X2 = _snap(c2[0], c2[3], width, False)
    Y0 = _snap(c0[1], c0[3], height, True)
    Y1 = _snap(c1[1], c1[3], height, True)
    Y2 = _snap(c2[1], c2[3], height, True)
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
        c1, c2 = c2, c1
    rec_xy[slot, 0] = X0
    rec_xy[slot, 1] = X1
    rec_xy[slot, 2] = X2
    rec_xy[slot, 3] = Y0
    rec_xy[slot, 4] = Y1
    rec_xy[slot, 5] = Y2
    rec_zw[slot, 0] = min(max(c0[2] / c0[3] * 0.5 + 0.5, 0.0), 1.0)
    rec_zw[slot, 1] = min(max(c1[2] / c1[3] * 0.5 + 0.5, 0.0), 1.0)
    rec_zw[slot, 2] = min(max(c2[2] / c2[3] * 0.5 + 0.5, 0.0), 1.0)
    rec_zw[slot, 3] = 1.0 / c0[3]
    rec_zw[slot, 4] = 1.0 / c1[3]
    rec_zw[slot, 5] = 1.0 / c2[3]
    # the original triangle's vertices, in its own order: rec_bary maps onto them
    rec_vert[slot, 0] = v0
    rec_vert[slot, 1] = v1
    rec_vert[slot, 2] = v2
    for j in range(3):
        rec_bary[slot, 0, j] = bary[0, j]
        rec_bary[slot, 1, j] = bary[k1, j]
        rec_bary[slot, 2, j] = bary[k2, j]
    rec_area[slot] = area
    rec_bbox[slot, 0] = xmin
    rec_bbox[slot, 1] = xmax
    rec_bbox[slot, 2] = ymin
    rec_bbox[slot, 3] = ymax
    rec_back[slot] = 1 if back else 0
    rec_tri[slot] = tri
    return True


@njit(parallel=True, cache=True)
def setup_triangles(tri_idx, tri_mat, mat_i, clip, width, height, identity,
                    rec_tri, rec_xy, rec_area, rec_zw, rec_bary, rec_vert, rec_bbox, rec_back,
                    needs_clip):
    """One record per triangle t in slot t (rec_tri[t] = -1 when culled); sets
    needs_clip[t] = 1 for triangles that cross near/far/w=0 or the guard band.
    identity : (3, 3) float32 identity (the corners' barycentrics)."""
    gx = GUARD_PIXELS / width
    gy = GUARD_PIXELS / height
    for t in prange(tri_idx.shape[0]):
        rec_tri[t] = -1
        needs_clip[t] = 0
        v0 = tri_idx[t, 0]
        v1 = tri_idx[t, 1]
        v2 = tri_idx[t, 2]
        c0 = (clip[v0, 0], clip[v0, 1], clip[v0, 2], clip[v0, 3])
        c1 = (clip[v1, 0], clip[v1, 1], clip[v1, 2], clip[v1, 3])
        c2 = (clip[v2, 0], clip[v2, 1], clip[v2, 2], clip[v2, 3])
        if not (math.isfinite(c0[0] + c0[1] + c0[2] + c0[3]) and
                math.isfinite(c1[0] + c1[1] + c1[2] + c1[3]) and
                math.isfinite(c2[0] + c2[1] + c2[2] + c2[3])):
            continue
        o0, in0 = _outcode(c0, gx, gy)
        o1, in1 = _outcode(c1, gx, gy)
        o2, in2 = _outcode(c2, gx, gy)
        if (o0 & o1 & o2) != 0:
            continue  # all corners beyond one plane of the view volume
        if not (in0 and in1 and in2):
            needs_clip[t] = 1
            continue
        m = tri_mat[t]
        setup_record(t, t, c0, c1, c2, identity, v0, v1, v2, width, height,
                     mat_i[m, MI_DOUBLE] == 1, rec_tri, rec_xy, rec_area, rec_zw, rec_bary,
                     rec_vert, rec_bbox, rec_back)


@njit(cache=True, inline="always")
def _outcode(c, gx, gy):
    """(planes of the view volume the corner is beyond, whether it needs no clipping)."""
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
    fine = (code & 48) == 0 and w > 0.0 and abs(x) <= gx * w and abs(y) <= gy * w
    return code, fine


@njit(cache=True)
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


@njit(cache=True)
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


@njit(cache=True)
def clip_triangles(tri_idx, tri_mat, mat_i, clip, width, height, needs_clip, first_slot,
                   rec_tri, rec_xy, rec_area, rec_zw, rec_bary, rec_vert, rec_bbox, rec_back):
    """Clip the flagged triangles and append their sub-triangles as records from
    ``first_slot`` on (capacity: 8 per flagged triangle). Returns the slot count used."""
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
            c0 = (poly[0, 0], poly[0, 1], poly[0, 2], poly[0, 3])
            c1 = (poly[i, 0], poly[i, 1], poly[i, 2], poly[i, 3])
            c2 = (poly[j, 0], poly[j, 1], poly[j, 2], poly[j, 3])
            if setup_record(slot, t, c0, c1, c2, bary, tri_idx[t, 0], tri_idx[t, 1],
                            tri_idx[t, 2], width, height, mat_i[m, MI_DOUBLE] == 1,
                            rec_tri, rec_xy, rec_area, rec_zw, rec_bary, rec_vert,
                            rec_bbox, rec_back):
                slot += 1
    return slot


@njit(cache=True)
def bin_count(order, count, rec_tri, rec_bbox, tile, ntx, nty, tile_start):
    """Count the records order[:count] per tile; tile_start (ntx*nty + 1,) int64
    becomes the exclusive prefix sum. Returns the total number of entries."""
    tile_start[:] = 0
    for i in range(count):
        r = order[i]
        if rec_tri[r] < 0:
            continue
        for ty in range(rec_bbox[r, 2] // tile, rec_bbox[r, 3] // tile + 1):
            for tx in range(rec_bbox[r, 0] // tile, rec_bbox[r, 1] // tile + 1):
                tile_start[ty * ntx + tx + 1] += 1
    for t in range(ntx * nty):
        tile_start[t + 1] += tile_start[t]
    return tile_start[ntx * nty]


@njit(cache=True)
def bin_fill(order, count, rec_tri, rec_bbox, tile, ntx, tile_start, cursor, tile_list):
    """Write the record ids per tile in submission order (cursor: scratch (ntiles,))."""
    cursor[:] = tile_start[:-1]
    for i in range(count):
        r = order[i]
        if rec_tri[r] < 0:
            continue
        for ty in range(rec_bbox[r, 2] // tile, rec_bbox[r, 3] // tile + 1):
            for tx in range(rec_bbox[r, 0] // tile, rec_bbox[r, 1] // tile + 1):
                t = ty * ntx + tx
                tile_list[cursor[t]] = r
                cursor[t] += 1


@njit(cache=True, inline="always")
def _edge(xa, ya, xb, yb, px, py):
    """Edge function of a->b at fixed-point p (> 0 inside a positive triangle)."""
    return (xb - xa) * (py - ya) - (yb - ya) * (px - xa)


@njit(cache=True, inline="always")
def _is_top_left(xa, ya, xb, yb):
    a = -(yb - ya)  # d/dx of the edge function
    return a > 0 or (a == 0 and (xb - xa) > 0)


@njit(cache=True)
def record_bary(r, px, py, rec_xy, rec_area, rec_zw, rec_bary):
    """Perspective-correct barycentrics on the original triangle's vertices at
    picture point (px, py) in pixels (centre of pixel (i, j) = (i + 0.5, j + 0.5))."""
    fx = px * ONE
    fy = py * ONE
    x0, x1, x2 = float(rec_xy[r, 0]), float(rec_xy[r, 1]), float(rec_xy[r, 2])
    y0, y1, y2 = float(rec_xy[r, 3]), float(rec_xy[r, 4]), float(rec_xy[r, 5])
    inv_area = 1.0 / float(rec_area[r])
    l0 = ((x2 - x1) * (fy - y1) - (y2 - y1) * (fx - x1)) * inv_area
    l1 = ((x0 - x2) * (fy - y2) - (y0 - y2) * (fx - x2)) * inv_area
    l2 = 1.0 - l0 - l1
    q0 = l0 * rec_zw[r, 3]
    q1 = l1 * rec_zw[r, 4]
    q2 = l2 * rec_zw[r, 5]
    s = q0 + q1 + q2
    if s == 0.0 or not math.isfinite(s):
        b0, b1, b2 = l0, l1, l2
    else:
        b0, b1, b2 = q0 / s, q1 / s, q2 / s
    o0 = b0 * rec_bary[r, 0, 0] + b1 * rec_bary[r, 1, 0] + b2 * rec_bary[r, 2, 0]
    o1 = b0 * rec_bary[r, 0, 1] + b1 * rec_bary[r, 1, 1] + b2 * rec_bary[r, 2, 1]
    o2 = b0 * rec_bary[r, 0, 2] + b1 * rec_bary[r, 1, 2] + b2 * rec_bary[r, 2, 2]
    return o0, o1, o2


@njit(cache=True)
def _fragment_alpha(r, m, px, py, rec_xy, rec_area, rec_zw, rec_bary, rec_vert,
                    mat_f, mat_i, uv, col, pool, levels, level_count, wrap):
    o0, o1, o2 = record_bary(r, px, py, rec_xy, rec_area, rec_zw, rec_bary)
    ox0, ox1, ox2 = record_bary(r, px + 1.0, py, rec_xy, rec_area, rec_zw, rec_bary)
    oy0, oy1, oy2 = record_bary(r, px, py + 1.0, rec_xy, rec_area, rec_zw, rec_bary)
    _, _, _, a = base_color(m, rec_vert[r, 0], rec_vert[r, 1], rec_vert[r, 2], o0, o1, o2,
                            ox0, ox1, ox2, oy0, oy1, oy2, mat_f, mat_i, uv, col,
                            pool, levels, level_count, wrap)
    return a


@njit(parallel=True, cache=True)
def raster_opaque(tile_order, tile_start, tile_list, tile, ntx, width, height,
                  rec_tri, rec_xy, rec_area, rec_zw, rec_bary, rec_vert, rec_bbox, tri_mat,
                  mat_f, mat_i, uv, col, pool, levels, level_count, wrap, depth, ids):
    """Depth-tested visibility per tile: depth (H, W) float32 window depth (1 where
    empty), ids (H, W) int32 record id (-1 where empty). Both are cleared here."""
    for k in prange(tile_order.shape[0]):
        t = tile_order[k]
        tx0 = (t % ntx) * tile
        ty0 = (t // ntx) * tile
        tx1 = min(tx0 + tile, width) - 1
        ty1 = min(ty0 + tile, height) - 1
        for y in range(ty0, ty1 + 1):
            for x in range(tx0, tx1 + 1):
                depth[y, x] = 1.0
                ids[y, x] = -1
        for e in range(tile_start[t], tile_start[t + 1]):
            r = tile_list[e]
            bx0 = max(rec_bbox[r, 0], tx0)
            bx1 = min(rec_bbox[r, 1], tx1)
            by0 = max(rec_bbox[r, 2], ty0)
            by1 = min(rec_bbox[r, 3], ty1)
            if bx0 > bx1 or by0 > by1:
                continue
            m = tri_mat[rec_tri[r]]
            masked = mat_i[m, MI_ALPHA] == MASK
            cutoff = mat_f[m, MF_CUTOFF]
            x0, x1, x2 = rec_xy[r, 0], rec_xy[r, 1], rec_xy[r, 2]
            y0, y1, y2 = rec_xy[r, 3], rec_xy[r, 4], rec_xy[r, 5]
            # biased edge values: >= 0 inside, the bias excludes non-top-left edges
            bias0 = 0 if _is_top_left(x1, y1, x2, y2) else 1
            bias1 = 0 if _is_top_left(x2, y2, x0, y0) else 1
            bias2 = 0 if _is_top_left(x0, y0, x1, y1) else 1
            sx0 = -(y2 - y1) * ONE
            sx1 = -(y0 - y2) * ONE
            sx2 = -(y1 - y0) * ONE
            sy0 = (x2 - x1) * ONE
            sy1 = (x0 - x2) * ONE
            sy2 = (x1 - x0) * ONE
            px = bx0 * ONE + HALF
            py = by0 * ONE + HALF
            row0 = _edge(x1, y1, x2, y2, px, py)
            row1 = _edge(x2, y2, x0, y0, px, py)
            row2 = _edge(x0, y0, x1, y1, px, py)
            inv_area = 1.0 / float(rec_area[r])
            z0 = rec_zw[r, 0] * inv_area
            z1 = rec_zw[r, 1] * inv_area
            z2 = rec_zw[r, 2] * inv_area
            for y in range(by0, by1 + 1):
                e0 = row0
                e1 = row1
                e2 = row2
                for x in range(bx0, bx1 + 1):
                    if ((e0 - bias0) | (e1 - bias1) | (e2 - bias2)) >= 0:
                        z = np.float32(e0 * z0 + e1 * z1 + e2 * z2)
                        if z < depth[y, x]:
                            keep = True
                            if masked:
                                a = _fragment_alpha(r, m, x + 0.5, y + 0.5, rec_xy, rec_area,
                                                    rec_zw, rec_bary, rec_vert, mat_f, mat_i,
                                                    uv, col, pool, levels, level_count, wrap)
                                keep = a >= cutoff
                            if keep:
                                depth[y, x] = z
                                ids[y, x] = r
                    e0 += sx0
                    e1 += sx1
                    e2 += sx2
                row0 += sy0
                row1 += sy1
                row2 += sy2


@njit(cache=True)
def _shade_record(r, x, y, unlit_all, ortho, rec_tri, rec_xy, rec_area, rec_zw, rec_bary,
                  rec_vert, rec_back, tri_mat, mat_f, mat_i, vpos, vnrm, uv, col,
                  pool, levels, level_count, wrap, lights, params):
    px = x + 0.5
    py = y + 0.5
    o0, o1, o2 = record_bary(r, px, py, rec_xy, rec_area, rec_zw, rec_bary)
    ox0, ox1, ox2 = record_bary(r, px + 1.0, py, rec_xy, rec_area, rec_zw, rec_bary)
    oy0, oy1, oy2 = record_bary(r, px, py + 1.0, rec_xy, rec_area, rec_zw, rec_bary)
    m = tri_mat[rec_tri[r]]
    return shade(m, rec_vert[r, 0], rec_vert[r, 1], rec_vert[r, 2], o0, o1, o2,
                 ox0, ox1, ox2, oy0, oy1, oy2, rec_back[r] == 1, ortho, unlit_all,
                 mat_f, mat_i, vpos, vnrm, uv, col, pool, levels, level_count, wrap,
                 lights, params)


@njit(parallel=True, cache=True)
def shade_visible(ids, unlit_all, ortho, rec_tri, rec_xy, rec_area, rec_zw, rec_bary,
                  rec_vert, rec_back, tri_mat, mat_f, mat_i, vpos, vnrm, uv, col,
                  pool, levels, level_count, wrap, lights, params, linear, alpha):
    """Shade each visible pixel once: linear (H, W, 3) float32, alpha (H, W) float32."""
    height, width = ids.shape
    for y in prange(height):
        for x in range(width):
            r = ids[y, x]
            if r < 0:
                linear[y, x, 0] = 0.0
                linear[y, x, 1] = 0.0
                linear[y, x, 2] = 0.0
                alpha[y, x] = 0.0
                continue
            cr, cg, cb, _ = _shade_record(r, x, y, unlit_all, ortho, rec_tri, rec_xy, rec_area,
                                          rec_zw, rec_bary, rec_vert, rec_back, tri_mat, mat_f,
                                          mat_i, vpos, vnrm, uv, col, pool, levels,
                                          level_count, wrap, lights, params)
            linear[y, x, 0] = cr
            linear[y, x, 1] = cg
            linear[y, x, 2] = cb
            alpha[y, x] = 1.0


@njit(parallel=True, cache=True)
def raster_blend(tile_order, tile_start, tile_list, tile, ntx, width, height, unlit_all, ortho,
                 rec_tri, rec_xy, rec_area, rec_zw, rec_bary, rec_vert, rec_bbox, rec_back,
                 tri_mat, mat_f, mat_i, vpos, vnrm, uv, col, pool, levels, level_count, wrap,
                 lights, params, depth, linear, alpha):
    """Composite the binned BLEND records over linear/alpha in list order
    (back to front), depth-tested LESS against the opaque depth, which stays."""
    for k in prange(tile_order.shape[0]):
        t = tile_order[k]
        tx0 = (t % ntx) * tile
        ty0 = (t // ntx) * tile
        tx1 = min(tx0 + tile, width) - 1
        ty1 = min(ty0 + tile, height) - 1
        for e in range(tile_start[t], tile_start[t + 1]):
            r = tile_list[e]
            bx0 = max(rec_bbox[r, 0], tx0)
            bx1 = min(rec_bbox[r, 1], tx1)
            by0 = max(rec_bbox[r, 2], ty0)
            by1 = min(rec_bbox[r, 3], ty1)
            if bx0 > bx1 or by0 > by1:
                continue
            x0, x1, x2 = rec_xy[r, 0], rec_xy[r, 1], rec_xy[r, 2]
            y0, y1, y2 = rec_xy[r, 3], rec_xy[r, 4], rec_xy[r, 5]
            bias0 = 0 if _is_top_left(x1, y1, x2, y2) else 1
            bias1 = 0 if _is_top_left(x2, y2, x0, y0) else 1
            bias2 = 0 if _is_top_left(x0, y0, x1, y1) else 1
            inv_area = 1.0 / float(rec_area[r])
            z0 = rec_zw[r, 0] * inv_area
            z1 = rec_zw[r, 1] * inv_area
            z2 = rec_zw[r, 2] * inv_area
            for y in range(by0, by1 + 1):
                py = y * ONE + HALF
                for x in range(bx0, bx1 + 1):
                    px = x * ONE + HALF
                    e0 = _edge(x1, y1, x2, y2, px, py)
                    e1 = _edge(x2, y2, x0, y0, px, py)
                    e2 = _edge(x0, y0, x1, y1, px, py)
                    if ((e0 - bias0) | (e1 - bias1) | (e2 - bias2)) < 0:
                        continue
                    z = np.float32(e0 * z0 + e1 * z1 + e2 * z2)
                    if not z < depth[y, x]:
                        continue
                    cr, cg, cb, ca = _shade_record(r, x, y, unlit_all, ortho, rec_tri, rec_xy,
                                                   rec_area, rec_zw, rec_bary, rec_vert, rec_back,
                                                   tri_mat, mat_f, mat_i, vpos, vnrm, uv, col,
                                                   pool, levels, level_count, wrap, lights,
                                                   params)
                    keep = 1.0 - ca
                    linear[y, x, 0] = ca * cr + keep * linear[y, x, 0]
                    linear[y, x, 1] = ca * cg + keep * linear[y, x, 1]
                    linear[y, x, 2] = ca * cb + keep * linear[y, x, 2]
                    alpha[y, x] = ca + keep * alpha[y, x]


@njit(parallel=True, cache=True)
def resolve(linear_ss, alpha_ss, depth_ss, s, linear, alpha, depth, color):
    """Box-downsample s x s sub-samples: linear (H, W, 3) float32, alpha (H, W)
    float32 (coverage), depth (H, W) float32 = nearest sub-sample, color (H, W, 3)
    uint8 sRGB of the clamped linear colour."""
    height, width = alpha.shape
    inv = 1.0 / (s * s)
    for y in prange(height):
        for x in range(width):
            r = 0.0
            g = 0.0
            b = 0.0
            a = 0.0
            d = np.float32(1.0)
            for j in range(s):
                for i in range(s):
                    yy = y * s + j
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
            color[y, x, 0] = encode_srgb8(r)
            color[y, x, 1] = encode_srgb8(g)
            color[y, x, 2] = encode_srgb8(b)


@njit(cache=True, inline="always")
def encode_srgb8(v):
    """Linear value -> sRGB uint8 (clamped, rounded to nearest)."""
    if not v > 0.0:
        return np.uint8(0)
    if v >= 1.0:
        return np.uint8(255)
    if v <= 0.0031308:
        e = v * 12.92
    else:
        e = 1.055 * v ** (1.0 / 2.4) - 0.055
    return np.uint8(int(e * 255.0 + 0.5))
