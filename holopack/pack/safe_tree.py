"""Reading and writing inside a package folder through directory handles.

A package folder may have passed through other hands: a ``files`` folder that is a
symlink to someone's home, a manifest that is a FIFO. Every step below the folder the
user named is opened relative to its parent's handle with O_NOFOLLOW, so no symlink
inside the package is ever followed, and only regular files are read or removed.
"""

from __future__ import annotations

import os
import stat

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def open_dir(name: str, dir_fd: int | None = None, create: bool = False) -> int:
    """A handle on folder ``name`` (relative to ``dir_fd``; the user's own path when
    ``dir_fd`` is None, where symlinks are the user's choice). Raises OSError when it is
    missing, not a folder or a symlink (ELOOP/ENOTDIR)."""
    flags = os.O_RDONLY | _DIRECTORY | _CLOEXEC
    if dir_fd is None:
        return os.open(name, flags)
    if create:
        try:
            os.mkdir(name, 0o755, dir_fd=dir_fd)
        except FileExistsError:
            pass
    return os.open(name, flags | _NOFOLLOW, dir_fd=dir_fd)


def _open_regular_at(dir_fd: int, name: str) -> int | None:
    try:
        fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    os.set_blocking(fd, True)
    return fd


def read_file_at(dir_fd: int, name: str, limit: int) -> bytes | None:
    """The bytes of regular file ``name`` in ``dir_fd`` (at most ``limit``), or None when
    it is missing, a symlink, not a regular file or larger than ``limit``."""
    fd = _open_regular_at(dir_fd, name)
    if fd is None:
        return None
    with os.fdopen(fd, "rb") as f:
        if os.fstat(f.fileno()).st_size > limit:
            return None
        return f.read(limit)


def copy_file_from(dir_fd: int, sub: str | None, name: str, destination: str) -> bool:
    """Bring regular file ``sub/name`` (no symlink followed on the way) to
    ``destination``: a hard link where the filesystem allows (an unchanged file keeps
    its inode and time stamp when it is moved back), else a copy. False when there is
    no such plain file. holopack never writes into an existing file, so a link is safe."""
    try:
        sub_fd = open_dir(sub, dir_fd) if sub else os.dup(dir_fd)
    except OSError:
        return False
    try:
        try:
            if stat.S_ISREG(os.stat(name, dir_fd=sub_fd, follow_symlinks=False).st_mode):
                os.link(name, destination, src_dir_fd=sub_fd, follow_symlinks=False)
                return True
            return False
        except OSError:
            pass  # another filesystem, or links not allowed: copy
        fd = _open_regular_at(sub_fd, name)
        if fd is None:
            return False
        with os.fdopen(fd, "rb") as src, open(destination, "wb") as dst:
            while True:
                block = src.read(1 << 20)
                if not block:
                    break
                dst.write(block)
        return True
    finally:
        os.close(sub_fd)


def move_into(source: str, dir_fd: int, name: str) -> None:
    """Rename ``source`` (in our staging folder) onto ``name`` in ``dir_fd``. A rename
    replaces a symlink of that name, it never writes through it."""
    os.rename(source, name, dst_dir_fd=dir_fd)


def remove_file_at(dir_fd: int, sub: str, name: str) -> bool:
    """Remove ``sub/name`` when it is a regular file or a symlink (the link itself, never
    what it points at); folders are left alone."""
    try:
        sub_fd = open_dir(sub, dir_fd)
    except OSError:
        return False
    try:
        mode = os.lstat(name, dir_fd=sub_fd).st_mode
        if stat.S_ISDIR(mode):
            return False
        os.unlink(name, dir_fd=sub_fd)
        return True
    except OSError:
        return False
    finally:
        os.close(sub_fd)
