"""Seamless loops of a processed clip, streamed.

crossfade: the clip's last F frames are blended into its first F, and the output is
N - F frames long: output frame i < F is (1 - w) * frame[N - F + i] + w * frame[i] with
w = (i + 1) / (F + 1), so the last output frame (N - F - 1) is followed by what is
mostly frame N - F: the seam is one ordinary step.

pingpong: frames 0 .. N-1 then N-2 .. 1 (2N - 2 frames), so the seam is the step
from frame 1 back to frame 0. The backward half comes from a temporary file written
during the forward half (memory stays flat in the clip's length).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import numpy as np


def crossfade_length(frame_count: int, seconds: float, fps: float) -> int:
    """Frames blended: seconds * fps, at least 1 and at most half the clip."""
    return int(min(max(1, round(seconds * fps)), max(1, frame_count // 2)))


def crossfade_frames(
    start: Iterator[np.ndarray | None], tail: Iterator[np.ndarray | None], frame_count: int, fade: int
) -> Iterator[np.ndarray | None]:
    """start: the clip from frame 0; tail: the clip from frame N - fade. A frame that
    both streams leave out (None: a reader that skips it, VideoSource) is None."""
    last = None
    for i in range(max(1, frame_count - fade)):
        try:
            frame = next(start)
        except StopIteration:  # the clip ran short: its last frame stands in
            if last is None:
                return
            frame = last
        end = next(tail, None) if i < fade else None
        if frame is None:
            yield None
            continue
        last = frame
        if end is not None:
            w = (i + 1) / (fade + 1)
            frame = (end.astype(np.float32) * (1.0 - w) + frame.astype(np.float32) * w + 0.5).astype(np.uint8)
        yield frame


def pingpong_frames(forward: Iterator[np.ndarray], frame_count: int, folder: str) -> Iterator[np.ndarray]:
    """Forward then backward (without repeating either end)."""
    handle, path = tempfile.mkstemp(prefix="holopack-pingpong-", suffix=".raw", dir=folder)
    try:
        shape, written = None, 0
        with os.fdopen(handle, "wb") as cache:
            for frame in forward:
                if shape is None:
                    shape = frame.shape
                cache.write(np.ascontiguousarray(frame).tobytes())
                written += 1
                yield frame
        if written < 3:
            return
        assert shape is not None  # taken from the first frame written
        frames = np.memmap(path, np.uint8, "r", shape=(written,) + shape)
        for j in range(written - 2, 0, -1):
            yield np.array(frames[j])
        del frames
    finally:
        try:
            os.remove(path)
        except OSError:
            pass
