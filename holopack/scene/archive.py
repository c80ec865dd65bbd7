"""A twin handed over as a ZIP archive: Sketchfab's "Download glTF" (scene.gltf, scene.bin
and a textures/ folder), a studio's hand-off of an OBJ with its .mtl and pictures, a
motion designer's PNG sequence with alpha, or one clip.

The archive is unpacked into a private temporary folder and the one model in it is
loaded there by its own loader. A model's Scene holds every array it needs once loaded,
so its folder is removed at once. A clip or a picture sequence is read frame by frame
while it exports, so its folder stays until the process ends (one per archive version:
a preview reloading an unchanged archive unpacks nothing again). Errors and warnings
name the archive and the member (``shoe.zip:scene.gltf``), never the temporary folder.

What is unpacked is bounded before and while it is written: members whose names would
land outside the folder (absolute, ``..``), links and devices are never written; at most
MAX_MEMBERS members, and in bytes the memory budget for a model (its loader could hold
no more) or MAX_FILE_BYTES for a clip, counted as they are written (a member's declared
size may lie); a member that the archive stores encrypted, or with a compression Python
cannot read, is one line. A model's authoring originals (NOT_UNPACKED) stay packed.
"""

from __future__ import annotations

import atexit
import os
import posixpath
import shutil
import stat
import tempfile
import zipfile
import zlib

from .. import notices
from ..errors import InputError
from ..limits import MAX_FILE_BYTES, memory_budget_bytes
from .load import VIDEO_SUFFIXES
from .scene import Scene

# Model files an archive may hold, in the order one is preferred over another when an
# archive holds several kinds (a Sketchfab download keeps the original FBX in source/
# beside scene.gltf; FBX is not read, so it never competes)
MODEL_SUFFIXES = (
    ".glb", ".gltf", ".vrm", ".obj", ".ply", ".stl", ".off", ".usdz", ".usdc", ".usda", ".usd", ".spz", ".splat",
)  # fmt: skip
# A USD asset zipped as a folder is a root stage with its sublayers and references
# beside or below it, in any of the four suffixes: they rank as one kind, so the
# shallowest file is the stage to open, whatever each is called.
_USD_SUFFIXES = (".usdz", ".usdc", ".usda", ".usd")
# Archives of a model hold its file, a buffer or two and its pictures: tens of members,
# a few hundred for a textured CAD hand-off. More is a folder of something else, or a
# zip bomb of empty members.
MAX_MEMBERS = 10_000
# A clip in an archive: one video (load.VIDEO_SUFFIXES), or pictures that are frames of
# one (all in one folder)
FRAME_SUFFIXES = (".png", ".webp", ".jpg", ".jpeg")
# Files no model loader reads, left packed: the authoring originals a download carries
# beside its glTF (they can be hundreds of MB), and archives inside the archive
NOT_UNPACKED = (
    *(".fbx", ".blend", ".blend1", ".max", ".ma", ".mb", ".c4d", ".3ds", ".dae", ".abc", ".ztl"),
    *(".spp", ".sbsar", ".psd", ".zip", ".rar", ".7z"),
)
# what archivers add that is no part of the model: macOS resource forks and Finder files
_JUNK_PREFIXES = ("__MACOSX/",)
_JUNK_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini")


def member_path(name: str) -> str | None:
    """A member's name as a relative POSIX path inside the archive, or None for one
    that must not be written: absolute, reaching above the archive's root (``..``), a
    drive letter. Backslashes (written by some Windows tools) separate folders."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _is_junk(path: str) -> bool:
    base = posixpath.basename(path)
    return path.startswith(_JUNK_PREFIXES) or base in _JUNK_NAMES or base.startswith("._")


def _is_regular(info: zipfile.ZipInfo) -> bool:
    """A plain file: not a folder, and not a link or device by its Unix mode (an archive
    made on Unix keeps the mode in the top 16 bits of external_attr; a file type of 0
    means none was written, as archivers elsewhere and Python's writestr do)."""
    if info.is_dir():
        return False
    return stat.S_IFMT(info.external_attr >> 16) in (0, stat.S_IFREG)


def choose_model(paths: list[str], archive: str) -> str | None:
    """The one model among the archive's member ``paths``: the most preferred kind
    (MODEL_SUFFIXES), then the shallowest; None when there is none; InputError when
    several tie."""
    models = [p for p in paths if os.path.splitext(p)[1].lower() in MODEL_SUFFIXES]
    if not models:
        return None

    def rank(p: str) -> tuple[int, int]:
        suffix = os.path.splitext(p)[1].lower()
        kind = _USD_SUFFIXES[0] if suffix in _USD_SUFFIXES else suffix
        return MODEL_SUFFIXES.index(kind), p.count("/")

    best = min(rank(p) for p in models)
    tied = sorted(p for p in models if rank(p) == best)
    if len(tied) > 1:
        raise InputError(
            f"the archive holds {len(tied)} models ({_listing(tied)}); {_UNZIP} the one to show", archive
        )
    return tied[0]


def choose_clip(paths: list[str], archive: str) -> str:
    """For an archive without a model: its one video, or the one folder of its frame
    pictures ("" for the archive's root); InputError when there is neither, or more."""
    videos = sorted(p for p in paths if os.path.splitext(p)[1].lower() in VIDEO_SUFFIXES)
    frames = [p for p in paths if os.path.splitext(p)[1].lower() in FRAME_SUFFIXES]
    if len(videos) == 1 and not frames:
        return videos[0]
    if len(frames) == 1 and not videos:
        return frames[0]  # one picture: a still, as it is given on its own
    folders = sorted({posixpath.dirname(p) for p in frames})
    if len(folders) == 1 and not videos:
        return folders[0]
    if not videos and not frames:
        kinds = " ".join(MODEL_SUFFIXES)
        raise InputError(
            f"the archive holds no model ({kinds}), video or picture sequence; {_UNZIP} the file", archive
        )
    counts = {f: sum(posixpath.dirname(p) == f for p in frames) for f in folders}
    found = videos + [f"{f or '.'}/ ({n} picture{'s' if n != 1 else ''})" for f, n in counts.items()]
    raise InputError(
        f"the archive holds {len(found)} clips ({_listing(found)}); {_UNZIP} the one to show", archive
    )


_UNZIP = "unzip it and give holopack"


def _listing(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _unpack(
    zf: zipfile.ZipFile, members: list[tuple[zipfile.ZipInfo, str]], folder: str, archive: str, limit: int
) -> None:
    """Write ``members`` ((info, relative path)) under ``folder``, at most ``limit``
    bytes in all: refused at once when the archive declares more, and counted as they
    are written (a declared size may lie)."""

    def too_big() -> InputError:
        return InputError(
            f"the archive unpacks to more than {limit >> 20:,} MB (HOLOPACK_MEMORY_BUDGET_MB raises "
            "the limit for a model); unzip it and give holopack the file",
            archive,
        )

    if sum(info.file_size for info, _ in members) > limit:
        raise too_big()
    written = 0
    for info, rel in members:
        target = os.path.join(folder, *rel.split("/"))
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with zf.open(info) as src, open(target, "xb") as dst:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > limit:
                        raise too_big()
                    dst.write(chunk)
        except (FileExistsError, NotADirectoryError):
            continue  # two members of one name, or a file where another's folder goes: the first stands
        except RuntimeError as exc:  # zipfile: an encrypted member
            raise InputError(f"cannot read {rel} from the archive: {exc}", archive) from None
        except (zipfile.BadZipFile, EOFError, NotImplementedError, ValueError, zlib.error) as exc:
            raise InputError(f"cannot read {rel} from the archive ({exc})", archive) from None
        except OSError as exc:
            raise InputError(
                f"cannot unpack {rel} into a temporary folder: {exc.strerror}", archive
            ) from None


def _named_in_archive(text: str, folder: str, archive: str) -> str:
    """``text`` with the temporary folder's paths turned into ``archive:member`` names."""
    return text.replace(folder + os.sep, archive + ":").replace(folder, archive)


# archives unpacked for a clip, kept until the process ends: (path, mtime, size) -> folder
_KEPT: dict[tuple[str, int, int], str] = {}
# every folder kept until the process ends (clips', and models' whose variants are
# composed from their files)
_KEPT_FOLDERS: list[str] = []


def _keep(folder: str) -> None:
    if not _KEPT_FOLDERS:
        atexit.register(_remove_kept)
    _KEPT_FOLDERS.append(folder)


def _remove_kept() -> None:
    for folder in _KEPT_FOLDERS:
        shutil.rmtree(folder, ignore_errors=True)
    _KEPT_FOLDERS.clear()
    _KEPT.clear()


def load_zip(path: str) -> Scene:
    """Load the one model, clip or picture sequence in the ZIP archive ``path`` (see the
    module's docstring)."""
    from .load import load  # the member's own loader, by its suffix

    try:
        zf = zipfile.ZipFile(path)
        st = os.stat(path)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError):
        # (zipfile raises NotImplementedError for a central directory of a version it lacks)
        raise InputError("not a readable ZIP archive (damaged, or not a ZIP)", path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise InputError(
                f"the archive has {len(infos):,} members, more than the {MAX_MEMBERS:,} read", path
            )
        members = []
        for info in infos:
            rel = member_path(info.filename)
            if rel is None or not _is_regular(info) or _is_junk(rel):
                continue
            members.append((info, rel))
        paths = [rel for _, rel in members]
        chosen = choose_model(paths, path)
        if chosen is not None:
            # what a model's loader may read: not the authoring files beside it
            # (Sketchfab's source/ folder keeps the original FBX or .blend)
            readable = [(i, r) for i, r in members if not r.lower().endswith(NOT_UNPACKED)]
            folder = tempfile.mkdtemp(prefix="holopack-zip-")
            try:
                _unpack(zf, readable, folder, path, memory_budget_bytes())
                scene = _load_inside(load, folder, chosen, path)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            if scene.variant_loader is None:
                shutil.rmtree(folder, ignore_errors=True)
                return scene
            # a variant composes the model anew from its files (a USD variant set): they
            # stay unpacked until the process ends
            _keep(folder)
            compose, model = scene.variant_loader, chosen
            scene.variant_loader = lambda index: _load_inside(lambda _: compose(index), folder, model, path)
            return scene
        chosen = choose_clip(paths, path)
        version = (os.path.realpath(path), st.st_mtime_ns, st.st_size)
        folder = _KEPT.get(version, "")
        if not os.path.isdir(folder):
            folder = tempfile.mkdtemp(prefix="holopack-zip-")
            try:
                # only the clip's own members: a picture sequence's folder, or the video
                inside = [(i, r) for i, r in members if r == chosen or posixpath.dirname(r) == chosen]
                _unpack(zf, inside, folder, path, MAX_FILE_BYTES)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            _KEPT[version] = folder
            _keep(folder)
        return _load_inside(load, folder, chosen, path)


def _load_inside(load, folder: str, chosen: str, archive: str) -> Scene:
    """load() of member ``chosen`` unpacked under ``folder``, named as the user named it."""

    def rename(text: str) -> str:
        return _named_in_archive(text, folder, archive)

    try:
        with notices.renamed(rename):
            scene = load(os.path.join(folder, *chosen.split("/")) if chosen else folder)
    except InputError as exc:
        raise InputError(rename(exc.message), rename(exc.path) if exc.path else archive) from None
    scene.path = archive
    scene.warnings = [rename(w) for w in scene.warnings]
    return scene
