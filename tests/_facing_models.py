"""Small models for facing/up and clip tests, built from numpy arrays (no shared code
with holopack's detectors)."""

from __future__ import annotations

import numpy as np
from _gltf_builder import GltfBuilder

RED = (1.0, 0.0, 0.0, 1.0)
BLUE = (0.0, 0.0, 1.0, 1.0)


def _panel(z: float, facing: float, color):
    """A 1 x 1.6 panel at depth z whose front side faces +Z (facing=1) or -Z (-1)."""
    p = np.array([[-0.5, 0.2, z], [0.5, 0.2, z], [0.5, 1.8, z], [-0.5, 1.8, z]], np.float32)
    tris = np.array([[0, 1, 2], [0, 2, 3]]) if facing > 0 else np.array([[0, 2, 1], [0, 3, 2]])
    return p, tris, np.tile(np.asarray(color, np.float32), (4, 1))


def humanoid(facing: float, *, toes=True, eyes=True, eye_facing=None) -> GltfBuilder:
    """A skinned 'person' whose toes and eyes point to ``facing`` * Z: a red panel on the
    side it faces, a blue one on its back. ``eye_facing`` lets the eyes disagree."""
    eye_facing = facing if eye_facing is None else eye_facing
    b = GltfBuilder()
    front = _panel(0.2 * facing, facing, RED)
    back = _panel(-0.2 * facing, -facing, BLUE)
    positions = np.concatenate([front[0], back[0]])
    indices = np.concatenate([front[1], back[1] + 4]).astype(np.uint16)
    colors = np.concatenate([front[2], back[2]])
    joints = np.zeros((8, 4), np.uint16)
    weights = np.tile(np.array([1, 0, 0, 0], np.float32), (8, 1))
    mesh = b.triangle_mesh(positions, indices, COLOR_0=colors, JOINTS_0=joints, WEIGHTS_0=weights)
    hips = b.node(name="mixamorig:Hips", translation=[0, 1, 0], children=[1, 2])
    head_children = [3] if eyes else []
    b.node(name="mixamorig:Head", translation=[0, 0.7, 0], children=head_children)
    b.node(name="mixamorig:LeftFoot", translation=[0.1, -0.9, 0], children=[4 if eyes else 3] if toes else [])
    names = []
    if eyes:
        names.append(b.node(name="mixamorig:LeftEye", translation=[0.03, 0.05, 0.1 * eye_facing]))
    if toes:
        names.append(b.node(name="mixamorig:LeftToeBase", translation=[0, -0.05, 0.15 * facing]))
    count = len(b.doc["nodes"])
    ibm = np.stack([np.eye(4)] * count).astype(np.float32)
    ibm[0][3, 1] = -1.0  # the hips' inverse bind: column-major translation (0, -1, 0)
    b.doc["skins"] = [
        {"joints": list(range(count)), "inverseBindMatrices": b.accessor(ibm.reshape(count, 16))}
    ]
    skinned = b.node(mesh=mesh, skin=0)
    b.root(hips)
    b.root(skinned)
    return b


def per_joint_clips(lengths=(2.0, 2.0, 2.0), shift=1.0) -> GltfBuilder:
    """Three separate quads, each moved up by ``shift`` over its own clip (one clip per
    node, as COLLADA2GLTF writes a walk): clip k lasts lengths[k]."""
    b = GltfBuilder()
    quad = np.array([[-0.2, -0.2, 0], [0.2, -0.2, 0], [0.2, 0.2, 0], [-0.2, 0.2, 0]], np.float32)
    mesh = b.triangle_mesh(quad, np.array([[0, 1, 2], [0, 2, 3]], np.uint16))
    b.doc["animations"] = []
    for k, length in enumerate(lengths):
        node = b.node(mesh=mesh, translation=[float(k), 0.0, 0.0], name=f"joint{k}")
        b.root(node)
        times = b.accessor(np.array([0.0, length], np.float32), minmax=True)
        moves = b.accessor(np.array([[k, 0, 0], [k, shift, 0]], np.float32))
        b.doc["animations"].append(
            {
                "name": f"joint{k}_move",
                "samplers": [{"input": times, "output": moves}],
                "channels": [{"sampler": 0, "target": {"node": node, "path": "translation"}}],
            }
        )
    return b


def box_faces(lo, hi):
    """(8, 3) corners and (12, 3) outward counter-clockwise triangles of a box."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    tris = []
    for a, b_, c, d in quads:
        tris += [(a, b_, c), (a, c, d)]
    tris = np.array(tris)
    centre = corners.mean(0)
    for t in tris:  # make every triangle face away from the box's centre
        n = np.cross(corners[t[1]] - corners[t[0]], corners[t[2]] - corners[t[0]])
        if n @ (corners[t].mean(0) - centre) < 0:
            t[1], t[2] = t[2], t[1]
    return corners, tris


def write_obj(path, boxes) -> None:
    """An OBJ of several boxes [(lo, hi), ...]."""
    lines, offset = [], 0
    for lo, hi in boxes:
        corners, tris = box_faces(lo, hi)
        lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in corners]
        lines += [f"f {a + 1 + offset} {b + 1 + offset} {c + 1 + offset}" for a, b, c in tris]
        offset += len(corners)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# An L-shaped bracket from CAD, Z up: a 4 x 2 base plate resting on z = 0 and an upright
# plate at one end, 3 high.
Z_UP_BRACKET = [((-2, -1, 0), (2, 1, 0.3)), ((-2, -1, 0.3), (-1.7, 1, 3.0))]
# The same bracket as a Y-up modeller saves it: the base rests on y = 0.
Y_UP_BRACKET = [((-2, 0, -1), (2, 0.3, 1)), ((-2, 0.3, -1), (-1.7, 3.0, 1))]
