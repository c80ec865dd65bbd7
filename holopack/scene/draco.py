"""KHR_draco_mesh_compression: one compressed primitive back into plain arrays.

Draco's bitstream is decoded by Google's own decoder through DracoPy (the optional extra
``holopack[compressed]``): a well-kept binding of the reference library, where a decoder of
our own would be thousands of lines of entropy coding and prediction schemes to get wrong.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

EXTENSION = "KHR_draco_mesh_compression"


def available() -> bool:
    """Whether the Draco decoder is installed (without importing it)."""
    return importlib.util.find_spec("DracoPy") is not None


@dataclass
class DracoPrimitive:
    """A decoded Draco mesh.

    faces : (M, 3) uint32 point indices, counter-clockwise as encoded
    attributes : unique id -> (N, C) array as Draco stores it (float32 or an integer type)
    """

    faces: np.ndarray
    attributes: dict[int, np.ndarray]
    point_count: int


def decode(payload: bytes) -> DracoPrimitive:
    """Decode one Draco bitstream; ValueError with the decoder's words on any fault."""
    # imported here: an optional extension module, needed only for Draco files
    import DracoPy

    try:
        mesh = DracoPy.decode(bytes(payload))
    except Exception as exc:  # the binding raises its own types for a damaged stream
        raise ValueError(f"the Draco data cannot be decoded ({str(exc) or type(exc).__name__})") from None
    faces = np.asarray(getattr(mesh, "faces", np.zeros((0, 3), np.uint32)))
    if faces.size == 0:
        raise ValueError("the Draco data holds a point cloud, not triangles")
    faces = np.ascontiguousarray(faces.reshape(-1, 3), np.uint32)
    attributes: dict[int, np.ndarray] = {}
    for attribute in mesh.attributes:
        data = np.asarray(attribute["data"])
        if data.ndim == 1:
            data = data.reshape(-1, int(attribute.get("num_components") or 1))
        attributes[int(attribute["unique_id"])] = data
    points = len(np.asarray(mesh.points))
    if faces.max() >= points:
        raise ValueError(f"a Draco face refers to point {int(faces.max())} of {points}")
    return DracoPrimitive(faces=faces, attributes=attributes, point_count=points)


def as_component_type(data: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Draco attribute values (N, C) in the accessor's declared component type ``dtype``
    (float32, or integers rounded and clipped to the type's range)."""
    if dtype.kind == "f":
        return np.ascontiguousarray(data, np.float32)
    info = np.iinfo(dtype)
    values = np.rint(data) if data.dtype.kind == "f" else data
    return np.ascontiguousarray(np.clip(values, info.min, info.max).astype(dtype))
