"""Morph targets: blended positions, normals and tangents of one primitive.

glTF morphs positions, normals and tangents by their own targets (base + sum of
weight x delta). A mesh whose targets move positions but carry no NORMAL deltas would
keep its rest normals and shade as if it had not moved, so its normals are recomputed
from the morphed positions instead: area-weighted face normals summed over the
vertices that share both their rest position and their rest normal. That keeps the
file's own vertex splits: a hard edge (the same position with different normals) stays
hard, while a split made only for a texture seam (same position, same normal) stays
smooth across the seam.
"""

from __future__ import annotations

import numpy as np

from ..scene.types import Primitive


class MorphShape:
    """What morphing one primitive needs beyond its arrays, computed once.

    ``smooth`` : (N,) int64 smoothing-group id per vertex (equal rest position and rest
    normal, bit for bit), used only when the targets have no NORMAL deltas.
    """

    def __init__(self, primitive: Primitive):
        self.primitive = primitive
        morph = primitive.morph
        self.recompute_normals = morph is not None and morph.normals is None
        # (T,) bool: targets that move some vertex (only those change the normals)
        self.moves = np.any(morph.positions != 0, axis=(1, 2)) if morph is not None else np.zeros(0, bool)
        self.smooth = (
            smoothing_groups(primitive.positions, primitive.normals) if self.recompute_normals else None
        )

    def apply(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(positions (N, 3) float32, normals (N, 3) float32 unit, tangents (N, 4)
        float32 or None) of the primitive at morph ``weights`` ((T,) float).

        Zero weights give the rest arrays themselves (not copies)."""
        prim = self.primitive
        morph = prim.morph
        positions, normals, tangents = prim.positions, prim.normals, prim.tangents
        assert morph is not None
        weights = np.asarray(weights, np.float64)
        active = np.flatnonzero(weights)
        if len(active) == 0:
            return positions, normals, tangents
        w = weights[active].astype(np.float32)
        positions = np.ascontiguousarray(
            positions + np.tensordot(w, morph.positions[active], axes=1), np.float32
        )
        if morph.normals is not None:
            normals = _unit(normals + np.tensordot(w, morph.normals[active], axes=1), normals)
        elif self.moves[active].any():
            assert self.smooth is not None
            normals = recomputed_normals(positions, prim.indices, self.smooth, prim.normals)
        if tangents is not None and morph.tangents is not None:
            xyz = _unit(tangents[:, :3] + np.tensordot(w, morph.tangents[active], axes=1), tangents[:, :3])
            tangents = np.ascontiguousarray(np.concatenate([xyz, tangents[:, 3:]], axis=1), np.float32)
        return positions, normals, tangents


def smoothing_groups(positions: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """(N,) int64 ids, equal where (N, 3) float32 positions and (N, 3) float32 normals
    are both bit-identical (with -0.0 taken as 0.0)."""
    key = np.concatenate([positions, normals], axis=1).astype(np.float32) + np.float32(0.0)
    _, inverse = np.unique(key.view(np.uint32), axis=0, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64)


def recomputed_normals(
    positions: np.ndarray, indices: np.ndarray, smooth: np.ndarray, fallback: np.ndarray
) -> np.ndarray:
    """Area-weighted vertex normals over smoothing groups.

    positions : (N, 3) float32 (morphed); indices : (M, 3) integer, counter-clockwise;
    smooth : (N,) int64 smoothing-group ids; fallback : (N, 3) float32, used where a
    group touches no face of non-zero area.
    Returns (N, 3) float32 unit vectors.
    """
    p = positions.astype(np.float64)
    tri = p[indices]
    face = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])  # length = 2 x area
    groups = int(smooth.max()) + 1 if len(smooth) else 0
    corner_group = smooth[indices]
    summed = np.zeros((groups, 3))
    for corner in range(3):  # bincount: an unbuffered scatter-add, ~10x np.add.at
        for axis in range(3):
            summed[:, axis] += np.bincount(corner_group[:, corner], weights=face[:, axis], minlength=groups)
    return _unit(summed[smooth], fallback)


def _unit(vectors: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """(N, 3) float32 unit vectors; rows of zero length take ``fallback``'s row."""
    vectors = np.asarray(vectors, np.float64)
    length = np.linalg.norm(vectors, axis=1, keepdims=True)
    ok = length > 1e-20
    out = np.where(ok, vectors / np.where(ok, length, 1.0), fallback)
    return np.ascontiguousarray(out, np.float32)
