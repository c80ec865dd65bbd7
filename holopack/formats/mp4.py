"""Square H.264 MP4 (yuv420p) through the ffmpeg that imageio-ffmpeg ships.

No system ffmpeg is needed. Frames are piped to ffmpeg one at a time.
"""

from __future__ import annotations

from ..format_registry import Format
from ..schema import choice, number
from .ffmpeg import FFmpegWriter, VideoFile, read
from .names import NameRule

__all__ = ["FORMAT", "MP4Writer", "VideoFile", "read"]


class MP4Writer(FFmpegWriter):
    """``write`` takes (S, S, 3) uint8 sRGB pictures, all of one size; crf and preset
    come from the profile's [file] table unless given."""

    codec = "libx264"
    codec_label = "H.264"

    def __init__(
        self, path: str, profile=None, fps: float = 30.0, crf: int | None = None, preset: str | None = None
    ):
        super().__init__(path, profile, fps)
        video = getattr(profile, "layout", None) or {}
        self.crf = int(crf if crf is not None else video.get("crf", 18))
        self.preset = preset or video.get("preset", "medium")

    def output_params(self) -> list[str]:
        return ["-crf", str(self.crf), "-preset", self.preset, "-movflags", "+faststart", "-f", "mp4"]


FORMAT = Format(
    "mp4",
    "video",
    (".mp4",),
    MP4Writer,
    reader=read,
    even_size=True,
    codec="libx264",
    description="square H.264 MP4, yuv420p, black background (HYPERVSN platform, MP4 fans)",
    file_table={
        # the writer makes H.264 in yuv420p, what every fan and player takes: other values are
        # refused rather than silently ignored
        "codec": (choice(("libx264",)), "libx264"),
        "crf": (number(0.0, 51.0), 18.0),
        "pixel_format": (choice(("yuv420p",)), "yuv420p"),
    },
    naming=NameRule(".mp4", "lower", None),
)
