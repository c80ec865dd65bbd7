"""A GL 3.3 core context without a window, for ``SceneDrawer`` (holopack bench's
render peer): moderngl's standalone EGL context, on Mesa's llvmpipe where there is no
GPU.

PyOpenGL chooses how it loads GL functions on its first import (GLX by default on X11);
a GLX-loaded PyOpenGL cannot see an EGL context ("no valid context"), so the platform
is settled as EGL before OpenGL is imported, as the preview's window does for
HOLOPACK_GL_API=egl.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from ...errors import HolopackError

PLATFORM_ENV = "PYOPENGL_PLATFORM"


def standalone_context() -> Any:
    """A moderngl standalone context (EGL, GL 3.3 core), current on this thread; the
    caller releases it. Raises ImportError without moderngl, HolopackError when PyOpenGL
    was already loaded for another platform in this process."""
    import moderngl  # optional (the bench extra): only the bench's peer needs it

    if "OpenGL" not in sys.modules:
        _load_pyopengl_for_egl()
    from OpenGL import platform  # heavy, and loaded only where GL draws

    if "egl" not in type(platform.PLATFORM).__name__.lower():
        raise HolopackError(
            f"PyOpenGL was loaded for {type(platform.PLATFORM).__name__} in this process; "
            f"set {PLATFORM_ENV}=egl to draw without a window"
        )
    # moderngl's stubs type every **settings value as a dict; backend takes a str
    return moderngl.create_standalone_context(backend="egl", require=330)  # type: ignore[arg-type]


def _load_pyopengl_for_egl() -> None:
    """Import PyOpenGL with the EGL platform, which it reads once, on its first import;
    the variable is not left set for the subprocesses this one starts."""
    saved = os.environ.get(PLATFORM_ENV)
    os.environ[PLATFORM_ENV] = saved or "egl"
    try:
        import OpenGL.GL  # noqa: F401 (the import settles the platform)
    finally:
        if saved is None:
            del os.environ[PLATFORM_ENV]
