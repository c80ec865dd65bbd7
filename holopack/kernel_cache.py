"""Keep Numba's on-disk cache honest across modules.

Numba's ``cache=True`` keys a kernel's cache on its own source file's timestamp. A
kernel that inlines ``@njit`` functions from another module keeps its old machine code
when only that other module changes (after a ``git pull``, say). ``refresh`` records a
hash of the dependencies beside the cache and drops the module's cached kernels when
the hash changes. The cache is where Numba keeps it: ``__pycache__`` beside the module,
or a folder under ``NUMBA_CACHE_DIR`` when that is set.
"""
from __future__ import annotations

import glob
import hashlib
import os

from numba.core import config as numba_config
from numba.core.caching import _CacheLocator


def refresh(module_file: str, dependencies: list[str]) -> None:
    """Call at the top of a kernel module, before any kernel is first called.

    module_file: the kernel module's ``__file__``; dependencies: file names beside it
    whose ``@njit`` functions its kernels call.
    """
    folder = os.path.dirname(os.path.abspath(module_file))
    stem = os.path.splitext(os.path.basename(module_file))[0]
    digest = hashlib.sha256()
    for name in dependencies:
        with open(os.path.join(folder, name), "rb") as f:
            digest.update(f.read())
    cache_dir = cache_folder(module_file)
    stamp = os.path.join(cache_dir, f"{stem}.deps-sha256")
    try:
        with open(stamp) as f:
            if f.read().strip() == digest.hexdigest():
                return
    except OSError:
        pass
    try:
        for path in glob.glob(os.path.join(cache_dir, f"{stem}.*.nb[ic]")):
            os.remove(path)
        os.makedirs(cache_dir, exist_ok=True)
        with open(stamp, "w") as f:
            f.write(digest.hexdigest())
    except OSError:  # a read-only install: its files all change together anyway
        pass


def cache_folder(module_file: str) -> str:
    """Where Numba caches the kernels of ``module_file``: ``NUMBA_CACHE_DIR``'s folder
    for the module's directory when that variable is set, else ``__pycache__`` beside it."""
    user_dir = os.environ.get("NUMBA_CACHE_DIR") or getattr(numba_config, "CACHE_DIR", "")
    if user_dir:
        # Numba's own naming of the folder (UserProvidedCacheLocator), so both agree
        return os.path.join(user_dir, _CacheLocator.get_suitable_cache_subpath(module_file))
    return os.path.join(os.path.dirname(os.path.abspath(module_file)), "__pycache__")
