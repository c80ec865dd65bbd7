"""The Numba skinning kernel against its plain-numpy twin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from holopack.animate.pose import world_matrices
from holopack.animate.skin_kernel import PARALLEL_MIN_VERTICES, skin_vertices
from holopack.animate.skin_reference import skin_vertices_reference
from holopack.scene.gltf import load_gltf

ROOT = Path(__file__).resolve().parent.parent
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"


def _random_case(n, k, joints_count, seed):
    rng = np.random.default_rng(seed)
    positions = rng.normal(size=(n, 3)).astype(np.float32)
    normals = rng.normal(size=(n, 3)).astype(np.float32)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    joints = rng.integers(0, joints_count, (n, k)).astype(np.uint16)
    weights = rng.random((n, k)).astype(np.float32)
    weights[rng.random((n, k)) < 0.3] = 0.0  # some unused slots
    weights[:, 0] += 0.05
    weights /= weights.sum(axis=1, keepdims=True)
    matrices = np.tile(np.eye(4), (joints_count, 1, 1))
    matrices[:, :3, :] += rng.normal(scale=0.4, size=(joints_count, 3, 4))
    matrices[::3, :3, 0] *= -1  # some mirrored joints: negative determinants
    return positions, normals, joints, weights, matrices


# both code paths: one core below the threshold, all cores above it
@pytest.mark.parametrize("n, k", [(1, 4), (37, 4), (PARALLEL_MIN_VERTICES + 123, 4), (500, 8)])
def test_kernel_matches_reference_on_random_skins(n, k):
    positions, normals, joints, weights, matrices = _random_case(n, k, 11, seed=n + k)
    out_positions = np.full((n, 3), np.nan, np.float32)
    out_normals = np.full((n, 3), np.nan, np.float32)
    skin_vertices(positions, normals, joints, weights, matrices, out_positions, out_normals)
    ref_positions, ref_normals = skin_vertices_reference(positions, normals, joints, weights, matrices)
    np.testing.assert_allclose(out_positions, ref_positions, atol=2e-6)
    # mirrored blends keep normals pointing out: same direction as the inverse transpose
    np.testing.assert_allclose(out_normals, ref_normals, atol=2e-5)


def test_identity_joints_leave_vertices_alone():
    positions, normals, joints, weights, _ = _random_case(64, 4, 5, seed=3)
    identity = np.tile(np.eye(4), (5, 1, 1))
    out_positions = np.empty_like(positions)
    out_normals = np.empty_like(normals)
    skin_vertices(positions, normals, joints, weights, identity, out_positions, out_normals)
    np.testing.assert_allclose(out_positions, positions, atol=1e-6)
    np.testing.assert_allclose(out_normals, normals, atol=1e-6)


def test_kernel_matches_reference_on_robot_joints():
    scene = load_gltf(TWIN)
    clip = scene.animation_index("Dance")
    world = world_matrices(scene, clip, 1.3)
    checked = 0
    for item in scene.draw_items:
        if item.skin is None:
            continue
        prim = scene.primitive(item)
        skin = scene.skins[item.skin]
        matrices = world[skin.joints] @ skin.inverse_bind
        out_positions = np.empty_like(prim.positions)
        out_normals = np.empty_like(prim.normals)
        skin_vertices(
            prim.positions, prim.normals, prim.joints, prim.weights, matrices, out_positions, out_normals
        )
        ref_positions, ref_normals = skin_vertices_reference(
            prim.positions, prim.normals, prim.joints, prim.weights, matrices
        )
        np.testing.assert_allclose(out_positions, ref_positions, atol=1e-5)
        np.testing.assert_allclose(out_normals, ref_normals, atol=1e-4)
        checked += len(prim.positions)
    assert checked > 1000
