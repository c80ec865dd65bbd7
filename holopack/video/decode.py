"""Video and picture-sequence decoding that keeps the alpha channel.

ffmpeg drops alpha unless asked: frames are requested as ``rgba`` whenever the stream
carries alpha (ProRes 4444, QuickTime Animation, PNG-in-MOV, yuva pixel formats), and a
VP9 WebM whose header says ``alpha_mode: 1`` is decoded with ``libvpx-vp9``, because
ffmpeg's native vp9 decoder ignores the alpha side data. PNG/APNG/WebP/GIF files and
folders of numbered pictures are read with Pillow.

Every reader yields (H, W, 4) uint8 RGBA frames with straight (not premultiplied)
alpha, one at a time.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:  # for the annotation only: crop imports cv2, which loading a scene does not need
    from .crop import Window

# ffmpeg pixel formats that carry alpha (yuva420p, yuva444p10le, rgba, argb, bgra, gbrap,
# ya8, pal8 with a transparent entry counts as no alpha: GIF goes through Pillow).
_ALPHA_PIX = re.compile(r"^(yuva|rgba|argb|bgra|abgr|gbrap|ya8|ya16|rgba64|bgra64)")
PICTURE_SUFFIXES = (".png", ".apng", ".webp", ".gif")


@dataclass
class StreamInfo:
    """What ffmpeg says about a video stream before decoding it."""

    codec: str
    pix_fmt: str
    alpha: bool
    decoder: str | None  # a decoder to force (libvpx-vp9 for VP9 with alpha), or None


def probe_stream(path: str) -> StreamInfo:
    """Read the first video stream's codec and pixel format from ``ffmpeg -i``."""
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    text = subprocess.run(
        [exe, "-hide_banner", "-i", path], capture_output=True, text=True, errors="replace"
    ).stderr
    line = next((ln for ln in text.splitlines() if "Video:" in ln), None)
    if line is None:
        raise InputError("not a readable video (no video stream)", path)
    codec_m = re.search(r"Video: (\w+)", line)
    pix_m = re.search(r"Video: [^,]*?, (\w+)", line)
    codec = codec_m.group(1) if codec_m else ""
    pix_fmt = pix_m.group(1) if pix_m else ""
    # the WebM alpha flag is container metadata printed under the stream
    webm_alpha = bool(re.search(r"alpha_mode\s*:\s*1", text))
    alpha = bool(_ALPHA_PIX.match(pix_fmt)) or webm_alpha
    decoder = None
    if codec == "vp9" and webm_alpha:
        decoder = "libvpx-vp9"
    elif codec == "vp8" and webm_alpha:
        decoder = "libvpx"
    return StreamInfo(codec=codec, pix_fmt=pix_fmt, alpha=alpha, decoder=decoder)


def ffmpeg_frames(
    path: str,
    width: int,
    height: int,
    info: StreamInfo,
    output_params: list[str] | None = None,
    size: tuple[int, int] | None = None,
) -> Iterator[np.ndarray]:
    """Frames of ``path`` as (H, W, 4) uint8 RGBA when the stream has alpha, else
    (H, W, 3) uint8 RGB. ``output_params`` adds ffmpeg output options (a decimating
    filter for the analysis pass); ``size`` is then the filtered (width, height)."""
    import imageio_ffmpeg

    channels = 4 if info.alpha else 3
    input_params = ["-c:v", info.decoder] if info.decoder else None
    w, h = size or (width, height)
    gen = imageio_ffmpeg.read_frames(
        path,
        pix_fmt="rgba" if info.alpha else "rgb24",
        bpp=channels,
        input_params=input_params,
        output_params=output_params,
    )
    try:
        next(gen)
        for raw in gen:
            yield np.frombuffer(raw, np.uint8).reshape(h, w, channels)
    except RuntimeError as exc:
        raise InputError(f"the video breaks off ({str(exc).splitlines()[-1][:120]})", path) from None
    finally:
        gen.close()


# ffmpeg's exit summary at -v verbose: "... 300 frames decoded; 0 decode errors;"
_DECODED = re.compile(rb"\(video\): [^\n]*?(\d+) frames decoded")


class FilteredFrames:
    """One decode of an opaque video through an ffmpeg filter chain: iterating yields
    (height, width, 3) uint8 RGB frames, read from ffmpeg's pipe straight into their
    arrays. Filtering in ffmpeg (its own process, beside the keying) is what keeps a
    1080p clip cheap: the keyer reads only the pixels the fan shows. After the frames
    run out, ``decoded`` holds how many frames ffmpeg decoded before the filters
    (-1 when it did not say), so a decimating filter still counts the clip."""

    def __init__(
        self, path: str, info: StreamInfo, vf: str, size: tuple[int, int], passthrough: bool = False
    ):
        self.path, self.info, self.vf, self.size = path, info, vf, size
        self.passthrough = passthrough  # each kept frame once (a select filter's output)
        self.decoded = -1

    def command(self) -> list[str]:
        import imageio_ffmpeg

        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-nostats"]
        cmd += ["-v", "verbose"] + (["-c:v", self.info.decoder] if self.info.decoder else [])
        # ffmpeg picks the video stream as for the plain reader; sound and subtitles stay out
        cmd += ["-i", self.path, "-vf", self.vf, "-an", "-sn", "-dn"]
        cmd += ["-fps_mode", "passthrough"] if self.passthrough else []
        # the same muxer as the plain reader (imageio_ffmpeg.read_frames): the same frames
        return cmd + ["-f", "image2pipe", "-vcodec", "rawvideo", "-pix_fmt", "rgb24", "-"]

    def __iter__(self) -> Iterator[np.ndarray]:
        w, h = self.size
        frame_bytes = w * h * 3
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=log)
            stdout = cast(io.BufferedReader, process.stdout)  # Popen's pipes are buffered readers
            finished = False
            count = 0
            try:
                while True:
                    frame = np.empty((h, w, 3), np.uint8)
                    view = frame.reshape(-1).data
                    got = 0
                    while got < frame_bytes:
                        n = stdout.readinto(view[got:])
                        if not n:
                            break
                        got += n
                    if got < frame_bytes:
                        break
                    count += 1
                    yield frame
                stdout.close()
                code = process.wait()
                finished = True
                log.seek(0)
                text = log.read()
                if got or (code != 0 and not count):
                    lines = [ln for ln in text.decode("utf-8", "replace").splitlines() if ln.strip()]
                    errors = [ln for ln in lines if "rror" in ln] or lines  # the log is verbose
                    reason = errors[-1].strip()[:120] if errors else f"ffmpeg exit status {code}"
                    raise InputError(f"the video breaks off ({reason})", self.path)
                counts = _DECODED.findall(text)
                self.decoded = int(counts[0]) if counts else -1
            finally:
                if not finished:  # the reader stopped early: ffmpeg is not needed any more
                    process.kill()
                    stdout.close()
                    process.wait()


def window_filter(win: Window) -> str:
    """The ffmpeg filter chain that shows a window of the source as
    holopack.video.crop.place does with cv2: the window cropped, resized (area
    averaging when shrinking, bilinear when enlarging) and padded black to the square.
    It works in RGB so that the chroma is sampled as the plain reader's (4:2:0 chroma
    upsampled at the source's size, then averaged)."""
    chain = [f"format=rgb24,crop={win.x1 - win.x0}:{win.y1 - win.y0}:{win.x0}:{win.y0}:exact=1"]
    if win.resized:
        w, h = win.out_x1 - win.out_x0, win.out_y1 - win.out_y0
        chain.append(f"scale={w}:{h}:flags={'bilinear' if win.enlarge else 'area'}")
    chain.append(f"pad={win.size}:{win.size}:{win.out_x0}:{win.out_y0}:color=black")
    return ",".join(chain)


def sample_filter(step: int, size: tuple[int, int] | None = None) -> str:
    """The ffmpeg filter that keeps frames 0, step, 2 step... (the first pass's
    samples), area-averaged to ``size`` (width, height) when given."""
    chain = f"select=not(mod(n\\,{int(step)}))"
    if size is not None:
        chain += f",format=rgb24,scale={size[0]}:{size[1]}:flags=area"
    return chain


def pil_rgba_frames(path: str) -> Iterator[np.ndarray]:
    """Every frame of a PNG/APNG/WebP/GIF as (H, W, 4) uint8 straight RGBA (GIF
    transparency becomes alpha 0)."""
    from PIL import Image, ImageSequence

    with Image.open(path) as image:
        for frame in ImageSequence.Iterator(image):
            yield np.asarray(frame.convert("RGBA"), np.uint8)


def pil_frame_durations(path: str) -> list[float]:
    """Seconds each frame of an animated picture is shown (GIF, APNG, WebP)."""
    from PIL import Image, ImageSequence

    with Image.open(path) as image:
        return [
            max(frame.info.get("duration", 100) or 100, 20) / 1000.0
            for frame in ImageSequence.Iterator(image)
        ]


def folder_pictures(path: str) -> list[str]:
    """The pictures of a frame folder in natural order (frame2 before frame10)."""
    names = [n for n in os.listdir(path) if n.lower().endswith(PICTURE_SUFFIXES[:3] + (".jpg", ".jpeg"))]

    def key(n):
        return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", n.lower())]

    return [os.path.join(path, n) for n in sorted(names, key=key)]


def folder_frames(files: list[str]) -> Iterator[np.ndarray]:
    """(H, W, 4) uint8 RGBA of each picture, all at the first picture's size."""
    from PIL import Image

    size = None
    for name in files:
        try:
            with Image.open(name) as image:
                rgba = image.convert("RGBA")
        except OSError as exc:
            raise InputError(f"not a readable picture ({str(exc).splitlines()[0][:120]})", name) from None
        if size is None:
            size = rgba.size
        elif rgba.size != size:
            raise InputError(
                f"is {rgba.size[0]}x{rgba.size[1]}, the folder's first picture is {size[0]}x{size[1]}", name
            )
        yield np.asarray(rgba, np.uint8)


def premultiply(rgba: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 straight RGBA -> (H, W, 3) uint8 composited over black."""
    rgb = rgba[..., :3].astype(np.uint16) * rgba[..., 3:4].astype(np.uint16)
    return ((rgb + 127) // 255).astype(np.uint8)


def over_black(frames: Callable[[], Iterator[np.ndarray]]) -> Callable[[], Iterator[np.ndarray]]:
    """An RGBA frame source as RGB over black (LEDs off where the picture is clear)."""

    def opened() -> Iterator[np.ndarray]:
        for frame in frames():
            yield premultiply(frame) if frame.shape[2] == 4 else frame

    return opened
