"""sRGB8 to linear light with the black-tile map, against numpy."""

from __future__ import annotations

import numpy as np
import pytest

from holopack.colour import SRGB8_TO_LINEAR, srgb8_to_linear
from holopack.colour_kernel import srgb8_to_linear_tiles


def _tiles_reference(color, tile):
    h, w = color.shape[:2]
    grid = np.zeros((-(-h // tile), -(-w // tile)), bool)
    for ty in range(grid.shape[0]):
        for tx in range(grid.shape[1]):
            grid[ty, tx] = color[ty * tile : (ty + 1) * tile, tx * tile : (tx + 1) * tile].any()
    return grid


@pytest.mark.parametrize("shape,tile", [((70, 70), 32), ((64, 96), 32), ((5, 3), 2), ((33, 1), 32)])
def test_linear_light_and_tiles_match_numpy(shape, tile):
    rng = np.random.default_rng(sum(shape))
    color = np.zeros(shape + (3,), np.uint8)
    lit = np.zeros(shape, bool)  # light in the first tile only ...
    lit[:tile, :tile] = rng.random(lit[:tile, :tile].shape) < 0.3
    color[lit] = rng.integers(0, 256, (int(lit.sum()), 3))
    color[-1, -1] = (0, 0, 1)  # ... and in the last tile's last byte
    linear = np.full(shape + (3,), np.nan, np.float32)
    tiles = np.zeros((-(-shape[0] // tile), -(-shape[1] // tile)), bool)
    tiles[:] = True  # stale values must be overwritten
    srgb8_to_linear_tiles(color, SRGB8_TO_LINEAR, tile, linear, tiles)
    assert np.array_equal(linear, srgb8_to_linear(color))
    assert np.array_equal(tiles, _tiles_reference(color, tile))
    assert tiles[-1, -1] and tiles.sum() <= 2
