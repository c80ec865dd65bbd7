"""What the designer controls in the preview, and how keys and the mouse change it.

Plain Python with no GL in it, so the window, scripted tests and the export button
all read one state. The window turns glfw events into calls on ``Controls``; the
render worker receives a ``FrameRequest`` snapshot of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

# Degrees of orbit per pixel of drag; a full window width turns the model about twice.
ORBIT_DEG_PER_PX = 0.4
# Each wheel notch moves the camera by this factor (in: closer).
ZOOM_STEP = 0.9
ZOOM_LIMITS = (0.05, 20.0)
PITCH_LIMIT = 89.0
BRIGHTNESS_STEP = 1.25
BRIGHTNESS_LIMITS = (1.0 / 16.0, 4.0)
# Playback speeds that [ and ] step through: halving and doubling, so a step back always
# returns to the same speed (and to 1 exactly); slow motion shows a walk's foot placement
# or a crossfade's seam, fast forward gets through a long clip.
SPEED_LIMITS = (1.0 / 8.0, 4.0)

HELP_LINES = (
    "space\tplay / pause",
    ", .\tstep one frame back / forward",
    "left right\tscrub (or drag the bar at the bottom)",
    "l\tloop on / off",
    "a n  1-9\tnext animation / pick one",
    "d\tnext device",
    "v V\tnext / previous material variant",
    "o\tfan overlay (rim, hub, LED grid)",
    "[ ]\tslower / faster (1/8x to 4x)",
    "+ -\tbrightness",
    "r\treset the camera",
    "left drag\torbit",
    "right drag\tpan",
    "wheel\tzoom",
    "S\tsave a screenshot",
    "E\texport with these settings",
    "h ?\tthis help",
    "q Esc\tquit",
)


@dataclass(frozen=True)
class CameraState:
    """An orbit camera around the fitted model.

    yaw/pitch in degrees as in ``holopack.rendering.camera.Framing``; ``zoom`` multiplies
    the fitted distance (1 = the export framing); ``pan`` shifts the view sideways and
    up, in units of the fitted bounding-sphere radius.
    """

    yaw: float = 0.0
    pitch: float = 0.0
    zoom: float = 1.0
    pan: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class FrameRequest:
    """Everything that determines one displayed frame (a snapshot for the worker)."""

    animation: int | None
    time: float
    frame_index: int
    camera: CameraState
    device: str
    brightness: float
    generation: int  # bumped whenever the input file was reloaded
    variant: int | None = None  # the material variant (Scene.with_variant); None: the file's own


@dataclass
class Controls:
    """The preview's mutable state and the actions that keys and the mouse trigger.

    ``animations`` is a list of (name, duration seconds); ``devices`` the profile names
    that ``d`` cycles through. ``fps`` is the device frame rate: it sets the frame step.
    """

    animations: list[tuple[str, float]] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    device_index: int = 0
    animation: int | None = None
    time: float = 0.0
    playing: bool = True
    loop: bool = True
    fps: float = 30.0
    camera: CameraState = field(default_factory=CameraState)
    brightness: float = 1.0
    speed: float = 1.0  # clip seconds per wall-clock second (SPEED_LIMITS)
    overlay: bool = False
    help: bool = False
    generation: int = 0
    variants: list[str] = field(default_factory=list)  # the model's material variants
    variant: int | None = None  # the one drawn; None: the file's own materials
    quit_requested: bool = False
    # Requests the window services on its thread (it owns GL and the export).
    screenshot_requested: bool = False
    export_requested: bool = False

    # -- derived ----------------------------------------------------------------
    @property
    def duration(self) -> float:
        if self.animation is None or not self.animations:
            return 0.0
        return float(self.animations[self.animation][1])

    @property
    def animation_name(self) -> str:
        if self.animation is None or not self.animations:
            return "(no animation)"
        return self.animations[self.animation][0] or f"#{self.animation}"

    @property
    def device(self) -> str:
        return self.devices[self.device_index] if self.devices else ""

    @property
    def frame_index(self) -> int:
        """The export frame on screen: frame i shows time i / fps; the end of a clip
        shows its last frame (frame loop_frames would be the first one again)."""
        index = int(math.floor(self.time * self.fps + 1e-6))
        if self.duration > 0:
            index = min(index, max(0, int(round(self.duration * self.fps)) - 1))
        return index

    def request(self) -> FrameRequest:
        return FrameRequest(
            animation=self.animation,
            time=self.time,
            frame_index=self.frame_index,
            camera=self.camera,
            device=self.device,
            brightness=self.brightness,
            generation=self.generation,
            variant=self.variant,
        )

    # -- time -------------------------------------------------------------------
    def set_animations(self, animations: list[tuple[str, float]]) -> None:
        """A (re)loaded input: keep the current clip and time where they still exist."""
        self.animations = list(animations)
        if not self.animations:
            self.animation = None
        elif self.animation is None or self.animation >= len(self.animations):
            self.animation = 0
        self.time = min(self.time, self.duration)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of wall time pass (only while playing), which moves the clip
        by ``seconds * speed``."""
        if not self.playing or seconds <= 0:
            return
        seconds *= self.speed
        duration = self.duration
        if duration <= 0:
            # a still model or picture: time runs so that media and dithering move on
            self.time += seconds
            return
        t = self.time + seconds
        if t >= duration:
            if self.loop:
                t = math.fmod(t, duration)
            else:
                t = duration
                self.playing = False
        self.time = t

    def toggle_play(self) -> None:
        if not self.playing and self.duration > 0 and self.time >= self.duration:
            self.time = 0.0  # play again from the start after reaching the end
        self.playing = not self.playing

    def step(self, frames: int) -> None:
        """Pause and move by whole device frames."""
        self.playing = False
        index = self.frame_index + frames
        t = max(0.0, index / self.fps)
        if self.duration > 0:
            if self.loop:
                t = math.fmod(t, self.duration) if t > self.duration else t
            t = min(t, self.duration)
        self.time = t

    def scrub_to(self, fraction: float) -> None:
        """Jump to a fraction (0..1) of the clip (the timeline bar)."""
        fraction = min(max(fraction, 0.0), 1.0)
        self.time = fraction * self.duration

    def scrub_by(self, fraction: float) -> None:
        if self.duration > 0:
            self.scrub_to(self.time / self.duration + fraction)

    # -- choices ----------------------------------------------------------------
    def next_animation(self, delta: int = 1) -> None:
        if self.animations:
            current = 0 if self.animation is None else self.animation
            self.select_animation((current + delta) % len(self.animations))

    def select_animation(self, index: int) -> None:
        if 0 <= index < len(self.animations):
            self.animation = index
            self.time = 0.0

    def next_device(self, delta: int = 1) -> None:
        if self.devices:
            self.device_index = (self.device_index + delta) % len(self.devices)

    def next_variant(self, delta: int = 1) -> None:
        """Step through the material variants and, between the last and the first, the
        file's own materials."""
        if self.variants:
            states = [None, *range(len(self.variants))]
            self.variant = states[(states.index(self.variant) + delta) % len(states)]

    @property
    def variant_name(self) -> str:
        if self.variant is None or self.variant >= len(self.variants):
            return "own materials"
        return self.variants[self.variant]

    def change_speed(self, steps: int) -> None:
        """Halve (steps -1) or double (+1) the playback speed, within SPEED_LIMITS."""
        value = self.speed * 2.0**steps
        self.speed = min(max(value, SPEED_LIMITS[0]), SPEED_LIMITS[1])

    def change_brightness(self, steps: int) -> None:
        value = self.brightness * BRIGHTNESS_STEP**steps
        self.brightness = min(max(value, BRIGHTNESS_LIMITS[0]), BRIGHTNESS_LIMITS[1])

    # -- camera -----------------------------------------------------------------
    def orbit(self, dx_px: float, dy_px: float) -> None:
        """Drag right turns the model to the right (camera moves left around it)."""
        cam = self.camera
        yaw = (cam.yaw - dx_px * ORBIT_DEG_PER_PX) % 360.0
        pitch = min(max(cam.pitch + dy_px * ORBIT_DEG_PER_PX, -PITCH_LIMIT), PITCH_LIMIT)
        self.camera = replace(cam, yaw=yaw, pitch=pitch)

    def pan(self, dx_px: float, dy_px: float, panel_px: float) -> None:
        """Drag moves the model with the pointer: a panel width = two fitted radii."""
        cam = self.camera
        scale = 2.0 * cam.zoom / max(panel_px, 1.0)
        self.camera = replace(cam, pan=(cam.pan[0] - dx_px * scale, cam.pan[1] + dy_px * scale))

    def zoom(self, notches: float) -> None:
        cam = self.camera
        zoom = cam.zoom * ZOOM_STEP**notches
        self.camera = replace(cam, zoom=min(max(zoom, ZOOM_LIMITS[0]), ZOOM_LIMITS[1]))

    def reset_camera(self) -> None:
        self.camera = CameraState()

    # -- keyboard ---------------------------------------------------------------
    def on_char(self, char: str) -> bool:
        """A typed character (layout-aware). Returns True when it did something."""
        actions = {
            " ": self.toggle_play,
            ",": lambda: self.step(-1),
            ".": lambda: self.step(1),
            "<": lambda: self.step(-1),
            ">": lambda: self.step(1),
            "l": self._toggle_loop,
            "a": self.next_animation,
            "n": self.next_animation,
            "A": lambda: self.next_animation(-1),
            "N": lambda: self.next_animation(-1),
            "v": self.next_variant,
            "V": lambda: self.next_variant(-1),
            "d": self.next_device,
            "D": lambda: self.next_device(-1),
            "o": self._toggle_overlay,
            "[": lambda: self.change_speed(-1),
            "]": lambda: self.change_speed(1),
            "+": lambda: self.change_brightness(1),
            "=": lambda: self.change_brightness(1),
            "-": lambda: self.change_brightness(-1),
            "_": lambda: self.change_brightness(-1),
            "r": self.reset_camera,
            "h": self._toggle_help,
            "?": self._toggle_help,
            "s": self._request_screenshot,
            "S": self._request_screenshot,
            "e": self._request_export,
            "E": self._request_export,
            "q": self._quit,
        }
        if char in actions:
            actions[char]()
            return True
        if char.isdigit() and char != "0":
            self.select_animation(int(char) - 1)
            return True
        return False

    def on_special_key(self, name: str) -> bool:
        """A key without a character: "LEFT", "RIGHT", "HOME", "END", "ESCAPE"."""
        actions = {
            "LEFT": lambda: self.scrub_by(-0.02),
            "RIGHT": lambda: self.scrub_by(0.02),
            "HOME": lambda: self.scrub_to(0.0),
            "END": lambda: self.scrub_to(1.0),
            "ESCAPE": self._quit,
        }
        if name in actions:
            actions[name]()
            return True
        return False

    def _toggle_loop(self) -> None:
        self.loop = not self.loop

    def _toggle_overlay(self) -> None:
        self.overlay = not self.overlay

    def _toggle_help(self) -> None:
        self.help = not self.help

    def _request_screenshot(self) -> None:
        self.screenshot_requested = True

    def _request_export(self) -> None:
        self.export_requested = True

    def _quit(self) -> None:
        self.quit_requested = True
