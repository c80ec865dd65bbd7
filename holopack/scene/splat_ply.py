"""3D Gaussian Splatting twins in the standard PLY layout (Kerbl et al. 2023), as a Scene.

Polycam, Luma, Postshot and Nerfstudio/gsplat hand over one binary PLY whose vertex
element holds one Gaussian a row: x y z, optionally nx ny nz (unused, zeros), f_dc_0..2
(the degree-0 colour coefficients), f_rest_0..M-1 (M = 0, 9, 24 or 45: the higher
degrees, stored channel by channel: the R coefficients of degrees 1..3 first, then G,
then B), opacity (a logit), scale_0..2 (natural logs of the standard deviations) and
rot_0..3 (a quaternion w x y z, not normalised). ``splat_header`` tells such a file
from a mesh PLY by its header alone (holopack.scene.mesh asks before trimesh reads it);
``load_splats`` reads the rows, counting them against the memory budget first, and
converts them once (holopack.scene.types.Splats).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..containment import open_regular
from ..errors import InputError
from ..limits import MemoryBudget
from .scene import Scene
from .splat_compressed_ply import CompressedHeader, compressed_header, load_compressed
from .splat_rows import CHUNK, finish, splat_scene
from .types import Splats

HEADER_BYTES = 1 << 16  # a PLY header is a few hundred bytes; 3DGS's is ~1.5 KB
REQUIRED = (
    ("x", "y", "z")
    + ("f_dc_0", "f_dc_1", "f_dc_2", "opacity")
    + ("scale_0", "scale_1", "scale_2")
    + ("rot_0", "rot_1", "rot_2", "rot_3")
)
# f_rest coefficients per channel -> spherical-harmonic degree (15 = degree 3's 16 - 1)
REST_DEGREES = {0: 0, 3: 1, 8: 2, 15: 3}
# a PLY's scalar types (both spellings of the specification) -> numpy's
_TYPES = {
    "char": "i1",
    "int8": "i1",
    "uchar": "u1",
    "uint8": "u1",
    "short": "i2",
    "int16": "i2",
    "ushort": "u2",
    "uint16": "u2",
    "int": "i4",
    "int32": "i4",
    "uint": "u4",
    "uint32": "u4",
    "float": "f4",
    "float32": "f4",
    "double": "f8",
    "float64": "f8",
}


@dataclass
class SplatHeader:
    """What the header of a Gaussian splat PLY says: ``fmt`` (the PLY format word),
    ``count`` (rows), ``row`` (the numpy dtype of one row), ``data`` (the byte offset
    of the first row), ``rest`` (f_rest coefficients per channel)."""

    fmt: str
    count: int
    row: np.dtype
    data: int
    rest: int


def splat_header(path: str) -> SplatHeader | CompressedHeader | None:
    """The header of ``path`` when it is a Gaussian splat PLY (standard, or compressed:
    holopack.scene.splat_compressed_ply), else None (a mesh or a point cloud: trimesh
    reads those). InputError for a splat PLY holopack cannot read."""
    found = _header_bytes(path)
    if found is None:
        return None
    head, end, newline = found
    fmt, elements, listed = _parse(head[:end])
    vertex = next((e for e in elements if e[0] == "vertex"), None)
    if vertex is None:
        return None
    names = [name for name, _ in vertex[2]]
    if "packed_position" in names and any(e[0] == "chunk" for e in elements):
        return compressed_header(path, fmt, elements, newline + 1)
    missing = [name for name in REQUIRED if name not in names]
    if not listed and missing and len(REQUIRED) - len(missing) >= 3 + 4:
        # x y z and most of the 3DGS properties: a splat file that lost some, not a mesh
        # (whose PLY holds none of them; trimesh called it a point cloud)
        raise InputError(
            f"a Gaussian splat PLY without the propert{'ies' if len(missing) > 1 else 'y'} "
            f"{', '.join(missing)}; the 3DGS layout has x y z, f_dc_0..2, opacity, "
            "scale_0..2 and rot_0..3",
            path,
        )
    if listed or missing:
        return None
    rest = [n for n in names if n.startswith("f_rest_")]
    if (
        len(rest) % 3
        or len(rest) // 3 not in REST_DEGREES
        or rest != [f"f_rest_{i}" for i in range(len(rest))]
    ):
        raise InputError(
            f"a Gaussian splat PLY with {len(rest)} f_rest properties; the layout has 0, 9, 24 "
            "or 45 of them (spherical harmonics of degree 0 to 3), numbered from f_rest_0",
            path,
        )
    if fmt not in ("binary_little_endian", "binary_big_endian"):
        raise InputError(
            f"a Gaussian splat PLY in {fmt or 'an unknown'} format; holopack reads the binary "
            "layout every 3DGS tool writes",
            path,
        )
    if elements[0][0] != "vertex":
        raise InputError(
            "a Gaussian splat PLY whose first element is not its vertices; holopack reads the "
            "standard 3DGS layout (one vertex element)",
            path,
        )
    if vertex[1] < 0:
        raise InputError("a Gaussian splat PLY whose vertex count is not a whole number of vertices", path)
    endian = "<" if fmt == "binary_little_endian" else ">"
    fields: list[tuple[str, str]] = []
    for name, kind in vertex[2]:
        if kind not in _TYPES:
            raise InputError(f"a Gaussian splat PLY with a property of unknown type {kind!r}", path)
        if name in (f[0] for f in fields):
            raise InputError(f"a Gaussian splat PLY that names the property {name!r} twice", path)
        fields.append((name, endian + _TYPES[kind]))
    return SplatHeader(fmt=fmt, count=vertex[1], row=np.dtype(fields), data=newline + 1, rest=len(rest) // 3)


def _header_bytes(path: str) -> tuple[bytes, int, int] | None:
    """(the first HEADER_BYTES of a PLY, where its end_header is, the newline after it),
    or None for a file that is not a PLY or ends inside its header."""
    with open_regular(path, "model") as f:
        head = f.read(HEADER_BYTES)
    if not head.startswith(b"ply"):
        return None
    end = head.find(b"end_header")
    if end < 0 and len(head) == HEADER_BYTES:
        # trimesh read on through a header of 300 MB of comments for 7.6 s, to "list
        # index out of range"; one of 1 MB it took, and said the file held points
        raise InputError(
            f"the PLY header runs past {HEADER_BYTES // 1024} KB with no end_header (a header is "
            "a few hundred bytes; a 3DGS one about 1.5 KB)",
            path,
        )
    newline = head.find(b"\n", end) if end >= 0 else -1
    return None if newline < 0 else (head, end, newline)


def _parse(header: bytes) -> tuple[str, list[tuple[str, int, list[tuple[str, str]]]], bool]:
    """(the format word, the elements as (name, count or -1, [(property, type)]), whether
    the vertex element has a list property) of a PLY header's text."""
    fmt = ""
    elements: list[tuple[str, int, list[tuple[str, str]]]] = []
    listed = False  # the vertex element has a list property: not a splat row
    for line in header.decode("ascii", "replace").replace("\r", "").split("\n"):
        words = line.split()
        if len(words) >= 2 and words[0] == "format":
            fmt = words[1]
        elif len(words) == 3 and words[0] == "element":
            elements.append((words[1], int(words[2]) if words[2].isdigit() else -1, []))
        elif words[:1] == ["property"] and elements:
            if len(words) >= 2 and words[1] == "list":
                listed = listed or elements[-1][0] == "vertex"
            elif len(words) == 3:
                elements[-1][2].append((words[2], words[1]))
    return fmt, elements, listed


def load_splats(path: str, header: SplatHeader | CompressedHeader | None = None) -> Scene:
    """The Gaussian splat PLY at ``path`` as a Scene whose ``splats`` is set."""
    header = header or splat_header(path)
    if header is None:
        raise InputError("not a Gaussian splat PLY (it lacks the 3DGS vertex properties)", path)
    if isinstance(header, CompressedHeader):
        return load_compressed(path, header)
    count, stride = header.count, header.row.itemsize
    if count == 0:
        raise InputError("the file holds no splats (its vertex count is 0)", path)
    budget = MemoryBudget(path)
    # the converted arrays, counted before they exist (a header that declares 10^9 splats
    # is refused in its own words), and one block of rows as read: the file is read and
    # converted CHUNK rows at a time, so 1,000,000 splats of degree 3 (248 bytes a row)
    # take their 236 MB of arrays and 16 MB more, not 248 MB of rows besides
    coefficients = 1 + header.rest
    budget.spend(count * (3 + 3 + 4 + 1 + 3 * coefficients) * 4, f"{count:,} splats")
    budget.spend(min(count, CHUNK) * stride * 3, "a block of splat rows")
    size = os.path.getsize(path)
    if size < header.data + count * stride:
        held = max(0, size - header.data) // stride
        raise InputError(
            f"the header declares {count:,} splats but the file holds {held:,}: it is cut short "
            "or its header is wrong",
            path,
        )

    def blocks() -> Iterator[tuple[Splats, int]]:
        with open_regular(path, "model") as f:
            f.seek(header.data)
            for first in range(0, count, CHUNK):
                rows = np.fromfile(f, dtype=header.row, count=min(CHUNK, count - first))
                if len(rows) < min(CHUNK, count - first):
                    raise InputError(
                        f"the file ends after {first + len(rows):,} of its {count:,} splats", path
                    )
                yield convert(rows, header.rest)

    return splat_scene(path, count, coefficients, blocks())


def convert(rows: np.ndarray, rest: int) -> tuple[Splats, int]:
    """The file's rows (a structured array with the 3DGS properties; ``rest`` f_rest
    coefficients per channel) as Splats: sigmoid of the opacity logits, exp of the log
    scales, quaternions normalised and reordered to x y z w (a zero quaternion: no
    rotation). Rows with a value that is not finite (before or after conversion) are
    left out. Returns (the splats, how many had a zero quaternion)."""
    n = len(rows)

    def column(name: str) -> np.ndarray:
        return rows[name].astype(np.float64)

    means = np.stack([column("x"), column("y"), column("z")], axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        # exp overflows to inf past log scale 709 (float32's range past 88): such a row
        # is left out with the others
        scales = np.exp(np.stack([column(f"scale_{i}") for i in range(3)], axis=1))
        logits = column("opacity")
        opacities = 1.0 / (1.0 + np.exp(-logits))
    quaternions = np.stack([column(f"rot_{i}") for i in (1, 2, 3, 0)], axis=1)  # w x y z -> x y z w
    sh = np.empty((n, 1 + rest, 3), np.float64)
    for c in range(3):
        sh[:, 0, c] = column(f"f_dc_{c}")
        for k in range(rest):
            sh[:, 1 + k, c] = column(f"f_rest_{c * rest + k}")
    return finish(means, scales, quaternions, opacities, sh, np.isfinite(logits))
