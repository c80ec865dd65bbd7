"""Pictures and videos as input: an installer's existing loop, packed for the fan.

Frames are read lazily and streamed, never all held in memory.
"""
from __future__ import annotations

import os
from typing import Iterator

import numpy as np

from ..errors import InputError
from ..video import decode as alpha_decode
from .scene import Scene
from .types import MediaSource

STILL_SECONDS = 5.0  # how long a still picture plays when no --seconds is given
DEFAULT_SEQUENCE_FPS = 30.0  # a folder of pictures carries no rate of its own


def _pil_open(path: str):
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(path)
        image.load()
        return image
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InputError(f"not a readable picture ({str(exc).splitlines()[0][:120]})", path) from None


def _to_rgb(image) -> np.ndarray:
    """A PIL image -> (H, W, 3) uint8, transparency composited onto black (LEDs off)."""
    rgba = np.asarray(image.convert("RGBA"), np.float32)
    rgb = rgba[..., :3] * (rgba[..., 3:4] / 255.0)
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def load_image(path: str) -> Scene:
    image = _pil_open(path)
    if getattr(image, "n_frames", 1) > 1:  # APNG, animated WebP: a clip
        return _load_gif(path)
    picture = _to_rgb(image)

    def frames() -> Iterator[np.ndarray]:
        yield picture

    rgba = np.asarray(image.convert("RGBA"), np.uint8)
    has_alpha = bool((rgba[..., 3] < 255).any())

    def rgba_frames() -> Iterator[np.ndarray]:
        yield rgba

    media = MediaSource(path=path, width=picture.shape[1], height=picture.shape[0], fps=0.0,
                        frame_count=1, open_frames=frames, alpha=has_alpha,
                        open_rgba=rgba_frames if has_alpha else None)
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

    media = MediaSource(path=path, width=first.shape[1], height=first.shape[0],
                        fps=DEFAULT_SEQUENCE_FPS, frame_count=len(files),
                        open_frames=alpha_decode.over_black(rgba_frames), alpha=has_alpha,
                        open_rgba=rgba_frames)
    return Scene(path=path, media=media)


def load_video(path: str) -> Scene:
    if os.path.splitext(path)[1].lower() == ".gif":
        return _load_gif(path)
    return _load_ffmpeg(path)


def _load_gif(path: str) -> Scene:
    from PIL import ImageSequence

    image = _pil_open(path)
    durations = []
    for frame in ImageSequence.Iterator(image):
        durations.append(max(frame.info.get("duration", 100), 20) / 1000.0)
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
    media = MediaSource(path=path, width=image.width, height=image.height, fps=fps,
                        frame_count=len(durations),
                        open_frames=alpha_decode.over_black(rgba_frames), alpha=has_alpha,
                        open_rgba=rgba_frames if has_alpha else None)
    return Scene(path=path, media=media)


def _load_ffmpeg(path: str) -> Scene:
    import imageio_ffmpeg

    try:
        reader = imageio_ffmpeg.read_frames(path)
        meta = next(reader)
        reader.close()
    except (RuntimeError, OSError, StopIteration, ValueError, IndexError) as exc:
        message = str(exc).strip().splitlines()
        reason = message[-1][:160] if message else type(exc).__name__
        raise InputError(f"not a readable video ({reason})", path) from None
    width, height = (int(v) for v in meta.get("size", (0, 0)))
    fps = float(meta.get("fps") or 0.0)
    duration = float(meta.get("duration") or 0.0)
    if width <= 0 or height <= 0 or fps <= 0:
        raise InputError("the video has no usable picture stream", path)
    frame_count = max(1, int(round(duration * fps)))
    stream = alpha_decode.probe_stream(path)

    def frames() -> Iterator[np.ndarray]:
        gen = imageio_ffmpeg.read_frames(path)
        try:
            next(gen)
            for raw in gen:
                yield np.frombuffer(raw, np.uint8).reshape(height, width, 3)
        except RuntimeError as exc:
            raise InputError(f"the video breaks off ({str(exc).splitlines()[-1][:120]})",
                             path) from None
        finally:
            gen.close()

    def rgba_frames() -> Iterator[np.ndarray]:
        return alpha_decode.ffmpeg_frames(path, width, height, stream)

    media = MediaSource(path=path, width=width, height=height, fps=fps,
                        frame_count=frame_count,
                        open_frames=alpha_decode.over_black(rgba_frames) if stream.alpha else frames,
                        alpha=stream.alpha, open_rgba=rgba_frames if stream.alpha else None)
    return Scene(path=path, media=media)


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
    out[y0:y0 + new_h, x0:x0 + new_w] = resized
    return out
