"""glTF materials, textures, samplers and images."""

from __future__ import annotations

import io
import math
import struct
import urllib.parse
from dataclasses import dataclass

import numpy as np

from ... import notices
from ...containment import shorten
from .. import ktx2
from ..pbr_maps import read_pbr_maps
from ..pictures import (
    avif_readable,
    encoded_picture_size,
    reduced_rgba,
    reduced_size,
    reduction_message,
    texture_reduction,
)
from ..scene import Scene
from ..transmission import read_transmission
from ..types import Material, Texture
from .accessors import AccessorReader
from .container import _INSTALL_HINT

_WRAP_MODES = (10497, 33071, 33648)
_TEXTURE_BYTES = 8  # counted per pixel: RGBA as decoded, and one copy
_NOT_YET = np.zeros((1, 1, 4), np.uint8)  # a texture's pixels until _decode_textures


@dataclass(frozen=True)
class _Encoded:
    """A picture not yet decoded: its bytes and the size its header gives."""

    raw: bytes
    where: str
    width: int
    height: int
    decode_bytes: int  # a pixel's share of the full decode's peak (encoded_picture_size)


_MAG_FILTERS = (9728, 9729)
_MIN_FILTERS = (9728, 9729, 9984, 9985, 9986, 9987)


class MaterialReader(AccessorReader):
    # set by the reader as it builds the scene, before the materials are read
    _scene: Scene
    _texture_map: dict[int, int | None]
    _encoded: list[tuple[int, _Encoded]]  # (index in Scene.textures, picture) to decode

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
            read_transmission(self, extensions, m, where)
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
        # a picture in a newer codec, with ``source`` the fallback for viewers without it;
        # Pillow reads WebP, and AVIF where it was built with libavif (its wheels since 11.2)
        for codec in ("EXT_texture_webp", "EXT_texture_avif"):
            newer = extensions.get(codec)
            if codec == "EXT_texture_avif" and not avif_readable():
                continue
            if isinstance(newer, dict) and "source" in newer:
                source = self._ref(newer, "source", f"{where} {codec}", "images")
        basisu = extensions.get(ktx2.EXTENSION)
        if isinstance(basisu, dict) and "source" in basisu and ktx2.available():
            source = self._ref(basisu, "source", f"{where} {ktx2.EXTENSION}", "images")
        if source is None:
            # the file leaves the image to an extension we do not know: no texture
            self.warn(f"{where} has no image; drawn without the texture")
            self._texture_map[index] = None
            return None
        pixels = self._image(source)
        if isinstance(pixels, _Encoded):  # decoded once every texture's size is known
            self._encoded.append((len(self._scene.textures), pixels))
            pixels = _NOT_YET
        wrap_s = wrap_t = 10497
        mag_filter = min_filter = None
        sampler = self._ref(spec, "sampler", where, "samplers")
        if sampler is not None:
            sampler_spec = self.gltf["samplers"][sampler]
            mag_filter, min_filter = self._filters(sampler_spec, where)
            wrap_s = sampler_spec.get("wrapS", 10497)
            wrap_t = sampler_spec.get("wrapT", 10497)
            if wrap_s not in _WRAP_MODES or wrap_t not in _WRAP_MODES:
                self.warn(f"{where}: unknown wrap mode replaced by REPEAT")
                wrap_s = wrap_s if wrap_s in _WRAP_MODES else 10497
                wrap_t = wrap_t if wrap_t in _WRAP_MODES else 10497
        name = str(self.gltf["images"][source].get("name", "") or spec.get("name", ""))
        self._scene.textures.append(
            Texture(
                pixels=pixels,
                name=name,
                wrap_s=int(wrap_s),
                wrap_t=int(wrap_t),
                mag_filter=mag_filter,
                min_filter=min_filter,
            )
        )
        self._texture_map[index] = len(self._scene.textures) - 1
        return self._texture_map[index]

    def _filters(self, sampler_spec, where: str) -> tuple[int | None, int | None]:
        """(magFilter, minFilter) of a sampler: the number, or None where it gives none
        or one glTF does not allow (warned; then drawn as without one)."""
        out: list[int | None] = []
        for key, allowed in (("magFilter", _MAG_FILTERS), ("minFilter", _MIN_FILTERS)):
            value = sampler_spec.get(key) if isinstance(sampler_spec, dict) else None
            if value is not None and value not in allowed:
                self.warn(f"{where}: unknown {key} {value!r} ignored")
                value = None
            out.append(None if value is None else int(value))
        return out[0], out[1]

    def _decode_textures(self) -> None:
        """Decode the pictures ``_texture`` left encoded, all kept at one reduction that
        fits them together into the memory budget (holopack.scene.pictures.texture_reduction),
        each counted before it is decoded."""
        encoded, self._encoded = self._encoded, []
        if not encoded:
            return
        factor = texture_reduction([(e.width, e.height, e.decode_bytes) for _, e in encoded], self.budget)
        if factor > 1:
            # said when the model is used as well as listed by inspect: the twin is drawn,
            # but not at the detail its maps hold
            message = reduction_message(len(encoded), factor, self.budget)
            self.warn(message)
            notices.warn(message, self.path)
        for slot, e in encoded:
            self.budget.picture(*reduced_size(e.width, e.height, factor), _TEXTURE_BYTES, e.where)
            self._scene.textures[slot].pixels = self._decode(e.raw, e.where, factor)

    def _image(self, index: int) -> np.ndarray | _Encoded:
        """Image ``index``: KTX2 decoded, (H, W, 4) uint8; any other picture as its bytes
        and header size (``_decode_textures`` decodes it)."""
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
        if ktx2.is_ktx2(raw):  # KHR_texture_basisu: Basis Universal in a KTX2 container
            if not ktx2.available():
                self.fail(f"{where} is a KTX2 (Basis Universal) texture; {_INSTALL_HINT}")
            try:
                self.budget.picture(*ktx2.size(raw), 8, where)
                return ktx2.decode(raw)
            except ValueError as exc:
                self.fail(f"{where} is damaged and cannot be decoded ({exc})")
        # a JPEG's scans bounded (holopack.scene.pictures); counted by its pixels before
        # it is decoded (RGBA, and one copy), in _decode_textures
        size = encoded_picture_size(raw, self.budget, where)
        if size is None:
            return self._decode(raw, where)  # which says why it is no picture
        return _Encoded(raw, where, *size)

    def _decode(self, raw, where: str, factor: int = 1) -> np.ndarray:
        """A picture's bytes -> (H, W, 4) uint8 at 1/``factor`` of its sides
        (holopack.scene.pictures.reduced_rgba), or one line saying why not."""
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(raw)) as picture:
                picture.load()
                pixels = reduced_rgba(picture, factor).copy()
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
