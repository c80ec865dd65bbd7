"""Write-then-rename, so an interrupted or failed job leaves no partial output."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import OutputError


def _os_error(exc: OSError, path: str) -> OutputError:
    if exc.errno == errno.ENOSPC:
        return OutputError("the disk is full", path)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError("permission denied: cannot write here", path)
    return OutputError(f"cannot write: {exc.strerror or exc}", path)


def check_output_path(path: str) -> str:
    """Fail early, before any rendering, when the output cannot be written."""
    target = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise OutputError("the folder to write into does not exist", path)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError("permission denied: cannot write into this folder", path)
    return target


@contextmanager
def atomic_output(path: str, directory: bool = False) -> Iterator[str]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary name keeps the suffix, since some writers (ffmpeg) choose the
    container by it. On any exception, KeyboardInterrupt included, the temporary file
    or folder is removed and the target is untouched.
    """
    target = check_output_path(path)
    parent, name = os.path.split(target)
    stem, suffix = os.path.splitext(name)
    temp = os.path.join(parent, f".{stem}.{os.getpid()}.partial{suffix}")
    try:
        if directory:
            os.makedirs(temp, exist_ok=True)
        yield temp
        if directory:
            for entry in os.scandir(temp):
                _fsync(entry.path)
            if os.path.isdir(target):
                # replace an earlier export: move it aside, rename, then delete it
                old = os.path.join(parent, f".{stem}.{os.getpid()}.old")
                os.replace(target, old)
                os.replace(temp, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(temp, target)
        else:
            _fsync(temp)
            if os.path.isdir(target):
                raise OutputError("is a folder; give a file name", path)
            os.replace(temp, target)
        _fsync_dir(parent)
    except OSError as exc:
        _remove(temp)
        raise _os_error(exc, path) from None
    except OutputError as exc:
        _remove(temp)
        if exc.path == temp:  # a writer names the file it wrote: the user named the output
            raise OutputError(exc.message, path) from None
        raise
    except BaseException:
        _remove(temp)
        raise


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: str) -> None:
    try:
        _fsync(path)
    except OSError:  # some filesystems refuse fsync on a folder; the rename still holds
        pass


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        try:
            os.remove(path)
        except OSError:
            pass
