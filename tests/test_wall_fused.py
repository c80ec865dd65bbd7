"""Every polar fan of a wall resampled in one call (weights.FusedResample) gives each
fan what its own weights give, summed here with plain numpy."""

from __future__ import annotations

import numpy as np

from holopack.rendering import TILE
from holopack.wall import parse_wall
from holopack.wall.canvas import canvas_geometry
from holopack.wall.weights import CanvasTiles, FanEncoder, FusedResample

COARSE = """base = "3dcircle-42f2"
name = "coarse-42f2"
[render]
render_size = 144
[geometry]
leds_per_blade = 24
led_pitch_mm = 8.75
led_size_mm = 8.75
slices = 64
"""

# overlapping and apart, one turned, one mirrored, one of another model
WALL = """device = "coarse.toml"
[grid]
rows = 2
cols = 3
pitch = 400.0
[[fans]]
name = "B3"
rotation = 30.0
[[fans]]
name = "A1"
mirror = true
[[fans]]
name = "B2"
device = "legacy-224"
"""


def test_one_call_for_every_fan_matches_each_fans_weights(tmp_path):
    (tmp_path / "coarse.toml").write_text(COARSE)
    wall = parse_wall(WALL, str(tmp_path / "w.toml"), base_dir=str(tmp_path))
    g = canvas_geometry(wall, px_per_mm=0.3)
    encoders = [FanEncoder(g, k) for k in range(len(wall.fans))]
    tables = [e.table for e in encoders]  # the plain CSR weights, before any tiling
    fused = FusedResample(encoders)
    rng = np.random.default_rng(4)
    canvas = rng.random((g.height, g.width, 3)).astype(np.float32)
    # some tiles empty (black, and marked so): their rows must come out 0 too
    tiles = rng.random((-(-g.height // TILE), -(-g.width // TILE))) < 0.7
    canvas *= np.kron(tiles, np.ones((TILE, TILE)))[: g.height, : g.width, None]
    fused.run(canvas.reshape(-1), CanvasTiles(g.width, g.height).place(tiles))
    flat = canvas.reshape(-1, 3).astype(np.float64)
    for enc, table in zip(encoders, tables):
        rows = np.repeat(np.arange(table.indptr.size - 1), np.diff(table.indptr))
        expected = np.zeros((table.indptr.size - 1, 3))
        np.add.at(expected, rows, flat[table.indices] * table.weights[:, None])
        got = enc.linear.reshape(-1, 3)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        assert expected.max() > 0.3  # each fan reads lit pixels
    assert encoders[4].linear.shape == wall.fans[4].profile.codes_shape != encoders[0].linear.shape
