"""Drawing a Gaussian splat twin (holopack.scene.types.Splats) to a picture.

``SplatRenderer(size, supersample).draw(splats, view, projection)`` runs the kernels of
splat_kernel.py (project, bin per tile in depth order, blend front to back) at
``supersample`` x the size and box-filters the sub-samples, and returns the
RenderedPicture the mesh renderer returns, so that every stage after it (the polar
resampler, the video writer, the preview) takes a splat twin's frames as a model's.

Colour: a splat's colour is fitted to the capture's photographs, whose values are
sRGB-encoded, and 3DGS blends it as it is; so the blended, premultiplied colour is the
picture's sRGB colour over black, and ``linear`` is that decoded (the resampler
averages light).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from . import splat_kernel as kernel
from .buffers import cache_aligned
from .renderer import DEFAULT_SUPERSAMPLE, TILE, RenderedPicture

# (tile, splat) entries one frame may list (4 bytes each): 1,000,000 splats of the
# benchmark's synthetic twin seen whole at 672 px make 1.7 million; a crafted file of
# huge splats in front of the camera could ask for splats x tiles
MAX_ENTRIES = 1 << 26


class SplatRenderer:
    """Draws splats at ``size`` = (width, height) pixels, ``supersample`` x
    ``supersample`` sub-samples a pixel; keeps its buffers between frames. ``path``:
    the file the splats came from, named in its errors."""

    def __init__(self, size: tuple[int, int], supersample: int | None = None, path: str | None = None):
        self.width, self.height = (int(v) for v in size)
        self.path = path  # the splats' file, named in errors
        s = DEFAULT_SUPERSAMPLE if supersample is None else int(supersample)
        if s not in (1, 2, 3, 4):
            raise InputError(f"supersample must be 1, 2, 3 or 4 (per side), got {supersample!r}")
        self.supersample = s
        self._projected: tuple | None = None

    def _buffers(self, n: int) -> tuple:
        """project_blocks' output arrays for ``n`` splats, kept between frames."""
        if self._projected is None or self._projected[0].shape[0] < n:
            self._projected = (
                np.empty((n, 2)),
                np.empty((n, 3)),
                np.empty((n, 3)),
                np.empty(n),
                np.empty(n),
                np.empty((n, 4), np.int32),
            )
        return tuple(a[:n] for a in self._projected)

    def blend(self, splats, view: np.ndarray, projection: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(colour (H, W, 3) float64 premultiplied over black, transmittance (H, W)
        float64) at the sub-sample resolution: what splat_reference.render computes."""
        s = self.supersample
        width, height = self.width * s, self.height * s
        view = np.ascontiguousarray(view, np.float64)
        projection = np.ascontiguousarray(projection, np.float64)
        eye = np.linalg.inv(view)[:3, 3].copy()
        arrays = tuple(
            np.ascontiguousarray(a, np.float32)
            for a in (splats.means, splats.scales, splats.rotations, splats.opacities, splats.sh)
        )
        projected = self._buffers(len(arrays[0]))
        kernel.project(arrays, (view, projection, eye), (width, height), projected)
        depth, box = projected[4], projected[5]
        visible = np.flatnonzero(box[:, kernel.X0] >= 0)
        order = np.empty(len(visible), np.int64)
        scratch = (
            np.empty(len(visible), np.uint64),
            np.empty(len(visible), np.uint64),
            np.empty(len(visible), np.int64),
        )
        kernel.depth_order(
            depth.view(np.uint64), visible.astype(np.int64), order, scratch, np.empty(1 << 16, np.int64)
        )
        ntx, nty = -(-width // kernel.TILE), -(-height // kernel.TILE)
        boxes = np.empty((len(order), 4), np.int32)
        kernel.gather_boxes(order, box, boxes)
        entries = kernel.tile_entries(boxes)
        if entries > MAX_ENTRIES:
            raise InputError(
                f"the splats cover {entries:,} tiles of the picture, more than the {MAX_ENTRIES:,} "
                "one frame draws: tens of thousands of splats larger than the picture (a broken "
                "capture, or a camera placed inside it with --distance)",
                self.path,
            )
        tile_start = np.empty(ntx * nty + 1, np.int64)
        tile_list = np.empty(max(1, entries), np.int32)
        kernel.bin_tiles(order, boxes, ntx, tile_start, tile_list)
        # threads blend neighbouring tiles at once: rows that share no cache line
        colour = cache_aligned((height, width, 3), np.float64)
        transmittance = cache_aligned((height, width), np.float64)
        kernel.blend((tile_start, tile_list), (ntx, nty, width, height), projected, colour, transmittance)
        return colour, transmittance

    def draw(self, splats, view: np.ndarray, projection: np.ndarray) -> RenderedPicture:
        """The picture of ``splats`` seen through ``view`` and ``projection`` ((4, 4)
        OpenGL matrices)."""
        colour, transmittance = self.blend(splats, view, projection)
        s, w, h = self.supersample, self.width, self.height
        color = np.empty((h, w, 3), np.uint8)
        linear = np.empty((h, w, 3), np.float32)
        alpha = np.empty((h, w), np.float32)
        kernel.resolve(s, colour, transmittance, (color, linear, alpha))
        th, tw = -(-h // TILE), -(-w // TILE)
        lit = np.zeros((th * TILE, tw * TILE), bool)
        lit[:h, :w] = linear.any(axis=2)
        tiles = lit.reshape(th, TILE, tw, TILE).any(axis=(1, 3))
        # splats write no depth (they are translucent): the far plane everywhere
        depth = np.ones((h, w), np.float32)
        return RenderedPicture(color=color, depth=depth, linear=linear, alpha=alpha, tiles=np.asarray(tiles))
