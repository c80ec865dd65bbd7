"""Cameras as OpenGL-convention 4x4 matrices, and framing a model for a fan.

Conventions (the public contract of ``holopack.rendering``): column vectors,
``clip = projection @ view @ world``, the camera looks down -Z with +Y up,
clip-space z in [-w, w], window depth = (ndc_z + 1) / 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def perspective(fov_y_deg: float, aspect: float, near: float, far: float) -> np.ndarray:
    """gluPerspective: (4, 4) float64."""
    f = 1.0 / math.tan(math.radians(fov_y_deg) / 2.0)
    m = np.zeros((4, 4))
    m[0, 0] = f / aspect
    m[1, 1] = f
    m[2, 2] = (far + near) / (near - far)
    m[2, 3] = 2.0 * far * near / (near - far)
    m[3, 2] = -1.0
    return m


def orthographic(half_width: float, half_height: float, near: float, far: float) -> np.ndarray:
    """glOrtho(-hw, hw, -hh, hh, near, far): (4, 4) float64."""
    m = np.eye(4)
    m[0, 0] = 1.0 / half_width
    m[1, 1] = 1.0 / half_height
    m[2, 2] = -2.0 / (far - near)
    m[2, 3] = -(far + near) / (far - near)
    return m


def look_at(eye, target, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """gluLookAt: world -> camera (4, 4) float64."""
    eye = np.asarray(eye, float)
    forward = np.asarray(target, float) - eye
    forward /= np.linalg.norm(forward)
    side = np.cross(forward, np.asarray(up, float))
    if np.linalg.norm(side) < 1e-9:  # looking straight along up: pick another up
        side = np.cross(forward, np.array([0.0, 0.0, -1.0]))
    side /= np.linalg.norm(side)
    true_up = np.cross(side, forward)
    m = np.eye(4)
    m[0, :3] = side
    m[1, :3] = true_up
    m[2, :3] = -forward
    m[:3, 3] = -m[:3, :3] @ eye
    return m


def rotation_y(deg: float) -> np.ndarray:
    """(4, 4) rotation about +Y (a turntable's axis), counter-clockwise seen from above."""
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    m = np.eye(4)
    m[0, 0], m[0, 2], m[2, 0], m[2, 2] = c, s, -s, c
    return m


@dataclass
class Framing:
    """How the camera looks at the model; every field can be set from the CLI.

    yaw/pitch in degrees orbit the camera around the model's centre (yaw 0 = the
    camera on +Z looking at the model's front, as glTF models face +Z). ``margin`` is
    the fraction of the circle's radius left empty around the subject.
    ``distance`` None = fitted; ``fov`` in degrees, 0 = orthographic.
    ``pan_x``/``pan_y`` shift the camera sideways/up in units of the fitted radius.
    """

    yaw: float = 0.0
    pitch: float = 0.0
    distance: float | None = None
    fov: float = 30.0
    margin: float = 0.08
    pan_x: float = 0.0
    pan_y: float = 0.0


@dataclass
class Camera:
    view: np.ndarray  # (4, 4) float64
    projection: np.ndarray  # (4, 4) float64
    center: np.ndarray  # (3,) the point the camera orbits
    radius: float  # radius of the sphere fitted into the circle
    # (4, 4) float64 shift and zoom in the picture plane that centres the drawn box
    # (fit_drawn_box); projection already includes it. None = none applied.
    screen: np.ndarray | None = None


def bounding_sphere(points: np.ndarray) -> tuple[np.ndarray, float]:
    """A small enclosing sphere of (N, 3) points (Ritter's, then grown to fit all)."""
    pts = np.asarray(points, np.float64)
    if len(pts) == 0:
        return np.zeros(3), 1.0
    p0 = pts[0]
    p1 = pts[np.argmax(((pts - p0) ** 2).sum(1))]
    p2 = pts[np.argmax(((pts - p1) ** 2).sum(1))]
    center = (p1 + p2) / 2
    radius = np.linalg.norm(p2 - p1) / 2
    d = np.sqrt(((pts - center) ** 2).sum(1))
    far = np.argmax(d)
    # A few Ritter growth steps; enough for framing (never smaller than the truth).
    for _ in range(8):
        if d[far] <= radius * (1 + 1e-9):
            break
        new_radius = (radius + d[far]) / 2
        center = center + (d[far] - new_radius) / d[far] * (pts[far] - center)
        radius = new_radius
        d = np.sqrt(((pts - center) ** 2).sum(1))
        far = np.argmax(d)
    return center, float(max(radius, d.max(), 1e-12))


def fit_camera(points: np.ndarray, framing: Framing, spin_axis_points: bool = False) -> Camera:
    """Place the camera so that every point lands inside the fan's circle.

    The fan shows only the disc inscribed in the square frame, so the subject is
    fitted into that circle (not the square): the enclosing sphere of all points, seen
    from any yaw, projects inside a disc of radius (1 - margin) of the frame's half size.
    Fitting the sphere makes the framing independent of the yaw, so a turntable
    neither zooms nor gets cut off.

    With ``spin_axis_points`` the sphere is centred on the vertical axis through the
    points' centre, so a turntable spins in place around the model's own axis.
    """
    pts = np.asarray(points, np.float64).reshape(-1, 3)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if spin_axis_points and len(pts):
        lo, hi = pts.min(0), pts.max(0)
        axis = (lo + hi) / 2
        horizontal = np.sqrt((pts[:, 0] - axis[0]) ** 2 + (pts[:, 2] - axis[2]) ** 2)
        # the solid of revolution around the axis, bounded by a sphere about its middle
        half_h = (hi[1] - lo[1]) / 2
        center = np.array([axis[0], (lo[1] + hi[1]) / 2, axis[2]])
        radius = float(np.sqrt(horizontal.max() ** 2 + half_h**2)) if len(pts) else 1.0
        radius = max(radius, 1e-12)
    else:
        center, radius = bounding_sphere(pts)
    return camera_for_sphere(center, radius, framing)


def camera_for_sphere(center, radius: float, framing: Framing) -> Camera:
    """The camera that shows the sphere (center, radius) inside the fan's circle from
    the framing's direction; cheap, so orbiting and turntables call it per frame."""
    center = np.asarray(center, np.float64)
    radius = max(float(radius), 1e-12)
    fill = max(1e-3, 1.0 - framing.margin)
    direction = np.array(
        [
            math.sin(math.radians(framing.yaw)) * math.cos(math.radians(framing.pitch)),
            math.sin(math.radians(framing.pitch)),
            math.cos(math.radians(framing.yaw)) * math.cos(math.radians(framing.pitch)),
        ]
    )
    if framing.fov and framing.fov > 0:
        half = math.radians(framing.fov) / 2
        # a sphere of radius R at distance d subtends asin(R/d); fill that fraction of the
        # half-angle: the sphere's silhouette then lies inside the circle.
        fitted = radius / math.sin(math.atan(math.tan(half) * fill))
        distance = framing.distance if framing.distance else fitted
        near = max(distance - radius * 1.5, distance * 1e-3)
        far = distance + radius * 1.5
        projection = perspective(framing.fov, 1.0, near, far)
    else:
        distance = framing.distance if framing.distance else radius * 3.0
        near = max(distance - radius * 1.5, distance * 1e-3)
        far = distance + radius * 1.5
        half_extent = radius / fill
        projection = orthographic(half_extent, half_extent, near, far)
    eye = center + direction * distance
    view = look_at(eye, center, (0.0, 1.0, 0.0))
    if framing.pan_x or framing.pan_y:
        pan = np.eye(4)
        pan[0, 3] = -framing.pan_x * radius
        pan[1, 3] = -framing.pan_y * radius
        view = pan @ view
    return Camera(view=view, projection=projection, center=center, radius=radius)


def project_xy(points: np.ndarray, view: np.ndarray, projection: np.ndarray) -> np.ndarray:
    """(N, 3) world points -> (N, 2) float64 normalised device x, y (the fan's circle is
    the unit disc)."""
    pts = np.asarray(points, np.float64).reshape(-1, 3)
    m = projection @ view
    # column arithmetic, not matmul: a (N, 3) @ (3, 4) product goes to BLAS, whose threads
    # cost 0.1-0.7 s per call here beside the renderer's (against ~5 ms for 350,000 points)
    x, y, z = pts[:, 0], pts[:, 1], pts[:, 2]
    w = m[3, 0] * x + m[3, 1] * y + m[3, 2] * z + m[3, 3]
    w = np.where(np.abs(w) < 1e-12, 1e-12, w)
    out = np.empty((len(pts), 2))
    out[:, 0] = (m[0, 0] * x + m[0, 1] * y + m[0, 2] * z + m[0, 3]) / w
    out[:, 1] = (m[1, 0] * x + m[1, 1] * y + m[1, 2] * z + m[1, 3]) / w
    return out


def screen_matrix(shift: np.ndarray, zoom: float) -> np.ndarray:
    """(4, 4) float64 applied after a projection: ndc' = zoom * (ndc - shift) in x, y."""
    a = np.eye(4)
    a[0, 0] = a[1, 1] = zoom
    a[0, 3] = -zoom * float(shift[0])
    a[1, 3] = -zoom * float(shift[1])
    return a


def fit_drawn_box(camera: Camera, points: np.ndarray, views: list, margin: float) -> Camera:
    """Centre the box of everything drawn in the circle and fill it up to the margin.

    points : (N, 3) world points drawn over the clip; views : the (4, 4) view matrices
    they are seen through (one for a fixed camera, several round a turntable). The box
    and the reach are measured as validate measures them (holopack.rendering.centring), in
    the picture plane, so export and validate share one definition of "centred". The
    sphere fit before this only chose the direction and the distance (nothing is clipped
    by near/far); this shifts and zooms the picture plane, which moves no point in depth.
    """
    from .centring import LitBox

    pts = np.asarray(points, np.float64).reshape(-1, 3)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if not len(pts):
        return camera
    projected = [project_xy(pts, view, camera.projection) for view in views]
    box = LitBox()
    for xy in projected:
        box.add(xy[:, 0], xy[:, 1])
    centre = box.centre
    reach = max(float(np.hypot(xy[:, 0] - centre[0], xy[:, 1] - centre[1]).max()) for xy in projected)
    if reach <= 1e-12:
        return camera
    fill = max(1e-3, 1.0 - margin)
    screen = screen_matrix(centre, fill / reach)
    return Camera(
        view=camera.view,
        projection=screen @ camera.projection,
        center=camera.center,
        radius=camera.radius,
        screen=screen,
    )
