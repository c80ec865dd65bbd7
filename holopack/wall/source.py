"""The wall's canvas at each frame: one render (or one fitted picture) for all fans.

A 3D model is framed into the canvas rectangle with the camera fixed over the whole
clip (the same fitting as a single fan's, pipeline.FrameSource), upright and centred
with a margin: the fitted sphere fills the rectangle's shorter side. Only the tiles
under some fan's circle are rasterised. A picture or video is fitted to the canvas
rectangle, aspect kept and centred (CanvasGeometry.picture_fit), in linear light.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..colour import SRGB8_TO_LINEAR
from ..pipeline import FrameSource, Timeline, _lights
from ..render import TILE
from ..render.camera import Framing
from ..scene.scene import Scene
from .canvas import CanvasGeometry


@dataclass
class CanvasFrame:
    """linear: float32 (H, W, 3) linear light, row 0 at the top; tiles: bool
    (ceil(H/TILE), ceil(W/TILE)), the tiles that may hold light; color: uint8 (H, W, 3)
    sRGB or None (computed only where a renderer gives it for free)."""

    linear: np.ndarray
    tiles: np.ndarray
    color: np.ndarray | None = None


def canvas_projection(projection: np.ndarray, width: int, height: int) -> np.ndarray:
    """A square view's projection (4, 4) widened to a width x height canvas: the
    square's field of view is kept on the shorter side (perspective or orthographic)."""
    out = np.array(projection, np.float64)
    aspect = width / height
    if aspect >= 1.0:
        out[0, :] /= aspect
    else:
        out[1, :] *= aspect
    return out


class CanvasSource:
    """``frame(index)`` -> CanvasFrame for a scene on a wall's canvas.

    tile_mask: bool (ceil(H/TILE), ceil(W/TILE)) of the tiles under some fan's circle
    (ownership.owned_tiles); only those are rasterised.
    """

    def __init__(self, scene: Scene, timeline: Timeline, geometry: CanvasGeometry, tile_mask: np.ndarray,
                 *, framing: Framing | None = None, supersample: int = 1, lights=None,
                 shading: str = "lit"):
        self.scene = scene
        self.timeline = timeline
        self.geometry = geometry
        self.tile_mask = tile_mask
        self.width, self.height = geometry.width, geometry.height
        # the single-fan source fits the camera over the clip and reads media; the wall
        # draws with its own canvas-sized renderer (FrameSource's stays unbuilt: size 8)
        self._square = FrameSource(scene, timeline, 8, framing=framing, supersample=1,
                                   lights=lights, shading=shading) if scene.is_media else None
        self.renderer = None
        if not scene.is_media:
            from ..render import Renderer

            self._square = _CameraOnly(scene, timeline, framing or Framing())
            self.renderer = Renderer((self.width, self.height), supersample=supersample,
                                     lights=_lights(lights))
            self.renderer.restrict_tiles(tile_mask)
        self.shading = shading
        self._fit = None

    def view_at(self, index: int) -> np.ndarray:
        return self._square.view_at(index)

    @property
    def projection(self) -> np.ndarray:
        return canvas_projection(self._square.camera.projection, self.width, self.height)

    def frame(self, index: int) -> CanvasFrame:
        if self.scene.is_media:
            return self._media(index)
        tl = self.timeline
        posed = self.scene.pose(tl.animation, tl.anim_time(index))
        frame = self.renderer.draw(posed, self.scene.materials, self.scene.textures,
                                   self.view_at(index), self.projection, shading=self.shading)
        return CanvasFrame(linear=frame.linear, tiles=frame.tiles, color=frame.color)

    def _media(self, index: int) -> CanvasFrame:
        picture = self._square._media_frame_at(index)
        linear = fit_to_canvas(SRGB8_TO_LINEAR[picture], self.geometry)
        return CanvasFrame(linear=linear, tiles=self.tile_mask.copy())


class _CameraOnly(FrameSource):
    """FrameSource's camera fitting and turntable views, without its square renderer."""

    def __init__(self, scene: Scene, timeline: Timeline, framing: Framing):
        self.scene = scene
        self.timeline = timeline
        self.framing = framing
        self.camera = self._fit_camera()


def fit_to_canvas(linear: np.ndarray, geometry: CanvasGeometry) -> np.ndarray:
    """A picture float32 (h, w, 3) linear light -> float32 (H, W, 3) on the canvas, by
    the fit rule: scaled to fit the canvas rectangle, aspect kept, centred, black around.

    Shrinking averages areas (cv2.INTER_AREA to the nearest whole size) and then places
    the result with a sub-pixel affine (bilinear), so the picture lands exactly where
    the rule puts it; enlarging is one bilinear affine.
    """
    import cv2   # heavy; only pictures and videos need it

    h, w = linear.shape[:2]
    scale_mm, left_mm, top_mm = geometry.picture_fit(w, h)
    k = scale_mm * geometry.px_per_mm            # canvas px per picture px
    src = np.ascontiguousarray(linear, np.float32)
    kx = ky = 1.0
    if k < 1.0:
        new_w, new_h = max(1, int(round(w * k))), max(1, int(round(h * k)))
        src = cv2.resize(src, (new_w, new_h), interpolation=cv2.INTER_AREA)
        kx, ky = new_w / w, new_h / h
    # continuous canvas coordinate u = a * (continuous source coordinate) + b; cv2 maps
    # pixel indices (centres at +0.5): u_i = a * x_i + b + 0.5 * a - 0.5
    ax, ay = k / kx, k / ky
    bx = (left_mm - geometry.left) * geometry.px_per_mm
    by = (geometry.top - top_mm) * geometry.px_per_mm
    matrix = np.array([[ax, 0.0, bx + 0.5 * ax - 0.5], [0.0, ay, by + 0.5 * ay - 0.5]], np.float64)
    out = cv2.warpAffine(src, matrix, (geometry.width, geometry.height), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=(0.0, 0.0, 0.0))
    return np.ascontiguousarray(out, np.float32)
