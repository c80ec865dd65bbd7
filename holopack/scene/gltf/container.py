"""The glTF container: the JSON, GLB chunks, buffers and buffer views, and the checked
reading of JSON values that every other part of the reader uses."""

from __future__ import annotations

import base64
import binascii
import json
import os
import struct
import urllib.parse
from collections.abc import Iterator
from typing import NoReturn

import numpy as np

from ...containment import read_reference, shorten
from ...errors import InputError
from ...limits import MAX_FILE_BYTES, MemoryBudget
from .. import draco, ktx2, meshopt
from ..lfs import HEAD_BYTES, pointer_message

_GLB_MAGIC = b"glTF"
_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942
# compression schemes whose payload we cannot decode: the geometry would be missing
_UNDECODABLE_EXTENSIONS = {
    "KHR_draco_mesh_compression": "Draco mesh compression",
    "EXT_meshopt_compression": "meshoptimizer compression",
    "KHR_texture_basisu": "Basis Universal textures",
}
# the schemes decoded when their optional decoder is installed (holopack[compressed])
_DECODERS = {
    draco.EXTENSION: draco.available,
    meshopt.EXTENSION: meshopt.available,
    ktx2.EXTENSION: ktx2.available,
}
_INSTALL_HINT = "install the decoder with: pip install 'holopack[compressed]'"
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
# numbers in the JSON must fit a float32 once scaled: beyond this they are garbage
_LARGEST = 1e30
# no count, offset or index in a glTF file can pass JSON's exactly representable integers
_LARGEST_INTEGER = 2**53


class ContainerReader:
    def __init__(self, path: str):
        self.path = path
        self.folder = os.path.dirname(os.path.abspath(path))
        self.warnings: list[str] = []
        self._warned: set[str] = set()  # for `warn`: a list's `in` is quadratic in warnings
        self.gltf: dict = {}
        self.glb_bin: bytes | None = None
        self._buffers: dict[int, bytes] = {}
        self._decoded_views: dict[int, bytes] = {}  # EXT_meshopt_compression views, decoded
        self._accessors: dict[tuple[int, bool], np.ndarray] = {}
        self._default_used = False
        # one total for every buffer, accessor and picture this file decodes
        self.budget = MemoryBudget(path)

    # -- small helpers -----------------------------------------------------------
    def fail(self, message: str) -> NoReturn:
        raise InputError(message, self.path) from None

    def warn(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
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
        if abs(value) > _LARGEST_INTEGER:
            # printed whole, a JSON integer of hundreds of digits buries the message
            self.fail(f"{where}: '{key}' is a {len(str(abs(value)))}-digit number, beyond any file")
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
    def _split_glb(self, data: bytes) -> bytes:
        """The JSON chunk of a GLB file; its binary chunk goes to ``glb_bin``."""
        json_chunk: bytes | None = None
        for chunk_number, (chunk_type, chunk) in enumerate(self._glb_chunks(data)):
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
        if json_chunk is None:
            self.fail("bad GLB: no JSON chunk")
        if not json_chunk:
            self.fail("bad GLB: the JSON chunk is empty")
        return json_chunk

    def _glb_chunks(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        """(chunk type, chunk bytes) of each chunk of a GLB file, its header and each
        chunk's length checked as it is reached."""
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
            yield chunk_type, chunk
            chunk_number += 1

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
            if not version.strip():
                self.fail("not a glTF 2.0 file: 'asset.version' is empty")
            self.fail(f"glTF version {shorten(version)} is not supported (holopack reads glTF 2.x)")
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
            "KHR_materials_variants",
            "KHR_lights_punctual",
            "EXT_texture_webp",
            "EXT_texture_avif",
            "EXT_mesh_gpu_instancing",
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
        stub = pointer_message(data[:HEAD_BYTES])
        if stub is not None:
            self.fail(f"{where}: {shorten(urllib.parse.unquote(uri))} {stub}")
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
