"""Which way a model faces and which way is up: --front and --up, and what "auto" decides.

glTF says +Y is up and the front faces +Z; auto keeps that unless the model clearly says
otherwise:

* a humanoid skeleton (joints named head, foot/ankle, toe, eye) whose head is not
  above its feet along +Y, or whose toes and eyes point away from +Z: the axes the
  skeleton shows are used. Every cue present must agree, else glTF's axes stay;
* an OBJ/STL/PLY from CAD: Z up when a large flat face rests on the lowest Z facing -Z
  and the long axis does not say Y (and an STL, Z-up by its own custom, stays so unless
  the geometry says Y). A Z-up model's front faces -Y (the CAD "front" view).

The result is a rotation applied to the whole scene as it is seen (the view), so the
scene's own arrays keep the file's coordinates.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .pose import world_matrices

AXES = {
    "+x": (1.0, 0.0, 0.0),
    "-x": (-1.0, 0.0, 0.0),
    "+y": (0.0, 1.0, 0.0),
    "-y": (0.0, -1.0, 0.0),
    "+z": (0.0, 0.0, 1.0),
    "-z": (0.0, 0.0, -1.0),
}
FRONT_CHOICES = ("auto", "+z", "-z", "+x", "-x", "+y", "-y")
UP_CHOICES = ("auto", "+y", "+z", "+x", "-y", "-z", "-x")
MESH_SUFFIXES = (".obj", ".stl", ".ply", ".off")
STL_SUFFIXES = (".stl",)

# A cue counts when this share of its length lies along one axis (about 37 degrees off).
AXIS_SHARE = 0.8
REST_NORMAL = 0.985  # a resting face's normal within 10 degrees of the axis
REST_DEPTH = 0.01  # ... and its vertices within 1 % of the model's size of the lowest point
REST_AREA = 0.25  # ... covering at least this share of the model's footprint on that axis
LONG_RATIO = 1.3  # an axis this much longer than both others is the long axis


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
    if getattr(scene, "is_media", False):
        return Orientation()
    suffix = os.path.splitext(str(scene.path))[1].lower()
    if suffix in MESH_SUFFIXES:
        return _mesh_orientation(scene, suffix)
    found = _skeleton_orientation(scene)
    return found if found is not None else Orientation()


# -- skeletons -----------------------------------------------------------------------
_JOINT_KINDS = (
    ("head", re.compile(r"head(?!.*(end|top))")),
    ("eye", re.compile(r"eye(?!lid|brow|lash)")),
    ("toe", re.compile(r"toe|ball")),
    ("foot", re.compile(r"foot|ankle")),
)


def joint_kind(name: str) -> str | None:
    """'head', 'eye', 'toe', 'foot' or None for a joint name (any rig's prefixes)."""
    text = name.lower().split(":")[-1]
    for kind, pattern in _JOINT_KINDS:
        if pattern.search(text):
            return kind
    return None


def _skeleton_orientation(scene) -> Orientation | None:
    joints = sorted({int(j) for skin in scene.skins for j in skin.joints})
    kinds: dict[str, list[int]] = {}
    for j in joints:
        kind = joint_kind(scene.nodes[j].name or "")
        if kind:
            kinds.setdefault(kind, []).append(j)
    if "head" not in kinds or not ({"foot", "toe"} & kinds.keys()):
        return None
    try:
        world = world_matrices(scene, None, 0.0)  # the rest pose
    except Exception:  # a broken rig: keep glTF's axes
        return None
    pos = {k: world[v][:, :3, 3].mean(0) for k, v in kinds.items()}
    feet = pos.get("foot", pos.get("toe"))
    up_vec = pos["head"] - feet
    up = _axis_of(up_vec)
    if up is None:
        return None
    up_dir = np.array(AXES[up])
    cues = []
    if "toe" in pos and "foot" in pos:
        cues.append(("toes", pos["toe"] - pos["foot"]))
    if "eye" in pos:
        cues.append(("eyes", pos["eye"] - pos["head"]))
    fronts = []
    for name, vec in cues:
        flat = vec - (vec @ up_dir) * up_dir  # the part across the up axis
        if np.linalg.norm(flat) < 0.02 * np.linalg.norm(up_vec):
            continue
        axis = _axis_of(flat)
        if axis is None:
            return None  # a cue that points between axes: not clear
        fronts.append((name, axis))
    if not fronts or len({a for _, a in fronts}) != 1:
        return None
    front = fronts[0][1]
    if front == "+z" and up == "+y":
        return Orientation()
    cue_names = " and ".join(n for n, _ in fronts)
    return Orientation(
        front=front,
        up=up,
        reason=f"a humanoid skeleton whose head is {up} of its feet and whose {cue_names} point {front}",
    )


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
    posed = scene.pose(None, 0.0)
    tris = [p.positions[p.primitive.indices].astype(np.float64) for p in posed if len(p.positions)]
    if not tris:
        return 0, 0, ""
    tri = np.concatenate(tris)  # (T, 3, 3)
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
