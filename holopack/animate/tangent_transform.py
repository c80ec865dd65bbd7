"""Tangents into world space, rigidly or skinned, in numpy.

A tangent lies along the surface (it is dP/du), so it transforms like a position
difference: by the upper 3x3 of the node or blended skin matrix, not by the inverse
transpose that normals take. Its w (the bitangent's sign, B = w * cross(N, T)) flips
where that matrix mirrors (negative determinant): the normal follows the inverse
transpose (the cofactor matrix times sign(det)), and cross(M a, M b) =
det(M) M^-T cross(a, b), so B = M B_rest keeps the sign only when det(M) > 0.
"""

from __future__ import annotations

import numpy as np


def transform_tangents(tangents: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """tangents : (N, 4) float32 (xyz unit, w = +-1); matrix : (4, 4) float64 node
    world matrix. Returns (N, 4) float32: xyz = normalise(M3 @ xyz), w * sign(det M3)."""
    linear = np.asarray(matrix, np.float64)[:3, :3]
    flip = np.float32(-1.0 if np.linalg.det(linear) < 0 else 1.0)
    # float32 throughout, as the rigid positions and normals are (float64 took 3x longer)
    out = np.empty((len(tangents), 4), np.float32)
    xyz = np.matmul(tangents[:, :3], linear.T.astype(np.float32))
    length = np.sqrt(np.einsum("ij,ij->i", xyz, xyz))[:, None]
    ok = length > 1e-30  # a collapsed matrix has no tangent direction: keep the rest one
    out[:, :3] = np.where(ok, xyz / np.where(ok, length, 1.0), tangents[:, :3])
    np.multiply(tangents[:, 3], flip, out=out[:, 3])
    return out


def skin_tangents(
    tangents: np.ndarray, joints: np.ndarray, weights: np.ndarray, joint_matrices: np.ndarray
) -> np.ndarray:
    """Linear-blend skinned tangents.

    tangents : (N, 4) float32; joints : (N, K) uint16; weights : (N, K) float32, rows
    summing to 1; joint_matrices : (J, 4, 4) float64 (world(joint) @ inverseBind).
    Returns (N, 4) float32: xyz = normalise(M_v @ xyz) with M_v = sum_k w_k J[j_k]
    (3x3 part), w * sign(det M_v).
    """
    linear = np.ascontiguousarray(joint_matrices[:, :3, :3], np.float64)
    k = joints.shape[1]
    blended = np.zeros((len(tangents), 3, 3))
    for c in range(k):  # a (N, 3, 3) sum per joint slot: no (N, K, 3, 3) temporary
        # a slot of weight 0 may name any joint, even one the skin lacks
        joint = np.where(weights[:, c] > 0, joints[:, c].astype(np.int64), 0)
        blended += weights[:, c, None, None].astype(np.float64) * linear[joint]
    xyz = np.einsum("nij,nj->ni", blended, tangents[:, :3].astype(np.float64))
    det = np.linalg.det(blended)
    return _pack(xyz, tangents[:, :3], np.where(det < 0, -tangents[:, 3], tangents[:, 3]))


def _pack(xyz: np.ndarray, fallback: np.ndarray, w: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(xyz, axis=1, keepdims=True)
    ok = length > 1e-30  # a collapsed matrix has no tangent direction: keep the rest one
    out = np.empty((len(xyz), 4), np.float32)
    out[:, :3] = np.where(ok, xyz / np.where(ok, length, 1.0), fallback)
    out[:, 3] = w
    return out
