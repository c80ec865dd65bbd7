"""The fan view drawn on the GPU: the viewer simulation as a shader.

For a polar device the window makes the fan view from the picture it has just drawn
(holopack.preview.live): the render worker resamples, dithers and quantises that
picture to the device's codes exactly as export does and returns the LEDs' light as
prefix sums over the slices (PipelineFrames.fan_frame); ``FanDrawer.show`` draws what
a viewer sees of those LEDs (shaders/fan_view.frag, ViewerSimulator's model) into the
fan panel's picture, so the worker's share of a frame is a few milliseconds.

Everything here must be called on the thread that owns the GL context.
"""

from __future__ import annotations

import math

import numpy as np
from OpenGL import GL

from ..errors import HolopackError
from ..rendering.gl.program import Program, Quad, read_framebuffer
from ..rendering.gl.scene import _grown, _Picture, _Target

MAX_BLADES = 8  # shaders/fan_view.frag


class FanDrawer:
    """The fan view of one polar ``profile``, drawn at ``view_size`` pixels (or fewer:
    ``show``'s ``side``)."""

    def __init__(self, profile, view_size: int):
        if not profile.is_polar:
            raise ValueError(f"profile {profile.name!r} is not a polar device")
        if len(profile.blades) > MAX_BLADES:
            raise HolopackError(f"the fan view draws at most {MAX_BLADES} blades, {profile.name} has more")
        self.profile = profile
        self.view_size = int(view_size)
        self.slices, self.columns = profile.slices, profile.columns
        defines: tuple[str, ...] = ("SHARED_DATA",) if profile.blade_data != "per_blade" else ()
        defines += ("LED0_OUTER",) if profile.led0 == "outer" else ()
        self.view_program = Program("quad.vert", "fan_view.frag", defines)
        self._quad = Quad()
        self._view: _Target | None = None
        self.shown_side = self.view_size
        self._cum = GL.glGenTextures(1)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self._cum)
        for name in (GL.GL_TEXTURE_MIN_FILTER, GL.GL_TEXTURE_MAG_FILTER):
            GL.glTexParameteri(GL.GL_TEXTURE_2D, name, GL.GL_NEAREST)
        GL.glTexImage2D(
            GL.GL_TEXTURE_2D, 0, GL.GL_RGBA32F, self.columns, self.slices + 1, 0, GL.GL_RGB, GL.GL_FLOAT, None
        )
        self.picture = _Picture()

    def show(self, cum: np.ndarray, side: int | None = None) -> _Picture:
        """Draw the fan view of the LEDs' light ``cum``: float32 (slices + 1, columns,
        3), prefix sums over the slices of each LED's linear light (a zero row first),
        as ViewerSimulator.render_linear builds them, at ``side`` pixels (default
        ``view_size``). Returns the picture (sRGB, row 0 = top) for the window's image
        shader."""
        if cum.shape != (self.slices + 1, self.columns, 3):
            raise ValueError(f"expected {(self.slices + 1, self.columns, 3)} sums, got {cum.shape}")
        n = self.shown_side = int(side or self.view_size)
        self._view = _grown(self._view, n, n, GL.GL_RGBA8, GL.GL_UNSIGNED_BYTE, depth=False)
        viewport = GL.glGetIntegerv(GL.GL_VIEWPORT)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self._cum)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 4)
        GL.glTexSubImage2D(
            GL.GL_TEXTURE_2D,
            0,
            0,
            0,
            self.columns,
            self.slices + 1,
            GL.GL_RGB,
            GL.GL_FLOAT,
            np.ascontiguousarray(cum, np.float32),
        )
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._view.fbo)
        GL.glViewport(0, 0, n, n)
        GL.glDisable(GL.GL_BLEND)
        p = self.view_program.use()
        pr = self.profile
        radial = np.zeros(MAX_BLADES, np.float32)
        angle = np.zeros(MAX_BLADES, np.float32)
        radial[: len(pr.blades)] = [b.radial_offset for b in pr.blades]
        angle[: len(pr.blades)] = [math.radians(b.angle_deg) for b in pr.blades]
        p.set_int("u_cum", 0)
        p.set_int("u_size", n)
        p.set("u_radius", pr.radius_mm)
        p.set("u_hub", pr.hub_radius_mm)
        p.set("u_pitch", pr.led_pitch_mm)
        p.set("u_half", pr.led_size_mm / 2.0)
        p.set_int("u_leds", pr.leds_per_blade)
        p.set_int("u_blades", len(pr.blades))  # read with per-blade data only
        GL.glUniform1fv(p._location("u_blade_radial"), MAX_BLADES, radial)
        GL.glUniform1fv(p._location("u_blade_angle"), MAX_BLADES, angle)
        p.set("u_theta0", math.radians(pr.slice0_angle_deg))
        p.set("u_step", pr.slice_step_rad)
        p.set("u_rect", -1.0, -1.0, 1.0, 1.0)
        self._quad.draw()
        self._restore(viewport)
        full = self._view.size
        self.picture.id = self._view.texture
        self.picture.shape = (n, n, 4)
        self.picture.uv_scale = (n / full[0], n / full[1])
        return self.picture

    def read_view(self) -> np.ndarray:
        """The last ``show`` as (side, side, 3) uint8 sRGB, row 0 = top."""
        assert self._view is not None, "nothing shown yet"
        n = self.shown_side
        return read_framebuffer(self._view.fbo, n, n)

    @staticmethod
    def _restore(viewport) -> None:
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
        GL.glViewport(*[int(v) for v in viewport])
        GL.glEnable(GL.GL_BLEND)
        GL.glBlendFunc(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)

    def release(self) -> None:
        GL.glDeleteTextures([self._cum])
        if self._view is not None:
            self._view.release()
            self._view = None
