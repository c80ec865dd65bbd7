"""Compressed Gaussian splat PLYs, as PlayCanvas's SuperSplat and splat-transform write
them (and the PlayCanvas engine reads them): the splats in chunks of 256, each chunk
with its own bounds, and every splat packed into four 32-bit words.

Its elements, in this order, binary little-endian:

    chunk   C = ceil(N / 256) rows of float32: min_x min_y min_z max_x max_y max_z, then
            min_scale_x..z max_scale_x..z (log scales), and optionally min_r min_g min_b
            max_r max_g max_b (the colour's range)
    vertex  N rows of uint32: packed_position and packed_scale (11, 10 and 11 bits of x,
            y, z from the top, each a fraction of the chunk's range), packed_rotation
            (the largest component's index in w x y z order in the top 2 bits, then the
            other three in that order, 10 bits each, (value - 0.5) x sqrt(2)), and
            packed_color (8 bits each of r g b a from the top: r g b a fraction of the
            chunk's colour range, or of 0-1 without one, of 0.5 + SH_C0 x f_dc; a the
            opacity, the sigmoid of the 3DGS logit)
    sh      optionally N rows of uint8 f_rest_0..(3K - 1) (K = 3, 8 or 15), the
            standard 3DGS order (the R coefficients first), each value x 8 / 255 - 4

The coordinates are the capture's own (those of the 3DGS PLY it was made from).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..containment import open_regular
from ..errors import InputError
from ..limits import MemoryBudget
from .scene import Scene
from .splat_rows import CHUNK, finish, splat_scene
from .types import Splats

SH_C0 = 0.28209479177387814  # the degree-0 spherical harmonic, 1 / (2 sqrt(pi))
PER_CHUNK = 256
BOUNDS: tuple[str, ...] = ("min_x", "min_y", "min_z", "max_x", "max_y", "max_z")
BOUNDS += ("min_scale_x", "min_scale_y", "min_scale_z", "max_scale_x", "max_scale_y", "max_scale_z")
COLOUR_BOUNDS = ("min_r", "min_g", "min_b", "max_r", "max_g", "max_b")
PACKED = ("packed_position", "packed_rotation", "packed_scale", "packed_color")


@dataclass
class CompressedHeader:
    """What a compressed splat PLY's header says: splat count, the chunk rows' dtype,
    the vertex rows' dtype, the SH rows' dtype (None: degree 0), SH coefficients a
    channel beyond degree 0, and the byte offset of the first chunk row."""

    count: int
    chunk: np.dtype
    vertex: np.dtype
    sh: np.dtype | None
    rest: int
    data: int


def compressed_header(path: str, fmt: str, elements, data: int) -> CompressedHeader:
    """The CompressedHeader of a PLY whose elements (splat_ply._parse's) hold a chunk
    element and packed vertices; InputError where they break the layout."""

    def fail(what: str):
        raise InputError(f"a compressed Gaussian splat PLY (SuperSplat / PlayCanvas) {what}", path)

    if fmt != "binary_little_endian":
        fail(f"in {fmt or 'an unknown'} format; the layout is binary little-endian")
    names = [e[0] for e in elements]
    if names[:2] != ["chunk", "vertex"] or any(n not in ("chunk", "vertex", "sh") for n in names):
        fail(f"with the elements {', '.join(names)}; the layout has chunk, vertex and optionally sh")
    chunk, vertex = elements[0], elements[1]
    count = vertex[1]
    if count <= 0:
        fail("holding no splats" if count == 0 else "whose vertex count is not a whole number")
    chunk_names = [n for n, _ in chunk[2]]
    if chunk_names not in (list(BOUNDS), list(BOUNDS + COLOUR_BOUNDS)) or any(
        t not in ("float", "float32") for _, t in chunk[2]
    ):
        fail("whose chunks are not the 12 or 18 float bounds of the layout")
    if chunk[1] != math.ceil(count / PER_CHUNK):
        fail(f"with {chunk[1]:,} chunks for {count:,} splats (256 a chunk: {math.ceil(count / PER_CHUNK):,})")
    if [n for n, _ in vertex[2]] != list(PACKED) or any(t not in ("uint", "uint32") for _, t in vertex[2]):
        fail("whose vertices are not the four packed uint32 words of the layout")
    sh_dtype, rest = None, 0
    if len(elements) == 3:
        sh = elements[2]
        sh_names = [n for n, _ in sh[2]]
        rest = len(sh_names) // 3
        if (
            sh[1] != count
            or len(sh_names) % 3
            or rest not in (3, 8, 15)
            or sh_names != [f"f_rest_{i}" for i in range(len(sh_names))]
            or any(t not in ("uchar", "uint8") for _, t in sh[2])
        ):
            fail("whose sh element is not 9, 24 or 45 uint8 f_rest values a splat")
        sh_dtype = np.dtype([(n, "u1") for n in sh_names])
    return CompressedHeader(
        count=count,
        chunk=np.dtype([(n, "<f4") for n in chunk_names]),
        vertex=np.dtype([(n, "<u4") for n in PACKED]),
        sh=sh_dtype,
        rest=rest,
        data=data,
    )


def load_compressed(path: str, header: CompressedHeader) -> Scene:
    """The compressed splat PLY at ``path`` as a Scene whose ``splats`` is set."""
    count, rest = header.count, header.rest
    chunks = math.ceil(count / PER_CHUNK)
    budget = MemoryBudget(path)
    budget.spend(count * (3 + 3 + 4 + 1 + 3 * (1 + rest)) * 4, f"{count:,} splats")
    budget.spend(chunks * header.chunk.itemsize, "the chunk bounds")
    block_rows = CHUNK  # a whole number of chunks
    budget.spend(block_rows * (16 + 3 * rest) * 10, "a block of packed splats")
    with open_regular(path, "model") as f:
        f.seek(header.data)
        bounds = np.fromfile(f, dtype=header.chunk, count=chunks)
        if len(bounds) < chunks:
            raise InputError(f"the file ends inside its chunk bounds ({len(bounds):,} of {chunks:,})", path)
        vertex_start = f.tell()
    sh_start = vertex_start + count * header.vertex.itemsize

    def blocks() -> Iterator[tuple[Splats, int]]:
        with open_regular(path, "model") as f:
            for first in range(0, count, block_rows):
                n = min(block_rows, count - first)
                f.seek(vertex_start + first * header.vertex.itemsize)
                words = np.fromfile(f, dtype=header.vertex, count=n)
                sh = None
                if header.sh is not None:
                    f.seek(sh_start + first * header.sh.itemsize)
                    sh = np.fromfile(f, dtype=header.sh, count=n)
                if len(words) < n or (sh is not None and len(sh) < n):
                    raise InputError(f"the file ends inside its {count:,} splats", path)
                yield convert(
                    words, sh, bounds[first // PER_CHUNK : (first + n + PER_CHUNK - 1) // PER_CHUNK], rest
                )

    return splat_scene(path, count, 1 + rest, blocks())


def convert(
    words: np.ndarray, sh_rows: np.ndarray | None, bounds: np.ndarray, rest: int
) -> tuple[Splats, int]:
    """Packed rows (the first of a chunk first) and their chunks' bounds as Splats."""
    n = len(words)
    chunk = np.arange(n) // PER_CHUNK

    def bound(name: str) -> np.ndarray:
        return bounds[name].astype(np.float64)[chunk]

    def lerp(low: str, high: str, t: np.ndarray) -> np.ndarray:
        lo, hi = bound(low), bound(high)
        return lo * (1.0 - t) + hi * t

    def unorm(word: np.ndarray, shift: int, bits: int) -> np.ndarray:
        return ((word >> np.uint32(shift)) & np.uint32((1 << bits) - 1)).astype(np.float64) / (
            (1 << bits) - 1
        )

    position, scale = words["packed_position"], words["packed_scale"]
    fractions = [(21, 11), (11, 10), (0, 11)]
    means = np.stack(
        [lerp(f"min_{a}", f"max_{a}", unorm(position, *f)) for a, f in zip("xyz", fractions)], axis=1
    )
    with np.errstate(over="ignore"):
        scales = np.exp(
            np.stack(
                [
                    lerp(f"min_scale_{a}", f"max_scale_{a}", unorm(scale, *f))
                    for a, f in zip("xyz", fractions)
                ],
                axis=1,
            )
        )
    colour = words["packed_color"]
    rgba = [unorm(colour, shift, 8) for shift in (24, 16, 8, 0)]
    if "min_r" in (bounds.dtype.names or ()):
        rgba[:3] = [lerp(f"min_{c}", f"max_{c}", t) for c, t in zip("rgb", rgba[:3])]
    sh = np.empty((n, 1 + rest, 3), np.float64)
    for c in range(3):
        sh[:, 0, c] = (rgba[c] - 0.5) / SH_C0
    if rest:
        assert sh_rows is not None
        values = np.stack([sh_rows[name] for name in sh_rows.dtype.names or ()], axis=1).astype(np.float64)
        values = values * (8.0 / 255.0) - 4.0
        for c in range(3):
            sh[:, 1:, c] = values[:, c * rest : (c + 1) * rest]
    return finish(means, scales, _rotations(words["packed_rotation"]), rgba[3], sh)


def _rotations(packed: np.ndarray) -> np.ndarray:
    """(n, 4) x y z w from 2.10.10.10 words: the largest component's index in w x y z
    order, then the other three in that order."""
    largest = (packed >> np.uint32(30)).astype(np.int64)
    three = [
        (((packed >> np.uint32(shift)) & np.uint32(1023)).astype(np.float64) / 1023.0 - 0.5) * math.sqrt(2.0)
        for shift in (20, 10, 0)
    ]
    wxyz = np.zeros((len(packed), 4), np.float64)
    rows = np.arange(len(packed))
    for k in range(4):
        here = largest == k
        others = [i for i in range(4) if i != k]
        for value, i in zip(three, others):
            wxyz[here, i] = value[here]
    wxyz[rows, largest] = np.sqrt(np.maximum(0.0, 1.0 - (wxyz**2).sum(1)))
    return wxyz[:, [1, 2, 3, 0]]
