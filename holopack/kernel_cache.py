"""Keep Numba's on-disk cache honest across modules.

Numba's ``cache=True`` keys a kernel's cache on its own source file's timestamp. A
kernel that inlines ``@njit`` functions from another module keeps its old machine code
when only that other module changes (after a ``git pull``, say). ``refresh`` records a
hash of the dependencies beside the cache and drops the module's cached kernels when
the hash changes.
"""
from __future__ import annotations

import glob
import hashlib
import os


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
    cache_dir = os.path.join(folder, "__pycache__")
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
