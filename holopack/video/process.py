"""The processed clip: keyed to exact black, placed in the fan's square, levelled and
looped, streamed one frame at a time as a MediaSource the pipeline reads like any video.

Per frame: place the source in the output square first (so the matte is computed at the
output size, not the source's: a 1080p frame becomes a 672 px one before the per-pixel
work; ffmpeg decodes an opaque video already cropped and scaled, so the full frame never
crosses the pipe), then matte (key_kernel.matte), refine it in the subject's window
(holes, unmixing, then the edge: a ramp for lossless pictures, the outline's sub-pixel
coverage for a lossy codec's, its partly covered pixels placed by their colour between
plate and subject where the backdrop is no coloured screen), find the edge band and the
spill around screen-coloured pixels, composite (key_kernel.composite). A segmented
clip (--key person) takes the person segmenter's matte on the placed frame instead
(holopack.video.segment), premultiplied in linear light.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import cast

import cv2
import numpy as np

from ..ahead import ahead
from ..notices import warn
from ..scene.types import MediaSource
from . import segment
from .analyse import ALPHA_GATE, VideoModel, analyse, opaque_alpha, source_frames
from .backdrop import frame_border, lit_background
from .crop import Placement, circle_placement, fit_placement, place, window
from .decode import premultiply, window_filter
from .despill import despill_planes
from .edge_fade import apply_fade, fade_for
from .loop import crossfade_frames, crossfade_length, pingpong_frames
from .matte import KeyState, ScoredFrame, background_for, edge_band, finish_frame, score_frame
from .matte import ycbcr as _ycbcr
from .options import VideoOptions

# Processed frames that may wait for the reader: one being resampled while the next is
# keyed, and one more to absorb a frame that keys slowly.
KEY_AHEAD = 2


class FrameProcessor:
    """Source frames -> processed (S, S, 3) uint8 frames for one pass over the clip
    (it carries the temporal state, so each stream has its own)."""

    def __init__(self, model: VideoModel, placement: Placement):
        self.model = model
        self.placement = placement
        s = placement.size
        self.plate_rgb = None
        self.plate_ycc = None
        if model.use_plate and model.plate is not None:
            self.plate_rgb = place(model.plate, placement.scaled_source(model.analysis_scale))
            self.plate_ycc = _ycbcr(self.plate_rgb)
        self.background = background_for(model, self.plate_rgb, (s, s, 3))
        if model.use_key and self.plate_rgb is None:
            # The key colour stands for the backdrop where the source lies; around it
            # the square is black padding, as a placed plate is. Lit there, a ring of
            # padding alone (a frame placed whole in the fan's circle) read as the clip
            # faded to black (fade.fade_of), and every frame came out black.
            covered = np.zeros((s, s), bool)
            win = window(model.width, model.height, placement)
            if win is not None:
                covered[win.out_y0 : win.out_y1, win.out_x0 : win.out_x1] = True
            self.background[~covered] = 0.0
        self.state: KeyState | None = None
        self.last_alpha: np.ndarray | None = None
        self.segmenter: segment.Segmenter | None = None
        self.segment_state = segment.SegmentState()

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        model = self.model
        if model.alpha and frame.shape[2] == 4:
            return self.placed_alpha(place(premultiply(frame, keep_alpha=True), self.placement))
        return self.key(place(frame[..., :3], self.placement))

    def placed_alpha(self, placed: np.ndarray) -> np.ndarray:
        """A frame with alpha already placed in the square, its colour premultiplied
        (S, S, 4) uint8 -> processed (S, S, 3) uint8; last_alpha its alpha, gated."""
        model = self.model
        alpha = placed[..., 3].astype(np.float32) / 255.0
        alpha[alpha < ALPHA_GATE] = 0.0
        # the colour as a picture of its own (a view of the four channels slowed every
        # step after it: numpy's loops over three codes at a time took 14 ms to mask a
        # 1024 px frame for the fan's circle), cleared where the alpha is: 2.0 ms a
        # 1024 px frame against 17.7 for numpy's masked assignment into the view
        colour = cv2.cvtColor(placed, cv2.COLOR_RGBA2RGB)
        self.last_alpha = alpha
        if model.despill >= 0:
            # a screen's colour left under the clear pixels and on the rim (analyse's
            # rim_leans_to): the rim's pixels despilled as a keyed clip's
            # (matte.edge_band, key_kernel.composite's rule), on the colour already
            # premultiplied, before the levels' gain as there. In OpenCV's planes: 1.0
            # ms a 1024 px frame with the band, against 4.3 for composite's whole pass
            # and 3.5 for numpy's indices of the band
            planes = list(cv2.split(colour))
            despill_planes(planes, model.despill, edge_band(alpha), model.despill_allowance)
            colour = cv2.merge(planes)
        if model.gain != 1.0:
            colour = np.minimum(255.0, colour * model.gain + 0.5).astype(np.uint8)
        return cv2.bitwise_and(colour, colour, mask=(alpha > 0).view(np.uint8))

    @property
    def keys_in_two_stages(self) -> bool:
        """Whether ``key`` is ``finish(score(placed))``: a keyed clip, not a segmented
        or an unkeyed one."""
        return (self.model.use_plate or self.model.use_key) and not self.model.use_segment

    def key(self, placed: np.ndarray) -> np.ndarray:
        """An opaque frame already placed in the square (S, S, 3) uint8 -> processed."""
        model = self.model
        if self.keys_in_two_stages:
            return self.finish(self.score(placed))
        if model.use_segment:
            if self.segmenter is None:
                self.segmenter = segment.Segmenter()
            alpha = segment.segment_matte(self.segmenter(placed), placed, self.segment_state)
            self.last_alpha = alpha
            return segment.premultiplied(placed, alpha, model.gain)
        self.last_alpha = (placed.max(axis=-1) > 0).astype(np.float32)
        if model.gain == 1.0:
            return placed
        return np.minimum(255.0, placed * model.gain + 0.5).astype(np.uint8)

    def score(self, placed: np.ndarray) -> ScoredFrame:
        """A keyed clip's placed frame through the matte kernel (matte.score_frame): the
        first stage, which only needs the frame before through this stage."""
        scored, self.state = score_frame(
            self.model, placed, self.plate_ycc, self.plate_rgb, self.state, self.background
        )
        return scored

    def finish(self, scored: ScoredFrame) -> np.ndarray:
        """The second stage (matte.finish_frame), frames in their order -> processed."""
        assert self.state is not None  # score() made it
        colour, self.last_alpha = finish_frame(self.model, scored, self.state, self.model.gain)
        return colour


@dataclass
class ProcessedMedia(MediaSource):
    """A video made ready for the fan. ``set_size(S)`` must be called before
    ``frames()`` (the pipeline's VideoSource does); frames are then (S, S, 3) uint8."""

    # required, by keyword (MediaSource's own fields before them have defaults)
    model: VideoModel = field(kw_only=True)
    options: VideoOptions = field(kw_only=True)
    margin: float = 0.08
    source: MediaSource = field(kw_only=True)
    size: int = 0
    # a wall's canvas decides the placement itself (holopack.wall.source.canvas_cut):
    # set, it replaces the fan's square and circle
    fixed: Placement | None = None

    def set_size(self, size: int) -> None:
        self.size = int(size)

    def placement(self) -> Placement:
        if self.fixed is not None:
            return self.fixed
        size = self.size or max(self.width, self.height)
        if self.options.crop == "auto" and self.model.box is not None:
            return circle_placement(self.model.box, size, self.margin)
        return fit_placement(self.width, self.height, size)

    def processed(self, skip: int = 0) -> Iterator[np.ndarray]:
        """The source's frames from ``skip`` on, processed (a stream with its own state),
        decoded and keyed on a worker thread up to KEY_AHEAD frames ahead of the reader,
        which meanwhile resamples and encodes the frame before (see ahead.py)."""
        # with no kept frames named, every frame is processed: none is None
        return ahead(cast(Iterator[np.ndarray], self._processed(skip)), KEY_AHEAD)

    def frames_kept(self, kept: np.ndarray) -> Iterator[np.ndarray | None]:
        """frames(), with only the frames ``kept`` (bool (N,), read as the frames are
        reached: a reader may clear more) processed, the others None: a clip faster than
        the device (60 fps on a 30 fps fan) is keyed at the device's rate, and the
        frames the preview skips are not keyed (pipeline.frames.VideoSource). A
        crossfaded loop's frame j blends the clip's frames j and N - fade + j, so both
        follow the mask; a ping-pong loop replays its forward frames backwards and
        processes every frame."""
        loop = self.options.loop
        if loop is None:
            return ahead(self._processed(0, kept), KEY_AHEAD)
        if loop[0] != "crossfade":
            return self.frames()
        n = self.model.frame_count
        fade = crossfade_length(n, loop[1], self.fps)
        start = ahead(self._processed(0, kept), KEY_AHEAD)
        tail = ahead(self._processed(n - fade, ShiftedMask(kept, n - fade, fade)), KEY_AHEAD)
        return crossfade_frames(start, tail, n, fade)

    def _processed(self, skip: int, kept: KeptMask | None = None) -> Iterator[np.ndarray | None]:
        """processed() before the worker thread; ``kept``: bool (N,), the frames the
        reader will show: the others are decoded but not processed and come as None
        (frames past its end are processed)."""
        placement = self.placement()
        fade = None
        if self.options.edge_fade == "auto":
            fade = fade_for(placement, self.width, self.height, self.model.box)
        for frame in self._keyed(placement, skip, kept):
            yield frame if fade is None or frame is None else apply_fade(frame, fade)

    def _keyed(self, placement: Placement, skip: int, kept: KeptMask | None) -> Iterator[np.ndarray | None]:
        processor = FrameProcessor(self.model, placement)
        # a clip with alpha is placed by ffmpeg too: premultiplied where its alpha is
        # kept, its straight colour where it is keyed from its colour (its alpha opaque
        # throughout, or set aside for a named key)
        with_alpha = self.model.alpha and self.source.alpha
        placed = placed_frames(self.source, placement, skip, alpha=with_alpha, straight=not with_alpha)
        first = 0  # the clip's index of the first frame read
        process: Callable[[np.ndarray], np.ndarray]
        if placed is not None and with_alpha:
            frames, first, process = placed, skip, processor.placed_alpha
        elif placed is not None:
            # ffmpeg crops and scales: only the pixels the fan shows reach the keyer;
            # a stream from frame ``skip`` on starts there
            frames, first = placed, skip
            if processor.keys_in_two_stages:
                yield from _two_stages(processor, frames, skip, kept, first)
                return
            process = processor.key
        else:
            process = processor
            sought = rgba_frames_from(self.source, skip)
            frames, first = (source_frames(self.source), 0) if sought is None else (sought, skip)
        for index, frame in enumerate(frames, first):
            if index < skip:
                continue
            # the keyer's state then steps from one kept frame to the next, as in a clip
            # made at the device's rate
            yield process(frame) if kept is None or index >= len(kept) or kept[index] else None


# A stream from frame k on seeks to (k - SEEK_FRAMES) / fps: ffmpeg then starts at the
# first frame at or after that time, which is frame k where timestamps lie on the
# rate's grid, however they are rounded. Against decoding the clip from its start and
# skipping, the frames from k on were the same to the bit on H.264, HEVC and VP9 test
# clips at 24-60 fps and NTSC rates in MP4, MOV, MKV and WebM, and on five public clips
# (k from 1 to 140); seeking half a frame earlier gave two of the public clips a
# frame more at the end.
SEEK_FRAMES = 0.1


def placed_frames(
    media: MediaSource, placement: Placement, start: int = 0, alpha: bool = False, straight: bool = False
) -> Iterator[np.ndarray] | None:
    """An opaque video's frames from frame ``start`` on, placed in the square as
    crop.place places them (the window cropped, resized, padded black), by ffmpeg
    (decode.window_filter): (S, S, 3) uint8, and only the pixels the square shows cross
    the pipe; a later start is sought to, not decoded (a crossfade's tail: the export of
    a 20 s 1080p clip took 30-34 s of CPU with --loop crossfade=2 against 23-24 s
    without, decoding the clip twice). With ``alpha``, a video with alpha's the same
    way, as FrameProcessor.placed_alpha takes them: (S, S, 4) uint8, the colour
    premultiplied before it was resized; with ``straight``, a video with alpha's
    straight colour (S, S, 3), its alpha dropped. None where ffmpeg does not read the
    clip through a filter (a picture; a clip with alpha without either) or none of the
    frame lands in the square."""
    win = window(media.width, media.height, placement)
    if media.open_filtered is None or (media.alpha and not (alpha or straight)) or win is None:
        return None
    vf = window_filter(win, media.rgb_filter, (media.width, media.height), alpha=alpha and media.alpha)
    size = (placement.size, placement.size)
    if start > 0 and media.fps > 0:
        frames = media.open_filtered(vf, size, seek=(start - SEEK_FRAMES) / media.fps)
    else:
        frames = media.open_filtered(vf, size)
    if media.alpha and not alpha:
        # a clip with alpha keyed from its colour (one whose alpha is opaque, or a key
        # named for a clip keyed elsewhere): its straight colour placed as an opaque
        # clip's, the alpha dropped here (the stream's frames are RGBA). A 3 s 1080p WebM
        # keyed so, to the 42-F2: 5.8-6.5 s, against 7.2-7.7 read whole and placed in
        # numpy (the same clip in H.264: 5.2-5.7)
        return (cv2.cvtColor(frame, cv2.COLOR_RGBA2RGB) for frame in frames)
    return frames


def rgba_frames_from(media: MediaSource, start: int) -> Iterator[np.ndarray] | None:
    """A video with alpha's frames from frame ``start`` on, (H, W, 4) uint8 straight
    RGBA as source_frames reads them, sought to as placed_frames seeks (a crossfade's
    tail, whose frames before were decoded and dropped: a 10 s 1080p ProRes 4444 clip
    exported with --loop crossfade=2 in 30.1-32.8 s against 33.6-35.0, the same bytes);
    None where the source cannot seek."""
    if start <= 0 or media.fps <= 0 or not media.alpha or media.open_rgba_from is None:
        return None
    return media.open_rgba_from((start - SEEK_FRAMES) / media.fps)


def fitted_frames(media: MediaSource, size: int) -> Iterator[np.ndarray] | None:
    """placed_frames of the whole frame fitted in the size x size square, aspect kept,
    centred (scene.media.fit_square's picture within a code: ffmpeg's area average
    rounds its own way): an unkeyed clip's frames. A 1080p clip's frame took 8.1-8.4 ms
    of the process's CPU to read whole and fit with OpenCV, 0.3 ms so (the 42-F2's 672
    px; its ffmpeg decodes and scales in 5.9-6.6 ms of wall time against 9.7)."""
    return placed_frames(media, fit_placement(media.width, media.height, size))


# Scored frames that may wait for the second stage: one being finished, one scored.
SCORE_AHEAD = 1


class ShiftedMask:
    """The kept mask of a crossfade's tail: the clip's frame ``offset`` + i is kept as
    output frame i is (for i < ``length``), read from ``kept`` as it is reached."""

    def __init__(self, kept: np.ndarray, offset: int, length: int):
        self.kept, self.offset, self.length = kept, offset, min(length, len(kept))

    def __len__(self) -> int:
        return self.offset + self.length

    def __getitem__(self, index: int) -> bool:
        return bool(self.kept[index - self.offset]) if index >= self.offset else False


KeptMask = np.ndarray | ShiftedMask  # frames to process: read as the frames are reached


def _two_stages(
    processor: FrameProcessor, frames, skip: int, kept: KeptMask | None, first: int = 0
) -> Iterator[np.ndarray | None]:
    """processor.key on each placed frame of ``frames`` from ``skip`` on (None for a
    frame that ``kept`` leaves out; ``frames`` starts at the clip's frame ``first``),
    in two stages on two threads: the matte kernel of
    the next frame (with the read of it from ffmpeg's pipe) runs while this one is
    refined and composited. Each stage carries its own state from frame to frame, in
    order, so the frames are the same as key's one after the other. Why: a keyed frame's
    refinement is mostly serial, and on one thread the second core idled meanwhile (the
    1080p bench clip's keyed frames: 57-62 -> 64-65 fps idle; docs/video.md, "Two
    stages")."""

    def scored() -> Iterator[ScoredFrame | None]:
        for index, frame in enumerate(frames, first):
            if index < skip:
                continue
            shown = kept is None or index >= len(kept) or kept[index]
            yield processor.score(frame) if shown else None

    for item in ahead(scored(), SCORE_AHEAD, name="holopack-video-matte"):
        yield None if item is None else processor.finish(item)


def _open(media: ProcessedMedia) -> Iterator[np.ndarray]:
    loop = media.options.loop
    n = media.model.frame_count
    if loop is None:
        return media.processed()
    if loop[0] == "crossfade":
        fade = crossfade_length(n, loop[1], media.fps)
        # every frame processed: none is None
        return cast(
            Iterator[np.ndarray], crossfade_frames(media.processed(), media.processed(skip=n - fade), n, fade)
        )
    return pingpong_frames(media.processed(), n, tempfile.gettempdir())


def processed_media(
    media: MediaSource,
    options: VideoOptions,
    margin: float = 0.08,
    progress: Callable[[int, int], None] | None = None,
) -> ProcessedMedia:
    """``media`` analysed (the first pass; ``progress`` as analyse's) and wrapped: its
    frames() are processed frames."""
    model = analyse(media, options, progress)
    # what inspect lists (a background nothing keys, a clip left unkeyed) is said when
    # the clip is used too: an export that silently keeps a lit backdrop looks like a bug
    for message in model.warnings:
        warn(message, media.path)
    n = model.frame_count
    count = n
    if options.loop is not None and options.loop[0] == "crossfade":
        fade = crossfade_length(n, options.loop[1], media.fps)
        if options.loop[1] * media.fps > fade + 0.5:
            warn(
                f"--loop crossfade={options.loop[1]:g} is longer than half the {n / media.fps:.2f} s "
                f"clip: {fade / media.fps:.2f} s are blended",
                media.path,
            )
        count = n - fade
    elif options.loop is not None:
        count = max(1, 2 * n - 2)
    wrapped = ProcessedMedia(
        path=media.path,
        width=media.width,
        height=media.height,
        fps=media.fps,
        frame_count=count,
        open_frames=lambda: iter(()),
        alpha=False,
        model=model,
        options=options,
        margin=margin,
        source=media,
    )
    wrapped.open_frames = lambda: _open(wrapped)
    return wrapped


def prepare_scene(
    scene,
    options: VideoOptions | None,
    margin: float = 0.08,
    progress: Callable[[int, int], None] | None = None,
):
    """The scene with its video processed per ``options``; models and the plain options
    (no key, fit, no loop, no levels) pass through unchanged. A still picture is processed
    only when a key colour is named (green, blue, COLOR) or person, or when it has alpha
    (cropped to its subject), and never looped: ``auto`` finds
    no background in one frame (nothing moves against it), and a picture was never keyed
    by default; but ``--key green`` on a green-screen still was ignored without a word,
    and the fan showed the screen as a lit disc. progress: as analyse's, for the first
    pass."""
    if options is None or not scene.is_media or options.is_plain:
        return scene
    if isinstance(scene.media, ProcessedMedia):
        return scene
    from dataclasses import replace

    if scene.media.fps <= 0:
        # ... but for a picture with alpha (a logo, a cut-out product) whose subject
        # --crop auto fits into the circle from its alpha, as a clip's: fitted whole, a
        # logo filling its picture lost its corners past the circle, and a subject in one
        # corner of its picture stayed off centre
        cut_out = (
            scene.media.alpha
            and scene.media.open_rgba is not None
            and options.key == "auto"
            and options.crop == "auto"
            and not opaque_alpha(next(iter(scene.media.open_rgba()))[None])
        )
        if options.key in ("auto", "none") and not cut_out:
            if options.key == "auto" and not scene.media.alpha:
                # said here, where the picture is left as it is, so that every face
                # (export, walls, the preview) says it; inspect says it too
                lit = lit_background([frame_border(next(iter(scene.media.frames())))])
                if lit is not None:
                    warn(lit, scene.path)
            return scene
        options = replace(options, loop=None)
    return replace(scene, media=processed_media(scene.media, options, margin, progress))
