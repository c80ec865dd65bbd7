"""Person segmentation for backgrounds that neither a colour key nor a clean plate
separates (a moving camera, a busy moving scene): --key person, and --key auto on such
a background when the optional extra is installed (docs/video.md, "Segmentation").

The model is MediaPipe's selfie segmenter, which the mediapipe wheels up to 0.10.21
carry inside the package (mediapipe/modules/selfie_segmentation/*.tflite) and run
in-process through the legacy Solutions API; later releases ship no model. Nothing is
ever downloaded: where the package or its model file is missing, segmentation is
unavailable and ``require`` says what to install. mediapipe is imported on first use
only (Segmenter), never by ``import holopack`` nor by the availability checks, which
look for the files.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib.metadata
import importlib.util
import os
import sys
import weakref

import numpy as np

from ..colour import SRGB8_TO_LINEAR, linear_to_srgb
from ..errors import InputError
from .matte import MATTE_GATE, coverage_edge

INSTALL = "pip install 'holopack[segment]'"
# the landscape model (144 x 256 input, made for video calls) rather than the general
# one (256 x 256): over a panning texture it finds rendered figures far better
# (benchmarks/segment_matte_variants.py --model, the outline alone, IoU / background
# exactly 0 in the worst frame: default twin 0.3775 / 92.03% against 0.1499 / 24.96%,
# CesiumMan 0.3723 / 97.74% against 0.1325 / 7.96%); over plain grey the twin gains
# (0.7514 against 0.5417) and CesiumMan loses (0.4756 against 0.7381); on two
# photographs of people both follow the person alike.
MODEL_SELECTION = 1
MODEL_FILE = os.path.join("modules", "selfie_segmentation", "selfie_segmentation.tflite")
# a pixel whose colour moved less than this (sum of |RGB differences|, codes) since the
# previous frame is still: there the segmenter's mask, which wavers from frame to frame
# where the picture does not change, is smoothed over time (STILL_WEIGHT)
STILL_TOLERANCE = 12
# a still pixel's mask: this share of the previous frame's smoothed mask and the rest of
# this frame's. The trade of benchmarks/segment_matte_variants.py --model 1, IoU / edge
# jitter (tests/_matte_measures.py), twin and CesiumMan over grey, then over the panning
# texture: none 0.7514 / 0.171, 0.4756 / 0.160, 0.3775 / 0.177, 0.3723 / 0.306; 0.3:
# 0.7569 / 0.134, 0.4767 / 0.124, 0.3718 / 0.157, 0.3686 / 0.291; 0.5: 0.7597 / 0.109,
# 0.4775 / 0.103, 0.3689 / 0.146, 0.3517 / 0.277; 0.7: 0.7602 / 0.082, 0.4773 / 0.081,
# 0.3672 / 0.137, 0.3381 / 0.267. Over the texture it steadies the edge at some IoU;
# 0.5 keeps most of the steadiness for half the loss. Keeping a still pixel's matte
# outright kept the model's errors where the backdrop stands still (CesiumMan over
# grey IoU 0.4087).
STILL_WEIGHT = 0.5


def model_path() -> str | None:
    """The selfie model's file inside the installed mediapipe package, or None (not
    installed, or a release that carries no model). Looks for files only: nothing is
    imported."""
    try:
        spec = importlib.util.find_spec("mediapipe")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, MODEL_FILE)
        if os.path.isfile(path):
            return path
    return None


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def unavailable_reason() -> str | None:
    """None when segmentation can run, else why not (one phrase)."""
    version = _version("mediapipe")
    if importlib.util.find_spec("mediapipe") is None:
        return "mediapipe is not installed"
    if model_path() is None:
        return f"mediapipe {version} carries no selfie segmentation model (0.10.14 does)"
    return None


def available() -> bool:
    return unavailable_reason() is None


def status() -> str:
    """inspect's line: whether --key person (and auto on a moving background) can segment."""
    reason = unavailable_reason()
    if reason is not None:
        return f"not available ({reason}): {INSTALL} adds it"
    text = f"available (mediapipe {_version('mediapipe')}, selfie segmenter)"
    # opencv-contrib-python (mediapipe's declared need) and holopack's
    # opencv-python-headless both install the cv2 package: of different releases, its
    # files are a mix of the two
    contrib, headless = _version("opencv-contrib-python"), _version("opencv-python-headless")
    if contrib and headless and contrib != headless:
        text += (
            f"; warning: opencv-contrib-python {contrib} and opencv-python-headless {headless} "
            "share the cv2 package: install the same release of both"
        )
    return text


def require() -> None:
    """Raise the one-line InputError of --key person without the extra."""
    reason = unavailable_reason()
    if reason is not None:
        raise InputError(f"--key person needs person segmentation: {INSTALL} ({reason})")


class Segmenter:
    """One stream's person segmenter (the model is loaded once per instance):
    ``segmenter(frame)`` with frame (H, W, 3) uint8 RGB -> (H, W) float32 in [0, 1],
    the model's probability that a pixel is a person, at the frame's size (the model
    sees the frame resized to 256 x 256 and its mask is resized back)."""

    def __init__(self, model_selection: int = MODEL_SELECTION):
        require()
        try:
            from mediapipe.python.solutions import selfie_segmentation
        except Exception as exc:  # a broken install: protobuf, a missing library
            raise InputError(f"mediapipe does not load ({exc}); {INSTALL} installs what it needs") from None
        with _quiet_native_log():
            self._solution = selfie_segmentation.SelfieSegmentation(model_selection=model_selection)
            # the graph opens its model on its own threads: a first frame waits for it,
            # so that what it logs meanwhile falls in the quiet window
            self._solution.process(np.zeros((16, 16, 3), np.uint8))
        # the graph's threads end with close(): when the segmenter is dropped unclosed
        # too (a stream left unfinished, a FrameProcessor collected)
        self._closer = weakref.finalize(self, self._solution.close)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        mask = self._solution.process(np.ascontiguousarray(frame[..., :3])).segmentation_mask
        return np.clip(np.asarray(mask, np.float32), 0.0, 1.0)

    def close(self) -> None:
        self._closer()  # once: later calls do nothing


@contextlib.contextmanager
def _quiet_native_log():
    """The graph's C++ code logs its set-up (an EGL context, TensorFlow Lite's CPU
    delegate: six lines a segmenter) straight to the process's stderr, before its
    logging can be configured (GLOG_minloglevel is not read): stderr's descriptor points
    at /dev/null meanwhile. Failures still reach the user as exceptions."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        _flush_c_stdio()  # lines the C library holds back would reach the restored stderr
        os.dup2(saved, 2)
        os.close(saved)


def _flush_c_stdio() -> None:
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # no C library to ask (not Linux or macOS)
        pass


class SegmentState:
    """The previous frame and its smoothed mask: what keeps a still edge still."""

    def __init__(self) -> None:
        self.frame: np.ndarray | None = None  # (H, W, 3) uint8
        self.mask: np.ndarray | None = None  # (H, W) float32


def segment_matte(mask: np.ndarray, frame: np.ndarray, state: SegmentState | None = None) -> np.ndarray:
    """mask float32 (H, W): the segmenter's; frame uint8 (H, W, 3) -> float32 (H, W)
    matte in [0, 1], exact 0 below MATTE_GATE. Where the pixel is still since the
    previous frame (STILL_TOLERANCE), the mask is first smoothed with the previous
    frame's (STILL_WEIGHT; ``state``, updated). The mask, upsampled from the model's
    256 x 256, is a soft ramp a few pixels wide; its 0.5 line is taken as the outline
    and each pixel's share from its distance to it (matte.coverage_edge, as a lossy
    clip's key edge: on the four clips of STILL_WEIGHT, IoU 0.7514 / 0.4756 / 0.3775 /
    0.3723 against 0.7191 / 0.4476 / 0.3825 / 0.3611 for the mask itself, and the
    background exactly 0 in the worst frame 94.92% / 97.96% / 92.03% / 97.74% against
    92.28% / 96.12% / 81.22% / 96.44%)."""
    mask = np.ascontiguousarray(mask, np.float32)
    if state is not None:
        if state.frame is not None and state.mask is not None and state.frame.shape == frame.shape:
            moved = np.abs(frame.astype(np.int16) - state.frame.astype(np.int16)).sum(-1)
            still = moved <= STILL_TOLERANCE
            mask = mask.copy()
            mask[still] = STILL_WEIGHT * state.mask[still] + (1.0 - STILL_WEIGHT) * mask[still]
        state.frame, state.mask = frame.copy(), mask.copy()
    alpha = coverage_edge(mask, 0.5)
    alpha[alpha < MATTE_GATE] = 0.0
    return alpha


@functools.lru_cache(maxsize=8)
def premultiply_table(gain: float = 1.0) -> np.ndarray:
    """uint8 (256, 256): [a, code] -> the sRGB code of ``code``'s linear light x a / 255
    x ``gain``, rounded (clipped at 255); row 0 is all 0."""
    share = np.arange(256, dtype=np.float64)[:, None] / 255.0 * gain
    linear = SRGB8_TO_LINEAR.astype(np.float64)[None, :] * share
    return (linear_to_srgb(linear).astype(np.float64) * 255.0 + 0.5).astype(np.uint8)


def premultiplied(frame: np.ndarray, alpha: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """frame uint8 (H, W, 3) sRGB, alpha float32 (H, W) in [0, 1] -> uint8 (H, W, 3):
    the frame premultiplied by the matte in linear light (light mixes linearly) and by
    ``gain`` (--levels), exactly 0 where alpha is 0. The backdrop behind a segmented
    subject is unknown (it moves), so a partly covered pixel keeps its share of the
    mixed colour. The matte is taken in 255 steps, through premultiply_table: a 1080 x
    1080 frame took 76 ms of CPU in float (the sRGB curve's power), about 10 ms so."""
    steps = (np.asarray(alpha, np.float32) * np.float32(255.0) + np.float32(0.5)).astype(np.uint8)
    steps[alpha <= 0] = 0
    return premultiply_table(float(gain))[steps[..., None], frame]
