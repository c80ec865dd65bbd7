"""glTF 2.0 reader (.gltf with external or embedded buffers, .glb, .vrm).

The JSON is parsed with the standard library and GLB chunks are split here, so that
every fault in a file we did not make can be reported in plain words; accessors are
decoded with numpy. Everything the renderer and the animation engine need ends up in
a :class:`holopack.scene.scene.Scene`:

* nodes with rest TRS (a ``matrix`` node is decomposed, the matrix kept),
* meshes with triangle-list primitives (strips and fans converted, points and
  lines skipped with a warning), normals computed when absent,
* materials, textures decoded to (H, W, 4) uint8, skins, animations,
* ``draw_items``: a depth-first walk of the default scene.

Any fault raises :class:`holopack.errors.InputError` naming the file; an unexpected
exception inside the reader is converted to ``InputError("unreadable glTF: ...")``.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import os
import struct
import urllib.parse

import numpy as np

from ..containment import read_reference, shorten
from ..errors import InputError
from ..limits import MAX_FILE_BYTES, MemoryBudget
from . import draco, meshopt
from .model_lights import read_model_lights
from .normals import vertex_normals
from .pbr_maps import read_pbr_maps
from .scene import Scene
from .tangents import clean_tangents, generate_for_primitive, normal_texture_texcoord
from .texture_roles import texture_roles
from .types import Animation, Channel, DrawItem, Material, Mesh, MorphTargets, Node, Primitive, Skin, Texture

_GLB_MAGIC = b"glTF"
_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942

_COMPONENT_DTYPES = {
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

_MODE_NAMES = {
    0: "POINTS",
    1: "LINES",
    2: "LINE_LOOP",
    3: "LINE_STRIP",
    4: "TRIANGLES",
    5: "TRIANGLE_STRIP",
    6: "TRIANGLE_FAN",
}
_ANIMATED_PATHS = ("translation", "rotation", "scale", "weights")
_PATH_WIDTH = {"translation": 3, "rotation": 4, "scale": 3}
# compression schemes whose payload we cannot decode: the geometry would be missing
_UNDECODABLE_EXTENSIONS = {
    "KHR_draco_mesh_compression": "Draco mesh compression",
    "EXT_meshopt_compression": "meshoptimizer compression",
    "KHR_texture_basisu": "Basis Universal textures",
}
# the schemes decoded when their optional decoder is installed (holopack[compressed])
_DECODERS = {draco.EXTENSION: draco.available, meshopt.EXTENSION: meshopt.available}
_INSTALL_HINT = "install the decoder with: pip install 'holopack[compressed]'"
_WRAP_MODES = (10497, 33071, 33648)
_SINGULAR = {
    "meshes": "mesh",
    "nodes": "node",
    "accessors": "accessor",
    "skins": "skin",
    "materials": "material",
    "scenes": "scene",
    "buffers": "buffer",
    "bufferViews": "buffer view",
    "samplers": "sampler",
    "textures": "texture",
    "images": "image",
    "animations": "animation",
}
# hard limits that keep a hostile file from exhausting memory before we notice
_MAX_ACCESSOR_COUNT = 1 << 28
_MAX_ZERO_ACCESSOR_BYTES = 1 << 29  # an accessor with no buffer view (all zeros, or sparse)
# deeper node chains are no real model's and would make posing slow (levels per frame)
_MAX_NODE_DEPTH = 4096
# numbers in the JSON must fit a float32 once scaled: beyond this they are garbage
_LARGEST = 1e30


def load_gltf(path: str | os.PathLike) -> Scene:
    """Read a .gltf/.glb/.vrm file into a Scene; raise InputError on any fault."""
    path = os.fspath(path)
    try:
        return _Reader(path).read()
    except InputError:
        raise
    except MemoryError:
        raise InputError("unreadable glTF: the file needs more memory than is available", path) from None
    except RecursionError:
        raise InputError("unreadable glTF: the file is nested too deeply", path) from None
    except Exception as exc:  # last resort: no traceback ever reaches the user
        detail = str(exc) or type(exc).__name__
        raise InputError(f"unreadable glTF: {detail}", path) from None


class _Reader:
    def __init__(self, path: str):
        self.path = path
        self.folder = os.path.dirname(os.path.abspath(path))
        self.warnings: list[str] = []
        self.gltf: dict = {}
        self.glb_bin: bytes | None = None
        self._buffers: dict[int, bytes] = {}
        self._decoded_views: dict[int, bytes] = {}  # EXT_meshopt_compression views, decoded
        self._accessors: dict[tuple[int, bool], np.ndarray] = {}
        self._default_used = False
        # one total for every buffer, accessor and picture this file decodes
        self.budget = MemoryBudget(path)

    # -- small helpers -----------------------------------------------------------
    def fail(self, message: str):
        raise InputError(message, self.path) from None

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def _list(self, obj: dict, key: str, where: str) -> list:
        value = obj.get(key, [])
        if not isinstance(value, list):
            self.fail(f"{where}: '{key}' should be a list")
        return value

    def _dict(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            self.fail(f"{where} should be a JSON object")
        return value

    def _int(self, obj: dict, key: str, where: str, default=None, minimum: int = 0):
        if key not in obj:
            return default
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            self.fail(f"{where}: '{key}' should be an integer, not {value!r}")
        value = int(value)
        if value < minimum:
            self.fail(f"{where}: '{key}' is {value}, below {minimum}")
        return value

    def _index_item(self, value, count: int, what: str, kind: str) -> int:
        """An element of an index list (children, joints, scene nodes), checked."""
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or value != int(value)
            or not 0 <= int(value) < count
        ):
            self.fail(f"{what} {kind} {value!r}, which does not exist (the file has {count} {kind}s)")
        return int(value)

    def _ref(self, obj: dict, key: str, where: str, collection: str, required=False):
        """An index into the top-level array ``collection``, checked to exist."""
        if key not in obj:
            if required:
                self.fail(f"{where}: '{key}' is missing")
            return None
        index = self._int(obj, key, where)
        count = len(self._list(self.gltf, collection, "the file"))
        if not 0 <= index < count:
            self.fail(
                f"{where} refers to {_SINGULAR.get(collection, collection)} {index}, "
                "which does not exist "
                f"(the file has {count} {collection})"
            )
        return index

    def _numbers(self, value, length: int, where: str, default) -> np.ndarray:
        if value is None:
            return np.array(default, np.float64)
        if (
            not isinstance(value, list)
            or len(value) != length
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        ):
            self.fail(f"{where} should be {length} numbers")
        array = np.array(value, np.float64)
        if not np.all(np.isfinite(array)) or np.any(np.abs(array) > _LARGEST):
            self.fail(f"{where} contains a number that is infinite or too large")
        return array

    def _weights(self, spec: dict, where: str) -> np.ndarray | None:
        """A 'weights' list of morph weights as float32, or None when absent."""
        if "weights" not in spec:
            return None
        w = spec["weights"]
        if not isinstance(w, list):
            self.fail(f"{where}: 'weights' should be a list of numbers")
        return self._numbers(w, len(w), f"{where} weights", None).astype(np.float32)

    # -- container ---------------------------------------------------------------
    def read(self) -> Scene:
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError as exc:
            self.fail(f"cannot read: {exc.strerror}")
        if data[:4] == _GLB_MAGIC:
            json_bytes = self._split_glb(data)
        elif self.path.lower().endswith(".glb"):
            if len(data) < 12:
                self.fail("truncated GLB: the file is shorter than its 12-byte header")
            self.fail("not a GLB file (the first four bytes are not 'glTF')")
        else:
            json_bytes = data
        self.gltf = self._parse_json(json_bytes)
        self._check_asset()
        return self._build()

    def _split_glb(self, data: bytes) -> bytes:
        if len(data) < 12:
            self.fail("truncated GLB: the file is shorter than its 12-byte header")
        _, version, length = struct.unpack_from("<4sII", data, 0)
        if version != 2:
            self.fail(f"GLB version {version} is not supported (only version 2)")
        if length < 20:
            self.fail(f"bad GLB header: total length {length} is too small to hold a JSON chunk")
        if length > len(data):
            self.fail(f"truncated GLB: the header says {length} bytes, the file has {len(data)}")
        if length < len(data):
            self.warn(f"{len(data) - length} bytes after the end of the GLB were ignored")
        offset = 12
        json_chunk: bytes | None = None
        chunk_number = 0
        while offset < length:
            if offset + 8 > length:
                self.fail("truncated GLB: a chunk header is cut off")
            chunk_length, chunk_type = struct.unpack_from("<II", data, offset)
            offset += 8
            if offset + chunk_length > length:
                self.fail(
                    f"bad GLB chunk: chunk {chunk_number} claims {chunk_length} bytes "
                    f"but only {length - offset} remain"
                )
            chunk = data[offset : offset + chunk_length]
            offset += chunk_length
            if chunk_length % 4:
                self.warn("a GLB chunk length is not a multiple of 4")
            if chunk_number == 0:
                if chunk_type != _CHUNK_JSON:
                    self.fail("bad GLB: the first chunk is not the JSON chunk")
                json_chunk = chunk
            elif chunk_type == _CHUNK_JSON:
                self.fail("bad GLB: more than one JSON chunk")
            elif chunk_type == _CHUNK_BIN:
                if chunk_number != 1:
                    self.fail("bad GLB: the binary chunk must directly follow the JSON chunk")
                self.glb_bin = chunk
            chunk_number += 1
        if json_chunk is None:
            self.fail("bad GLB: no JSON chunk")
        if not json_chunk:
            self.fail("bad GLB: the JSON chunk is empty")
        return json_chunk

    def _parse_json(self, raw: bytes) -> dict:
        if raw[:3] == b"\xef\xbb\xbf":
            self.fail("invalid JSON: the text starts with a byte-order mark, which glTF forbids")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.fail(f"invalid JSON: not UTF-8 text (byte {exc.start})")
        try:
            root = json.loads(text)
        except json.JSONDecodeError as exc:
            self.fail(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
        except RecursionError:
            self.fail("invalid JSON: nested too deeply")
        if not isinstance(root, dict):
            self.fail("invalid glTF: the JSON root is not an object")
        return root

    def _check_asset(self) -> None:
        asset = self.gltf.get("asset")
        if not isinstance(asset, dict) or "version" not in asset:
            self.fail("not a glTF 2.0 file: 'asset.version' is missing")
        version = str(asset["version"])
        if not version.split(".")[0] == "2":
            self.fail(f"glTF version {version} is not supported (holopack reads glTF 2.x)")
        required = [
            name for name in self._list(self.gltf, "extensionsRequired", "the file") if isinstance(name, str)
        ]
        for name in required:
            if name in _DECODERS and _DECODERS[name]():
                continue
            if name in _DECODERS:
                self.fail(
                    f"the file uses {_UNDECODABLE_EXTENSIONS[name]} ({name}); "
                    f"{_INSTALL_HINT}, or re-export it without compression"
                )
            if name in _UNDECODABLE_EXTENSIONS:
                self.fail(
                    f"the file uses {_UNDECODABLE_EXTENSIONS[name]} ({name}), "
                    "which holopack cannot decode (no maintained decoder is available); "
                    "re-export it with PNG or JPEG textures"
                )
        known = {
            "KHR_materials_unlit",
            "KHR_texture_transform",
            "KHR_mesh_quantization",
            "KHR_materials_emissive_strength",
            "KHR_lights_punctual",
            "EXT_texture_webp",
        }
        for name in required:
            if name not in known and name not in _UNDECODABLE_EXTENSIONS:
                self.warn(f"required extension {name} is not supported and was ignored")

    # -- buffers and accessors -----------------------------------------------------
    def _buffer(self, index: int) -> bytes:
        if index in self._buffers:
            return self._buffers[index]
        where = f"buffer {index}"
        spec = self._dict(self.gltf["buffers"][index], where)
        declared = self._int(spec, "byteLength", where, minimum=0)
        uri = spec.get("uri")
        if uri is None:
            if index != 0 or self.glb_bin is None:
                self.fail(f"{where} has no 'uri' and there is no GLB binary chunk for it")
            data = self.glb_bin
        else:
            data = self._read_uri(uri, where)
        if declared is None:
            self.fail(f"{where}: 'byteLength' is missing")
        if len(data) < declared:
            self.fail(f"{where} is shorter ({len(data)} bytes) than its byteLength ({declared})")
        self._buffers[index] = data
        return data

    def _read_uri(self, uri, where: str) -> bytes:
        if not isinstance(uri, str):
            self.fail(f"{where}: 'uri' should be a string")
        if uri.startswith("data:"):
            head, sep, payload = uri.partition(",")
            if not sep:
                self.fail(f"{where}: malformed data: URI (no comma)")
            if head.endswith(";base64"):
                self.budget.spend(len(payload) * 3 // 4, f"{where}: the data: URI")
                try:
                    return base64.b64decode(payload, validate=True)
                except (binascii.Error, ValueError):
                    self.fail(f"{where}: the data: URI is not valid base64")
            self.budget.spend(len(payload), f"{where}: the data: URI")
            return urllib.parse.unquote_to_bytes(payload)
        if "://" in uri or uri.lower().startswith("file:"):
            self.fail(f"{where}: refers to a remote file ({shorten(uri)}); holopack reads local files only")
        # the containment rule (holopack.containment): inside this file's folder only,
        # regular files only, no more than the memory budget
        data = read_reference(
            uri,
            self.path,
            f"{where}: the external file",
            encoded=True,
            limit=min(MAX_FILE_BYTES, self.budget.total - self.budget.used),
        )
        self.budget.spend(len(data), f"{where}: the external file")
        return data

    def _buffer_view(self, index: int, where: str) -> tuple[bytes, int, int, int | None]:
        """(buffer bytes, start offset, byte length, byteStride or None)."""
        spec = self._dict(self.gltf["bufferViews"][index], f"buffer view {index}")
        vwhere = f"buffer view {index}"
        buffer_index = self._ref(spec, "buffer", vwhere, "buffers", required=True)
        offset = self._int(spec, "byteOffset", vwhere, default=0)
        length = self._int(spec, "byteLength", vwhere, minimum=1)
        if length is None:
            self.fail(f"{vwhere}: 'byteLength' is missing")
        stride = self._int(spec, "byteStride", vwhere)
        if stride is not None and not 4 <= stride <= 252:
            self.fail(f"{vwhere}: byteStride {stride} is outside 4..252")
        compressed = self._dict(spec.get("extensions", {}), f"{vwhere} extensions").get(meshopt.EXTENSION)
        if compressed is not None:
            return self._meshopt_view(index, compressed, vwhere, buffer_index, length, stride)
        data = self._buffer(buffer_index)
        if offset + length > len(data):
            self.fail(
                f"{vwhere} (used by {where}) reaches past the end of buffer "
                f"{buffer_index} ({offset}+{length} > {len(data)} bytes)"
            )
        return data, offset, length, stride

    def _meshopt_view(self, index, spec, vwhere, fallback_buffer, length, stride):
        """An EXT_meshopt_compression view decoded (once): (bytes, 0, length, stride)."""
        if index in self._decoded_views:
            return self._decoded_views[index], 0, length, stride
        if not meshopt.available():
            fallback = self._dict(self.gltf["buffers"][fallback_buffer], "buffer").get("extensions")
            if not (isinstance(fallback, dict) and meshopt.EXTENSION in fallback):
                data = self._buffer(fallback_buffer)  # uncompressed data is stored as well
                offset = self._int(self.gltf["bufferViews"][index], "byteOffset", vwhere, default=0)
                if offset + length > len(data):
                    self.fail(f"{vwhere} reaches past the end of buffer {fallback_buffer}")
                return data, offset, length, stride
            self.fail(
                f"{vwhere} uses meshoptimizer compression ({meshopt.EXTENSION}); "
                f"{_INSTALL_HINT}, or re-export it without compression"
            )
        spec = self._dict(spec, f"{vwhere} {meshopt.EXTENSION}")
        ewhere = f"{vwhere} {meshopt.EXTENSION}"
        source = self._ref(spec, "buffer", ewhere, "buffers", required=True)
        offset = self._int(spec, "byteOffset", ewhere, default=0)
        size = self._int(spec, "byteLength", ewhere, minimum=1)
        count = self._int(spec, "count", ewhere, minimum=1)
        element = self._int(spec, "byteStride", ewhere, minimum=1)
        if size is None or count is None or element is None:
            self.fail(f"{ewhere}: byteLength, count and byteStride are required")
        if count * element != length:
            self.fail(f"{ewhere}: {count} x {element} bytes do not match the view's byteLength {length}")
        data = self._buffer(source)
        if offset + size > len(data):
            self.fail(f"{ewhere} reaches past the end of buffer {source}")
        try:
            decoded = meshopt.decode(
                data[offset : offset + size],
                count,
                element,
                str(spec.get("mode", "")),
                str(spec.get("filter", "NONE")),
            )
        except ValueError as exc:
            self.fail(f"{ewhere}: {exc}")
        self._decoded_views[index] = decoded
        return decoded, 0, length, stride

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
            data, view_offset, view_length, stride = self._buffer_view(view_index, awhere)
            offset = self._int(spec, "byteOffset", awhere, default=0)
            stride = stride or element_bytes
            if stride < element_bytes:
                self.fail(
                    f"{awhere}: byteStride {stride} is smaller than one element ({element_bytes} bytes)"
                )
            needed = offset + stride * (count - 1) + element_bytes
            if needed > view_length:
                self.fail(
                    f"{awhere} reaches past the end of buffer view {view_index} "
                    f"({needed} > {view_length} bytes)"
                )
            if offset % size or (view_offset + offset) % size:
                self.warn(f"{awhere}: data is not aligned to its component size")
            out = np.ndarray(
                (count, cols, rows),
                dtype=dtype,
                buffer=data,
                offset=view_offset + offset,
                strides=(stride, column_bytes, size),
            ).copy()
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

    # -- the scene -----------------------------------------------------------------
    def _build(self) -> Scene:
        g = self.gltf
        for key in (
            "nodes",
            "meshes",
            "accessors",
            "bufferViews",
            "buffers",
            "materials",
            "textures",
            "images",
            "samplers",
            "skins",
            "animations",
            "scenes",
        ):
            for i, item in enumerate(self._list(g, key, "the file")):
                self._dict(item, f"{_SINGULAR[key]} {i}")
        scene = Scene(path=self.path)
        scene.nodes = self._read_nodes()
        scene.roots = self._read_roots(len(scene.nodes))
        self._texture_map: dict[int, int | None] = {}
        self._scene = scene
        # geometry first: a missing .bin is the fault to report before a missing picture
        scene.skins = self._read_skins(len(scene.nodes))
        scene.meshes = self._read_meshes()
        scene.materials = self._read_materials()
        if self._default_used:
            scene.materials.append(Material(name="default"))
        self._check_node_weights(scene)
        scene.draw_items = self._walk(scene)
        self._check_joints(scene)
        scene.animations = self._read_animations(scene)
        scene.texture_roles = texture_roles(self.gltf)
        scene.lights = read_model_lights(self.gltf, self.warn)
        # checked last so that a broken file is reported for what is broken in it
        if not scene.draw_items:
            skipped = [w for w in self.warnings if "were skipped" in w]
            if skipped:
                self.fail("the scene has nothing a fan can show: " + "; ".join(skipped))
            self.fail("the scene contains no mesh to draw")
        scene.warnings = self.warnings
        return scene

    def _read_nodes(self) -> list[Node]:
        specs = self._list(self.gltf, "nodes", "the file")
        nodes = []
        for i, spec in enumerate(specs):
            where = f"node {i}"
            node = Node(name=str(spec.get("name", "")))
            children = self._list(spec, "children", where)
            children = [self._index_item(c, len(specs), f"{where} has child", "node") for c in children]
            if len(set(children)) != len(children):
                self.warn(f"{where} lists a child twice; the duplicate was ignored")
                children = list(dict.fromkeys(children))
            node.children = list(children)
            if "matrix" in spec:
                m = self._numbers(spec["matrix"], 16, f"{where} matrix", None)
                matrix = m.reshape(4, 4).T  # JSON is column-major
                node.matrix = matrix
                if not np.allclose(matrix[3], [0, 0, 0, 1]):
                    self.fail(f"{where}: matrix has a projective bottom row")
                node.translation, node.rotation, node.scale = _decompose(matrix)
                if any(k in spec for k in ("translation", "rotation", "scale")):
                    self.warn(f"{where} has both a matrix and TRS; the matrix was used")
            else:
                node.translation = self._numbers(
                    spec.get("translation"), 3, f"{where} translation", [0.0, 0.0, 0.0]
                )
                q = self._numbers(spec.get("rotation"), 4, f"{where} rotation", [0.0, 0.0, 0.0, 1.0])
                with np.errstate(over="ignore"):
                    norm = float(np.linalg.norm(q))
                if not math.isfinite(norm):
                    self.fail(f"{where}: rotation is not a usable quaternion")
                if norm < 1e-12:
                    self.warn(f"{where}: zero rotation quaternion replaced by identity")
                    q = np.array([0.0, 0.0, 0.0, 1.0])
                elif abs(norm - 1.0) > 1e-3:
                    self.warn(f"{where}: rotation quaternion was not unit length; normalised")
                node.rotation = q / (norm if norm >= 1e-12 else 1.0)
                node.scale = self._numbers(spec.get("scale"), 3, f"{where} scale", [1.0, 1.0, 1.0])
            node.mesh = self._ref(spec, "mesh", where, "meshes")
            node.skin = self._ref(spec, "skin", where, "skins")
            node.weights = self._weights(spec, where)
            nodes.append(node)
        # each node has at most one parent and the graph has no cycle
        parent = [-1] * len(nodes)
        for i, node in enumerate(nodes):
            for c in node.children:
                if c == i:
                    self.fail(f"node {i} is its own child (a cycle in the node graph)")
                if parent[c] >= 0:
                    self.fail(f"node {c} is a child of both node {parent[c]} and node {i}")
                parent[c] = i
        # linear time: with one parent each, a node is on (or under) a cycle exactly when
        # no root reaches it; depth is counted on the way down
        depth = [-1] * len(nodes)
        stack = [i for i in range(len(nodes)) if parent[i] < 0]
        for i in stack:
            depth[i] = 0
        while stack:
            n = stack.pop()
            if depth[n] >= _MAX_NODE_DEPTH:
                self.fail(f"node {n} is nested more than {_MAX_NODE_DEPTH} levels deep")
            for c in nodes[n].children:
                depth[c] = depth[n] + 1
                stack.append(c)
        if -1 in depth:
            self.fail(f"the node graph has a cycle through node {self._on_cycle(parent, depth)}")
        self._parents = parent
        return nodes

    @staticmethod
    def _on_cycle(parent: list[int], depth: list[int]) -> int:
        """A node on a cycle: follow parents from an unreached node until one repeats."""
        n = depth.index(-1)
        seen = set()
        while n not in seen:
            seen.add(n)
            n = parent[n]
        return n

    def _read_roots(self, node_count: int) -> list[int]:
        scenes = self._list(self.gltf, "scenes", "the file")
        if not scenes:
            self.warn("the file has no scene; all top-level nodes are shown")
            return [i for i in range(node_count) if self._parents[i] < 0]
        index = self._ref(self.gltf, "scene", "the file", "scenes")
        if index is None:
            index = 0
        spec = scenes[index]
        roots = []
        for r in self._list(spec, "nodes", f"scene {index}"):
            r = self._index_item(r, node_count, f"scene {index} refers to", "node")
            if self._parents[r] >= 0:
                self.warn(f"scene {index} lists node {r}, which is not a root; it is drawn under its parent")
                continue
            if r not in roots:
                roots.append(r)
        return roots

    # -- materials and textures ------------------------------------------------------
    def _read_materials(self) -> list[Material]:
        materials = []
        for i, spec in enumerate(self._list(self.gltf, "materials", "the file")):
            where = f"material {i}"
            m = Material(name=str(spec.get("name", "")))
            pbr = self._dict(spec.get("pbrMetallicRoughness", {}), f"{where} pbrMetallicRoughness")
            m.base_color_factor = self._numbers(
                pbr.get("baseColorFactor"), 4, f"{where} baseColorFactor", [1.0, 1.0, 1.0, 1.0]
            ).astype(np.float32)
            m.metallic_factor = float(
                self._numbers([pbr.get("metallicFactor", 1.0)], 1, f"{where} metallicFactor", None)[0]
            )
            m.roughness_factor = float(
                self._numbers([pbr.get("roughnessFactor", 1.0)], 1, f"{where} roughnessFactor", None)[0]
            )
            m.base_color_texture, m.base_color_texcoord, m.base_color_transform = self._texture_ref(
                pbr.get("baseColorTexture"), f"{where} baseColorTexture"
            )
            emissive = self._numbers(
                spec.get("emissiveFactor"), 3, f"{where} emissiveFactor", [0.0, 0.0, 0.0]
            )
            extensions = self._dict(spec.get("extensions", {}), f"{where} extensions")
            gloss = extensions.get("KHR_materials_pbrSpecularGlossiness")
            if isinstance(gloss, dict) and "pbrMetallicRoughness" not in spec:
                # older exporters: the diffuse colour is what a fan can show of it
                m.base_color_factor = self._numbers(
                    gloss.get("diffuseFactor"), 4, f"{where} diffuseFactor", [1.0, 1.0, 1.0, 1.0]
                ).astype(np.float32)
                m.base_color_texture, m.base_color_texcoord, m.base_color_transform = self._texture_ref(
                    gloss.get("diffuseTexture"), f"{where} diffuseTexture"
                )
                m.metallic_factor = 0.0
            read_pbr_maps(self, spec, pbr, extensions, m, where)
            m.emissive_factor = emissive.astype(np.float32)
            m.emissive_texture, m.emissive_texcoord, m.emissive_transform = self._texture_ref(
                spec.get("emissiveTexture"), f"{where} emissiveTexture"
            )
            mode = spec.get("alphaMode", "OPAQUE")
            if mode not in ("OPAQUE", "MASK", "BLEND"):
                self.warn(f"{where}: unknown alphaMode {mode!r} treated as OPAQUE")
                mode = "OPAQUE"
            m.alpha_mode = mode
            m.alpha_cutoff = float(
                self._numbers([spec.get("alphaCutoff", 0.5)], 1, f"{where} alphaCutoff", None)[0]
            )
            m.double_sided = bool(spec.get("doubleSided", False))
            m.unlit = "KHR_materials_unlit" in extensions
            materials.append(m)
        return materials

    def _texture_ref(self, info, where: str) -> tuple[int | None, int, np.ndarray | None]:
        """(index into Scene.textures or None, texCoord set, KHR_texture_transform as a
        (2, 3) affine UV map or None) of a textureInfo.

        A texture the material uses but that cannot be had (a dangling index, a
        missing or undecodable image) changes the picture, so it is an InputError.
        """
        if info is None:
            return None, 0, None
        info = self._dict(info, where)
        texcoord = self._int(info, "texCoord", where, default=0)
        index = self._ref(info, "index", where, "textures", required=True)
        extensions = self._dict(info.get("extensions", {}), f"{where} extensions")
        transform = None
        if "KHR_texture_transform" in extensions:
            transform, texcoord = self._texture_transform(
                extensions["KHR_texture_transform"], f"{where} KHR_texture_transform", texcoord
            )
        return self._texture(index), texcoord, transform

    def _texture_transform(self, spec, where: str, texcoord: int) -> tuple[np.ndarray, int]:
        """KHR_texture_transform: the (2, 3) matrix translation x rotation x scale, and
        the texCoord set (the extension's own overrides the textureInfo's).

        The rotation turns UVs counter-clockwise: u' = cos u + sin v, v' = -sin u + cos v
        (before the offset), which is what the extension's worked example needs ("offset
        [0, 1], rotation pi/2, scale 0.5 uses the lower left quadrant, rotated") and what
        three.js and the sample viewers do.
        """
        spec = self._dict(spec, where)
        ox, oy = self._numbers(spec.get("offset"), 2, f"{where} offset", [0.0, 0.0])
        (angle,) = self._numbers([spec.get("rotation", 0.0)], 1, f"{where} rotation", None)
        sx, sy = self._numbers(spec.get("scale"), 2, f"{where} scale", [1.0, 1.0])
        c, s = math.cos(angle), math.sin(angle)
        matrix = np.array([[c * sx, s * sy, ox], [-s * sx, c * sy, oy]], np.float64)
        return matrix, self._int(spec, "texCoord", where, default=texcoord)

    def _texture(self, index: int) -> int | None:
        """Decode texture ``index`` (once) into Scene.textures."""
        if index in self._texture_map:
            return self._texture_map[index]
        where = f"texture {index}"
        spec = self.gltf["textures"][index]
        extensions = spec.get("extensions") if isinstance(spec.get("extensions"), dict) else {}
        source = self._ref(spec, "source", where, "images")
        webp = extensions.get("EXT_texture_webp")
        if isinstance(webp, dict) and "source" in webp:
            source = self._ref(webp, "source", f"{where} EXT_texture_webp", "images")
        if source is None:
            # the file leaves the image to an extension we do not know: no texture
            self.warn(f"{where} has no image; drawn without the texture")
            self._texture_map[index] = None
            return None
        pixels = self._image(source)
        wrap_s = wrap_t = 10497
        sampler = self._ref(spec, "sampler", where, "samplers")
        if sampler is not None:
            sampler_spec = self.gltf["samplers"][sampler]
            wrap_s = sampler_spec.get("wrapS", 10497)
            wrap_t = sampler_spec.get("wrapT", 10497)
            if wrap_s not in _WRAP_MODES or wrap_t not in _WRAP_MODES:
                self.warn(f"{where}: unknown wrap mode replaced by REPEAT")
                wrap_s = wrap_s if wrap_s in _WRAP_MODES else 10497
                wrap_t = wrap_t if wrap_t in _WRAP_MODES else 10497
        name = str(self.gltf["images"][source].get("name", "") or spec.get("name", ""))
        self._scene.textures.append(Texture(pixels=pixels, name=name, wrap_s=int(wrap_s), wrap_t=int(wrap_t)))
        self._texture_map[index] = len(self._scene.textures) - 1
        return self._texture_map[index]

    def _image(self, index: int) -> np.ndarray:
        """Image ``index`` decoded: (H, W, 4) uint8."""
        spec = self.gltf["images"][index]
        uri = spec.get("uri")
        named = isinstance(uri, str) and not uri.startswith("data:")
        where = f"image {index}" + (f" '{shorten(urllib.parse.unquote(uri))}'" if named else "")
        if "bufferView" in spec:
            view = self._ref(spec, "bufferView", where, "bufferViews")
            data, offset, length, _ = self._buffer_view(view, where)
            raw = data[offset : offset + length]
        elif "uri" in spec:
            raw = self._read_uri(uri, where)
        else:
            self.fail(f"{where} has neither 'uri' nor 'bufferView'")
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(raw)) as picture:
                # counted by its pixels before it is decoded (RGBA, and one copy)
                self.budget.picture(picture.width, picture.height, 8, where)
                picture.load()
                rgba = picture.convert("RGBA")
            pixels = np.asarray(rgba, dtype=np.uint8).copy()
        except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
            self.fail(f"{where} is not a picture holopack can decode ({exc.__class__.__name__})")
        except (OSError, ValueError, SyntaxError, EOFError, struct.error) as exc:
            self.fail(f"{where} is damaged and cannot be decoded ({exc})")
        if pixels.ndim != 3 or pixels.shape[0] == 0 or pixels.shape[1] == 0:
            self.fail(f"{where} is empty")
        return pixels

    def _default_material(self) -> int:
        """Index of the material appended for primitives that name none."""
        self._default_used = True
        return len(self._list(self.gltf, "materials", "the file"))

    # -- skins -----------------------------------------------------------------------
    def _read_skins(self, node_count: int) -> list[Skin]:
        skins = []
        for i, spec in enumerate(self._list(self.gltf, "skins", "the file")):
            where = f"skin {i}"
            joints = self._list(spec, "joints", where)
            if not joints:
                self.fail(f"{where} has no joints")
            joints = [self._index_item(j, node_count, f"{where} lists joint", "node") for j in joints]
            if len(set(joints)) != len(joints):
                self.warn(f"{where} lists a joint node twice")
            count = len(joints)
            ibm_index = self._ref(spec, "inverseBindMatrices", where, "accessors")
            if ibm_index is None:
                inverse_bind = np.tile(np.eye(4), (count, 1, 1))
            else:
                ibm = self.accessor(ibm_index, f"inverse bind matrices of {where}")
                if ibm.ndim != 3 or ibm.shape[1:] != (4, 4):
                    self.fail(f"{where}: inverse bind matrices must be MAT4")
                if len(ibm) < count:
                    self.fail(f"{where}: {len(ibm)} inverse bind matrices for {count} joints")
                if len(ibm) > count:
                    self.warn(f"{where}: more inverse bind matrices than joints")
                inverse_bind = ibm[:count].astype(np.float64)
                if not np.all(np.isfinite(inverse_bind)):
                    self.fail(f"{where}: an inverse bind matrix contains NaN or Inf")
            skeleton = self._ref(spec, "skeleton", where, "nodes")
            skins.append(
                Skin(
                    joints=np.array(joints, np.int64),
                    inverse_bind=inverse_bind,
                    skeleton=skeleton,
                    name=str(spec.get("name", "")),
                )
            )
        return skins

    # -- meshes ----------------------------------------------------------------------
    def _read_meshes(self) -> list[Mesh]:
        meshes = []
        for i, spec in enumerate(self._list(self.gltf, "meshes", "the file")):
            where = f"mesh {i}"
            prims = self._list(spec, "primitives", where)
            weights = self._weights(spec, where)
            names = []
            extras = spec.get("extras")
            if isinstance(extras, dict) and isinstance(extras.get("targetNames"), list):
                names = [str(n) for n in extras["targetNames"]]
            primitives = []
            skipped_lines = False
            for p, pspec in enumerate(prims):
                prim = self._read_primitive(
                    self._dict(pspec, f"{where} primitive {p}"), f"{where} primitive {p}", weights, names
                )
                if prim is None:
                    skipped_lines = True
                    continue
                prim.name = str(spec.get("name", ""))
                primitives.append(prim)
            target_counts = {len(pr.morph.positions) if pr.morph else 0 for pr in primitives}
            if len(target_counts) > 1:
                self.fail(f"{where}: its primitives have different numbers of morph targets")
            if not primitives and not skipped_lines:
                self.fail(f"{where} has no faces")
            meshes.append(Mesh(name=str(spec.get("name", "")), primitives=primitives, weights=weights))
        return meshes

    def _read_primitive(self, spec: dict, where: str, mesh_weights, target_names):
        mode = self._int(spec, "mode", where, default=4)
        if mode not in _MODE_NAMES:
            self.fail(f"{where}: unknown primitive mode {mode}")
        if mode < 4:
            self.warn(f"{where}: {_MODE_NAMES[mode]} cannot be shown and were skipped")
            return None
        extensions = self._dict(spec.get("extensions", {}), f"{where} extensions")
        for ext in extensions:
            if ext == draco.EXTENSION and draco.available():
                self._decode_draco(spec, extensions[ext], where)
            elif ext in _DECODERS:
                self.fail(f"{where} uses {_UNDECODABLE_EXTENSIONS[ext]} ({ext}); {_INSTALL_HINT}")
            elif ext in _UNDECODABLE_EXTENSIONS:
                self.fail(
                    f"{where} uses {_UNDECODABLE_EXTENSIONS[ext]} ({ext}), which holopack cannot decode"
                )
        attributes = self._dict(spec.get("attributes"), f"{where} attributes")
        refs = {}
        for name in attributes:
            refs[name] = self._ref(attributes, name, f"{where} attribute {name}", "accessors")
        if "POSITION" not in refs:
            self.warn(f"{where} has no POSITION attribute and was skipped")
            return None
        positions = self._float_attribute(refs["POSITION"], f"{where} POSITION")
        if positions.ndim != 2 or positions.shape[1] != 3:
            self.fail(f"{where}: POSITION must be VEC3")
        if not np.all(np.isfinite(positions)):
            bad = int(np.argwhere(~np.isfinite(positions))[0, 0])
            self.fail(f"{where}: vertex {bad} has a NaN or infinite position")
        n = len(positions)

        def attribute(name: str, widths: tuple[int, ...]) -> np.ndarray:
            array = self.accessor(refs[name], f"{where} {name}")
            if array.ndim != 2 or array.shape[1] not in widths:
                self.fail(f"{where}: {name} has the wrong type")
            if len(array) != n:
                self.fail(f"{where}: {name} has {len(array)} elements, POSITION has {n}")
            return array

        # faces
        if "indices" in spec:
            index_ref = self._ref(spec, "indices", where, "accessors")
            raw = self.accessor(index_ref, f"{where} indices", normalize=False)
            if raw.ndim != 2 or raw.shape[1] != 1 or raw.dtype.kind not in "u":
                self.fail(f"{where}: indices must be unsigned integer scalars")
            flat = raw.reshape(-1).astype(np.int64)
            if len(flat) and int(flat.max()) >= n:
                self.fail(f"{where}: index {int(flat.max())} is beyond the vertex count {n}")
        else:
            flat = np.arange(n, dtype=np.int64)
        faces = _triangulate(flat, mode)
        if mode == 4 and len(flat) % 3:
            self.warn(f"{where}: {len(flat) % 3} trailing indices do not form a triangle")
        if len(faces) == 0:
            self.fail(f"{where} has no faces")
        indices = np.ascontiguousarray(faces, dtype=np.int32)

        # normals
        computed = None
        if "NORMAL" in refs:
            normals = attribute("NORMAL", (3,)).astype(np.float32)
            length = np.linalg.norm(normals, axis=1)
            bad = ~np.isfinite(length) | (length < 1e-12)
            if np.any(bad):
                computed = vertex_normals(positions, indices)
                normals[bad] = computed[bad]
                self.warn(f"{where}: {int(bad.sum())} zero or invalid normals were recomputed")
                length = np.linalg.norm(normals, axis=1)
            normals = normals / np.maximum(length, 1e-12)[:, None]
        else:
            normals = vertex_normals(positions, indices)
        normals = np.ascontiguousarray(normals, dtype=np.float32)

        uv = []
        k = 0
        while f"TEXCOORD_{k}" in refs:
            coords = attribute(f"TEXCOORD_{k}", (2,)).astype(np.float32)
            if not np.all(np.isfinite(coords)):
                self.warn(f"{where}: TEXCOORD_{k} has non-finite values; set to 0")
                coords = np.nan_to_num(coords, nan=0.0, posinf=0.0, neginf=0.0)
            uv.append(np.ascontiguousarray(coords))
            k += 1

        colors = None
        if "COLOR_0" in refs:
            c = attribute("COLOR_0", (3, 4)).astype(np.float32)
            if c.shape[1] == 3:
                c = np.concatenate([c, np.ones((n, 1), np.float32)], axis=1)
            colors = np.ascontiguousarray(np.clip(np.nan_to_num(c), 0.0, None), np.float32)

        joints, weights = self._skin_attributes(refs, where, n, attribute)

        morph = None
        targets = self._list(spec, "targets", where)
        if targets:
            morph = self._morph_targets(targets, where, n, mesh_weights, target_names)

        material = self._ref(spec, "material", where, "materials")
        if material is None:
            material = self._default_material()
        primitive = Primitive(
            positions=np.ascontiguousarray(positions),
            normals=normals,
            indices=indices,
            material=material,
            uv=uv,
            colors=colors,
            joints=joints,
            weights=weights,
            morph=morph,
        )
        return self._tangents(primitive, refs, where, attribute)

    def _tangents(self, primitive: Primitive, refs: dict, where: str, attribute) -> Primitive:
        """The TANGENT attribute, else MikkTSpace tangents for a normal-mapped material."""
        if "TANGENT" in refs:
            primitive.tangents = clean_tangents(attribute("TANGENT", (4,)))
            if primitive.tangents is not None:
                return primitive
            self.warn(f"{where}: TANGENT has zero or invalid vectors; tangents are generated instead")
        materials = self.gltf.get("materials")
        known = isinstance(materials, list) and primitive.material < len(materials)
        texcoord = normal_texture_texcoord(materials[primitive.material] if known else None)
        if texcoord is None:
            return primitive
        if texcoord >= len(primitive.uv):
            self.warn(f"{where}: the normal texture reads TEXCOORD_{texcoord}, which the primitive lacks")
            return primitive
        return generate_for_primitive(primitive, texcoord)

    def _decode_draco(self, spec: dict, ext, where: str) -> None:
        """KHR_draco_mesh_compression: decode the primitive's Draco stream and put each
        attribute (and the indices) in the accessor cache, in the accessor's declared
        component type, so the rest of the reader sees plain accessors."""
        dwhere = f"{where} {draco.EXTENSION}"
        ext = self._dict(ext, dwhere)
        view = self._ref(ext, "bufferView", dwhere, "bufferViews", required=True)
        data, offset, length, _ = self._buffer_view(view, dwhere)
        try:
            decoded = draco.decode(data[offset : offset + length])
        except ValueError as exc:
            self.fail(f"{dwhere}: {exc}")
        attributes = self._dict(spec.get("attributes"), f"{where} attributes")
        targets = {}
        for name, unique_id in self._dict(ext.get("attributes", {}), f"{dwhere} attributes").items():
            if name not in attributes:
                self.fail(f"{dwhere}: attribute {name} is not among the primitive's attributes")
            if unique_id not in decoded.attributes:
                self.fail(f"{dwhere}: the Draco data has no attribute with id {unique_id} ({name})")
            targets[self._ref(attributes, name, f"{where} attribute {name}", "accessors", required=True)] = (
                decoded.attributes[unique_id]
            )
        if "indices" in spec:
            targets[self._ref(spec, "indices", where, "accessors")] = decoded.faces.reshape(-1, 1)
        for index, values in targets.items():
            accessor = self._dict(self.gltf["accessors"][index], f"accessor {index}")
            ctype = accessor.get("componentType")
            if ctype not in _COMPONENT_DTYPES:
                self.fail(f"accessor {index} ({dwhere}): unknown componentType {ctype}")
            raw = draco.as_component_type(values, _COMPONENT_DTYPES[ctype])
            if accessor.get("count") != len(raw):
                self.warn(
                    f"{dwhere}: accessor {index} declares {accessor.get('count')} "
                    f"elements, the Draco data holds {len(raw)}"
                )
            self._accessors[(index, False)] = raw
            normalized = bool(accessor.get("normalized", False)) and ctype not in (5125, 5126)
            self._accessors[(index, True)] = (
                _dequantize(raw, ctype) if normalized else (raw.astype(np.float32) if ctype == 5126 else raw)
            )

    def _skin_attributes(self, refs, where, n, attribute):
        joint_sets, weight_sets = [], []
        k = 0
        while f"JOINTS_{k}" in refs or f"WEIGHTS_{k}" in refs:
            if f"JOINTS_{k}" not in refs or f"WEIGHTS_{k}" not in refs:
                self.warn(
                    f"{where}: JOINTS_{k} and WEIGHTS_{k} do not come in pairs; the unpaired set was ignored"
                )
                break
            j = self.accessor(refs[f"JOINTS_{k}"], f"{where} JOINTS_{k}", normalize=False)
            if j.ndim != 2 or j.shape[1] != 4 or j.dtype.kind != "u":
                self.fail(f"{where}: JOINTS_{k} must be VEC4 of unsigned integers")
            if len(j) != n:
                self.fail(f"{where}: JOINTS_{k} has {len(j)} elements, POSITION has {n}")
            w = attribute(f"WEIGHTS_{k}", (4,)).astype(np.float32)
            if j.dtype.itemsize > 2 and int(j.max()) > 65535:
                self.fail(f"{where}: JOINTS_{k} has joint index {int(j.max())}, more than any skin can hold")
            joint_sets.append(j.astype(np.uint16))
            weight_sets.append(w)
            k += 1
        if not joint_sets:
            return None, None
        joints = np.ascontiguousarray(np.concatenate(joint_sets, axis=1))
        weights = np.concatenate(weight_sets, axis=1)
        bad = ~np.isfinite(weights) | (weights < 0)
        if np.any(bad):
            self.warn(
                f"{where}: {int(bad.any(axis=1).sum())} vertices had negative or invalid "
                "skin weights; those weights were set to 0"
            )
            weights[bad] = 0.0
        total = weights.sum(axis=1)
        unbound = total <= 0
        if np.any(unbound):
            # a vertex with no weight at all follows its first joint, as three.js does
            self.warn(
                f"{where}: {int(unbound.sum())} vertices had all skin weights zero and "
                "were bound to their first joint"
            )
            weights[unbound] = 0.0
            weights[unbound, 0] = 1.0
            total = np.where(unbound, 1.0, total)
        weights = np.ascontiguousarray(weights / total[:, None], dtype=np.float32)
        return joints, weights

    def _morph_targets(self, targets, where, n, mesh_weights, target_names):
        count = len(targets)
        positions = np.zeros((count, n, 3), np.float32)
        normals = None
        tangent_deltas = None
        for t, target in enumerate(targets):
            twhere = f"{where} morph target {t}"
            target = self._dict(target, twhere)
            for name in target:
                index = self._ref(target, name, f"{twhere} {name}", "accessors")
                if name not in ("POSITION", "NORMAL", "TANGENT"):
                    continue
                delta = self._float_attribute(index, f"{twhere} {name}")
                if delta.ndim != 2 or delta.shape[1] != 3:
                    self.fail(f"{twhere}: {name} must be VEC3")
                if len(delta) != n:
                    self.fail(f"{twhere}: {name} has {len(delta)} elements, the primitive has {n} vertices")
                if not np.all(np.isfinite(delta)):
                    self.fail(f"{twhere}: {name} contains NaN or Inf")
                if name == "POSITION":
                    positions[t] = delta
                elif name == "TANGENT":
                    if tangent_deltas is None:
                        tangent_deltas = np.zeros((count, n, 3), np.float32)
                    tangent_deltas[t] = delta
                else:
                    if normals is None:
                        normals = np.zeros((count, n, 3), np.float32)
                    normals[t] = delta
        if mesh_weights is None:
            defaults = np.zeros(count, np.float32)
        else:
            defaults = np.zeros(count, np.float32)
            m = min(count, len(mesh_weights))
            defaults[:m] = mesh_weights[:m]
            if len(mesh_weights) != count:
                self.warn(
                    f"{where}: the mesh has {len(mesh_weights)} default weights for {count} morph targets"
                )
        names = list(target_names[:count]) if len(target_names) >= count else []
        return MorphTargets(
            positions=positions,
            normals=normals,
            default_weights=defaults,
            names=names,
            tangents=tangent_deltas,
        )

    # -- the drawn scene -------------------------------------------------------------
    def _walk(self, scene: Scene) -> list[DrawItem]:
        items = []
        stack = list(reversed(scene.roots))
        while stack:
            index = stack.pop()
            node = scene.nodes[index]
            if node.mesh is not None:
                mesh = scene.meshes[node.mesh]
                skin = node.skin
                if skin is not None and not any(p.joints is not None for p in mesh.primitives):
                    self.warn(f"node {index} has a skin but its mesh has no joints; drawn without skinning")
                    skin = None
                for p, prim in enumerate(mesh.primitives):
                    prim_skin = skin if prim.joints is not None else None
                    items.append(DrawItem(node=index, mesh=node.mesh, primitive=p, skin=prim_skin))
            if node.skin is not None and node.mesh is None:
                self.warn(f"node {index} has a skin but no mesh")
            stack.extend(reversed(node.children))
        return items

    def _check_node_weights(self, scene: Scene) -> None:
        """Node morph weights must match the mesh's target count; pad or cut them."""
        for i, node in enumerate(scene.nodes):
            if node.weights is None:
                continue
            count = self._morph_count(scene, node)
            if len(node.weights) != count:
                self.warn(
                    f"node {i} has {len(node.weights)} morph weights for {count} "
                    "morph targets; the extra ones were ignored (missing ones are 0)"
                )
                fixed = np.zeros(count, np.float32)
                m = min(count, len(node.weights))
                fixed[:m] = node.weights[:m]
                node.weights = fixed

    def _check_joints(self, scene: Scene) -> None:
        for item in scene.draw_items:
            if item.skin is None:
                continue
            prim = scene.primitive(item)
            count = len(scene.skins[item.skin].joints)
            used = prim.weights > 0
            if np.any(prim.joints[used] >= count):
                worst = int(prim.joints[used].max())
                self.fail(
                    f"mesh {item.mesh} primitive {item.primitive}: joint index {worst} "
                    f"is beyond skin {item.skin}'s {count} joints"
                )
            # joints with zero weight may hold anything; make them safe to index
            prim.joints[~used] = 0
        for item in scene.draw_items:
            if item.skin is None:
                prim = scene.primitive(item)
                if prim.joints is not None and scene.nodes[item.node].skin is None:
                    self.warn(
                        f"mesh {item.mesh} has skin weights but node {item.node} has no skin; drawn unskinned"
                    )

    # -- animations ------------------------------------------------------------------
    def _read_animations(self, scene: Scene) -> list[Animation]:
        animations = []
        for a, spec in enumerate(self._list(self.gltf, "animations", "the file")):
            where = f"animation {a}"
            name = str(spec.get("name", "") or f"animation {a}")
            samplers = self._list(spec, "samplers", where)
            channels = []
            seen_targets = set()
            for c, cspec in enumerate(self._list(spec, "channels", where)):
                cwhere = f"{where} channel {c}"
                cspec = self._dict(cspec, cwhere)
                sampler_index = self._int(cspec, "sampler", cwhere)
                if sampler_index is None:
                    self.fail(f"{cwhere} has no sampler")
                if not 0 <= sampler_index < len(samplers):
                    self.fail(f"{cwhere} refers to sampler {sampler_index}, which does not exist")
                target = self._dict(cspec.get("target"), f"{cwhere} target")
                path = target.get("path")
                if path not in _ANIMATED_PATHS:
                    self.warn(f"{cwhere}: animated property {path!r} is not supported; ignored")
                    continue
                node_index = self._ref(target, "node", f"{cwhere} target", "nodes")
                if node_index is None:
                    self.warn(f"{cwhere} has no target node; ignored")
                    continue
                if (node_index, path) in seen_targets:
                    self.warn(f"{where} animates {path} of node {node_index} twice; the last channel wins")
                seen_targets.add((node_index, path))
                node = scene.nodes[node_index]
                if path == "weights":
                    width = self._morph_count(scene, node)
                    if width == 0:
                        self.warn(
                            f"{cwhere} animates morph weights of node {node_index}, "
                            "which has no morph targets; ignored"
                        )
                        continue
                else:
                    width = _PATH_WIDTH[path]
                    if node.matrix is not None:
                        self.warn(
                            f"{cwhere} animates node {node_index}, which is given by a "
                            "matrix; its decomposed TRS is animated"
                        )
                channel = self._read_sampler(
                    samplers[sampler_index], f"{where} sampler {sampler_index}", node_index, path, width
                )
                channels.append(channel)
            # the last channel for a target wins, as in three.js
            unique = {}
            for ch in channels:
                unique[(ch.node, ch.path)] = ch
            channels = list(unique.values())
            if not channels:
                self.warn(f"{where} ({name}) animates nothing")
            animations.append(Animation(name=name, channels=channels))
        return animations

    def _morph_count(self, scene: Scene, node: Node) -> int:
        if node.mesh is None:
            return 0
        for prim in scene.meshes[node.mesh].primitives:
            if prim.morph is not None:
                return len(prim.morph.positions)
        return 0

    def _read_sampler(self, spec, where, node_index, path, width) -> Channel:
        spec = self._dict(spec, where)
        interpolation = spec.get("interpolation", "LINEAR")
        if interpolation not in ("LINEAR", "STEP", "CUBICSPLINE"):
            self.fail(f"{where}: unknown interpolation {interpolation!r}")
        input_ref = self._ref(spec, "input", where, "accessors", required=True)
        output_ref = self._ref(spec, "output", where, "accessors", required=True)
        times = self.accessor(input_ref, f"key times of {where}")
        if times.ndim != 2 or times.shape[1] != 1 or times.dtype != np.float32:
            self.fail(f"{where}: key times must be FLOAT scalars")
        times = np.ascontiguousarray(times.reshape(-1), np.float32)
        if len(times) == 0:
            self.fail(f"{where} has no keys")
        if not np.all(np.isfinite(times)):
            self.fail(f"{where}: a key time is NaN or infinite")
        if len(times) > 1 and np.any(np.diff(times) <= 0):
            bad = int(np.argmax(np.diff(times) <= 0)) + 1
            self.fail(
                f"{where}: key times do not increase (key {bad} at {float(times[bad]):g}s "
                f"follows {float(times[bad - 1]):g}s)"
            )
        if times[0] < 0:
            self.warn(f"{where}: negative key times")
        values = self.accessor(output_ref, f"key values of {where}")
        if values.ndim != 2 or values.dtype.kind != "f":
            self.fail(f"{where}: key values must be floats or normalized integers")
        if path == "weights":
            if values.shape[1] != 1:
                self.fail(f"{where}: morph weights must be scalars")
            flat = values.reshape(-1)
        else:
            if values.shape[1] != width:
                self.fail(f"{where}: {path} keys must have {width} components")
            flat = values.reshape(-1)
        per_key = width * (3 if interpolation == "CUBICSPLINE" else 1)
        if len(flat) != len(times) * per_key:
            self.fail(
                f"{where}: {len(times)} key times but {len(flat) // width} "
                f"{path} values (expected {len(times) * per_key // width})"
            )
        if not np.all(np.isfinite(flat)):
            self.fail(f"{where}: a key value is NaN or infinite")
        if interpolation == "CUBICSPLINE":
            out = flat.reshape(len(times), 3, width)
        else:
            out = flat.reshape(len(times), width)
        return Channel(
            node=node_index,
            path=path,
            interpolation=interpolation,
            times=times,
            values=np.ascontiguousarray(out, np.float32),
        )


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


def _triangulate(flat: np.ndarray, mode: int) -> np.ndarray:
    """(M, 3) int64 triangles from a TRIANGLES/STRIP/FAN index list."""
    if mode == 4:
        m = len(flat) // 3
        return flat[: m * 3].reshape(m, 3)
    if len(flat) < 3:
        return np.zeros((0, 3), np.int64)
    k = np.arange(len(flat) - 2)
    if mode == 5:
        # odd triangles swap their first two vertices to keep the winding (spec 3.7.2.1)
        even = (k % 2) == 0
        a = np.where(even, flat[k], flat[k + 1])
        b = np.where(even, flat[k + 1], flat[k])
        return np.stack([a, b, flat[k + 2]], axis=1)
    return np.stack([np.full(len(k), flat[0]), flat[k + 1], flat[k + 2]], axis=1)


def _decompose(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(4, 4) affine -> translation (3,), quaternion xyzw (4,), scale (3,) float64."""
    translation = matrix[:3, 3].copy()
    basis = matrix[:3, :3].copy()
    scale = np.linalg.norm(basis, axis=0)
    if np.linalg.det(basis) < 0:
        scale[0] = -scale[0]
    safe = np.where(np.abs(scale) < 1e-12, 1.0, scale)
    rot = basis / safe
    return translation, _matrix_to_quaternion(rot), scale


def _matrix_to_quaternion(r: np.ndarray) -> np.ndarray:
    """Rotation matrix (3, 3) -> unit quaternion (x, y, z, w) (Shepperd's method)."""
    trace = r[0, 0] + r[1, 1] + r[2, 2]
    if trace > 0:
        s = math.sqrt(trace + 1.0) * 2
        q = [(r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s, 0.25 * s]
    elif r[0, 0] > r[1, 1] and r[0, 0] > r[2, 2]:
        s = math.sqrt(max(1.0 + r[0, 0] - r[1, 1] - r[2, 2], 1e-300)) * 2
        q = [0.25 * s, (r[0, 1] + r[1, 0]) / s, (r[0, 2] + r[2, 0]) / s, (r[2, 1] - r[1, 2]) / s]
    elif r[1, 1] > r[2, 2]:
        s = math.sqrt(max(1.0 + r[1, 1] - r[0, 0] - r[2, 2], 1e-300)) * 2
        q = [(r[0, 1] + r[1, 0]) / s, 0.25 * s, (r[1, 2] + r[2, 1]) / s, (r[0, 2] - r[2, 0]) / s]
    else:
        s = math.sqrt(max(1.0 + r[2, 2] - r[0, 0] - r[1, 1], 1e-300)) * 2
        q = [(r[0, 2] + r[2, 0]) / s, (r[1, 2] + r[2, 1]) / s, 0.25 * s, (r[1, 0] - r[0, 1]) / s]
    q = np.array(q, np.float64)
    norm = np.linalg.norm(q)
    return q / norm if norm > 0 else np.array([0.0, 0.0, 0.0, 1.0])
