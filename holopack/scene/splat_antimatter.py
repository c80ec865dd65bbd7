""".splat files: Gaussian splats as the web viewers pass them around (antimatter15's
WebGL viewer, SuperSplat, Luma's and Polycam's web exports), a headerless run of 32-byte
records, one a splat:

    position  3 x float32   the centre
    scale     3 x float32   the standard deviations (linear, not logs)
    colour    4 x uint8     the degree-0 colour, 0.5 + SH_C0 x f_dc, and the opacity (the
                            sigmoid of the 3DGS logit), each x 255
    rotation  4 x uint8     the unit quaternion w x y z, each component x 128 + 128

all little-endian, in the capture's own coordinates (those of the 3DGS PLY it was made
from). There is no higher-degree colour. Read CHUNK records at a time, counted against
the memory budget first, and converted once to holopack.scene.types.Splats.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np

from ..containment import open_regular
from ..errors import InputError
from ..limits import MemoryBudget
from .scene import Scene
from .splat_rows import CHUNK, finish, splat_scene
from .types import Splats

SH_C0 = 0.28209479177387814  # the degree-0 spherical harmonic, 1 / (2 sqrt(pi))
RECORD = np.dtype([("position", "<f4", 3), ("scale", "<f4", 3), ("colour", "u1", 4), ("rotation", "u1", 4)])


def load_splat(path: str) -> Scene:
    """The .splat file at ``path`` as a Scene whose ``splats`` is set."""
    size = os.path.getsize(path)
    if size == 0:
        raise InputError("the file is empty: a .splat file holds 32 bytes a splat", path)
    if size % RECORD.itemsize:
        raise InputError(
            f"not a .splat file: its {size:,} bytes are not a whole number of 32-byte splats "
            "(it is cut short, or another kind of file)",
            path,
        )
    count = size // RECORD.itemsize
    budget = MemoryBudget(path)
    budget.spend(count * (3 + 3 + 4 + 1 + 3) * 4, f"{count:,} splats")
    budget.spend(min(count, CHUNK) * RECORD.itemsize * 8, "a block of splat records")

    def blocks() -> Iterator[tuple[Splats, int]]:
        with open_regular(path, "model") as f:
            for first in range(0, count, CHUNK):
                records = np.fromfile(f, dtype=RECORD, count=min(CHUNK, count - first))
                if len(records) < min(CHUNK, count - first):
                    raise InputError(
                        f"the file ends after {first + len(records):,} of its {count:,} splats", path
                    )
                yield convert(records)

    scene = splat_scene(path, count, 1, blocks())
    _check_plausible(scene, path)
    return scene


def convert(records: np.ndarray) -> tuple[Splats, int]:
    """RECORD rows as Splats (see the module doc), with finish's rules for rows that are
    not finite and zero quaternions."""
    colour = records["colour"].astype(np.float64) / 255.0
    sh = ((colour[:, :3] - 0.5) / SH_C0)[:, None, :]
    rotation = (records["rotation"].astype(np.float64) - 128.0) / 128.0
    quaternions = rotation[:, [1, 2, 3, 0]]  # w x y z -> x y z w
    with np.errstate(invalid="ignore", over="ignore"):  # not finite: left out by finish
        means = records["position"].astype(np.float64)
        scales = records["scale"].astype(np.float64)
    return finish(means, scales, quaternions, colour[:, 3], sh)


def _check_plausible(scene: Scene, path: str) -> None:
    """A .splat file has no header to check, so any file of 32 x N bytes reads as one:
    one whose scales are mostly not positive (a real file's are all positive) or whose
    centres are mostly beyond any capture's extent is some other file."""
    splats = scene.splats
    assert splats is not None
    positive = float(np.mean(np.all(splats.scales > 0.0, axis=1)))
    sane = float(np.mean(np.all(np.abs(splats.means) < 1e6, axis=1)))
    if positive < 0.9 or sane < 0.9:
        raise InputError(
            "not a .splat file: its records do not read as splats (scales not positive or "
            "centres beyond a million units); a .splat file holds 32-byte records of centre, "
            "scale, colour and rotation",
            path,
        )
