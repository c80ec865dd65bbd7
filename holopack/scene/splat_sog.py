"""SOG ("spatially ordered Gaussians") splat captures, as PlayCanvas's SuperSplat and
splat-transform write them: a ``meta.json`` and lossless WebP pictures whose pixel i
(row-major from the top left) holds splat i, either in a folder (the input is its
``meta.json``) or zipped together as one ``.sog`` file. Read from PlayCanvas's
published specification (version 2) and its engine's reader (version 1):

    means_l, means_u  RGB: the low and high bytes of 16-bit x y z, a fraction of the
                      [mins, maxs] range of n = sign(v) log(|v| + 1); v = sign(n)
                      (exp(|n|) - 1)
    scales            RGB: indices into the 256-entry ``scales.codebook`` of log
                      standard deviations (version 1: a fraction of [mins, maxs])
    quats             RGB: three components (byte / 255 - 0.5) x sqrt(2) in w x y z
                      order, skipping the largest, whose index is A - 252 (252-255)
    sh0               RGB: indices into ``sh0.codebook`` of the degree-0 coefficient;
                      A: the opacity x 255 (version 1: fractions of [mins, maxs], the
                      opacity a logit)
    shN_labels        R + 256 G: each splat's entry in the palette ``shN_centroids``,
                      64 entries a row, an entry's K coefficients (K = 3, 8, 15 for
                      1-3 bands) side by side, RGB the colour channels, values indices
                      into ``shN.codebook`` (version 1: fractions of [mins, maxs])

The coordinates are x right, y up, z back, so a capture stands upright as it is.
"""

from __future__ import annotations

import io
import json
import math
import os
import warnings
import zipfile
import zlib

import numpy as np

from ..containment import read_reference, read_regular
from ..errors import InputError
from ..limits import MemoryBudget
from .pictures import check_encoded_picture
from .scene import Scene
from .splat_rows import CHUNK, finish, splat_scene

SH_C0 = 0.28209479177387814  # the degree-0 spherical harmonic, 1 / (2 sqrt(pi))
META_BYTES = 1 << 20  # a meta.json is a few kilobytes (three codebooks of 256 numbers)
# a SOG picture of a million splats is 1000 x 1000 lossless pixels, a few megabytes
PICTURE_BYTES = 256 << 20
PALETTE_ROW = 64  # SH palette entries a row of shN_centroids
COEFFICIENTS = {1: 3, 2: 8, 3: 15}  # SH bands -> coefficients a channel


def load_sog(path: str) -> Scene:
    """A ``.sog`` archive, or a SOG folder's ``meta.json``, as a Scene with ``splats``."""
    budget = MemoryBudget(path)
    if path.lower().endswith(".sog"):
        return _read(path, _Zipped(path), budget)
    return _read(path, _Folder(path), budget)


def folder_meta(folder: str) -> str | None:
    """The path of ``folder``'s meta.json when it is a SOG splat's (its keys say so), else
    None: a folder of SOG pictures is a splat capture, not a clip of its pictures."""
    meta = os.path.join(folder, "meta.json")
    if not os.path.isfile(meta):
        return None
    try:
        found = json.loads(read_regular(meta, "model", limit=META_BYTES))
    except (InputError, OSError, ValueError, UnicodeDecodeError):
        return None
    keys = ("means", "scales", "quats", "sh0")
    return meta if isinstance(found, dict) and all(k in found for k in keys) else None


class _Folder:
    """The pictures beside a meta.json, each checked by the containment rule."""

    def __init__(self, meta: str):
        self.meta = meta

    def meta_bytes(self) -> bytes:
        return read_regular(self.meta, "model", limit=META_BYTES)

    def read(self, name: str) -> bytes:
        return read_reference(name, self.meta, "SOG picture", limit=PICTURE_BYTES)


class _Zipped:
    """The members of a .sog archive, by their names (nothing is unpacked to disk)."""

    def __init__(self, path: str):
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, RuntimeError) as exc:
            raise InputError(f"not a SOG file: a .sog file is a ZIP archive ({exc})", path) from None
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", path) from None
        self.path = path

    def meta_bytes(self) -> bytes:
        return self.read("meta.json", META_BYTES)

    def read(self, name: str, limit: int = PICTURE_BYTES) -> bytes:
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise InputError(f"the SOG archive has no member '{name[:100]}'", self.path) from None
        if info.file_size > limit:
            raise InputError(
                f"the SOG member '{name[:100]}' is larger than the {limit:,} bytes read", self.path
            )
        try:
            with self.zip.open(info) as member:
                data = member.read(limit + 1)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, zlib.error) as exc:
            raise InputError(f"the SOG member '{name[:100]}' cannot be read ({exc})", self.path) from None
        if len(data) > limit:
            raise InputError(
                f"the SOG member '{name[:100]}' is larger than the {limit:,} bytes read", self.path
            )
        return data


def _read(path: str, files, budget: MemoryBudget) -> Scene:
    try:
        meta = json.loads(files.meta_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"the SOG meta.json is not JSON ({exc})", path) from None
    if not isinstance(meta, dict) or not all(k in meta for k in ("means", "scales", "quats", "sh0")):
        raise InputError("not a SOG splat's meta.json: it lacks means, scales, quats or sh0", path)
    version = meta.get("version", 1)
    if version not in (1, 2):
        raise InputError(f"SOG version {version!r} is not read (holopack reads versions 1 and 2)", path)
    count = meta.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
        raise InputError("the SOG meta.json gives no splat count (a whole number above 0)", path)
    sh_n = meta.get("shN")
    bands = 0
    if isinstance(sh_n, dict):
        bands = sh_n.get("bands", 0)
        if bands not in COEFFICIENTS:
            raise InputError(f"the SOG meta.json gives {bands!r} SH bands; the format has 1 to 3", path)
    rest = COEFFICIENTS.get(bands, 0)
    budget.spend(count * (3 + 3 + 4 + 1 + 3 * (1 + rest)) * 4, f"{count:,} splats")

    def picture(field: str, index: int = 0) -> np.ndarray:
        entry = meta.get(field)
        names = entry.get("files") if isinstance(entry, dict) else None
        if not isinstance(names, list) or len(names) <= index or not isinstance(names[index], str):
            raise InputError(f"the SOG meta.json names no file for {field}", path)
        return _picture(files.read(names[index]), f"SOG picture '{names[index][:100]}'", budget, path)

    means_l, means_u = picture("means", 0), picture("means", 1)
    scales, quats, sh0 = picture("scales"), picture("quats"), picture("sh0")
    shape = means_l.shape
    if any(p.shape != shape for p in (means_u, scales, quats, sh0)):
        raise InputError("the SOG pictures are not all of one size", path)
    if shape[0] * shape[1] < count:
        raise InputError(f"the SOG pictures hold {shape[0] * shape[1]:,} pixels for {count:,} splats", path)
    labels = centroids = None
    if rest:
        labels, centroids = picture("shN", 1), picture("shN", 0)
        if labels.shape != shape:
            raise InputError("the SOG pictures are not all of one size", path)
    decode = _Decoder(meta, version, rest, path)

    def blocks():
        flat = [p.reshape(-1, 4) for p in (means_l, means_u, scales, quats, sh0)]
        flat_labels = None if labels is None else labels.reshape(-1, 4)
        for first in range(0, count, CHUNK):
            rows = slice(first, min(count, first + CHUNK))
            yield decode(
                *(p[rows] for p in flat), None if flat_labels is None else flat_labels[rows], centroids
            )

    return splat_scene(path, count, 1 + rest, blocks())


def _picture(data: bytes, what: str, budget: MemoryBudget, path: str) -> np.ndarray:
    """An (H, W, 4) uint8 array of a picture's raw values (no colour conversion),
    counted against ``budget`` before it is decoded."""
    from PIL import Image

    if not check_encoded_picture(data, budget, what):
        raise InputError(f"{what} is not a picture Pillow reads", path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                if image.mode not in ("RGB", "RGBA"):
                    raise InputError(f"{what} is {image.mode}, not 8-bit RGB or RGBA", path)
                return np.asarray(image.convert("RGBA"))
    except InputError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise InputError(f"{what} cannot be decoded ({exc})", path) from None


class _Decoder:
    """Splats from blocks of the pictures' pixels (see the module doc)."""

    def __init__(self, meta: dict, version: int, rest: int, path: str):
        self.version, self.rest = version, rest
        self.means_low = _numbers(meta["means"], "mins", 3, path)
        self.means_high = _numbers(meta["means"], "maxs", 3, path)
        if version == 2:
            self.scales = _numbers(meta["scales"], "codebook", 256, path)
            self.sh0 = _numbers(meta["sh0"], "codebook", 256, path)
            self.sh_n = _numbers(meta["shN"], "codebook", 256, path) if rest else None
        else:
            self.scale_range = (
                _numbers(meta["scales"], "mins", 3, path),
                _numbers(meta["scales"], "maxs", 3, path),
            )
            self.sh0_range = (_numbers(meta["sh0"], "mins", 4, path), _numbers(meta["sh0"], "maxs", 4, path))
            if rest:
                self.sh_n_range = (
                    _numbers(meta["shN"], "mins", 1, path)[0],
                    _numbers(meta["shN"], "maxs", 1, path)[0],
                )
        self.path = path

    def __call__(self, means_l, means_u, scales, quats, sh0, labels, centroids):
        with np.errstate(over="ignore", invalid="ignore"):  # not finite: finish leaves them out
            return self._decode(means_l, means_u, scales, quats, sh0, labels, centroids)

    def _decode(self, means_l, means_u, scales, quats, sh0, labels, centroids):
        n = len(means_l)
        q16 = (means_u[:, :3].astype(np.float64) * 256.0 + means_l[:, :3]) / 65535.0
        log_means = self.means_low * (1.0 - q16) + self.means_high * q16
        means = np.sign(log_means) * np.expm1(np.abs(log_means))
        if self.version == 2:
            log_scales = self.scales[scales[:, :3]]
            dc = self.sh0[sh0[:, :3]]
            opacities = sh0[:, 3].astype(np.float64) / 255.0
        else:
            t = scales[:, :3].astype(np.float64) / 255.0
            log_scales = self.scale_range[0] * (1.0 - t) + self.scale_range[1] * t
            t4 = sh0.astype(np.float64) / 255.0
            values = self.sh0_range[0] * (1.0 - t4) + self.sh0_range[1] * t4
            dc, opacities = values[:, :3], 1.0 / (1.0 + np.exp(-values[:, 3]))
        linear_scales = np.exp(log_scales)
        modes = quats[:, 3].astype(np.int64) - 252
        if np.any((modes < 0) | (modes > 3)):
            raise InputError("the SOG quats picture has alpha values outside 252-255", self.path)
        three = (quats[:, :3].astype(np.float64) / 255.0 - 0.5) * math.sqrt(2.0)
        wxyz = np.zeros((n, 4), np.float64)
        for k in range(4):
            here = modes == k
            for value, i in zip(three.T, [i for i in range(4) if i != k]):
                wxyz[here, i] = value[here]
        wxyz[np.arange(n), modes] = np.sqrt(np.maximum(0.0, 1.0 - (wxyz**2).sum(1)))
        sh = np.empty((n, 1 + self.rest, 3), np.float64)
        sh[:, 0] = dc
        if self.rest:
            sh[:, 1:] = self._palette(labels, centroids, n)
        return finish(means, linear_scales, wxyz[:, [1, 2, 3, 0]], opacities, sh)

    def _palette(self, labels, centroids, n) -> np.ndarray:
        """(n, K, 3) higher-degree coefficients from each splat's palette entry."""
        k = self.rest
        entry = labels[:, 0].astype(np.int64) + labels[:, 1].astype(np.int64) * 256
        u = (entry % PALETTE_ROW) * k
        v = entry // PALETTE_ROW
        height, width = centroids.shape[:2]
        if np.any(v >= height) or width < PALETTE_ROW * k:
            raise InputError("a SOG splat names an SH palette entry past the palette's picture", self.path)
        columns = u[:, None] + np.arange(k)[None, :]  # (n, K)
        values = centroids[v[:, None], columns, :3]  # (n, K, 3) bytes
        if self.version == 2:
            assert self.sh_n is not None
            return self.sh_n[values]
        low, high = self.sh_n_range
        t = values.astype(np.float64) / 255.0
        return low * (1.0 - t) + high * t


def _numbers(entry, key: str, length: int, path: str) -> np.ndarray:
    """The list ``entry[key]`` of ``length`` finite numbers, float64 (a codebook's
    leading null, which some writers leave, reads as its neighbour)."""
    values = entry.get(key) if isinstance(entry, dict) else None
    if length == 1 and isinstance(values, (int, float)) and not isinstance(values, bool):
        values = [values]
    if not isinstance(values, list) or len(values) != length:
        raise InputError(f"the SOG meta.json's {key} should be {length} numbers", path)
    if length > 1 and values[0] is None and len(values) > 1:
        values = [values[1], *values[1:]]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise InputError(f"the SOG meta.json's {key} holds something that is not a number", path)
    array = np.array(values, np.float64)
    if not np.all(np.isfinite(array)):
        raise InputError(f"the SOG meta.json's {key} holds a number that is not finite", path)
    return array
