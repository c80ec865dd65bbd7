"""What every Gaussian splat reader shares (the 3DGS PLY, its compressed form, .splat,
.spz): decoded columns made into holopack.scene.types.Splats, rows that are not finite
left out, and the Scene with the warnings about them."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..errors import InputError
from .scene import Scene
from .types import Splats

CHUNK = 1 << 16  # rows read and converted at a time
_FIELDS = ("means", "scales", "rotations", "opacities", "sh")


def splat_scene(path: str, count: int, coefficients: int, blocks: Iterable[tuple[Splats, int]]) -> Scene:
    """The Scene of ``count`` splats of ``coefficients`` SH coefficients a channel, read
    as ``blocks`` of (converted splats, how many had a zero quaternion) (``finish``'s
    results), with the warnings for the rows left out and the rotations dropped. The
    caller has counted the arrays against the memory budget."""
    splats = Splats(
        means=np.empty((count, 3), np.float32),
        scales=np.empty((count, 3), np.float32),
        rotations=np.empty((count, 4), np.float32),
        opacities=np.empty(count, np.float32),
        sh=np.empty((count, coefficients, 3), np.float32),
    )
    kept = unrotated = 0
    for block, zero in blocks:
        n = len(block)
        for name in _FIELDS:
            getattr(splats, name)[kept : kept + n] = getattr(block, name)
        kept += n
        unrotated += zero
    if kept < count:
        splats = Splats(*(getattr(splats, name)[:kept].copy() for name in _FIELDS))
    if not kept:
        raise InputError("the file holds no splats with finite values", path)
    scene = Scene(path=path, splats=splats)
    if kept < count:
        scene.warnings.append(
            f"{count - kept:,} of {count:,} splats have values that are not finite numbers: not drawn"
        )
    if unrotated:
        scene.warnings.append(f"{unrotated:,} splats have a zero rotation quaternion: drawn unrotated")
    return scene


def finish(
    means: np.ndarray,
    scales: np.ndarray,
    quaternions: np.ndarray,
    opacities: np.ndarray,
    sh: np.ndarray,
    finite: np.ndarray | None = None,
) -> tuple[Splats, int]:
    """Splats from decoded float64 columns (every splat format's last step): means (N,
    3), linear scales (N, 3), quaternions (N, 4) x y z w, not necessarily normalised,
    opacities (N,) in [0, 1], sh (N, K, 3). Rows with a value that is not finite, or
    past float32's range, are left out (also where ``finite`` (N,) bool says so); a zero
    quaternion becomes no rotation. Returns (the splats, how many had a zero quaternion)."""
    big = np.finfo(np.float32).max
    keep = (
        np.isfinite(means).all(1)
        & (np.abs(means) < big).all(1)
        & (scales < big).all(1)
        & np.isfinite(scales).all(1)
        & np.isfinite(opacities)
        & np.isfinite(quaternions).all(1)
        & np.isfinite(sh).all((1, 2))
        & (np.abs(sh) < big).all((1, 2))
    )
    if finite is not None:
        keep &= finite
    if not keep.all():
        means, scales, opacities, quaternions, sh = (
            a[keep] for a in (means, scales, opacities, quaternions, sh)
        )
    norms = np.sqrt((quaternions**2).sum(1))
    zero = ~(norms > 1e-30)  # also a norm that overflowed
    if zero.any():
        quaternions[zero] = (0.0, 0.0, 0.0, 1.0)
        norms[zero] = 1.0
    quaternions = quaternions / norms[:, None]
    splats = Splats(
        means=means.astype(np.float32),
        scales=scales.astype(np.float32),
        rotations=quaternions.astype(np.float32),
        opacities=opacities.astype(np.float32),
        sh=sh.astype(np.float32),
    )
    return splats, int(zero.sum())
