"""UsdSkel as holopack skins: joints become nodes, SkelAnimation their channels.

USD skins in skeleton space: a skinned point is
``sum_j w_j * joint_j(t) * inverse(bind_j) * geomBindTransform * p``, then the
Skeleton prim's own local-to-world. holopack (as glTF) skins with ``world(joint) @
inverse_bind`` and ignores the mesh node's transform. So each joint is a node under the
Skeleton prim's node (its parents from the skeleton's topology, its rest TRS from the
rest transforms), and each skinned mesh gets its own Skin whose inverse bind matrices
are ``inverse(bind_j) @ geomBindTransform`` in the mesh's joint order (``skel:joints``
when it has one). UsdSkel.SkeletonQuery computes the joint local transforms at each
time, from the animation or the rest pose as the skeleton has it.

Blend shapes are offsets per point in the mesh's own space, applied before skinning, as
glTF's morph targets are: each BlendShape becomes a morph target of every primitive of
the mesh, and the animation's ``blendShapeWeights`` (matched by name) a weights channel.
"""

from __future__ import annotations

import numpy as np

from ..types import Node, Skin
from .geometry import decompose_many


def usd_matrices(matrices) -> np.ndarray:
    """A Gf.Matrix4d array (row vectors: p' = p M) -> (K, 4, 4) float64 for column
    vectors (p' = M p)."""
    return np.array([np.array(m, np.float64).T for m in matrices], np.float64).reshape(-1, 4, 4)


def add_joint_nodes(nodes: list[Node], skeleton_node: int, query, rest_time) -> list[int]:
    """Append one node per joint of the skeleton ``query`` (a UsdSkel.SkeletonQuery)
    under ``skeleton_node``; return their indices in the skeleton's joint order."""
    joints = [str(j) for j in query.GetJointOrder()]
    parents = list(query.GetTopology().GetParentIndices())
    rest = usd_matrices(query.ComputeJointLocalTransforms(rest_time, True))
    if len(rest) != len(joints) or len(parents) != len(joints):
        # pxr warns and computes no rest pose at all (numpy's IndexError said only that)
        skeleton = query.GetSkeleton()
        counts = [
            len(a.Get() or []) for a in (skeleton.GetRestTransformsAttr(), skeleton.GetBindTransformsAttr())
        ]
        raise ValueError(
            f"skeleton {skeleton.GetPath()}: its {len(joints):,} joints have {counts[0]:,} "
            f"restTransforms and {counts[1]:,} bindTransforms, not one of each per joint"
        )
    translation, rotation, scale = decompose_many(rest)
    first = len(nodes)
    for j, name in enumerate(joints):
        node = Node(name=name.rsplit("/", 1)[-1])
        node.translation, node.rotation, node.scale = translation[j], rotation[j], scale[j]
        nodes.append(node)
    for j, parent in enumerate(parents):
        holder = skeleton_node if parent < 0 else first + parent
        nodes[holder].children.append(first + j)
    return list(range(first, first + len(joints)))


def make_skin(query, skinning, joint_nodes: list[int], name: str) -> Skin:
    """The Skin of one mesh bound to the skeleton ``query`` through ``skinning`` (a
    UsdSkel.SkinningQuery): joints in the mesh's joint order."""
    skeleton_joints = [str(j) for j in query.GetJointOrder()]
    bind = usd_matrices(query.GetJointWorldBindTransforms())
    order = skinning.GetJointOrder()
    if order:
        lookup = {n: i for i, n in enumerate(skeleton_joints)}
        missing = [str(n) for n in order if str(n) not in lookup]
        if missing:
            raise ValueError(f"mesh joint '{missing[0]}' is not a joint of its skeleton")
        chosen = [lookup[str(n)] for n in order]
    else:
        chosen = list(range(len(skeleton_joints)))
    if len(bind) != len(skeleton_joints):
        raise ValueError(
            f"skeleton {query.GetSkeleton().GetPath()}: its {len(skeleton_joints):,} joints have "
            f"{len(bind):,} bind transforms"
        )
    geom_bind = np.array(skinning.GetGeomBindTransform(), np.float64).T
    inverse_bind = np.linalg.inv(bind[chosen]) @ geom_bind
    return Skin(
        joints=np.asarray([joint_nodes[i] for i in chosen], np.int64), inverse_bind=inverse_bind, name=name
    )


def joint_influences(skinning, point_count: int) -> tuple[np.ndarray, np.ndarray]:
    """(joints (P, K) uint16, weights (P, K) float32 rows summing to 1), K a multiple of
    4 (glTF's JOINTS_n sets of four), per point; a rigid (constant) binding repeats its
    one row for every point."""
    got = skinning.ComputeJointInfluences()
    if not got:
        raise ValueError("the skin's joint indices and weights cannot be read")
    indices, weights = got
    per = max(int(skinning.GetNumInfluencesPerComponent()), 1)
    idx = np.asarray(indices, np.int64).reshape(-1, per)
    w = np.asarray(weights, np.float64).reshape(-1, per)
    if skinning.IsRigidlyDeformed() or len(idx) == 1:
        idx = np.repeat(idx[:1], point_count, axis=0)
        w = np.repeat(w[:1], point_count, axis=0)
    if len(idx) != point_count:
        raise ValueError(f"{len(idx)} joint influences for {point_count} points")
    width = -(-per // 4) * 4
    if width > per:
        idx = np.pad(idx, ((0, 0), (0, width - per)))
        w = np.pad(w, ((0, 0), (0, width - per)))
    w = np.clip(np.nan_to_num(w), 0.0, None)
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total > 0, w / np.where(total > 0, total, 1.0), np.eye(1, width))
    idx = np.where(w > 0, idx, 0)
    if np.any(idx < 0) or np.any(idx > 65535):
        raise ValueError("a joint index is out of range")
    return idx.astype(np.uint16), w.astype(np.float32)


def joint_samples(query, times) -> np.ndarray:
    """(T, J, 4, 4) float64 joint local transforms at the time codes ``times``."""
    from pxr import Usd

    return np.stack([usd_matrices(query.ComputeJointLocalTransforms(Usd.TimeCode(float(t)))) for t in times])


def blend_shape_offsets(
    target, points: int, time, warn
) -> tuple[list[str], np.ndarray, np.ndarray | None] | None:
    """A skinned mesh's blend shapes (UsdSkel.BlendShape prims its skel:blendShapeTargets
    name, in its skel:blendShapes order): (names, offsets (T, P, 3) float64 per point,
    normal offsets (T, P, 3) or None when no shape has them). A shape with pointIndices
    moves those points only; inbetween shapes are not read (said in ``warn``). None when
    the names and targets do not pair up."""
    from pxr import UsdSkel

    prim = target.GetPrim()
    binding = UsdSkel.BindingAPI(prim)
    names = [str(n) for n in (binding.GetBlendShapesAttr().Get() or [])]
    paths = binding.GetBlendShapeTargetsRel().GetTargets()
    if not names or len(names) != len(paths):
        warn(
            f"{prim.GetPath()}: its {len(names)} blend shape names and {len(paths)} targets do not pair up; not drawn"
        )
        return None
    stage = prim.GetStage()
    offsets = np.zeros((len(names), points, 3))
    normals = np.zeros((len(names), points, 3))
    any_normals = False
    for t, path in enumerate(paths):
        shape = UsdSkel.BlendShape(stage.GetPrimAtPath(path))
        if not shape:
            warn(f"{prim.GetPath()}: blend shape target {path} is not a BlendShape; left still")
            continue
        if shape.GetInbetweens():
            warn(f"{path}: inbetween blend shapes are not read; the full shape is")
        where = shape.GetPointIndicesAttr().Get(time)
        rows = np.arange(points) if where is None or len(where) == 0 else np.asarray(where, np.int64)
        if len(rows) and (rows.min() < 0 or rows.max() >= points):
            raise ValueError(f"blend shape {path} names a point beyond the mesh's {points}")
        moved = np.asarray(shape.GetOffsetsAttr().Get(time) or [], np.float64).reshape(-1, 3)
        if len(moved) == 0:  # a shape of normal offsets only (pxr's blendshapesWithNormals)
            moved = np.zeros((len(rows), 3))
        if len(moved) != len(rows):
            raise ValueError(f"blend shape {path} has {len(moved)} offsets for {len(rows)} points")
        offsets[t, rows] = moved
        turned = shape.GetNormalOffsetsAttr().Get(time)
        if turned is not None and len(turned) == len(rows):
            normals[t, rows] = np.asarray(turned, np.float64).reshape(-1, 3)
            any_normals = True
    return names, offsets, normals if any_normals else None


def blend_shape_weights(anim, target, times) -> np.ndarray:
    """(K, T) float64 weights of the mesh's blend shapes (its own order) at the time codes
    ``times``, from the skeleton's animation (UsdSkel.AnimQuery); a shape the animation
    does not name stays at 0."""
    from pxr import Usd

    mesh_order = [str(n) for n in target.GetBlendShapeOrder()]
    anim_order = {str(n): i for i, n in enumerate(anim.GetBlendShapeOrder())}
    pick = [anim_order.get(n, -1) for n in mesh_order]
    out = np.zeros((len(times), len(mesh_order)))
    for k, t in enumerate(times):
        weights = np.asarray(anim.ComputeBlendShapeWeights(Usd.TimeCode(float(t))) or [], np.float64)
        for j, i in enumerate(pick):
            if 0 <= i < len(weights):
                out[k, j] = weights[i]
    return out
