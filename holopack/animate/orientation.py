"""Which way a model faces and which way is up: --front and --up, and what "auto" decides.

glTF says +Y is up and the front faces +Z; auto keeps that unless the model clearly says
otherwise:

* a skeleton (joints named head or neck, foot/ankle, toe, eye, tail, hips/pelvis) whose
  head is not above its feet along +Y, or whose toes and eyes, or (an animal) whose head
  far ahead of its tail and hips, point away from +Z: the axes the skeleton shows are
  used. Every cue present must agree, else glTF's axes stay;
* an OBJ/STL/PLY from CAD: Z up when a large flat face rests on the lowest Z facing -Z
  and the long axis does not say Y (and an STL, Z-up by its own custom, stays so unless
  the geometry says Y). A Z-up model's front faces -Y (the CAD "front" view);
* a flat model (a sheet, a floor plan, a tile) that would be seen edge-on from the front
  the above decides, and so show nothing: its face is turned to the viewer, the side its
  triangles face (the top, for a sheet that faces both ways or a thin closed slab), and a
  sheet lying down is seen from above (or below) with its far edge at the top.

The result is a rotation applied to the whole scene as it is seen (the view), so the
scene's own arrays keep the file's coordinates.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .axes import AXES, FRONT_CHOICES, UP_CHOICES
from .pose import world_matrices

MESH_SUFFIXES = (".obj", ".stl", ".ply", ".off")
STL_SUFFIXES = (".stl",)

# A cue counts when this share of its length lies along one axis (about 37 degrees off).
AXIS_SHARE = 0.8
REST_NORMAL = 0.985  # a resting face's normal within 10 degrees of the axis
REST_DEPTH = 0.01  # ... and its vertices within 1 % of the model's size of the lowest point
REST_AREA = 0.25  # ... covering at least this share of the model's footprint on that axis
LONG_RATIO = 1.3  # an axis this much longer than both others is the long axis
# A model is flat along an axis when its extent there is below this share of the smaller
# of the other two: seen edge-on it would cover under 5 % of the picture. Test models
# lying flat measure 4.6e-7 (assimp's quad_skin.glb) and 0.011 (trimesh's testplate.glb);
# the thinnest that are not sheets 0.083 (trimesh's simple_pole.glb) and 0.10 (Khronos'
# MorphPrimitivesTest, shown edge-on but visible); the corpus's thinnest 0.33.
FLAT_SHARE = 0.05


@dataclass(frozen=True)
class Orientation:
    """front, up: the model's signed axes ("+z", "-y", ...) that face the viewer and point
    up; ``reason``: why auto chose them (empty for glTF's +Z front, +Y up or when the
    user chose)."""

    front: str = "+z"
    up: str = "+y"
    reason: str = ""
    chosen: bool = False  # given by the user (--front/--up), not decided

    @property
    def is_default(self) -> bool:
        return self.front == "+z" and self.up == "+y"

    def matrix(self) -> np.ndarray:
        """(3, 3) float64 rotation, model -> viewed world (rows: right, up, front)."""
        up = np.array(AXES[self.up])
        front = np.array(AXES[self.front])
        return np.stack([np.cross(up, front), up, front])

    def matrix4(self) -> np.ndarray:
        """(4, 4) float64 homogeneous form of ``matrix``."""
        m = np.eye(4)
        m[:3, :3] = self.matrix()
        return m

    def describe(self) -> str:
        how = "as given" if self.chosen else (f"auto: {self.reason}" if self.reason else "glTF's axes")
        return f"facing {self.front}, up {self.up} ({how})"


def parse_axis(text: str | None, option: str, choices: tuple[str, ...]) -> str:
    value = "auto" if text is None else str(text).strip().lower()
    if value in ("x", "y", "z"):
        value = "+" + value
    if value not in choices:
        raise InputError(f"{option} takes one of {', '.join(choices)}; got {text!r}")
    return value


def decide(scene, front: str | None = "auto", up: str | None = "auto") -> Orientation:
    """The orientation for ``scene`` under --front/--up (None or "auto": decide)."""
    front = parse_axis(front, "--front", FRONT_CHOICES)
    up = parse_axis(up, "--up", UP_CHOICES)
    if front != "auto" and up != "auto":
        return _checked(front, up, "", chosen=True)
    detected = detect(scene)
    if front == "auto" and up == "auto":
        return detected
    if up == "auto":
        up = (
            detected.up
            if _perpendicular(detected.up, front)
            else ("+y" if _perpendicular("+y", front) else "+z")
        )
        return _checked(front, up, "", chosen=True)
    # up given, front auto: the detected front if it fits, else the usual front for that up
    if _perpendicular(detected.front, up):
        return _checked(detected.front, up, "", chosen=True)
    return _checked(_usual_front(up), up, "", chosen=True)


def _usual_front(up: str) -> str:
    return {"+y": "+z", "-y": "-z", "+z": "-y", "-z": "+y", "+x": "+z", "-x": "+z"}[up]


def _perpendicular(a: str, b: str) -> bool:
    return a[1] != b[1]


def _checked(front: str, up: str, reason: str, chosen: bool = False) -> Orientation:
    if not _perpendicular(front, up):
        raise InputError(
            f"--front {front} and --up {up} lie on one axis; the front must be at right angles to up"
        )
    return Orientation(front=front, up=up, reason=reason, chosen=chosen)


def detect(scene) -> Orientation:
    """What auto decides for ``scene`` (glTF's axes unless the model clearly says)."""
    if getattr(scene, "is_media", False) or getattr(scene, "is_splats", False):
        return Orientation()  # a splat capture's axes: the file's (--up/--front turn them)
    suffix = os.path.splitext(str(scene.path))[1].lower()
    if suffix in MESH_SUFFIXES:
        found = _mesh_orientation(scene, suffix)
    else:
        found = _skeleton_orientation(scene) or Orientation()
    return _face_a_flat_model(scene, found)


# -- skeletons -----------------------------------------------------------------------
_JOINT_KINDS = (
    ("head", re.compile(r"head(?!.*(end|top))")),
    ("eye", re.compile(r"eye(?!lid|brow|lash)")),
    ("toe", re.compile(r"toe|ball")),
    ("foot", re.compile(r"foot|ankle")),
    ("neck", re.compile(r"neck")),
    ("tail", re.compile(r"(?<!pony)tail")),
    ("hips", re.compile(r"hip|pelvis")),
)
# The head counts as ahead of the tail or hips when it lies this far from them across the
# up axis, in units of the head's height over the feet: a standing person's head is
# within a few % of its hips (RobotExpressive 2 %), a fox's is 1.2 heights ahead of its
# hips and 1.7 ahead of its tail.
HEAD_AHEAD = 0.5
# A clip named as a gait: its feet swing forward while raised and push back while down
# (in the body's frame, so root motion does not matter).
_GAIT_WORDS = ("walk", "run", "jog", "trot", "gallop", "sprint", "stride")
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")  # "FastRun_cycle" -> Fast, Run, cycle
GAIT_SAMPLES = 48  # poses per clip
# A gait cue counts when a foot's raised-minus-lowered travel over the clip reaches this
# share of the head's height: walks and runs measure 0.69-1.6 (RobotExpressive's Running
# and Walking, Fox's Walk and Run), RobotExpressive's WalkJump (a jump on the spot) 0.15.
GAIT_LEAST = 0.3


def joint_kind(name: str) -> str | None:
    """'head', 'eye', 'toe', 'foot', 'neck', 'tail', 'hips' or None for a joint name
    (any rig's prefixes)."""
    text = name.lower().split(":")[-1]
    for kind, pattern in _JOINT_KINDS:
        if pattern.search(text):
            return kind
    return None


def skeleton_cues(scene) -> tuple[str, list[tuple[str, str]]] | None:
    """(up, [(cue, front axis), ...]) that a skinned model's named joints show, or None
    when the skeleton says nothing clear (no head or neck, no feet, no up axis, or a cue
    pointing between axes).

    Up is the axis from the feet to the hips (legs hang down), or without hips from the
    feet to the head, or glTF's +Y when the head is well above the feet along it. Fronts across it, at rest: toes ahead of the ankles, eyes ahead of
    the head, the head ahead of the tail and of the hips (these two only when far ahead:
    HEAD_AHEAD); and in clips named as gaits, the way the raised feet swing."""
    joints = sorted({int(j) for skin in scene.skins for j in skin.joints})
    kinds = _joints_by_kind(scene, joints)
    head_kind = "head" if "head" in kinds else "neck"
    if head_kind not in kinds or not ({"foot", "toe"} & kinds.keys()):
        return None
    try:
        world = world_matrices(scene, None, 0.0)  # the rest pose
    except Exception:  # a broken rig: keep glTF's axes
        return None
    pos = {k: world[v][:, :3, 3].mean(0) for k, v in kinds.items()}
    head = pos[head_kind]
    feet = pos.get("foot", pos.get("toe"))
    # the legs hang down from the hips in people and animals alike; the head may be far
    # ahead of the feet (a fox's is 0.81 along +Z from its hind feet, 0.58 up +Y)
    up = _axis_of(pos["hips"] - feet) if "hips" in pos else None
    if up is None:
        up = _axis_of(head - feet)
    if up is None and (head - feet)[1] > 0.5 * np.linalg.norm(head - feet):
        up = "+y"  # a head well above the feet, but far ahead of them: glTF's up stands
    if up is None:
        return None
    up_dir = np.array(AXES[up])
    height = float((head - feet) @ up_dir)
    if height <= 0:
        return None  # the head below the feet: not a rig to read
    cues = []
    if "toe" in pos and "foot" in pos:
        cues.append(("toes", pos["toe"] - pos["foot"], 0.02))
    if "eye" in pos and head_kind == "head":
        cues.append(("eyes", pos["eye"] - head, 0.02))
    cues += [(b, head - pos[b], HEAD_AHEAD) for b in ("tail", "hips") if b in pos]
    cues += _gait_cues(scene, kinds.get("foot", []) + kinds.get("toe", []), joints, up_dir)
    fronts = []
    for name, vec, least in cues:
        flat = vec - (vec @ up_dir) * up_dir  # the part across the up axis
        if np.linalg.norm(flat) < least * height:
            continue
        axis = _axis_of(flat)
        if axis is None:
            return None  # a cue that points between axes: not clear
        fronts.append((name, axis))
    return up, fronts


def _joints_by_kind(scene, joints: list[int]) -> dict[str, list[int]]:
    kinds: dict[str, list[int]] = {}
    for j in joints:
        kind = joint_kind(scene.nodes[j].name or "")
        if kind:
            kinds.setdefault(kind, []).append(j)
    return kinds


def _gait_cues(scene, feet: list[int], body: list[int], up_dir) -> list[tuple[str, np.ndarray, float]]:
    """('gait:CLIP', swing, GAIT_LEAST) for every clip named as a gait that poses."""
    cues = []
    for clip_index, animation in enumerate(scene.animations):
        if is_gait_clip(animation.name or ""):
            swing = _gait_swing(scene, clip_index, feet, body, up_dir)
            if swing is not None:
                cues.append((f"gait:{animation.name}", swing, GAIT_LEAST))
    return cues


def is_gait_clip(name: str) -> bool:
    """Whether a clip's name says it walks or runs: a word of it (split at case changes
    and separators) starts with walk, run, jog, trot, gallop, sprint or stride."""
    return any(word.lower().startswith(_GAIT_WORDS) for word in _WORDS.findall(name))


def _gait_swing(scene, clip_index, feet, body, up_dir) -> np.ndarray | None:
    """(3,) float64: the feet's mean travel while raised minus their travel while
    lowered over clip ``clip_index``, relative to the body's centre (the mean of the
    ``body`` joints): it points where a walker goes. None for a clip that cannot be posed."""
    animation = scene.animations[clip_index]
    times = np.linspace(animation.start, animation.duration, GAIT_SAMPLES + 1)
    try:
        world = np.stack([world_matrices(scene, clip_index, t)[:, :3, 3] for t in times])
    except Exception:  # a clip that does not pose: no cue from it
        return None
    centre = world[:, body].mean(axis=1)  # (T, 3)
    foot = world[:, feet] - centre[:, None]  # (T, F, 3)
    height = foot @ up_dir  # (T, F)
    step = np.diff(foot, axis=0)  # (T-1, F, 3)
    raised = 0.5 * (height[1:] + height[:-1]) > np.median(height, axis=0)
    sign = np.where(raised, 1.0, -1.0)[..., None]
    return (step * sign).sum(axis=(0, 1)) / max(len(feet), 1)


def _skeleton_orientation(scene) -> Orientation | None:
    found = skeleton_cues(scene)
    if found is None:
        return None
    up, fronts = found
    if not fronts or len({a for _, a in fronts}) != 1:
        return None  # no cue, or cues that disagree: keep glTF's axes
    front = fronts[0][1]
    if front == "+z" and up == "+y":
        return Orientation()
    names = [n for n, _ in fronts]
    looks = [n for n in names if n in ("toes", "eyes")]
    gaits = [n.split(":", 1)[1] for n in names if n.startswith("gait:")]
    behind = [n for n in names if n in ("tail", "hips")]
    parts = []
    if behind:
        parts.append(f"whose head is {front} of its {' and '.join(behind)}")
    if looks:
        parts.append(f"whose {' and '.join(looks)} point {front}")
    if gaits:
        parts.append(f"whose feet step {front} in {', '.join(repr(g) for g in gaits)}")
    if looks and not behind and not gaits:
        reason = f"a humanoid skeleton whose head is {up} of its feet and {parts[0]}"
    else:
        reason = f"a skeleton standing {up} " + " and ".join(parts)
    return Orientation(front=front, up=up, reason=reason)


def _axis_of(vec: np.ndarray) -> str | None:
    """The signed axis ``vec`` points along, when AXIS_SHARE of its length lies on it."""
    vec = np.asarray(vec, np.float64)
    norm = float(np.linalg.norm(vec))
    if norm < 1e-12:
        return None
    k = int(np.argmax(np.abs(vec)))
    if abs(vec[k]) < AXIS_SHARE * norm:
        return None
    return ("+" if vec[k] > 0 else "-") + "xyz"[k]


# -- flat models -----------------------------------------------------------------------
def _rest_triangles(scene) -> np.ndarray | None:
    """(T, 3, 3) float64: every drawn triangle in the rest pose, or None for none."""
    posed = scene.pose(None, 0.0)
    tris = [p.positions[p.primitive.indices].astype(np.float64) for p in posed if len(p.positions)]
    return np.concatenate(tris) if tris else None


def flat_axis(scene) -> str | None:
    """The signed axis a flat model's face looks along, or None for a model that is not
    flat (FLAT_SHARE): the side its triangles face more by area, + for a tie."""
    tri = _rest_triangles(scene)
    if tri is None:
        return None
    points = tri.reshape(-1, 3)
    extent = points.max(0) - points.min(0)
    k = int(np.argmin(extent))
    others = [extent[i] for i in range(3) if i != k]
    if not min(others) > 0 or not extent[k] < FLAT_SHARE * min(others):
        return None
    # twice each triangle's area times its normal: the way the sheet's triangles face
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    total = float(np.linalg.norm(cross, axis=1).sum())
    sign = "-" if float(cross[:, k].sum()) < -0.1 * total else "+"
    return sign + "xyz"[k]


def _face_a_flat_model(scene, found: Orientation) -> Orientation:
    """``found``, or for a flat model seen edge-on under it, its face turned to the
    viewer: the flat axis becomes the front; up stays where it can, and a model lying
    across up is seen from above or below with its far edge (-front) at the top."""
    try:
        axis = flat_axis(scene)
    except Exception:  # a model that cannot be posed: the renderer reports it
        return found
    if axis is None or axis[1] == found.front[1]:
        return found
    if axis[1] != found.up[1]:
        up = found.up
        reason = f"a flat model, edge-on from {found.front}; its face ({axis}) turned to the viewer"
    else:
        # its far edge (-front) at the top, from above as from below (as through glass)
        up = {"+": "-", "-": "+"}[found.front[0]] + found.front[1]
        where = "above" if axis == found.up else "below"
        reason = f"a flat model lying across {found.up}, seen from {where}"
    if found.reason:
        reason = f"{found.reason}; {reason}"
    return Orientation(front=axis, up=up, reason=reason)


# -- CAD meshes ------------------------------------------------------------------------
def _mesh_orientation(scene, suffix: str) -> Orientation:
    y_votes, z_votes, why = mesh_votes(scene)
    z_up = z_votes > y_votes if suffix not in STL_SUFFIXES else z_votes >= y_votes
    if not z_up:
        if suffix in STL_SUFFIXES:
            return Orientation(reason="an STL whose flat base and long axis say Y is up")
        return Orientation()
    if suffix in STL_SUFFIXES and not why:
        return Orientation(front="-y", up="+z", reason="an STL, Z-up by custom (CAD, 3D printing)")
    return Orientation(front="-y", up="+z", reason=f"a {suffix[1:].upper()} {why} (a CAD export)")


def mesh_votes(scene) -> tuple[int, int, str]:
    """(votes for Y up, votes for Z up, the Z-up cues in words) from the rest geometry:
    a flat face resting on the lowest point along the axis, and the long axis."""
    tri = _rest_triangles(scene)
    if tri is None:
        return 0, 0, ""
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area2 = np.linalg.norm(cross, axis=1)
    total = float(area2.sum())
    if total <= 0:
        return 0, 0, ""
    normal = cross / np.maximum(area2, 1e-30)[:, None]
    lo, hi = tri.reshape(-1, 3).min(0), tri.reshape(-1, 3).max(0)
    extent = hi - lo
    size = float(extent.max())

    def rests_on(axis: int) -> bool:
        facing_down = normal[:, axis] <= -REST_NORMAL
        low = np.all(tri[:, :, axis] <= lo[axis] + REST_DEPTH * size, axis=1)
        footprint = float(np.prod([extent[k] for k in range(3) if k != axis]))
        return 0.5 * float(area2[facing_down & low].sum()) >= REST_AREA * footprint > 0

    def is_long(axis: int) -> bool:
        others = [extent[k] for k in range(3) if k != axis]
        return extent[axis] > LONG_RATIO * max(others)

    y_rest, z_rest = rests_on(1), rests_on(2)
    y_long, z_long = is_long(1), is_long(2)
    words = []
    if z_rest:
        words.append("resting on a flat face at its lowest Z")
    if z_long:
        words.append("longest along Z")
    y_votes = int(y_rest) + int(y_long)
    z_votes = int(z_rest) + int(z_long)
    if not z_rest:  # the long axis alone never turns a model over (a car is long too)
        z_votes = min(z_votes, y_votes)
    return y_votes, z_votes, " and ".join(words)
