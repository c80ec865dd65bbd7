"""Rendering a posed scene to a picture with the Numba rasterizer.

``render(scene, view, projection, size)`` draws one frame; ``Renderer`` keeps its
buffers and decoded textures between frames for the export pipeline and the
preview. Conventions: OpenGL matrices (column vectors, the camera looks down -Z,
clip z in [-w, w]), ``size`` = (width, height), row 0 = top of the picture,
black background (black = LED off).

Anti-aliasing renders s x s sub-samples per pixel (``supersample`` 1-4, default
2) and box-filters them; the depth of a pixel is the nearest of its sub-samples.
Translucent (BLEND) triangles are drawn after the opaque ones, sorted back to
front per triangle by their mean depth, without writing depth.
See ``shading`` for the lighting model and what ``shading="unlit"`` computes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import attributes

# name -> submodule; imported on first use (PEP 562), so that the camera and the lights
# (what the option table and the faces need) load without the Numba kernels
_LAZY = {
    "TILE": "renderer",
    "RenderedPicture": "renderer",
    "Renderer": "renderer",
    "render": "renderer",
    "Light": "lights",
    "Lights": "lights",
    "DirectionalLight": "punctual",
    "PointLight": "punctual",
    "SpotLight": "punctual",
}

if TYPE_CHECKING:
    from .lights import Light, Lights
    from .punctual import DirectionalLight, PointLight, SpotLight
    from .renderer import TILE, RenderedPicture, Renderer, render


__getattr__ = attributes(__name__, _LAZY, globals())

__all__ = [
    "RenderedPicture",
    "Renderer",
    "render",
    "Lights",
    "Light",
    "DirectionalLight",
    "PointLight",
    "SpotLight",
    "TILE",
]
