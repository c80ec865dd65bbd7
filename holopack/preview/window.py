"""The preview window: the render and the simulated fan side by side (glfw + GL 3.3 core).

The UI thread handles input, draws the left panel live with its own OpenGL at the
clock's instant (``LiveRender``: the export's posing, camera and shading model), draws
each device frame's picture for the fan view once the worker is free (while playing,
the same render serves the left panel), draws the fan view of the LEDs the worker
returns (``FanDrawer``) and draws rectangles; the resampling, dithering and
quantisation of the fan view happen on the ``RenderWorker`` thread with the export
pipeline's code (and for video input, or before the camera is fitted, the worker
renders the frame itself). Input arrives through glfw callbacks, which scripted runs
and tests call the same way (``press``, ``drag``, ``scroll``).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import HolopackError, InputError
from . import text as text_raster
from .controls import HELP_LINES, Controls
from .overlay import FanGeometry, Layout, Rect
from .source import FramePair
from .worker import RenderWorker

DEFAULT_WINDOW = (1280, 720)
# EXT_texture_sRGB_decode (Mesa offers it everywhere)
GL_TEXTURE_SRGB_DECODE_EXT, GL_SKIP_DECODE_EXT = 0x8A48, 0x8A4A
MAX_UI_FPS = 60.0
WATCH_INTERVAL_S = 0.5
# the status line is redrawn (Pillow, 3-5 ms of the UI thread) four times a second:
# its clock and rates stay readable, and at ten a second it took a UI frame in two
STATUS_INTERVAL_S = 0.25
# a note ("saved ...", "exported ...") stays over the timeline this long; an error, an
# export in progress, a failed export and a deleted input stay while they hold
NOTE_SECONDS = 6.0
NO_DISPLAY_HELP = (
    "cannot open the preview window: {why}. Run it under a virtual display "
    "(xvfb-run holopack preview ...) or write the file directly with holopack export"
)

# keys without a character (glfw.KEY_<name>), as scripts and ``press`` name them
SPECIAL_KEYS = ("LEFT", "RIGHT", "HOME", "END", "ESCAPE", "KP_ADD", "KP_SUBTRACT")
MOUSE_BUTTONS = ("left", "right", "middle")

BACKGROUND = (0.09, 0.09, 0.10)
TEXT_COLOR = (0.92, 0.92, 0.92, 1.0)
ERROR_COLOR = (1.0, 0.45, 0.35, 1.0)
BACKING = (0.0, 0.0, 0.0, 0.65)
BAR_BACK = (0.30, 0.30, 0.32, 1.0)
BAR_FILL = (0.20, 0.55, 0.95, 1.0)
PLAYHEAD = (1.0, 1.0, 1.0, 1.0)
PANEL_FRAME = (0.22, 0.22, 0.24, 1.0)


def gl_api() -> str:
    """HOLOPACK_GL_API=egl makes the window's context through EGL instead of the
    platform's own API (GLX on X11). A process that already made an EGL context (an
    offscreen render with moderngl, say) cannot make a GLX context current: X refuses
    with BadAccess and Xlib exits. PyOpenGL must load its functions the same way and
    chooses on its first import, so this is settled before the window imports OpenGL."""
    api = os.environ.get("HOLOPACK_GL_API", "native").lower()
    if api == "egl":
        os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    return api


def quiet_pyopengl() -> None:
    """Turn off PyOpenGL's glGetError after every call, unless the user set
    PYOPENGL_ERROR_CHECKING: a preview frame makes about 470 GL calls, and the checks
    cost the UI thread 1.2-2.2 ms of its 15-18 ms a frame (default twin, llvmpipe,
    cProfile of 100 ticks in turns). Shader builds check their own status, and the
    setting must be made before PyOpenGL's first import, so the window makes it when
    it opens."""
    import sys

    if "PYOPENGL_ERROR_CHECKING" in os.environ or "OpenGL.GL" in sys.modules:
        return
    import OpenGL

    OpenGL.ERROR_CHECKING = False


def check_display() -> None:
    """Fail at once, before any loading, when there is no display to open a window on."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        raise HolopackError(NO_DISPLAY_HELP.format(why="no display (DISPLAY is not set)"))


def input_name(path: str) -> str:
    """The input's name for the title and the status line: its last part, also for a
    folder of pictures given with a trailing slash (basename would be empty)."""
    return os.path.basename(os.path.normpath(path)) or path


def _glfw():
    try:
        import glfw
    except Exception as exc:  # the library itself (libglfw.so) may be missing
        raise HolopackError(NO_DISPLAY_HELP.format(why=f"glfw is not usable ({exc})")) from None
    return glfw


class _TextBlock:
    """Lines of text kept in a texture that is redrawn only when the lines change."""

    def __init__(self, texture):
        self.texture = texture
        self.lines: tuple[str, ...] | None = None
        self.size = (0, 0)

    def set(self, lines) -> None:
        lines = tuple(lines)
        if lines != self.lines:
            coverage = text_raster.rasterize(lines)
            self.texture.upload(coverage)
            self.lines = lines
            self.size = (coverage.shape[1], coverage.shape[0])


class PreviewWindow:
    """A glfw window previewing ``scene`` (loaded from ``path``) on ``device``.

    frames_factory(scene, device) makes the frame maker (default: PipelineFrames);
    loader(path) reloads the input when it changes on disk (default: holopack's load).
    fixed_dt: seconds each UI frame advances the clock (None: wall time), which makes
    scripted runs reproducible.
    """

    _closed = False
    # the side export renders at (the preview's --size); None: the device's own
    render_size: int | None = None

    def __init__(
        self,
        path: str,
        scene,
        device: str,
        *,
        devices: list[str] | None = None,
        window_size: tuple[int, int] = DEFAULT_WINDOW,
        animation=None,
        loader: Callable | None = None,
        frames_factory: Callable | None = None,
        fixed_dt: float | None = None,
        max_fps: float = MAX_UI_FPS,
        output_dir: str | os.PathLike = ".",
        title: str | None = None,
        live_panel: str = "auto",
    ):
        self.path = os.fspath(path)
        self.live_panel = live_panel
        self.fixed_dt = fixed_dt
        self.max_fps = max_fps
        self.output_dir = Path(output_dir)
        self.messages: list[str] = []
        if loader is None:
            from ..scene.load import load

            loader = load
        if frames_factory is None:
            from .source import PipelineFrames

            frames_factory = PipelineFrames
        glfw = self.glfw = _glfw()
        self._open_window(window_size, title or f"holopack preview - {input_name(self.path)}")
        try:
            self._init_gl()
            self.worker = RenderWorker(self.path, scene, device, loader, frames_factory)
        except BaseException:
            glfw.terminate()
            raise
        try:
            self._init_state(scene, device, devices, animation)
        except BaseException:
            self.close()
            raise

    def _init_state(self, scene, device, devices, animation) -> None:
        self.controls = Controls(devices=list(devices or [device]))
        if device in self.controls.devices:
            self.controls.device_index = self.controls.devices.index(device)
        else:
            self.controls.devices.insert(0, device)
        self.geometry = FanGeometry()
        self._apply_info(self.worker.take_info())
        if not getattr(scene, "is_media", False) and hasattr(scene, "animation_index"):
            # export's choice, also without --animation: all clips together for a file of
            # one clip per joint (the frame maker's last entry, see PipelineFrames); and
            # export's refusal of a clip the file does not have (also when it has none)
            index = scene.animation_index(animation)
            if index is not None and index < len(self.controls.animations):
                self.controls.animation = index
        self._shown_serial = 0
        self._shown_pair: FramePair | None = None
        self._drag: tuple[str, int, float, float] | None = None  # (region, button, x, y)
        self._last_tick = time.perf_counter()
        self._ui_times: list[float] = []
        self._fan_times: list[float] = []
        self._watch_stat = self._stat()
        self._watch_pending = None
        self._watch_next = time.monotonic() + WATCH_INTERVAL_S
        self.frame_count = 0
        self._status_due = 0.0

    # -- setup ------------------------------------------------------------------
    def _open_window(self, size, title) -> None:
        glfw = self.glfw
        errors: list[str] = []
        glfw.set_error_callback(
            lambda code, message: errors.append(
                message.decode(errors="replace") if isinstance(message, bytes) else str(message)
            )
        )
        check_display()
        if not glfw.init():
            why = errors[-1] if errors else "the display could not be opened"
            raise HolopackError(NO_DISPLAY_HELP.format(why=why))
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        glfw.window_hint(glfw.DOUBLEBUFFER, True)
        if gl_api() == "egl":
            glfw.window_hint(glfw.CONTEXT_CREATION_API, glfw.EGL_CONTEXT_API)
        quiet_pyopengl()
        self.window = glfw.create_window(int(size[0]), int(size[1]), title, None, None)
        if not self.window:
            why = errors[-1] if errors else "no OpenGL 3.3 core context"
            glfw.terminate()
            raise HolopackError(NO_DISPLAY_HELP.format(why=why))
        glfw.make_context_current(self.window)
        glfw.swap_interval(0)  # pacing is ours (MAX_UI_FPS); vsync would hide the UI rate
        glfw.set_key_callback(self.window, self._on_key)
        glfw.set_char_callback(self.window, self._on_char)
        glfw.set_mouse_button_callback(self.window, self._on_mouse_button)
        glfw.set_cursor_pos_callback(self.window, self._on_cursor)
        glfw.set_scroll_callback(self.window, self._on_scroll)
        # told on a resize instead of asked every frame: the question is a round trip to
        # the X server, 4-5 ms a frame on a busy two-core machine (cProfile of tick)
        glfw.set_framebuffer_size_callback(self.window, self._on_framebuffer_size)

    def _init_gl(self) -> None:
        from OpenGL import GL

        from . import gl

        self.GL = GL
        self.image_program = gl.Program("quad.vert", "image.frag")
        self.solid_program = gl.Program("quad.vert", "solid.frag")
        self.text_program = gl.Program("quad.vert", "text.frag")
        self.overlay_program = gl.Program("quad.vert", "fan_overlay.frag")
        self.layer_program = gl.Program("quad.vert", "layer.frag")
        self.overlay_layer = gl.RenderTarget()
        self._overlay_key: tuple[int, FanGeometry] | None = None
        self.quad = gl.Quad()
        self.render_texture = gl.Texture(smooth=True)
        self.fan_texture = gl.Texture(smooth=True)
        self._fan_picture = self.fan_texture  # or the live fan view's (FanDrawer.show)
        self.status_text = _TextBlock(gl.Texture(smooth=False))
        self.message_text = _TextBlock(gl.Texture(smooth=False))
        self.help_text = _TextBlock(gl.Texture(smooth=False))
        self.help_text.set(("keys\t",) + HELP_LINES)
        self.live = self._live_render()
        # a picture shown at its own size: each pixel one texel (see _picture)
        self._texel_sampler = GL.glGenSamplers(1)
        for name in (GL.GL_TEXTURE_MIN_FILTER, GL.GL_TEXTURE_MAG_FILTER):
            GL.glSamplerParameteri(self._texel_sampler, name, GL.GL_NEAREST)
        for name in (GL.GL_TEXTURE_WRAP_S, GL.GL_TEXTURE_WRAP_T):
            GL.glSamplerParameteri(self._texel_sampler, name, GL.GL_CLAMP_TO_EDGE)
        # a sampler's own sRGB decode overrides the texture's: the live picture's sRGB
        # texture is shown as its stored bytes, as without the sampler
        GL.glSamplerParameteri(self._texel_sampler, GL_TEXTURE_SRGB_DECODE_EXT, GL_SKIP_DECODE_EXT)
        GL.glEnable(GL.GL_BLEND)
        GL.glBlendFunc(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)

    def _live_render(self):
        """The left panel's live GL render, or None where its shaders do not build
        (the panel then shows the worker's pictures, as for video input)."""
        from .live import LiveRender, panel_drawer

        renderer = (self.GL.glGetString(self.GL.GL_RENDERER) or b"").decode(errors="replace")
        try:
            drawer, fan_scale = panel_drawer(renderer, self.live_panel)
        except HolopackError as exc:
            self.messages.append(f"live render off: {exc}")
            return None
        live = LiveRender(drawer)
        live.fan_scale = fan_scale
        return live

    def _request(self):
        """The request for the worker. With the left panel drawn live the worker only
        makes the fan view, which changes once per device frame: its time is that
        frame's, so the worker starts a new frame at most at the device's rate."""
        request = self.controls.request()
        if self.live is not None and self.live.active and self.controls.fps > 0:
            request = replace(request, time=request.frame_index / self.controls.fps)
        return request

    # -- geometry of the window --------------------------------------------------
    @property
    def framebuffer_size(self) -> tuple[int, int]:
        if self._fb_size is None:
            self._fb_size = tuple(self.glfw.get_framebuffer_size(self.window))
        return self._fb_size

    _fb_size: tuple[int, int] | None = None

    def _on_framebuffer_size(self, window, width, height) -> None:
        self._fb_size = (int(width), int(height))

    @property
    def layout(self) -> Layout:
        w, h = self.framebuffer_size
        return Layout(w, h)

    def _to_framebuffer(self, x: float, y: float) -> tuple[float, float]:
        ww, wh = self.glfw.get_window_size(self.window)
        fw, fh = self.framebuffer_size
        return x * fw / max(ww, 1), y * fh / max(wh, 1)

    # -- input: glfw callbacks ---------------------------------------------------
    _SPECIAL: dict[int, str] | None = None

    def _special_names(self) -> dict[int, str]:
        if PreviewWindow._SPECIAL is None:
            PreviewWindow._SPECIAL = {getattr(self.glfw, f"KEY_{name}"): name for name in SPECIAL_KEYS}
        return PreviewWindow._SPECIAL

    def _on_key(self, window, key, scancode, action, mods) -> None:
        if action not in (self.glfw.PRESS, self.glfw.REPEAT):
            return
        name = self._special_names().get(key)
        if name:
            self.controls.on_special_key(name)

    def _on_char(self, window, codepoint) -> None:
        self.controls.on_char(chr(codepoint))

    def _on_mouse_button(self, window, button, action, mods) -> None:
        glfw = self.glfw
        x, y = self._to_framebuffer(*(self._cursor_override or glfw.get_cursor_pos(self.window)))
        if action == glfw.PRESS:
            region = self.layout.hit(x, y)
            if region is None:
                return
            if region == "timeline":
                if button != glfw.MOUSE_BUTTON_LEFT:
                    return
                self.controls.scrub_to(self.layout.timeline_fraction(x))
            self._drag = (region, button, x, y)
        elif action == glfw.RELEASE and self._drag and self._drag[1] == button:
            self._drag = None

    def _on_cursor(self, window, x, y) -> None:
        if not self._drag:
            return
        x, y = self._to_framebuffer(x, y)
        region, button, x0, y0 = self._drag
        dx, dy = x - x0, y - y0
        self._drag = (region, button, x, y)
        if region == "timeline":
            self.controls.scrub_to(self.layout.timeline_fraction(x))
        elif button == self.glfw.MOUSE_BUTTON_LEFT:
            self.controls.orbit(dx, dy)
        else:
            self.controls.pan(dx, dy, self.layout.panel_px)

    def _on_scroll(self, window, dx, dy) -> None:
        self.controls.zoom(dy)

    # -- input: the same, scripted ------------------------------------------------
    def press(self, name: str) -> None:
        """Type a key: a character ("d", "?", "+") or a special key ("LEFT", "ESCAPE")."""
        if name.upper() in ("SPACE",):
            name = " "
        if len(name) == 1:
            self._on_char(self.window, ord(name))
            return
        codes = {v: k for k, v in self._special_names().items()}
        key = codes.get(name.upper())
        if key is None:
            raise ValueError(f"unknown key {name!r}")
        self._on_key(self.window, key, 0, self.glfw.PRESS, 0)

    def drag(
        self, start: tuple[float, float], end: tuple[float, float], button: str = "left", steps: int = 8
    ) -> None:
        """Press at ``start``, move to ``end`` in ``steps`` and release (window pixels).

        The cursor is placed with glfw.set_cursor_pos, so the callbacks read the same
        positions as from a real mouse.
        """
        glfw = self.glfw
        code = getattr(glfw, f"MOUSE_BUTTON_{button.upper()}")  # one of MOUSE_BUTTONS
        self._move_cursor(*start)
        self._on_mouse_button(self.window, code, glfw.PRESS, 0)
        for i in range(1, steps + 1):
            f = i / steps
            x = start[0] + (end[0] - start[0]) * f
            y = start[1] + (end[1] - start[1]) * f
            self._move_cursor(x, y)
            self._on_cursor(self.window, x, y)
        self._on_mouse_button(self.window, code, glfw.RELEASE, 0)
        self._cursor_override = None

    _cursor_override: tuple[float, float] | None = None

    def _move_cursor(self, x: float, y: float) -> None:
        self.glfw.set_cursor_pos(self.window, x, y)
        # the warp reaches the X server asynchronously: the callbacks use this position
        self._cursor_override = (x, y)

    def scroll(self, notches: float) -> None:
        self._on_scroll(self.window, 0.0, notches)

    def apply_event(self, event: dict) -> None:
        """One scripted event: {"key": "d"}, {"drag": [x0, y0, x1, y1], "button": "left"},
        {"scroll": 2}, {"wait": true}, {"screenshot": "out.png"}."""
        if "key" in event:
            self.press(str(event["key"]))
        if "drag" in event:
            x0, y0, x1, y1 = map(float, event["drag"])
            self.drag((x0, y0), (x1, y1), event.get("button", "left"))
        if "scroll" in event:
            self.scroll(float(event["scroll"]))
        if event.get("wait"):
            self.wait_for_current()
        if "screenshot" in event:
            self.wait_for_current()
            self.save_screenshot(event["screenshot"])

    # -- the loop ---------------------------------------------------------------
    def tick(self, draw: bool = True) -> None:
        """One UI frame: events, clock, reload check, newest frame, draw, swap."""
        glfw = self.glfw
        now = time.perf_counter()
        dt = self.fixed_dt if self.fixed_dt is not None else now - self._last_tick
        self._last_tick = now
        glfw.poll_events()
        if glfw.window_should_close(self.window):
            self.controls.quit_requested = True
        if self.fixed_dt is None and self._shown_pair is None:
            # the wall clock starts with the first picture: loading and fitting the camera
            # (0.9 s for Fox, 3.2 s for BrainStem) are not play time, or the clip would
            # start that far in with both panels black meanwhile
            dt = 0.0
        if not (self._drag and self._drag[0] == "timeline"):
            self.controls.advance(dt)
        self._watch_file()
        self._apply_info(self.worker.take_info())
        request = self._request()
        # minimised (a 0 x 0 framebuffer on Windows and Wayland): the clock plays on, but
        # there is nothing to draw (the layout divided by the size: ZeroDivisionError)
        # and no frame for the worker to make
        visible = min(self.framebuffer_size) > 0
        draw = draw and visible
        live_fan = draw and self.live is not None and self.live.active
        if visible and not live_fan:
            self.worker.submit(request)
        self._pick_up_frame()
        if self.controls.export_requested:
            self.controls.export_requested = False
            self.start_export()
        if draw:
            self.draw(fan_request=request if live_fan else None)
            if self.controls.screenshot_requested:
                self.controls.screenshot_requested = False
                try:
                    self.save_screenshot(self._screenshot_name(), redraw=False)
                except HolopackError as exc:  # an output folder that is gone or read-only
                    self.messages.append(f"failed: {exc}")
            glfw.swap_buffers(self.window)
            self._hand_over_fan_frame()
            if self.live is not None and self.fixed_dt is None and self.max_fps:
                # a slow frame costs the live panel pixels, not frames (scripted runs,
                # with a fixed clock, keep the full size: they are reproducible)
                self.live.adapt(time.perf_counter() - now, 1.0 / self.max_fps)
        self.frame_count += 1
        self._ui_times.append(now)
        cutoff = now - 1.0
        while self._ui_times and self._ui_times[0] < cutoff:
            self._ui_times.pop(0)

    def run(
        self, frames: int | None = None, script: list[dict] | None = None, screenshot: str | None = None
    ) -> int:
        """Run until quit (or for ``frames`` UI frames); returns the exit status 0."""
        events: dict[int, list[dict]] = {}
        for event in _checked_events(list(script or [])):
            events.setdefault(int(event.get("frame", 0)), []).append(event)
        frame = 0
        while not self.controls.quit_requested:
            if frames is not None and frame >= frames:
                break
            for event in events.pop(frame, []):
                self.apply_event(event)
            started = time.perf_counter()
            self.tick()
            frame += 1
            if self.fixed_dt is None and self.max_fps:
                # pace the loop, but wake at once for input
                left = 1.0 / self.max_fps - (time.perf_counter() - started)
                if left > 0:
                    self.glfw.wait_events_timeout(left)
        for frame_events in [events[k] for k in sorted(events)]:
            for event in frame_events:  # events scheduled past the end still run
                self.apply_event(event)
        if screenshot:
            self.wait_for_current()
            self.save_screenshot(screenshot)
        self.worker.wait_idle(timeout=600)
        return 0

    def wait_for_current(self, timeout: float = 180.0) -> bool:
        """Wait until the worker has made the frame for the current state, then show it."""
        self._apply_info(self.worker.take_info())
        request = self._fan_request = self._request()
        self.worker.submit(request)
        done = self.worker.wait_for(request, timeout)
        # a device change or a reload may have changed the request while we waited
        info = self.worker.take_info()
        if info is not None:
            self._apply_info(info)
            request = self._fan_request = self._request()
            self.worker.submit(request)
            done = self.worker.wait_for(request, timeout)
        self._pick_up_frame()
        return done

    # -- state from the worker ----------------------------------------------------
    def _apply_info(self, info) -> None:
        if info is None:
            return
        c = self.controls
        c.generation = info.generation
        c.fps = info.fps
        c.set_animations(info.animations)
        c.variants, c.variant = list(info.variants), info.variant
        self.geometry = info.geometry
        if self.live is not None:
            self.live.set_frames(info.frames)
            if getattr(getattr(info.frames, "scene", None), "is_splats", False):
                # the live GL panel draws triangles: a splat twin shows the worker's frames
                self.messages.append(
                    "live render off for Gaussian splats: both panels show the export's frames"
                )

    def _pick_up_frame(self) -> None:
        pair, serial = self.worker.latest()
        if pair is None or serial == self._shown_serial:
            return
        if pair.render is not None:  # else the window drew it (live)
            self.render_texture.upload(pair.render)
        if pair.fan is not None:
            self.fan_texture.upload(pair.fan)
            self._fan_picture = self.fan_texture
        elif pair.fan_cum is not None and self.live is not None:
            try:  # the LEDs' light: the fan view is drawn here (FanDrawer.show)
                fan = self.live.fan_drawer()
                # with the left panel's dynamic resolution: fewer pixels on a busy machine;
                # never more than the panel shows (a small window would only scale it down)
                panel = min(fan.view_size, round(self.layout.fan_panel.w))
                side = max(1, round(panel * self.live.scale))
                self._fan_picture = fan.show(pair.fan_cum, side)
            except ValueError:  # made for the device before a switch: the next one comes
                pass
        self._shown_serial = serial
        self._shown_pair = pair
        self._fan_times.append(time.perf_counter())

    @property
    def shown(self):
        """The FramePair on screen (None before the first one)."""
        return self._shown_pair

    def ui_fps(self) -> float:
        t = self._ui_times
        if len(t) < 2:
            return 0.0
        return (len(t) - 1) / max(t[-1] - t[0], 1e-9)

    def fan_fps(self) -> float:
        """Fan frames that reached the screen in the last second (the device's fps at
        most: what the fan panel plays at)."""
        t = self._fan_times
        while t and t[0] < time.perf_counter() - 1.0:
            t.pop(0)
        return float(len(t))

    def _worker_ms(self) -> str:
        """The worker's time a fan frame, known from its first frame on (also paused or
        in a headless run, where no frames arrive by the wall clock)."""
        rate = self.render_fps()
        return f" ({1000.0 / rate:.0f} ms each)" if rate > 0 else ""

    def render_fps(self) -> float:
        """The render worker's speed (frames it makes per second of work); unlike a
        count of frames arriving, it is known from the first frame on, also when paused
        or in a headless run."""
        return self.worker.render_rate()

    # -- hot reload -----------------------------------------------------------------
    _gltf_uris: tuple[tuple, list[str]] = ((), [])  # (the .gltf's own stat, its file URIs)

    def _stat(self):
        """What the hot reload compares (None: the input is gone): the input's
        (mtime, size), and those of what it reads besides: a folder's pictures, a
        .gltf's buffers and images (its own stat does not change when they do: a
        texture saved over, a frame of the folder written in place). Twice a second on
        the UI thread: 1.0 ms of CPU for a folder of 300 pictures, 0.06 ms for
        FlightHelmet.gltf's 16 files (time.process_time over 200 checks, load 2.3)."""
        own = _file_stat(self.path)
        if own is None:
            return None
        if os.path.isdir(self.path):
            try:
                names = sorted(os.listdir(self.path))
            except OSError:
                return None
            return own, tuple((name, _file_stat(os.path.join(self.path, name))) for name in names)
        if self.path.lower().endswith(".gltf"):
            if self._gltf_uris[0] != own:  # the JSON is read again only when it changed
                self._gltf_uris = (own, gltf_file_uris(self.path))
            folder = os.path.dirname(self.path)
            return own, tuple((uri, _file_stat(os.path.join(folder, uri))) for uri in self._gltf_uris[1])
        return own

    def _watch_file(self) -> None:
        now = time.monotonic()
        if now < self._watch_next:
            return
        self._watch_next = now + WATCH_INTERVAL_S
        self.check_file()

    def check_file(self) -> bool:
        """Reload when the input changed and has stayed unchanged for one check (so a
        file being written is not read half-way). Returns True when a reload started."""
        stat = self._stat()
        # deleted (or renamed away) while open: said while it is gone (note); it reloads
        # when it is back
        self._input_gone = stat is None
        if stat is None:
            self._watch_stat = None
        if stat is None or stat == self._watch_stat:
            self._watch_pending = None
            return False
        if stat != self._watch_pending:
            self._watch_pending = stat
            return False
        self._watch_stat = stat
        self._watch_pending = None
        self.worker.request_reload()
        return True

    # -- drawing ------------------------------------------------------------------
    def draw(self, fan_request=None) -> None:
        """Draw the window. ``fan_request``: the device frame the fan view should show
        (a UI frame of the loop passes it; a redraw for a screenshot does not)."""
        GL = self.GL
        w, h = self.framebuffer_size
        GL.glViewport(0, 0, w, h)
        GL.glClearColor(*BACKGROUND, 1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)
        layout = Layout(w, h)
        left = self.render_texture
        if self.live is not None and self.live.active:
            # drawn now, at the clock's instant: the left panel plays at the UI's rate
            try:
                left = self._draw_live(layout, fan_request) or left
            except Exception as exc:  # never take the window down: show the worker's pictures
                self.messages.append(f"live render off: {type(exc).__name__}: {exc}")
                self.live = None
        for panel, texture in (
            (layout.render_panel, left),
            (layout.fan_panel, self._fan_picture),
        ):
            # a one-pixel frame as four edges: filling whole rectangles under the
            # picture costs the software rasteriser a millisecond each
            for edge in (
                Rect(panel.x - 1, panel.y - 1, panel.w + 2, 1),
                Rect(panel.x - 1, panel.y + panel.h, panel.w + 2, 1),
                Rect(panel.x - 1, panel.y, 1, panel.h),
                Rect(panel.x + panel.w, panel.y, 1, panel.h),
            ):
                self._rect(edge, PANEL_FRAME)
            if texture.shape is None:
                self._rect(panel, (0.0, 0.0, 0.0, 1.0))
            else:
                self._picture(texture, panel, w, h)
            if self.controls.overlay:
                self._fan_overlay(panel, w, h)
        self._timeline(layout, w, h)
        self._texts(layout, w, h)

    def _draw_live(self, layout: Layout, fan_request):
        """The left panel at the clock's instant; and, when a new device frame is due,
        that frame rendered for the worker to resample (the worker no longer renders:
        PipelineFrames.fan_frame). When that frame began after the instant last shown,
        the same render is the left panel's picture too: one render a UI frame, so it
        is handed over even while the worker is busy (the worker takes the newest and
        skips the rest). A render of its own waits for a free worker."""
        live = self.live
        assert live is not None
        if fan_request is not None and fan_request != self._fan_request:
            shared = live.fan_frame_is_now(self.controls, fan_request)
            if shared or self.worker.ready():
                self._fan_request = fan_request
                picture = live.draw_fan_frame(fan_request)
                if picture is None:  # not drawable live yet: the worker renders it (and fits the camera)
                    self.worker.submit(fan_request)
                elif shared:
                    live.shown_at(fan_request.frame_index / self.controls.fps)
                    # read back after the swap, which waits for the rasteriser anyway:
                    # reading now would stall this thread while it could queue the rest
                    self._fan_pending = fan_request
                    return picture
                else:  # read before the panel's own draw reuses the targets
                    self.worker.submit(fan_request, live.read_fan_frame())
        return live.draw(self.controls, max_side=round(layout.render_panel.w))

    _fan_request = None  # the last request the loop gave the worker
    _fan_pending = None  # a fan frame drawn this UI frame, read back after the swap

    def _hand_over_fan_frame(self) -> None:
        request, self._fan_pending = self._fan_pending, None
        if request is not None and self.live is not None:
            self.worker.submit(request, self.live.read_fan_frame())

    def _picture(self, texture, panel: Rect, w: int, h: int) -> None:
        """A panel's opaque picture, without blending (the shader writes alpha 1: the
        blend would only read the window's pixels back for nothing), sampled texel for
        texel where it is drawn at its own size (the live panel at full resolution)."""
        GL = self.GL
        same_size = (
            texture.shape[:2] == (panel.h, panel.w)
            and float(panel.x).is_integer()
            and float(panel.y).is_integer()
        )
        p = self.image_program.use()
        texture.bind(0)
        if same_size:
            GL.glBindSampler(0, self._texel_sampler)
        p.set_int("u_image", 0)
        p.set("u_uv_scale", *texture.uv_scale)
        p.set_int("u_flip", int(getattr(texture, "flip", False)))
        p.set("u_rect", *panel.ndc(w, h))
        GL.glDisable(GL.GL_BLEND)
        self.quad.draw()
        GL.glEnable(GL.GL_BLEND)
        if same_size:
            GL.glBindSampler(0, 0)

    def _rect(self, rect: Rect, color) -> None:
        w, h = self.framebuffer_size
        p = self.solid_program.use()
        p.set("u_rect", *rect.ndc(w, h))
        p.set("u_color", *color)
        self.quad.draw()

    def _fan_overlay(self, panel: Rect, w: int, h: int) -> None:
        """Blend the fan overlay over a panel. The procedural shader is costly on a
        software rasteriser, so it is drawn once per panel size and geometry into a
        texture that each frame only blends."""
        side = max(1, int(round(panel.w)))
        key = (side, self.geometry)
        if key != self._overlay_key:
            self._draw_overlay_layer(side)
            self._overlay_key = key
        p = self.layer_program.use()
        self.overlay_layer.texture.bind(0)
        p.set_int("u_layer", 0)
        p.set("u_rect", *panel.ndc(w, h))
        self.quad.draw()

    def _draw_overlay_layer(self, side: int) -> None:
        g = self.geometry
        w, h = self.framebuffer_size
        self.overlay_layer.begin(side, side)
        p = self.overlay_program.use()
        p.set("u_rect", -1.0, -1.0, 1.0, 1.0)
        p.set("u_panel_px", float(side))
        p.set("u_hub", g.hub)
        p.set("u_inner", g.inner)
        p.set("u_pitch", g.pitch)
        p.set("u_leds", float(g.leds))
        p.set("u_ring_step", float(g.ring_step(side)))
        p.set("u_slices", float(g.slices))
        p.set("u_spoke_step", float(g.spoke_step(side)))
        p.set("u_slice0", g.slice0)
        p.set("u_rim_color", 1.0, 0.85, 0.2, 0.95)
        p.set("u_grid_color", 0.3, 0.8, 1.0, 0.3)
        self.quad.draw()
        self.overlay_layer.end(w, h)

    def _timeline(self, layout: Layout, w: int, h: int) -> None:
        bar = layout.timeline
        c = self.controls
        self._rect(bar, BAR_BACK)
        fraction = c.time / c.duration if c.duration > 0 else 0.0
        fraction = min(max(fraction, 0.0), 1.0)
        self._rect(Rect(bar.x, bar.y, bar.w * fraction, bar.h), BAR_FILL)
        self._rect(Rect(bar.x + bar.w * fraction - 1.5, bar.y - 3, 3, bar.h + 6), PLAYHEAD)

    def status_lines(self, max_px: int | None = None) -> list[str]:
        """The status line; ``max_px``: the width it must fit in (the window's), for
        which it drops the rates, the brightness and the help hint, in that order, and
        then shortens the input's name in the middle. (Cut off at the window's edge, a
        long file name or an 800-pixel window hid the device and the clock.)"""
        c = self.controls
        names = len(c.animations)
        which = f" ({c.animation + 1}/{names})" if c.animation is not None and names > 1 else ""
        state = "playing" if c.playing else "paused"
        parts = {
            "name": input_name(self.path),
            "clip": f"{c.animation_name}{which}  {c.time:6.2f} / {c.duration:.2f} s  frame {c.frame_index}  "
            f"{state}{_speed_text(c.speed)}{'  loop' if c.loop else ''}",
            "device": c.device + (f"  variant {c.variant_name}" if c.variants else ""),
            "brightness": f"brightness {c.brightness:.2f}",
            "rates": f"UI {self.ui_fps():4.0f} fps  fan {self.fan_fps():4.1f} fps{self._worker_ms()}",
            "help": "h: help",
        }

        def line() -> str:
            return "  |  ".join(parts.values())

        if max_px is None:
            return [line()]
        for drop in ("rates", "brightness", "help"):
            if text_raster.line_width(line()) <= max_px:
                return [line()]
            del parts[drop]
        name = parts["name"]
        keep = len(name)
        while text_raster.line_width(line()) > max_px and keep > 2:
            keep -= 1
            parts["name"] = f"{name[: (keep + 1) // 2]}...{name[len(name) - keep // 2 :]}"
        return [line()]

    def _texts(self, layout: Layout, w: int, h: int) -> None:
        now = time.perf_counter()
        if now >= self._status_due or self.status_text.lines is None:
            # four updates a second are plenty to read, and text costs CPU the loop needs
            self.status_text.set(self.status_lines(max_px=w - 4))
            self._status_due = now + STATUS_INTERVAL_S
        self._text(self.status_text, 4, 0, TEXT_COLOR, w, h)
        note, error = self.note()
        if note:
            self.message_text.set([note])
            bar = layout.timeline
            y = bar.y - self.message_text.size[1] - 8
            self._text(self.message_text, bar.x, y, ERROR_COLOR if error else TEXT_COLOR, w, h)
        if self.controls.help:
            tw, th = self.help_text.size
            self._text(self.help_text, w - tw - 12, layout.render_panel.y + 4, TEXT_COLOR, w, h)

    _note = ("", 0.0)  # (the newest note, monotonic time it is shown until)
    _seen_status = ""
    _seen_messages = 0
    _input_gone = False

    def note(self) -> tuple[str, bool]:
        """(the line over the timeline, whether it is an error). The newest of the
        window's messages and the worker's job outcome, for NOTE_SECONDS; while they
        hold: the worker's error, an export's progress, a failed export, the input being
        gone. (The last message or outcome stayed for good: after an export, "exported"
        hid every later "saved".)"""
        now = time.monotonic()
        status = self.worker.status
        if status != self._seen_status:
            self._seen_status = status
            if status:
                self._note = (status, now + NOTE_SECONDS)
        if len(self.messages) != self._seen_messages:
            self._seen_messages = len(self.messages)
            self._note = (self.messages[-1], now + NOTE_SECONDS)
        if self.worker.error:
            return self.worker.error, True
        if self.worker.busy_job:
            return (status if status.startswith("exporting") else "exporting ..."), False
        if self._input_gone:
            return f"{input_name(self.path)} is gone: showing the last version read", True
        text, until = self._note
        failed = text.startswith("failed")
        return (text, failed) if failed or now < until else ("", False)

    def _text(self, block: _TextBlock, x: float, y: float, color, w: int, h: int) -> None:
        tw, th = block.size
        rect = Rect(x, y, tw, th)
        self._rect(rect, BACKING)
        p = self.text_program.use()
        block.texture.bind(0)
        p.set_int("u_glyphs", 0)
        p.set("u_rect", *rect.ndc(w, h))
        p.set("u_color", *color)
        self.quad.draw()

    # -- screenshot and export ------------------------------------------------------
    def grab(self, redraw: bool = True) -> np.ndarray:
        """The window's pixels, (H, W, 3) uint8, row 0 = top (the back buffer, just drawn)."""
        from .gl import read_pixels

        if redraw:
            self._status_due = 0.0  # a screenshot shows the current status line
            self.draw()
        GL = self.GL
        GL.glFinish()
        GL.glReadBuffer(GL.GL_BACK)
        w, h = self.framebuffer_size
        return read_pixels(w, h)

    def save_screenshot(self, path: str | os.PathLike, redraw: bool = True) -> str:
        from PIL import Image

        from ..atomic import atomic_output

        path = os.fspath(path)
        picture = self.grab(redraw=redraw)
        try:
            with atomic_output(path) as temp:
                Image.fromarray(picture).save(temp, format="PNG")
        except OSError as exc:
            raise HolopackError(f"cannot write the screenshot: {exc.strerror}", path) from None
        self.messages.append(f"saved {path}")
        return path

    def _screenshot_name(self) -> str:
        """<input stem>-preview-<date>-<time>.png in the output folder; a second one in
        the same second gets -2, -3, ... (it overwrote the first)."""
        stem = Path(self.path).stem
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.output_dir / f"{stem}-preview-{stamp}.png"
        count = 1
        while path.exists():
            count += 1
            path = self.output_dir / f"{stem}-preview-{stamp}-{count}.png"
        return str(path)

    def export_path(self, profile) -> str:
        """Where ``E`` writes: <input stem>-<device><suffix> in the output folder, or,
        where the device is strict about names (the 42-F2's upper-case 8.3 ``.BIN``),
        the name the device's own rule gives, so the fan plays the file."""
        from ..formats.names import name_rule

        rule = name_rule(profile)
        stem = Path(self.path).stem
        name = f"{stem}-{profile.name}{rule.suffix}"
        if rule.problems(name, need_position=False):
            name = rule.file_name(1, 1, stem)
        return str(self.output_dir / name)

    def start_export(self) -> None:
        """Export with the settings on screen, on the worker thread (one Numba user)."""
        from .export import export_current

        settings = export_current(self)
        self.messages.append(f"exporting to {settings['output']} ...")
        self.worker.run_job(settings["job"])

    # -- teardown -------------------------------------------------------------------
    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.worker.stop()
        finally:
            self.glfw.destroy_window(self.window)
            self.glfw.terminate()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _speed_text(speed: float) -> str:
    """The playback speed for the status line: nothing at 1x, else "  1/2x" or "  4x"."""
    if speed == 1.0:
        return ""
    if speed < 1.0:
        return f"  1/{round(1.0 / speed)}x"
    return f"  {speed:g}x"


def _file_stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def gltf_file_uris(path: str) -> list[str]:
    """The files a .gltf names besides itself (buffers and images, relative paths with
    their %-escapes undone), [] for one that cannot be read as glTF JSON (the reload
    says why)."""
    from urllib.parse import unquote

    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read())
    except (OSError, ValueError):
        return []
    if not isinstance(doc, dict):
        return []
    uris = []
    for key in ("buffers", "images"):
        items = doc.get(key)
        for item in items if isinstance(items, list) else []:
            uri = item.get("uri") if isinstance(item, dict) else None
            if isinstance(uri, str) and uri and not uri.startswith("data:") and "://" not in uri:
                uris.append(unquote(uri))
    return uris


def load_script(script) -> list[dict]:
    """Scripted input: a list of events, a JSON string, or a path to a JSON file; each
    event checked (``script_event_problem``)."""
    if script is None:
        return []
    if isinstance(script, list):
        return _checked_events(script)
    text = str(script)
    if os.path.exists(text):
        try:
            text = Path(text).read_text()
        except OSError as exc:
            raise InputError(f"cannot read the script: {exc.strerror}", script) from None
    try:
        events = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"the script is not JSON: {exc.msg} at line {exc.lineno}",
            script if os.path.exists(str(script)) else None,
        ) from None
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise InputError('the script must be a JSON list of event objects, e.g. [{"frame": 5, "key": "d"}]')
    return _checked_events(events)


def _checked_events(events: list) -> list[dict]:
    for number, event in enumerate(events, 1):
        problem = script_event_problem(event) if isinstance(event, dict) else "an event is a JSON object"
        if problem:
            raise InputError(f"script event {number} ({json.dumps(event, default=str)}): {problem}")
    return events


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def script_event_problem(event: dict) -> str | None:
    """What is wrong with one scripted event (``PreviewWindow.apply_event``), or None:
    checked when the script is read, so that a typo fails before the window opens
    rather than as a traceback at its frame."""
    unknown = sorted(set(event) - {"frame", "key", "drag", "button", "scroll", "wait", "screenshot"})
    if unknown:
        return f"unknown field {unknown[0]!r} (fields: frame, key, drag, button, scroll, wait, screenshot)"
    frame = event.get("frame", 0)
    if not _is_number(frame) or frame < 0 or not float(frame).is_integer():
        return "frame must be a whole number of UI frames, 0 or more"
    if "key" in event:
        key = event["key"]
        if not isinstance(key, str) or not (
            len(key) == 1 or key.upper() in SPECIAL_KEYS or key.upper() == "SPACE"
        ):
            return f"key must be one character or one of SPACE, {', '.join(SPECIAL_KEYS)}"
    if "drag" in event:
        drag = event["drag"]
        if not isinstance(drag, list) or len(drag) != 4 or not all(_is_number(v) for v in drag):
            return "drag must be [x0, y0, x1, y1] in window pixels"
    if "button" in event and event["button"] not in MOUSE_BUTTONS:
        return f"button must be one of {', '.join(MOUSE_BUTTONS)}"
    if "scroll" in event and not _is_number(event["scroll"]):
        return "scroll must be a number of wheel notches"
    if "screenshot" in event and not (isinstance(event["screenshot"], str) and event["screenshot"]):
        return "screenshot must be the path of a PNG to write"
    return None
