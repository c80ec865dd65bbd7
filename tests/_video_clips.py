"""Test clips with known ground-truth alpha, made here from the default twin.

A moving subject (RobotExpressive dancing, rendered by holopack with its coverage as
the truth, walking sideways so every background pixel is seen, holding each position
for two frames) composited in
linear light over:

- ``green``: a green screen lit unevenly, with sensor noise and green spill (15% of the
  screen's light) on the subject's outer 3 px (an MP4);
- ``studio``: a grey studio gradient, H.264-compressed at CRF 23 (an MP4);
- ``textured``: a static, colourful textured background with light noise (a folder of
  PNG frames);
- ``webm``: the subject alone in a VP9 WebM with real alpha (yuva420p).

``make_clip(kind, folder)`` writes the clip and returns (path, truth): truth is a
(N, H, W) float32 array of coverage, the frames as the clip holds them. Compositing,
noise and sRGB here are plain numpy and share no code with holopack.video.

Held-out clips are made the same way with ``vary=True``: the seed then also draws the
light (the screen's colour and falloff, the studio's grey, gradient and spot), the
texture, the noise and the compression, and ``subject`` names another model
(tests/data: CesiumMan, Fox, ...). ``variant_clip`` makes clips that differ in more than
the seed (size and shape, frame rate, length, codec, screen colour, light, a subject
that leaves the frame or stands still) for benchmarks/keying_sweep.py.
"""

from __future__ import annotations

import os
import subprocess

import imageio_ffmpeg
import numpy as np
from PIL import Image
from scipy import ndimage

KINDS = ("green", "studio", "textured", "webm")
SIZE = 320
FPS = 24
FRAMES = 36
SWAY_PX = 90  # the subject walks this far each way, so every background pixel is seen


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """Linear light [0, 1] -> sRGB codes (float, 0-255), the published sRGB curve."""
    x = np.clip(linear, 0.0, 1.0)
    return 255.0 * np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def srgb_decode(codes) -> np.ndarray:
    c = np.asarray(codes, np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


_RENDERED: dict = {}


def subject_frames(
    size: int = SIZE, frames: int = FRAMES, seed: int = 0, sway: int = SWAY_PX, subject: str | None = None
):
    """(linear premultiplied (H, W, 3) float32, coverage (H, W) float32) of the default
    twin (or the model ``subject`` in tests/data) dancing and walking sideways, rendered
    once per process (the clips share it)."""
    key = (size, frames, seed, sway, subject)
    if key not in _RENDERED:
        _RENDERED[key] = list(_render_subject(size, frames, seed, sway, subject))
    return _RENDERED[key]


def subject_path(subject: str | None) -> str:
    import holopack.pipeline

    if subject is None:
        return holopack.pipeline.default_twin()
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", subject, f"{subject}.glb")


def _render_subject(size, frames, seed, sway, subject=None):
    import holopack
    from holopack.pipeline import ExportSettings, make_timeline, open_source

    scene = holopack.load(subject_path(subject))
    timeline = make_timeline(scene, ExportSettings(), FPS)
    source = open_source(scene, timeline, size, supersample=2)
    from holopack.rendering.camera import Framing

    source.set_framing(Framing(margin=0.25))
    phase = np.random.default_rng(seed).uniform(0, 1)
    for i in range(frames):
        posed = scene.pose(timeline.animation, timeline.anim_time(i))
        frame = source.renderer.draw(
            posed, scene.materials, scene.textures, source.view_at(0), source.camera.projection
        )
        linear = frame.linear.astype(np.float32)
        alpha = frame.alpha.astype(np.float32)
        # a triangle walk that holds each position for two frames (a still edge must stay still)
        walk = ((i // 2) * 2 / frames + phase) % 1.0
        shift = int(round(sway * (4 * abs(walk - 0.5) - 1)))
        yield _shift(linear, shift), _shift(alpha, shift)


def _shift(a: np.ndarray, dx: int) -> np.ndarray:
    out = np.zeros_like(a)
    if dx >= 0:
        out[:, dx:] = a[:, : a.shape[1] - dx]
    else:
        out[:, :dx] = a[:, -dx:]
    return out


def green_background(size: int, rng: np.random.Generator | None = None, screen=None) -> np.ndarray:
    """Linear light (H, W, 3) of an unevenly lit green screen; ``rng`` varies it;
    ``screen``: another screen colour (sRGB codes) under the same light."""
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    if rng is None:
        light = 0.55 + 0.5 * x * (1.0 - 0.35 * y) + 0.1 * np.sin(3 * y)
        return srgb_decode([35, 180, 70])[None, None] * light[..., None]
    angle = rng.uniform(0, 2 * np.pi)
    ramp = 0.5 + (x - 0.5) * np.cos(angle) + (y - 0.5) * np.sin(angle)
    light = rng.uniform(0.45, 0.65) + rng.uniform(0.3, 0.6) * ramp + 0.1 * np.sin(rng.uniform(2, 5) * y)
    drawn = [rng.uniform(20, 60), rng.uniform(150, 200), rng.uniform(40, 100)]
    return srgb_decode(drawn if screen is None else screen)[None, None] * light[..., None]


def studio_background(size: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Linear light (H, W, 3) of a grey studio gradient with a spot; ``rng`` varies it."""
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    base, fall, spot_gain, sx, sy = 0.012, 0.05, 0.07, 0.5, 0.35
    tint = (1.0, 0.98, 1.04)
    if rng is not None:
        base, fall, spot_gain = rng.uniform(0.006, 0.03), rng.uniform(0.02, 0.08), rng.uniform(0.03, 0.12)
        sx, sy = rng.uniform(0.3, 0.7), rng.uniform(0.2, 0.5)
        tint = (1.0, rng.uniform(0.95, 1.02), rng.uniform(0.98, 1.08))
    spot = np.exp(-((x - sx) ** 2 + (y - sy) ** 2) / 0.18)
    grey = base + fall * (1.0 - y) + spot_gain * spot
    return np.stack([grey * tint[0], grey * tint[1], grey * tint[2]], axis=-1)


def textured_background(size: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    tex = np.zeros((size, size, 3))
    for c in range(3):
        for _ in range(4):
            fx, fy, ph = rng.uniform(2, 14), rng.uniform(2, 14), rng.uniform(0, 6.3)
            tex[..., c] += 0.25 * np.sin(2 * np.pi * (fx * x + fy * y) + ph)
    blocks = rng.uniform(0, 1, (16, 16, 3)).repeat(size // 16, 0).repeat(size // 16, 1)
    return srgb_decode(np.clip(110 + 60 * tex + 50 * (blocks - 0.5), 0, 255))


def _edge_spill(alpha: np.ndarray, px: float = 3.0) -> np.ndarray:
    """(H, W) weight of green spill: 1 on the subject's edge, 0 from px inwards."""
    inside = ndimage.distance_transform_edt(alpha > 0)
    return np.clip(1.0 - (inside - 1.0) / px, 0.0, 1.0) * (alpha > 0)


def composite_frames(
    kind: str,
    size: int = SIZE,
    frames: int = FRAMES,
    seed: int = 0,
    vary: bool = False,
    subject=None,
    sway: int = SWAY_PX,
):
    """Yield (sRGB uint8 (H, W, 3) or RGBA (H, W, 4), coverage (H, W) float32)."""
    rng = np.random.default_rng(seed + 7)
    noise = {"green": 5.0, "studio": 1.5, "textured": 2.0}.get(kind, 0.0)
    if not vary:
        backgrounds = {
            "green": green_background,
            "studio": studio_background,
            "textured": textured_background,
        }
        background = backgrounds[kind](size) if kind in backgrounds else None
    else:
        look = np.random.default_rng(seed + 1000)
        background = {
            "green": lambda: green_background(size, look),
            "studio": lambda: studio_background(size, look),
            "textured": lambda: textured_background(size, seed + 1000),
        }.get(kind, lambda: None)()
        noise *= look.uniform(0.6, 1.4)
    for linear, alpha in subject_frames(size, frames, seed, sway, subject):
        linear, alpha = linear.astype(np.float64), alpha.astype(np.float64)
        if kind == "webm":
            straight = np.where(alpha[..., None] > 0, linear / np.maximum(alpha, 1e-6)[..., None], 0)
            rgb = srgb_encode(straight)
            rgba = np.concatenate([rgb, 255.0 * alpha[..., None]], axis=-1)
            yield np.clip(rgba + 0.5, 0, 255).astype(np.uint8), alpha.astype(np.float32)
            continue
        if kind == "green":
            spill = _edge_spill(alpha)[..., None] * alpha[..., None] * 0.15 * background
            linear = linear + spill
        picture = linear + (1.0 - alpha[..., None]) * background
        codes = srgb_encode(picture) + rng.normal(0.0, noise, picture.shape)
        yield np.clip(codes + 0.5, 0, 255).astype(np.uint8), alpha.astype(np.float32)


def encode_clip(path: str, pictures, fps: int, params: list[str], pix_fmt_in: str = "rgb24") -> None:
    """Encode ``pictures`` (H, W, C) uint8 of ``pix_fmt_in`` into ``path`` with the bundled
    ffmpeg at ``fps``, ``params`` the encoder's options."""
    h, w = pictures[0].shape[:2]
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    cmd = (
        [
            exe,
            "-y",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            pix_fmt_in,
            "-s",
            f"{w}x{h}",
            "-r",
            str(fps),
            "-i",
            "-",
        ]
        + params
        + [path]
    )
    subprocess.run(cmd, input=b"".join(np.ascontiguousarray(p).tobytes() for p in pictures), check=True)


def disc_over_screen(
    path: str, screen, subject, spill: float, count: int, x0: int, seed: int, band=None, keyed: bool = False
) -> np.ndarray:
    """A disc of colour ``subject`` (radius 34 px) walking 3 px a frame from column x0
    over an evenly lit 128 px screen of colour ``screen`` (RGB codes), a share ``spill``
    of the screen's colour added on its outer 3 px (the screen's light), with sensor
    noise (2 codes, drawn from ``seed``); band: a colour for rows 56-71 of the disc.
    Written to ``path``: keyed (as a clip keyed elsewhere arrives) by ffmpeg's colorkey
    at the screen's colour into a VP9 WebM with alpha, which leaves the screen's colour
    under the clear pixels; else an H.264 MP4 -> the truth (count, 128, 128) float64."""
    size = 128
    yy, xx = np.mgrid[0:size, 0:size]
    rng = np.random.default_rng(seed)
    screen = np.asarray(screen, np.float64)
    raw, truth = [], []
    for i in range(count):
        r = np.hypot(xx - x0 - 3 * i, yy - 64)
        disc = r < 34
        picture = np.where(disc[..., None], np.asarray(subject, np.float64), screen)
        if band is not None:
            picture[disc & (yy >= 56) & (yy < 72)] = band
        picture[disc & (r >= 31)] += spill * screen
        truth.append(disc.astype(np.float64))
        picture += rng.normal(0.0, 2.0, picture.shape)
        raw.append(np.clip(picture + 0.5, 0, 255).astype(np.uint8))
    if keyed:
        key = "0x" + "".join(f"{int(v):02X}" for v in screen)
        params = ["-vf", f"colorkey={key}:0.15:0.1,format=yuva420p", "-c:v", "libvpx-vp9"]
        params += ["-crf", "18", "-b:v", "0", "-deadline", "realtime"]
    else:
        params = ["-c:v", "libx264", "-crf", "16", "-pix_fmt", "yuv420p"]
    encode_clip(path, raw, 10, params)
    return np.stack(truth)


def disc_crossing(side: int, frames: int, screen, disc, row: int, radius: int, x_from: float, x_to: float):
    """A disc of colour ``disc`` crossing an evenly lit screen of colour ``screen`` (RGB
    codes) from column x_from to x_to on ``row``: ``frames`` pictures (side, side, 3) uint8."""
    y, x = np.mgrid[0:side, 0:side]
    out = []
    for i in range(frames):
        picture = np.empty((side, side, 3), np.uint8)
        picture[...] = screen
        cx = x_from + (x_to - x_from) * i / max(1, frames - 1)
        picture[(x - cx) ** 2 + (y - row) ** 2 <= radius**2] = disc
        out.append(picture)
    return out


def make_clip(
    kind: str,
    folder: str,
    size: int = SIZE,
    frames: int = FRAMES,
    seed: int = 0,
    vary: bool = False,
    subject: str | None = None,
    sway: int = SWAY_PX,
):
    """Write the ``kind`` clip into ``folder``: -> (path, truth (N, H, W) float32).
    vary, subject: a held-out clip made the same way (see the module); sway: how far
    the subject walks each way (pixels)."""
    if kind not in KINDS:
        raise ValueError(f"no test clip of kind {kind!r}: one of {', '.join(KINDS)}")
    pictures, truth = [], []
    for picture, alpha in composite_frames(kind, size, frames, seed, vary, subject, sway):
        pictures.append(picture)
        truth.append(alpha)
    truth = np.stack(truth)
    if kind == "textured":
        path = os.path.join(folder, f"textured-{seed}")
        os.makedirs(path, exist_ok=True)
        for i, picture in enumerate(pictures):
            Image.fromarray(picture).save(os.path.join(path, f"frame{i:03d}.png"))
    elif kind == "webm":
        path = os.path.join(folder, f"alpha-{seed}.webm")
        encode_clip(
            path,
            pictures,
            FPS,
            [
                "-c:v",
                "libvpx-vp9",
                "-pix_fmt",
                "yuva420p",
                "-crf",
                "18",
                "-b:v",
                "0",
                "-auto-alt-ref",
                "0",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
            ],
            "rgba",
        )
    else:
        crf = "23" if kind == "studio" else "14"
        if vary:
            crf = str(int(crf) + int(np.random.default_rng(seed + 2000).integers(-3, 4)))
        path = os.path.join(folder, f"{kind}-{seed}.mp4")
        encode_clip(
            path,
            pictures,
            FPS,
            ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", crf, "-preset", "veryfast"],
            "rgb24",
        )
    return path, truth


def wide_textured_clip(folder: str, seed: int = 0, frames: int = FRAMES):
    """A 640 x 360 H.264 clip (CRF 14) of the subject (SIZE px, walking SWAY_PX each way)
    over the static textured backdrop drawn at 640 px, so its texture is as coarse per
    pixel as a 1080p clip's first pass sees it (the square SIZE clips' texture is twice
    as fine): -> (path, truth (N, 360, 640) float32)."""
    width, height = 640, 360
    background = textured_background(width, seed + 1000)[:height]
    rng = np.random.default_rng(seed + 7)
    x_at, y_at = (width - SIZE) // 2 + 13, height - SIZE
    pictures, truth = [], []
    for linear, alpha in subject_frames(SIZE, frames, seed):
        a = np.zeros((height, width))
        a[y_at:, x_at : x_at + SIZE] = alpha
        picture = (1.0 - a[..., None]) * background
        picture[y_at:, x_at : x_at + SIZE] += linear
        pictures.append(_noisy_codes(picture, rng))
        truth.append(a.astype(np.float32))
    path = os.path.join(folder, f"textured-{seed}-640x360.mp4")
    _encode_crf14(path, pictures)
    return path, np.stack(truth)


def _noisy_codes(picture: np.ndarray, rng) -> np.ndarray:
    """Linear light (H, W, 3) -> sRGB uint8 codes with light camera noise (sigma 2 codes)."""
    codes = srgb_encode(picture) + rng.normal(0.0, 2.0, picture.shape)
    return np.clip(codes + 0.5, 0, 255).astype(np.uint8)


def _encode_crf14(path: str, pictures) -> None:
    """RGB uint8 pictures -> an H.264 clip at CRF 14 (x264 veryfast, yuv420p)."""
    params = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "14", "-preset", "veryfast"]
    encode_clip(path, pictures, FPS, params, "rgb24")


def panning_background(size: int, frames: int, seed: int = 1):
    """Linear light (H, W, 3) per frame: the textured backdrop drawn twice as wide and
    panned across by a whole frame over the clip (a camera that moves): no clean plate
    and no key colour separates a subject from it."""
    wide = textured_background(2 * size, seed)[:size]
    for i in range(frames):
        dx = int(round(i * size / max(1, frames)))
        yield wide[:, dx : dx + size]


def moving_clip(
    folder: str, seed: int = 0, frames: int = FRAMES, subject: str | None = None, size: int = SIZE
):
    """A size x size H.264 clip (CRF 14) of the subject (as the test clips) over the
    panning textured backdrop (panning_background), with light noise: -> (path, truth
    (N, H, W) float32)."""
    rng = np.random.default_rng(seed + 7)
    pictures, truth = [], []
    rendered = subject_frames(size, frames, seed, subject=subject)
    for (linear, alpha), background in zip(rendered, panning_background(size, frames, seed + 1000)):
        linear, alpha = linear.astype(np.float64), alpha.astype(np.float64)
        picture = linear + (1.0 - alpha[..., None]) * background
        pictures.append(_noisy_codes(picture, rng))
        truth.append(alpha.astype(np.float32))
    name = "twin" if subject is None else subject
    path = os.path.join(folder, f"moving-{name}-{seed}.mp4")
    _encode_crf14(path, pictures)
    return path, np.stack(truth)


# Held-out clips that differ from the test clips in more than the seed: another frame
# size and shape, frame rate, length, codec, screen colour, light, noise, or a subject
# that leaves the frame or stands still. benchmarks/keying_sweep.py keys a sweep of them.
CODECS = {
    # name: (ffmpeg encoder arguments before the quality, the quality option)
    "h264": (["-c:v", "libx264", "-preset", "veryfast"], "-crf"),
    "hevc": (["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"], "-crf"),
    "vp9": (["-c:v", "libvpx-vp9", "-b:v", "0", "-deadline", "realtime", "-cpu-used", "8"], "-crf"),
}
SUFFIX = {"h264": "mp4", "hevc": "mp4", "vp9": "webm"}


def variant_clip(
    kind: str,
    folder: str,
    width: int = SIZE,
    height: int = SIZE,
    frames: int = FRAMES,
    fps: int = FPS,
    seed: int = 0,
    codec: str = "h264",
    crf: int = 18,
    pix_fmt: str = "yuv420p",
    screen: tuple | None = None,
    light: float = 0.0,
    noise: float | None = None,
    grey: float | None = None,
    subject: str | None = None,
    reach: float = 1.0,
    still: int = 0,
    walks: int = 1,
):
    """Write a held-out clip of ``kind`` (green, blue, studio, textured) into ``folder``:
    -> (path, truth (N, height, width) float32).

    The subject is rendered at the frame's short side and stands on its bottom edge,
    centred. width, height, frames, fps: the clip's; codec (h264, hevc, vp9), crf,
    pix_fmt: its compression; screen: the screen's sRGB code (green or blue kinds; drawn
    from the seed otherwise); light: vignetting, the light falling to (1 - light) in the
    corners (0: none); noise: sensor noise in codes (the kind's own otherwise); grey:
    the studio backdrop's linear grey at its brightest (drawn otherwise); reach: the
    walk reaches the frame's sides plus ``reach`` x SWAY_PX / SIZE of the subject's
    square (1: as the test clips; 2 or more: the subject leaves the frame at both ends);
    still: the subject stands still for the clip's first ``still`` frames; walks: how
    many times the walk goes there and back over the clip (more: a faster walk)."""
    side = min(width, height)
    look = np.random.default_rng(seed + 1000)
    big = max(width, height)
    if kind in ("green", "blue"):
        if screen is None and kind == "blue":
            draw = np.random.default_rng(seed + 3000)
            screen = (draw.uniform(20, 60), draw.uniform(60, 110), draw.uniform(170, 220))
        background = green_background(big, look, screen)[:height, :width]
    elif kind == "studio":
        background = studio_background(big, look)[:height, :width]
        if grey is not None:
            background = background * (grey / float(background.max()))
    elif kind == "textured":
        background = textured_background(big, seed + 1000)[:height, :width]
    else:
        raise ValueError(kind)
    if light > 0:
        y, x = np.mgrid[0:height, 0:width]
        r2 = ((x - width / 2) / (width / 2)) ** 2 + ((y - height / 2) / (height / 2)) ** 2
        background = background * (1.0 - light * np.clip(r2 / 2.0, 0, 1))[..., None]
    if noise is None:
        noise = {"green": 5.0, "blue": 5.0, "studio": 1.5, "textured": 2.0}[kind] * look.uniform(0.6, 1.4)
    # the walk: its reach in output pixels, the subject's square centred at x_at + shift
    sway = int(round((width - side) / 2 + reach * SWAY_PX * side / SIZE))
    x_at, y_at = (width - side) // 2, height - side
    rng = np.random.default_rng(seed + 7)
    rendered = subject_frames(side, frames, seed, sway=0, subject=subject)
    phase = np.random.default_rng(seed).uniform(0, 1)
    pictures, truth = [], []
    for i, (linear_s, alpha_s) in enumerate(rendered):
        j = max(0, i - still)
        walk = ((j // 2) * 2 * walks / frames + phase) % 1.0
        shift = int(round(sway * (4 * abs(walk - 0.5) - 1)))
        linear = np.zeros((height, width, 3))
        alpha = np.zeros((height, width))
        x0 = x_at + shift
        lo, hi = max(0, x0), min(width, x0 + side)
        if hi > lo:
            linear[y_at:, lo:hi] = linear_s[:, lo - x0 : hi - x0]
            alpha[y_at:, lo:hi] = alpha_s[:, lo - x0 : hi - x0]
        if kind in ("green", "blue"):
            linear = linear + _edge_spill(alpha)[..., None] * alpha[..., None] * 0.15 * background
        picture = linear + (1.0 - alpha[..., None]) * background
        codes = srgb_encode(picture) + rng.normal(0.0, noise, picture.shape)
        pictures.append(np.clip(codes + 0.5, 0, 255).astype(np.uint8))
        truth.append(alpha.astype(np.float32))
    args, quality = CODECS[codec]
    path = os.path.join(folder, f"{kind}-{seed}-{width}x{height}.{SUFFIX[codec]}")
    encode_clip(path, pictures, fps, args + [quality, str(crf), "-pix_fmt", pix_fmt], "rgb24")
    return path, np.stack(truth)


# A known 3 x 3 grid of colour cells (tests/test_video_decode.py, benchmarks/clip_sweep.py):
# a squeezed, turned or mis-levelled picture shows as cells whose centres are off.
CELLS = np.array(
    [
        [200, 40, 40],
        [40, 200, 40],
        [40, 40, 200],
        [230, 230, 230],
        [128, 128, 128],
        [24, 24, 24],
        [200, 200, 40],
        [40, 200, 200],
        [200, 40, 200],
    ],
    np.uint8,
).reshape(3, 3, 3)


def cell_grid(w: int, h: int) -> np.ndarray:
    """(h, w, 3) uint8: the 3 x 3 cells stretched over w x h."""
    rows = np.minimum(np.arange(h) * 3 // h, 2)
    cols = np.minimum(np.arange(w) * 3 // w, 2)
    return CELLS[rows[:, None], cols[None, :]]
