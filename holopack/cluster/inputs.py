"""Inputs shipped to workers that share no file system with the client.

An input is the file a user named plus every file it pulls in (a .gltf's .bin
buffers and textures, an OBJ's material library and maps): ``sources.source_files``,
the same list the incremental cache hashes. The client reads them once into an
``InputBundle`` addressed by the SHA-256 of their names and bytes; the cluster holds
one copy, and each worker writes it to its local disk once, under that hash, for all
the tasks that need it.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass

from ..errors import ClusterError, InputError
from ..scene.sources import source_files

CACHE_DIR_NAME = "holopack-inputs"
DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES)  # a folder that takes no file


@dataclass(frozen=True)
class InputBundle:
    """sha256: hex digest over (relative path, bytes) of every file; main: the input's
    path relative to the bundle's root; files: ((relative path, bytes), ...)."""

    sha256: str
    main: str
    files: tuple

    @property
    def nbytes(self) -> int:
        return sum(len(data) for _, data in self.files)


def read_bundle(path: str) -> InputBundle:
    """Read ``path`` and the files it references into one bundle (a folder of numbered
    pictures: its pictures, the folder itself the bundle's main path ".")."""
    path = os.path.abspath(os.fspath(path))
    if not os.path.isfile(path) and not os.path.isdir(path):
        raise InputError("input file not found", path)
    paths = source_files(path)
    if not paths:
        raise InputError("the folder holds no pictures", path)
    root = os.path.commonpath([os.path.dirname(p) for p in paths])
    digest = hashlib.sha256()
    files = []
    for full in paths:
        rel = os.path.relpath(full, root).replace(os.sep, "/")
        try:
            with open(full, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise InputError(f"cannot read ({exc.strerror})", full) from None
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
        files.append((rel, data))
    main = os.path.relpath(path, root).replace(os.sep, "/")
    return InputBundle(sha256=digest.hexdigest(), main=main, files=tuple(files))


def worker_name() -> str:
    """The Dask worker's address, or this process's id outside Dask."""
    if "distributed" in sys.modules:
        try:
            return sys.modules["distributed"].get_worker().address
        except ValueError:  # not inside a Dask worker
            pass
    return f"pid {os.getpid()}"


def unwritable(folder: str, exc: OSError) -> ClusterError:
    """A worker's temporary folder that takes no file (full, read-only, gone), as one
    line naming the worker and the folder. A raw OSError reached the user as an
    "internal error" naming neither. A fault of the cluster, not of one file: pack
    says it once, not once for every file the worker was given."""
    why = exc.strerror or errno.errorcode.get(exc.errno or 0, "") or str(exc)
    return ClusterError(
        f"the worker {worker_name()} cannot write its temporary folder {folder} ({why}); "
        "every worker needs a writable $TMPDIR with room for the inputs and one file"
    )


def materialise(ref, cache_root: str | None = None) -> str:
    """On a worker: the local path of an input. ``ref`` is a path (shared file system)
    or an InputBundle, written under ``<tmp>/holopack-inputs/<sha256>/`` the first time
    and reused after (written to a temporary folder, renamed when complete, so two
    workers on one machine never see half a copy)."""
    if not isinstance(ref, InputBundle):
        path = os.fspath(ref)
        if not os.path.exists(path):  # the client checked it: this worker sees other files
            raise ClusterError(
                f"the worker {worker_name()} cannot see {path}; --shared-fs needs every "
                "worker to see this machine's files at the same paths"
            )
        return path
    cache_root = cache_root or os.path.join(tempfile.gettempdir(), CACHE_DIR_NAME)
    folder = os.path.join(cache_root, ref.sha256)
    main = os.path.normpath(os.path.join(folder, *ref.main.split("/")))
    if os.path.exists(main):  # a file, or the folder of a picture clip
        return main
    try:
        return _write_bundle(ref, cache_root, folder, main)
    except OSError as exc:
        raise unwritable(cache_root, exc) from None


def _write_bundle(ref: InputBundle, cache_root: str, folder: str, main: str) -> str:
    os.makedirs(cache_root, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{ref.sha256[:16]}.", dir=cache_root)
    try:
        for rel, data in ref.files:
            parts = rel.split("/")
            if ".." in parts or rel.startswith("/"):
                raise InputError(f"input bundle names a file outside itself: {rel}")
            target = os.path.join(staging, *parts)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
        try:
            os.rename(staging, folder)
        except OSError:
            if not os.path.exists(main):  # not another worker's finished copy: a real fault
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return main
