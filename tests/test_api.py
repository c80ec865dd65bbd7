"""The documented library API, as a notebook would use it."""

import numpy as np
from conftest import MODELS, TWIN

import holopack
from holopack.rendering.camera import look_at, perspective


def test_notebook_round():
    import holopack.rendering.raster_kernel  # noqa: F401  (importing submodules must not hide render())

    scene = holopack.load(TWIN)
    names = [a.name for a in scene.animations]
    assert "Wave" in names and all(a.duration > 0 for a in scene.animations)
    positions = scene.posed_positions(animation="Wave", time=0.5)
    normals = scene.posed_normals(animation="Wave", time=0.5)
    assert len(positions) == len(normals) == len(scene.draw_items)
    for p, n in zip(positions, normals):
        assert p.dtype == np.float32 and p.shape[1] == 3 and p.shape == n.shape
        assert np.allclose(np.linalg.norm(n, axis=1), 1.0, atol=1e-3)
    view = look_at([0, 2.5, 12], [0, 2.5, 0])
    frame = holopack.render(scene, view, perspective(30, 1.0, 0.1, 100), (96, 80), animation="Wave", time=0.5)
    assert frame.color.shape == (80, 96, 3) and frame.color.dtype == np.uint8
    assert frame.depth.shape == (80, 96) and frame.depth.dtype == np.float32
    drawn = frame.depth < 1.0
    assert 0.02 < drawn.mean() < 0.9
    assert frame.color[~drawn].max() == 0  # black where nothing was drawn
    unlit = holopack.render(
        scene, view, perspective(30, 1.0, 0.1, 100), (96, 80), animation="Wave", time=0.5, shading="unlit"
    )
    assert np.array_equal(unlit.depth < 1.0, drawn)


def test_profiles_and_export_from_python(tmp_path):
    assert {"3dcircle-42f2", "legacy-224", "hypervsn", "mp4-fan"} <= set(holopack.list_profiles())
    profile = holopack.load_profile("3dcircle-42f2")
    scene = holopack.load(MODELS["duck"])
    seen = []
    result = holopack.export(
        scene,
        str(tmp_path / "DUCK.BIN"),
        device=profile,
        seconds=0.1,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert result.frames == 3 and seen[-1] == (3, 3)
    assert (tmp_path / "DUCK.BIN").stat().st_size == 3 * 129024
