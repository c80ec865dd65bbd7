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


AXIS = {
    "+x": (1.0, 0.0, 0.0),
    "-x": (-1.0, 0.0, 0.0),
    "+z": (0.0, 0.0, 1.0),
    "-z": (0.0, 0.0, -1.0),
}
ANIMAL_NAMES = {"hips": "b_Hip_01", "tail": "b_Tail01_02", "neck": "b_Neck_03", "head": "b_Head_04"}
PLAIN_NAMES = {"hips": "Body", "tail": "Rump", "neck": "Chest", "head": "b_Head_04"}


def animal(front: str, *, names=ANIMAL_NAMES, gait: str | None = None, step: str | None = None):
    """A skinned four-legged 'animal' standing +Y with its head towards ``front`` ("+x",
    "-x", "+z", "-z"): a red panel facing out at its head end, a blue one at its tail
    end. ``names`` label the hips, tail, neck and head joints; ``gait`` adds a clip of
    that name in which the feet, in diagonal pairs, move towards ``step`` (default
    ``front``) while raised and back while down."""
    f = np.array(AXIS[front])
    up = np.array([0.0, 1.0, 0.0])
    side = np.cross(up, f)
    b = GltfBuilder()

    def panel(centre, facing, colour):
        corners = [centre + s * 0.4 * side + h * up for s, h in ((-1, -0.5), (1, -0.5), (1, 0.5), (-1, 0.5))]
        p = np.array(corners, np.float32)
        n = np.cross(p[1] - p[0], p[2] - p[0])
        tris = np.array([[0, 1, 2], [0, 2, 3]]) if n @ facing > 0 else np.array([[0, 2, 1], [0, 3, 2]])
        return p, tris, np.tile(np.asarray(colour, np.float32), (4, 1))

    head_end = panel(1.0 * f + up, f, RED)
    tail_end = panel(-1.2 * f + up, -f, BLUE)
    positions = np.concatenate([head_end[0], tail_end[0]])
    indices = np.concatenate([head_end[1], tail_end[1] + 4]).astype(np.uint16)
    colours = np.concatenate([head_end[2], tail_end[2]])
    joints = np.zeros((8, 4), np.uint16)
    weights = np.tile(np.array([1, 0, 0, 0], np.float32), (8, 1))
    mesh = b.triangle_mesh(positions, indices, COLOR_0=colours, JOINTS_0=joints, WEIGHTS_0=weights)

    hips_at = -0.6 * f + 1.0 * up
    offsets = {  # joint: position relative to the hips
        names["tail"]: -0.4 * f,
        names["neck"]: 1.2 * f + 0.1 * up,
        names["head"]: 1.5 * f + 0.6 * up,
        "b_LeftFoot_05": 0.3 * side - 0.95 * up,
        "b_RightFoot_06": -0.3 * side - 0.95 * up,
        "b_LeftHand_07": 1.2 * f + 0.3 * side - 0.95 * up,
        "b_RightHand_08": 1.2 * f - 0.3 * side - 0.95 * up,
    }
    children = [b.node(name=name, translation=[float(v) for v in at]) for name, at in offsets.items()]
    hips = b.node(name=names["hips"], translation=[float(v) for v in hips_at], children=children)
    count = len(b.doc["nodes"])
    order = [hips] + children  # skin joints: the hips first
    ibm = np.stack([np.eye(4)] * count).astype(np.float32)
    for k, node in enumerate(order):
        world = hips_at + (offsets[b.doc["nodes"][node]["name"]] if node != hips else 0)
        ibm[k][3, :3] = -world  # column-major translation: the inverse of the rest place
    b.doc["skins"] = [{"joints": order, "inverseBindMatrices": b.accessor(ibm.reshape(count, 16))}]
    skinned = b.node(mesh=mesh, skin=0)
    b.root(hips)
    b.root(skinned)
    if gait:
        g = np.array(AXIS[step or front])
        times = b.accessor(np.linspace(0.0, 1.0, 5).astype(np.float32), minmax=True)
        cycle = np.array([-0.2 * g, 0.15 * up, 0.2 * g, 0 * g, -0.2 * g])  # raised going g
        channels, samplers = [], []
        for k, node in enumerate(children[3:]):  # the four feet, diagonal pairs half a cycle apart
            phase = cycle if k in (0, 3) else np.roll(cycle[:4], 2, axis=0).tolist() + [cycle[2]]
            rest = np.array(b.doc["nodes"][node]["translation"])
            keys = (rest + np.asarray(phase)).astype(np.float32)
            samplers.append({"input": times, "output": b.accessor(keys)})
            channels.append({"sampler": k, "target": {"node": node, "path": "translation"}})
        b.doc["animations"] = [{"name": gait, "samplers": samplers, "channels": channels}]
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
