"""Posing a scene at one instant: node animation, morph targets, skinning.

``pose_scene(scene, animation, time)`` returns one PosedPrimitive per draw item, in
``scene.draw_items`` order, with world-space float32 positions and unit normals.

Per frame: sample every channel of the clip, build local matrices from TRS
(animated values override the rest pose), multiply down the hierarchy one depth
level at a time, blend morph targets (weights: channel > node > mesh; morph.py), then
skin (joint matrix = world(joint) @ inverseBind; a skinned mesh ignores its own node's
transform, as glTF requires) or apply the node's world matrix. Tangents, where a
primitive has them, follow the same matrices (tangent_transform.py).

Everything that does not depend on time (hierarchy levels, rest TRS, key arrays
as float64, which nodes each clip animates) is computed once per scene and kept in
``scene.pose_cache``; mutate a scene after posing it and call ``forget_pose_cache``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from ..errors import InputError
from ..scene.scene import Scene, set_poser
from ..scene.types import Channel, DrawItem, PosedPrimitive, Primitive
from .clip import sample_keys
from .morph import MorphShape
from .skin_kernel import skin_vertices
from .tangent_transform import skin_tangents, transform_tangents

# a skinned draw item's joints (V, 4), weights float32 (V, 4) and index into Scene.skins
_Skinning = tuple[np.ndarray, npt.NDArray[np.float32], int]


def pose_scene(scene: Scene, animation: int | None, time: float) -> list[PosedPrimitive]:
    """World-space primitives at ``time`` seconds of animation ``animation``.

    ``animation`` is an index into scene.animations or None for the rest pose.
    Time outside the clip is clamped to its first/last keys (no looping here).
    Returns fresh float32 (N, 3) C-contiguous arrays each call.
    """
    return _cache(scene).pose(animation, float(time))


def world_matrices(scene: Scene, animation: int | None, time: float) -> np.ndarray:
    """(nodes, 4, 4) float64 world matrices of every node at ``time``."""
    cache = _cache(scene)
    world, _ = cache.nodes_at(animation, float(time))
    return world


def forget_pose_cache(scene: Scene) -> None:
    """Drop the per-scene precomputation (after editing nodes, skins or clips)."""
    scene.pose_cache = None
    scene.all_clips = None


def _cache(scene: Scene) -> _PoseCache:
    if scene.pose_cache is None:
        scene.pose_cache = _PoseCache(scene)
    return scene.pose_cache


class _Clip:
    """One animation's channels, split by kind, keys as float64."""

    def __init__(self, channels: list[Channel]):
        self.trs: list[tuple[int, int, str, np.ndarray, np.ndarray, bool]] = []
        self.weights: list[tuple[int, str, np.ndarray, np.ndarray]] = []
        path_slot = {"translation": 0, "rotation": 1, "scale": 2}
        animated = set()
        for ch in channels:
            times = np.ascontiguousarray(ch.times, np.float64)
            values = np.ascontiguousarray(ch.values, np.float64)
            if ch.path == "weights":
                self.weights.append((ch.node, ch.interpolation, times, values))
            else:
                self.trs.append(
                    (ch.node, path_slot[ch.path], ch.interpolation, times, values, ch.path == "rotation")
                )
                animated.add(ch.node)
        self.trs_nodes = np.array(sorted(animated), np.int64)


class _PoseCache:
    def __init__(self, scene: Scene):
        self.scene = scene
        nodes = scene.nodes
        count = len(nodes)
        parent = np.full(count, -1, np.int64)
        for i, node in enumerate(nodes):
            for c in node.children:
                parent[c] = i
        # depth levels: every node's parent sits in an earlier level
        depth = np.zeros(count, np.int64)
        order = [i for i in range(count) if parent[i] < 0]
        queue = list(order)
        while queue:
            nxt = []
            for i in queue:
                for c in nodes[i].children:
                    depth[c] = depth[i] + 1
                    nxt.append(c)
            queue = nxt
        self.levels = []
        for d in range(1, int(depth.max()) + 1 if count else 1):
            members = np.flatnonzero(depth == d)
            self.levels.append((members, parent[members]))
        self.rest_translation = np.array([n.translation for n in nodes], np.float64).reshape(-1, 3)
        self.rest_rotation = np.array([n.rotation for n in nodes], np.float64).reshape(-1, 4)
        self.rest_scale = np.array([n.scale for n in nodes], np.float64).reshape(-1, 3)
        self.matrix_nodes = np.array([i for i, n in enumerate(nodes) if n.matrix is not None], np.int64)
        self.matrix_values = np.array([nodes[i].matrix for i in self.matrix_nodes], np.float64).reshape(
            -1, 4, 4
        )
        self.rest_local = _compose(self.rest_translation, self.rest_rotation, self.rest_scale)
        if len(self.matrix_nodes):
            self.rest_local[self.matrix_nodes] = self.matrix_values
        self.skins = [
            (np.asarray(s.joints, np.int64), np.ascontiguousarray(s.inverse_bind, np.float64))
            for s in scene.skins
        ]
        self.clips: dict[int, _Clip] = {}
        # a primitive with its triangles' winding reversed, made once for the first item
        # drawn under a mirroring transform (id of the primitive -> the reversed copy)
        self.mirrored: dict[int, Primitive] = {}
        # per draw item: the item, its primitive, its default morph weights, its skinning
        # (joints, weights, skin index; None for a rigid one) and its morph shape
        self.items: list[
            tuple[DrawItem, Primitive, np.ndarray | None, _Skinning | None, MorphShape | None]
        ] = []
        for item in scene.draw_items:
            prim = scene.primitive(item)
            morph = prim.morph
            node = nodes[item.node]
            node_weights = None
            if morph is not None:
                defaults = np.asarray(morph.default_weights, np.float64)
                if node.weights is not None and len(node.weights) == len(defaults):
                    defaults = np.asarray(node.weights, np.float64)
                node_weights = defaults
            skinning = None
            if item.skin is not None and prim.joints is not None:
                joints, weights = (
                    np.ascontiguousarray(prim.joints),
                    np.ascontiguousarray(prim.weights, np.float32),
                )
                skinning = (joints, weights, item.skin)
            shape = MorphShape(prim) if morph is not None else None
            self.items.append((item, prim, node_weights, skinning, shape))
        self.has_rigid = any(skinning is None for _, _, _, skinning, _ in self.items)

    def mirror(self, prim: Primitive) -> Primitive:
        """``prim`` with every triangle's winding reversed (indices (M, 3) int32, the
        second and third corners swapped), made once.

        glTF 3.7.2.1: a node whose world transform has a negative determinant (a mirror,
        an odd number of negative scales; for a skinned mesh, every joint matrix of its
        skin) draws its triangles clockwise; mirrored, a counter-clockwise front face
        would be culled as a back face and a one-sided part vanish (a one-sided quad
        mirrored in X drew an empty picture; Khronos' NegativeScaleTest checks this).
        Reversing the winding makes the posed triangles counter-clockwise again, so the
        renderers' culling and two-sided lighting need not know. The copy's identity changes as the determinant's sign does, so a renderer
        that keys its gathered triangles on the primitive sees it.
        """
        mirrored = self.mirrored.get(id(prim))
        if mirrored is None:
            indices = np.ascontiguousarray(np.asarray(prim.indices)[:, [0, 2, 1]], dtype=np.int32)
            mirrored = dataclasses.replace(prim, indices=indices)
            self.mirrored[id(prim)] = mirrored
        return mirrored

    def clip(self, animation: int) -> _Clip:
        clip = self.clips.get(animation)
        if clip is None:
            clip = _Clip(self.scene.clip(animation).channels)
            self.clips[animation] = clip
        return clip

    def nodes_at(self, animation: int | None, time: float):
        """(world (N, 4, 4) float64, {node: morph weights (T,) float64})."""
        morph_weights: dict[int, np.ndarray] = {}
        if animation is None:
            local = self.rest_local.copy()
        else:
            clip = self.clip(animation)
            if len(clip.trs):
                translation = self.rest_translation.copy()
                rotation = self.rest_rotation.copy()
                scale = self.rest_scale.copy()
                slots = (translation, rotation, scale)
                for node, slot, interpolation, times, values, is_rotation in clip.trs:
                    slots[slot][node] = sample_keys(times, values, interpolation, time, is_rotation)
                local = self.rest_local.copy()
                moved = clip.trs_nodes
                # animated nodes use TRS even when the file gave a matrix
                local[moved] = _compose(translation[moved], rotation[moved], scale[moved])
            else:
                local = self.rest_local.copy()
            for node, interpolation, times, values in clip.weights:
                morph_weights[node] = sample_keys(times, values, interpolation, time)
        # in place, level by level: a level's parents are already world matrices and
        # its own rows are still local ones when the right-hand side is evaluated
        world = local
        for members, parents in self.levels:
            world[members] = world[parents] @ local[members]
        return world, morph_weights

    def pose(self, animation: int | None, time: float) -> list[PosedPrimitive]:
        world, morph_weights = self.nodes_at(animation, time)
        joint_matrices = [world[joints] @ inverse_bind for joints, inverse_bind in self.skins]
        # a skin whose every joint matrix mirrors (a rig under a negative scale) turns its
        # mesh's winding as a mirroring node does; one that mirrors only some joints is
        # left as it is (its triangles can be either way round)
        mirrored_skins = [
            bool(len(m)) and bool(np.all(np.linalg.det(m[:, :3, :3]) < 0)) for m in joint_matrices
        ]
        # every node's at once: one det call per item cost 0.1 ms a pose (RobotExpressive)
        dets = np.linalg.det(world[:, :3, :3]) if len(world) else np.zeros(0)
        mirrored_nodes = dets < 0
        normal_matrices = self._normal_matrices(world, dets) if self.has_rigid else None
        posed = []
        for item, prim, default_weights, skinning, shape in self.items:
            positions = prim.positions
            normals = prim.normals
            tangents = prim.tangents
            if shape is not None:
                w = morph_weights.get(item.node, default_weights)
                positions, normals, tangents = shape.apply(w)
            out_positions = np.empty(positions.shape, np.float32)
            out_normals = np.empty(normals.shape, np.float32)
            if skinning is not None:
                joints, weights, skin = skinning
                skin_vertices(
                    positions, normals, joints, weights, joint_matrices[skin], out_positions, out_normals
                )
                if mirrored_skins[skin]:
                    prim = self.mirror(prim)
            else:
                assert normal_matrices is not None  # made where a part is rigid
                _transform_rigid(
                    positions,
                    normals,
                    world[item.node],
                    normal_matrices[item.node],
                    out_positions,
                    out_normals,
                )
                if mirrored_nodes[item.node]:
                    prim = self.mirror(prim)
            if not np.isfinite(out_positions).all():
                self._overflow(item, animation, time)
            out_tangents = None
            if tangents is not None:
                if skinning is not None:
                    joints, weights, skin = skinning
                    out_tangents = skin_tangents(tangents, joints, weights, joint_matrices[skin])
                else:
                    out_tangents = transform_tangents(tangents, world[item.node])
            posed.append(
                PosedPrimitive(
                    positions=out_positions, normals=out_normals, primitive=prim, tangents=out_tangents
                )
            )
        return posed

    @staticmethod
    def _normal_matrices(world: np.ndarray, dets: np.ndarray) -> np.ndarray:
        """(M, 3, 3) float64: what each node's normals are multiplied by, the inverse
        transpose of its linear part; a collapsed (zero-scale) node's own linear part,
        which keeps any direction. All nodes in one call, as ``dets``: per primitive,
        inv and det took 0.9 of RobotExpressive's 3.3 ms pose (15 rigid parts)."""
        linear = world[:, :3, :3]
        invertible = np.abs(dets) > 1e-300
        if invertible.all():
            return np.linalg.inv(linear).transpose(0, 2, 1)
        out = linear.copy()
        if invertible.any():
            out[invertible] = np.linalg.inv(linear[invertible]).transpose(0, 2, 1)
        return out

    def _overflow(self, item, animation, time):
        # only a corrupt file gets here: its keys or matrices are astronomically large
        what = (
            "the rest pose"
            if animation is None
            else f"animation {self.scene.clip(animation).name!r} at {time:g} s"
        )
        raise InputError(
            f"{what} moves mesh {item.mesh} to infinity (the file's transforms are corrupt)", self.scene.path
        )


def _transform_rigid(positions, normals, matrix, normal_matrix, out_positions, out_normals) -> None:
    """A rigid part's vertices by its node's ``matrix`` (4, 4), its normals by the
    node's ``normal_matrix`` (3, 3: _PoseCache._normal_matrices), renormalised."""
    linear = matrix[:3, :3]
    # a corrupt file can overflow float32 here; the caller reports it
    with np.errstate(over="ignore", invalid="ignore"):
        np.matmul(positions, linear.T.astype(np.float32), out=out_positions)
        out_positions += matrix[:3, 3].astype(np.float32)
    np.matmul(normals, normal_matrix.T.astype(np.float32), out=out_normals)
    length = np.sqrt(np.einsum("ij,ij->i", out_normals, out_normals))[:, None]
    np.divide(out_normals, np.maximum(length, 1e-20), out=out_normals)


def _compose(translation: np.ndarray, rotation: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """T @ R @ S for M nodes: (M, 3), (M, 4) quaternions x, y, z, w, (M, 3) -> (M, 4, 4)."""
    q = rotation / np.linalg.norm(rotation, axis=1, keepdims=True)
    x, y, z, w = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    m = np.zeros((len(q), 4, 4))
    m[:, 0, 0] = 1 - 2 * (y * y + z * z)
    m[:, 0, 1] = 2 * (x * y - z * w)
    m[:, 0, 2] = 2 * (x * z + y * w)
    m[:, 1, 0] = 2 * (x * y + z * w)
    m[:, 1, 1] = 1 - 2 * (x * x + z * z)
    m[:, 1, 2] = 2 * (y * z - x * w)
    m[:, 2, 0] = 2 * (x * z - y * w)
    m[:, 2, 1] = 2 * (y * z + x * w)
    m[:, 2, 2] = 1 - 2 * (x * x + y * y)
    m[:, :3, :3] *= scale[:, None, :]
    m[:, :3, 3] = translation
    m[:, 3, 3] = 1.0
    return m


set_poser(pose_scene)  # Scene.pose (the load layer) poses through this module
