"""Clips as users have them, through holopack's reader and its command line.

Each clip holds a known picture: a 3 x 3 grid of colour cells (saturated primaries,
greys, secondaries), so that a wrong colour matrix or range, a turned or squeezed
picture shows as a cell whose centre is off. Clips with alpha fade the rows (alpha
255, 128, 0 from the top). The clips are made with the ffmpeg that imageio-ffmpeg
ships (explicit matrices and ranges in its scale filter) and with Pillow.

For each clip: what ``holopack.load`` reports (size, fps, frame count, alpha), the
worst cell-centre error of the first decoded frame against the known picture
composited over black, and ``holopack export ... --key none --crop fit`` then
``holopack decode``: exit status, one line on stderr, no traceback, no output left
behind after a failure. Broken inputs must fail with one line.

    python benchmarks/clip_sweep.py [--out FOLDER] [--only NAME,...]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import imageio_ffmpeg
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one
from _video_clips import CELLS, cell_grid  # noqa: E402
from sweeps import run_sweep  # noqa: E402  (benchmarks/ is not a package)

FF = imageio_ffmpeg.get_ffmpeg_exe()
COLOURS = CELLS.reshape(9, 3)  # the known grid's cells, row by row
ROW_ALPHA = (255, 128, 0)


grid = cell_grid  # (h, w, 3) uint8: the 3 x 3 colour cells


def grid_rgba(w: int, h: int) -> np.ndarray:
    """(h, w, 4) uint8: the cells with rows of alpha 255, 128, 0."""
    y = np.minimum(np.arange(h) * 3 // h, 2)
    alpha = np.array(ROW_ALPHA, np.uint8)[y][:, None].repeat(w, 1)
    return np.dstack([grid(w, h), alpha])


def expected_over_black(w: int, h: int, alpha: bool, rows=ROW_ALPHA) -> np.ndarray:
    """(3, 3, 3) float: each cell's colour as the fan should show it."""
    cells = COLOURS.reshape(3, 3, 3).astype(np.float64)
    if alpha:
        cells = cells * (np.array(rows, np.float64)[:, None, None] / 255.0)
    return cells


def cell_error(frame: np.ndarray, want: np.ndarray) -> float:
    """Largest |mean - want| over the cells' inner 40 % (away from chroma edges)."""
    h, w = frame.shape[:2]
    worst = 0.0
    for r in range(3):
        for c in range(3):
            y0, y1 = int(h * (r + 0.3) / 3), max(int(h * (r + 0.7) / 3), int(h * (r + 0.3) / 3) + 1)
            x0, x1 = int(w * (c + 0.3) / 3), max(int(w * (c + 0.7) / 3), int(w * (c + 0.3) / 3) + 1)
            mean = frame[y0:y1, x0:x1, :3].reshape(-1, 3).astype(np.float64).mean(0)
            worst = max(worst, float(np.abs(mean - want[r, c]).max()))
    return worst


def encode(path, pictures, fps, params, pix_fmt_in="rgb24", pre=(), vf=None):
    h, w = pictures[0].shape[:2]
    cmd = [FF, "-y", "-loglevel", "error", *pre, "-f", "rawvideo", "-pix_fmt", pix_fmt_in]
    cmd += ["-s", f"{w}x{h}", "-r", str(fps), "-i", "-"]
    cmd += (["-vf", vf] if vf else []) + params + [str(path)]
    subprocess.run(cmd, input=b"".join(np.ascontiguousarray(p).tobytes() for p in pictures), check=True)


def ff(*args):
    subprocess.run([FF, "-y", "-loglevel", "error", *map(str, args)], check=True)


def yuv(matrix: str, rng: str, fmt: str = "yuv420p") -> str:
    return f"scale=out_color_matrix={matrix}:out_range={rng},format={fmt}"


def tags(matrix: str, rng: str) -> list[str]:
    return [
        "-colorspace",
        matrix,
        "-color_primaries",
        matrix if matrix != "bt470bg" else "bt470bg",
        "-color_trc",
        "bt709" if matrix == "bt709" else "smpte170m",
        "-color_range",
        rng,
    ]


# name -> (maker(folder) -> path, expected (w, h, frames or None, alpha, fps or None), or None when it must fail)
CLIPS: dict = {}


def clip(name, want):
    def deco(fn):
        CLIPS[name] = (fn, want)
        return fn

    return deco


X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "12"]
W, H, N = 96, 64, 12


def frames_rgb(w=W, h=H, n=N):
    return [grid(w, h)] * n


@clip("h264-bt709-tagged-limited.mp4", (W, H, N, False, 24))
def _(d):
    p = f"{d}/a.mp4"
    encode(p, frames_rgb(), 24, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv"))
    return p


@clip("h264-bt601-tagged-limited.mp4", (W, H, N, False, 24))
def _(d):
    p = f"{d}/a.mp4"
    encode(p, frames_rgb(), 24, X264 + tags("smpte170m", "tv"), vf=yuv("bt601", "tv"))
    return p


@clip("h264-bt601-untagged-sd.mp4", (W, H, N, False, 24))
def _(d):
    p = f"{d}/a.mp4"
    encode(p, frames_rgb(), 24, X264, vf=yuv("bt601", "tv"))
    return p


@clip("h264-bt709-untagged-hd-1280x720.mp4", (1280, 720, 3, False, 24))
def _(d):
    p = f"{d}/a.mp4"
    encode(p, frames_rgb(1280, 720, 3), 24, X264, vf=yuv("bt709", "tv"))
    return p


@clip("h264-bt709-fullrange-yuvj420p.mp4", (W, H, N, False, 24))
def _(d):
    p = f"{d}/a.mp4"
    encode(p, frames_rgb(), 24, X264 + tags("bt709", "pc"), vf=yuv("bt709", "pc", "yuvj420p"))
    return p


@clip("h264-bt601-fullrange-untagged-matrix.mp4", (W, H, N, False, 24))
def _(d):
    p = f"{d}/a.mp4"
    encode(p, frames_rgb(), 24, X264 + ["-color_range", "pc"], vf=yuv("bt601", "pc", "yuvj420p"))
    return p


@clip("h264-10bit-yuv420p10le.mp4", (W, H, N, False, 24))
def _(d):
    p = f"{d}/a.mp4"
    encode(p, frames_rgb(), 24, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv", "yuv420p10le"))
    return p


@clip("hevc-10bit.mp4", (W, H, N, False, 24))
def _(d):
    p = f"{d}/a.mp4"
    params = ["-c:v", "libx265", "-preset", "ultrafast", "-crf", "12", "-x265-params", "log-level=error"]
    encode(
        p,
        frames_rgb(),
        24,
        params + ["-tag:v", "hvc1"] + tags("bt709", "tv"),
        vf=yuv("bt709", "tv", "yuv420p10le"),
    )
    return p


@clip("vp9-10bit.webm", (W, H, N, False, 24))
def _(d):
    p = f"{d}/a.webm"
    params = ["-c:v", "libvpx-vp9", "-crf", "10", "-b:v", "0", "-deadline", "realtime", "-cpu-used", "8"]
    encode(p, frames_rgb(), 24, params + tags("bt709", "tv"), vf=yuv("bt709", "tv", "yuv420p10le"))
    return p


@clip("odd-size-721x405.mp4", (721, 405, 3, False, 24))
def _(d):
    p = f"{d}/a.mp4"
    encode(p, frames_rgb(721, 405, 3), 24, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv", "yuv444p"))
    return p


@clip("anamorphic-sar4-3-480x360-shows-640x360.mp4", (640, 360, 3, False, 24))
def _(d):
    p = f"{d}/a.mp4"
    # the known picture at its display size, squeezed into 480 stored columns
    shown = grid(640, 360)
    stored = np.asarray(Image.fromarray(shown).resize((480, 360), Image.Resampling.NEAREST))
    encode(
        p,
        [stored] * 3,
        24,
        X264 + tags("bt709", "tv") + ["-aspect", "16:9"],
        vf=yuv("bt709", "tv") + ",setsar=4/3",
    )
    return p


@clip("phone-rotate90-stored-320x240-shows-240x320.mp4", (240, 320, 3, False, 24))
def _(d):
    shown = grid(240, 320)
    # stored turned clockwise; the display matrix turns it back (90 deg anticlockwise)
    stored = np.rot90(shown, -1)
    raw = f"{d}/raw.mp4"
    encode(raw, [np.ascontiguousarray(stored)] * 3, 24, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv"))
    p = f"{d}/a.mp4"
    ff("-display_rotation", "90", "-i", raw, "-c", "copy", p)
    return p


@clip("phone-rotate270-mov.mov", (240, 320, 3, False, 24))
def _(d):
    shown = grid(240, 320)
    stored = np.rot90(shown, 1)
    raw = f"{d}/raw.mov"
    encode(raw, [np.ascontiguousarray(stored)] * 3, 24, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv"))
    p = f"{d}/a.mov"
    ff("-display_rotation", "-90", "-i", raw, "-c", "copy", p)
    return p


@clip("portrait-1080x1920.mp4", (1080, 1920, 2, False, 30))
def _(d):
    p = f"{d}/a.mp4"
    encode(p, frames_rgb(1080, 1920, 2), 30, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv"))
    return p


@clip("tiny-16x16.mp4", (16, 16, N, False, 24))
def _(d):
    p = f"{d}/a.mp4"
    encode(p, frames_rgb(16, 16), 24, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv", "yuv444p"))
    return p


@clip("single-frame.mp4", (W, H, 1, False, 24))
def _(d):
    p = f"{d}/a.mp4"
    encode(p, frames_rgb(n=1), 24, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv"))
    return p


@clip("vfr-mkv.mkv", (W, H, None, False, None))
def _(d):
    # frames at irregular times: 0, 40, 80, 200, 240, 400 ms ... (a phone's variable rate)
    p = f"{d}/a.mkv"
    folder = f"{d}/vfr"
    os.makedirs(folder)
    times = [0.0, 0.04, 0.08, 0.2, 0.24, 0.4, 0.44, 0.48, 0.6, 0.64, 0.8, 0.84]
    lines = []
    for i, _t in enumerate(times):
        Image.fromarray(grid(W, H)).save(f"{folder}/f{i:02d}.png")
        if i + 1 < len(times):
            lines += [f"file 'f{i:02d}.png'", f"duration {times[i + 1] - times[i]:.3f}"]
    lines += [f"file 'f{len(times) - 1:02d}.png'", "duration 0.040"]
    with open(f"{folder}/list.txt", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    ff(
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        f"{folder}/list.txt",
        "-fps_mode",
        "vfr",
        "-vf",
        yuv("bt709", "tv"),
        *X264,
        *tags("bt709", "tv"),
        p,
    )
    return p


for _fps in ("24000/1001", "30000/1001", "60"):

    def _make(d, fps=_fps):
        p = f"{d}/a.mp4"
        encode(p, frames_rgb(), fps, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv"))
        return p

    CLIPS[f"rate-{_fps.replace('/', '_')}.mp4"] = (_make, (W, H, N, False, eval(_fps)))


@clip("start-offset-2s.mp4", (W, H, N, False, 24))
def _(d):
    raw = f"{d}/raw.mp4"
    encode(raw, frames_rgb(), 24, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv"))
    p = f"{d}/a.mp4"
    ff("-itsoffset", "2", "-i", raw, "-c", "copy", p)
    return p


@clip("with-audio.mp4", (W, H, N, False, 24))
def _(d):
    raw = f"{d}/raw.mp4"
    encode(raw, frames_rgb(), 24, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv"))
    p = f"{d}/a.mp4"
    # the sound first, as cameras often write it
    ff(
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=0.5",
        "-i",
        raw,
        "-map",
        "0:a",
        "-map",
        "1:v",
        "-c:a",
        "aac",
        "-c:v",
        "copy",
        p,
    )
    return p


@clip("sound-runs-on-3s-after-0.5s-picture.mp4", (W, H, N, False, 24))
def _(d):
    raw = f"{d}/raw.mp4"
    encode(raw, frames_rgb(), 24, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv"))
    p = f"{d}/a.mp4"
    ff(
        "-f",
        "lavfi",
        "-i",
        "sine=duration=3",
        "-i",
        raw,
        "-map",
        "0:a",
        "-map",
        "1:v",
        "-c:a",
        "aac",
        "-c:v",
        "copy",
        p,
    )
    return p


@clip("cut-off-mid-clip-24-of-48.mp4", (W, H, 25, False, 24))
def _(d):
    # 48 frames, a key frame every 12, the index first; the file cut at 70 %: 24 frames
    # decode, the 25th packet is partial (its picture held)
    raw = f"{d}/raw.mp4"
    pics = []
    for i in range(48):
        g = grid(W, H).copy()
        g[:2, i : i + 2] = 255  # frames differ
        pics.append(g)
    encode(
        raw,
        pics,
        24,
        X264 + ["-g", "12", "-movflags", "+faststart"] + tags("bt709", "tv"),
        vf=yuv("bt709", "tv"),
    )
    data = open(raw, "rb").read()
    p = f"{d}/a.mp4"
    open(p, "wb").write(data[: int(len(data) * 0.7)])
    return p


@clip("black-first-frames.mp4", (W, H, N, False, 24))
def _(d):
    p = f"{d}/a.mp4"
    pics = [np.zeros((H, W, 3), np.uint8)] * 4 + [grid(W, H)] * (N - 4)
    encode(p, pics, 24, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv"))
    return p


@clip("vp9-alpha-yuva420p.webm", (W, H, N, True, 24))
def _(d):
    p = f"{d}/a.webm"
    params = [
        "-c:v",
        "libvpx-vp9",
        "-pix_fmt",
        "yuva420p",
        "-crf",
        "8",
        "-b:v",
        "0",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-auto-alt-ref",
        "0",
    ]
    encode(p, [grid_rgba(W, H)] * N, 24, params, "rgba")
    return p


@clip("prores4444-alpha.mov", (W, H, N, True, 24))
def _(d):
    p = f"{d}/a.mov"
    encode(
        p,
        [grid_rgba(W, H)] * N,
        24,
        ["-c:v", "prores_ks", "-profile:v", "4444", "-pix_fmt", "yuva444p10le"],
        "rgba",
    )
    return p


@clip("qtrle-argb.mov", (W, H, N, True, 24))
def _(d):
    p = f"{d}/a.mov"
    encode(p, [grid_rgba(W, H)] * N, 24, ["-c:v", "qtrle", "-pix_fmt", "argb"], "rgba")
    return p


@clip("png-in-mov-rgba.mov", (W, H, N, True, 24))
def _(d):
    p = f"{d}/a.mov"
    encode(p, [grid_rgba(W, H)] * N, 24, ["-c:v", "png", "-pix_fmt", "rgba"], "rgba")
    return p


@clip("png-in-mov-rgba64.mov", (W, H, N, True, 24))
def _(d):
    p = f"{d}/a.mov"
    encode(p, [grid_rgba(W, H)] * N, 24, ["-c:v", "png", "-pix_fmt", "rgba64be"], "rgba")
    return p


def _pil_anim(d, name, **kw):
    p = f"{d}/{name}"
    pics = []
    for i in range(N):  # frames differ (Pillow merges equal neighbours): a corner blinks
        f = grid_rgba(W, H)
        if i % 2:
            f[:3, :3] = (255, 255, 255, 255)
        pics.append(Image.fromarray(f))
    pics[0].save(p, save_all=True, append_images=pics[1:], duration=1000 // 24 + 1, loop=0, **kw)
    return p


CLIPS["apng-alpha.png"] = (lambda d: _pil_anim(d, "a.png"), (W, H, N, True, 1000 / 42))
CLIPS["webp-anim-alpha-lossless.webp"] = (
    lambda d: _pil_anim(d, "a.webp", lossless=True),
    (W, H, N, True, 1000 / 42),
)
CLIPS["webp-anim-alpha-lossy.webp"] = (
    lambda d: _pil_anim(d, "a.webp", quality=95),
    (W, H, N, True, 1000 / 42),
)


@clip("gif-transparency-disposal2.gif", (W, H, N, True, 20))
def _(d):
    # alpha 128 is not in a GIF: rows 255, 255, 0
    p = f"{d}/a.gif"
    rgba = grid_rgba(W, H)
    rgba[..., 3] = np.where(rgba[..., 3] > 0, 255, 0)
    pics = []
    for i in range(N):  # a cell that blinks, so frames differ and Pillow writes partial frames
        f = rgba.copy()
        if i % 2:
            f[:3, :3] = (0, 0, 0, 0)
        pics.append(Image.fromarray(f))
    pics[0].save(p, save_all=True, append_images=pics[1:], duration=50, loop=0, disposal=2, optimize=True)
    return p


@clip("gif-disposal1-partial.gif", (W, H, N, False, 20))
def _(d):
    p = f"{d}/a.gif"
    pics = []
    for i in range(N):
        f = grid(W, H).copy()
        if i % 2:
            f[:3, :3] = (24, 24, 24)
        pics.append(Image.fromarray(f))
    pics[0].save(p, save_all=True, append_images=pics[1:], duration=50, loop=0, disposal=1, optimize=True)
    return p


def _folder(d, pictures, ext="png", sub="frames", **kw):
    folder = f"{d}/{sub}"
    os.makedirs(folder)
    for i, pic in enumerate(pictures):
        pic.save(f"{folder}/frame_{i:04d}.{ext}", **kw)
    return folder


CLIPS["png-folder-rgba"] = (
    lambda d: _folder(d, [Image.fromarray(grid_rgba(W, H))] * N),
    (W, H, N, True, None),
)
CLIPS["png-folder-rgb"] = (lambda d: _folder(d, [Image.fromarray(grid(W, H))] * N), (W, H, N, False, None))


@clip("png16-folder-rgba", (W, H, N, True, None))
def _(d):
    folder = f"{d}/frames"
    os.makedirs(folder)
    rgba16 = grid_rgba(W, H).astype(np.uint16) * 257
    for i in range(N):
        _png16(f"{folder}/frame_{i:04d}.png", rgba16)
    return folder


@clip("png16-folder-grey", (W, H, N, False, None))
def _(d):
    folder = f"{d}/frames"
    os.makedirs(folder)
    grey = grid(W, H)[..., 0].astype(np.uint16) * 257  # the red channel as a grey picture
    for i in range(N):
        Image.fromarray(grey).save(f"{folder}/frame_{i:04d}.png")
    return folder


@clip("png16-rgba-in-mov-via-folder.png", (W, H, 1, True, None))
def _(d):
    p = f"{d}/a.png"
    _png16(p, grid_rgba(W, H).astype(np.uint16) * 257)
    return p


def _png16(path, rgba16):
    h, w = rgba16.shape[:2]
    ff_in = rgba16.astype(">u2").tobytes()
    subprocess.run(
        [
            FF,
            "-y",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgba64be",
            "-s",
            f"{w}x{h}",
            "-i",
            "-",
            "-frames:v",
            "1",
            "-update",
            "1",
            path,
        ],
        input=ff_in,
        check=True,
    )


# broken inputs: must fail with one line, exit 2
@clip("audio-only.m4a", None)
def _(d):
    p = f"{d}/a.m4a"
    ff("-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac", p)
    return p


@clip("audio-only-named.mp4", None)
def _(d):
    p = f"{d}/a.mp4"
    ff("-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac", p)
    return p


@clip("truncated-half.mp4", "maybe")
def _(d):
    raw = f"{d}/raw.mp4"
    encode(
        raw, frames_rgb(), 24, X264 + ["-movflags", "+faststart"] + tags("bt709", "tv"), vf=yuv("bt709", "tv")
    )
    data = open(raw, "rb").read()
    p = f"{d}/a.mp4"
    open(p, "wb").write(data[: len(data) // 2])
    return p


@clip("truncated-no-moov.mp4", None)
def _(d):
    raw = f"{d}/raw.mp4"
    encode(raw, frames_rgb(), 24, X264 + tags("bt709", "tv"), vf=yuv("bt709", "tv"))
    data = open(raw, "rb").read()
    p = f"{d}/a.mp4"
    open(p, "wb").write(data[: len(data) // 2])
    return p


@clip("zero-bytes.mp4", None)
def _(d):
    p = f"{d}/a.mp4"
    open(p, "wb").close()
    return p


@clip("webm-named-mp4.mp4", (W, H, N, False, 24))
def _(d):
    p = f"{d}/a.mp4.tmp"
    params = [
        "-c:v",
        "libvpx-vp9",
        "-crf",
        "10",
        "-b:v",
        "0",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-f",
        "webm",
    ]
    encode(p, frames_rgb(), 24, params, vf=yuv("bt601", "tv"))
    os.rename(p, f"{d}/a.mp4")
    return f"{d}/a.mp4"


@clip("text-named-mp4.mp4", None)
def _(d):
    p = f"{d}/a.mp4"
    open(p, "w").write("not a video\n" * 20)
    return p


@clip("png-named-webm.webm", "maybe")
def _(d):
    p = f"{d}/a.webm"
    Image.fromarray(grid(W, H)).save(p, format="PNG")
    return p


@clip("folder-one-unreadable", None)
def _(d):
    folder = _folder(d, [Image.fromarray(grid(W, H))] * 6)
    open(f"{folder}/frame_0003.png", "wb").write(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    return folder


@clip("folder-mixed-sizes", None)
def _(d):
    folder = _folder(d, [Image.fromarray(grid(W, H))] * 5 + [Image.fromarray(grid(W + 2, H))])
    return folder


def run(cmd, timeout=300):
    t = time.time()
    r = subprocess.run(
        [sys.executable, "-m", "holopack", *cmd], capture_output=True, text=True, timeout=timeout
    )
    return r.returncode, r.stderr.strip(), r.stdout, time.time() - t


def sweep(names, out, cli=True):
    import holopack

    rows = []
    for name in names:
        maker, want = CLIPS[name]
        with tempfile.TemporaryDirectory() as d:
            try:
                path = maker(d)
            except subprocess.CalledProcessError as exc:
                rows.append((name, f"could not make ({exc})"))
                continue
            notes = []
            # 1. the reader
            try:
                media = holopack.load(path).media
                got = (media.width, media.height, media.frame_count, media.alpha, round(media.fps, 3))
                frames = list(_take(media.open_rgba() if media.alpha else media.frames(), 64))
                first = frames[-1]  # the last read: past black lead-ins
                if first.shape[2] == 4:
                    from holopack.video.decode import premultiply

                    first = premultiply(first)
                load_ok = True
                notes.append(
                    f"load {got[0]}x{got[1]} n={got[2]} (read {len(frames)}) alpha={got[3]} fps={got[4]:g}"
                )
                notes.append(f"frame {first.shape[1]}x{first.shape[0]}")
            except Exception as exc:  # noqa: BLE001  the sweep records every failure
                load_ok = False
                notes.append(f"load fails: {type(exc).__name__}: {str(exc).splitlines()[0][:150]}")
            verdict = []
            if want is None:
                if load_ok:
                    verdict.append("LOADS (should fail)")
            elif want == "maybe":
                pass
            elif load_ok:
                w, h, n, alpha, fps = want
                if (media.width, media.height) != (w, h) or first.shape[:2] != (h, w):
                    verdict.append(f"SIZE want {w}x{h}")
                short = 1 if name.startswith("cut-off") else 0  # its last packet is partial
                if n is not None and (media.frame_count != n or not n - short <= len(frames) <= n):
                    verdict.append(f"COUNT want {n}")
                if alpha != media.alpha:
                    verdict.append(f"ALPHA want {alpha}")
                if fps is not None and abs(media.fps - fps) > 0.01:
                    verdict.append(f"FPS want {fps:g}")
                rows_alpha = (255, 255, 0) if name.endswith(".gif") else ROW_ALPHA  # GIF alpha is 0 or 255
                want_cells = expected_over_black(w, h, alpha, rows_alpha)
                if "grey" in name:  # the red channel shown as grey
                    want_cells = want_cells[..., :1].repeat(3, -1)
                err = cell_error(first, want_cells)
                notes.append(f"cell err {err:.1f}")
                if err > 8:
                    verdict.append(f"COLOUR err {err:.0f}")
            else:
                verdict.append("LOAD FAILS")
            # 2. the command line
            if not cli:
                rows.append((name, "; ".join(notes), ", ".join(verdict) or "ok"))
                print(f"{name:48s} {rows[-1][2]:30s} {rows[-1][1]}", flush=True)
                continue
            binp = f"{d}/01_OUT.BIN"
            rc, err_text, _, secs = run(["inspect", path])
            tb = "Traceback" in err_text
            notes.append(f"inspect rc={rc}" + (" TRACEBACK" if tb else ""))
            if want is None or rc != 0:
                notes.append(f"inspect says: {err_text.splitlines()[-1][:160] if err_text else '-'}")
            rc2, err2, _, secs2 = run(export_args(path, binp))
            notes.append(f"export rc={rc2} {secs2:.1f}s" + (" TRACEBACK" if "Traceback" in err2 else ""))
            if rc2 != 0:
                notes.append(f"export says: {err2.splitlines()[-1][:160] if err2 else '-'}")
                lines = [ln for ln in err2.splitlines() if ln.strip()]
                if len(lines) != 1:
                    verdict.append(f"{len(lines)} LINES")
                if os.path.exists(binp) or [n for n in os.listdir(d) if n.startswith(".") or "tmp" in n]:
                    verdict.append("PARTIAL OUTPUT")
            if tb or "Traceback" in err2:
                verdict.append("TRACEBACK")
            if want is None and rc2 == 0:
                verdict.append("EXPORTS (should fail)")
            if want not in (None, "maybe") and rc2 != 0:
                verdict.append("EXPORT FAILS")
            if rc2 == 0:
                dec = f"{out}/{name.replace('.', '-')}-frames"
                rc3, err3, _, _ = run(["decode", binp, "-o", dec, "--frames", "8", "-q"])
                notes.append(f"decode rc={rc3}")
                if rc3 != 0:
                    verdict.append("DECODE FAILS")
                if "frame size for reading" in err2 + err_text:
                    verdict.append("WARNS")
                if rc3 == 0 and want not in (None, "maybe"):
                    # the same picture, lossless and square-pixelled, through the same commands
                    w, h, _, alpha, _ = want
                    ref = _folder(d, [Image.fromarray(reference_picture(name, w, h, alpha))], sub="reference")
                    ref_bin, ref_dec = f"{d}/REF.BIN", f"{d}/ref-frames"
                    run(export_args(ref, ref_bin))
                    run(["decode", ref_bin, "-o", ref_dec, "--frames", "1", "-q"])
                    got = np.asarray(
                        Image.open(sorted(_pngs(dec))[-1]).convert("RGB"), np.float64
                    )  # past black lead-ins
                    ref_pic = np.asarray(Image.open(sorted(_pngs(ref_dec))[0]).convert("RGB"), np.float64)
                    diff = float(np.abs(got - ref_pic).mean())
                    notes.append(f"fan picture vs lossless reference: mean |diff| {diff:.2f}")
                    if diff > 4:
                        verdict.append(f"FAN PICTURE OFF {diff:.0f}")
            rows.append((name, "; ".join(notes), ", ".join(verdict) or "ok"))
            print(f"{name:48s} {rows[-1][2]:30s} {rows[-1][1]}", flush=True)
    return rows


def export_args(path, binp):
    return [
        "export",
        path,
        "--device",
        "3dcircle-42f2",
        "-o",
        binp,
        "--key",
        "none",
        "--crop",
        "fit",
        "--seconds",
        "0.35",
        "-q",
    ]


def _pngs(folder):
    return [os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".png")]


def reference_picture(name, w, h, alpha):
    """(h, w, 3) uint8: what the clip's first frame should look like over black."""
    if not alpha:
        picture = grid(w, h)
        return picture[..., :1].repeat(3, -1) if "grey" in name else picture
    rgba = grid_rgba(w, h).astype(np.float64)
    if name.endswith(".gif"):
        rgba[..., 3] = np.where(rgba[..., 3] > 0, 255, 0)
    return np.round(rgba[..., :3] * rgba[..., 3:] / 255.0).astype(np.uint8)


def _take(it, n):
    for i, x in enumerate(it):
        if i >= n:
            break
        yield x


def main():
    run_sweep(__doc__.splitlines()[0], CLIPS, sweep, "clipsweep-")


if __name__ == "__main__":
    main()
