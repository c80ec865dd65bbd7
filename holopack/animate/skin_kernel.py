"""Linear-blend skinning as a Numba kernel (twin of skin_reference.py).

Per vertex: M = sum_k w_k * J[joint_k] (J = world(joint) @ inverseBind), position
M @ p, normal (inverse transpose of M's 3x3) @ n, normalised. The inverse transpose
is taken as the cofactor matrix times sign(det), which has the same direction and
needs no division.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..kernel_cache import refresh
from ..work_pool import run
from ..work_queue import claim_block

refresh(__file__, ["../work_queue.py"])  # the kernel compiles the work queue's claim into itself

# Below this many vertices one core finishes sooner than the work pool's threads can
# start (and on a busy machine a helper thread may wait a whole scheduler slice).
PARALLEL_MIN_VERTICES = 16384
# vertices per item a thread claims (holopack.work_queue): tens of microseconds of work,
# so that the claims cost nothing and a descheduled thread leaves little behind
VERTEX_BLOCK = 1024


@njit(cache=True, inline="always")
def _add_weighted(acc, w, row):
    """acc + w * row, for a row of 4 of a joint matrix (a tuple: it stays in registers)."""
    return (acc[0] + w * row[0], acc[1] + w * row[1], acc[2] + w * row[2], acc[3] + w * row[3])


@njit(cache=True, inline="always")
def _skin_vertex(i, positions, normals, joints, weights, joint_matrices, out_positions, out_normals):
    k = joints.shape[1]
    row0 = row1 = row2 = (0.0, 0.0, 0.0, 0.0)  # M's rows (the 4th is 0 0 0 1)
    for c in range(k):
        w = np.float64(weights[i, c])
        if w == 0.0:
            continue
        j = joints[i, c]
        row0 = _add_weighted(row0, w, joint_matrices[j, 0])
        row1 = _add_weighted(row1, w, joint_matrices[j, 1])
        row2 = _add_weighted(row2, w, joint_matrices[j, 2])
    m00, m01, m02, m03 = row0
    m10, m11, m12, m13 = row1
    m20, m21, m22, m23 = row2
    px = np.float64(positions[i, 0])
    py = np.float64(positions[i, 1])
    pz = np.float64(positions[i, 2])
    out_positions[i, 0] = m00 * px + m01 * py + m02 * pz + m03
    out_positions[i, 1] = m10 * px + m11 * py + m12 * pz + m13
    out_positions[i, 2] = m20 * px + m21 * py + m22 * pz + m23
    # cofactors of the 3x3 part
    c00 = m11 * m22 - m12 * m21
    c01 = m12 * m20 - m10 * m22
    c02 = m10 * m21 - m11 * m20
    c10 = m02 * m21 - m01 * m22
    c11 = m00 * m22 - m02 * m20
    c12 = m01 * m20 - m00 * m21
    c20 = m01 * m12 - m02 * m11
    c21 = m02 * m10 - m00 * m12
    c22 = m00 * m11 - m01 * m10
    det = m00 * c00 + m01 * c01 + m02 * c02
    nx = np.float64(normals[i, 0])
    ny = np.float64(normals[i, 1])
    nz = np.float64(normals[i, 2])
    ox = c00 * nx + c01 * ny + c02 * nz
    oy = c10 * nx + c11 * ny + c12 * nz
    oz = c20 * nx + c21 * ny + c22 * nz
    length = math.sqrt(ox * ox + oy * oy + oz * oz)
    if length > 1e-30:
        scale = 1.0 / length
        if det < 0.0:
            scale = -scale
        out_normals[i, 0] = ox * scale
        out_normals[i, 1] = oy * scale
        out_normals[i, 2] = oz * scale
    else:  # a collapsed skin matrix has no normal direction: keep the bind normal
        out_normals[i, 0] = nx
        out_normals[i, 1] = ny
        out_normals[i, 2] = nz


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _skin_blocks(next_block, positions, normals, joints, weights, joint_matrices, out_positions, out_normals):
    """One thread's share: blocks of VERTEX_BLOCK vertices claimed from next_block until
    none are left (on one thread, all of them). One kernel for both cases: a parallel
    kernel beside it cost seconds more to compile on a first run."""
    first, stop = claim_block(next_block, VERTEX_BLOCK, positions.shape[0])
    while first < stop:
        for i in range(first, stop):
            _skin_vertex(i, positions, normals, joints, weights, joint_matrices, out_positions, out_normals)
        first, stop = claim_block(next_block, VERTEX_BLOCK, positions.shape[0])


def skin_vertices(
    positions: np.ndarray,
    normals: np.ndarray,
    joints: np.ndarray,
    weights: np.ndarray,
    joint_matrices: np.ndarray,
    out_positions: np.ndarray,
    out_normals: np.ndarray,
) -> None:
    """Skin N vertices into preallocated outputs.

    positions : (N, 3) float32 C-contiguous; normals : (N, 3) float32
    joints : (N, K) uint16; weights : (N, K) float32 (rows sum to 1)
    joint_matrices : (J, 4, 4) float64; every joint index with a non-zero weight < J
    out_positions, out_normals : (N, 3) float32, written in place
    """
    args = (
        np.zeros(1, np.int64),
        positions,
        normals,
        joints,
        weights,
        joint_matrices,
        out_positions,
        out_normals,
    )
    if len(positions) >= PARALLEL_MIN_VERTICES:
        run(_skin_blocks, *args)
    else:
        _skin_blocks(*args)
