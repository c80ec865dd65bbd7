"""Start a private Xvfb display for tests that open real windows.

Usage: ``with xvfb_display() as display: os.environ["DISPLAY"] = display``. A free
display number is picked by trying to claim one (Xvfb refuses a number whose lock
file exists), so parallel test runs do not collide.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import contextmanager

FIRST_DISPLAY = 140
TRIES = 40


def _socket(number: int) -> str:
    return f"/tmp/.X11-unix/X{number}"


def _taken(number: int) -> bool:
    return os.path.exists(f"/tmp/.X{number}-lock") or os.path.exists(_socket(number))


@contextmanager
def xvfb_display(width: int = 1280, height: int = 720, depth: int = 24):
    """Yield ":N" for a running Xvfb screen of width x height x depth; stop it after."""
    if shutil.which("Xvfb") is None:
        raise RuntimeError("Xvfb is not installed (apt-get install xvfb)")
    proc = None
    display = None
    for number in range(FIRST_DISPLAY + os.getpid() % 50, FIRST_DISPLAY + os.getpid() % 50 + TRIES):
        if _taken(number):
            continue
        proc = subprocess.Popen(
            [
                "Xvfb",
                f":{number}",
                "-screen",
                "0",
                f"{width}x{height}x{depth}",
                "-nolisten",
                "tcp",
                "-noreset",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break  # lost a race for this number: try the next
            if os.path.exists(_socket(number)):
                display = f":{number}"
                break
            time.sleep(0.05)
        if display:
            break
        if proc.poll() is None:
            proc.terminate()
            proc.wait(5)
        proc = None
    if display is None:
        raise RuntimeError("could not start Xvfb on any free display number")
    try:
        yield display
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def display_for_this_process():
    """A private Xvfb display set as DISPLAY for windows opened in the test process.

    The test process also makes EGL contexts (the OpenGL reference renders), after
    which X refuses a GLX context; its windows therefore use EGL (HOLOPACK_GL_API).
    Command-line tests run in a subprocess with the default API; see clean_env().
    """
    with xvfb_display() as name:
        saved = {k: os.environ.get(k) for k in ("DISPLAY", "HOLOPACK_GL_API")}
        os.environ["DISPLAY"] = name
        os.environ["HOLOPACK_GL_API"] = "egl"
        try:
            yield name
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def clean_env(**extra) -> dict:
    """The environment for a holopack subprocess: the platform's default GL API."""
    env = {k: v for k, v in os.environ.items() if k not in ("HOLOPACK_GL_API", "PYOPENGL_PLATFORM")}
    env.update(extra)
    return env


@contextmanager
def hidden_gl_window(title: str):
    """A hidden glfw window's GL 3.3 core context, current, on a private Xvfb display
    (EGL where the test process's windows use it: see display_for_this_process)."""
    with display_for_this_process():
        from holopack.preview.window import _glfw, gl_api

        glfw = _glfw()
        api = gl_api()
        assert glfw.init()
        glfw.window_hint(glfw.VISIBLE, False)
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        if api == "egl":
            glfw.window_hint(glfw.CONTEXT_CREATION_API, glfw.EGL_CONTEXT_API)
        window = glfw.create_window(64, 64, title, None, None)
        assert window
        glfw.make_context_current(window)
        try:
            yield
        finally:
            glfw.destroy_window(window)
            glfw.terminate()
