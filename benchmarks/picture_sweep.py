"""Still pictures as installers have them, through holopack's reader and its command line.

Each picture holds a known content: the 3 x 3 colour grid of tests/_video_clips.py at
96 x 64 (wider than tall and with nine distinct cells, so a picture shown turned,
mirrored or squeezed shows as cells out of place), with rows of alpha 255, 128, 0
where the format carries alpha. The reference is made independently of holopack:
the known grid (turned by the EXIF tag's meaning as every viewer shows it), or for
colour-managed pictures the same codes converted to sRGB with numpy from the primaries
(tests/_still_pictures.py).

For each picture: what ``holopack.load`` reports (size, alpha) and the worst
cell-centre error of its picture over black; then ``holopack inspect``, ``holopack
export --device 3dcircle-42f2`` and ``--device mp4-fan`` and ``holopack decode
--frames 1``, the decoded fan picture compared with the reference exported the same
way from a lossless PNG. Broken inputs must fail with one line naming the file, exit
status 2, no traceback, nothing left behind.

    python benchmarks/picture_sweep.py [--out FOLDER] [--only NAME,...] [--no-cli]
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import imageio_ffmpeg
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one
from _still_pictures import heic, icc_profile, interlaced_png, orient, psd, rle8_bmp, to_srgb  # noqa: E402
from _video_clips import CELLS, cell_grid  # noqa: E402
from sweeps import run_sweep  # noqa: E402  (benchmarks/ is not a package)

FF = imageio_ffmpeg.get_ffmpeg_exe()
W, H = 96, 64
COLOURS = CELLS.reshape(9, 3)
ROW_ALPHA = (255, 128, 0)
EXIF_ORIENTATION = 0x0112


def grid(w=W, h=H) -> np.ndarray:
    return cell_grid(w, h)


def grid_rgba(w=W, h=H, rows=ROW_ALPHA) -> np.ndarray:
    y = np.minimum(np.arange(h) * 3 // h, 2)
    alpha = np.array(rows, np.uint8)[y][:, None].repeat(w, 1)
    return np.dstack([grid(w, h), alpha])


def over_black(rgba: np.ndarray) -> np.ndarray:
    """Reference compositing in float (not holopack's integer premultiply)."""
    rgba = rgba.astype(np.float64)
    return np.round(rgba[..., :3] * rgba[..., 3:] / 255.0).astype(np.uint8)


def cell_error(frame: np.ndarray, want: np.ndarray) -> float:
    """Largest |mean - want| over the 3 x 3 cells' inner 40 %; both (H, W, 3)."""
    if frame.shape != want.shape:
        return float("inf")
    h, w = frame.shape[:2]
    worst = 0.0
    for r in range(3):
        for c in range(3):
            ys = slice(int(h * (r + 0.3) / 3), max(int(h * (r + 0.7) / 3), int(h * (r + 0.3) / 3) + 1))
            xs = slice(int(w * (c + 0.3) / 3), max(int(w * (c + 0.7) / 3), int(w * (c + 0.3) / 3) + 1))
            a = frame[ys, xs].reshape(-1, 3).astype(np.float64).mean(0)
            b = want[ys, xs].reshape(-1, 3).astype(np.float64).mean(0)
            worst = max(worst, float(np.abs(a - b).max()))
    return worst


# name -> (maker(folder) -> path, reference (H, W, 3) uint8 over black, or (H, W, 4) RGBA
# for a picture with alpha (over black for its colours; exported with its alpha for the
# fan's picture, as a picture with alpha is fitted by its subject), or None when it must
# fail, or "either" when failing in one clear line is as right as working)
CASES: dict = {}


def case(name, want):
    def deco(fn):
        CASES[name] = (fn, want)
        return fn

    return deco


def save(d, name, picture, **kw):
    path = f"{d}/{name}"
    (picture if isinstance(picture, Image.Image) else Image.fromarray(picture)).save(path, **kw)
    return path


def exif(n):
    tags = Image.Exif()
    tags[EXIF_ORIENTATION] = n
    return tags


# --- JPEG
for _n in range(1, 9):

    @case(f"jpeg-exif-orientation-{_n}.jpg", grid())
    def _(d, n=_n):
        return save(d, "a.jpg", orient(grid(), n), quality=95, subsampling=0, exif=exif(n))


case("jpeg-progressive.jpg", grid())(lambda d: save(d, "a.jpg", grid(), quality=95, progressive=True))
case("jpeg-444.jpg", grid())(lambda d: save(d, "a.jpg", grid(), quality=92, subsampling=0))
case("jpeg-422.jpg", grid())(lambda d: save(d, "a.jpg", grid(), quality=92, subsampling=1))
case("jpeg-420.jpg", grid())(lambda d: save(d, "a.jpg", grid(), quality=92, subsampling=2))
case("jpeg-grey.jpg", grid()[..., :1].repeat(3, -1))(lambda d: save(d, "a.jpg", grid()[..., 0], quality=95))
case("jpeg-restart-markers.jpg", grid())(
    lambda d: save(d, "a.jpg", grid(), quality=95, subsampling=0, restart_marker_rows=1)
)


def cmyk_of(rgb):
    """Naive CMYK: K = 1 - max(R, G, B), C = (1 - R - K) / (1 - K), so that
    R = (1 - C)(1 - K) as Pillow and viewers turn CMYK without a profile into RGB."""
    x = rgb.astype(np.float64) / 255.0
    k = 1.0 - x.max(-1, keepdims=True)
    c = (1.0 - x - k) / np.maximum(1.0 - k, 1e-6)
    return np.round(np.concatenate([c, k], -1) * 255).astype(np.uint8)


# Pillow writes CMYK JPEGs as Photoshop does: inverted, with an Adobe APP14 marker
case("jpeg-cmyk-adobe-inverted.jpg", grid())(
    lambda d: save(d, "a.jpg", Image.fromarray(cmyk_of(grid()), "CMYK"), quality=95)
)


@case("jpeg-cmyk-plain-no-adobe.jpg", "either")  # Pillow and Skia read every CMYK JPEG the Adobe way
def _(d):
    buf = io.BytesIO()
    Image.fromarray(255 - cmyk_of(grid()), "CMYK").save(buf, "JPEG", quality=95)
    data = buf.getvalue()
    at = data.find(b"\xff\xee")  # the APP14 segment: without it the codes are plain CMYK
    length = struct.unpack(">H", data[at + 2 : at + 4])[0]
    with open(f"{d}/a.jpg", "wb") as f:
        f.write(data[:at] + data[at + 2 + length :])
    return f"{d}/a.jpg"


for _space in ("adobe-rgb", "display-p3"):

    @case(f"jpeg-icc-{_space}.jpg", np.round(to_srgb(grid(), _space)).astype(np.uint8))
    def _(d, space=_space):
        return save(d, "a.jpg", grid(), quality=97, subsampling=0, icc_profile=icc_profile(space))

    @case(f"png-iccp-{_space}.png", np.round(to_srgb(grid(), _space)).astype(np.uint8))
    def _(d, space=_space):
        return save(d, "a.png", grid(), icc_profile=icc_profile(space))


case("jpeg-huge-12000x9000.jpg", "either")(lambda d: save(d, "a.jpg", grid(12000, 9000), quality=80))
case("jpeg-1x1.jpg", np.array([[[200, 40, 40]]], np.uint8))(
    lambda d: save(d, "a.jpg", np.array([[[200, 40, 40]]], np.uint8), quality=95)
)
case("jpeg-panorama-8000x500.jpg", grid(8000, 500))(lambda d: save(d, "a.jpg", grid(8000, 500), quality=90))


@case("jpeg-truncated.jpg", None)
def _(d):
    p = save(d, "full.jpg", grid(), quality=95)
    data = open(p, "rb").read()
    with open(f"{d}/a.jpg", "wb") as f:
        f.write(data[: len(data) // 2])
    os.remove(p)
    return f"{d}/a.jpg"


# --- PNG
def palette_grid(rows=ROW_ALPHA):
    """A P-mode grid: index = cell, tRNS by row."""
    idx = np.arange(9, dtype=np.uint8).reshape(3, 3)
    ys, xs = np.minimum(np.arange(H) * 3 // H, 2), np.minimum(np.arange(W) * 3 // W, 2)
    image = Image.fromarray(idx[ys[:, None], xs[None, :]], "P")
    image.putpalette(COLOURS.reshape(-1).tolist())
    return image


@case("png-palette-trns-binary.png", grid_rgba(rows=(255, 255, 0)))
def _(d):
    # cells of the last row transparent: tRNS on indices 6, 7, 8
    return save(d, "a.png", palette_grid(), transparency=bytes([255] * 6 + [0] * 3))


@case("png-palette-partial-alpha.png", grid_rgba())
def _(d):
    return save(d, "a.png", palette_grid(), transparency=bytes([255] * 3 + [128] * 3 + [0] * 3))


case("png-la-grey-alpha.png", grid_rgba()[..., [0, 0, 0, 3]])(
    lambda d: save(d, "a.png", Image.fromarray(grid_rgba()[..., [0, 3]], "LA"))
)


def _low_bit(bits):
    """A grid of the first 2**bits cells (the rest repeat), as a P picture of that depth."""
    n = min(9, 2**bits)
    idx = (np.arange(9, dtype=np.uint8) % n).reshape(3, 3)
    ys, xs = np.minimum(np.arange(H) * 3 // H, 2), np.minimum(np.arange(W) * 3 // W, 2)
    cells = idx[ys[:, None], xs[None, :]]
    image = Image.fromarray(cells, "P")
    image.putpalette(COLOURS[:n].reshape(-1).tolist())
    return image, COLOURS[cells]


for _bits in (1, 2, 4):

    @case(f"png-{_bits}bit-palette.png", _low_bit(_bits)[1])
    def _(d, bits=_bits):
        return save(d, "a.png", _low_bit(bits)[0], bits=bits)


case("png-1bit-bilevel.png", (grid()[..., :1] > 100).repeat(3, -1).astype(np.uint8) * 255)(
    lambda d: save(d, "a.png", Image.fromarray(grid()[..., 0] > 100))
)


def png16(path, rgb16):
    h, w, c = rgb16.shape
    fmt = {3: "rgb48be", 4: "rgba64be"}[c]
    subprocess.run(
        [FF, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", fmt, "-s", f"{w}x{h}", "-i", "-"]
        + ["-frames:v", "1", "-update", "1", path],
        input=rgb16.astype(">u2").tobytes(),
        check=True,
    )
    return path


case("png-16bit-rgb.png", grid())(lambda d: png16(f"{d}/a.png", grid().astype(np.uint16) * 257))
case("png-16bit-rgba.png", grid_rgba())(lambda d: png16(f"{d}/a.png", grid_rgba().astype(np.uint16) * 257))
case("png-16bit-grey.png", grid()[..., :1].repeat(3, -1))(
    lambda d: save(d, "a.png", Image.fromarray(grid()[..., 0].astype(np.uint16) * 257))
)


@case("png-adam7-interlaced.png", grid())
def _(d):
    interlaced_png(f"{d}/a.png", grid())
    return f"{d}/a.png"


@case("png-gamma-chunk-0.55.png", "either")
def _(d):
    p = save(d, "a.png", grid())
    data = open(p, "rb").read()
    body = struct.pack(">I", 55000)
    chunk = struct.pack(">I", 4) + b"gAMA" + body + struct.pack(">I", zlib.crc32(b"gAMA" + body))
    with open(p, "wb") as f:
        f.write(data[:33] + chunk + data[33:])  # after IHDR
    return p


@case("png-srgb-iccp.png", grid())
def _(d):
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return save(d, "a.png", grid(), icc_profile=srgb)


@case("png-white-under-clear.png", "edge")
def _(d):
    # a red disc, everything outside it alpha 0 but white: shrunk onto the fan, the edge
    # must not glow white
    yy, xx = np.mgrid[:1200, :1200]
    inside = (yy - 600) ** 2 + (xx - 600) ** 2 < 500**2
    rgba = np.zeros((1200, 1200, 4), np.uint8)
    rgba[...] = (255, 255, 255, 0)
    rgba[inside] = (200, 0, 0, 255)
    return save(d, "a.png", rgba)


# --- other formats
case("webp-lossy-alpha.webp", grid_rgba())(
    lambda d: save(d, "a.webp", grid_rgba(), quality=95, alpha_quality=100)
)
case("webp-lossless-alpha.webp", grid_rgba())(lambda d: save(d, "a.webp", grid_rgba(), lossless=True))
_GIF_CLEAR = np.dstack([grid(), np.full((H, W), 255, np.uint8)])
_GIF_CLEAR[2 * H // 3 :, : W // 3, 3] = 0  # cell 6 (bottom left) is the transparent index
case("gif-still-transparency.gif", _GIF_CLEAR)(lambda d: save(d, "a.gif", palette_grid(), transparency=6))
case("bmp-24bit.bmp", grid())(lambda d: save(d, "a.bmp", grid()))
case("bmp-32bit-alpha.bmp", "either")(lambda d: save(d, "a.bmp", grid_rgba()))


@case("bmp-rle8.bmp", grid())
def _(d):
    idx = np.arange(9, dtype=np.uint8).reshape(3, 3)
    ys, xs = np.minimum(np.arange(H) * 3 // H, 2), np.minimum(np.arange(W) * 3 // W, 2)
    rle8_bmp(f"{d}/a.bmp", idx[ys[:, None], xs[None, :]], COLOURS)
    return f"{d}/a.bmp"


case("tiff-rgb.tif", grid())(lambda d: save(d, "a.tif", grid()))
case("tiff-rgba.tiff", grid_rgba())(lambda d: save(d, "a.tiff", grid_rgba()))
case("tiff-lzw.tif", grid())(lambda d: save(d, "a.tif", grid(), compression="tiff_lzw"))
case("tiff-deflate.tif", grid())(lambda d: save(d, "a.tif", grid(), compression="tiff_adobe_deflate"))


@case("tiff-16bit-rgb.tif", grid())
def _(d):
    p = f"{d}/a.tif"
    subprocess.run(
        [FF, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb48le", "-s", f"{W}x{H}", "-i", "-"]
        + ["-frames:v", "1", "-update", "1", "-c:v", "tiff", p],
        input=(grid().astype(np.uint16) * 257).astype("<u2").tobytes(),
        check=True,
    )
    return p


@case("tiff-multipage-first-is-grid.tif", grid())
def _(d):
    return save(d, "a.tif", grid(), save_all=True, append_images=[Image.fromarray(255 - grid())])


case("tga.tga", grid())(lambda d: save(d, "a.tga", grid()))
case("tga-rgba-rle.tga", grid_rgba())(lambda d: save(d, "a.tga", grid_rgba(), compression="tga_rle"))
case("ico-64.ico", "either")(lambda d: save(d, "a.ico", grid(64, 64), sizes=[(64, 64)]))


@case("psd-flat.psd", grid())
def _(d):
    psd(f"{d}/a.psd", grid())
    return f"{d}/a.psd"


case("avif-still.avif", grid())(lambda d: save(d, "a.avif", grid(), quality=95))


@case("heic-header-only.heic", None)
def _(d):
    p = f"{d}/a.heic"
    # ffmpeg writes no HEIF; a HEIC's opening box, as phones' files start
    with open(p, "wb") as f:
        f.write(struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0" + b"mif1heic" + b"\0" * 200)
    return p


@case("heic-libheif-hevc.heic", grid())
def _(d):
    assert heic(f"{d}/a.heic", grid()), "needs libheif with x265"
    return f"{d}/a.heic"


@case("heic-irot-orientation-6.heic", grid())
def _(d):
    # stored on its side with the irot box that turns it upright, as phones store portraits
    assert heic(f"{d}/a.heic", orient(grid(), 6), orientation=6), "needs libheif 1.14+ with x265"
    return f"{d}/a.heic"


@case("heic-renamed-jpg.jpg", grid())
def _(d):
    assert heic(f"{d}/a.jpg", grid()), "needs libheif with x265"
    return f"{d}/a.jpg"


@case("svg-drawing.svg", None)
def _(d):
    with open(f"{d}/a.svg", "w") as f:
        f.write(
            '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="64"><rect width="96" height="64"/></svg>'
        )
    return f"{d}/a.svg"


@case("mpo-phone-jpeg-with-second-picture.jpg", grid())
def _(d):
    # phones and 3D cameras write a second picture (a depth or gain map, a second eye)
    # after the first in a JPEG's MP extension; Pillow opens it as MPO with 2 frames
    return save(
        d, "a.jpg", grid(), format="MPO", save_all=True, append_images=[Image.fromarray(255 - grid())]
    )


# --- mis-named and broken
case("jpeg-named-png.png", grid())(
    lambda d: save(d, "a.png", grid(), format="JPEG", quality=95, subsampling=0)
)
case("png-named-jpg.jpg", grid())(lambda d: save(d, "a.jpg", grid(), format="PNG"))
case("jpeg-named-jfif.jfif", grid())(lambda d: save(d, "a.jfif", grid(), format="JPEG", quality=95))
case("zero-bytes.jpg", None)(lambda d: open(f"{d}/a.jpg", "wb").close() or f"{d}/a.jpg")


@case("text-named-jpg.jpg", None)
def _(d):
    with open(f"{d}/a.jpg", "w") as f:
        f.write("this is not a picture\n")
    return f"{d}/a.jpg"


# --- folders
@case("folder-mixed-png-jpg", grid())
def _(d):
    os.makedirs(f"{d}/frames")
    for i in range(4):
        ext = "png" if i % 2 else "jpg"
        save(
            d, f"frames/f{i:03d}.{ext}", grid(), **({"quality": 97, "subsampling": 0} if ext == "jpg" else {})
        )
    return f"{d}/frames"


@case("folder-phone-orientation-6", grid())
def _(d):
    os.makedirs(f"{d}/frames")
    for i in range(4):
        save(d, f"frames/f{i:03d}.jpg", orient(grid(), 6), quality=97, subsampling=0, exif=exif(6))
    return f"{d}/frames"


@case("folder-mixed-orientations-same-view", grid())
def _(d):
    os.makedirs(f"{d}/frames")
    for i, n in enumerate((1, 6, 8, 3)):
        save(d, f"frames/f{i:03d}.jpg", orient(grid(), n), quality=97, subsampling=0, exif=exif(n))
    return f"{d}/frames"


@case("folder-mixed-sizes", None)
def _(d):
    os.makedirs(f"{d}/frames")
    for i in range(3):
        save(d, f"frames/f{i:03d}.png", grid(W + 2 * (i == 2), H))
    return f"{d}/frames"


@case("folder-tiff-stills", "either")
def _(d):
    os.makedirs(f"{d}/frames")
    for i in range(3):
        save(d, f"frames/f{i:03d}.tif", grid())
    return f"{d}/frames"


@case("folder-one-cmyk-jpeg", grid())
def _(d):
    os.makedirs(f"{d}/frames")
    save(d, "frames/f000.png", grid())
    save(d, "frames/f001.jpg", Image.fromarray(cmyk_of(grid()), "CMYK"), quality=97)
    return f"{d}/frames"


@case("folder-one-huge-png", None)
def _(d):
    os.makedirs(f"{d}/frames")
    save(d, "frames/f000.png", grid())
    # 30000 x 30000 of one colour: a few hundred KB that decode to 3.6 GB
    Image.new("L", (30000, 30000)).save(f"{d}/frames/f001.png")
    return f"{d}/frames"


def run(cmd, timeout=300):
    t = time.time()
    r = subprocess.run(
        [sys.executable, "-m", "holopack", *cmd], capture_output=True, text=True, timeout=timeout
    )
    return r.returncode, r.stderr.strip(), time.time() - t


def export_args(path, out, device):
    return ["export", path, "--device", device, "-o", out, "--seconds", "0.2", "-q"]


def decoded(binp, folder):
    """(H, W, 3) float64: the first picture of a fan file (holopack decode) or of an MP4
    (ffmpeg: holopack decode reads fan files only)."""
    # decode takes a name with no extension for a folder: the case's own dots go
    folder = os.path.join(os.path.dirname(folder), os.path.basename(folder).replace(".", "_"))
    if binp.endswith(".mp4"):
        os.makedirs(folder, exist_ok=True)
        r = subprocess.run(
            [FF, "-loglevel", "error", "-i", binp, "-frames:v", "1", f"{folder}/0.png"],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            return None, r.stderr
    else:
        rc, err, _ = run(["decode", binp, "-o", folder, "--frames", "1", "-q"])
        if rc != 0:
            return None, err
    names = sorted(n for n in os.listdir(folder) if n.endswith(".png"))
    return np.asarray(Image.open(os.path.join(folder, names[0])).convert("RGB"), np.float64), ""


_REF_CACHE: dict = {}


def fan_reference(d, ref, device, out, folder=False):
    """The decoded fan picture of the reference picture as a lossless PNG (two of them in
    a folder for a folder: a clip is keyed and framed as a clip)."""
    key = (ref.tobytes(), ref.shape, device, folder)
    if key not in _REF_CACHE:
        p = f"{d}/reference.png"
        if folder:
            p = f"{d}/reference"
            os.makedirs(p)
            for i in range(2):
                Image.fromarray(ref).save(f"{p}/f{i}.png")
        else:
            Image.fromarray(ref).save(p)
        ext = ".BIN" if device == "3dcircle-42f2" else ".mp4"
        run(export_args(p, f"{d}/00_REF{ext}", device))
        _REF_CACHE[key] = decoded(f"{d}/00_REF{ext}", f"{out}/ref-{device}-{len(_REF_CACHE)}")[0]
        shutil.rmtree(p) if folder else os.remove(p)
    return _REF_CACHE[key]


def sweep(names, out, cli=True):
    import holopack
    from holopack.video.decode import premultiply

    rows = []
    for name in names:
        maker, want = CASES[name]
        with tempfile.TemporaryDirectory() as d:
            path = maker(d)
            notes, verdict = [], []
            t = time.time()
            try:
                media = holopack.load(path).media
                first = next(iter(media.open_rgba() if media.alpha else media.frames()))
                if first.shape[2] == 4:
                    first = premultiply(first)
                load_ok = True
                notes.append(f"load {media.width}x{media.height} n={media.frame_count} alpha={media.alpha}")
            except Exception as exc:  # noqa: BLE001  the sweep records every failure
                load_ok = False
                text = str(exc).splitlines()[0] if str(exc) else ""
                notes.append(f"load fails: {type(exc).__name__}: {text[:150]}")
            notes.append(f"{time.time() - t:.1f}s")
            truth = want if isinstance(want, np.ndarray) else None
            reference = over_black(truth) if truth is not None and truth.shape[2] == 4 else truth
            if want is None and load_ok and not os.path.isdir(path):  # a folder's frames are read later
                verdict.append("LOADS (should fail)")
            if reference is not None:
                if not load_ok:
                    verdict.append("LOAD FAILS")
                else:
                    if media.frame_count != 1 and not os.path.isdir(path):
                        verdict.append(f"A CLIP OF {media.frame_count}")
                    if (first.shape[1], first.shape[0]) != (reference.shape[1], reference.shape[0]):
                        verdict.append(
                            f"SIZE {first.shape[1]}x{first.shape[0]} want {reference.shape[1]}x{reference.shape[0]}"
                        )
                    else:
                        err = cell_error(first, reference)
                        notes.append(f"cell err {err:.1f}")
                        if err > 8:
                            verdict.append(f"COLOUR err {err:.0f}")
            if isinstance(want, str) and want == "edge" and load_ok:
                import cv2

                small = cv2.resize(first, (224, 224), interpolation=cv2.INTER_AREA)
                glow = float(small[..., 1].max())  # the disc is pure red: green is the white fringe
                notes.append(f"green in the 224 px picture: max {glow:.0f}")
                if glow > 4:
                    verdict.append("EDGE GLOWS")
            if cli:
                rc, err, _ = run(["inspect", path])
                notes.append(f"inspect rc={rc}")
                outputs = [err]
                if rc != 0:
                    notes.append(f"inspect says: {err.splitlines()[-1][:160] if err else '-'}")
                for device, ext in (("3dcircle-42f2", ".BIN"), ("mp4-fan", ".mp4")):
                    binp = f"{d}/01_OUT{ext}"
                    rc2, err2, secs = run(export_args(path, binp, device))
                    outputs.append(err2)
                    notes.append(f"{device} rc={rc2} {secs:.1f}s")
                    if rc2 != 0:
                        lines = [ln for ln in err2.splitlines() if ln.strip()]
                        notes.append(f"says: {lines[-1][:170] if lines else '-'}")
                        if len(lines) != 1:
                            verdict.append(f"{len(lines)} LINES")
                        if os.path.exists(binp) or [n for n in os.listdir(d) if n.startswith(".")]:
                            verdict.append("PARTIAL OUTPUT")
                        if rc2 != 2:
                            verdict.append(f"EXIT {rc2}")
                        if reference is not None:
                            verdict.append(f"{device} FAILS")
                    elif want is None:
                        verdict.append(f"{device} EXPORTS (should fail)")
                    elif reference is not None:
                        got, why = decoded(binp, f"{out}/{name}-{device}")
                        ref = fan_reference(d, truth, device, out, os.path.isdir(path))
                        if got is None:
                            verdict.append(f"DECODE FAILS {why[:80]}")
                        elif ref is not None:
                            diff = float(np.abs(got - ref).mean())
                            notes.append(f"fan |diff| {diff:.2f}")
                            if diff > 4:
                                verdict.append(f"{device} FAN PICTURE OFF {diff:.0f}")
                if any("Traceback" in e for e in outputs):
                    verdict.append("TRACEBACK")
                warned = [ln for e in outputs for ln in e.splitlines() if "warning" in ln]
                if warned:
                    notes.append(f"warns: {warned[0][:170]}")
            rows.append((name, ", ".join(dict.fromkeys(verdict)) or "ok", "; ".join(notes)))
            print(f"{name:44s} {rows[-1][1]:30s} {rows[-1][2]}", flush=True)
    return rows


def main():
    run_sweep(__doc__.splitlines()[0], CASES, sweep, "picsweep-")


if __name__ == "__main__":
    main()
