"""What the benchmark suite measures: the scenes, the triangle series and the sizes.

The triangle series is one mesh, the Stanford bunny (69,451 triangles), made coarser by
vertex clustering (the low end) and finer by ``trimesh.remesh.subdivide`` (each pass
splits every triangle in four), so that frame time can be plotted against triangles
with the silhouette, and so the pixels covered, held fixed.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"
BUNNY = DATA / "stanford-bunny" / "stanford-bunny.obj"

# name -> path; the default twin first: it is the one with a frame-rate target
SCENES = {
    "twin": TWIN,
    "bunny": BUNNY,
    "brainstem": DATA / "BrainStem" / "BrainStem.glb",
    "flighthelmet": DATA / "FlightHelmet" / "FlightHelmet.gltf",
}
SIZES = (256, 512, 1024, 2048)
# coarser than the bunny by clustering; the bunny itself; then 1 and 2 subdivisions
DECIMATED_TARGETS = (10_000, 20_000, 35_000)
SUBDIVISIONS = (1, 2)


def load_mesh(path=BUNNY) -> tuple[np.ndarray, np.ndarray]:
    """vertices float64 (N, 3), faces int64 (M, 3) of one mesh file, as stored."""
    import trimesh

    mesh = trimesh.load(os.fspath(path), force="mesh", process=False)
    return np.asarray(mesh.vertices, np.float64), np.asarray(mesh.faces, np.int64)


def cluster_decimate(vertices: np.ndarray, faces: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Vertex clustering: merge the vertices in each cube of a grid ``cells`` cubes across
    the mesh's longest side into their mean, and drop the triangles that collapse.

    vertices float64 (N, 3), faces int (M, 3) -> vertices float64 (N', 3), faces int64
    (M', 3) with every vertex used, no degenerate and no repeated triangle; the surviving
    triangles keep their winding.
    """
    if cells < 1:
        raise ValueError("cells must be at least 1")
    lo = vertices.min(axis=0)
    extent = float(np.max(vertices.max(axis=0) - lo)) or 1.0
    step = extent / cells
    cell = np.minimum(np.floor((vertices - lo) / step), cells).astype(np.int64)
    key = (cell[:, 0] * (cells + 1) + cell[:, 1]) * (cells + 1) + cell[:, 2]
    _, cluster = np.unique(key, return_inverse=True)
    cluster = cluster.ravel()
    k = int(cluster.max()) + 1
    counts = np.bincount(cluster, minlength=k).astype(np.float64)
    merged = (
        np.stack([np.bincount(cluster, weights=vertices[:, a], minlength=k) for a in range(3)], axis=1)
        / counts[:, None]
    )
    f = cluster[faces]
    keep = (f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])
    f = f[keep]
    # two triangles on the same three clusters (either winding) would z-fight: keep one
    _, first = np.unique(np.sort(f, axis=1), axis=0, return_index=True)
    f = f[np.sort(first)]
    used, compact = np.unique(f, return_inverse=True)
    return merged[used], compact.reshape(-1, 3).astype(np.int64)


def decimate_to(vertices: np.ndarray, faces: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray]:
    """Clustering with the grid whose triangle count comes closest to ``target``."""
    lo, hi = 2, 4096
    best = None
    while lo <= hi:  # the triangle count grows with the grid's resolution
        mid = (lo + hi) // 2
        v, f = cluster_decimate(vertices, faces, mid)
        if best is None or abs(len(f) - target) < abs(len(best[1]) - target):
            best = (v, f)
        if len(f) < target:
            lo = mid + 1
        elif len(f) > target:
            hi = mid - 1
        else:
            break
    return best


def subdivide(vertices: np.ndarray, faces: np.ndarray, times: int) -> tuple[np.ndarray, np.ndarray]:
    """``times`` passes of trimesh.remesh.subdivide (x4 triangles per pass)."""
    import trimesh.remesh

    v, f = vertices, faces
    for _ in range(times):
        v, f = trimesh.remesh.subdivide(v, f)
    return np.asarray(v, np.float64), np.asarray(f, np.int64)


def write_ply(path, vertices: np.ndarray, faces: np.ndarray) -> str:
    """A binary PLY that holopack's own loader then reads (so load is timed as usual)."""
    import trimesh

    trimesh.Trimesh(vertices=vertices, faces=faces, process=False).export(os.fspath(path))
    return os.fspath(path)


def triangle_series(
    folder, base=BUNNY, targets=DECIMATED_TARGETS, subdivisions=SUBDIVISIONS
) -> list[tuple[int, str]]:
    """Write the series as PLY files into ``folder``: [(triangles, path)], fewest first.
    The base mesh itself is in the series as it is (its own file)."""
    vertices, faces = load_mesh(base)
    series = [(len(faces), os.fspath(base))]
    for target in targets:
        v, f = decimate_to(vertices, faces, target)
        series.append((len(f), write_ply(Path(folder) / f"bunny-{len(f)}.ply", v, f)))
    for times in subdivisions:
        v, f = subdivide(vertices, faces, times)
        series.append((len(f), write_ply(Path(folder) / f"bunny-{len(f)}.ply", v, f)))
    return sorted(series)
