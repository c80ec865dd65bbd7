"""Keep Numba's on-disk cache honest across modules, and know when it is cold.

Numba's ``cache=True`` keys a kernel's cache on its own source file. A kernel that
inlines ``@njit`` functions from another module keeps its old machine code when only
that other module changes (after a ``git pull``, say). ``refresh`` records a hash of the
dependencies beside the cache and drops the module's cached kernels when the hash changes.

The cache lives where Numba puts it (``cache_dir``): under ``NUMBA_CACHE_DIR`` when that
is set, else in ``__pycache__`` beside the module when that is writable, else in the
user's cache folder. ``missing_kernels`` says, without importing Numba (which alone
takes a second), how many kernels have no cache yet: the first run's compile notice
(holopack.first_run) appears only when compiling will really happen.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import importlib.metadata
import os
import pickletools
import sys
from collections.abc import Iterator

try:  # POSIX; elsewhere the cache goes unlocked, as Numba leaves it
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_PACKAGE = os.path.dirname(os.path.abspath(__file__))

# Every module with cached kernels (relative to the package) -> the files (relative to it) whose
# @njit functions its kernels inline (as each module passes them to ``refresh``).
KERNEL_MODULES = {
    "colour_kernel.py": ["work_queue.py"],
    "animate/skin_kernel.py": ["../work_queue.py"],
    "device/quantise_kernel.py": [],
    "device/resample_kernel.py": ["rgb_sum.py", "../work_queue.py"],
    "device/sector_weights_kernel.py": [],
    "device/simulate_kernel.py": ["../work_queue.py"],
    "formats/bitplanes_kernel.py": [],
    "rendering/raster_kernel.py": [
        "shading.py",
        "material_columns.py",
        "texture_kernel.py",
        "texel_mix.py",
        "pbr_kernel.py",
        "punctual.py",
        "../work_queue.py",
    ],
    "rendering/pbr_kernel.py": ["texture_kernel.py", "texel_mix.py", "punctual.py", "material_columns.py"],
    "rendering/tonemap_kernel.py": ["raster_kernel.py", "../work_queue.py"],
    "rendering/splat_kernel.py": ["../work_queue.py"],
    "rendering/tangent_kernel.py": ["../work_queue.py"],
    "rendering/shading.py": [],
    "rendering/texture_kernel.py": ["texel_mix.py"],
    "video/alpha_kernel.py": [],
    "video/guide_kernel.py": ["key_kernel.py", "../work_queue.py"],
    "video/holes_kernel.py": [],
    "video/key_kernel.py": ["../work_queue.py"],
    "video/plate_kernel.py": ["../work_queue.py"],
    "wall/fit_kernel.py": ["../work_queue.py"],
    "wall/preview_kernel.py": [],
    "wall/weights_kernel.py": ["../device/sector_weights_kernel.py"],
}


def cache_dir(module_file: str) -> str:
    """The folder Numba caches ``module_file``'s kernels in (its locators' order)."""
    source = os.path.abspath(module_file)
    folder = os.path.dirname(source)
    custom = os.environ.get("NUMBA_CACHE_DIR")
    if custom:
        return os.path.join(custom, _cache_subpath(folder))
    in_tree = os.path.join(folder, "__pycache__")
    if _writable(in_tree):
        return in_tree
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "numba", _cache_subpath(folder))


def _cache_subpath(folder: str) -> str:
    """Numba's name for a source folder inside a cache root: '<last part>_<sha1 of it>'."""
    return "_".join([os.path.split(folder)[-1], hashlib.sha1(folder.encode()).hexdigest()])


def _writable(path: str) -> bool:
    probe = path
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            return False
        probe = parent
    return os.access(probe, os.W_OK)


def _deps_digest(module_file: str, dependencies: list[str]) -> str:
    folder = os.path.dirname(os.path.abspath(module_file))
    digest = hashlib.sha256()
    for name in dependencies:
        with open(os.path.join(folder, name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def _stamp_path(module_file: str) -> str:
    stem = os.path.splitext(os.path.basename(module_file))[0]
    return os.path.join(cache_dir(module_file), f"{stem}.deps-sha256")


LOCK_NAME = ".holopack-cache.lock"  # beside Numba's index and data files


@contextlib.contextmanager
def _folder_lock(folder: str, exclusive: bool) -> Iterator[None]:
    """Hold ``folder``'s cache lock (shared or exclusive) for the block; without one
    where the folder or the lock file cannot be opened (Numba then fails or falls back
    as it would have)."""
    handle = -1
    if fcntl is not None:
        try:
            handle = os.open(os.path.join(folder, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        except OSError:
            if handle >= 0:
                os.close(handle)
            handle = -1
    try:
        yield
    finally:
        if handle >= 0:
            os.close(handle)  # closing releases the lock


def lock_numba_cache() -> None:
    """Make Numba's cache safe for processes that compile at the same time (a cold
    export and its second process, warmup's two processes, a cluster's local workers).

    Numba saves a kernel's cached machine code by reading the kernel's index (key ->
    data file), adding its key under the first free data file name, writing the index
    and then the data file. Two processes that save two specialisations of one kernel at
    once read the same index, take the same name, and the index can end up naming the
    other process's machine code for a key: loaded later, the wrong code runs. Each save
    now holds an exclusive lock on the cache folder, and each load a shared one, so a
    load never sees an index without its data. Idempotent."""
    from numba.core import caching

    cache_file = caching.IndexDataCacheFile
    if getattr(cache_file, "_holopack_locked", False):
        return
    save, load = cache_file.save, cache_file.load

    def locked_save(self, key, data):
        with _folder_lock(self._cache_path, exclusive=True):
            return save(self, key, data)

    def locked_load(self, key):
        with _folder_lock(self._cache_path, exclusive=False):
            return load(self, key)

    cache_file.save, cache_file.load = locked_save, locked_load  # type: ignore[method-assign]
    setattr(cache_file, "_holopack_locked", True)  # noqa: B010  (a class of Numba's)


def refresh(module_file: str, dependencies: list[str] | None = None) -> None:
    """Call at the top of a kernel module, before any kernel is first called.

    module_file: the kernel module's ``__file__``; dependencies: file names beside it
    whose ``@njit`` functions its kernels call (None: the module's KERNEL_MODULES entry).
    """
    lock_numba_cache()
    if dependencies is None:
        package = os.path.dirname(os.path.abspath(__file__))
        relative = os.path.relpath(os.path.abspath(module_file), package).replace(os.sep, "/")
        dependencies = KERNEL_MODULES[relative]
    stem = os.path.splitext(os.path.basename(module_file))[0]
    digest = _deps_digest(module_file, dependencies)
    folder = cache_dir(module_file)
    stamp = _stamp_path(module_file)
    try:
        with open(stamp) as f:
            if f.read().strip() == digest:
                return
    except OSError:
        pass
    try:
        for path in glob.glob(os.path.join(folder, f"{stem}.*.nb[ic]")):
            os.remove(path)
        os.makedirs(folder, exist_ok=True)
        with open(stamp, "w") as f:
            f.write(digest)
    except OSError:  # a read-only install: its files all change together anyway
        pass


def _indexes(module_file: str) -> list[str]:
    """The module's cache index files (one per compiled kernel) for this Python."""
    stem = os.path.splitext(os.path.basename(module_file))[0]
    tag = f"py{sys.version_info[0]}{sys.version_info[1]}"
    return glob.glob(os.path.join(cache_dir(module_file), f"{stem}.*.{tag}*.nbi"))


def is_cached(relative: str) -> bool:
    """True when a kernel module (a KERNEL_MODULES key) has cached kernels that Numba
    will load: an index that Numba wrote for the module's source as it is now
    (``index_matches``), and its inlined files unchanged since. By file time (an index
    newer than its source) a ``git checkout`` that rewrote a file with its old content
    said "compiling" although Numba, which compares the source's SHA-256, compiled
    nothing."""
    module_file = os.path.join(_PACKAGE, relative)
    try:
        with open(module_file, "rb") as f:
            source = f.read()
        stat = os.stat(module_file)
        stamps = (hashlib.sha256(source).digest(), (stat.st_mtime, stat.st_size))
        version = _numba_version()
        if not any(index_matches(p, stamps, version) for p in _indexes(module_file)):
            return False
        dependencies = KERNEL_MODULES.get(relative, [])
        if dependencies:
            with open(_stamp_path(module_file)) as f:
                return f.read().strip() == _deps_digest(module_file, dependencies)
    except OSError:
        return False
    return True


def index_matches(index: str, stamps: tuple, version: str | None) -> bool:
    """Whether Numba will take the cache index file ``index`` as fresh: written by Numba
    ``version`` (None: not checked) for a source whose stamp is one of ``stamps`` (its
    SHA-256 digest, as Numba 0.60 and later stamp it, or (st_mtime, st_size), as earlier
    releases did). Read as Numba's IndexDataCacheFile writes it: a pickled version
    string, then a pickled (source stamp, overloads) tuple. The pickles are walked with
    pickletools, not loaded: the overloads hold Numba's types, and loading them imports
    Numba, the second that the first-run notice must not wait for."""
    try:
        with open(index, "rb") as f:
            data = f.read()
        written_by = None
        end = 0
        for op, arg, pos in pickletools.genops(data):
            if isinstance(arg, str) and written_by is None:
                written_by = arg
            if op.name == "STOP":
                end = int(pos or 0) + 1  # (a position: read from bytes, never None)
                break
        if not end or (version is not None and written_by != version):
            return False
        values = []
        for op, arg, _ in pickletools.genops(data[end:]):
            if isinstance(arg, bytes):  # the digest: the tuple's first value
                return arg in stamps
            if isinstance(arg, (int, float)) and op.name not in ("PROTO", "FRAME"):
                values.append(arg)
                if len(values) == 2:  # (st_mtime, st_size)
                    return (float(values[0]), int(values[1])) in stamps
    except (OSError, ValueError):  # gone, unreadable, or not a pickle
        return False
    return False


def _numba_version() -> str | None:
    """The installed Numba's version, as its cache indexes record it, without importing
    it; None where the package's metadata cannot be read."""
    try:
        return importlib.metadata.version("numba")
    except importlib.metadata.PackageNotFoundError:
        return None


def indexes_since(start: float) -> int:
    """How many kernel cache indexes were written at or after ``start`` (time.time())."""
    count = 0
    for relative in KERNEL_MODULES:
        for path in _indexes(os.path.join(_PACKAGE, relative)):
            try:
                count += os.path.getmtime(path) >= start
            except OSError:
                pass
    return count
