"""The first pass over a clip: what the background is, how to key it, where the subject is.

It reads the clip once and keeps only a decimated sample of frames (at most
SAMPLE_FRAMES, each scaled to at most ANALYSIS_PIXELS), so memory does not grow with
the clip's length. From the sample it builds the clean plate (plate_kernel), classifies
the background from its border, sets the noise gate from the border's noise, and mattes
the sample to find the subject's brightness. The subject's extent over the whole clip
is the sample's mattes' together with that of every frame, read in the same decode at
EXTENT_PIXELS into a temporary file and keyed there once the plate and gate are known
(clip_extent): a subject that reaches furthest between two samples is not cut off.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from ..allocator import give_back, small_pages
from ..errors import InputError
from . import despill, key_kernel, segment
from .decode import every_filter, folder_pictures, premultiply, sample_filter
from .edge_fade import cut_edges
from .fade import undo_fades
from .matte import (
    add_spill_band,
    background_for,
    codes_to_linear,
    edge_band,
    key_frame,
    key_matte,
    screen_light,
)
from .matte import ycbcr as _ycbcr
from .options import NAMED_KEYS, VideoOptions, key_label
from .plate_kernel import plate_behind, plate_mode, plate_nearest

SAMPLE_FRAMES = 24
ANALYSIS_PIXELS = 1_000_000
PLATE_TOLERANCE = 36  # sum of |RGB differences| two samples of still background stay within
BLACK_LEVEL = 20  # a border whose 95th percentile is below this is black already
CHROMA_EXCESS = 30  # the key channel this far above the others: a green/blue screen
# A border this share black is black, the rest of it a subject that touches the picture's
# edge (a garland along the top of a clip made on black: 64% of its border black), unless
# that rest is one colour, a backdrop's (a letterboxed green screen; a dark studio's pool
# of light reaching the border, which as black keyed at IoU 0.21 against 0.96): its lit
# pixels' chroma lies within SCREEN_SPREAD of their median for the most part (median
# distance; screens 0.2-0.9 in five public clips, the garland's pine, lights and snow 17.7).
# ... and the subject touches the edge in a few places: 90% of the plate's lit border
# pixels lie in at most LIT_PARTS connected parts (the garland: 1). A still scene lit
# here and there all round (a city at night, 73-83% of its border black) is no content
# made on black: as black it keyed at IoU 0.28-0.37, as a static backdrop 0.975-0.979.
BLACK_SHARE = 0.5
SCREEN_SPREAD = 5.0
LIT_PARTS = 3
SURE_SUPPORT = 0.6  # plate pixels this share of samples agree on need no second look
STATIC_SHARE = 0.8  # border share where the plate is supported by half the samples
# median plate roughness (at inpainting scale) below which inpainting predicts the backdrop
SMOOTH_LAPLACIAN = 1.5
# mean |plate step| per pixel of the plate at inpainting scale (about 160 px) along the
# border, below which a static backdrop is a studio: studios and screens 0.1-0.3 there,
# textures 3.3-4.6; per pixel at full analysis size a 1080p clip's texture measured
# 0.7-0.9 and was called a studio
SMOOTH_GRADIENT = 1.5
ALPHA_GATE = 8 / 255.0  # decoded alpha below this is compression noise: exact 0
# Every frame's copy for the extent (clip_extent): at most this many pixels, a 1080p
# frame 211 x 119 (a cell 9 source pixels wide), 75 kB a frame on disk.
EXTENT_PIXELS = 25_000
# A clean plate of no screen colour that the samples' borders lie further than this from
# (median YCbCr distance) does not hold: the camera moves or the light changes
# (_plate_does_not_hold)
PLATE_NOISE_LIMIT = 12.0
# the noise a colour key's stillness test takes (VideoModel.params[6] = 3 x it + 2)
COLOUR_KEY_NOISE = 2.0
# key_gate: border distances within 3 x the median and this many chroma units of the key
# colour are the screen (90th percentiles of the screen's own: four public green-screen
# clips 0-0.7, the MDN clip's yellow-green wall 4.9, its whole border 48)
KEY_SPREAD = 8.0
# wall_colour: a border whose chroma (as the key reads it) mostly lies within WALL_SPREAD
# of its median, a median of at least WALL_CHROMA, is a painted wall a colour key can
# tell from a person (the MDN clip's yellow-green wall: 48, its median spread 3.5; a
# teal wall whose white balance flickers by 16 codes: 47, 11.5; skin 18, beige 11)
WALL_SPREAD = 15.0
WALL_CHROMA = 30.0
# a faded sample whose noise undoing it magnifies more than this is left out of the
# first pass's statistics (holopack.video.fade; replaced by the nearest clearer sample)
SAMPLE_NOISE_GAIN = 1.2
EXTENT_CHUNK = 64  # frames keyed at a time from the copy: memory flat in the clip's length
# an alpha clip's cell is the subject's where its mean alpha reaches this (a quarter
# of the cell covered)
EXTENT_ALPHA = 0.25
# A clip with alpha keyed elsewhere from a screen (ffmpeg's colorkey, an editor's keyer
# without despill) can keep the screen's colour under its clear pixels and its light on
# the subject's rim. The colour left under the clear pixels is a screen's where
# wall_colour takes it; the rim leans to it where the subject's opaque pixels within
# SPILL_RIM_PX of a clear one exceed the deeper ones (SPILL_DEEP_PX and further) by
# SPILL_LEAN codes or more in that colour's strongest channel over the larger other
# (the spill measure's bar is 2), and by as much as the deeper ones' own excess. A green
# screen clip keyed by colorkey: 5.3-10.9 codes over 0.1-0.2; a subject on black, or
# without a colour under its clear pixels: not measured.
SPILL_RIM_PX = 2
SPILL_DEEP_PX = 6
SPILL_LEAN = 2.0
SPILL_CLEAR_SHARE = 0.005  # at least this share of the samples' pixels clear
SPILL_SAMPLES = 8
# a key colour whose chroma (as the key reads it, _key_uv) is below this is a grey: green
# screens measure 50-90, a yellow-green wall 48, skin 18, a beige backdrop 11
NEUTRAL_KEY = 8.0
LEVELS_TARGET = 250.0  # --levels auto: the subject's bright end lands here (sRGB code)
LEVELS_MAX_GAIN = 4.0
# A fan shows black as clear air, so a dark subject hardly shows on it (black text on a
# green screen, keyed right, leaves a few lit specks). A solid subject pixel whose
# brightest channel is below DARK_LEVEL (sRGB code; 2% of full light) counts as dark,
# and inspect and export warn where DARK_SHARE of the subject is. Measured on every
# DARK_STEP-th sample as the fan shows it (keyed, despilled, premultiplied, levelled).
DARK_LEVEL = 40
DARK_SHARE = 0.5
DARK_STEP = 4


@dataclass
class VideoModel:
    """What the first pass decided. plate: (Ha, Wa, 3) float32 sRGB codes of the clean
    plate at analysis scale (source pixels x ``analysis_scale``); box: the subject's
    extent (x0, y0, x1, y1) in source pixels over the whole clip, or None."""

    width: int
    height: int
    frame_count: int
    alpha: bool
    kind: str
    key: str
    key_rgb: tuple | None = None
    use_plate: bool = False
    use_key: bool = False
    despill: int = -1  # the despill mode (holopack.video.despill)
    despill_allowance: float = 0.0  # the excess a two-channel despill leaves (codes)
    plate: np.ndarray | None = None
    analysis_scale: float = 1.0
    params: np.ndarray = field(default_factory=lambda: np.zeros(7, np.float32))
    key_uv: np.ndarray = field(default_factory=lambda: np.zeros(2, np.float32))
    box: tuple | None = None
    gain: float = 1.0
    noise: float = 0.0  # median YCbCr distance of the border to the clean plate (0: no plate)
    edge_px: int = 2  # how far inwards an edge pixel's share is measured (matte.unmix_edge)
    use_segment: bool = False  # the matte is the person segmenter's (holopack.video.segment)
    see_through: bool = False  # --see-through auto: the screen's light unmixed (matte.screen_light)
    # the median share of the subject's pixels in the samples that are the screen seen
    # through it (matte.screen_light's groups; 0 without a screen; measured for inspect)
    seen_through: float = 0.0
    # the share of the subject's solid pixels that a fan barely lights (dark_share)
    dark: float = 0.0
    # an alpha clip's: a screen's colour under its clear pixels (colour_under_clear), or None
    colour_under: tuple | None = None
    warnings: list = field(default_factory=list)

    def report(self) -> dict:
        """JSON-friendly facts for inspect."""
        return {
            "alpha": self.alpha,
            "background": self.kind,
            "key": self.key,
            "subject_extent": None if self.box is None else [int(round(v)) for v in self.box],
            # where the frame cuts the subject (--edge-fade auto fades it out there)
            "cut_edges": list(cut_edges(self.box, self.width, self.height)),
            "levels_gain": round(self.gain, 3),
            "seen_through": round(self.seen_through, 3),
            "dark": round(self.dark, 3),
            "colour_under_clear": None if self.colour_under is None else key_label(self.colour_under),
        }


def source_frames(media):
    """The clip's frames as read for keying: (H, W, 4) RGBA with alpha, else (H, W, 3)."""
    return media.open_rgba() if media.alpha and media.open_rgba is not None else media.frames()


LOSSLESS_SUFFIXES = (".png", ".apng", ".gif")


def lossless_pictures(path: str) -> bool:
    """Is the clip lossless pictures (a PNG/APNG/GIF file, a folder of PNGs)? Their
    edges are as sharp as the source's; a lossy codec (H.264, VP9, JPEG, lossy WebP)
    and its halved chroma smear an edge over about two pixels, so an edge pixel's share
    is measured against the subject two pixels in, not one (matte.unmix_edge; static
    PNG test clip IoU 0.975 at one pixel, 0.968 at two; H.264 green clip 0.948 at one,
    0.975 at two)."""
    if os.path.isdir(path):
        files = folder_pictures(path)
        return bool(files) and all(f.lower().endswith(".png") for f in files)
    return path.lower().endswith(LOSSLESS_SUFFIXES)


def extent_size(width: int, height: int) -> tuple[int, int]:
    """The (width, height) of every frame's copy for the extent: EXTENT_PIXELS at most."""
    scale = min(1.0, math.sqrt(EXTENT_PIXELS / max(1, width * height)))
    return max(1, int(round(width * scale))), max(1, int(round(height * scale)))


def extent_channels(media) -> int:
    """Channels of every frame's copy: 4 (RGBA) where the clip is read with alpha."""
    return 4 if media.alpha and media.open_rgba is not None else 3


def sample_clip(media, count: int = SAMPLE_FRAMES, max_pixels: int = ANALYSIS_PIXELS):
    """Read the clip once: -> (samples uint8 (K, Ha, Wa, C), frames counted, scale)."""
    samples, frames, scale, _ = read_clip(media, count, max_pixels)
    return samples, frames, scale


def read_clip(
    media,
    count: int = SAMPLE_FRAMES,
    max_pixels: int = ANALYSIS_PIXELS,
    every: str | None = None,
    progress: Callable[[int, int], None] | None = None,
):
    """Read the clip once: -> (samples uint8 (K, Ha, Wa, C), frames counted, scale,
    step: sample k is frame k x step). every: a file to write every frame into,
    area-averaged to extent_size, as raw uint8 (extent_channels) frames one after
    another (clip_extent reads them). progress: called with (frames read, frames in the
    clip) as frames come (with ffmpeg's filter, at each sample)."""
    scale = min(1.0, math.sqrt(max_pixels / max(1, media.width * media.height)))
    size = (max(1, int(round(media.width * scale))), max(1, int(round(media.height * scale))))
    small = extent_size(media.width, media.height)
    step = max(1, math.ceil(max(1, media.frame_count) / count))
    first_step = step
    picked = None
    out = None
    if media.open_filtered is not None:
        # ffmpeg decodes every frame but hands over only the samples (frames 0, step...),
        # already at the analysis size, and writes every frame's small copy itself (RGBA
        # for a clip with alpha: a 1080p ProRes 4444 clip's every frame crossed the pipe
        # whole and was shrunk by cv2, 14 ms a frame, 4.2 of its first pass's 7.7 s)
        shrink = None if size == (media.width, media.height) else size
        to_rgb = media.rgb_filter
        also = None if every is None else (every_filter(small, to_rgb), every)
        picked = media.open_filtered(sample_filter(step, shrink, to_rgb), size, True, also=also)
        frames: Iterator[tuple[int, np.ndarray]] = ((i * first_step, f) for i, f in enumerate(picked))
    else:
        frames = enumerate(source_frames(media))
        out = None if every is None else open(every, "wb")  # noqa: SIM115  (closed below)
    kept, n = [], 0
    try:
        for n, frame in frames:  # noqa: B007  (n: the last frame's index)
            if progress is not None:
                progress(n + 1, max(media.frame_count, n + 1))
            if out is not None:
                out.write(
                    cv2.resize(np.ascontiguousarray(frame), small, interpolation=cv2.INTER_AREA).tobytes()
                )
            if n % step == 0:
                if frame.shape[1] != size[0] or frame.shape[0] != size[1]:
                    frame = cv2.resize(np.ascontiguousarray(frame), size, interpolation=cv2.INTER_AREA)
                kept.append(np.array(frame))
                if len(kept) >= 2 * count:  # the container understated the length
                    kept, step = kept[::2], step * 2
    finally:
        if out is not None:
            out.close()
    if not kept:
        raise InputError("the video has no frames", media.path)
    if picked is None:
        return np.stack(kept), n + 1, scale, step
    if picked.decoded < 0:  # ffmpeg did not say how many frames it decoded: count them
        return read_clip(replace(media, open_filtered=None), count, max_pixels, every, progress)
    if progress is not None:  # its last frames come after the last sample
        progress(picked.decoded, picked.decoded)
    return np.stack(kept), picked.decoded, scale, step


def border_mask(height: int, width: int) -> np.ndarray:
    """(H, W) bool: the outer ring of the picture (3% of the short side, 2 px at least)."""
    ring = max(2, int(round(0.03 * min(height, width))))
    mask = np.zeros((height, width), bool)
    mask[:ring], mask[-ring:], mask[:, :ring], mask[:, -ring:] = True, True, True, True
    return mask


# The border's statistics (its colour, brightness and noise) are taken from at most
# this many sample pixels, evenly spread along the ring: the whole ring of 24 one-megapixel
# samples is 2.2 million pixels, and its medians, percentiles and YCbCr took about 1 s of
# the first pass at a load of 5 (a 320 px test clip's ring, about 200 000, is read whole).
BORDER_PIXELS = 300_000


def border_sample(border: np.ndarray, samples: int) -> np.ndarray:
    """border bool (H, W), the number of samples -> int64 (P,) flat indices of ring
    pixels, every n-th so that samples x P stays within BORDER_PIXELS."""
    ring = np.flatnonzero(border.ravel())
    return ring[:: max(1, math.ceil(samples * len(ring) / BORDER_PIXELS))]


def _undo_sample_fades(samples: np.ndarray, plate: np.ndarray) -> None:
    """Samples (K, H, W, 3) uint8 faded from or to black or white (holopack.video.fade),
    against the clean plate (a mode: a fade's few frames do not move it), undone in
    place; one that shows nothing replaced by the nearest that shows something. Faded,
    a third of a test clip's samples (12 of 36 frames fading in) took the whole frame
    for the subject's extent, the key colour off the screen's and the noise gate 50-75%
    wider."""
    blank, gains = undo_fades(samples, codes_to_linear(plate))
    # a sample whose noise its undoing magnified would widen the gates set from the
    # samples' noise: it stands for nothing a clearer sample cannot
    blank |= gains > SAMPLE_NOISE_GAIN
    shown = np.flatnonzero(~blank)
    if len(shown) == 0 or not blank.any():
        return
    for i in np.flatnonzero(blank):
        samples[i] = samples[shown[np.argmin(np.abs(shown - i))]]


def _key_uv(rgb) -> np.ndarray:
    ycc = _ycbcr(np.asarray(rgb, np.float32).reshape(1, 3))[0]
    return (ycc[1:] * (100.0 / (ycc[0] + key_kernel.CHROMA_SOFTEN))).astype(np.float32)


def analyse(
    media,
    options: VideoOptions,
    progress: Callable[[int, int], None] | None = None,
    inspecting: bool = False,
) -> VideoModel:
    """The first pass over ``media`` (a scene.types.MediaSource) for ``options``.
    progress: called with (frames read, frames in the clip) as the clip is read (its
    decode is most of the pass: 1.2 of 2.7 s on a 10 s 1080p clip). inspecting: also
    measure what only inspect reports (VideoModel.seen_through: 62-70 ms of the 1080p
    bench clip's first pass, work an export would throw away)."""
    # the pass fills a few hundred MB of fresh memory once: unmarked for huge pages, its
    # faults do not stall (1.5 s of a 10 s 1080p clip's 3.7: holopack.allocator)
    with small_pages(), tempfile.TemporaryDirectory(prefix="holopack-extent-") as folder:
        every = os.path.join(folder, "every.rgb")
        samples, count, scale, step = read_clip(media, every=every, progress=progress)
        model = _analyse_samples(media, options, samples, count, scale, inspecting)
        model.box = _union(model.box, clip_extent(model, every, media, samples, step))
    # the samples and their mattes are gone: the memory they took goes back to the
    # system rather than stay beside the export's frames (holopack.allocator)
    del samples
    give_back()
    return model


def _analyse_samples(
    media, options: VideoOptions, samples: np.ndarray, count: int, scale: float, inspecting: bool = False
) -> VideoModel:
    model = VideoModel(
        width=media.width,
        height=media.height,
        frame_count=count,
        alpha=bool(media.alpha),
        kind="",
        key="none",
        analysis_scale=scale,
        edge_px=1 if lossless_pictures(media.path) else 2,
    )
    if model.alpha and opaque_alpha(samples):
        # an alpha channel that hides nothing (a product shot on white saved as APNG)
        # would leave its backdrop lit with no way to key it: keyed as a clip without one
        model.alpha = False
        samples = np.ascontiguousarray(samples[..., :3])
        if media.fps > 0:  # (a picture is keyed only with a key named: nothing to say)
            model.warnings.append("its alpha channel is opaque in every frame: keyed as a clip without alpha")
    if model.alpha and options.key not in ("auto", "none"):
        # a key named for a clip with alpha: keyed from its colour where a screen's
        # colour lies under its clear pixels (a clip keyed elsewhere, coarsely: ffmpeg's
        # colorkey cut into the held-out green screens' subjects, IoU 0.79-0.96, which
        # the named key keys as it keys the screen itself); else its alpha is kept
        under = colour_under_clear(samples)
        named = key_label(options.key)
        if under is not None:
            model.alpha = False
            samples = np.ascontiguousarray(samples[..., :3])
            model.warnings.append(
                f"its alpha is set aside: {key_label(under)} lies under its clear pixels, "
                f"so it is keyed from its colour by --key {named}"
            )
        else:
            model.warnings.append(
                f"--key {named} is set aside: no screen's colour lies under the clip's clear "
                "pixels, and its own alpha clears its background"
            )
    if model.alpha:
        model.kind, model.key = "alpha", "none (the clip's own alpha)"
        left = model.colour_under = colour_under_clear(samples)
        if left is not None and rim_leans_to(samples, left):
            model.despill = despill.despill_mode(left)
            model.despill_allowance = subject_allowance(samples, model.despill)
            model.key = (
                f"none (the clip's own alpha; its rim despilled of the {key_label(left)} left under it)"
            )
        mattes = samples[..., 3].astype(np.float32) / 255.0
        mattes[mattes < ALPHA_GATE] = 0.0
        colours = np.stack([premultiply(s) for s in samples])
        shown = (colours[::DARK_STEP], mattes[::DARK_STEP])
    else:
        mattes, colours, shown = _analyse_background(model, samples, options, inspecting)
    model.box = _extent(mattes, scale, media.width, media.height)
    if model.box is None:
        model.warnings.append(
            "no subject shows in any frame (transparent or black throughout): the fan shows nothing"
        )
    if options.levels == "auto":
        model.gain = _levels_gain(colours, mattes)
    model.see_through = options.see_through == "auto"
    _warn_dark(model, shown, options)
    return model


def colour_under_clear(samples: np.ndarray) -> tuple[int, int, int] | None:
    """samples uint8 (K, H, W, 4), straight colour -> the colour under their clear
    pixels (sRGB codes) where it is one colour of a screen's chroma (wall_colour) and
    SPILL_CLEAR_SHARE of the pixels or more are clear, else None: what a keyer that
    does not clear the colour leaves. Every SPILL_SAMPLES-th sample, every fourth
    pixel each way."""
    picked = samples[:: max(1, math.ceil(len(samples) / SPILL_SAMPLES)), ::4, ::4]
    clear = picked[..., 3] == 0
    if clear.mean() < SPILL_CLEAR_SHARE:
        return None
    return wall_colour(picked[..., :3][clear].astype(np.int64))


def rim_leans_to(samples: np.ndarray, left: tuple[int, int, int], mattes: np.ndarray | None = None) -> bool:
    """samples uint8 (K, H, W, 4), straight colour, or (K, H, W, 3) with their
    ``mattes`` float32 (K, H, W) (a keyed clip's); left: the screen's colour (under
    their clear pixels, colour_under_clear; or a wall's) -> whether the subject's rim
    leans to it (see SPILL_LEAN): a clip keyed elsewhere whose rim keeps the screen's
    light, or a keyed one whose rim the wall lights. In OpenCV (numpy's masks over 24
    samples of a 1080p clip took 2.0 s; these 8 take about 60 ms)."""
    mode = despill.despill_mode(left)
    if mode == despill.NONE:
        return False
    sums = np.zeros(4)  # rim excess, rim pixels, deep excess, deep pixels
    for sample, rim, deep in _rim_and_deep(samples, mattes):
        # the screen colour's excess (despill.excess_codes), 0 where below (saturating)
        excess = despill.excess_codes(cv2.split(np.ascontiguousarray(sample[..., :3])), mode)
        sums += (
            cv2.sumElems(cv2.bitwise_and(excess, excess, mask=rim))[0],
            cv2.countNonZero(rim),
            cv2.sumElems(cv2.bitwise_and(excess, excess, mask=deep))[0],
            cv2.countNonZero(deep),
        )
    if sums[1] == 0:
        return False
    deep_mean = sums[2] / sums[3] if sums[3] else 0.0
    lean = sums[0] / sums[1] - deep_mean
    # a subject of the screen's own hue is left alone: held to the others there, its rim
    # would lose its colour (a lime disc whose rim VP9's chroma greened: lean 11, its
    # own excess 70)
    return bool(lean >= max(SPILL_LEAN, deep_mean))


def subject_allowance(samples: np.ndarray, mode: int, mattes: np.ndarray | None = None) -> float:
    """The excess a two-channel despill ``mode`` leaves on the rim (despill.allowance)
    from the subject's deep pixels in the samples (as rim_leans_to takes them, every
    other pixel each way); 0 for a one-channel mode."""
    if mode < despill.SECONDARY:
        return 0.0
    deep = [sample[::2, ::2, :3][mask[::2, ::2] != 0] for sample, _, mask in _rim_and_deep(samples, mattes)]
    return despill.allowance(np.concatenate(deep) if deep else np.zeros((0, 3)), mode)


def _rim_and_deep(samples: np.ndarray, mattes: np.ndarray | None):
    """Every SPILL_SAMPLES-th sample with two masks uint8 (H, W): the subject's opaque
    pixels within SPILL_RIM_PX of a clear one, and those SPILL_DEEP_PX or further from
    any. Only opaque pixels: the samples are shrunk in straight colour, so a partly
    clear pixel carries the colour under its clear part."""
    step = max(1, math.ceil(len(samples) / SPILL_SAMPLES))
    opaque_from = 1.0 - ALPHA_GATE
    near_kernel = np.ones((2 * SPILL_RIM_PX + 1,) * 2, np.uint8)
    far_kernel = np.ones((2 * SPILL_DEEP_PX + 1,) * 2, np.uint8)
    for i in range(0, len(samples), step):
        sample = samples[i]
        if mattes is None:
            clear_here = (sample[..., 3] == 0).view(np.uint8)
            opaque = sample[..., 3] >= int(round(255.0 * opaque_from))
        else:
            clear_here = (mattes[i] <= 0).view(np.uint8)
            opaque = mattes[i] >= opaque_from
        rim = (cv2.dilate(clear_here, near_kernel).view(bool) & opaque).view(np.uint8)
        deep = (~cv2.dilate(clear_here, far_kernel).view(bool) & opaque).view(np.uint8)
        yield sample, rim, deep


def opaque_alpha(samples: np.ndarray) -> bool:
    """samples uint8 (K, H, W, 4) -> whether their alpha is opaque everywhere (within
    ALPHA_GATE of 255: compression noise)."""
    return int(samples[..., 3].min()) >= int(round(255.0 * (1.0 - ALPHA_GATE)))


def dark_share(colours: np.ndarray, mattes: np.ndarray, gain: float = 1.0) -> float:
    """colours (K, H, W, 3+) uint8 as the fan shows them before --levels (premultiplied
    over black), mattes (K, H, W) float32 -> the share of the solid subject's pixels
    (matte >= 0.5) whose brightest channel, times ``gain``, is below DARK_LEVEL; 0 with
    hardly any subject."""
    solid = mattes >= 0.5
    if int(solid.sum()) < 16:
        return 0.0
    brightest = colours[..., :3].max(axis=-1)[solid].astype(np.float32) * np.float32(gain)
    return float((brightest < DARK_LEVEL).mean())


def may_be_dark(samples: np.ndarray, mattes: np.ndarray, mode: int) -> bool:
    """samples (K, H, W, 3) uint8 as decoded, their mattes (K, H, W) float32, the key's
    despill mode -> whether the keyed subject may be dark (dark_share >= DARK_SHARE),
    from the samples alone. Keying can take a pixel's key channels down to its other
    channel(s) and, on the rim, halve the pixel and take off the screen behind it: inside
    the subject a pixel whose other channels reach twice DARK_LEVEL stays lit, and half
    of DARK_SHARE leaves room for the rim's pixels, which may not. Where less than that
    share of the subject is lit so, it may be dark."""
    solid = mattes >= 0.5
    if int(solid.sum()) < 16:
        return False
    channels = list(despill.other_channels(mode))
    lit = samples[..., channels].max(axis=-1)[solid] >= 2 * DARK_LEVEL
    return float(1.0 - lit.mean()) >= 0.5 * DARK_SHARE


def _warn_dark(model: VideoModel, shown: tuple[np.ndarray, np.ndarray] | None, options: VideoOptions) -> None:
    """model.dark from ``shown`` (colours, mattes: every DARK_STEP-th sample as the fan
    shows it, before --levels; None: not measured, the subject surely lit), and a
    warning where DARK_SHARE of the subject is dark."""
    if shown is None:
        return
    colours, mattes = shown
    model.dark = dark_share(colours, mattes, model.gain)
    if model.dark < DARK_SHARE:
        return
    message = (
        f"{100 * model.dark:.0f}% of the subject is dark (brightest channel below {DARK_LEVEL}/255): "
        "a fan shows black as clear air, so it will hardly show"
    )
    if options.levels != "auto":
        levelled = dark_share(colours, mattes, _levels_gain(colours, mattes))
        if levelled < DARK_SHARE:
            message += f" (--levels auto brightens it: {100 * levelled:.0f}% dark)"
    model.warnings.append(message)


def _analyse_background(
    model: VideoModel, samples: np.ndarray, options: VideoOptions, inspecting: bool = False
):
    k, h, w = samples.shape[:3]
    said = len(model.warnings)  # what the choice of key says comes after these
    plate = np.empty((h, w, 3), np.float32)
    support = np.empty((h, w), np.float32)
    plate_mode(samples, PLATE_TOLERANCE, plate, support)
    refine_plate(samples, plate, support)
    _undo_sample_fades(samples, plate)
    border = border_mask(h, w)
    ring = border_sample(border, k)
    ring_pixels = samples.reshape(k, -1, 3)[:, ring]  # (K, P, 3)
    pixels = ring_pixels.reshape(-1, 3).astype(np.int32)
    brightest = pixels.max(axis=1)
    black = brightest <= BLACK_LEVEL
    median = np.median(pixels, axis=0)
    mostly_black = float(black.mean()) >= BLACK_SHARE and not black.all()
    if mostly_black and _one_colour(pixels[~black]):
        # one colour lit beside the black: a backdrop (a screen inside black bars, a dark
        # studio's pool of light), whose colour says what it is
        median, mostly_black = np.median(pixels[~black], axis=0), False
    elif mostly_black and not _lit_in_few_parts(plate, border):
        mostly_black = False  # lit here and there all round: a scene (a city at night)
    static = k >= 3 and float((support[border] >= 0.5).mean()) >= STATIC_SHARE
    dominant = int(np.argmax(median))
    excess = median[dominant] - np.delete(median, dominant).max()
    if np.percentile(brightest, 95) <= BLACK_LEVEL:
        kind = "black"
    elif mostly_black:
        kind = "black"
        median = np.median(pixels[black], axis=0)  # the background's colour, not the subject's
    elif dominant in (1, 2) and excess >= CHROMA_EXCESS:
        kind = "green screen" if dominant == 1 else "blue screen"
    elif static:
        small = _reduced(plate)
        step = np.abs(np.diff(cv2.blur(small, (5, 5)), axis=1)).mean(axis=-1)
        ring_small = border_mask(*small.shape[:2])[:, 1:]
        kind = "studio" if float(step[ring_small].mean()) < SMOOTH_GRADIENT else "static"
    else:
        kind = "moving"
    model.kind = kind

    key = options.key
    if key == "auto":
        if kind in ("green screen", "blue screen"):
            key = kind.split()[0]
        elif kind == "moving" and segment.available():
            # neither a key colour nor a clean plate separates it: a person segmenter
            # can, where the subject is a person (on rendered figures it mostly fails:
            # docs/video.md), so the choice is said
            wall = wall_colour(pixels)
            segmented = _segment_samples(model, samples, options, wall)
            if segmented is not None:
                if model.use_segment:
                    model.warnings.append(
                        "the background moves and is no key colour: keyed by the person segmenter, "
                        "which is made for real people (--key none keeps the frame)"
                    )
                return _segmented_shown(model, segmented, samples)
            # it did not load (said in a warning), or found no person before a painted
            # wall: as without it
            key = wall if wall is not None else "none"
        elif kind == "moving" and (wall := wall_colour(pixels)) is not None:
            # a camera in hand before a painted wall: the wall's colour keys it
            key = wall
            model.warnings.append(
                f"the background moves: keyed by its colour {key_label(wall)}, one colour all round "
                f"(--key none keeps the frame; {segment.INSTALL} to segment a person)"
            )
        elif kind == "moving":
            key = "none"
            model.warnings.append(
                "the background moves and is no key colour: nothing keys it out "
                f"(give --key COLOR, key the clip before, or {segment.INSTALL} to segment a person)"
            )
        else:
            key = "plate"
    if key == "person":
        segmented = _segment_samples(model, samples, options)
        if segmented is None:
            raise InputError(model.warnings[-1])
        return _segmented_shown(model, segmented, samples)
    if key in ("green", "blue"):
        channel = 1 if key == "green" else 2
        model.key_rgb = (
            tuple(int(v) for v in median)
            if dominant == channel and excess >= CHROMA_EXCESS
            else NAMED_KEYS[key]
        )
        model.key = f"{key} {key_label(model.key_rgb)}"
    elif isinstance(key, tuple):
        model.key_rgb = key
        model.key = key_label(key)
    else:
        model.key = {"plate": "difference to the clean plate", "none": "none"}[key]
    if key == "none":
        lit = (samples.max(axis=-1) > BLACK_LEVEL).astype(np.float32)
        return lit, samples, (samples[::DARK_STEP], lit[::DARK_STEP])
    model.use_plate = static or key == "plate"
    neutral = model.key_rgb is not None and float(np.hypot(*_key_uv(model.key_rgb))) < NEUTRAL_KEY
    if neutral and not model.use_plate:
        # A white or grey key (a product shot on white, --key '#FFFFFF'): the key reads
        # chroma alone, in which every grey is the key, and a silver or black part of
        # the product was keyed out with the backdrop (a public photo of a headset on
        # white: 99.6% of it black). The key colour is the plate instead, and the
        # difference to it counts the luma as well.
        plate[...] = np.asarray(model.key_rgb, np.float32)
        model.use_plate = True
    # With a clean plate the key colour only steers despill: the plate's luma is at full
    # resolution where 4:2:0 video halves the chroma a colour key reads, so edges stay
    # solid (green test clip: matte IoU 0.946 with both, see docs/video.md).
    model.use_key = model.key_rgb is not None and not model.use_plate
    if model.key_rgb is not None:
        _take_key_colour(model, model.key_rgb, neutral)
    if kind == "black":
        # the background is known: a subject that stands still on it is no part of it
        plate[...] = median.astype(np.float32)
    elif model.key_rgb is not None and static:
        # a screen is its colour: plate pixels that are not are the subject standing still
        plate_ycc = _ycbcr(plate)
        uv = plate_ycc[..., 1:] * (100.0 / (plate_ycc[..., :1] + key_kernel.CHROMA_SOFTEN))
        off_key = np.sqrt(((uv - _key_uv(model.key_rgb)) ** 2).sum(-1))
        # The bar follows the ring's median: its 90th percentile, the bar before, rose past
        # a glow that reached the border in most samples (a public clip: 21.5 against 0.4
        # for the screen), the glow stayed in the plate, and the screen around the subject
        # was keyed as a dark ring in every frame without it.
        ghost = off_key > 1.5 * float(np.percentile(off_key[border], 50)) + 4.0
        ghost = cv2.dilate(ghost.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0  # and its rim
        if ghost.any() and not ghost.all():
            plate[ghost] = inpaint_plate(plate, ghost)[ghost]
    if model.use_plate:
        model.plate = plate
    params = np.zeros(7, np.float32)
    ycc_plate = _ycbcr(plate)
    frames_ycc = _ycbcr(ring_pixels)
    if model.use_plate:
        d = np.sqrt(((frames_ycc - ycc_plate.reshape(-1, 3)[ring]) ** 2).sum(-1))
        noise = float(np.median(d))
        model.noise = noise
        lo = max(3.2 * noise, 5.0)
        params[0:3] = (1.0, lo, lo + max(lo, 12.0))
    else:
        noise = COLOUR_KEY_NOISE
    if model.use_plate and kind != "black" and noise > PLATE_NOISE_LIMIT:
        if model.key_rgb is None:
            # --key auto: a person segmenter where one is installed and finds a person,
            # else a wall of one colour by that colour (wall_colour)
            wall = wall_colour(pixels) if options.key == "auto" else None
            segmented = _plate_does_not_hold(model, samples, options, noise, wall)
            if segmented is not None:
                return segmented
            if wall is not None:
                _take_key_colour(model, wall, False)
                model.key = key_label(wall)
        if model.key_rgb is not None and not neutral:
            # a key colour: it keys the clip alone (_plate_gives_way_to_colour)
            noise = _plate_gives_way_to_colour(model, params, noise)
    if model.use_key:
        uv = frames_ycc[..., 1:] * (100.0 / (frames_ycc[..., :1] + key_kernel.CHROMA_SOFTEN))
        lo = key_gate(np.sqrt(((uv - model.key_uv) ** 2).sum(-1)))
        params[3:6] = (1.0, lo, lo + max(lo, 10.0))
    params[6] = 3.0 * noise + 2.0
    model.params = params
    mattes = np.empty(samples.shape[:3], np.float32)
    # the colours are for --levels auto only: without it the samples are matted, not
    # composited (one 1 MP colour fewer per sample)
    colours = np.empty_like(samples) if options.levels == "auto" else samples
    background = background_for(model, plate, plate.shape)
    background_linear = codes_to_linear(background)  # once, not once per sample
    for i in range(k):
        if options.levels == "auto":
            colours[i], mattes[i], _ = key_frame(
                model,
                samples[i],
                ycc_plate,
                plate,
                None,
                background=background,
                background_linear=background_linear,
            )
        else:
            mattes[i] = key_matte(model, samples[i], ycc_plate, plate, None, background, background_linear)[0]
    if model.use_plate and model.key_rgb is not None:
        # On a screen the codec can take the noise the gate is set from: H.264 at CRF
        # 23 or more codes the still border once and repeats it (its noise 0.34 at CRF
        # 23, 0 at 28, 2.8 at CRF 14), while the blocks it codes again beside the moving
        # subject keep their noise; keyed with the border's, the backdrop there stays
        # lit (see coded_noise). The subject is no screen colour, so the wider gate costs
        # it nothing; a studio's grey parts lie within a few codes of its backdrop, so
        # there the border's noise stays (studio seeds 23 and 26: IoU -0.0019 with it).
        coded = coded_noise(samples, mattes, ycc_plate)
        if coded > noise:
            lo = max(3.2 * coded, 5.0)
            params[0:3] = (1.0, lo, lo + max(lo, 12.0))
            params[6] = 3.0 * coded + 2.0
    if (mattes >= 0.5).sum() < max(16, 1e-4 * mattes.size):
        # nothing stands in front of the background (a still picture as a video, a
        # screen recording): keying would leave nothing, so keep the frame
        model.use_plate = model.use_key = False
        model.plate, model.despill = None, -1
        model.key = "none"
        # what was said of the key chosen (a wall's colour, the segmenter) no longer holds
        del model.warnings[said:]
        model.warnings.append("nothing moves in front of the background: the clip is not keyed")
        lit = (samples.max(axis=-1) > BLACK_LEVEL).astype(np.float32)
        return lit, samples, (samples[::DARK_STEP], lit[::DARK_STEP])
    if model.use_plate and model.key_rgb is None and (wall := wall_colour(pixels)) is not None:
        # a backdrop of one saturated colour keyed by difference (a red, magenta or
        # cyan screen is no green or blue one): its light on the subject's rim is
        # despilled as a screen's where the rim leans to it (rim_leans_to). The key
        # colour itself would change the matte (see _plate_gives_way_to_colour), so only
        # the despill and the spill band take it. Held-out screens of other colours
        # (benchmarks/screen_colours.py): 13-54 codes of the screen's colour left on the
        # rim before, under 0.4 so, the matte unchanged.
        if rim_leans_to(samples, wall, mattes):
            model.despill = despill.despill_mode(wall)
            model.key_uv = _key_uv(wall)
            model.key += f" (its rim despilled of the wall's {key_label(wall)})"
    # a two-channel key leaves the subject's own share of its colour (despill.allowance)
    model.despill_allowance = subject_allowance(samples, model.despill, mattes)
    if inspecting and model.despill >= 0:
        model.seen_through = seen_through(model, samples, mattes, background_linear)
    if options.levels == "auto":
        shown = colours[::DARK_STEP]
    elif not (inspecting or may_be_dark(samples[::DARK_STEP], mattes[::DARK_STEP], model.despill)):
        # keying the samples again took 1.0 s of a 10 s 1080p clip's 5.9 s first pass
        # (bench_key.py's clip, whose subject is lit): an export measures only a subject
        # that may be dark, inspect always
        return mattes, colours, None
    else:
        # keyed as export keys them (despilled: a dark green on a green screen is dark)
        shown = np.stack(
            [
                key_frame(
                    model,
                    s,
                    ycc_plate,
                    plate,
                    None,
                    background=background,
                    background_linear=background_linear,
                )[0]
                for s in samples[::DARK_STEP]
            ]
        )
    return mattes, colours, (shown, mattes[::DARK_STEP])


def _segmented_shown(model: VideoModel, segmented: tuple[np.ndarray, np.ndarray], samples: np.ndarray):
    """_segment_samples' (mattes, colours) and what the fan shows of every DARK_STEP-th
    sample: the segmenter's colours premultiplied by its matte (the frame where it kept
    the frame)."""
    mattes, colours = segmented
    if model.use_segment and colours is samples:
        shown = np.stack(
            [
                segment.premultiplied(s, m)
                for s, m in zip(samples[::DARK_STEP], mattes[::DARK_STEP], strict=True)
            ]
        )
    else:
        shown = colours[::DARK_STEP]
    return mattes, colours, (shown, mattes[::DARK_STEP])


SEEN_THROUGH_STEP = 4


def seen_through(
    model: VideoModel, samples: np.ndarray, mattes: np.ndarray, background_linear: np.ndarray
) -> float:
    """samples (K, H, W, 3) uint8, their mattes (K, H, W) float32, the screen behind in
    linear light (H, W, 3) float32 -> the median over the samples with a subject (every
    SEEN_THROUGH_STEP-th) of the share of its pixels (matte >= 0.5) that
    matte.screen_light takes for the screen seen through it (inspect reports it)."""
    shares = []
    # every SEEN_THROUGH_STEP-th sample: all 24 took 0.14-0.54 s of a 540 px clip's
    # 1.7-4.2 s first pass, the grouping of a glow's pixels most of it
    for sample, matte in zip(samples[::SEEN_THROUGH_STEP], mattes[::SEEN_THROUGH_STEP], strict=True):
        subject = int((matte >= 0.5).sum())
        if subject == 0:
            continue
        alpha = matte.copy()
        band = edge_band(alpha)
        add_spill_band(band, alpha, sample, model.key_uv)
        lit = screen_light(band, alpha, sample, background_linear, model.despill)
        shares.append(0.0 if lit is None else len(lit[2]) / subject)
    return float(np.median(shares)) if shares else 0.0


def _lit_in_few_parts(plate: np.ndarray, border: np.ndarray) -> bool:
    """plate float32 (H, W, 3) codes, border bool (H, W) -> whether 90% of the plate's
    lit border pixels (brightest channel above BLACK_LEVEL) lie in at most LIT_PARTS
    8-connected parts of the border: a subject that touches the edge, not a scene lit
    all round. True when none is lit."""
    lit = (plate.max(axis=-1) > BLACK_LEVEL) & border
    if not lit.any():
        return True
    _, labels = cv2.connectedComponents(lit.view(np.uint8), connectivity=8)
    sizes = np.sort(np.bincount(labels[lit]))[::-1]
    return int(np.searchsorted(np.cumsum(sizes), 0.9 * sizes.sum())) + 1 <= LIT_PARTS


def _one_colour(pixels: np.ndarray) -> bool:
    """pixels int (N, 3) RGB codes -> whether their chroma (luma-normalised, as the key
    reads it) mostly lies within SCREEN_SPREAD of its median: one backdrop's colour."""
    ycc = _ycbcr(pixels)
    uv = ycc[:, 1:] * (100.0 / (ycc[:, :1] + key_kernel.CHROMA_SOFTEN))
    return float(np.median(np.sqrt(((uv - np.median(uv, axis=0)) ** 2).sum(-1)))) <= SCREEN_SPREAD


def _plate_does_not_hold(
    model: VideoModel, samples: np.ndarray, options: VideoOptions, noise: float, wall: tuple | None = None
):
    """A clean plate of no screen colour whose border the samples' borders lie
    PLATE_NOISE_LIMIT or more from (their median YCbCr distance, ``noise``): the camera
    moves, zooms or turns away, or the light changes, and the subject, always somewhere
    in the frame, is part of the plate. Keyed by difference to it, a public clip of a man
    talking on a yellow-green wall, the camera in hand (noise 19.5; the test clips'
    0-3.5, 6 with 12 codes of sensor noise), came out with his face black. With ``--key
    auto`` and the person segmenter at hand, the segmenter keys it (-> _segmented_shown's
    result); ``wall``: the wall's colour (wall_colour) where the border is one, which
    keys the clip where the segmenter does not load or finds no person (None, the
    caller keys by it); otherwise a warning says what would (None)."""
    why = (
        f"the backdrop changes over the clip (its border lies {noise:.0f} codes from the clean "
        "plate: the camera moves or the light changes)"
    )
    if options.key == "auto" and segment.available():
        segmented = _segment_samples(model, samples, options, wall)
        if segmented is not None:
            model.use_plate, model.plate, model.noise = False, None, 0.0
            if model.use_segment:
                model.warnings.append(
                    f"{why}: keyed by the person segmenter, which is made for real people "
                    "(--key none keeps the frame)"
                )
            return _segmented_shown(model, segmented, samples)
    if wall is not None:
        return None
    advice = "--key person keys a person" if segment.available() else f"{segment.INSTALL} to key a person"
    model.warnings.append(f"{why}: keyed by difference to it, the subject may lose parts ({advice})")
    return None


def _take_key_colour(model: VideoModel, rgb: tuple, neutral: bool) -> None:
    """Key by the colour ``rgb`` (sRGB codes; ``neutral``: a grey, as NEUTRAL_KEY says):
    its chroma as the key reads it, and its despill mode (holopack.video.despill)."""
    model.key_rgb = tuple(int(v) for v in rgb)
    colour = np.asarray(rgb, np.float32)
    model.key_uv = _key_uv(colour)
    model.despill = despill.NONE if neutral else despill.despill_mode(colour)


def wall_colour(pixels: np.ndarray) -> tuple[int, int, int] | None:
    """pixels int (N, 3): the border's RGB codes over the samples -> their median colour
    where most of the border lies within WALL_SPREAD of its median chroma and that chroma
    is at least WALL_CHROMA (a painted wall, not a room), else None: a wall of a colour
    that a colour key can tell from a person."""
    if not len(pixels):
        return None
    ycc = _ycbcr(pixels)
    uv = ycc[:, 1:] * (100.0 / (ycc[:, :1] + key_kernel.CHROMA_SOFTEN))
    if float(np.median(np.sqrt(((uv - np.median(uv, axis=0)) ** 2).sum(-1)))) > WALL_SPREAD:
        return None
    median = np.median(pixels, axis=0)
    if float(np.hypot(*_key_uv(median))) < WALL_CHROMA:
        return None
    return (int(round(median[0])), int(round(median[1])), int(round(median[2])))


def _plate_gives_way_to_colour(model: VideoModel, params: np.ndarray, noise: float) -> float:
    """A clean plate the samples' borders lie PLATE_NOISE_LIMIT or more from (``noise``)
    where a key colour is known (named with --key, a screen's, or, with --key auto and
    no person segmenter, a wall's of one colour: wall_colour): the clip is keyed by
    the colour alone, whose chroma, divided by the luma, stays put while the camera
    moves and the exposure wanders. Keyed by difference, a public clip of a man on a
    yellow-green wall filmed in hand (``--key '#ACB211'``, the wall's colour; border 19.5
    codes from the plate, 70 beside the man) took its gates from that noise (225 codes
    wide) and came out black in every frame. Clears the plate's gates in ``params``
    (float32 (7,)) and says so in a warning -> the noise the matte's stillness test
    takes (that of a colour key)."""
    model.use_plate, model.plate, model.use_key, model.noise = False, None, True, 0.0
    params[0:3] = 0.0
    model.warnings.append(
        f"the backdrop changes over the clip (its border lies {noise:.0f} codes from the clean "
        f"plate: the camera moves or the light changes): keyed by the colour {key_label(model.key_rgb)} alone"
    )
    return COLOUR_KEY_NOISE


def key_gate(distances: np.ndarray) -> float:
    """distances float (...,): the border samples' chroma distances to the key colour
    (key_kernel's normalised chroma) -> the colour key's lower gate: 1.5 x the 90th
    percentile of the screen's own distances (those within 3 x the median + KEY_SPREAD),
    plus 2. A subject that reaches the border (a presenter's shoulders, the seconds a
    hand-held camera turns to the room) is no part of the screen: the 90th percentile
    of the whole border took it in (48 codes against a median of 3.5 on a public clip,
    the screen's own 4.9), and the gate then keyed the subject out with the screen."""
    d = np.asarray(distances, np.float64).ravel()
    if not d.size:
        return 4.0
    screen = d[d <= 3.0 * float(np.median(d)) + KEY_SPREAD]
    return max(1.5 * float(np.percentile(screen, 90)) + 2.0, 4.0)


def _segment_samples(
    model: VideoModel, samples: np.ndarray, options: VideoOptions, wall: tuple | None = None
):
    """The samples matted by the person segmenter: -> (mattes float32 (K, Ha, Wa),
    colours uint8 (K, Ha, Wa, 3), premultiplied for --levels auto, else the samples),
    or None when the segmenter does not load (an install broken after the fact: a
    protobuf 5 over mediapipe's pin), said in a warning: --key auto then keys as
    without the extra instead of failing an export that worked before it. Each sample
    alone: they lie frames apart, so no matte carries over. Where it finds no person,
    the clip is not keyed (the samples as they are), or, given ``wall`` (a painted
    wall's colour, wall_colour: a product filmed in hand before it), None: the caller
    keys by the wall's colour."""
    try:
        segmenter = segment.Segmenter()
    except InputError as exc:
        model.warnings.append(f"the person segmenter is installed but does not load: {exc.message}")
        return None
    model.use_segment = True
    model.key = "person (selfie segmentation)"
    try:
        mattes = np.stack([segment.segment_matte(segmenter(s), s) for s in samples])
    finally:
        segmenter.close()
    if (mattes >= 0.5).sum() < max(16, 1e-4 * mattes.size):
        # keyed, the clip would be black: keep the frame, as when nothing moves
        model.use_segment = False
        model.key = "none"
        if wall is not None:
            model.warnings.append(
                f"the person segmenter finds no person: keyed by the wall's colour {key_label(wall)}"
            )
            return None
        model.warnings.append("the person segmenter finds no person: the clip is not keyed")
        return (samples.max(axis=-1) > BLACK_LEVEL).astype(np.float32), samples
    if options.levels == "auto":
        return mattes, np.stack([segment.premultiplied(s, m) for s, m in zip(samples, mattes, strict=True)])
    return mattes, samples


# coded_noise's ring: analysis pixels this far outside the samples' solid matte (the
# band the hole test reads the backdrop beside the subject from, holes.edge_noise)
CODED_RING = (2, 4)


def coded_noise(samples: np.ndarray, mattes: np.ndarray, ycc_plate: np.ndarray) -> float:
    """samples uint8 (K, H, W, C), mattes float32 (K, H, W), ycc_plate float32 (H, W, 3)
    -> the median YCbCr distance to the plate of the backdrop CODED_RING pixels outside
    each sample's solid matte (>= 0.5); 0 when no sample has one.

    The clip's noise as the codec leaves it where it codes the backdrop in every frame.
    Held-out green screen (seed 21, 5 codes of sensor noise; border / this, in codes):
    H.264 CRF 14 2.76 / 2.88, CRF 23 0.34 / 2.69, CRF 28 0 / 3.08; keyed with the border's,
    34% of the backdrop pixels next to the subject stayed lit at CRF 23 (7% at CRF 14)."""
    inner, outer = CODED_RING
    values = []
    for sample, matte in zip(samples, mattes, strict=True):
        solid = (matte >= 0.5).astype(np.uint8)
        if not solid.any():
            continue
        near = cv2.dilate(solid, np.ones((2 * outer + 1, 2 * outer + 1), np.uint8)) > 0
        ring = near & ~(cv2.dilate(solid, np.ones((2 * inner + 1, 2 * inner + 1), np.uint8)) > 0)
        offset = _ycbcr(sample[ring][:, :3]) - ycc_plate[ring]
        values.append(np.sqrt((offset**2).sum(-1)))
    return float(np.median(np.concatenate(values))) if values else 0.0


# backdrop_behind: the plate's pixels that (nearly) every sample agrees on and that
# connect to the largest such part are the backdrop the subject never reached
SEEN_SUPPORT = 0.95
# plate_behind's shares: the pixel agrees with itself in this share of the frames its
# neighbours show their backdrop in, and at most this share of those frames of its colour
# fall outside them
BEHIND_AGREE = 0.6
BEHIND_OUTSIDE = 0.3


def backdrop_behind(samples: np.ndarray, plate: np.ndarray, support: np.ndarray) -> int:
    """Where the subject covered a pixel in most samples, the vote (plate_mode) takes
    the subject's colour for the backdrop; a clip keyed by difference to that plate then
    loses the subject where it stands on its own imprint and keys the backdrop beside it
    as subject. A subject that walks less than its own width does it: the test clips
    over a static texture at 640 px (the subject walks 90 px each way) took the subject
    for the plate on 23 000 pixels and keyed at IoU 0.80, 96.3% of the background exactly
    black in the worst frame.

    The backdrop is still, so neighbouring pixels show it in nearly the same frames
    whatever its texture: from the backdrop the subject never reached (SEEN_SUPPORT)
    inwards, each pixel's backdrop is what it shows in the frames its neighbours show
    theirs (plate_kernel.plate_behind). Pixels where no frame shows a backdrop that agrees
    with the neighbours' (the subject covered them throughout) are filled from around
    (cv2.inpaint): a colour the subject standing there differs from, so that it keys as
    subject, where the vote's colour was its own. Updates plate (float32 (H, W, 3)
    codes) in place; support float32 (H, W): the vote's shares (plate_mode), left as
    they are; samples uint8 (K, H, W, 3). Returns how many plate pixels changed."""
    k = samples.shape[0]
    still = support >= SEEN_SUPPORT
    if k > 62 or still.all() or not still.any():
        return 0
    count, labels, stats, _ = cv2.connectedComponentsWithStats(still.view(np.uint8), connectivity=8)
    sure = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    # the sure pixels' backdrop, the samples that agree with the plate, where the others
    # read it: beside them (a 1 MP sample's every pixel took 0.75 s)
    seen = np.where(sure, 0, -1).astype(np.int64)
    rest = ~sure
    beside = sure & (cv2.dilate(rest.view(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    ys, xs = np.nonzero(beside)
    agree = np.abs(samples[:, ys, xs].astype(np.float32) - plate[ys, xs]).sum(-1) <= PLATE_TOLERANCE
    seen[ys, xs] = (agree * np.left_shift(np.int64(1), np.arange(k, dtype=np.int64))[:, None]).sum(0)
    distance = cv2.distanceTransform(rest.view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_5)
    inner = np.flatnonzero(rest.ravel())
    order = inner[np.argsort(distance.ravel()[inner], kind="stable")]
    # the vote's shares stay: the border's say whether the backdrop is still at all, as
    # they did before a subject standing at the edge moved its plate pixels to the backdrop
    changed = plate_behind(
        order, samples, seen, float(PLATE_TOLERANCE), BEHIND_AGREE, BEHIND_OUTSIDE, plate, support.copy()
    )
    # something moved there and no frame showed a backdrop that agrees with the
    # neighbours'. A pixel that never changed is left as it was: a subject part that
    # never moved and a pocket of backdrop the subject walked around look the same
    unseen = (seen == 0) & ~still
    if unseen.any():
        codes = np.clip(plate + 0.5, 0, 255).astype(np.uint8)
        filled = cv2.inpaint(codes, unseen.view(np.uint8), 3, cv2.INPAINT_TELEA)
        plate[unseen] = filled[unseen]
        changed += int(unseen.sum())
    return changed


def refine_plate(samples: np.ndarray, plate: np.ndarray, support: np.ndarray) -> None:
    """Where the subject covered a pixel in most samples, its own colour can win the
    vote: there, take the sample nearest to the plate inpainted from the pixels that a
    clear majority of samples agree on (plate_nearest); then where the plate is off the
    backdrop's smooth fit (smooth_backdrop), take the fit (a subject that stood still).
    Updates ``plate`` in place. A light on the backdrop tighter than the fit follows is
    taken for a subject too, and stays lit."""
    sure = support >= SURE_SUPPORT
    if not sure.any():
        return
    if not backdrop_is_smooth(plate, sure):
        # inpainting predicts a smooth backdrop, not a texture: on a textured one the
        # prediction picks the subject as often as not (static test clip: 5444 plate
        # pixels off by > 20 codes with the prediction, 58 with the vote), and where the
        # subject covered a pixel in most samples the frames its neighbours show their
        # backdrop in tell (backdrop_behind)
        backdrop_behind(samples, plate, support)
        return
    fit = smooth_backdrop(plate, sure)
    if not sure.all():
        unsure = ~sure
        prediction = inpaint_plate(plate, unsure)
        plate_nearest(
            samples, np.ascontiguousarray(prediction), np.ascontiguousarray(unsure), PLATE_TOLERANCE, plate
        )
    # A subject that stands still wins the vote where it stood: for part of the clip with
    # a clear majority too (held-out studio clip, the subject still in 18 of 36 frames:
    # support 0.28-0.72 on the 11 833 pixels where it stood), and throughout (a presenter
    # standing to talk, a product turning where it stands) in every sample, so that no
    # sample shows the backdrop behind it and keying by difference to the plate left only
    # the parts that moved (the same clips with the subject in place throughout, seeds 21
    # and 22: IoU 0.42). The inpainting above predicts from those sure pixels. Where the
    # plate is still off the backdrop's smooth fit in a part with an outline
    # (standing_subject), the fit is the plate, grown by STILL_GROW px for the subject's
    # mixed outline: IoU 0.967 and 0.949 throughout, 0.965 for the half (0.9401 when the
    # samples nearest the fit were taken where one lay on it and fewer than 80% of the
    # samples agreed, as before); the clips that walk take no pixel (held-out studio and
    # green seeds 21-30 the same to the bit).
    if fit is None:
        return
    still = standing_subject(np.abs(plate - fit).sum(-1) > PLATE_TOLERANCE, plate, support)
    if still.any():
        still = _whole_parts(still, plate)
        # the fit again without the subject standing there: where it covers a whole side
        # of the picture (a presenter's chest along the bottom) the first fit bent to it
        clear = cv2.dilate(still.view(np.uint8), np.ones((9, 9), np.uint8)) == 0
        refit = smooth_backdrop(plate, sure & clear)
        if refit is not None:
            fit = refit
        size = 2 * STILL_GROW + 1
        still = cv2.dilate(still.view(np.uint8), np.ones((size, size), np.uint8)) > 0
        plate[still] = fit[still]


def _whole_parts(still: np.ndarray, plate: np.ndarray) -> np.ndarray:
    """still bool (H, W): the parts of a subject standing still that the plate is off the
    fit in; plate float32 (H, W, 3) -> still with the parts of the plate that no outline
    divides from them and that lie mostly within them (WHOLE_SHARE of their pixels): the
    rest of a presenter's chest, where the fit had bent to it."""
    luma = cv2.cvtColor(plate, cv2.COLOR_RGB2GRAY)
    steep = cv2.magnitude(
        cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3, scale=0.125),
        cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3, scale=0.125),
    )
    flat = (steep <= STILL_EDGE * max(float(np.percentile(steep[~still], 90)), 0.5)).view(np.uint8)
    count, labels = cv2.connectedComponents(flat, connectivity=4)
    inside = np.bincount(labels[still & (flat > 0)], minlength=count)
    total = np.bincount(labels.ravel(), minlength=count)
    whole = inside >= WHOLE_SHARE * np.maximum(total, 1)
    whole[0] = False  # label 0: the outlines themselves
    return still | (whole[labels] & (flat > 0))


def standing_subject(off: np.ndarray, plate: np.ndarray, support: np.ndarray) -> np.ndarray:
    """off bool (H, W): the plate more than PLATE_TOLERANCE off the backdrop's fit;
    plate float32 (H, W, 3); support float32 (H, W): the share of samples that agree
    with the plate -> bool (H, W): its parts that may be a subject standing still.

    - A part that runs from one side of the picture to the other is the backdrop's own
      (black bars around a screen, a floor, a horizon), which a smooth fit cannot
      follow: a letterboxed green screen's bars taken for a subject keyed at IoU 0.24.
    - A part without an outline is the backdrop's too: a pool of light or a spot tighter
      than the fit follows rises smoothly, where a subject's edge is a step (its
      steepest |gradient| of luma in the plate above STILL_EDGE x the 90th percentile of
      the plate's on the fit).
    - A part that nothing moves beside is the set's (a logo on the wall): a presenter
      standing to talk moves a hand or the head, a product turning in place its outline,
      so the samples disagree within STILL_MOTION_PX of it (support under
      SURE_SUPPORT)."""
    if not off.any() or off.all():
        return np.zeros_like(off)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(off.view(np.uint8), connectivity=8)
    h, w = off.shape
    box = stats[:, cv2.CC_STAT_WIDTH] * stats[:, cv2.CC_STAT_HEIGHT]
    across = ((stats[:, cv2.CC_STAT_WIDTH] >= w) | (stats[:, cv2.CC_STAT_HEIGHT] >= h)) & (
        stats[:, cv2.CC_STAT_AREA] >= BAND_FILL * box
    )
    luma = cv2.cvtColor(plate, cv2.COLOR_RGB2GRAY)
    steep = cv2.magnitude(
        cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3, scale=0.125),
        cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3, scale=0.125),
    )
    bar = STILL_EDGE * max(float(np.percentile(steep[~off], 90)), 0.5)
    peak = np.zeros(count, np.float32)
    np.maximum.at(peak, labels[off], steep[off])
    size = 2 * STILL_MOTION_PX + 1
    moving = cv2.dilate((support < SURE_SUPPORT).view(np.uint8), np.ones((size, size), np.uint8)) > 0
    beside = np.bincount(labels[off & moving], minlength=count) > 0
    subject = ~across & (peak > bar) & beside
    subject[0] = False  # label 0: the pixels on the fit
    return subject[labels]


WHOLE_SHARE = 0.3  # _whole_parts: a plate part this much within the still subject joins it
BAND_FILL = 0.7  # standing_subject: a band's share of its box (bars, a floor: most of it)
STILL_GROW = 2  # refine_plate: a subject that stood still, grown by this for its outline
STILL_EDGE = 8.0  # standing_subject: a subject's outline, against the backdrop's gradient
STILL_MOTION_PX = 3  # standing_subject: how near a subject standing still something moves
# smooth_backdrop: the polynomial's degree in x and y, and its rounds of rejection
BACKDROP_DEGREE = 4
BACKDROP_ROUNDS = 4


def smooth_backdrop(plate: np.ndarray, use: np.ndarray) -> np.ndarray | None:
    """plate float32 (H, W, 3), use bool (H, W) -> float32 (H, W, 3), or None when too
    few pixels are left to fit: a polynomial of
    degree BACKDROP_DEGREE in x and y fitted to the plate's ``use`` pixels at
    inpaint_plate's scale, refitted BACKDROP_ROUNDS times without the pixels more than
    3 x the median residual off it (6 summed codes at least), so that a subject that
    won the vote in a part of the plate drops out of the fit. A studio's gradient and
    spot are fitted to 4-7 summed codes at the 90th percentile (held-out seeds 21, 23,
    25; degree 2: up to 37, degree 3: up to 23)."""
    small = _reduced(plate)
    hs, ws = small.shape[:2]
    keep = (cv2.resize(use.astype(np.uint8), (ws, hs), interpolation=cv2.INTER_NEAREST) > 0).ravel()
    y, x = np.mgrid[0:hs, 0:ws]
    x = x / max(1, ws - 1) * 2.0 - 1.0
    y = y / max(1, hs - 1) * 2.0 - 1.0
    terms = [x**i * y**j for i in range(BACKDROP_DEGREE + 1) for j in range(BACKDROP_DEGREE + 1 - i)]
    design = np.stack(terms, -1).reshape(-1, len(terms))
    values = small.reshape(-1, 3).astype(np.float64)
    fitted = keep.copy()
    for _ in range(BACKDROP_ROUNDS):
        if fitted.sum() < 4 * len(terms):
            return None
        # the normal equations, summed by einsum: lstsq and matmul hand a 25 000 x 15
        # system to the threaded BLAS, whose threads spun for 0.37 s of CPU a fit against
        # 0.03 s on one (a 1280 x 720 studio clip's plate, 2 cores)
        part = design[fitted]
        gram = np.einsum("ni,nj->ij", part, part)
        coef = np.linalg.solve(gram, np.einsum("ni,nc->ic", part, values[fitted]))
        residual = np.abs(np.einsum("ni,ic->nc", design, coef) - values).sum(-1)
        fitted = keep & (residual <= max(3.0 * float(np.median(residual[fitted])), 6.0))
    fit = np.einsum("ni,ic->nc", design, coef).reshape(hs, ws, 3).astype(np.float32)
    # codes, as the plate's: a polynomial may overshoot past black or white at a corner
    return np.clip(cv2.resize(fit, plate.shape[1::-1], interpolation=cv2.INTER_LINEAR), 0.0, 255.0)


def backdrop_is_smooth(plate: np.ndarray, sure: np.ndarray) -> bool:
    """plate float32 (H, W, 3), sure bool (H, W): is the backdrop smooth where the plate
    is sure, at the scale inpaint_plate predicts it (median summed |Laplacian| of the
    plate reduced as inpaint_plate reduces it, lightly blurred, below SMOOTH_LAPLACIAN)?
    A studio or screen measures 0.1-0.5 there, a texture 11-14. Measured at full
    resolution instead, the same texture in a 1080p clip (its analysis samples 1333 px
    wide) measured 0.8-0.9, passed as smooth, and inpainting from 166 px wide predicted
    the subject where it had stood in half of the samples: 22 413 plate pixels off by
    more than 20 codes (held-out 1080p textured seed 21), 302 with the vote alone."""
    small = _reduced(plate)
    small_sure = cv2.resize(sure.astype(np.uint8), small.shape[1::-1], interpolation=cv2.INTER_NEAREST) > 0
    if not small_sure.any():
        return False
    rough = np.abs(cv2.Laplacian(cv2.GaussianBlur(small, (0, 0), 1.0), cv2.CV_32F)).sum(-1)
    return float(np.median(rough[small_sure])) < SMOOTH_LAPLACIAN


def _reduced(plate: np.ndarray) -> np.ndarray:
    """plate float32 (H, W, 3) -> the plate at inpaint_plate's scale: shrunk by an
    integer factor to about 160 px on its long side (cv2.INTER_AREA)."""
    h, w = plate.shape[:2]
    f = max(1, int(max(h, w) // 160))
    return cv2.resize(plate, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)


def inpaint_plate(plate: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """plate float32 (H, W, 3), hole bool (H, W) -> the plate with the hole filled from
    around it (cv2.inpaint at a reduced scale: backdrops and their light vary slowly)."""
    h, w = hole.shape
    small = _reduced(plate)
    small_hole = cv2.resize(hole.astype(np.uint8), small.shape[1::-1], interpolation=cv2.INTER_NEAREST)
    small_hole = cv2.dilate(small_hole, np.ones((3, 3), np.uint8))
    filled = cv2.inpaint(np.clip(small, 0, 255).astype(np.uint8), small_hole, 5, cv2.INPAINT_TELEA)
    return cv2.resize(filled.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def _extent(mattes: np.ndarray, scale: float, width: int, height: int):
    """(x0, y0, x1, y1) source pixels of matte >= 0.5 in any sample, or None."""
    return _bounds(np.any(mattes >= 0.5, axis=0), scale, scale, width, height)


def _bounds(solid: np.ndarray, scale_x: float, scale_y: float, width: int, height: int):
    """solid bool (h, w), a picture at (scale_x, scale_y) x the source's -> (x0, y0,
    x1, y1) source pixels of its rows and columns with 2 solid pixels at least (and
    0.2% of the side), a pixel added around; None when there are none. The counts keep
    a lone speck of noise from widening the box; a tiny source (tiny_source) counts a
    lone pixel."""
    h, w = solid.shape
    least = 1 if tiny_source(width, height) else 2
    rows = np.flatnonzero(solid.sum(axis=1) >= max(least, 0.002 * w))
    cols = np.flatnonzero(solid.sum(axis=0) >= max(least, 0.002 * h))
    if not len(rows) or not len(cols):
        return None
    x0, x1 = cols[0] / scale_x, (cols[-1] + 1) / scale_x
    y0, y1 = rows[0] / scale_y, (rows[-1] + 1) / scale_y
    return (max(0.0, x0 - 1), max(0.0, y0 - 1), min(float(width), x1 + 1), min(float(height), y1 + 1))


# A source whose short side is under this many pixels is pixel art, an icon or a sprite
# (a 16 x 16 GIF), not a camera's frame: each pixel is drawn, none is noise, and the
# rules that keep a lone speck of noise out of the subject's extent would cut a sprite's
# one-pixel antenna off its box, or find no subject in a 2 x 3 picture of one pixel.
TINY_SIDE = 64


def tiny_source(width: int, height: int) -> bool:
    """Whether a source of width x height pixels is tiny (TINY_SIDE)."""
    return min(width, height) < TINY_SIDE


def _union(a, b):
    """The box around two boxes (x0, y0, x1, y1), either of them None."""
    if a is None or b is None:
        return a if b is None else b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


# YCbCr (matte.ycbcr) as a matrix on RGB codes, and its Gram matrix: the squared YCbCr
# distance of two colours is d^T YCC_GRAM d for their RGB difference d
YCC_MATRIX = np.array(
    [
        [key_kernel.KR, key_kernel.KG, key_kernel.KB],
        [
            -key_kernel.CB_SCALE * key_kernel.KR,
            -key_kernel.CB_SCALE * key_kernel.KG,
            key_kernel.CB_SCALE * (1 - key_kernel.KB),
        ],
        [
            key_kernel.CR_SCALE * (1 - key_kernel.KR),
            -key_kernel.CR_SCALE * key_kernel.KG,
            -key_kernel.CR_SCALE * key_kernel.KB,
        ],
    ],
    np.float64,
)
YCC_GRAM = YCC_MATRIX.T @ YCC_MATRIX


def ycc_distance2(frames: np.ndarray, plate: np.ndarray) -> np.ndarray:
    """frames uint8 (..., h, w, 3), plate float32 (h, w, 3) sRGB codes -> float32
    (..., h, w): the squared YCbCr distance of each pixel to the plate's, as the
    quadratic form of their RGB difference (YCC_GRAM): 0.09 s for 300 frames of
    211 x 119 against 0.23 s through matte.ycbcr and a difference of the two."""
    d = frames.astype(np.float32) - plate
    r, g, b = d[..., 0], d[..., 1], d[..., 2]
    q = YCC_GRAM.astype(np.float32)
    return (
        q[0, 0] * r * r
        + q[1, 1] * g * g
        + q[2, 2] * b * b
        + 2 * (q[0, 1] * r * g + q[0, 2] * r * b + q[1, 2] * g * b)
    )


def subject_cells(
    model: VideoModel, frames: np.ndarray, plate: np.ndarray | None, segmenter=None
) -> np.ndarray:
    """frames uint8 (K, h, w, C) of every frame's small copy, plate float32 (h, w, 3)
    (the clean plate's sRGB codes at that size, or None without one) -> bool (K, h, w): cells the
    subject takes a part of, by the first pass's own key: a cell is the subject's where
    the key's distance passes the middle of its gate (params[1:3], params[4:6]), where
    the matte reaches 0.5. A cell averages the subject with the backdrop, so a cell
    whose part of a subject far off the backdrop is small still passes, and the noise
    the gate is set from shrinks by averaging. At the gate's start instead (where the
    matte starts to rise), the codec's ringing below the feet of the held-out studio
    clips (H.264 CRF 23, 320 px) passed too: their extent reached 11-13 px too low,
    against 1 px at the middle. An alpha clip's cell is the subject's at EXTENT_ALPHA;
    an unkeyed clip's where it is lit, as analyse's mattes; a segmented clip's where
    ``segmenter`` (segment.Segmenter, the model's own probability) reaches 0.5."""
    if model.alpha:
        return frames[..., 3] >= EXTENT_ALPHA * 255.0
    if model.use_segment and segmenter is not None:
        return np.stack([segmenter(np.ascontiguousarray(f[..., :3])) >= 0.5 for f in frames])
    if not (model.use_plate or model.use_key):
        return frames[..., :3].max(axis=-1) > BLACK_LEVEL
    # faded frames as the keyer keys them (holopack.video.fade); a blank one has no cells
    frames = np.ascontiguousarray(frames[..., :3])
    if model.use_plate and plate is not None:
        # (the copy's plate is offset by the copy's own resampling: it may pass 0 or 255)
        blank, gains = undo_fades(frames, codes_to_linear(np.clip(plate, 0.0, 255.0)), plate=True)
    else:
        blank, gains = undo_fades(frames, codes_to_linear(np.asarray(model.key_rgb, np.float32)))
    gains = gains.reshape(-1, 1, 1)  # each frame's gates widened as the keyer widens them
    cells = np.ones(frames.shape[:3], bool)
    cells[blank] = False
    if model.use_plate and plate is not None:
        gate = 0.5 * float(model.params[1] + model.params[2]) * gains
        cells &= ycc_distance2(frames[..., :3], plate) > gate * gate
    if model.use_key:
        ycc = _ycbcr(frames[..., :3])
        uv = ycc[..., 1:] * (100.0 / (ycc[..., :1] + key_kernel.CHROMA_SOFTEN))
        gate = 0.5 * float(model.params[4] + model.params[5]) * gains
        cells &= ((uv - model.key_uv) ** 2).sum(-1) > gate * gate
    return cells


def opened(cells: np.ndarray) -> np.ndarray:
    """cells bool (K, h, w) -> bool (K, h, w): the cells of each frame's 2 x 2 blocks that
    are whole (a morphological opening): a speck of noise in one frame, blurred by the
    codec over a cell or two, is no subject."""
    whole = cells[:, :-1, :-1] & cells[:, 1:, :-1] & cells[:, :-1, 1:] & cells[:, 1:, 1:]
    out = np.zeros_like(cells)
    out[:, :-1, :-1] |= whole
    out[:, 1:, :-1] |= whole
    out[:, :-1, 1:] |= whole
    out[:, 1:, 1:] |= whole
    return out


def clip_extent(model: VideoModel, every: str, media, samples: np.ndarray, step: int):
    """The subject's extent (x0, y0, x1, y1 source pixels, or None) over every frame's
    small copy in the file ``every`` (read_clip; samples uint8 (K, Ha, Wa, C) are
    frames 0, step, 2 step...), read EXTENT_CHUNK frames at a time: the cells any
    frame's subject takes a part of (subject_cells), whole cells."""
    width, height = extent_size(media.width, media.height)
    channels = 4 if model.alpha else extent_channels(media)
    frame_bytes = width * height * channels
    total = os.path.getsize(every) // frame_bytes if os.path.exists(every) else 0
    if total == 0:
        return None
    plate = None
    if model.use_plate and model.plate is not None:
        small = cv2.resize(model.plate, (width, height), interpolation=cv2.INTER_AREA)
        # The copy is averaged by ffmpeg from the decoded YUV, the plate by cv2 from the
        # RGB samples: on a texture the two resamplings differ by more than the gate
        # (static H.264 clip: the extent took the whole frame's height, 56% too large).
        # Their difference on the sampled frames, the median over the samples, is the
        # plate's offset in the copy's terms (the same 0.3% as the samples' extent).
        offsets = []
        with open(every, "rb") as f:
            for k, sample in enumerate(samples):
                if k * step >= total:
                    break
                f.seek(k * step * frame_bytes)
                copy = np.fromfile(f, np.uint8, count=frame_bytes).reshape(height, width, channels)
                resized = cv2.resize(
                    np.ascontiguousarray(sample[..., :3]), (width, height), interpolation=cv2.INTER_AREA
                )
                offsets.append(copy[..., :3].astype(np.float32) - resized)
        if offsets:
            small = small + np.median(np.stack(offsets), axis=0)
        plate = np.ascontiguousarray(small, np.float32)
    seen = np.zeros((height, width), bool)
    segmenter = segment.Segmenter() if model.use_segment else None
    try:
        with open(every, "rb") as f:
            for start in range(0, total, EXTENT_CHUNK):
                k = min(EXTENT_CHUNK, total - start)
                frames = np.fromfile(f, np.uint8, count=k * frame_bytes).reshape(k, height, width, channels)
                cells = subject_cells(model, frames, plate, segmenter)
                seen |= (cells if tiny_source(media.width, media.height) else opened(cells)).any(axis=0)
    finally:
        if segmenter is not None:
            segmenter.close()
    return _bounds(seen, width / media.width, height / media.height, media.width, media.height)


def _levels_gain(colours: np.ndarray, mattes: np.ndarray) -> float:
    """The factor that brings the subject's bright end (99.5th percentile of its
    brightest channel where the matte is solid) to LEVELS_TARGET; 1 when nothing is solid.
    A factor, not an offset: black stays exactly black."""
    solid = mattes >= 0.99
    if solid.sum() < 16:
        return 1.0
    bright = float(np.percentile(colours[..., :3].max(axis=-1)[solid], 99.5))
    return float(np.clip(LEVELS_TARGET / max(bright, 1.0), 1.0, LEVELS_MAX_GAIN))
