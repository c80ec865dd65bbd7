"""``holopack preview --wall``: a window showing the whole wall playing, as a viewer sees it.

Each frame goes through the same code as ``export --wall`` (WallPlan: one canvas
render, every fan's own codes) and is drawn by WallPreview (every fan's LEDs at its
place and turn). Space pauses, Esc or q quits. ``frames`` runs that many frames and
quits (one clip frame per window frame, so runs are reproducible); ``screenshot``
saves the window as a PNG before quitting.
"""

from __future__ import annotations

import os
import time

from .. import options
from ..errors import HolopackError
from ..pipeline import ExportSettings, default_twin
from ..scene.load import load
from .export import WallPlan
from .layout import load_wall
from .preview import WallPreview

WINDOW_LONG_SIDE = 900


def run_wall_preview(
    input_path=None,
    wall_path: str = "",
    *,
    animation=None,
    frames: int | None = None,
    screenshot: str | None = None,
    video: dict | None = None,
    look: dict | None = None,
) -> int:
    """``video``: key/crop/loop/levels for video input (holopack.video), as ExportSettings
    takes them (export --wall's own options and defaults); ``look``: the shading options
    and the material variant as the command line gives them (holopack.options.LOOK_OPTIONS;
    None or absent: export's defaults)."""
    from ..preview.window import NO_DISPLAY_HELP, _glfw, check_display, gl_api

    check_display()
    wall = load_wall(wall_path)  # a bad wall file fails before any window opens
    scene = load(os.fspath(input_path) if input_path else default_twin())
    shading = options.settings_fields(look or {})[0]
    plan = WallPlan(scene, wall, ExportSettings(animation=animation, **(video or {}), **shading))
    shower = WallPreview(plan.geometry, size=WINDOW_LONG_SIDE)
    glfw = _glfw()
    errors: list[str] = []
    glfw.set_error_callback(
        lambda code, message: errors.append(
            message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        )
    )
    if not glfw.init():
        raise HolopackError(NO_DISPLAY_HELP.format(why=errors[-1] if errors else "no display"))
    try:
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        if gl_api() == "egl":
            glfw.window_hint(glfw.CONTEXT_CREATION_API, glfw.EGL_CONTEXT_API)
        window = glfw.create_window(shower.width, shower.height, f"holopack wall: {wall.name}", None, None)
        if not window:
            raise HolopackError(NO_DISPLAY_HELP.format(why=errors[-1] if errors else "no OpenGL 3.3 context"))
        glfw.make_context_current(window)
        glfw.swap_interval(0)
        state = {"paused": False}

        def on_key(win, key, scancode, action, mods):
            if action != glfw.PRESS:
                return
            if key in (glfw.KEY_ESCAPE, glfw.KEY_Q):
                glfw.set_window_should_close(win, True)
            elif key == glfw.KEY_SPACE:
                state["paused"] = not state["paused"]

        glfw.set_key_callback(window, on_key)
        return _loop(glfw, window, plan, shower, frames, screenshot, state)
    finally:
        glfw.terminate()


def _loop(glfw, window, plan: WallPlan, shower: WallPreview, frames, screenshot, state) -> int:
    from OpenGL import GL

    from ..preview import gl

    program = gl.Program("quad.vert", "image.frag")
    texture = gl.Texture()
    quad = gl.Quad()
    total = plan.timeline.frame_count
    start = time.perf_counter()
    index = shown = 0
    while not glfw.window_should_close(window):
        if frames is None and not state["paused"]:
            index = int((time.perf_counter() - start) * plan.fps) % total
        texture.upload(shower.picture(plan.fan_frames(index)))
        w, h = glfw.get_framebuffer_size(window)
        GL.glViewport(0, 0, w, h)
        GL.glClearColor(0.0, 0.0, 0.0, 1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)
        program.use()
        program.set("u_rect", -1.0, -1.0, 1.0, 1.0)
        program.set_int("u_image", 0)
        texture.bind(0)
        quad.draw()
        shown += 1
        if frames is not None:
            index = shown % total
            if shown >= frames:
                if screenshot:
                    _save(GL, gl, w, h, screenshot)
                break
        glfw.swap_buffers(window)
        glfw.poll_events()
    return 0


def _save(GL, gl, width: int, height: int, path: str) -> None:
    from PIL import Image

    from ..atomic import atomic_output

    GL.glFinish()
    GL.glReadBuffer(GL.GL_BACK)
    picture = gl.read_pixels(width, height)
    try:
        with atomic_output(path) as temp:
            Image.fromarray(picture).save(temp, format="PNG")
    except OSError as exc:
        raise HolopackError(f"cannot write the screenshot: {exc.strerror}", path) from None
