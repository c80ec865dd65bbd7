"""One pass over a device file: what validate checks and what the previews show.

The file is read back through its format's reader (so a pack proves that what it wrote
can be read), frame by frame; statistics are taken on a sample of frames so that a
30-minute clip costs no more memory than a short one.

Levels are fractions of full scale (0 = off, 1 = the brightest code the file can hold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..rendering.centring import LitBox
from ..video.backdrop import BACKGROUND_LIMIT

LIT = BACKGROUND_LIMIT / 255.0  # a pixel or LED brighter than this counts as lit
RIM_SHARE = 0.04  # the outermost 4 % of the radius is "the rim" of a polar frame
SEAM_WINDOW = 8  # consecutive frames at the start that give the typical frame-to-frame step


@dataclass
class Scan:
    """What one pass over a device file found.

    previews: [(frame index, picture)] with pictures (P, P, 3) uint8 sRGB, what a
    viewer sees (simulated for a fan file).
    """

    kind: str  # "polar" | "video"
    frames: int = 0
    fps: float = 0.0
    frame_shape: tuple = ()
    peak: float = 0.0  # brightest value in the sampled frames
    mean: float = 0.0  # mean level over the sampled frames
    background: float = 0.0  # median level of the background (video border / polar rim)
    outside: float = 0.0  # worst share of lit pixels outside the circle (polar: on the rim)
    # the box of everything lit over the sampled frames (holopack.rendering.centring, the
    # measure export frames by): its centre's distance from the circle's centre, and how
    # far from that centre the farthest lit point comes, both / the radius
    offcentre: float = 0.0
    reach: float = 0.0
    seam: float = 0.0  # mean |last - first| frame difference
    step: float = 0.0  # median |frame[i+1] - frame[i]| over the first frames
    sampled: int = 0
    previews: list = field(default_factory=list)


def sample_indices(count: int, limit: int) -> set[int]:
    """Frame indices to analyse: the first few (for the typical step), up to ``limit``
    spread over the clip, and the last."""
    if count <= 0:
        return set()
    spread = np.linspace(0, count - 1, min(count, limit)).round().astype(int).tolist()
    return set(range(min(count, SEAM_WINDOW))) | set(spread) | {count - 1}


def preview_indices(count: int, limit: int) -> list[int]:
    if count <= 0:
        return []
    return sorted(set(np.linspace(0, count - 1, min(count, limit)).round().astype(int).tolist()))


class _VideoStats:
    """Per-frame statistics of square pictures: circle = the inscribed circle."""

    def __init__(self, shape):
        h, w = shape[:2]
        self.full = 255.0
        cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
        y, x = np.mgrid[0:h, 0:w]
        self.dx = (x - cx).astype(np.float32)
        self.dy = (y - cy).astype(np.float32)
        self.radius = min(h, w) / 2.0
        self.outside = np.hypot(self.dx, self.dy) > self.radius - 1.0
        self.border = np.zeros((h, w), bool)
        self.border[[0, -1], :] = True
        self.border[:, [0, -1]] = True

    def frame(self, picture: np.ndarray) -> dict:
        level = picture.max(axis=2).astype(np.float32) / self.full
        lit = level > LIT
        box = LitBox(self.radius)
        box.add(self.dx[lit], self.dy[lit])
        return {
            "peak": float(level.max()),
            "mean": float(level.mean()),
            "background": float(level[self.border].mean()),
            "outside": float(lit[self.outside].mean()) if self.outside.any() else 0.0,
            "box": box,
        }


class _PolarStats:
    """Per-frame statistics of polar code frames (slices, columns, 3)."""

    def __init__(self, profile):
        self.full = float(profile.max_code)
        self.gamma = float(profile.gamma)
        centres, offsets = profile.column_geometry()
        outer = float(centres.max())
        self.rim = centres >= outer * (1.0 - RIM_SHARE) - 1e-9
        start = math.radians(profile.slice0_angle_deg)
        slices = np.arange(profile.slices)
        # Angle of each (slice, column) cell, to find the lit centroid on the disc.
        angle = start + offsets[None, :] + (slices[:, None] + 0.5) * profile.slice_step_rad
        self.x = (centres[None, :] * np.cos(angle)).astype(np.float32)
        self.y = (centres[None, :] * np.sin(angle)).astype(np.float32)
        self.radius = profile.radius_mm
        # Cells near the rim sweep more area: weight by radius for an area-true centroid.
        self.area = np.broadcast_to(centres[None, :], angle.shape).astype(np.float32)

    def frame(self, codes: np.ndarray) -> dict:
        level = codes.max(axis=2).astype(np.float32) / self.full
        lit = level > LIT
        rim_level = level[:, self.rim]
        # the brightness limit scales the LEDs' light, so the peak is compared in the
        # light the brightest code emits, not in code values (which are gamma-encoded)
        box = LitBox(self.radius)
        box.add(self.x[lit], self.y[lit])
        return {
            "peak": float(level.max()) ** self.gamma,
            "mean": float((level * self.area).sum() / self.area.sum()),
            "background": float(np.median(rim_level)),
            "outside": float(lit[:, self.rim].mean()),
            "box": box,
        }


def _difference(a: np.ndarray, b: np.ndarray, full: float) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean()) / full


def open_device_file(path: str, profile):
    """The format reader's object for ``path`` (``frames()``, ``frame_count``, ``fps``)."""
    from ..formats import get_format

    reader = get_format(profile.format).reader_function()
    try:
        return reader(path, profile) if profile.kind == "polar" else reader(path)
    except InputError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"cannot read it as {profile.format}: {exc}", path) from None


def scan(
    path: str, profile, *, sample_limit: int = 96, preview_frames: int = 0, preview_size: int = 192
) -> Scan:
    """Read ``path`` (a device file for ``profile``) once and measure it.

    With ``preview_frames`` > 0, also keep that many pictures spread over the clip as
    a viewer would see them (polar frames through the viewer simulation).
    """
    media = open_device_file(path, profile)
    declared = int(getattr(media, "frame_count", 0) or 0)
    polar = profile.kind == "polar"
    result = Scan(kind="polar" if polar else "video", fps=float(getattr(media, "fps", 0.0) or 0.0))
    wanted = sample_indices(declared, sample_limit)
    show = set(preview_indices(declared, preview_frames)) if preview_frames else set()
    simulator = None
    stats = None
    per_frame = []
    first = previous = last = None
    previous_index = -2
    steps = []
    count = 0
    try:
        for index, frame in enumerate(media.frames()):
            frame = np.asarray(frame)
            count += 1
            if stats is None:
                result.frame_shape = tuple(frame.shape)
                stats = _PolarStats(profile) if polar else _VideoStats(frame.shape)
            if index == 0:
                first = frame.copy()
            if index in wanted or index >= declared - 1:
                per_frame.append(stats.frame(frame))
                if previous is not None and previous_index == index - 1 and index < SEAM_WINDOW:
                    steps.append(_difference(previous, frame, stats.full))
                previous, previous_index = frame.copy(), index
            last = frame
            if index in show:
                if polar:
                    if simulator is None:
                        from ..device import ViewerSimulator

                        simulator = ViewerSimulator(profile, preview_size)
                    picture = simulator.render(frame)
                else:
                    picture = _shrink(frame, preview_size)
                result.previews.append(
                    (index, np.array(picture, np.uint8, copy=True))
                )  # simulators reuse buffers
    except InputError:
        raise
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"cannot read frame {count + 1}: {exc}", path) from None
    result.frames = count
    if not per_frame or stats is None:  # stats is made with the first frame
        return result
    result.sampled = len(per_frame)
    result.peak = max(s["peak"] for s in per_frame)
    result.mean = float(np.mean([s["mean"] for s in per_frame]))
    result.background = float(np.median([s["background"] for s in per_frame]))
    result.outside = max(s["outside"] for s in per_frame)
    box = LitBox(stats.radius)
    for s in per_frame:
        box.merge(s["box"])
    result.offcentre, result.reach = box.offset, box.reach
    if count > 1 and first is not None and last is not None:
        result.seam = _difference(last, first, stats.full)
        result.step = float(np.median(steps)) if steps else 0.0
    return result


def _shrink(picture: np.ndarray, size: int) -> np.ndarray:
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(picture, np.uint8))
    if max(image.size) > size:
        image = image.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(image)
