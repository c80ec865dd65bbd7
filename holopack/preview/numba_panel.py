"""The live panel drawn by holopack's own renderer, for windows on a software OpenGL.

``NumbaDrawer`` stands in for ``holopack.rendering.gl.scene.SceneDrawer`` in
``LiveRender``: the same ``draw`` arguments, a texture for the window's image shader,
``read_linear`` for the fan view. It draws with ``holopack.rendering.Renderer``, the
renderer export writes its files with, and uploads the finished sRGB picture.

Why: on Mesa's software rasteriser (llvmpipe) a draw costs per triangle what a GPU
does not: FlightHelmet's panel (95k textured triangles) took 31.5 CPU ms a draw at 336
px through the window's OpenGL against 11.3 ms through holopack's renderer
(``benchmarks/profile_preview_frame.py --live-panel gl|numba``, load average 4-5). The
playing preview, the two drawers in turns (``benchmarks/bench_preview.py --live-panel gl
numba --compare-load 1``, 2026-12-04 23:01, nothing else running,
``benchmarks/results/2026-12-04/preview-live-panel.txt``): FlightHelmet's UI 58.9 fps
against 40.2 (22.0 CPU ms a UI frame against 37.1), under ``--load 1`` 43.2 against
28.3 with the fan view at 29.9 against 27.8 fps; the default twin alike in frames
(58.2 against 58.5 idle, 58.5 against 56.3 under load). Its picture is export's by
construction.
"""

from __future__ import annotations

import numpy as np

from ..rendering import Renderer
from ..rendering.renderer import RenderedPicture
from ..rendering.shading import Lights
from . import gl


class NumbaDrawer:
    """Draws posed scenes into a square picture with holopack's renderer.

    ``picture`` (a gl.Texture) holds the last draw, top row first; ``size`` is its
    (width, height). Must be used on the thread whose GL context is current."""

    # dynamic resolution's scale is rounded up to eighths for this drawer (LiveRender.draw),
    # so that the panel reuses a few renderers (each holds its own per-pixel buffers)
    SCALE_STEPS = 8

    def __init__(self) -> None:
        self._texture = gl.Texture(smooth=True)
        self._renderers: dict[tuple[int, int, int], Renderer] = {}
        self._frame: RenderedPicture | None = None  # the last draw
        self.size = (0, 0)

    def draw(
        self,
        posed,
        materials,
        textures,
        view,
        projection,
        size: tuple[int, int],
        *,
        supersample: int = 1,
        lights=None,
        shading: str = "lit",
        linear: bool = False,
        tone_mapping: str | None = None,
        exposure: float = 1.0,
        environment=None,
    ) -> gl.Texture:
        """As SceneDrawer.draw; ``linear`` changes nothing (the renderer always keeps
        the linear light)."""
        width, height = int(size[0]), int(size[1])
        key = (width, height, int(supersample))
        renderer = self._renderers.get(key)
        if renderer is None:
            shared = next(iter(self._renderers.values()), None)
            # one decoded copy of each texture for every size (FlightHelmet's 14 took a
            # second to decode again for each new size)
            pool = shared.textures if shared is not None else None
            renderer = self._renderers[key] = Renderer((width, height), supersample, textures=pool)
        renderer.lights = lights if lights is not None else Lights()
        frame = renderer.draw(
            posed,
            materials,
            textures,
            view,
            projection,
            shading,
            tone_mapping=tone_mapping,
            exposure=exposure,
            environment=environment,
        )
        self._frame = frame
        self._texture.upload(frame.color)
        self.size = (width, height)
        return self._texture

    @property
    def picture(self) -> gl.Texture:
        return self._texture

    def read_linear(self, out: np.ndarray | None = None) -> np.ndarray:
        """The last draw's linear light as SceneDrawer.read_linear gives it: float32
        (H, W, 4) RGBA, premultiplied over black, bottom row first."""
        frame = self._frame
        assert frame is not None, "nothing drawn yet"
        height, width = frame.linear.shape[:2]
        shape = (height, width, 4)
        if out is None:
            out = np.empty(shape, np.float32)
        if out.shape != shape or out.dtype != np.float32 or not out.flags.c_contiguous:
            raise ValueError(f"out must be C-contiguous float32 {shape}, got {out.shape}")
        out[..., :3] = frame.linear[::-1]
        out[..., 3] = frame.alpha[::-1]
        return out

    def release(self) -> None:
        self._renderers.clear()
        self._frame = None
