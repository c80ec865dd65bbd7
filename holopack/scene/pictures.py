"""Pictures decoded by Pillow as plain arrays: the one place a PIL image becomes RGBA
codes, for textures (glTF, OBJ, PLY) and for pictures and frames shown as they are.

``open_picture`` opens a still (or a frame of a numbered folder) as every viewer shows
it: turned upright by its EXIF Orientation (a phone stores a portrait photo on its side
and says so in the tag), its colours taken from an embedded ICC profile to sRGB (a
Display P3 or Adobe RGB photo read as sRGB came out up to 40 codes off, dull and
shifted), and a JPEG too big for the memory budget decoded at 1/2, 1/4 or 1/8 of its
size by the JPEG decoder itself. Textures do not pass through it: glTF says a
texture's colour space information is ignored.
"""

from __future__ import annotations

import io
import math
import os
import warnings

import numpy as np

from .. import notices
from ..containment import check_regular, shorten
from ..errors import InputError
from ..limits import (
    JPEG_MOST_SCANS,
    JPEG_MOST_SCANS_ALWAYS,
    JPEG_SCAN_PIXELS,
    check_picture_size,
    memory_budget_bytes,
)

# the formats whose extra frames are an animation: the others' extra frames are other
# pictures (a multi-page TIFF's pages, an MPO's depth map or second eye, a PSD's layers,
# an icon's sizes) and the first one is the picture
ANIMATED_FORMATS = frozenset({"PNG", "WEBP", "GIF", "AVIF"})
PICTURE_FORMATS = "PNG, JPEG, WebP, GIF, BMP, TIFF, TGA, PSD, AVIF"
# bytes per pixel counted for a still: RGBA as decoded, then as numpy
_STILL_BYTES = 8
_EXIF_ORIENTATION = 0x0112
_SRGB = None


def avif_readable() -> bool:
    """Whether this Pillow decodes AVIF (built with libavif: its wheels since 11.2)."""
    from PIL import features

    return bool(features.check("avif"))


def rgba_array(image) -> np.ndarray:
    """A PIL image -> (H, W, 4) uint8 straight RGBA. Pillow opens a 16-bit grey PNG
    as mode I;16 (or I), and its own convert("RGBA") clips those 0..65535 values at
    255 instead of scaling them: a 16-bit grey frame folder or texture came out white.
    They are scaled here (v / 257, rounded, so 8-bit values stored as v * 257 come
    back)."""
    if image.mode.startswith("I"):
        wide = np.asarray(image).astype(np.int64)
        grey = ((np.clip(wide, 0, 65535) + 128) // 257).astype(np.uint8)
        return np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    return np.asarray(image.convert("RGBA"), np.uint8)


def open_picture(path: str, what: str = "the picture"):
    """The still at ``path`` as a loaded PIL image, as viewers show it (upright, sRGB).
    Its size is checked against the memory budget before its pixels are decoded (a
    500 KB PNG can hold 13000 x 13000 pixels); every fault is one InputError naming
    the file. An animation is handed back as opened (is_animation); a still's extra
    frames, if any, are left unread."""
    from PIL import Image, UnidentifiedImageError

    check_regular(path, "picture")
    try:
        with warnings.catch_warnings():
            # our own budget decides; Pillow's bomb warning is not for the user's eyes, nor
            # its warnings about a damaged EXIF block, read on opening for the JPEG's dpi
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.simplefilter("ignore", UserWarning)
            try:
                image = Image.open(path)
            except Image.DecompressionBombError:
                image = _big_jpeg(path)
                if image is None:
                    raise
        _check_jpeg_length(image, path)
        if image.format in ("JPEG", "MPO"):
            check_jpeg_scans(path, image.width, image.height, what, path)
        _reduce_to_budget(image, path)
        check_picture_size(image.width, image.height, _STILL_BYTES, what, path)
        pages = _tiff_pages(image) if image.format == "TIFF" else 1
        image.load()
        if is_animation(image):
            return image  # its frames are read one by one (decode.pil_rgba_frames)
        if pages > 1:
            shown = f"more than {TIFF_PAGES_COUNTED:,}" if pages > TIFF_PAGES_COUNTED else f"{pages}"
            notices.note(f"the TIFF holds {shown} pages; the first is shown", path)
        return as_shown(image, path)
    except Image.DecompressionBombError:
        raise InputError("the picture has too many pixels to decode safely", path) from None
    except UnidentifiedImageError:
        # Pillow's own text repeats the whole path ("cannot identify image file '...'")
        raise InputError(f"not a readable picture: its bytes are none of {PICTURE_FORMATS}", path) from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"not a readable picture ({shorten(text, 120)})", path) from None


# Pillow's n_frames walks every page of a TIFF, checking each against the pages before
# it for a loop: 20,000 pages took 2.8 s and a 6 MB file of 300,000 ran for minutes. Only
# this many are counted (the count is for a notice; the first page is shown).
TIFF_PAGES_COUNTED = 1000


def _tiff_pages(image) -> int:
    """The pages of an opened, not yet loaded TIFF, counted up to TIFF_PAGES_COUNTED + 1;
    the image is left at its first page."""
    pages = 1
    try:
        while pages <= TIFF_PAGES_COUNTED:
            image.seek(pages)
            pages += 1
    except EOFError:
        pass
    finally:
        image.seek(0)
    return pages


# A JPEG's coded data cannot be shorter than this many pixels a byte: every 8 x 8 block
# costs at least a bit of DC code and one of end-of-block in Huffman coding (a flat
# 4000 x 3000 grey picture, progressive and optimised, is 255 pixels a byte; RGB 170).
# Shorter, its header claims more pixels than its data holds (a damaged file, or one
# made to look huge), and libjpeg would fill the rest grey without an error.
JPEG_MOST_PIXELS_A_BYTE = 4096


def _check_jpeg_length(image, path: str) -> None:
    """Refuse a JPEG whose header claims far more pixels than its bytes can code."""
    if image.format not in ("JPEG", "MPO"):
        return
    pixels = image.width * image.height
    size = os.path.getsize(path)
    if pixels > JPEG_MOST_PIXELS_A_BYTE * size:
        raise InputError(
            f"damaged JPEG: its header says {image.width} x {image.height} pixels, "
            f"which {size:,} bytes cannot hold",
            path,
        )


_SOS = b"\xff\xda"
_COUNT_BLOCK = 16 << 20


def jpeg_scans(data: bytes) -> int:
    """The number of scans (start-of-scan segments) of a JPEG's own stream, its marker
    segments walked from the start: an SOS hidden inside another segment (an EXIF
    thumbnail, an ICC profile) is not counted. Stops at the end of the picture or of the
    bytes."""
    pos, scans, end = 2, 0, len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return scans  # damaged: the decoder reports it
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return scans
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            pos += 2
            continue
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker != 0xDA:
            continue
        scans += 1
        # entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a
        # restart marker
        while True:
            pos = data.find(b"\xff", pos)
            if pos < 0 or pos + 1 >= end:
                return scans
            following = data[pos + 1]
            if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                pos += 1 if following == 0xFF else 2
                continue
            break
    return scans


def most_jpeg_scans(width: int, height: int) -> int:
    """The most scans holopack decodes in a JPEG of ``width`` x ``height`` pixels."""
    by_work = JPEG_SCAN_PIXELS // max(1, int(width) * int(height))
    return int(min(JPEG_MOST_SCANS, max(JPEG_MOST_SCANS_ALWAYS, by_work)))


def check_jpeg_scans(source, width: int, height: int, what: str, path: str | os.PathLike | None) -> None:
    """Refuse a JPEG (``source``: its bytes, or the path of its file) with more scans
    than ``most_jpeg_scans`` allows for its size, before it is decoded. The start-of-scan
    markers are counted first (a fast upper bound: inside entropy-coded data 0xFF is
    always stuffed); only when they pass the bound are the segments walked exactly."""
    allowed = most_jpeg_scans(width, height)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if data.count(_SOS) <= allowed:
            return
    else:
        markers = 0
        with open(source, "rb") as f:
            tail = b""
            while block := f.read(_COUNT_BLOCK):
                markers += (tail + block).count(_SOS) - tail.count(_SOS)
                tail = block[-1:]
        if markers <= allowed:
            return
        with open(source, "rb") as f:
            data = f.read()
    scans = jpeg_scans(data)
    if scans > allowed:
        raise InputError(
            f"{what} is a JPEG of {scans:,} scans; holopack decodes at most {allowed:,} "
            f"for a picture of {width} x {height} (each scan is decoded over the whole picture)",
            path,
        )


# Textures may be kept at 1/2 ... 1/16 of their sides when a model's textures together
# pass the memory budget: a studio twin's 4096 px maps (128 MB each, decoded and copied)
# passed 384 MB at the third, and an 8192 px map alone; the fan draws the figure some
# 1000 px tall, where such a map is read from its mip levels 2-3 anyway.
MOST_TEXTURE_REDUCTION = 16
# Bytes per pixel that decoding a picture at full size takes at its peak, which a
# reduction is made from: each picture's must fit the budget on its own, so a 13000 x
# 13000 PNG bomb is still refused undecoded. Pillow holds a PNG or JPEG as 4 bytes a
# pixel (325 MB of peak resident memory for 81 MP); its WebP decoder makes copies, 15.5
# (1,257 MB for a 9000 x 9000 WebP), and AVIF's is counted alike.
_DECODE_BYTES = 4
_DECODE_BYTES_BY_KIND = {"WEBP": 16, "AVIF": 16}


def reduced_size(width: int, height: int, factor: int) -> tuple[int, int]:
    """(width, height) of a picture kept at 1/``factor`` of its sides."""
    return max(1, -(-int(width) // factor)), max(1, -(-int(height) // factor))


def texture_reduction(sizes: list[tuple[int, int, int]], budget) -> int:
    """One power of two (1 to MOST_TEXTURE_REDUCTION) that all the textures of
    ``sizes`` ((width, height, bytes a pixel of the full decode) each, as
    encoded_picture_size gives them) are kept reduced by, so that together they fit
    what ``budget`` has left: 1 where they fit whole, or where no reduction makes them
    fit or a picture's full decode alone passes the budget (the count then refuses,
    naming the picture)."""
    left = budget.total - budget.used

    def kept(factor: int) -> int:
        return sum(math.prod(reduced_size(w, h, factor)) * _STILL_BYTES for w, h, _ in sizes)

    if kept(1) <= left or any(w * h * decode > budget.total for w, h, decode in sizes):
        return 1
    factor = 2
    while factor < MOST_TEXTURE_REDUCTION and kept(factor) > left:
        factor *= 2
    return factor if kept(factor) <= left else 1


def reduced_rgba(image, factor: int) -> np.ndarray:
    """A loaded PIL image -> (H, W, 4) uint8 straight RGBA (rgba_array) at 1/``factor``
    of its sides (reduced_size), each pixel the mean of the block it covers (the last
    row and column of blocks partial). Reduced by Pillow before it becomes an array: a
    9000 x 9000 WebP texture reduced as an array (a full-size RGBA copy, then OpenCV's
    area resize) peaked at 1.96 GB, over the 1 GB a load may take."""
    if factor > 1:
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")  # palette, CMYK, 16-bit grey: reduce their RGBA
        image = image.reduce(factor)
    return rgba_array(image)


def reduction_message(count: int, factor: int, budget) -> str:
    """The warning for ``count`` textures kept at 1/``factor`` of their sides."""
    what = "the texture is" if count == 1 else f"the {count} textures are"
    return (
        f"{what} drawn at 1/{factor} of their sides to fit the {budget.total / (1 << 20):,.0f} MB "
        "memory budget for one file (HOLOPACK_MEMORY_BUDGET_MB raises it)"
    )


def encoded_picture_size(data: bytes, budget, what: str) -> tuple[int, int, int] | None:
    """(width, height, bytes a pixel its full decode takes at the peak) of a picture's
    bytes (a texture) from its header, its JPEG scans checked, before it is decoded;
    None when Pillow does not recognise the bytes as a picture (the caller decides).
    Nothing is counted against ``budget``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as picture:
                width, height, kind = picture.width, picture.height, picture.format
    except Image.DecompressionBombError:  # more than twice Pillow's own bound (179 MP)
        raise InputError(f"{what} has too many pixels to decode safely", budget.path) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        return None
    if kind in ("JPEG", "MPO"):
        check_jpeg_scans(data, width, height, what, budget.path)
    return width, height, _DECODE_BYTES_BY_KIND.get(kind or "", _DECODE_BYTES)


def check_encoded_picture(data: bytes, budget, what: str) -> bool:
    """For a picture's bytes (a texture), before they are decoded: its pixels counted
    against ``budget`` (a holopack.limits.MemoryBudget, which refuses) and a JPEG's scans
    checked. False when Pillow does not recognise the bytes as a picture (nothing is
    counted then; the caller decides)."""
    size = encoded_picture_size(data, budget, what)
    if size is None:
        return False
    budget.picture(size[0], size[1], _STILL_BYTES, what)
    return True


def _big_jpeg(path: str):
    """A JPEG of more pixels than Pillow's bomb check lets Image.open return (2 x
    Image.MAX_IMAGE_PIXELS, 179 MP: a 200 MP phone photo is 16320 x 12240), opened
    without that check; None for any other file. The memory budget still decides, on
    the size _reduce_to_budget decodes it at (1/4 of that photo is 4080 x 3060)."""
    from PIL import JpegImagePlugin

    with open(path, "rb") as f:
        if f.read(3) != b"\xff\xd8\xff":
            return None
        f.seek(0)
        data = f.read()  # the file's bytes, not its pixels: a few tens of MB
    return JpegImagePlugin.jpeg_factory(io.BytesIO(data), path)


def is_animation(image) -> bool:
    """Whether an opened PIL image is a clip (APNG, animated WebP/GIF/AVIF) rather than a
    still whose file holds other pictures besides (ANIMATED_FORMATS)."""
    return image.format in ANIMATED_FORMATS and getattr(image, "n_frames", 1) > 1


def _reduce_to_budget(image, path: str) -> None:
    """A JPEG whose pixels pass the memory budget is decoded at the largest of 1/2, 1/4
    and 1/8 of its size that fits (libjpeg scales in its inverse DCT, never holding the
    full picture): a 12000 x 9000 photo needs 824 MB at full size and was refused; at
    1/2 it is 6000 x 4500 (206 MB), still more than any fan shows. Other formats are left
    to the budget check."""
    if image.format not in ("JPEG", "MPO"):
        return
    budget = memory_budget_bytes()
    width, height = image.size
    if width * height * _STILL_BYTES <= budget:
        return
    for scale in (2, 4, 8):
        small = (math.ceil(width / scale), math.ceil(height / scale))
        if small[0] * small[1] * _STILL_BYTES <= budget:
            image.draft(image.mode, small)
            notices.note(
                f"the picture is {width} x {height}; read at {image.width} x {image.height} "
                f"(1/{scale}) to fit the memory budget",
                path,
            )
            return


def as_shown(image, path: str):
    """A loaded PIL image -> the same picture upright and in sRGB (a new image where
    either changes it; the image itself otherwise)."""
    from PIL import Image

    with warnings.catch_warnings():
        # a damaged EXIF block: Pillow warns ("Corrupt EXIF data") and reads what it can;
        # viewers show such a photo as stored, and so does holopack, without a word
        warnings.simplefilter("ignore", UserWarning)
        orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
    # 2-8: the stored pixels are mirrored and/or turned; PIL's Transpose names the
    # operation that shows them upright (EXIF 2.3, table of Orientation values)
    turns = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }
    if orientation in turns:
        info = image.info
        image = image.transpose(turns[orientation])
        image.info = info  # transpose keeps no info: the ICC profile is read from it below
    return _in_srgb(image, path)


def _in_srgb(image, path: str):
    """Colours converted from the image's embedded ICC profile to sRGB (what the fan's
    LEDs are driven as). A profile that cannot be read or does not match the picture's
    colour model is ignored with a warning."""
    profile = image.info.get("icc_profile")
    grey = image.mode in ("L", "LA") or image.mode.startswith("I")
    if not profile or not (grey or image.mode in ("RGB", "RGBA", "CMYK", "P", "PA")):
        return image
    from PIL import ImageCms

    global _SRGB
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        space = source.profile.xcolor_space.strip()
        if _SRGB is None:
            _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        if space == "GRAY":
            return _grey_in_srgb(image, source, _SRGB, path)
        if grey:
            return image  # a grey picture with a colour profile: its greys as sRGB's
        if image.mode in ("P", "PA"):
            image = image.convert("RGBA" if image.has_transparency_data else "RGB")
        if space != ("CMYK" if image.mode == "CMYK" else "RGB"):
            notices.warn(f"its colour profile is for {space}, not {image.mode}; colours read as sRGB", path)
            return image
        out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=out_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        notices.warn(
            f"its colour profile cannot be used ({shorten(str(exc), 80)}); colours read as sRGB", path
        )
        return image


def _grey_in_srgb(image, source, srgb, path: str):
    """A picture of greys with a grey ICC profile (``source``), converted through it to
    sRGB (the profile ``srgb``): its grey channel (of L or LA; of I;16 scaled to 8 bits as rgba_array scales it;
    of RGB or RGBA whose channels are equal, as Pillow opens a 16-bit grey PNG with
    alpha) as the profile's tone curve says, its alpha kept. Such a profile on a picture
    in colour cannot apply, and says so. Before, an 8-bit grey PNG's profile was ignored
    (a linear-light grey profile's 128 showed as 128, not sRGB's 188), and a 16-bit one
    with alpha warned on every run that its profile was not for RGBA."""
    from PIL import Image, ImageCms

    alpha = image.getchannel("A") if image.mode in ("LA", "RGBA") else None
    if image.mode.startswith("I"):
        channel = Image.fromarray(rgba_array(image)[:, :, 0])
    elif image.mode in ("L", "LA"):
        channel = image.getchannel("L")
    else:
        rgb = np.asarray(image.convert("RGB"))
        if not ((rgb[:, :, 0] == rgb[:, :, 1]).all() and (rgb[:, :, 1] == rgb[:, :, 2]).all()):
            notices.warn(f"its colour profile is for GRAY, not {image.mode}; colours read as sRGB", path)
            return image
        channel = image.getchannel("R")
    # Each of the 256 greys once through the profile, unoptimised, then a table: Little
    # CMS's optimised 8-bit transform of a linear-light grey profile was up to 10 codes off
    # in the darkest greys (code 2: 12 against 21.7), unoptimised it is within 0.5, but it
    # evaluates the whole pipeline per pixel
    transform = ImageCms.buildTransform(source, srgb, "L", "RGB", flags=ImageCms.Flags.NOOPTIMIZE)
    codes = Image.fromarray(np.arange(256, dtype=np.uint8)[None, :])
    table = np.asarray(ImageCms.applyTransform(codes, transform))[0]
    shown = Image.fromarray(table[np.asarray(channel)])
    if alpha is not None:
        shown.putalpha(alpha)
    shown.info = {k: v for k, v in image.info.items() if k != "icc_profile"}
    return shown
