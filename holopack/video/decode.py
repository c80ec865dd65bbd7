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

import contextlib
import io
import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from ..containment import folder_entry
from ..errors import InputError
from ..scene.pictures import open_picture, rgba_array
from .hdr import ColourTags

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
    sar: tuple[int, int] = (1, 1)  # the stored pixels' aspect (width : height), as ffmpeg prints it
    rotation: float = 0.0  # degrees of the display matrix (ffmpeg turns the frames by it)
    # the filter every decode of the stream starts with (deinterlace_filter,
    # square_filter; set by the loader once it knows the decoded size), or None
    prefilter: str | None = None
    # an HDR or wide-gamut stream's conversion to sRGB, in two halves around a reader's
    # own crop and scale: ``signal`` turns the picture into its 16-bit R'G'B' signal
    # (hdr.signal_filter: the reader's chain puts it where it converts to RGB, see
    # rgb_filter), the postfilter applies the tables to sRGB at the chain's end
    # (hdr.srgb_filter); None for an SDR stream
    signal: str | None = None
    postfilter: str | None = None
    colour: ColourTags = ColourTags()  # the stream's colour tags (holopack.video.hdr)
    # the stream's index in the file (ffmpeg's "Stream #0:N") where readers must map it
    # (the file holds more than one video stream), else None: ffmpeg's own choice
    index: int | None = None
    fps: float = 0.0  # the rate ffmpeg prints for it (0: it does not say, or says "1k")
    interlaced: bool = False  # ffmpeg prints a field order ("top first"): camcorders, broadcast
    # a HEIC photo's tile grid: ffmpeg composes it in a filter graph of its own, and a
    # -vf beside that is refused ("Simple and complex filtering cannot be used together")
    grid: bool = False
    dolby_vision: int | None = None  # the Dolby Vision profile its configuration record names

    @property
    def rgb_filter(self) -> str:
        """The filter a reader's own chain (window_filter, sample_filter, every_filter)
        turns the decoded picture into RGB with: format=rgb24, or an HDR stream's
        16-bit signal, which the postfilter turns into sRGB after the chain; a stream
        with alpha (of no HDR signal) into RGBA, format=rgba."""
        if self.signal:
            return self.signal
        return "format=rgba" if self.alpha else "format=rgb24"

    @property
    def pix_fmt_out(self) -> str:
        """The raw format a filtered reader hands frames over in: rgba for a stream
        with alpha, else rgb24."""
        return "rgba" if self.alpha and not self.signal else "rgb24"

    def map_args(self) -> list[str]:
        """ffmpeg output options that read this stream and no other."""
        return ["-map", f"0:{self.index}"] if self.index is not None else []

    def around(self, vf: str | None) -> str:
        """A reader's filter chain ``vf`` (None: none; it converts to RGB with
        rgb_filter) between the stream's prefilter and postfilter: the whole -vf of one
        output ("" when there is no filter)."""
        return ",".join(f for f in (self.prefilter, vf, self.postfilter) if f)

    def deinterlace_filter(self) -> str | None:
        """The ffmpeg filter that weaves an interlaced stream's fields into whole pictures
        (None for a progressive one). bwdif, one picture per frame (the clip keeps its
        rate and count), touching only the frames flagged interlaced: read as they are
        stored, a bar moving 8 px a field showed on alternate rows 8 px apart."""
        if not self.interlaced:
            return None
        return "bwdif=mode=send_frame:parity=auto:deint=interlaced"

    def display_size(self, width: int, height: int) -> tuple[int, int]:
        """The (width, height) a player shows for frames that ffmpeg hands over at
        ``width`` x ``height`` (already turned by the display matrix): non-square
        pixels are widened or narrowed to square ones, the height kept, as players do.
        A turned picture's pixels are turned too, so their aspect is the inverse."""
        num, den = self.sar
        if num <= 0 or den <= 0 or num == den:
            return width, height
        if round(self.rotation) % 180:
            num, den = den, num
        return max(1, int(round(width * num / den))), height

    def square_filter(self, width: int, height: int) -> str | None:
        """The ffmpeg filter that makes the pixels square (None when they are)."""
        shown = self.display_size(width, height)
        if shown == (width, height):
            return None
        # bicubic, ffmpeg's default for scaling; setsar=1 so no later filter scales again
        return f"scale={shown[0]}:{shown[1]}:flags=bicubic,setsar=1"


# what ffmpeg prints when a file is not a video it can read, most telling first; its
# closing lines ("Conversion failed!", "Error opening output files") say nothing
_FFMPEG_FAULTS = (
    "moov atom not found",
    "partial file",
    "Invalid data found when processing input",
    "could not find codec parameters",
    "unspecified pixel format",
    "EBML header parsing failed",
    "End of file",
)
_FFMPEG_TAIL = (
    "Conversion failed",
    "Error opening output",
    "Nothing was written",
    "Terminating thread",
    "Task finished",
    "At least one output file",
    "Consider increasing",
    "Error while",
)


def ffmpeg_fault(text: str) -> str:
    """The one line of an ffmpeg log that says why a file did not decode."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for fault in _FFMPEG_FAULTS:
        for ln in lines:
            if fault.lower() in ln.lower():
                return re.sub(r"^(\[[^\]]*\] ?)+", "", ln)[:160]
    lines = [ln for ln in lines if not any(t in ln for t in _FFMPEG_TAIL)]
    return re.sub(r"^(\[[^\]]*\] ?)+", "", lines[-1])[:160] if lines else "ffmpeg gave no reason"


# how ffmpeg -i names a picture stream: a video stream, or a HEIC photo's grid of tiles
# (a "stream group" that ffmpeg's default mapping puts together into the whole picture)
_PICTURE = r"(?:Video|Tile Grid):"


def _main_video_line(text: str) -> tuple[str | None, bool]:
    """(the line of ``ffmpeg -i`` that is the clip, whether readers must map it).

    A HEIC photo's tile grid ("Stream group #0:N: Tile Grid:") is the picture: ffmpeg's
    default mapping composes it, and mapping its thumbnail stream instead read a phone's
    4032 x 3024 photo as 320 x 240. Otherwise the video stream that is not a cover picture
    ("attached pic"), the one marked default, else the largest; mapped where the file has
    more than one. A Matroska file may hold its cover as a one-frame video stream ahead
    of the clip: unmapped, a 12-frame clip at 10 fps read as 1 frame at the cover's 25 fps."""
    lines = text.splitlines()
    grids = [ln for ln in lines if re.match(r"\s*Stream group #0:\d+", ln) and "Tile Grid:" in ln]
    if grids:
        return next((ln for ln in grids if "(default)" in ln), grids[0]), False
    best, best_score, count = None, -1, 0
    for line in lines:
        if not re.match(r"\s*Stream #0:\d+", line) or "Video:" not in line:
            continue
        count += 1
        size_m = re.search(r", (\d+)x(\d+)", line)
        area = int(size_m.group(1)) * int(size_m.group(2)) if size_m else 0
        score = 0 if "(attached pic)" in line else 1 + area + (10**9 if "(default)" in line else 0)
        if score > best_score:
            best, best_score = line, score
    return best, count > 1


def _stream_block(text: str, line: str) -> str:
    """The lines ``ffmpeg -i`` prints under a stream's ``line`` (its metadata and side
    data: a display matrix, a Dolby Vision record), up to the next stream."""
    lines = text.splitlines()
    block = []
    for following in lines[lines.index(line) + 1 :]:
        if re.match(r"\s*(Stream #|Input #|Output #)", following):
            break
        block.append(following)
    return "\n".join(block)


def _dolby_vision_profile(text: str, line: str) -> int | None:
    """The profile of the Dolby Vision configuration record that ffmpeg prints among
    the side data under the stream's ``line`` ("DOVI configuration record: version:
    1.0, profile: 8, level: 4, ..."), or None."""
    m = re.search(r"DOVI configuration record:.*?\bprofile: (\d+)", _stream_block(text, line))
    return int(m.group(1)) if m else None


def _decoded_pix_fmt(path: str, index: int | None) -> str | None:
    """The pixel format of the stream's first decoded frame, from the filter graph's
    input that ffmpeg describes at -v verbose ("pixfmt:yuva420p"), or None."""
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "verbose", "-i", path]
    cmd += ["-map", f"0:{index}" if index is not None else "0:v:0", "-frames:v", "1", "-f", "null", "-"]
    try:
        text = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=60).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"pixfmt:(\w+)", text)
    return m.group(1) if m else None


def probe_stream(path: str) -> StreamInfo:
    """Read the clip's video stream (``_main_video_line``): its codec, pixel format,
    pixel aspect, display rotation, colour tags and rate, from ``ffmpeg -i``."""
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    text = subprocess.run(
        [exe, "-hide_banner", "-i", path], capture_output=True, text=True, errors="replace"
    ).stderr
    if not re.search(r"^Input #0", text, re.MULTILINE):
        raise InputError(f"not a readable video ({ffmpeg_fault(text)})", path)
    line, mapped = _main_video_line(text)
    if line is None:
        sound = any("Audio:" in ln for ln in text.splitlines())
        raise InputError("holds only sound, no video stream" if sound else "holds no video stream", path)
    codec_m = re.search(_PICTURE + r" (\w+)", line)
    pix_m = re.search(_PICTURE + r" [^,]*?, (\w+)", line)
    codec = codec_m.group(1) if codec_m else ""
    pix_fmt = pix_m.group(1) if pix_m else ""
    if pix_fmt == "none":  # ffmpeg found no decodable picture: a cut-off or damaged file
        raise InputError(f"the video is damaged or cut short ({ffmpeg_fault(text)})", path)
    # the WebM alpha flag is container metadata printed under the stream: Matroska's
    # AlphaMode ("alpha_mode"), or the tag ffmpeg writes when it muxes such a stream again
    # ("ALPHA_MODE"; its libvpx decoder then reads the alpha as from the first)
    webm_alpha = bool(re.search(r"alpha_mode\s*:\s*1", text, re.IGNORECASE))
    alpha = bool(_ALPHA_PIX.match(pix_fmt)) or webm_alpha
    index_m = re.search(r"Stream #0:(\d+)", line)
    index = int(index_m.group(1)) if index_m and mapped else None
    if codec == "hevc" and not alpha:
        # Apple's "HEVC with alpha" keeps its alpha in a second layer the header does not
        # show (ffmpeg -i prints yuv420p): only a decoded frame's format tells
        decoded = _decoded_pix_fmt(path, index)
        if decoded and _ALPHA_PIX.match(decoded):
            pix_fmt, alpha = decoded, True
    decoder = None
    if codec == "vp9" and webm_alpha:
        decoder = "libvpx-vp9"
    elif codec == "vp8" and webm_alpha:
        decoder = "libvpx"
    sar_m = re.search(r"\bSAR (\d+):(\d+) DAR", line)  # "[SAR 4:3 DAR 16:9]" or ", SAR 4:3 DAR 16:9"
    # the clip's own display matrix (a cover's or a second camera's stream has its own)
    rotation_m = re.search(r"rotation of (-?[\d.]+) degrees", _stream_block(text, line))
    fps_m = re.search(r" (\d+\.?\d*) fps", line)
    return StreamInfo(
        codec=codec,
        pix_fmt=pix_fmt,
        alpha=alpha,
        decoder=decoder,
        sar=(int(sar_m.group(1)), int(sar_m.group(2))) if sar_m else (1, 1),
        rotation=float(rotation_m.group(1)) if rotation_m else 0.0,
        colour=ColourTags.parse(line),
        index=index,
        grid="Tile Grid:" in line,
        dolby_vision=_dolby_vision_profile(text, line),
        fps=float(fps_m.group(1)) if fps_m else 0.0,
        interlaced=bool(re.search(_PICTURE + r" [^,]*?, \w+\([^)]*\b(top|bottom)\b[^)]*first", line)),
    )


@dataclass
class VideoSpan:
    """How long the video stream itself runs, from its packets' time stamps."""

    seconds: float  # from the first picture's start to the last one's end
    cut_short: bool  # ffmpeg found the file's end before the data its index promised


_NO_PTS = -(2**62)  # framecrc prints a packet without a time stamp as INT64_MIN
_PACKET = re.compile(r"^0,\s*(-?\d+),\s*(-?\d+),\s*(\d+),")


def video_span(path: str, index: int | None = None) -> VideoSpan | None:
    """The first video stream's span, read by demuxing it without decoding (ffmpeg's
    framecrc of the stream copied: one line per packet with its pts and duration).

    The container's "Duration" is the longest stream's: a phone clip whose sound runs on
    after the picture, or a download cut off halfway (the index still promising the
    whole clip) counted frames that never come, and the loop held its last picture
    for the difference. None when ffmpeg says nothing usable."""
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-i", path]
    cmd += ["-map", f"0:{index}" if index is not None else "0:v:0", "-c", "copy", "-f", "framecrc", "-"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    tb_m = re.search(r"^#tb 0: (\d+)/(\d+)", done.stdout, re.MULTILINE)
    if not tb_m:
        return None
    start, end = None, None
    # an MPEG program stream (.mpg, a DVD's .vob) leaves its last picture without a
    # presentation time: it is shown its reorder delay (the most any picture's
    # presentation follows its decoding) after its decoding time (without it a 24-frame
    # .mpg counted 23)
    delay, untimed_end = 0, None
    for line in done.stdout.splitlines():
        m = _PACKET.match(line)
        if not m:
            continue
        dts, pts, length = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if pts <= _NO_PTS:
            if dts > _NO_PTS:
                untimed_end = dts + length if untimed_end is None else max(untimed_end, dts + length)
            continue
        if dts > _NO_PTS:
            delay = max(delay, pts - dts)
        start = pts if start is None else min(start, pts)
        end = pts + length if end is None else max(end, pts + length)
    if start is None or end is None or end <= start:
        return None
    if untimed_end is not None:
        end = max(end, untimed_end + delay)
    seconds = (end - start) * int(tb_m.group(1)) / int(tb_m.group(2))
    return VideoSpan(seconds=seconds, cut_short="partial file" in done.stderr)


def ffmpeg_frames(
    path: str,
    width: int,
    height: int,
    info: StreamInfo,
    output_params: list[str] | None = None,
    size: tuple[int, int] | None = None,
    seek: float = 0.0,
) -> Iterator[np.ndarray]:
    """Frames of ``path`` as (H, W, 4) uint8 RGBA when the stream has alpha, else
    (H, W, 3) uint8 RGB. ``output_params`` adds ffmpeg output options (a decimating
    filter for the analysis pass); ``size`` is then the filtered (width, height).
    ``seek``: seconds from the start that ffmpeg seeks to before decoding (an input
    option: from the first frame at or after that time, as FilteredFrames' seek)."""
    import imageio_ffmpeg

    channels = 4 if info.alpha else 3
    input_params = ["-c:v", info.decoder] if info.decoder else []
    if seek > 0:
        input_params += ["-ss", f"{seek:.6f}"]
    w, h = size or (width, height)
    gen = imageio_ffmpeg.read_frames(
        path,
        pix_fmt="rgba" if info.alpha else "rgb24",
        bpp=channels,
        input_params=input_params or None,
        output_params=reader_params(info, output_params),
    )
    try:
        with quiet_imageio():
            next(gen)
        for raw in gen:
            yield np.frombuffer(raw, np.uint8).reshape(h, w, channels)
    except RuntimeError as exc:
        raise InputError(f"the video breaks off ({str(exc).splitlines()[-1][:120]})", path) from None
    finally:
        gen.close()


@contextlib.contextmanager
def quiet_imageio():
    """imageio-ffmpeg logs a warning whenever the decoded size differs from the stored
    one, which is right for a turned phone clip or non-square pixels: the user would
    see it on every run."""
    logger = logging.getLogger("imageio_ffmpeg")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def reader_params(info: StreamInfo, output_params: list[str] | None) -> list[str]:
    """``output_params`` for a reader of the whole frames: the stream's map, and its
    prefilter and HDR signal put first in the -vf chain and its postfilter last."""
    params = info.map_args() + list(output_params or [])
    if "-vf" in params:
        at = params.index("-vf") + 1
        params[at] = info.around(",".join(f for f in (info.signal, params[at]) if f))
        return params
    chain = info.around(info.signal)
    return params + ["-vf", chain] if chain else params


# ffmpeg's exit summary at -v verbose: "... 300 frames decoded; 0 decode errors;"
_DECODED = re.compile(rb"\(video\): [^\n]*?(\d+) frames decoded")


class FilteredFrames:
    """One decode of a video through an ffmpeg filter chain: iterating yields
    (height, width, 3) uint8 RGB frames, (height, width, 4) RGBA for a stream with alpha
    (StreamInfo.pix_fmt_out), read from ffmpeg's pipe straight into their arrays.
    Filtering in ffmpeg (its own process, beside the keying) is what keeps a 1080p clip
    cheap: the keyer reads only the pixels the fan shows. After the frames
    run out, ``decoded`` holds how many frames ffmpeg decoded before the filters
    (-1 when it did not say), so a decimating filter still counts the clip."""

    def __init__(
        self,
        path: str,
        info: StreamInfo,
        vf: str,
        size: tuple[int, int],
        passthrough: bool = False,
        also: tuple[str, str] | None = None,
        seek: float = 0.0,
    ):
        self.path, self.info, self.vf, self.size = path, info, vf, size
        # seconds from the clip's start that ffmpeg seeks to before decoding (an input
        # -ss: exact when transcoding, the first frame at or after it)
        self.seek = seek
        self.passthrough = passthrough  # each kept frame once (a select filter's output)
        # (vf, file): a second output of the same decode, every frame through vf, raw
        # pix_fmt_out frames written to the file (the first pass's every-frame extent)
        self.also = also
        self.decoded = -1

    def command(self) -> list[str]:
        import imageio_ffmpeg

        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-nostats"]
        cmd += ["-v", "verbose"] + (["-c:v", self.info.decoder] if self.info.decoder else [])
        if self.seek > 0:
            cmd += ["-ss", f"{self.seek:.6f}"]
        # the same muxer as the plain reader (imageio_ffmpeg.read_frames): the same frames
        main_out = ["-f", "image2pipe", "-vcodec", "rawvideo", "-pix_fmt", self.info.pix_fmt_out, "-"]
        main_out = (["-fps_mode", "passthrough"] if self.passthrough else []) + main_out
        prefilter, post = self.info.prefilter, self.info.postfilter
        # the second output's raw frames, into its file
        also_out = []
        if self.also is not None:
            also_out = ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", self.info.pix_fmt_out]
            also_out += ["-y", self.also[1]]
        if self.also is not None and prefilter:
            # both outputs from one run of the prefilter (deinterlacing, squaring the
            # pixels): run once for each output's chain, an HDR table there doubled an
            # HLG clip's first pass
            also_vf = self.also[0]
            stream = f"[0:{self.info.index}]" if self.info.index is not None else "[0:v:0]"
            main_vf = ",".join(f for f in (self.vf, post) if f)
            also_vf = ",".join(f for f in (also_vf, post) if f)
            graph = f"{stream}{prefilter},split=2[main][also];[main]{main_vf}[out];[also]{also_vf}[extent]"
            cmd += ["-i", self.path, "-filter_complex", graph, "-map", "[out]", *main_out]
            return cmd + ["-map", "[extent]", *also_out]
        # ffmpeg picks the video stream as for the plain reader; sound and subtitles stay out
        vf = self.info.around(self.vf)
        cmd += ["-i", self.path, *self.info.map_args(), "-vf", vf, "-an", "-sn", "-dn", *main_out]
        if self.also is not None:
            # ffmpeg decodes the input once and feeds each output's own filter chain
            also_vf = self.also[0]
            cmd += [*self.info.map_args(), "-vf", self.info.around(also_vf), "-an", "-sn", "-dn", *also_out]
        return cmd

    def __iter__(self) -> Iterator[np.ndarray]:
        w, h = self.size
        channels = 4 if self.info.pix_fmt_out == "rgba" else 3
        frame_bytes = w * h * channels
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=log)
            stdout = cast(io.BufferedReader, process.stdout)  # Popen's pipes are buffered readers
            _widen_pipe(stdout.fileno(), frame_bytes)
            finished = False
            count = 0
            try:
                while True:
                    frame = np.empty((h, w, channels), np.uint8)
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


# The most a pipe from ffmpeg is widened to (Linux's default /proc/sys/fs/pipe-max-size,
# the most an unprivileged process may ask for).
PIPE_BYTES = 1 << 20


def _widen_pipe(fd: int, frame_bytes: int) -> None:
    """Widen the pipe ``fd`` to hold a frame of ``frame_bytes`` (at most PIPE_BYTES, or
    the system's limit where that is lower), where the system allows it (Linux's
    F_SETPIPE_SZ; elsewhere the pipe stays as it is). Why: through the default 64 kB a
    672 px frame (1.35 MB) crossed in about 21 writes, each handing the core from ffmpeg
    to the reader and back; widened, the bench's keyed 1080p frames took 29.8-29.9 ms of
    CPU (both processes) instead of 30.8-31.3 and ran at 61.0-61.8 fps instead of
    57.9-59.7 on two cores (benchmarks/bench_key.py, in turns)."""
    try:
        import fcntl

        set_size = fcntl.F_SETPIPE_SZ
    except (ImportError, AttributeError):
        return
    size = min(PIPE_BYTES, max(frame_bytes, 1 << 16))
    try:
        fcntl.fcntl(fd, set_size, size)
    except OSError:  # over a lowered limit: ask for the limit itself
        with contextlib.suppress(OSError, ValueError):
            with open("/proc/sys/fs/pipe-max-size") as f:
                fcntl.fcntl(fd, set_size, min(size, int(f.read())))


# window_filter's first crop, in the decoded picture's own format: its corner on
# multiples of CROP_ALIGN (whole chroma samples for every subsampling, 4:1:1's four
# pixels too, and on the grid of any 8 x 8 ordered dither a conversion might use),
# CROP_MARGIN more on each side (the chroma upsampling's taps reach 4 pixels), so that
# the conversion to RGB sees what it saw on the whole frame: the same pixels (checked
# on 4:2:0 and 4:2:2, 8 and 10 bits, odd sizes, anamorphic and HLG clips; with no
# margin they differ), converted for the window alone: 5-25% of ffmpeg's CPU for the
# keyed window on 1080p clips, 8-20% on a 4K HLG clip, more the narrower the window.
CROP_ALIGN = 8
CROP_MARGIN = 8


def window_filter(
    win: Window, to_rgb: str = "format=rgb24", frame: tuple[int, int] | None = None, alpha: bool = False
) -> str:
    """The ffmpeg filter chain that shows a window of the source as
    holopack.video.crop.place does with cv2: the window cropped, resized (area
    averaging when shrinking, bilinear when enlarging) and padded black to the square.
    It converts to RGB (``to_rgb``: the stream's StreamInfo.rgb_filter) before it
    crops exactly, so that the chroma is sampled as the plain reader's (4:2:0 chroma
    upsampled at the source's size, then averaged); with the ``frame``'s (width,
    height), it first crops the window with a margin in the decoded format (see
    CROP_ALIGN), so that only that part is converted. With ``alpha`` (``to_rgb``
    format=rgba) the colour is premultiplied before it is resized, as place is given
    it (averaging straight colours let the colour of clear pixels bleed into the edge),
    and the padding is clear."""
    x0, y0 = win.x0, win.y0
    chain = []
    if frame is not None:
        width, height = frame
        ax0 = max(0, (win.x0 - CROP_MARGIN) // CROP_ALIGN * CROP_ALIGN)
        ay0 = max(0, (win.y0 - CROP_MARGIN) // CROP_ALIGN * CROP_ALIGN)
        ax1 = min(width, -(-(win.x1 + CROP_MARGIN) // CROP_ALIGN) * CROP_ALIGN)
        ay1 = min(height, -(-(win.y1 + CROP_MARGIN) // CROP_ALIGN) * CROP_ALIGN)
        if (ax0, ay0, ax1, ay1) != (0, 0, width, height):
            chain.append(f"crop={ax1 - ax0}:{ay1 - ay0}:{ax0}:{ay0}:exact=1")
            x0, y0 = win.x0 - ax0, win.y0 - ay0
    premultiplied = ",premultiply=inplace=1" if alpha else ""
    chain.append(f"{to_rgb}{premultiplied},crop={win.x1 - win.x0}:{win.y1 - win.y0}:{x0}:{y0}:exact=1")
    if win.resized:
        w, h = win.out_x1 - win.out_x0, win.out_y1 - win.out_y0
        chain.append(f"scale={w}:{h}:flags={'bilinear' if win.enlarge else 'area'}")
    # (black and clear where the picture has alpha: the padding is not the subject)
    chain.append(f"pad={win.size}:{win.size}:{win.out_x0}:{win.out_y0}:color=black{'@0' if alpha else ''}")
    return ",".join(chain)


def sample_filter(step: int, size: tuple[int, int] | None = None, to_rgb: str = "format=rgb24") -> str:
    """The ffmpeg filter that keeps frames 0, step, 2 step... (the first pass's
    samples), turned into RGB (``to_rgb``: the stream's StreamInfo.rgb_filter) and
    area-averaged to ``size`` (width, height) when given."""
    chain = f"select=not(mod(n\\,{int(step)})),{to_rgb}"
    if size is not None:
        chain += f",scale={size[0]}:{size[1]}:flags=area"
    return chain


def every_filter(size: tuple[int, int], to_rgb: str = "format=rgb24") -> str:
    """The ffmpeg filter that hands over every frame area-averaged to ``size`` (width,
    height): the first pass's small every-frame copy (analyse.clip_extent). It scales
    before it converts to RGB (``to_rgb``: the stream's StreamInfo.rgb_filter), so the
    full-size conversion is not paid twice."""
    return f"scale={size[0]}:{size[1]}:flags=area,{to_rgb}"


def pil_rgba_frames(path: str) -> Iterator[np.ndarray]:
    """Every frame of a PNG/APNG/WebP/GIF as (H, W, 4) uint8 straight RGBA (GIF
    transparency becomes alpha 0)."""
    from PIL import Image, ImageSequence

    with Image.open(path) as image:
        for frame in ImageSequence.Iterator(image):
            yield rgba_array(frame)


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
    suffixes = PICTURE_SUFFIXES[:3] + (".jpg", ".jpeg")
    names = []
    with os.scandir(path) as entries:
        for entry in entries:
            if not entry.name.lower().endswith(suffixes):
                continue
            # the containment rule: no symlink out of the folder, no device or FIFO. A plain
            # file listed here is inside by construction (its type comes with the listing);
            # only the others are resolved (that cost 31 us a picture, 3 s for 100,000)
            if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
                folder_entry(path, entry.name, "picture")
            names.append(entry.name)

    def key(n):
        return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", n.lower())]

    return [os.path.join(path, n) for n in sorted(names, key=key)]


def folder_frames(files: list[str]) -> Iterator[np.ndarray]:
    """(H, W, 4) uint8 RGBA of each picture as viewers show it (upright by its EXIF
    Orientation, in sRGB: pictures.open_picture), all at the first picture's size."""
    size = None
    for name in files:
        rgba = rgba_array(open_picture(name, "a frame"))
        shape = (rgba.shape[1], rgba.shape[0])
        if size is None:
            size = shape
        elif shape != size:
            raise InputError(
                f"is {shape[0]}x{shape[1]}, the folder's first picture is {size[0]}x{size[1]}", name
            )
        yield rgba


def premultiply(rgba: np.ndarray, keep_alpha: bool = False) -> np.ndarray:
    """(H, W, 4) uint8 straight RGBA -> (H, W, 3) uint8 composited over black (each
    colour code times alpha / 255, to the nearest code); with ``keep_alpha`` (H, W, 4):
    that colour and the alpha (alpha_kernel; numpy twin: alpha_reference.premultiply)."""
    from .alpha_kernel import premultiply_into

    out = np.empty(rgba.shape[:2] + (4 if keep_alpha else 3,), np.uint8)
    premultiply_into(np.ascontiguousarray(rgba), out)
    return out


def over_black(frames: Callable[[], Iterator[np.ndarray]]) -> Callable[[], Iterator[np.ndarray]]:
    """An RGBA frame source as RGB over black (LEDs off where the picture is clear)."""

    def opened() -> Iterator[np.ndarray]:
        for frame in frames():
            yield premultiply(frame) if frame.shape[2] == 4 else frame

    return opened
