"""8-bit sRGB pictures to linear light in one Numba pass, with their map of black tiles.

Pictures that enter the pipeline as uint8 (video, GIF, PNG input) need linear light for
the resampler, and the resampler skips the tiles that are black if it knows them. The
renderer knows its tiles; for these pictures ``srgb8_to_linear_tiles`` finds them while
it converts, from the bytes (a 0 code is exactly 0 light), instead of the resampler
reading the 4x larger float picture again. Its numpy reference is
``colour.srgb8_to_linear`` plus a per-tile ``any``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernel_cache import refresh
from .work_pool import run
from .work_queue import claim

refresh(__file__, ["work_queue.py"])  # the kernel compiles the work queue's claim into itself


def srgb8_to_linear_tiles(color, lut, tile, linear, tiles):
    """color uint8 (H, W, 3); lut float32 (256,) (colour.SRGB8_TO_LINEAR); tile: pixels
    a side; linear float32 (H, W, 3) and tiles bool (ceil(H / tile), ceil(W / tile)),
    both overwritten: linear = lut[color], tiles = whether a tile has a non-zero byte.
    Rows of tiles are claimed by the threads of holopack.work_pool."""
    run(_convert_rows, np.zeros(1, np.int64), color, lut, tile, linear, tiles)


@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _convert_rows(next_row, color, lut, tile, linear, tiles):
    """One thread's share of srgb8_to_linear_tiles: rows of tiles claimed from next_row."""
    height, width = color.shape[0], color.shape[1]
    ty = claim(next_row)
    while ty < tiles.shape[0]:
        for tx in range(tiles.shape[1]):
            tiles[ty, tx] = False
        for y in range(ty * tile, min(height, (ty + 1) * tile)):
            for tx in range(tiles.shape[1]):
                lit = 0
                for x in range(tx * tile, min(width, (tx + 1) * tile)):
                    for c in range(3):
                        code = color[y, x, c]
                        lit |= code
                        linear[y, x, c] = lut[code]
                if lit != 0:
                    tiles[ty, tx] = True
        ty = claim(next_row)
