"""The render worker: makes preview frames off the UI thread.

The UI thread posts the newest ``FrameRequest`` (older unserved ones are dropped: only
the latest state matters) and picks up the newest finished ``FramePair`` whenever it
draws, so a heavy model slows the pictures down but never the window. A request may
come with its picture already drawn by the window's OpenGL (the live path: the worker
then only resamples, dithers and quantises it); without one the worker renders it
through the export pipeline. The worker also (re)loads the input file and runs
exports, so that the Numba rendering happens on this one thread. (The UI thread poses
its own copy of the scene for the live left panel: see holopack.preview.live.)
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..errors import HolopackError
from .controls import FrameRequest
from .source import FramePair

# Exports (the worker's jobs) run at a lower CPU priority than the UI, so on a busy
# machine drawing and input come first. Fan frames do not: made from the window's
# picture they take the worker a few milliseconds that the fan view waits for, and at
# the lower priority on a busy two-core machine the worker waited a UI frame or more for
# a core, so the fan view made half the frames the window drew.
JOB_NICE = 5

KEEP = object()  # RenderWorker._variant: no choice of the preview's own


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), JOB_NICE)
    except (AttributeError, OSError):  # not Linux, or not allowed: run at normal priority
        pass


def _run_lowered(job: Callable[[], str]) -> str:
    """Run ``job`` on a helper thread at JOB_NICE and wait for it (a thread cannot
    raise its own priority back without privileges). The worker waits meanwhile, so
    there is still one Numba user at a time."""
    outcome: dict[str, object] = {}

    def run() -> None:
        _lower_priority()
        try:
            outcome["value"] = job()
        except BaseException as exc:  # handed to the worker, which reports it
            outcome["error"] = exc

    helper = threading.Thread(target=run, name="holopack-preview-job", daemon=True)
    helper.start()
    helper.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return str(outcome["value"])


def _close_frames(frames) -> None:
    """Let a frame maker that is done with stop its threads (PipelineFrames.close)."""
    close = getattr(frames, "close", None)
    if close is not None:
        close()


class FrameMaker(Protocol):
    """What ``frames_factory(scene, device)`` makes (holopack.preview.source.PipelineFrames);
    it may also offer ``fan_frame(request, picture)``, ``fitted_distance(animation)`` and
    ``close()``."""

    animations: list[tuple[str, float]]
    fps: float
    geometry: object

    def frame(self, request: FrameRequest) -> FramePair: ...


@dataclass
class SceneInfo:
    """What the UI needs to know about a freshly (re)loaded input."""

    generation: int
    animations: list[tuple[str, float]]
    fps: float
    geometry: object
    device: str
    frames: object = None  # the frame maker itself (the live render copies its camera)
    variants: tuple[str, ...] = ()  # the model's material variants (Scene.variants)
    variant: int | None = None  # the one drawn (None: the file's own materials)


class RenderWorker:
    """One background thread serving frame requests, reloads and exports.

    loader(path) -> scene; frames_factory(scene, device) -> an object with
    ``animations``, ``fps``, ``geometry`` and ``frame(request) -> FramePair``.
    """

    def __init__(self, path: str, scene, device: str, loader: Callable, frames_factory: Callable):
        self.path = path
        self.loader = loader
        self.frames_factory = frames_factory
        self._cond = threading.Condition()
        self._request: FrameRequest | None = None
        self._picture = None  # the linear picture drawn for _request by the UI's OpenGL, if any
        self._key: tuple | None = None  # (request, with a picture) last submitted
        self._served: tuple | None = None  # ... and last served
        self._reload = False
        self._reloading = False
        self._jobs: list[Callable[[], str]] = []
        self._stop = False
        self._latest: FramePair | None = None
        self._latest_serial = 0
        self._info: SceneInfo | None = None
        self.error: str | None = None  # the last failure, in the user's words
        self.status: str = ""  # the last job's outcome ("exported ...")
        self.busy_job = False
        self.frames_done = 0
        self.render_seconds = 0.0
        self._recent_seconds: deque[float] = deque(maxlen=20)
        self._scene = scene
        self._generation = 0
        self._frames: FrameMaker  # both set by _set_frames, at once
        self._frames_device: str
        # the material variant the v key chose (Scene.with_variant), or KEEP: the frame
        # maker's own (--variant, else the file's materials)
        self._variant: object = KEEP
        self._set_frames(device)  # first build on the caller's thread: a bad device fails early
        self._thread = threading.Thread(target=self._run, name="holopack-preview-render", daemon=True)
        self._thread.start()

    # -- UI-thread side ---------------------------------------------------------
    def submit(self, request: FrameRequest, picture=None) -> None:
        """Make the frame for ``request`` next (an unserved older one is dropped).
        ``picture``: that frame's linear light, already rendered (the window's OpenGL
        draws it: holopack.preview.live), so that only the fan view is made here; the
        worker reads the array until it has made that frame, so each frame comes in an
        array of its own. Without it the export pipeline renders the frame too."""
        key = (request, picture is not None)
        with self._cond:
            if key != self._key:
                self._request, self._picture, self._key = request, picture, key
                self._cond.notify()

    def ready(self) -> bool:
        """Whether the worker has served the last request and has no job waiting: a
        new frame given now starts at once."""
        with self._cond:
            return (
                self._key == self._served
                and not self._jobs
                and not self.busy_job
                and not self._reload
                and not self._reloading
            )

    def request_reload(self) -> None:
        with self._cond:
            self._reload = True
            self._cond.notify()

    def run_job(self, job: Callable[[], str]) -> None:
        """Run ``job`` on the worker thread; its return value becomes ``status``."""
        with self._cond:
            self._jobs.append(job)
            self._cond.notify()

    def latest(self) -> tuple[FramePair | None, int]:
        """The newest finished frame and a serial number that grows with each one."""
        with self._cond:
            return self._latest, self._latest_serial

    def render_rate(self) -> float:
        """Frames per second the worker renders at, from its last 20 frames (0 before
        the first): its speed, whether or not the UI asks for new frames that often."""
        with self._cond:
            total = sum(self._recent_seconds)
            return len(self._recent_seconds) / total if total > 0 else 0.0

    def take_info(self) -> SceneInfo | None:
        """New scene information after a (re)load or a device change, once."""
        with self._cond:
            info, self._info = self._info, None
            return info

    def wait_for(self, request: FrameRequest, timeout: float) -> bool:
        """Block until the frame for ``request`` is finished (headless runs and tests)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._latest is not None and self._latest.request == request:
                    return True
                if self._failed == request:
                    return False  # making this frame failed: self.error says why
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._jobs or self.busy_job or self._reload or self._reloading:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout=30)
        if not self._thread.is_alive():  # else it still reads them: they end with the process
            _close_frames(self._frames)

    # -- worker-thread side -----------------------------------------------------
    _failed: FrameRequest | None = None

    def _set_frames(self, device: str) -> None:
        chosen = {} if self._variant is KEEP else {"variant": self._variant}
        frames = self.frames_factory(self._scene, device, **chosen)
        previous = getattr(self, "_frames", None)
        self._frames, self._frames_device = frames, device
        _close_frames(previous)
        drawn = getattr(frames, "scene", None)
        info = SceneInfo(
            generation=self._generation,
            animations=list(frames.animations),
            fps=float(frames.fps),
            geometry=frames.geometry,
            device=device,
            frames=frames,
            variants=tuple(getattr(drawn, "variants", ())),
            variant=getattr(drawn, "variant", None),
        )
        with self._cond:
            self._info = info

    def _run(self) -> None:
        while True:
            with self._cond:
                while (
                    not self._stop
                    and not self._jobs
                    and not self._reload
                    and (self._request is None or self._key == self._served)
                ):
                    self._cond.wait()
                if self._stop:
                    return
                job: Callable[[], str] | str | None
                if self._jobs:
                    job = self._jobs.pop(0)
                    self.busy_job = True
                elif self._reload:
                    job = None
                    self._reload = False
                    self._reloading = True
                else:
                    job = "frame"
                request, picture, key = self._request, self._picture, self._key
            if job is None:
                self._do_reload()
                with self._cond:
                    self._served = None
            elif isinstance(job, str):  # "frame"
                # the wait above ends for a frame only with a request not yet served
                assert request is not None
                self._do_frame(request, picture)
                with self._cond:
                    self._served = key
                    self._cond.notify_all()
            else:
                try:
                    self.status = _run_lowered(job)
                except HolopackError as exc:
                    self.status = f"failed: {exc}"
                except Exception as exc:  # a job must never take the window down
                    self.status = f"failed: {type(exc).__name__}: {exc}"
                    traceback.print_exc()
                with self._cond:
                    self.busy_job = False
                    self._cond.notify_all()

    def _do_reload(self) -> None:
        try:
            scene = self.loader(self.path)
            previous = self._scene
            self._scene = scene
            self._generation += 1
            try:
                self._set_frames(self._frames_device)
            except Exception:
                self._scene = previous
                self._generation -= 1
                raise
            self.error = None
        except HolopackError as exc:
            # a half-written file: keep showing the last good one and say why
            self.error = f"reload failed, showing the previous version: {exc}"
        except Exception as exc:
            self.error = f"reload failed: {type(exc).__name__}: {exc}"
            traceback.print_exc()
        with self._cond:
            self._reloading = False
            self._cond.notify_all()

    def _do_frame(self, request: FrameRequest, picture=None) -> None:
        try:
            if request.variant != self._drawn_variant():
                self._variant = request.variant
                self._set_frames(request.device)
                picture = None  # drawn with the previous materials
            elif request.device != self._frames_device:
                self._set_frames(request.device)
                picture = None  # drawn for the previous device's size and camera
            if request.generation != self._generation:
                return  # made for a scene that has since been replaced
            pair = None
            fan_frame = getattr(self._frames, "fan_frame", None)
            if picture is not None and fan_frame is not None:
                try:
                    pair = fan_frame(request, picture)
                except ValueError:  # drawn for another device's sizes: render it here
                    pair = None
            if pair is None:
                pair = self._frames.frame(request)
        except HolopackError as exc:
            self._fail(request, str(exc))
            return
        except Exception as exc:
            traceback.print_exc()
            self._fail(request, f"{type(exc).__name__}: {exc}")
            return
        with self._cond:
            self._latest = pair
            self._latest_serial += 1
            self.frames_done += 1
            self.render_seconds += pair.seconds
            self._recent_seconds.append(pair.seconds)
            if not (self.error or "").startswith("reload failed"):
                self.error = None
            self._cond.notify_all()

    def _fail(self, request: FrameRequest, message: str) -> None:
        with self._cond:
            self.error = message
            self._failed = request
            self._cond.notify_all()

    def _drawn_variant(self) -> int | None:
        return getattr(getattr(self._frames, "scene", None), "variant", None)

    @property
    def scene(self):
        return self._scene

    @property
    def generation(self) -> int:
        return self._generation

    def look(self) -> dict:
        """How the frame maker shades the model (PipelineFrames.look: ExportSettings'
        shading, environment, tone mapping, exposure and axes), {} for one without."""
        return dict(getattr(self._frames, "look", None) or {})

    def video(self) -> dict:
        """The video options the frame maker processed the clip with (PipelineFrames.video:
        ExportSettings' key, crop, loop and levels), {} for one without."""
        return dict(getattr(self._frames, "video", None) or {})

    def fitted_distance(self, animation):
        getter = getattr(self._frames, "fitted_distance", None)
        return getter(animation) if getter else None
