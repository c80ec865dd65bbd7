"""Pictures and videos as input: an installer's existing loop, packed for the fan.

Frames are read lazily and streamed, never all held in memory.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from functools import partial

import numpy as np

from .. import notices
from ..containment import check_regular, shorten
from ..errors import InputError
from ..limits import BOUNDS, MAX_FRAMES, check_picture_size
from ..video import decode as alpha_decode
from ..video import hdr
from .pictures import is_animation, open_picture, rgba_array
from .scene import Scene
from .types import MediaSource

_MAX_FPS = BOUNDS["fps"][1]
STILL_SECONDS = 5.0  # how long a still picture plays when no --seconds is given
DEFAULT_SEQUENCE_FPS = 30.0  # a folder of pictures carries no rate of its own


def _pil_open(path: str):
    """The picture at ``path`` as viewers show it (pictures.open_picture)."""
    return open_picture(path)


def load_image(path: str) -> Scene:
    image = _pil_open(path)
    if is_animation(image):  # APNG, animated WebP: a clip (a TIFF's pages, an MPO's second picture are not)
        return _load_gif(path)
    # one RGBA copy, composited over black in integers; the RGBA is kept only when it
    # has alpha. A 6000 x 4500 still peaked at 1.6 GB (float32 compositing, the RGBA
    # read twice and always kept), over the 1 GB the memory budget is sized for.
    rgba = rgba_array(image)
    del image
    has_alpha = bool((rgba[..., 3] < 255).any())
    picture = alpha_decode.premultiply(rgba) if has_alpha else np.ascontiguousarray(rgba[..., :3])
    return _still(path, picture, rgba if has_alpha else None)


# Dolby Vision profile 5 has no base layer any other decoder can show: it is coded in
# Dolby's own IPTPQc2 colour space, which ffmpeg decodes as if it were Y'CbCr
DOLBY_VISION_5 = (
    "Dolby Vision profile 5 is coded in Dolby's own colour space, which only Dolby's decoder "
    "shows right: its colours here come out with a green and purple cast; convert it to "
    "HDR10, HLG or SDR first"
)

HEIF_ADVICE = (
    "convert it to JPEG or PNG (on an iPhone: Settings > Camera > Formats > Most Compatible, "
    "or share it as JPEG)"
)


def load_heif(path: str) -> Scene:
    """A HEIC/HEIF photo (an iPhone's default), which Pillow does not read: the bundled
    ffmpeg decodes its picture, shown as a still (read as a one-frame clip at 1 fps it
    was keyed and framed as a clip). One that ffmpeg cannot decode is refused with what
    to convert it to."""
    try:
        # what the clip reader says of a video's length means nothing for a photo (a cut
        # HEIC: "its video ends after 1.00 s of the 0.00 s it promises; the loop is what
        # is there", above the line that refuses it)
        with notices.leaving_out("the file is cut short"):
            media = _load_ffmpeg(path).media
            assert media is not None  # a video loader always sets it
            picture = next(iter(media.frames()))
    except (InputError, StopIteration) as exc:
        reason = exc.message if isinstance(exc, InputError) else "no picture"
        reason = reason.removeprefix("not a readable video (").removesuffix(")")  # it is no video
        raise InputError(
            f"the HEIC photo cannot be decoded ({shorten(reason, 100)}); {HEIF_ADVICE}", path
        ) from None
    return _still(path, np.array(picture))


def _still(path: str, picture: np.ndarray, kept: np.ndarray | None = None) -> Scene:
    """A still as a one-frame MediaSource: picture (H, W, 3) uint8 over black, and its
    straight RGBA (H, W, 4) uint8 where it has alpha."""

    def frames() -> Iterator[np.ndarray]:
        yield picture

    def rgba_frames() -> Iterator[np.ndarray]:
        assert kept is not None
        yield kept

    media = MediaSource(
        path=path,
        width=picture.shape[1],
        height=picture.shape[0],
        fps=0.0,
        frame_count=1,
        open_frames=frames,
        alpha=kept is not None,
        open_rgba=rgba_frames if kept is not None else None,
    )
    return Scene(path=path, media=media)


def load_folder(path: str) -> Scene:
    """A folder of numbered pictures (PNG/WebP/JPEG) as a clip at DEFAULT_SEQUENCE_FPS."""
    files = alpha_decode.folder_pictures(path)
    if not files:
        raise InputError("the folder holds no PNG, WebP or JPEG pictures", path)
    first = next(alpha_decode.folder_frames(files[:1]))
    has_alpha = bool((first[..., 3] < 255).any())  # an opaque sequence keys like a video

    def rgba_frames() -> Iterator[np.ndarray]:
        return alpha_decode.folder_frames(files)

    media = MediaSource(
        path=path,
        width=first.shape[1],
        height=first.shape[0],
        fps=DEFAULT_SEQUENCE_FPS,
        frame_count=len(files),
        open_frames=alpha_decode.over_black(rgba_frames),
        alpha=has_alpha,
        open_rgba=rgba_frames,
    )
    return Scene(path=path, media=media)


def load_video(path: str) -> Scene:
    if os.path.splitext(path)[1].lower() == ".gif":
        # a one-frame GIF is a still, as a one-frame PNG is: read as a clip it was keyed and
        # framed as one ("the background moves"), 31 codes off the same picture as a PNG
        return load_image(path)
    return _load_ffmpeg(path)


def _load_gif(path: str) -> Scene:
    from PIL import ImageSequence

    image = _pil_open(path)
    durations = []
    try:
        for frame in ImageSequence.Iterator(image):
            if "duration" not in frame.info:
                # Pillow's WebP reader learns a frame's duration only by decoding it: without
                # this every frame of an animated WebP counted 100 ms (a 24 fps clip ran at 10)
                frame.load()
            duration = frame.info.get("duration", 100)
            if not isinstance(duration, (int, float)) or not math.isfinite(duration):
                duration = 100
            durations.append(max(duration, 20) / 1000.0)
            if len(durations) > MAX_FRAMES:
                kind = "GIF" if image.format == "GIF" else "animation"
                raise InputError(f"the {kind} has more than {MAX_FRAMES:,} frames", path)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        kind = "GIF" if image.format == "GIF" else "animation"  # an APNG, an animated WebP
        raise InputError(
            f"the {kind} is damaged ({shorten(str(exc) or type(exc).__name__, 120)})", path
        ) from None
    if not durations:
        raise InputError("the GIF has no frames", path)
    fps = len(durations) / sum(durations)
    starts = np.concatenate([[0.0], np.cumsum(durations)])

    def rgba_frames() -> Iterator[np.ndarray]:
        # GIF frames have their own durations: resample them to a constant rate so the
        # rest of the pipeline can count in frames.
        sources = alpha_decode.pil_rgba_frames(path)
        current = next(sources)
        index = 0
        for k in range(len(durations)):
            t = k / fps
            while index + 1 < len(durations) and t + 1e-9 >= starts[index + 1]:
                current = next(sources)
                index += 1
            yield current

    has_alpha = "transparency" in image.info or image.mode in ("RGBA", "LA", "PA")
    media = MediaSource(
        path=path,
        width=image.width,
        height=image.height,
        fps=fps,
        frame_count=len(durations),
        open_frames=alpha_decode.over_black(rgba_frames),
        alpha=has_alpha,
        open_rgba=rgba_frames if has_alpha else None,
    )
    return Scene(path=path, media=media)


def _load_ffmpeg(path: str) -> Scene:
    import imageio_ffmpeg

    check_regular(path, "video")
    # first: a sound-only or damaged file is named as such, not by ffmpeg's closing line
    stream = alpha_decode.probe_stream(path)
    try:
        with alpha_decode.quiet_imageio():
            reader = imageio_ffmpeg.read_frames(path, output_params=stream.map_args())
            meta = next(reader)
            reader.close()
    except (RuntimeError, OSError, StopIteration, ValueError, IndexError) as exc:
        reason = alpha_decode.ffmpeg_fault(str(exc)) if str(exc).strip() else type(exc).__name__
        raise InputError(f"not a readable video ({shorten(reason, 160)})", path) from None
    # the size ffmpeg hands over, already turned by a display matrix (a phone's portrait clip)
    stored_width, stored_height = (int(v) for v in meta.get("size", (0, 0)))
    # the rate of the stream read (imageio's is the first video stream's, a cover's too)
    fps = stream.fps or float(meta.get("fps") or 0.0)
    duration = float(meta.get("duration") or 0.0)
    if stored_width <= 0 or stored_height <= 0:
        raise InputError("the video has no usable picture stream", path)
    # non-square pixels (an anamorphic 480x360 shown 640x360) are made square in ffmpeg
    width, height = stream.display_size(stored_width, stored_height)
    if stream.dolby_vision == 5:
        notices.warn(DOLBY_VISION_5, path)
    # before anything else sees a picture: an interlaced stream's fields woven, an HDR
    # or wide-gamut stream made sRGB (as every SDR clip is read), the pixels made square
    tags = stream.colour
    conversion = hdr.conversion_for(
        tags, hdr.content_peak(path, stream.index) if tags.transfer == "smpte2084" else None
    )
    filters = [stream.deinterlace_filter(), stream.square_filter(stored_width, stored_height)]
    # a tile grid takes no filter: its colours are converted here once it is read
    stream.prefilter = None if stream.grid else ",".join(f for f in filters if f) or None
    # an HDR stream's conversion is split around a reader's own crop and scale: the
    # 16-bit signal where the reader converts to RGB, the tables to sRGB at its end
    if conversion is not None and not stream.grid:
        stream.signal = hdr.signal_filter(tags, stream.alpha)
        stream.postfilter = hdr.srgb_filter(conversion, stream.alpha)
    grid_conversion = conversion if stream.grid else None
    check_picture_size(width, height, 6, "a video frame", path)
    if fps <= 0:
        # ffmpeg writes rates from 1000 fps up as "1k fps", which imageio_ffmpeg does not
        # read: count the frames instead
        fps = _counted_fps(path)
    if fps > _MAX_FPS:
        raise InputError(f"the video runs at {fps:g} fps; holopack reads videos up to {_MAX_FPS:g} fps", path)
    frame_count = max(1, int(round(duration * fps)))
    span = alpha_decode.video_span(path, stream.index)
    # trusted to shorten the clip only: a stream whose time stamps wander (a raw
    # elementary stream, a broken muxer) keeps the container's count; but up to two
    # frames longer, as an MPEG-1 program stream's container leaves them out (a 24-frame
    # .mpeg said 0.90 s at 25 fps: its last two frames were never shown)
    if span is not None and (duration <= 0 or span.seconds <= duration + 2.0 / fps):
        # the picture's own length, not the container's (sound may run on; a cut file's
        # index promises more than it holds)
        if span.cut_short:
            notices.warn(
                f"the file is cut short: its video ends after {span.seconds:.2f} s of the "
                f"{duration:.2f} s it promises; the loop is what is there",
                path,
            )
        frame_count = max(1, int(round(span.seconds * fps)))
    if frame_count > MAX_FRAMES:
        raise InputError(
            f"the video has about {frame_count:,} frames, more than the {MAX_FRAMES:,} holopack reads", path
        )

    def frames() -> Iterator[np.ndarray]:
        gen = imageio_ffmpeg.read_frames(path, output_params=alpha_decode.reader_params(stream, None))
        try:
            with alpha_decode.quiet_imageio():
                next(gen)
            for raw in gen:
                frame = np.frombuffer(raw, np.uint8).reshape(height, width, 3)
                yield frame if grid_conversion is None else hdr.convert_picture(grid_conversion, frame)
        except RuntimeError as exc:
            raise InputError(f"the video breaks off ({str(exc).splitlines()[-1][:120]})", path) from None
        finally:
            gen.close()

    def rgba_frames(seek: float = 0.0) -> Iterator[np.ndarray]:
        return alpha_decode.ffmpeg_frames(path, width, height, stream, seek=seek)

    media = MediaSource(
        path=path,
        width=width,
        height=height,
        fps=fps,
        frame_count=frame_count,
        open_frames=alpha_decode.over_black(rgba_frames) if stream.alpha else frames,
        alpha=stream.alpha,
        open_rgba=rgba_frames if stream.alpha else None,
        open_rgba_from=rgba_frames if stream.alpha else None,
        # (a stream with alpha and an HDR signal: read whole, as the signal has no alpha)
        open_filtered=None
        if stream.alpha and stream.signal
        else partial(alpha_decode.FilteredFrames, path, stream),
        colour=conversion.describe() if conversion is not None else None,
        rgb_filter=stream.rgb_filter,
    )
    return Scene(path=path, media=media)


def _counted_fps(path: str) -> float:
    import imageio_ffmpeg

    try:
        frames, seconds = imageio_ffmpeg.count_frames_and_secs(path)
    except (RuntimeError, OSError, ValueError, IndexError):
        frames, seconds = 0, 0.0
    if frames <= 0 or not seconds or seconds <= 0:
        raise InputError("the video has no usable frame rate", path)
    return frames / seconds


def fit_square(picture: np.ndarray, size: int) -> np.ndarray:
    """Scale a picture to fit a size x size square, aspect kept, centred on black.

    picture (H, W, 3) uint8 -> (size, size, 3) uint8. Area averaging when shrinking
    (cv2.INTER_AREA) so detail does not alias; bilinear when enlarging.
    """
    import cv2

    h, w = picture.shape[:2]
    if h == w == size:
        return picture
    scale = size / max(h, w)
    new_w, new_h = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(np.ascontiguousarray(picture), (new_w, new_h), interpolation=interpolation)
    out = np.zeros((size, size, 3), np.uint8)
    y0, x0 = (size - new_h) // 2, (size - new_w) // 2
    out[y0 : y0 + new_h, x0 : x0 + new_w] = resized
    return out
