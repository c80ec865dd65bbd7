"""Budgets and bounds: what one job may cost, whatever the input asks for.

A few hundred bytes of crafted input can ask for gigabytes (an accessor of 2^28
elements with no data, a 13000 x 13000 PNG) or for a job that never ends (``--fps 1e9``).
Everything here is checked before the work or the allocation it bounds.

- ``MemoryBudget``: one total for the buffers, accessors and pictures a load decodes
  (pictures are counted by their pixels before they are decoded).
- ``BOUNDS``: the range of every numeric setting, the same on every face (command line,
  playlist, device profile, library). ``check_bound(name, value)`` is the one check.
- ``MAX_FRAMES``: the most frames one export writes, whatever seconds x fps says.
- ``MAX_NODES``, ``MAX_DRAW_ITEMS``: the nodes of one model and the mesh primitives it
  draws; ``JPEG_SCAN_PIXELS``: the scans a JPEG may have for its size.
"""

from __future__ import annotations

import math
import os

from .errors import InputError

_MB = 1 << 20
# Decoded bytes one load may hold: buffers, accessors and pictures together. 384 MiB
# keeps a whole export under 1 GB of memory (interpreter and Numba take ~250 MB, a
# picture is copied once while it is converted); the largest shipped test twin
# (FlightHelmet, 94k triangles, five 2048^2 textures) decodes to ~110 MiB.
# HOLOPACK_MEMORY_BUDGET_MB raises it for trusted inputs.
DEFAULT_MEMORY_BUDGET = 384 * _MB
# one file read whole (a glTF buffer, a texture file)
MAX_FILE_BYTES = 1 << 30
# the most frames one export writes (an hour at 30 fps is 108,000)
MAX_FRAMES = 200_000
# the largest picture side holopack renders or resamples
MAX_RENDER_SIZE = 8192
# Nodes of one model, its file's own and EXT_mesh_gpu_instancing's together, and the
# mesh primitives it draws. Each drawn primitive is posed in Python every frame (~0.1 ms):
# a 6 MB glTF of 100,000 nodes showing one triangle took 10 s a frame, and one of
# 1,000,001 nodes (a skin of a million joints) peaked at 1.6 GB. Large CAD assemblies
# and instanced forests have a few thousand to tens of thousands.
MAX_NODES = 100_000
MAX_DRAW_ITEMS = 50_000
# A progressive JPEG is decoded scan by scan, and each scan passes over every
# coefficient of the components it codes: a 12 KB file that repeats one refinement scan
# 65,535 times kept libjpeg busy for minutes on a 1024 x 1024 picture (measured: 0.6 ms
# a scan per megapixel; 500 scans of 4096 x 4096 took 4.8 s of CPU). Encoders write 10
# scans (libjpeg's progressive script) and at most a few dozen (jpegtran, mozjpeg's scan
# optimisation); a picture may have as many scans as keep scans x pixels under this,
# about 5 s of decoding, and at least JPEG_MOST_SCANS_ALWAYS, never more than
# JPEG_MOST_SCANS (holopack.scene.pictures.check_jpeg_scans).
JPEG_SCAN_PIXELS = 1 << 33
JPEG_MOST_SCANS_ALWAYS = 64
JPEG_MOST_SCANS = 1000


def memory_budget_bytes() -> int:
    """The budget: HOLOPACK_MEMORY_BUDGET_MB if set to a positive number, else the default."""
    text = os.environ.get("HOLOPACK_MEMORY_BUDGET_MB")
    if text:
        try:
            value = float(text)
        except ValueError:
            value = 0.0
        if math.isfinite(value) and value > 0:
            return int(value * _MB)
    return DEFAULT_MEMORY_BUDGET


class MemoryBudget:
    """A running total of decoded bytes for one load; ``spend`` refuses, naming the file,
    the request that would pass the budget, before anything is allocated."""

    def __init__(self, path: str | os.PathLike | None, total: int | None = None):
        self.path = None if path is None else os.fspath(path)
        self.total = memory_budget_bytes() if total is None else int(total)
        self.used = 0

    def spend(self, nbytes: int, what: str) -> None:
        nbytes = int(nbytes)
        if nbytes < 0 or self.used + nbytes > self.total:
            raise InputError(
                f"{what} needs {nbytes / _MB:,.0f} MB, more than the "
                f"{self.total / _MB:,.0f} MB memory budget for one file "
                f"({self.used / _MB:,.0f} MB already used; "
                "HOLOPACK_MEMORY_BUDGET_MB raises it)",
                self.path,
            )
        self.used += nbytes

    def peak(self, nbytes: int, what: str) -> None:
        """Refuse ``nbytes`` as ``spend`` does without keeping them: memory a library
        takes for a moment (a parse, an unpacking) before what is kept is spent."""
        self.spend(nbytes, what)
        self.used -= int(nbytes)

    def picture(self, width: int, height: int, channels: int, what: str) -> None:
        """Count a picture of ``width`` x ``height`` x ``channels`` bytes, before decoding."""
        if width <= 0 or height <= 0:
            raise InputError(f"{what} has no pixels ({width} x {height})", self.path)
        self.spend(int(width) * int(height) * int(channels), f"{what} ({width} x {height} pixels)")


def check_picture_size(
    width: int, height: int, channels: int, what: str, path: str | os.PathLike | None
) -> None:
    """One picture (a video frame, an input still) must fit the budget on its own."""
    MemoryBudget(path).picture(width, height, channels, what)


# name: (low, high, low is excluded, what the unit is). Same ranges on every face.
BOUNDS: dict[str, tuple[float, float, bool, str]] = {
    # from 0.01: the polar stream stores millihertz, and a rate that rounds to 0 there
    # would write a file our own reader refuses
    "fps": (0.01, 1000.0, False, "frames per second"),
    "seconds": (0.0, 86400.0, True, "seconds"),
    "loops": (0.0, 100000.0, True, "loops"),
    "speed": (0.0, 1000.0, True, "times"),
    "size": (8, MAX_RENDER_SIZE, False, "pixels"),
    "render_size": (8, MAX_RENDER_SIZE, False, "pixels"),
    "video_size": (8, MAX_RENDER_SIZE, False, "pixels"),
    "supersample": (1, 4, False, "samples per side"),
    "yaw": (-360.0, 360.0, False, "degrees"),
    "pitch": (-360.0, 360.0, False, "degrees"),
    "distance": (0.0, 1e6, True, "scene units"),
    "fov": (0.0, 170.0, False, "degrees"),
    "margin": (0.0, 0.9, False, "of the radius"),
    "turntable": (-36000.0, 36000.0, False, "degrees per second"),
    "light": (-1000.0, 1000.0, False, ""),
    "exposure": (0.0, 1000.0, True, "times"),
    "max_seconds": (0.0, 86400.0, True, "seconds"),
    "frames": (1, MAX_FRAMES, False, "frames"),
}


class BoundError(ValueError):
    """A value outside its range; the message says the range (the caller names the file)."""


def bound_text(name: str) -> str:
    lo, hi, lo_open, unit = BOUNDS[name]
    low = f"more than {lo:g}" if lo_open else f"from {lo:g}"
    return f"{low} to {hi:g}" + (f" {unit}" if unit else "")


def check_bound(name: str, value, integer: bool = False):
    """``value`` if it is a finite number inside ``BOUNDS[name]``, else BoundError."""
    lo, hi, lo_open, _ = BOUNDS[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BoundError(f"must be a number {bound_text(name)}, got {value!r}")
    if integer and not isinstance(value, int):
        raise BoundError(f"must be a whole number {bound_text(name)}, got {value!r}")
    if not math.isfinite(value) or value < lo or value > hi or (lo_open and value == lo):
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        if len(shown) > 24:
            shown = shown[:12] + "..."
        raise BoundError(
            f"must be {'a whole number' if integer else 'a number'} {bound_text(name)}, got {shown}"
        )
    return value


def check_frame_count(seconds: float, fps: float, path: str | os.PathLike | None = None) -> float:
    """The frame count of ``seconds`` at ``fps`` (not yet rounded), refused when beyond
    MAX_FRAMES."""
    frames = seconds * fps
    if not math.isfinite(frames) or frames > MAX_FRAMES:
        raise InputError(
            f"{seconds:g} s at {fps:g} fps is more than the {MAX_FRAMES:,} frames "
            "one export writes; give fewer --seconds or --loops",
            path,
        )
    return frames
