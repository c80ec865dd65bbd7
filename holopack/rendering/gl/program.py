"""Thin OpenGL 3.3 core helpers for drawing with holopack's GLSL files: shader
programs read from ``shaders/``, one unit quad that every full-picture pass is drawn
with, and framebuffer read-back.

Everything here must be called on the thread whose GL context is current (a window's,
or a standalone one from ``holopack.rendering.gl.standalone``).
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np
from OpenGL import GL

from ... import resources
from ...errors import HolopackError

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
        raise HolopackError(f"the OpenGL shader files are missing: {exc}") from None


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
        self.files = (vertex_file, fragment_file) + tuple(libraries)  # what it was built from
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
