"""Linear-blend skinning in plain numpy: the slow, obviously-correct twin of skin.py.

Each vertex's skin matrix is the weighted sum of its joints' matrices
(joint matrix = world(joint) @ inverseBind(joint)); positions are transformed by it
and normals by its inverse transpose, then normalised.
"""

from __future__ import annotations

import numpy as np


def skin_vertices_reference(
    positions: np.ndarray,
    normals: np.ndarray,
    joints: np.ndarray,
    weights: np.ndarray,
    joint_matrices: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Skin N vertices.

    positions : (N, 3) float32; normals : (N, 3) float32
    joints : (N, K) uint16; weights : (N, K) float32 (rows sum to 1)
    joint_matrices : (J, 4, 4) float64
    returns (positions, normals), each (N, 3) float32; normals unit length
    """
    blended = np.einsum("nk,nkij->nij", weights.astype(np.float64), joint_matrices[joints.astype(np.int64)])
    linear = blended[:, :3, :3]
    out_positions = np.einsum("nij,nj->ni", linear, positions.astype(np.float64))
    out_positions += blended[:, :3, 3]
    normal_matrix = np.linalg.inv(linear).transpose(0, 2, 1)
    out_normals = np.einsum("nij,nj->ni", normal_matrix, normals.astype(np.float64))
    out_normals /= np.linalg.norm(out_normals, axis=1, keepdims=True)
    return out_positions.astype(np.float32), out_normals.astype(np.float32)
