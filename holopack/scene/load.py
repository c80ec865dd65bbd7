"""One registry from file type to loader; ``load()`` only checks and dispatches.

A loader takes a path and returns a Scene, or raises InputError naming the file and
the fault. Loaders register themselves by suffix; the magic bytes of the file win
over a misleading suffix where they are unambiguous (a GLB named .gltf, say).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable

from ..containment import check_regular
from ..errors import InputError
from .lfs import HEAD_BYTES, pointer_message
from .scene import Scene

Loader = Callable[[str], Scene]

# Videos, read by ffmpeg (holopack.scene.media.load_video): phones' and editors' MP4,
# MOV, WebM, MKV and AVI; camcorders' AVCHD (.mts, .m2ts) and broadcast transport
# streams (.ts); MPEG-1/2 program streams (.mpg, .mpeg); Windows Media (.wmv), Flash
# (.flv), old phones' 3GP, Ogg Theora (.ogv) and broadcast MXF; and GIF animations.
# Archives look for a clip by the same list (holopack.scene.archive).
VIDEO_SUFFIXES = (
    ".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi",
    ".ts", ".mts", ".m2ts", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp", ".ogv", ".mxf",
    ".gif",
)  # fmt: skip

# suffix -> "module:function", imported on first use so that loading an OBJ never
# pays for the video stack and vice versa.
_REGISTRY: dict[str, str] = {
    ".glb": "holopack.scene.gltf:load_gltf",
    ".gltf": "holopack.scene.gltf:load_gltf",
    ".vrm": "holopack.scene.gltf:load_gltf",
    ".obj": "holopack.scene.mesh:load_mesh",
    ".stl": "holopack.scene.mesh:load_mesh",
    ".ply": "holopack.scene.mesh:load_mesh",
    ".off": "holopack.scene.mesh:load_mesh",
    # Gaussian splats in the web viewers' and Niantic's compact formats (a 3DGS .ply is
    # told from a mesh by its header: holopack.scene.mesh)
    ".splat": "holopack.scene.splat_antimatter:load_splat",
    ".spz": "holopack.scene.spz:load_spz",
    # SOG: WebP pictures and their meta.json, zipped as one .sog or in a folder
    ".sog": "holopack.scene.splat_sog:load_sog",
    ".json": "holopack.scene.splat_sog:load_sog",
    # a model handed over zipped (Sketchfab's "Download glTF"): the one model inside
    ".zip": "holopack.scene.archive:load_zip",
    ".usdz": "holopack.scene.usd:load_usd",
    ".usdc": "holopack.scene.usd:load_usd",
    ".usda": "holopack.scene.usd:load_usd",
    ".usd": "holopack.scene.usd:load_usd",
    ".png": "holopack.scene.media:load_image",
    ".jpg": "holopack.scene.media:load_image",
    ".jpeg": "holopack.scene.media:load_image",
    ".bmp": "holopack.scene.media:load_image",
    ".webp": "holopack.scene.media:load_image",
    ".apng": "holopack.scene.media:load_image",
    # stills as editors and cameras save them, read by Pillow like the above
    ".jfif": "holopack.scene.media:load_image",
    ".jpe": "holopack.scene.media:load_image",
    ".tif": "holopack.scene.media:load_image",
    ".tiff": "holopack.scene.media:load_image",
    ".tga": "holopack.scene.media:load_image",
    ".psd": "holopack.scene.media:load_image",
    ".avif": "holopack.scene.media:load_image",
    # a camera's stereo or depth pair (Multi-Picture Object: JPEGs one after another); its first picture
    ".mpo": "holopack.scene.media:load_image",
    ".heic": "holopack.scene.media:load_heif",
    ".heif": "holopack.scene.media:load_heif",
    **dict.fromkeys(VIDEO_SUFFIXES, "holopack.scene.media:load_video"),
}


def register(suffix: str, target: str) -> None:
    """Register ``"package.module:function"`` as the loader for ``suffix`` (".xyz")."""
    _REGISTRY[suffix.lower()] = target


# 3D formats that twins arrive in but holopack does not read: the error says what to do
# (every tool named exports glTF: Blender, Maya, 3ds Max, Cinema 4D)
AUTHORING_FORMATS = {
    ".fbx": "FBX",
    ".dae": "COLLADA",
    ".blend": "Blender",
    ".3ds": "3DS",
    ".max": "3ds Max",
    ".c4d": "Cinema 4D",
    ".ma": "Maya",
    ".mb": "Maya",
    ".3mf": "3MF",
    ".abc": "Alembic",
}


# pictures that arrive but are not read: the error says what to convert them to
UNREAD_PICTURES = {
    ".svg": "SVG drawings are not read; export the drawing as a PNG (transparent background "
    "where the fan should be dark)",
    ".svgz": "SVG drawings are not read; export the drawing as a PNG",
    ".dng": "camera raw files are not read; develop it to JPEG or PNG",
    ".cr2": "camera raw files are not read; develop it to JPEG or PNG",
    ".nef": "camera raw files are not read; develop it to JPEG or PNG",
    ".arw": "camera raw files are not read; develop it to JPEG or PNG",
}
# ISO base media brands (the ftyp box): HEIF pictures and AVIF pictures, told apart
# from MP4 and MOV clips
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


def supported_suffixes() -> list[str]:
    return sorted(_REGISTRY)


def _sniff(path: str) -> str | None:
    """The suffix that the first bytes prove, or None; InputError for a Git LFS
    pointer (lfs.py), which no loader could make sense of."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    stub = pointer_message(head)
    if stub is not None:
        raise InputError(f"the file {stub}", path)
    if head[:4] == b"glTF":
        return ".glb"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return ".png"
    if head[:3] == b"GIF":
        return ".gif"
    if head[4:8] == b"ftyp":
        box = head[: int.from_bytes(head[:4], "big")]
        brands = {box[i : i + 4] for i in range(8, len(box) - 3, 4) if i != 12}  # major + compatible
        if brands & _AVIF_BRANDS:
            return ".avif"
        if brands & _HEIC_BRANDS:
            return ".heic"  # after AVIF: an AVIF lists mif1 too
        return ".mp4"
    return None


def load(path: str | os.PathLike) -> Scene:
    """Load any supported model, Gaussian splat twin, picture or video into a Scene."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError("no such file", path)
    if os.path.isdir(path):
        from .splat_sog import folder_meta, load_sog

        meta = folder_meta(path)  # a SOG splat capture's pictures and their meta.json
        if meta is not None:
            return load_sog(meta)
        from .media import load_folder  # a folder of numbered pictures is a clip

        return load_folder(path)
    check_regular(path)  # a device or a FIFO reports its size as 0: say what it is
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    if size == 0:
        raise InputError("the file is empty", path)
    try:
        sniffed = _sniff(path)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    suffix = os.path.splitext(path)[1].lower()
    if sniffed is None and suffix in UNREAD_PICTURES:
        raise InputError(UNREAD_PICTURES[suffix], path)
    if sniffed == ".heic":
        suffix = sniffed  # a phone's HEIC keeps its bytes when a transfer renames it .jpg
    if suffix not in _REGISTRY:
        if sniffed is None:
            if suffix in AUTHORING_FORMATS:
                raise InputError(
                    f"{AUTHORING_FORMATS[suffix]} files are not read; export the model as glTF "
                    "(.glb) from the tool that made it, then give holopack the .glb",
                    path,
                )
            known = " ".join(supported_suffixes())
            raise InputError(
                f"unsupported file type {suffix or '(no suffix)'!r}; holopack reads {known}", path
            )
        suffix = sniffed
    elif sniffed == ".glb" and suffix in (".gltf", ".vrm"):
        suffix = ".glb"
    module_name, func_name = _REGISTRY[suffix].split(":")
    loader: Loader = getattr(importlib.import_module(module_name), func_name)
    return loader(path)
