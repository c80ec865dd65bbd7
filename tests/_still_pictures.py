"""Still pictures as cameras, phones and editors write them, made here without holopack.

- ``orient(picture, n)``: the pixels a camera stores so that EXIF Orientation ``n`` shows
  ``picture`` upright (the inverse of what every viewer applies);
- ``icc_profile(name)``: a matrix/TRC ICC profile (Adobe RGB (1998) with its 563/256
  gamma, or Display P3 with the sRGB curve), written byte by byte from the published
  primaries;
- ``grey_icc_profile(gamma)``: a grey ICC profile with a power tone curve;
- ``grey_png(path, grey, alpha, icc)``: a grey PNG of 8 or 16 bits (from ``grey``'s dtype),
  with alpha or not, and an embedded ICC profile (Pillow writes no 16-bit grey with alpha);
- ``to_srgb(codes, name)``: the same colours converted to sRGB codes in plain numpy
  (primaries -> XYZ -> sRGB), sharing nothing with Pillow's colour engine;
- ``interlaced_png(path, rgb)``: an Adam7 PNG (Pillow writes none);
- ``rle8_bmp(path, indices, palette)``: an RLE8-compressed BMP (Pillow writes none);
- ``psd(path, rgb)``: a flat 8-bit RGB Photoshop file without layers;
- ``heic(path, rgb)``: a HEIC as phones write it (HEVC in HEIF), with the system's libheif
  and its x265 encoder through ctypes; False where there is no libheif.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import struct
import zlib

import numpy as np

# CIE xy chromaticities of the red, green and blue primaries and the white point
PRIMARIES = {
    "adobe-rgb": ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06), (0.3127, 0.3290)),
    "display-p3": ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), (0.3127, 0.3290)),
    "srgb": ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06), (0.3127, 0.3290)),
}
ADOBE_GAMMA = 563 / 256  # Adobe RGB (1998) specification, section 4.3.4.2
_D50 = np.array([0.9642, 1.0, 0.8249])
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])


def orient(picture: np.ndarray, n: int) -> np.ndarray:
    """(H, W, C) -> what a camera stores under EXIF Orientation ``n`` (1-8) so that a
    viewer, applying the tag, shows ``picture``. The tag tells how the stored pixels
    are to be turned: 6 means "turn 90 degrees clockwise to view", so the camera
    stored the upright picture turned 90 degrees anticlockwise."""
    stored = {
        1: lambda p: p,
        2: lambda p: p[:, ::-1],
        3: lambda p: p[::-1, ::-1],
        4: lambda p: p[::-1],
        5: lambda p: p.transpose(1, 0, 2),  # mirrored about the main diagonal
        6: lambda p: np.rot90(p, 1),  # anticlockwise
        7: lambda p: np.rot90(p, 2).transpose(1, 0, 2),  # about the anti-diagonal
        8: lambda p: np.rot90(p, -1),
    }
    return np.ascontiguousarray(stored[n](picture))


def rgb_to_xyz(name: str) -> np.ndarray:
    """(3, 3) linear RGB -> CIE XYZ under the space's own white."""
    (xr, yr), (xg, yg), (xb, yb), (xw, yw) = PRIMARIES[name]
    columns = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in ((xr, yr), (xg, yg), (xb, yb))]).T
    white = np.array([xw / yw, 1.0, (1 - xw - yw) / yw])
    return columns * np.linalg.solve(columns, white)


def _decode(codes: np.ndarray, name: str) -> np.ndarray:
    c = np.asarray(codes, np.float64) / 255.0
    if name == "adobe-rgb":
        return c**ADOBE_GAMMA
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def to_srgb(codes: np.ndarray, name: str) -> np.ndarray:
    """(..., 3) codes in the named space -> (..., 3) float sRGB codes (clipped to 0-255),
    relative colorimetric, computed with numpy from the primaries alone."""
    linear = _decode(codes, name) @ (np.linalg.inv(rgb_to_xyz("srgb")) @ rgb_to_xyz(name)).T
    x = np.clip(linear, 0.0, 1.0)
    return 255.0 * np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def _s15(v: float) -> bytes:
    return struct.pack(">i", int(round(v * 65536)))


def _xyz_tag(xyz) -> bytes:
    return b"XYZ " + b"\0" * 4 + b"".join(_s15(v) for v in xyz)


def icc_profile(name: str) -> bytes:
    """An ICC v2 display profile (matrix + three tone curves) for ``name``: the colorants
    are the space's primaries adapted to D50 (Bradford), as ICC requires."""
    to_xyz = rgb_to_xyz(name)
    white = to_xyz @ np.ones(3)
    cone = _BRADFORD @ _D50 / (_BRADFORD @ white)
    adapt = np.linalg.inv(_BRADFORD) @ np.diag(cone) @ _BRADFORD
    colorants = adapt @ to_xyz
    if name == "adobe-rgb":
        curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, int(round(ADOBE_GAMMA * 256))) + b"\0\0"
    else:  # the sRGB curve as a parametric function (type 3)
        params = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
        curve = b"para" + b"\0" * 4 + struct.pack(">HH", 3, 0) + b"".join(_s15(p) for p in params)
    text = name.encode()
    desc = (
        b"desc" + b"\0" * 4 + struct.pack(">I", len(text) + 1) + text + b"\0" + b"\0" * (4 + 4 + 2 + 1 + 67)
    )
    tags = [
        (b"desc", desc),
        (b"wtpt", _xyz_tag(_D50)),
        (b"rXYZ", _xyz_tag(colorants[:, 0])),
        (b"gXYZ", _xyz_tag(colorants[:, 1])),
        (b"bXYZ", _xyz_tag(colorants[:, 2])),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text" + b"\0" * 4 + b"public domain\0"),
    ]
    return _profile(b"RGB ", tags)


def grey_icc_profile(gamma: float) -> bytes:
    """An ICC v2 grey display profile whose tone curve is the power ``gamma`` (1.0: codes
    proportional to light), D50 white."""
    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, int(round(gamma * 256))) + b"\0\0"
    text = f"grey {gamma:g}".encode()
    desc = (
        b"desc" + b"\0" * 4 + struct.pack(">I", len(text) + 1) + text + b"\0" + b"\0" * (4 + 4 + 2 + 1 + 67)
    )
    tags = [
        (b"desc", desc),
        (b"wtpt", _xyz_tag(_D50)),
        (b"kTRC", curve),
        (b"cprt", b"text" + b"\0" * 4 + b"public domain\0"),
    ]
    return _profile(b"GRAY", tags)


def _profile(space: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """The profile file of a display profile of colour space ``space`` (4 bytes) with
    ``tags`` ((signature, body) each): header, tag table, tags on 4-byte boundaries."""
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        while (offset + len(data)) % 4:
            data += b"\0"
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    body = struct.pack(">I", len(tags)) + table + data
    size = 128 + len(body)
    header = struct.pack(">I4sI", size, b"none", 0x02100000) + b"mntr" + space + b"XYZ "
    header += struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + b"\0" * 4 + struct.pack(">I", 0)
    header += b"\0" * 8 + b"\0" * 8 + struct.pack(">I", 0) + b"".join(_s15(v) for v in _D50) + b"\0" * 4
    header += b"\0" * (128 - len(header))
    return header + body


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def grey_png(path: str, grey: np.ndarray, alpha: np.ndarray | None, icc: bytes) -> None:
    """(H, W) uint8 or uint16 greys (and alpha of the same type, or None) -> a PNG of
    colour type 0 or 4 at their bit depth, with an iCCP chunk holding ``icc``."""
    h, w = grey.shape
    depth = 16 if grey.dtype == np.uint16 else 8
    planes = np.dstack([grey] if alpha is None else [grey, alpha]).astype(">u2" if depth == 16 else np.uint8)
    raw = b"".join(b"\0" + planes[y].tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, depth, 0 if alpha is None else 4, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(
            b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"iCCP", b"grey\0\0" + zlib.compress(icc))
        )
        f.write(_chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))


ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def interlaced_png(path: str, rgb: np.ndarray) -> None:
    """(H, W, 3) uint8 -> an 8-bit RGB PNG with Adam7 interlacing (filter 0 rows)."""
    h, w = rgb.shape[:2]
    raw = b""
    for x0, y0, dx, dy in ADAM7:
        sub = rgb[y0::dy, x0::dx]
        if sub.size:
            raw += b"".join(b"\0" + row.tobytes() for row in np.ascontiguousarray(sub))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1)))
        f.write(_chunk(b"IDAT", zlib.compress(raw)))
        f.write(_chunk(b"IEND", b""))


def rle8_bmp(path: str, indices: np.ndarray, palette: np.ndarray) -> None:
    """(H, W) uint8 palette indices + (N, 3) uint8 RGB palette -> a BI_RLE8 BMP
    (bottom-up rows, runs of up to 255 pixels, an end-of-line after each row)."""
    h, w = indices.shape
    data = bytearray()
    for row in indices[::-1]:
        x = 0
        while x < w:
            run = 1
            while x + run < w and run < 255 and row[x + run] == row[x]:
                run += 1
            data += bytes((run, int(row[x])))
            x += run
        data += b"\0\0"
    data[-2:] = b"\0\1"  # end of bitmap
    colours = len(palette)
    table = b"".join(bytes((int(b), int(g), int(r), 0)) for r, g, b in palette)
    offset = 14 + 40 + len(table)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 8, 1, len(data), 2835, 2835, colours, 0)
    with open(path, "wb") as f:
        f.write(b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset) + info + table + bytes(data))


def psd(path: str, rgb: np.ndarray) -> None:
    """(H, W, 3) uint8 -> a flat Photoshop file: 3 channels, 8 bits, raw (planar) data."""
    h, w = rgb.shape[:2]
    with open(path, "wb") as f:
        f.write(b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, h, w, 8, 3))
        f.write(struct.pack(">I", 0) * 3)  # colour mode data, image resources, layers
        f.write(struct.pack(">H", 0) + np.ascontiguousarray(rgb.transpose(2, 0, 1)).tobytes())


class _HeifError(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("subcode", ctypes.c_int), ("message", ctypes.c_char_p)]


def heic(path: str, rgb: np.ndarray, quality: int = 95, orientation: int = 1) -> bool:
    """(H, W, 3) uint8 -> a HEVC-coded HEIF still at ``path`` (libheif's C API: context,
    HEVC encoder, an interleaved RGB image, encode, write). ``orientation`` (EXIF 1-8)
    is written as the irot/imir boxes phones use: ``rgb`` is then the stored pixels.
    False without libheif."""
    name = ctypes.util.find_library("heif")
    if name is None:
        return False
    lib = ctypes.CDLL(name)
    for fn in ("heif_context_get_encoder_for_format", "heif_image_create", "heif_image_add_plane"):
        getattr(lib, fn).restype = _HeifError
    for fn in ("heif_encoder_set_lossy_quality", "heif_context_encode_image", "heif_context_write_to_file"):
        getattr(lib, fn).restype = _HeifError
    lib.heif_context_alloc.restype = ctypes.c_void_p
    lib.heif_image_get_plane.restype = ctypes.POINTER(ctypes.c_uint8)
    hevc, colorspace_rgb, interleaved_rgb, interleaved = 1, 1, 10, 10  # libheif's enums

    def check(error: _HeifError) -> None:
        if error.code:
            raise OSError(f"libheif: {error.message.decode()}")

    h, w = rgb.shape[:2]
    context = ctypes.c_void_p(lib.heif_context_alloc())
    encoder, image, stride = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_int()
    try:
        check(lib.heif_context_get_encoder_for_format(context, hevc, ctypes.byref(encoder)))
    except OSError:
        return False  # a libheif built without an HEVC encoder
    check(lib.heif_encoder_set_lossy_quality(encoder, quality))
    check(lib.heif_image_create(w, h, colorspace_rgb, interleaved_rgb, ctypes.byref(image)))
    check(lib.heif_image_add_plane(image, interleaved, w, h, 8))
    plane = lib.heif_image_get_plane(image, interleaved, ctypes.byref(stride))
    for y in range(h):
        ctypes.memmove(ctypes.addressof(plane.contents) + y * stride.value, rgb[y].tobytes(), w * 3)
    options = None
    if orientation != 1:
        lib.heif_encoding_options_alloc.restype = ctypes.c_void_p
        options = ctypes.c_void_p(lib.heif_encoding_options_alloc())
        if ctypes.c_uint8.from_address(options.value).value < 5:
            return False  # image_orientation came with version 5 of the options (libheif 1.14)
        # struct heif_encoding_options, version 5: four uint8 flags, a pointer, a uint8,
        # then the enum image_orientation (EXIF's values) at byte 20
        ctypes.c_int.from_address(options.value + 20).value = orientation
    check(lib.heif_context_encode_image(context, image, encoder, options, None))
    check(lib.heif_context_write_to_file(context, str(path).encode()))
    lib.heif_image_release(image)
    lib.heif_encoder_release(encoder)
    lib.heif_context_free(context)
    return True
