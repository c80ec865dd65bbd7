"""WebM with VP9 video, for web previews of a loop (a shop page, a design review).

Through the ffmpeg that imageio-ffmpeg ships (its libvpx-vp9), so no system ffmpeg is
needed. Constant-quality VP9 (``-crf`` with ``-b:v 0``): at the default crf 32 a
720 px loop of the default twin is a fraction of the MP4's size and plays in every
current browser. yuv420p, so the sides must be even, as for the MP4.
"""

from __future__ import annotations

from ..format_registry import Format
from .ffmpeg import FFmpegWriter, read
from .names import NameRule

CRF = 32  # VP9 constant quality: 0 (lossless) .. 63; 32 is web-preview quality
CPU_USED = 4  # speed/quality trade of libvpx's "good" deadline: 0 slowest .. 5


class WebMWriter(FFmpegWriter):
    """``write`` takes (S, S, 3) uint8 sRGB pictures, all of one size."""

    codec = "libvpx-vp9"
    codec_label = "VP9"

    def output_params(self) -> list[str]:
        return [
            "-crf",
            str(CRF),
            "-b:v",
            "0",
            "-deadline",
            "good",
            "-cpu-used",
            str(CPU_USED),
            "-row-mt",
            "1",
            "-f",
            "webm",
        ]


FORMAT = Format(
    "webm",
    "video",
    (".webm",),
    WebMWriter,
    reader=read,
    even_size=True,
    codec="libvpx-vp9",
    description="WebM, VP9 yuv420p, for web previews of a loop",
    naming=NameRule(".webm", "lower", None),
)
