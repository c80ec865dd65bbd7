"""Square H.264 MP4 (yuv420p) through the ffmpeg that imageio-ffmpeg ships.

No system ffmpeg is needed. Frames are piped to ffmpeg one at a time.
"""
from __future__ import annotations

import numpy as np

from .stream import FrameWriter

from ..errors import InputError, OutputError


class MP4Writer(FrameWriter):
    """``write`` takes (S, S, 3) uint8 sRGB pictures, all of one size."""

    def __init__(self, path: str, profile=None, fps: float = 30.0, crf: int | None = None,
                 preset: str | None = None):
        import imageio_ffmpeg

        self.path = path
        self.fps = float(fps)
        video = getattr(profile, "layout", None) or {}
        self.crf = int(crf if crf is not None else video.get("crf", 18))
        self.preset = preset or video.get("preset", "medium")
        self._ffmpeg = imageio_ffmpeg
        self._gen = None
        self._size = None
        self.frames_written = 0

    def _start(self, width: int, height: int) -> None:
        self._size = (width, height)
        self._gen = self._ffmpeg.write_frames(
            self.path, (width, height), fps=self.fps, codec="libx264", pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p", quality=None, macro_block_size=2,
            output_params=["-crf", str(self.crf), "-preset", self.preset,
                           "-movflags", "+faststart", "-f", "mp4"],
            ffmpeg_log_level="error")
        self._gen.send(None)

    def write(self, picture: np.ndarray) -> None:
        h, w = picture.shape[:2]
        if self._gen is None:
            if h % 2 or w % 2:
                raise InputError(f"H.264 yuv420p needs an even frame size, got {w}x{h}")
            self._start(w, h)
        elif (w, h) != self._size:
            raise ValueError(f"frame size changed from {self._size} to {(w, h)}")
        try:
            self._gen.send(np.ascontiguousarray(picture, np.uint8))
        except (OSError, RuntimeError) as exc:
            raise OutputError(f"ffmpeg stopped writing ({_reason(exc)})", self.path) from None
        self.frames_written += 1

    def close(self) -> None:
        if self._gen is not None:
            gen, self._gen = self._gen, None
            try:
                gen.close()
            except (OSError, RuntimeError) as exc:
                raise OutputError(f"ffmpeg could not finish the file ({_reason(exc)})",
                                  self.path) from None

    def abort(self) -> None:
        """Stop ffmpeg without caring about the file (it is about to be deleted)."""
        if self._gen is not None:
            gen, self._gen = self._gen, None
            try:
                gen.close()
            except Exception:
                pass


def _reason(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1][:160] if lines else type(exc).__name__


class VideoFile:
    """An MP4 read back: ``frames()`` yields (H, W, 3) uint8 sRGB pictures."""

    def __init__(self, path: str):
        from ..scene.media import load_video

        self.path = path
        self.media = load_video(path).media
        self.profile = None
        self.fps = self.media.fps
        self.frame_count = self.media.frame_count

    def frames(self):
        return self.media.frames()


def read(path: str, profile=None) -> VideoFile:
    return VideoFile(path)
