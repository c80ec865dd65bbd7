"""glTF accessors: typed, strided, sparse and normalized arrays read out of buffer views."""

from __future__ import annotations

import numpy as np

from .container import ContainerReader

_COMPONENT_DTYPES: dict[int, np.dtype] = {
    5120: np.dtype("<i1"),
    5121: np.dtype("<u1"),
    5122: np.dtype("<i2"),
    5123: np.dtype("<u2"),
    5125: np.dtype("<u4"),
    5126: np.dtype("<f4"),
}
_COMPONENT_NAMES = {
    5120: "BYTE",
    5121: "UNSIGNED_BYTE",
    5122: "SHORT",
    5123: "UNSIGNED_SHORT",
    5125: "UNSIGNED_INT",
    5126: "FLOAT",
}
# type -> (rows, columns); matrices are column-major with 4-byte aligned columns
_TYPE_SHAPES = {
    "SCALAR": (1, 1),
    "VEC2": (2, 1),
    "VEC3": (3, 1),
    "VEC4": (4, 1),
    "MAT2": (2, 2),
    "MAT3": (3, 3),
    "MAT4": (4, 4),
}
# hard limits that keep a hostile file from exhausting memory before we notice
_MAX_ACCESSOR_COUNT = 1 << 28
_MAX_ZERO_ACCESSOR_BYTES = 1 << 29  # an accessor with no buffer view (all zeros, or sparse)


class AccessorReader(ContainerReader):
    def accessor(self, index: int, where: str, normalize: bool = True) -> np.ndarray:
        """Decode accessor ``index``: (count, components) for SCALAR/VECn, and
        (count, rows, cols) for matrices (numpy [row, col] indexing).

        Normalized integers become float32 when ``normalize``; other integers keep
        their type; floats are float32. Sparse substitution is applied.
        """
        key = (index, normalize)
        if key in self._accessors:
            return self._accessors[key]
        awhere = f"accessor {index} ({where})"
        spec = self._dict(self.gltf["accessors"][index], awhere)
        ctype = self._int(spec, "componentType", awhere)
        if ctype not in _COMPONENT_DTYPES:
            self.fail(f"{awhere}: unknown componentType {ctype}")
        dtype = _COMPONENT_DTYPES[ctype]
        type_name = spec.get("type")
        if not isinstance(type_name, str) or type_name not in _TYPE_SHAPES:
            self.fail(f"{awhere}: unknown type {type_name!r}")
        rows, cols = _TYPE_SHAPES[type_name]
        count = self._int(spec, "count", awhere, minimum=1)
        if count is None:
            self.fail(f"{awhere}: 'count' is missing")
        if count > _MAX_ACCESSOR_COUNT:
            self.fail(f"{awhere}: count {count} is implausibly large")
        normalized = bool(spec.get("normalized", False))
        if normalized and ctype in (5125, 5126):
            self.warn(f"{awhere}: 'normalized' is not allowed for {_COMPONENT_NAMES[ctype]} and was ignored")
            normalized = False
        size = dtype.itemsize
        # column stride: matrix columns start on 4-byte boundaries
        column_bytes = rows * size
        if cols > 1 and column_bytes % 4:
            column_bytes += 4 - column_bytes % 4
        element_bytes = column_bytes * cols

        view_index = self._ref(spec, "bufferView", awhere, "bufferViews")
        if view_index is None and count * element_bytes > _MAX_ZERO_ACCESSOR_BYTES:
            self.fail(f"{awhere}: {count} elements without data is implausibly large")
        # the decoded copy (and its float32 form) counts against the file's budget
        self.budget.spend(count * rows * cols * max(size, 4), awhere)
        if view_index is None:
            out = np.zeros((count, cols, rows), dtype)
            if "byteOffset" in spec and spec["byteOffset"]:
                self.warn(f"{awhere}: byteOffset without a bufferView was ignored")
        else:
            out = self._read_view(spec, view_index, awhere, dtype, (count, cols, rows), column_bytes)
        sparse = spec.get("sparse")
        if sparse is not None:
            self._apply_sparse(out, sparse, count, awhere)
        if cols == 1:
            out = out.reshape(count, rows)
        else:
            out = np.ascontiguousarray(out.transpose(0, 2, 1))  # column-major -> [row, col]
        if normalized and normalize:
            out = _dequantize(out, ctype)
        elif ctype == 5126:
            out = out.astype(np.float32, copy=False)
        self._accessors[key] = out
        return out

    def _read_view(
        self, spec: dict, view_index: int, awhere: str, dtype: np.dtype, shape: tuple, column_bytes: int
    ) -> np.ndarray:
        """An accessor's elements (count, cols, rows) copied out of its buffer view, its
        stride, extent and alignment checked; ``column_bytes``: one padded column."""
        count, cols, rows = shape
        size = dtype.itemsize
        element_bytes = column_bytes * cols
        data, view_offset, view_length, stride = self._buffer_view(view_index, awhere)
        offset = self._int(spec, "byteOffset", awhere, default=0)
        stride = stride or element_bytes
        if stride < element_bytes:
            self.fail(f"{awhere}: byteStride {stride} is smaller than one element ({element_bytes} bytes)")
        needed = offset + stride * (count - 1) + element_bytes
        if needed > view_length:
            self.fail(
                f"{awhere} reaches past the end of buffer view {view_index} ({needed} > {view_length} bytes)"
            )
        if offset % size or (view_offset + offset) % size:
            self.warn(f"{awhere}: data is not aligned to its component size")
        return np.ndarray(
            (count, cols, rows),
            dtype=dtype,
            buffer=data,
            offset=view_offset + offset,
            strides=(stride, column_bytes, size),
        ).copy()

    def _apply_sparse(self, out: np.ndarray, sparse, count: int, awhere: str) -> None:
        sparse = self._dict(sparse, f"{awhere} sparse")
        swhere = f"{awhere} sparse"
        n = self._int(sparse, "count", swhere, minimum=1)
        if n is None:
            self.fail(f"{swhere}: 'count' is missing")
        if n > count:
            self.fail(f"{swhere}: {n} substitutions for only {count} elements")
        ind = self._dict(sparse.get("indices"), f"{swhere} indices")
        val = self._dict(sparse.get("values"), f"{swhere} values")
        ictype = self._int(ind, "componentType", f"{swhere} indices")
        if ictype not in (5121, 5123, 5125):
            self.fail(f"{swhere}: indices must be unsigned integers")
        idtype = _COMPONENT_DTYPES[ictype]
        vi = self._ref(ind, "bufferView", f"{swhere} indices", "bufferViews", required=True)
        data, voff, vlen, _ = self._buffer_view(vi, swhere)
        ioff = self._int(ind, "byteOffset", swhere, default=0)
        if ioff + n * idtype.itemsize > vlen:
            self.fail(f"{swhere}: indices reach past the end of buffer view {vi}")
        indices = np.frombuffer(data, idtype, n, voff + ioff).astype(np.int64)
        if np.any(indices >= count):
            self.fail(f"{swhere}: index {int(indices.max())} is beyond the accessor's {count} elements")
        if n > 1 and np.any(np.diff(indices) <= 0):
            self.warn(f"{swhere}: indices are not strictly increasing")
        vv = self._ref(val, "bufferView", f"{swhere} values", "bufferViews", required=True)
        data, voff, vlen, _ = self._buffer_view(vv, swhere)
        voff2 = self._int(val, "byteOffset", swhere, default=0)
        element_shape = out.shape[1:]
        nbytes = n * out.itemsize * int(np.prod(element_shape))
        if voff2 + nbytes > vlen:
            self.fail(f"{swhere}: values reach past the end of buffer view {vv}")
        values = np.frombuffer(data, out.dtype, n * int(np.prod(element_shape)), voff + voff2)
        out[indices] = values.reshape((n,) + element_shape)

    def _float_attribute(self, index: int, where: str) -> np.ndarray:
        """An accessor as float32, integer values taken as they are unless normalized."""
        return np.ascontiguousarray(self.accessor(index, where), dtype=np.float32)


# -- numeric helpers ------------------------------------------------------------------
def _dequantize(values: np.ndarray, component_type: int) -> np.ndarray:
    """glTF normalized integers -> float32 (spec section 3.11)."""
    v = values.astype(np.float32)
    if component_type == 5121:
        return v / 255.0
    if component_type == 5123:
        return v / 65535.0
    if component_type == 5120:
        return np.maximum(v / 127.0, -1.0)
    if component_type == 5122:
        return np.maximum(v / 32767.0, -1.0)
    return v
