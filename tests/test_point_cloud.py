"""A scan's point cloud (a PLY or OBJ of points and no faces) drawn as splats: each point
a round splat of its colour, sized from its neighbours' spacing. The expected picture is
the same sphere drawn as a mesh: the points cover its silhouette, red above and blue
below, as the file's colours say; the file is written here with numpy alone."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from holopack.cli import main
from holopack.errors import InputError
from holopack.scene.load import load


def fibonacci_sphere(n: int) -> np.ndarray:
    """n points spread evenly over the unit sphere."""
    i = np.arange(n) + 0.5
    phi = np.arccos(1 - 2 * i / n)
    theta = np.pi * (1 + 5**0.5) * i
    return np.stack([np.cos(theta) * np.sin(phi), np.cos(phi), np.sin(theta) * np.sin(phi)], 1)


def write_cloud_ply(path, points, colours=None) -> str:
    n = len(points)
    head = f"ply\nformat binary_little_endian 1.0\nelement vertex {n}\n"
    head += "property float x\nproperty float y\nproperty float z\n"
    fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    if colours is not None:
        head += "property uchar red\nproperty uchar green\nproperty uchar blue\n"
        fields += [("r", "u1"), ("g", "u1"), ("b", "u1")]
    rows = np.zeros(n, fields)
    rows["x"], rows["y"], rows["z"] = points.T
    if colours is not None:
        rows["r"], rows["g"], rows["b"] = (np.asarray(colours) * 255).round().astype(np.uint8).T
    path.write_bytes((head + "end_header\n").encode() + rows.tobytes())
    return str(path)


def picture(path, tmp_path, name) -> np.ndarray:
    out = tmp_path / f"{name}.png"
    argv = ["export", str(path), "-o", str(out), "--device", "mp4-fan", "--size", "128", "--seconds", "0.02"]
    assert main([*argv, "--turntable", "0", "-q"]) == 0
    return np.asarray(Image.open(out).convert("RGB")).astype(float)


def test_a_coloured_point_cloud_draws_its_surface_in_its_colours(tmp_path):
    points = fibonacci_sphere(6000)
    colours = np.where(points[:, 1:2] > 0, [0.9, 0.1, 0.1], [0.1, 0.1, 0.9])
    scene = load(write_cloud_ply(tmp_path / "scan.ply", points, colours))
    assert scene.splats is not None and len(scene.splats) == 6000
    assert any("point cloud of 6,000 points" in w for w in scene.warnings)
    # a round splat about as wide as the spacing (about 0.046 on this sphere)
    spacing = np.sqrt(4 * np.pi / 6000)
    assert 0.3 * spacing < float(np.median(scene.splats.scales)) < 1.0 * spacing
    drawn = picture(tmp_path / "scan.ply", tmp_path, "cloud")
    lit = drawn.max(axis=2) > 40
    # the sphere as a mesh, framed by the same rule, is the reference silhouette
    import trimesh

    ball = trimesh.creation.icosphere(subdivisions=4, radius=1.0)
    ball.export(tmp_path / "ball.ply")
    solid = picture(tmp_path / "ball.ply", tmp_path, "mesh").max(axis=2) > 40
    iou = (lit & solid).sum() / (lit | solid).sum()
    assert iou > 0.85, iou
    ys, xs = np.nonzero(lit)
    top, bottom = drawn[ys.min() + 5, int(xs.mean())], drawn[ys.max() - 5, int(xs.mean())]
    assert top[0] > 2 * top[2] and bottom[2] > 2 * bottom[0], (top, bottom)


def test_a_point_cloud_without_colours_is_light_grey_and_an_obj_of_points_reads_too(tmp_path):
    points = fibonacci_sphere(500)
    obj = tmp_path / "points.obj"
    obj.write_text("".join(f"v {x:.6f} {y:.6f} {z:.6f}\n" for x, y, z in points))
    scene = load(obj)
    assert scene.splats is not None and len(scene.splats) == 500
    colour = 0.5 + 0.28209479177387814 * scene.splats.sh[:, 0]
    np.testing.assert_allclose(colour, 0.8, atol=1e-5)
    assert any("light grey" in w for w in scene.warnings)


def test_points_on_top_of_one_another_are_one_line(tmp_path):
    path = write_cloud_ply(tmp_path / "dot.ply", np.zeros((50, 3)))
    with pytest.raises(InputError, match="all lie on top of one another"):
        load(path)


def test_points_of_two_coordinates_are_refused_in_one_line(tmp_path):
    # trimesh keeps an OBJ's "v x y" points two-dimensional: no cloud to draw
    path = tmp_path / "flat.obj"
    path.write_text("".join(f"v {i} {i * 2}\n" for i in range(40)))
    with pytest.raises(InputError, match="no triangles to draw"):
        load(path)
