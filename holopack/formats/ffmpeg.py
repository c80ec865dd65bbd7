"""Video through the ffmpeg that imageio-ffmpeg ships: one pipe writer for every codec.

No system ffmpeg is needed. Frames are piped to ffmpeg one at a time; a format module
subclasses FFmpegWriter and names its codec, pixel format and ffmpeg options.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError, OutputError
from .stream import FrameWriter


class FFmpegWriter(FrameWriter):
    """``write`` takes (S, S, 3) uint8 sRGB pictures, all of one size.

    Subclasses set ``codec``, ``codec_label`` and ``pixel_format`` (ffmpeg's names) and return the
    encoder's options from ``output_params()``.
    """

    codec = ""
    codec_label = ""  # the codec's name for people, in messages
    pixel_format = "yuv420p"

    def __init__(self, path: str, profile=None, fps: float = 30.0):
        import imageio_ffmpeg  # heavy optional-at-import: only writers of video need it

        self.path = path
        self.fps = float(fps)
        self.profile = profile
        self._ffmpeg = imageio_ffmpeg
        self._gen: Any = None  # imageio-ffmpeg's write_frames generator, once started
        self._size: tuple[int, int] | None = None
        self.frames_written = 0

    def output_params(self) -> list[str]:
        return []

    def _start(self, width: int, height: int) -> None:
        self._size = (width, height)
        self._gen = self._ffmpeg.write_frames(
            self.path,
            (width, height),
            fps=self.fps,
            codec=self.codec,
            pix_fmt_in="rgb24",
            pix_fmt_out=self.pixel_format,
            quality=None,
            macro_block_size=2,
            output_params=self.output_params(),
            # "quiet": a fault becomes our own one line (OutputError); ffmpeg's own lines
            # went straight to the user's terminal beside it
            ffmpeg_log_level="quiet",
        )
        self._gen.send(None)

    def write(self, picture: np.ndarray) -> None:
        h, w = picture.shape[:2]
        if self._gen is None:
            if (h % 2 or w % 2) and self.pixel_format == "yuv420p":
                raise InputError(
                    f"{self.codec_label} {self.pixel_format} needs an even frame size, got {w}x{h}"
                )
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
            process = _process_of(gen)
            try:
                gen.close()
            except (OSError, RuntimeError) as exc:
                raise OutputError(f"ffmpeg could not finish the file ({_reason(exc)})", self.path) from None
            # imageio-ffmpeg waits for ffmpeg but never looks at how it ended: on a full
            # disk ffmpeg failed to write the MP4's index ("Error writing trailer") and a
            # 4 KB unplayable file was reported written, with exit status 0
            code = getattr(process, "returncode", 0)
            if code:
                why = "the disk is full or the file could not be written"
                if code < 0:
                    why = f"ffmpeg was ended by signal {-code}; {why}"
                raise OutputError(f"ffmpeg could not finish the file ({why})", self.path)

    def abort(self) -> None:
        """Stop ffmpeg without caring about the file (it is about to be deleted)."""
        if self._gen is not None:
            gen, self._gen = self._gen, None
            try:
                gen.close()
            except Exception:
                pass


def _process_of(gen) -> Any:
    """The ffmpeg process (subprocess.Popen) behind imageio-ffmpeg's write_frames
    generator, which keeps it in its local ``p``; None if a version keeps it otherwise."""
    frame = getattr(gen, "gi_frame", None)
    process = frame.f_locals.get("p") if frame is not None else None
    return process if hasattr(process, "poll") else None


def _reason(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1][:160] if lines else type(exc).__name__


class VideoFile:
    """A video read back: ``frames()`` yields (H, W, 3) uint8 sRGB pictures."""

    def __init__(self, path: str):
        from ..scene.media import load_video  # the loader's video reader (load layer)

        self.path = path
        media = load_video(path).media
        assert media is not None  # load_video always sets it
        self.media = media
        self.profile = None
        self.fps = self.media.fps
        self.frame_count = self.media.frame_count

    def frames(self):
        return self.media.frames()


def read(path: str, profile=None) -> VideoFile:
    """Open a video for reading (any container ffmpeg reads)."""
    return VideoFile(path)
