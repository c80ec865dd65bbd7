"""KHR_texture_basisu: a KTX2 texture (Basis Universal ETC1S or UASTC) back into pixels.

The transcoder is Binomial's basis_universal, reached through the ``opengl_basisu``
package (the optional extra ``holopack[compressed]``; a wheel with the transcoder
compiled in). The KTX2 header fields read here to size the picture before decoding are
from the KTX 2.0 specification (identifier, vkFormat, typeSize, pixelWidth,
pixelHeight, ... as little-endian uint32 after the 12-byte identifier).
"""

from __future__ import annotations

import importlib.util
import struct

import numpy as np

EXTENSION = "KHR_texture_basisu"
IDENTIFIER = b"\xabKTX 20\xbb\r\n\x1a\n"
_HEADER = struct.Struct("<12x4I")  # vkFormat, typeSize, pixelWidth, pixelHeight


def available() -> bool:
    """Whether the Basis Universal transcoder is installed (without importing it)."""
    return importlib.util.find_spec("opengl_basisu") is not None


def is_ktx2(data: bytes) -> bool:
    """Whether ``data`` starts with the KTX 2.0 file identifier."""
    return bytes(data[: len(IDENTIFIER)]) == IDENTIFIER


def size(data: bytes) -> tuple[int, int]:
    """(width, height) of level 0 as the header states it; ValueError if it is cut short."""
    if len(data) < _HEADER.size:
        raise ValueError(f"a KTX2 header needs {_HEADER.size} bytes, the file has {len(data)}")
    _, _, width, height = _HEADER.unpack_from(data)
    return int(width), max(int(height), 1)


def decode(data: bytes) -> np.ndarray:
    """The first image (level 0, face 0, layer 0): (H, W, 4) uint8 RGBA, top row first,
    colour values as stored (sRGB for a colour texture, as a PNG's would be).

    Raises ValueError for a damaged file or one whose payload is not Basis Universal."""
    # imported here: an optional compiled extension, needed only for KTX2 textures
    import opengl_basisu

    try:
        texture = opengl_basisu.open(bytes(data))
        if getattr(texture, "y_flipped", False):
            raise ValueError("its rows are stored bottom first, which glTF does not allow")
        pixels = np.asarray(texture.transcode("rgba8", level=0).data, np.uint8)
    except IndexError as exc:  # no image at level 0
        raise ValueError(str(exc)) from None
    if pixels.ndim != 3 or pixels.shape[2] != 4 or 0 in pixels.shape:
        raise ValueError(f"the transcoder gave an unexpected picture of shape {pixels.shape}")
    return np.ascontiguousarray(pixels)
