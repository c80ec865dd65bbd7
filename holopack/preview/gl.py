"""Thin OpenGL 3.3 core helpers for the preview: textures that pictures are streamed
into and layers drawn once; shader programs from files and the unit quad that every
rectangle is drawn with come from holopack.rendering.gl.program.

Everything here must be called on the thread that owns the GL context (the UI thread).
"""

from __future__ import annotations

import numpy as np
from OpenGL import GL

# the shader programs, the quad and the read-back are shared with the standalone
# scene drawer (holopack.rendering.gl); the window's own code reaches them here
from ..rendering.gl.program import Program, Quad, read_framebuffer, read_pixels, shader_dir

__all__ = ["Program", "Quad", "RenderTarget", "Texture", "read_framebuffer", "read_pixels", "shader_dir"]


class Texture:
    """A 2D texture holding an (H, W, 3) uint8 picture or an (H, W) uint8 coverage map.

    ``upload`` reuses the storage while the size stays the same (glTexSubImage2D), so
    streaming frames does not reallocate GPU memory each time.
    """

    uv_scale = (1.0, 1.0)  # the picture fills the whole texture

    def __init__(self, smooth: bool = True):
        self.id = GL.glGenTextures(1)
        self.shape: tuple[int, ...] | None = None
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.id)
        filt = GL.GL_LINEAR if smooth else GL.GL_NEAREST
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, filt)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, filt)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_EDGE)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE)

    def upload(self, pixels: np.ndarray) -> None:
        pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
        if pixels.ndim == 2:
            internal, fmt = GL.GL_R8, GL.GL_RED
        elif pixels.ndim == 3 and pixels.shape[2] == 3:
            internal, fmt = GL.GL_RGB8, GL.GL_RGB
        else:
            raise ValueError(f"cannot show a picture of shape {pixels.shape}")
        h, w = pixels.shape[:2]
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.id)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)  # rows of odd width are not 4-aligned
        if self.shape != pixels.shape:
            GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, internal, w, h, 0, fmt, GL.GL_UNSIGNED_BYTE, pixels)
            self.shape = pixels.shape
        else:
            GL.glTexSubImage2D(GL.GL_TEXTURE_2D, 0, 0, 0, w, h, fmt, GL.GL_UNSIGNED_BYTE, pixels)

    def bind(self, unit: int = 0) -> None:
        GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.id)


class RenderTarget:
    """An RGBA texture that GL draws into (a framebuffer object), for layers that are
    costly to draw and change rarely, like the fan overlay."""

    def __init__(self):
        self.texture = Texture(smooth=False)
        self.fbo = GL.glGenFramebuffers(1)
        self.size: tuple[int, int] | None = None

    def begin(self, width: int, height: int) -> None:
        """Bind for drawing at (width, height), cleared to transparent."""
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.texture.id)
        if self.size != (width, height):
            GL.glTexImage2D(
                GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, width, height, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, None
            )
            self.size = (width, height)
            self.texture.shape = (height, width, 4)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
        GL.glFramebufferTexture2D(
            GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D, self.texture.id, 0
        )
        GL.glViewport(0, 0, width, height)
        GL.glDisable(GL.GL_BLEND)  # keep the layer's own alpha, blend it when it is shown
        GL.glClearColor(0.0, 0.0, 0.0, 0.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)

    def end(self, window_width: int, window_height: int) -> None:
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
        GL.glViewport(0, 0, window_width, window_height)
        GL.glEnable(GL.GL_BLEND)
