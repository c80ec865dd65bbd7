"""Numba kernels of the wall preview: each lit preview pixel's colour from the fan
LEDs (or video-fan picture pixels) over it, in one pass over the lit pixels only
(preview_reference.py holds their numpy twins).

Most lit pixels lie under one fan: ``draw_single`` looks their colour up in a table
of sRGB bytes per code (no float arithmetic). The few under two overlapping circles
add their linear light in ``draw_overlaps``. Indices are int32, to halve the index
streams read per frame (the pass is bound by memory: 463,000 lit pixels of a 1024-px
preview of a 3 x 3 wall of 42-F2 fans). Pixels no fan lights are black from the start
and never touched.
"""

from __future__ import annotations

from numba import njit, prange


@njit(parallel=True, cache=True, nogil=True)
def draw_single(pixel, source, table_base, values, tables, out):
    """out[3 * pixel[k] + c] = tables[table_base[k] + values[source[k] + c]] for c < 3.

    pixel int32 (K,) flat preview pixel indices lit by one source each; source int32
    (K,) index in ``values`` of the source's first channel; table_base int32 (K,) where
    its fan's code -> sRGB byte table starts in ``tables``; values uint8 (V,) every
    fan's frame (codes or an sRGB picture) one after another; tables uint8 (T,);
    out uint8 (P * 3,).
    """
    for k in prange(pixel.shape[0]):
        s = source[k]
        t = table_base[k]
        p = 3 * pixel[k]
        out[p] = tables[t + values[s]]
        out[p + 1] = tables[t + values[s + 1]]
        out[p + 2] = tables[t + values[s + 2]]


@njit(cache=True, nogil=True)
def draw_overlaps(pixel, runptr, source, lut_base, values, luts, srgb, out):
    """out[3 * pixel[u] + c] = srgb[round(min(sum_k luts[lut_base[k] + values[source[k] + c]], 1) * (N - 1))]
    over the sources k in runptr[u]:runptr[u + 1] of each pixel u (lit by two or more
    fans; one thread: they are a few percent of the lit pixels).

    pixel int32 (U,); runptr int32 (U + 1,); source, lut_base int32 (K,) as in
    draw_single but into ``luts`` float32 (L,), code -> linear light; srgb uint8 (N,)
    linear light -> sRGB byte (index round(v * (N - 1))); out uint8 (P * 3,).
    """
    top = srgb.shape[0] - 1
    for u in range(pixel.shape[0]):
        r = 0.0
        g = 0.0
        b = 0.0
        for k in range(runptr[u], runptr[u + 1]):
            s = source[k]
            t = lut_base[k]
            r += luts[t + values[s]]
            g += luts[t + values[s + 1]]
            b += luts[t + values[s + 2]]
        p = 3 * pixel[u]
        out[p] = srgb[int(min(max(r, 0.0), 1.0) * top + 0.5)]
        out[p + 1] = srgb[int(min(max(g, 0.0), 1.0) * top + 0.5)]
        out[p + 2] = srgb[int(min(max(b, 0.0), 1.0) * top + 0.5)]
