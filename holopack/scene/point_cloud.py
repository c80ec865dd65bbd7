"""A scan's point cloud (a PLY or OBJ of points and no faces: LiDAR and photogrammetry
apps export them) drawn as a Gaussian splat twin: each point a small round splat of
its colour, sized from the distance to its nearest neighbours so that the points close
into a surface without swelling where they are sparse.

points (N, 3) float64 in the file's coordinates, colours (N, 3) float64 in [0, 1] (the
file's sRGB bytes / 255; the splat renderer shows a splat's colour as it is) or None
(light grey).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..limits import MemoryBudget
from .scene import Scene
from .splat_rows import finish, splat_scene

SH_C0 = 0.28209479177387814  # the degree-0 spherical harmonic, 1 / (2 sqrt(pi))
NEIGHBOURS = 4  # the point itself and its three nearest
# sigma as a share of the mean distance to the three nearest points: the splats of a
# regular grid then overlap enough to close it (at 0.5 a flat grid's splats meet at
# about half their peak), and capped at SPREAD_CAP x the median so that a lone point
# far from the rest does not become a large blob
SIGMA_SHARE = 0.6
SPREAD_CAP = 3.0
OPACITY = 0.95
GREY = 0.8
MIN_POINTS = 16


def point_cloud_scene(path: str, points: np.ndarray, colours: np.ndarray | None) -> Scene:
    """The Scene (``splats`` set) drawing ``points`` (see the module doc)."""
    from scipy.spatial import cKDTree

    points = np.asarray(points, np.float64).reshape(-1, 3)
    finite = np.isfinite(points).all(1)
    points = points[finite]
    colours = None if colours is None else np.asarray(colours, np.float64).reshape(-1, 3)[finite]
    count = len(points)
    if count < MIN_POINTS:
        raise InputError(
            f"the file holds no triangles and only {count} points: too few to draw as a point cloud",
            path,
        )
    budget = MemoryBudget(path)
    # the splats' arrays, and the k-d tree and its answers (about 9 doubles a point)
    budget.spend(count * (3 + 3 + 4 + 1 + 3) * 4 + count * (8 + 8) * 8, f"a point cloud of {count:,} points")
    distances, _ = cKDTree(points).query(points, k=min(NEIGHBOURS, count))
    spacing = distances[:, 1:].mean(axis=1)
    typical = float(np.median(spacing[spacing > 0])) if np.any(spacing > 0) else 0.0
    if typical <= 0.0:
        raise InputError("the point cloud's points all lie on top of one another", path)
    sigma = SIGMA_SHARE * np.clip(spacing, typical / SPREAD_CAP, typical * SPREAD_CAP)
    rgb = np.full((count, 3), GREY) if colours is None else np.clip(colours, 0.0, 1.0)
    quaternions = np.zeros((count, 4))
    quaternions[:, 3] = 1.0
    splats, _ = finish(
        points,
        np.repeat(sigma[:, None], 3, axis=1),
        quaternions,
        np.full(count, OPACITY),
        ((rgb - 0.5) / SH_C0)[:, None, :],
    )
    scene = splat_scene(path, count, 1, [(splats, 0)])
    scene.warnings.append(
        f"a point cloud of {count:,} points and no triangles: each point is drawn as a round "
        f"splat {2 * SIGMA_SHARE:g} x the spacing of its neighbours across"
        + ("" if colours is not None else ", light grey (the file gives no colours)")
    )
    return scene
