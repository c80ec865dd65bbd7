"""Thin OpenGL 3.3 core helpers for the preview: shader programs from files, textures
that pictures are streamed into, and one unit quad that every rectangle is drawn with.

Everything here must be called on the thread that owns the GL context (the UI thread).
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np
from OpenGL import GL

from .. import resources
from ..errors import HolopackError

SHADERS_ENV = "HOLOPACK_SHADERS"


def shader_dir() -> Path:
    """Where the GLSL files live.

    In a source checkout they sit in the repository's top-level ``shaders/``; an
    installed wheel carries them as package data (``holopack/shaders``): see
    holopack.resources. ``$HOLOPACK_SHADERS`` overrides both.
    """
    if os.environ.get(SHADERS_ENV):
        candidate = Path(os.environ[SHADERS_ENV])
        if not (candidate / "quad.vert").is_file():
            raise HolopackError(f"${SHADERS_ENV}={candidate} holds no shader files (quad.vert)")
        return candidate
    try:
        return resources.bundled(resources.SHADERS)
    except HolopackError as exc:
        raise HolopackError(f"the preview's shader files are missing: {exc}") from None


def _compile(kind, source: str, name: str) -> int:
    shader = GL.glCreateShader(kind)
    GL.glShaderSource(shader, source)
    GL.glCompileShader(shader)
    if not GL.glGetShaderiv(shader, GL.GL_COMPILE_STATUS):
        log = GL.glGetShaderInfoLog(shader).decode(errors="replace")
        raise HolopackError(f"shader {name} does not compile: {log.strip()}")
    return shader


def _with_defines(source: str, defines: tuple[str, ...], libraries: tuple[str, ...] = ()) -> str:
    """``source`` with ``#define NAME 1`` for each of ``defines``, then the text of each
    of ``libraries`` (shader_dir() files of functions), after its #version line."""
    if not defines and not libraries:
        return source
    version, newline, rest = source.partition("\n")
    head = "".join(f"#define {name} 1\n" for name in defines)
    head += "".join((shader_dir() / name).read_text() + "\n" for name in libraries)
    return version + newline + head + rest


class Program:
    """A linked vertex + fragment program read from ``shader_dir()``. ``defines``: names
    defined for both shaders, choosing a variant of their code at compile time (Mesa's
    software rasteriser runs both sides of a branch on a uniform for every pixel);
    ``libraries``: files of functions the fragment shader calls (see _with_defines)."""

    def __init__(
        self,
        vertex_file: str,
        fragment_file: str,
        defines: tuple[str, ...] = (),
        libraries: tuple[str, ...] = (),
    ):
        folder = shader_dir()
        vertex = _with_defines((folder / vertex_file).read_text(), defines)
        fragment = _with_defines((folder / fragment_file).read_text(), defines, libraries)
        shaders = [
            _compile(GL.GL_VERTEX_SHADER, vertex, vertex_file),
            _compile(GL.GL_FRAGMENT_SHADER, fragment, fragment_file),
        ]
        self.id = GL.glCreateProgram()
        for shader in shaders:
            GL.glAttachShader(self.id, shader)
        GL.glLinkProgram(self.id)
        if not GL.glGetProgramiv(self.id, GL.GL_LINK_STATUS):
            log = GL.glGetProgramInfoLog(self.id).decode(errors="replace")
            raise HolopackError(f"shaders {vertex_file} + {fragment_file} do not link: {log.strip()}")
        for shader in shaders:
            GL.glDeleteShader(shader)
        self._locations: dict[str, int] = {}

    def use(self) -> Program:
        GL.glUseProgram(self.id)
        return self

    def _location(self, name: str) -> int:
        if name not in self._locations:
            self._locations[name] = GL.glGetUniformLocation(self.id, name)
        return self._locations[name]

    def set(self, name: str, *values: float) -> None:
        """Set a float/vecN uniform (silently ignored if the compiler dropped it)."""
        loc = self._location(name)
        if loc < 0:
            return
        {1: GL.glUniform1f, 2: GL.glUniform2f, 3: GL.glUniform3f, 4: GL.glUniform4f}[len(values)](
            loc, *map(float, values)
        )

    def set_int(self, name: str, value: int) -> None:
        loc = self._location(name)
        if loc >= 0:
            GL.glUniform1i(loc, int(value))


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


class Quad:
    """The unit square (0,0)-(1,1) as a triangle strip; quad.vert maps it to u_rect."""

    def __init__(self):
        corners = np.array([0, 0, 1, 0, 0, 1, 1, 1], np.float32)
        self.vao = GL.glGenVertexArrays(1)
        GL.glBindVertexArray(self.vao)
        self.vbo = GL.glGenBuffers(1)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self.vbo)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, corners.nbytes, corners, GL.GL_STATIC_DRAW)
        GL.glEnableVertexAttribArray(0)
        GL.glVertexAttribPointer(0, 2, GL.GL_FLOAT, GL.GL_FALSE, 8, ctypes.c_void_p(0))
        GL.glBindVertexArray(0)

    def draw(self) -> None:
        GL.glBindVertexArray(self.vao)
        GL.glDrawArrays(GL.GL_TRIANGLE_STRIP, 0, 4)


def _read_rgb8(width: int, height: int) -> np.ndarray:
    """The current read buffer as (H, W, 3) uint8 (read-only), in OpenGL's row order."""
    GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
    data = GL.glReadPixels(0, 0, width, height, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
    if not isinstance(data, (bytes, bytearray)):
        data = np.asarray(data, np.uint8).tobytes()
    return np.frombuffer(data, np.uint8).reshape(height, width, 3)


def read_pixels(width: int, height: int) -> np.ndarray:
    """The current read buffer as (H, W, 3) uint8, row 0 = top."""
    return _read_rgb8(width, height)[::-1].copy()


def read_framebuffer(fbo: int, width: int, height: int) -> np.ndarray:
    """Framebuffer ``fbo``'s (H, W, 3) uint8 in its stored row order (row 0 first: the
    offscreen passes store the picture's top row there)."""
    GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, fbo)
    try:
        return _read_rgb8(width, height).copy()
    finally:
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, 0)
