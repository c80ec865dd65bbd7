""".spz files: Gaussian splats compressed as Niantic's format describes them (Scaniverse
and the spz library write them), read with the standard library's gzip alone.

A gzip stream of a 16-byte header and then the splats attribute by attribute:

    header     uint32 magic 0x5053474e ("NGSP"), uint32 version (2 or 3), uint32 count,
               uint8 SH degree (0-4), uint8 fractional bits, uint8 flags (0x1: trained
               with antialiasing; 0x2: vendor extensions follow), uint8 reserved
    positions  count x 3 x 24-bit signed fixed point, fractional bits after the point
    alphas     count x uint8: the opacity (the sigmoid of the 3DGS logit) x 255
    colours    count x 3 x uint8: the degree-0 coefficient f_dc x 0.15 x 255 + 127.5
    scales     count x 3 x uint8: (log of the standard deviation + 10) x 16
    rotations  version 2: count x 3 x uint8, x y z of the unit quaternion with w >= 0,
               each (component + 1) x 127.5; version 3: count x uint32, the index of
               the largest component (2 bits) and the other three in x y z w order, each
               a sign bit and 9 bits of |component| / sqrt(1/2) x 511, the first of them
               in the highest bits
    SH         count x coefficients x 3 x uint8, the colour channel varying fastest:
               (value - 128) / 128 (degree 4's coefficients are read and not drawn)

all little-endian. The coordinates are the format's own: x right, y up, z back (OpenGL's
and glTF's), so a capture stands upright without ``--up``. A file with vendor
extensions (flag 0x2) is refused: their records change how the colours decode and are
laid out differently from one version of the library to the next.
"""

from __future__ import annotations

import math
import os
import zlib

import numpy as np

from ..containment import open_regular
from ..errors import InputError
from ..limits import MemoryBudget
from .scene import Scene
from .splat_rows import CHUNK, finish, splat_scene

MAGIC = 0x5053474E
HEADER = np.dtype(
    [
        ("magic", "<u4"),
        ("version", "<u4"),
        ("count", "<u4"),
        ("degree", "u1"),
        ("fractional_bits", "u1"),
        ("flags", "u1"),
        ("reserved", "u1"),
    ]
)
COLOUR_SCALE = 0.15  # the format's scale of f_dc (not SH_C0: it keeps colours past 0-1)
HAS_EXTENSIONS = 0x2
# SH coefficients a channel beyond degree 0, by degree
REST = {0: 0, 1: 3, 2: 8, 3: 15, 4: 24}
DRAWN_REST = 15  # degree 3: the renderer's highest


def load_spz(path: str) -> Scene:
    """The .spz file at ``path`` as a Scene whose ``splats`` is set."""
    budget = MemoryBudget(path)
    with open_regular(path, "model") as f:
        budget.spend(os.fstat(f.fileno()).st_size, "the compressed file (it is read whole)")
        packed = f.read()
    if packed[:4] == b"NGSP":  # the header's magic, not inside gzip
        version = int.from_bytes(packed[4:8], "little") if len(packed) >= 8 else 0
        if version >= 4:
            raise InputError(
                f"an SPZ file in the newer container (version {version}), which holopack does not "
                "read yet; save it as version 3 or as a 3DGS .ply",
                path,
            )
        raise InputError("not an SPZ file: it is not gzip-compressed (an SPZ file is a gzip stream)", path)
    if packed[:2] != b"\x1f\x8b":
        raise InputError("not an SPZ file: it is not gzip-compressed", path)
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    head = _inflate(inflate, packed, HEADER.itemsize, path)
    if len(head) < HEADER.itemsize:
        raise InputError("the SPZ file ends inside its header", path)
    header = np.frombuffer(head, HEADER, count=1)[0]
    if int(header["magic"]) != MAGIC:
        raise InputError("not an SPZ file: its header does not start with NGSP", path)
    version, count, degree = int(header["version"]), int(header["count"]), int(header["degree"])
    if version not in (2, 3):
        raise InputError(f"SPZ version {version} is not read (holopack reads versions 2 and 3)", path)
    if degree not in REST:
        raise InputError(f"an SPZ file of spherical-harmonic degree {degree}; the format has 0 to 4", path)
    if int(header["flags"]) & HAS_EXTENSIONS:
        raise InputError(
            "the SPZ file carries vendor extensions, which holopack does not read; save it "
            "without them, or as a 3DGS .ply",
            path,
        )
    if count == 0:
        raise InputError("the file holds no splats (its count is 0)", path)
    rest = REST[degree]
    rotation_bytes = 4 if version == 3 else 3
    stride = 9 + 1 + 3 + 3 + rotation_bytes + 3 * rest
    kept_rest = min(rest, DRAWN_REST)
    budget.spend(count * stride, f"{count:,} packed splats")
    budget.spend(count * (3 + 3 + 4 + 1 + 3 * (1 + kept_rest)) * 4, f"{count:,} splats")
    budget.spend(min(count, CHUNK) * (3 + 3 + 4 + 1 + 3 * (1 + rest)) * 8 * 2, "a block of splats")
    body = _inflate(inflate, inflate.unconsumed_tail, count * stride, path)
    del packed
    if len(body) < count * stride:
        raise InputError(
            f"the SPZ file ends after {len(body):,} of the {count * stride:,} bytes its {count:,} splats take",
            path,
        )
    columns = _columns(body, count, rest, rotation_bytes)

    def blocks():
        for first in range(0, count, CHUNK):
            block = slice(first, min(count, first + CHUNK))
            yield _convert(columns, block, int(header["fractional_bits"]), version, rest, kept_rest)

    scene = splat_scene(path, count, 1 + kept_rest, blocks())
    if rest > kept_rest:
        scene.warnings.append("spherical harmonics of degree 4: drawn up to degree 3")
    return scene


def _inflate(inflate, data: bytes, wanted: int, path: str) -> bytes:
    """The next ``wanted`` bytes of the gzip stream (fewer where it ends), ``data`` the
    compressed bytes not yet given to ``inflate``. Never inflating more than asked: a
    small file that inflates without end is read no further than its header says."""
    try:
        return inflate.decompress(data, wanted)
    except zlib.error as exc:
        raise InputError(f"the SPZ file's gzip stream is damaged ({exc})", path) from None


def _columns(body: bytes, count: int, rest: int, rotation_bytes: int) -> dict[str, np.ndarray]:
    """The attribute blocks of the inflated body, each a uint8 view (count, width)."""
    raw = np.frombuffer(body, np.uint8)
    widths = (("position", 9), ("alpha", 1), ("colour", 3), ("scale", 3), ("rotation", rotation_bytes))
    columns = {}
    offset = 0
    for name, width in widths + (("sh", 3 * rest),):
        columns[name] = raw[offset : offset + count * width].reshape(count, width)
        offset += count * width
    return columns


def _convert(columns, block: slice, fractional_bits: int, version: int, rest: int, kept_rest: int):
    """Splats of rows ``block`` (see the module doc for each attribute)."""
    p = columns["position"][block].astype(np.int64).reshape(-1, 3, 3)
    fixed = p[..., 0] | (p[..., 1] << 8) | (p[..., 2] << 16)
    fixed = np.where(fixed & 0x800000, fixed - (1 << 24), fixed)  # 24-bit two's complement
    means = fixed.astype(np.float64) / float(1 << fractional_bits)
    opacities = columns["alpha"][block][:, 0].astype(np.float64) / 255.0
    dc = (columns["colour"][block].astype(np.float64) / 255.0 - 0.5) / COLOUR_SCALE
    scales = np.exp(columns["scale"][block].astype(np.float64) / 16.0 - 10.0)
    rotation = columns["rotation"][block]
    quaternions = _smallest_three(rotation) if version == 3 else _first_three(rotation)
    n = len(means)
    sh = np.empty((n, 1 + kept_rest, 3), np.float64)
    sh[:, 0] = dc
    if kept_rest:
        coefficients = columns["sh"][block].reshape(n, rest, 3)[:, :kept_rest]
        sh[:, 1:] = (coefficients.astype(np.float64) - 128.0) / 128.0
    return finish(means, scales, quaternions, opacities, sh)


def _first_three(rotation: np.ndarray) -> np.ndarray:
    """Version 2: x y z bytes, w = sqrt(1 - |xyz|^2) (>= 0) -> (n, 4) x y z w."""
    xyz = rotation.astype(np.float64) / 127.5 - 1.0
    w = np.sqrt(np.maximum(0.0, 1.0 - (xyz**2).sum(1)))
    return np.concatenate([xyz, w[:, None]], axis=1)


def _smallest_three(rotation: np.ndarray) -> np.ndarray:
    """Version 3: one little-endian uint32 a splat, the largest component's index (x y z
    w order) in its top 2 bits and the others, each a sign and 9 bits, below it, the
    last of them in the lowest bits -> (n, 4) x y z w."""
    word = rotation.astype(np.uint32)
    packed = word[:, 0] | (word[:, 1] << 8) | (word[:, 2] << 16) | (word[:, 3] << 24)
    largest = (packed >> 30).astype(np.int64)
    q = np.zeros((len(packed), 4), np.float64)
    bits = packed.astype(np.uint64)
    # walk the components from w down to x, taking 10 bits from the bottom for each one
    # that is not the largest
    for i in range(3, -1, -1):
        here = largest != i
        magnitude = (bits & 511).astype(np.float64) / 511.0 * math.sqrt(0.5)
        negative = ((bits >> 9) & 1).astype(bool)
        q[here, i] = np.where(negative, -magnitude, magnitude)[here]
        bits = np.where(here, bits >> 10, bits)
    rows = np.arange(len(q))
    q[rows, largest] = np.sqrt(np.maximum(0.0, 1.0 - (q**2).sum(1)))
    return q
