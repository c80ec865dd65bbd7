"""The wall's canvas at each frame: one render (or one fitted picture) for all fans.

A 3D model is framed into the canvas rectangle with the camera fixed over the whole
clip (the same fitting as a single fan's, pipeline.SceneSource), upright and centred
with a margin: the fitted sphere fills the rectangle's shorter side. Only the tiles
under some fan's circle are rasterised. A Gaussian splat twin is framed as a single
fan's (pipeline.SplatSource) and drawn by the splat renderer at the canvas's size. A picture or video is fitted to the canvas
rectangle, aspect kept and centred (CanvasGeometry.picture_fit), in linear light.

A video processed by the fan's options (--key, --crop, --loop, --levels: holopack.video)
is processed straight onto the canvas's pixel grid (canvas_cut): the keyer's square
output holds the part of the canvas the clip covers in its top-left corner, so its
pixels are the canvas's, resampled once (as a single fan's are), and the keyed picture
needs no second fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..animate.orientation import decide
from ..colour import SRGB8_TO_LINEAR
from ..pipeline import SceneSource, Timeline, VideoSource, as_lights
from ..pipeline.frames import SplatSource, frame_lights
from ..rendering.camera import Camera, Framing
from ..scene.scene import Scene
from .canvas import CanvasGeometry
from .fit_kernel import fit_codes

if TYPE_CHECKING:
    from ..rendering import Renderer
    from ..rendering.splats import SplatRenderer
    from ..video.crop import Placement


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

    def __init__(
        self,
        scene: Scene,
        timeline: Timeline,
        geometry: CanvasGeometry,
        tile_mask: np.ndarray,
        *,
        framing: Framing | None = None,
        supersample: int = 1,
        lights=None,
        shading: str = "lit",
        front: str = "auto",
        up: str = "auto",
        environment: str | None = None,
        tone_mapping: str | None = None,
        exposure: float = 1.0,
        model_lights: bool = False,
        variant: str | int | None = None,
        cut: CanvasCut | None = None,
    ):
        scene = scene.with_variant(variant)  # a no-op when WallPlan has chosen it already
        self.scene = scene
        self.cut = cut  # a processed clip's place on the canvas (canvas_cut)
        self.timeline = timeline
        self.geometry = geometry
        self.tile_mask = tile_mask
        self.width, self.height = geometry.width, geometry.height
        # the single-fan source fits the camera over the clip and reads media; the wall
        # draws with its own canvas-sized renderer (SceneSource's stays unbuilt)
        self._video = VideoSource(scene, timeline, 8, framing=framing) if scene.is_media else None
        self._taps: tuple | None = None  # (picture size, canvas_taps) of the last fitted picture
        self._turntable: _CameraOnly | None = None
        self.renderer: Renderer | None = None
        self.splat_renderer: SplatRenderer | None = None
        if scene.is_splats:
            from ..rendering.splats import SplatRenderer  # the splat kernels: imported where drawn

            self._turntable = _SplatCameraOnly(scene, timeline, framing or Framing(), front, up)
            self.splat_renderer = SplatRenderer(
                (self.width, self.height), supersample=supersample, path=scene.path
            )
        elif not scene.is_media:
            from ..rendering import Renderer

            self._turntable = _CameraOnly(scene, timeline, framing or Framing(), front, up)
            self.renderer = Renderer(
                (self.width, self.height), supersample=supersample, lights=as_lights(lights)
            )
            self.renderer.restrict_tiles(tile_mask)
        self.shading = shading
        self.environment = environment
        self.tone_mapping = tone_mapping
        self.exposure = exposure
        self.model_lights = model_lights
        self._rig = self.renderer.lights if self.renderer is not None else None

    def lights_at(self, index: int):
        """The lights frame ``index`` is drawn with: the model's own lights in the
        canvas camera's view (--model-lights, where it has some), else the rig."""
        return frame_lights(self, index, self._rig)

    def _camera_only(self) -> _CameraOnly:
        assert self._turntable is not None  # views and projection serve a model scene only
        return self._turntable

    def view_at(self, index: int) -> np.ndarray:
        return self._camera_only().view_at(index)

    @property
    def projection(self) -> np.ndarray:
        return canvas_projection(self._camera_only().camera.projection, self.width, self.height)

    def frame(self, index: int) -> CanvasFrame:
        if self._video is not None:
            return self._media(self._video, index)
        if self.splat_renderer is not None:
            return self._splats(self.splat_renderer, index)
        assert self.renderer is not None  # made with the camera for a model scene
        tl = self.timeline
        posed = self.scene.pose(tl.animation, tl.anim_time(index))
        self.renderer.lights = self.lights_at(index)
        frame = self.renderer.draw(
            posed,
            self.scene.materials,
            self.scene.textures,
            self.view_at(index),
            self.projection,
            shading=self.shading,
            environment=self.environment,
            tone_mapping=self.tone_mapping,
            exposure=self.exposure,
        )
        assert frame.tiles is not None  # the renderer always reports its tiles
        return CanvasFrame(linear=frame.shown_light(), tiles=frame.tiles, color=frame.color)

    def _splats(self, renderer: SplatRenderer, index: int) -> CanvasFrame:
        """The splats drawn over the whole canvas (the splat renderer bins its own tiles
        and skips the empty ones); light between the fans is never sampled, and only
        the tiles under a fan are reported."""
        splats = self.scene.splats
        frame = renderer.draw(splats, self.view_at(index), self.projection)
        assert frame.tiles is not None  # the splat renderer always reports its tiles
        return CanvasFrame(linear=frame.linear, tiles=frame.tiles & self.tile_mask, color=frame.color)

    def _media(self, video: VideoSource, index: int) -> CanvasFrame:
        picture = video.frame_at(index)
        cut = self.cut
        if cut is not None:  # processed on the canvas's grid: copied, not resampled again
            linear = np.zeros((self.height, self.width, 3), np.float32)
            h, w = cut.y1 - cut.y0, cut.x1 - cut.x0
            linear[cut.y0 : cut.y1, cut.x0 : cut.x1] = SRGB8_TO_LINEAR[picture[:h, :w]]
        else:
            size = picture.shape[:2]
            if self._taps is None or self._taps[0] != size:  # once per picture size
                self._taps = (size, canvas_taps(size[1], size[0], self.geometry))
            linear = fit_to_canvas(picture, self.geometry, self._taps[1])
        return CanvasFrame(linear=linear, tiles=self.tile_mask.copy())


class _CameraOnly(SceneSource):
    """SceneSource's camera fitting and turntable views, without its square renderer."""

    def __init__(self, scene: Scene, timeline: Timeline, framing: Framing, front: str, up: str):
        self.scene = scene
        self.timeline = timeline
        self.framing = framing
        # the model turned to face the viewer, as a single fan's export turns it
        self.orientation = decide(scene, front, up)
        self._model = self.orientation.matrix4()
        self.camera: Camera = self._fit_camera()


class _SplatCameraOnly(_CameraOnly, SplatSource):
    """SplatSource's camera fitting (over the splats' extent) and turntable views,
    without its square renderer."""

    def __init__(self, scene: Scene, timeline: Timeline, framing: Framing, front: str, up: str):
        assert scene.splats is not None  # made for a splat scene only
        self.splats = scene.splats  # what SplatSource._fit_camera frames
        super().__init__(scene, timeline, framing, front, up)


@dataclass(frozen=True)
class CanvasCut:
    """Where a processed clip lands on the canvas: its frames, uint8 (S, S, 3) by
    ``placement`` (a video.crop.Placement), hold canvas pixels [y0, y1) x [x0, x1) in
    their top-left corner; the canvas is black elsewhere."""

    placement: Placement
    x0: int
    y0: int
    x1: int
    y1: int


def canvas_cut(box, width: int, height: int, geometry: CanvasGeometry, margin: float) -> CanvasCut:
    """A clip of width x height source pixels placed by the wall's rule: ``box`` (x0, y0,
    x1, y1 source pixels, x1/y1 exclusive) fitted into the canvas rectangle shrunk by
    ``margin`` (a fraction of each half side, as a single fan's circle is shrunk by a
    fraction of its radius), aspect kept, its centre at the rectangle's centre, at the
    canvas's own resolution. ``--crop fit`` is the whole frame as the box with no margin
    (CanvasGeometry.picture_fit's rule), ``--crop auto`` the subject's extent over the
    clip, fixed for the clip.

    The processed square covers only the part of the canvas the clip lands on, not the
    whole canvas: on a row of three fans a 16:9 clip fitted by the height covers 1.8 of
    the canvas's 3 heights, and keying a square as wide as the canvas cost 145 instead
    of 67 CPU ms per frame on the 1080p bench clip (with --crop auto, 201 instead of
    170; benchmarks/results/2026-12-05/wall-key-cut.txt). With --crop auto the square
    still reaches past the canvas on its shorter side where the zoomed clip does, and
    that part is keyed and not shown."""
    from ..video.crop import Placement

    bx0, by0, bx1, by1 = box
    w_px = (geometry.right - geometry.left) * geometry.px_per_mm
    h_px = (geometry.top - geometry.bottom) * geometry.px_per_mm
    scale = max(1e-3, 1.0 - margin) * min(w_px / max(1.0, bx1 - bx0), h_px / max(1.0, by1 - by0))
    ox = w_px / 2.0 - 0.5 * (bx0 + bx1) * scale  # canvas x of source x = 0
    oy = h_px / 2.0 - 0.5 * (by0 + by1) * scale
    x0 = min(geometry.width - 1, max(0, math.floor(ox)))
    y0 = min(geometry.height - 1, max(0, math.floor(oy)))
    x1 = max(x0 + 1, min(geometry.width, math.ceil(ox + width * scale)))
    y1 = max(y0 + 1, min(geometry.height, math.ceil(oy + height * scale)))
    side = max(x1 - x0, y1 - y0)
    return CanvasCut(Placement(scale, ox - x0, oy - y0, side), x0, y0, x1, y1)


def box_taps(n_src: int, n_dst: int, scale: float, offset: float) -> tuple[np.ndarray, np.ndarray]:
    """1D exact area weights: destination pixel d covers [d, d+1], source pixel i covers
    [offset + i*scale, offset + (i+1)*scale] (destination units). Returns (index int64
    (T, n_dst), weight float32 (T, n_dst)): out[d] = sum_t weight[t, d] * src[index[t, d]],
    the source averaged over each destination pixel (black where it has no source)."""
    d = np.arange(n_dst, dtype=np.float64)
    first = np.floor((d - offset) / scale).astype(np.int64)
    taps = int(math.ceil(1.0 / scale)) + 2
    index = first[None, :] + np.arange(taps)[:, None]
    lo = np.maximum(offset + index * scale, d[None, :])
    hi = np.minimum(offset + (index + 1) * scale, d[None, :] + 1.0)
    weight = np.clip(hi - lo, 0.0, None)
    weight[(index < 0) | (index >= n_src)] = 0.0
    return np.clip(index, 0, n_src - 1), weight.astype(np.float32)


def canvas_taps(width: int, height: int, geometry: CanvasGeometry):
    """The box filter's taps that fit a picture of width x height pixels to the canvas
    by the fit rule (scaled to fit the canvas rectangle, aspect kept, centred): (ix, wx)
    for the canvas columns and (iy, wy) for its rows, as box_taps gives them."""
    scale_mm, left_mm, top_mm = geometry.picture_fit(width, height)
    k = scale_mm * geometry.px_per_mm  # canvas px per picture px
    ix, wx = box_taps(width, geometry.width, k, (left_mm - geometry.left) * geometry.px_per_mm)
    iy, wy = box_taps(height, geometry.height, k, (geometry.top - top_mm) * geometry.px_per_mm)
    return ix, wx, iy, wy


def fit_to_canvas(picture: np.ndarray, geometry: CanvasGeometry, taps: tuple | None = None) -> np.ndarray:
    """A picture uint8 (h, w, 3) of sRGB codes -> float32 (H, W, 3) linear light on the
    canvas, by the fit rule: scaled to fit the canvas rectangle, aspect kept, centred,
    black around. ``taps``: canvas_taps for the picture's size, when the caller keeps them.

    Each canvas pixel is the exact average of the picture's linear light over its
    square (a box filter with sub-pixel placement, separable: columns, then rows), so
    LED cells that average canvas pixels see the picture's own averages; where the
    picture is finer than the canvas nothing aliases, where it is coarser its pixels
    are shown as squares (holopack.wall.fit_kernel).
    """
    h, w = picture.shape[:2]
    ix, wx, iy, wy = taps if taps is not None else canvas_taps(w, h, geometry)
    return fit_codes(picture, SRGB8_TO_LINEAR, ix, wx, iy, wy, geometry.width, geometry.height)
