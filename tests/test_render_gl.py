"""holopack.render against OpenGL (Mesa llvmpipe) with identical matrices."""

from pathlib import Path

import numpy as np
import pytest
from _gl_reference import framed_camera, gl_render, iou, posed_model, psnr, srgb8

from holopack.rendering import Renderer
from holopack.rendering.camera import look_at, orthographic, perspective

DATA = Path(__file__).parent / "data"
MODELS = {
    "bunny": DATA / "stanford-bunny" / "stanford-bunny.obj",
    "duck": DATA / "Duck" / "Duck.glb",
    "helmet": DATA / "FlightHelmet" / "FlightHelmet.gltf",
}
SIZE = (320, 320)
pytestmark = pytest.mark.gl


def compare(posed, materials, textures, view, projection, size=SIZE):
    ours = Renderer(size, 1).draw(posed, materials, textures, view, projection, "unlit")
    linear, coverage, depth = gl_render(posed, materials, textures, view, projection, size)
    ours_cov = ours.alpha > 0
    gl_cov = coverage > 0
    both = ours_cov & gl_cov & (ours.depth < 1) & (depth < 1)
    # On a silhouette or a depth step the surface a pixel centre lands on depends on
    # sub-pixel rules that OpenGL leaves to the implementation; there the depth is
    # held to a share of the pixels, elsewhere to every pixel.
    padded = np.pad(depth, 1, constant_values=1.0)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    smooth = (windows.max(axis=(2, 3)) - windows.min(axis=(2, 3))) < 0.01
    error = np.abs(ours.depth - depth)
    depth_err = float(error[both & smooth].max()) if (both & smooth).any() else 0.0
    depth_ok_share = float(np.mean(error[both] <= 1e-3)) if both.any() else 1.0
    return {
        "iou": iou(ours_cov, gl_cov),
        "depth": depth_err,
        "depth_ok_share": depth_ok_share,
        "psnr": psnr(ours.color, srgb8(linear)),
        "covered": int(gl_cov.sum()),
    }


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("yaw", [0.0, 125.0])
def test_matches_opengl_perspective(name, yaw):
    posed, materials, textures = posed_model(MODELS[name])
    view, projection = framed_camera(posed, yaw=yaw, pitch=15.0)
    r = compare(posed, materials, textures, view, projection)
    assert r["covered"] > 0.1 * SIZE[0] * SIZE[1]
    assert r["iou"] >= 0.995, r
    assert r["depth"] <= 1e-3, r  # window depth spans [0, 1]: 1e-3 of the depth range
    assert r["depth_ok_share"] >= 0.999, r
    assert r["psnr"] >= 30.0, r


def test_matches_opengl_orthographic():
    posed, materials, textures = posed_model(MODELS["duck"])
    points = np.concatenate([p.positions for p in posed])
    centre = (points.min(0) + points.max(0)) / 2
    radius = float(np.linalg.norm(points.max(0) - points.min(0))) / 2
    view = look_at(centre + np.array([0.3, 0.4, 1.0]) * 2 * radius, centre)
    projection = orthographic(radius, radius, 0.5 * radius, 5 * radius)
    r = compare(posed, materials, textures, view, projection)
    assert r["covered"] > 0.1 * SIZE[0] * SIZE[1]
    assert r["iou"] >= 0.995, r
    assert r["depth"] <= 1e-3, r
    assert r["depth_ok_share"] >= 0.999, r
    assert r["psnr"] >= 30.0, r


def test_camera_inside_the_model_clips_like_opengl():
    # the eye sits inside the bunny: many triangles cross the near plane or lie behind it
    posed, materials, textures = posed_model(MODELS["bunny"])
    points = np.concatenate([p.positions for p in posed])
    centre = (points.min(0) + points.max(0)) / 2
    size = float(np.linalg.norm(points.max(0) - points.min(0)))
    view = look_at(centre, centre + np.array([1.0, -0.2, -0.3]))
    projection = perspective(90.0, 1.0, size * 1e-3, size * 4)
    r = compare(posed, materials, textures, view, projection)
    assert r["covered"] > 0.5 * SIZE[0] * SIZE[1]
    assert r["iou"] >= 0.995, r
    assert r["depth"] <= 1e-3, r
    assert r["depth_ok_share"] >= 0.999, r
    assert r["psnr"] >= 30.0, r
