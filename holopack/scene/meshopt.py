"""EXT_meshopt_compression: a compressed buffer view back into its plain bytes.

The codec (vertex and index streams, the octahedral, quaternion and exponential
filters) is meshoptimizer's own C++ code, reached through the ``meshoptimizer`` Python
package (the optional extra ``holopack[compressed]``; it builds the library from source at
install time). The glTF extension only frames the codec's streams; that framing is here.
"""

from __future__ import annotations

import importlib.util

import numpy as np

EXTENSION = "EXT_meshopt_compression"
MODES = ("ATTRIBUTES", "TRIANGLES", "INDICES")
FILTERS = ("NONE", "OCTAHEDRAL", "QUATERNION", "EXPONENTIAL")


def available() -> bool:
    """Whether the meshoptimizer decoder is installed (without importing it)."""
    return importlib.util.find_spec("meshoptimizer") is not None


def decode(payload: bytes, count: int, stride: int, mode: str, filter_name: str = "NONE") -> bytes:
    """Decode one compressed view: ``count`` elements of ``stride`` bytes.

    Returns exactly count * stride bytes, laid out as the uncompressed buffer view
    would be. Raises ValueError for a parameter the extension forbids or a damaged
    stream.
    """
    # imported here: an optional extension module, needed only for meshopt files
    import meshoptimizer

    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    if filter_name not in FILTERS:
        raise ValueError(f"unknown filter {filter_name!r}")
    if count < 1:
        raise ValueError("count must be at least 1")
    source = np.frombuffer(bytes(payload), np.uint8)
    try:
        if mode == "ATTRIBUTES":
            if stride % 4 or not 4 <= stride <= 256:
                raise ValueError(f"byteStride {stride} is not a multiple of 4 in 4..256")
            # one opaque element of `stride` bytes per vertex: the codec fills count*stride bytes
            decoded = meshoptimizer.decode_vertex_buffer(
                count, stride, source, dtype=np.dtype((np.void, stride))
            )
            raw = np.frombuffer(decoded.tobytes(), np.uint8).copy()
            raw = _apply_filter(meshoptimizer, raw, count, stride, filter_name)
            return raw.tobytes()
        if stride not in (2, 4):
            raise ValueError(f"index byteStride {stride} is not 2 or 4")
        if filter_name != "NONE":
            raise ValueError(f"filter {filter_name} is only allowed for ATTRIBUTES")
        if mode == "TRIANGLES":
            if count % 3:
                raise ValueError(f"TRIANGLES count {count} is not a multiple of 3")
            indices = meshoptimizer.decode_index_buffer(count, stride, source)
        else:
            indices = meshoptimizer.decode_index_sequence(count, stride, source)
    except RuntimeError as exc:
        raise ValueError(f"the compressed stream is damaged ({exc})") from None
    # the wrapper hands back a uint32 array whose first count*stride bytes the codec wrote
    return np.asarray(indices).tobytes()[: count * stride]


def _apply_filter(meshoptimizer, raw: np.ndarray, count: int, stride: int, name: str) -> np.ndarray:
    """Undo a filter in place of the decoded bytes raw : (count * stride,) uint8."""
    if name == "NONE":
        return raw
    if name == "OCTAHEDRAL" and stride not in (4, 8):
        raise ValueError(f"OCTAHEDRAL needs byteStride 4 or 8, not {stride}")
    if name == "QUATERNION" and stride != 8:
        raise ValueError(f"QUATERNION needs byteStride 8, not {stride}")
    apply = {
        "OCTAHEDRAL": meshoptimizer.decode_filter_oct,
        "QUATERNION": meshoptimizer.decode_filter_quat,
        "EXPONENTIAL": meshoptimizer.decode_filter_exp,
    }[name]
    return np.asarray(apply(raw, count, stride), np.uint8)
