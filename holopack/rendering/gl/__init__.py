"""The renderer's OpenGL twin: the posed scene drawn by GL with the same shading.

``scene.SceneDrawer`` draws what the Numba renderer draws, with the GLSL files in
``shaders/`` (read through ``program``); the preview's window draws its live panel with
it, and ``holopack bench`` its render peer in a standalone EGL context
(``standalone``). Nothing here is imported by ``holopack.rendering`` itself: PyOpenGL
and moderngl load only where a GL drawing is asked for.
"""
