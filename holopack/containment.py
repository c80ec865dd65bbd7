"""What holopack may read and where it may write: the containment rule (docs/security.md).

holopack reads the files a user named, and the files those reference inside the
referencing file's own folder (and below). A reference that leaves the folder (an
absolute path, ``../``, a ``%2F``-encoded separator, a symlink pointing out), a device
file, a FIFO or a socket is refused with one line naming the reference. Trusted inputs
may lift the folder rule (``--allow-outside-files``: ``allow_outside_files(True)``);
the kind-of-file rule always holds.

Every reader goes through this module, so the rule lives here and nowhere else.
"""

from __future__ import annotations

import contextvars
import os
import stat
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import InputError, OutputError

# longest reference quoted in an error line; the rest is elided
_SHOWN = 80
_OUTSIDE_ALLOWED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "holopack_outside_files_allowed", default=False
)
# bytes in one file name on every filesystem we write to
_NAME_BYTES = 255


def shorten(text: str, limit: int = _SHOWN) -> str:
    """``text`` as an error line quotes it: control characters escaped, at most ``limit``
    characters (a 100 KB URI must not become a 100 KB error line)."""
    shown = text.encode("unicode_escape", "backslashreplace").decode("ascii")
    if len(shown) > limit:
        shown = shown[: limit - 12] + f"...({len(text)} chars)"
    return shown


def outside_files_allowed() -> bool:
    return _OUTSIDE_ALLOWED.get()


@contextmanager
def allow_outside_files(allowed: bool = True) -> Iterator[None]:
    """Lift (or keep) the folder rule for everything read inside the block."""
    token = _OUTSIDE_ALLOWED.set(bool(allowed))
    try:
        yield
    finally:
        _OUTSIDE_ALLOWED.reset(token)


def _kind_fault(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file"
    return "is not a regular file"


def _not_found(what: str) -> str:
    return f"{what} not found" if what == "file" or what.endswith(" file") else f"{what} file not found"


def check_regular(path: str | os.PathLike, what: str = "file") -> str:
    """``path`` (a file the user named) if it is a regular file, following symlinks;
    else an InputError. Device files, FIFOs and sockets would hang or never end."""
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(_not_found(what), path) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.strerror})", path) from None
    fault = _kind_fault(mode)
    if fault:
        raise InputError(fault, path)
    return path


def open_regular(path: str | os.PathLike, what: str = "file"):
    """Open ``path`` for reading in binary mode, refusing anything but a regular file.

    The check is made on the opened descriptor (fstat), so a FIFO swapped in after a
    check cannot make the open hang: O_NONBLOCK keeps a FIFO's open from waiting.
    """
    path = os.fspath(path)
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    )
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(_not_found(what), path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.strerror})", path) from None
    try:
        fault = _kind_fault(os.fstat(fd).st_mode)
        if fault:
            raise InputError(fault, path)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike, what: str = "file", limit: int | None = None) -> bytes:
    """The bytes of a regular file, refusing files larger than ``limit`` bytes before
    reading them."""
    with open_regular(path, what) as f:
        if limit is not None:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise InputError(
                    f"the {what} is {size:,} bytes, more than the {limit:,} holopack reads", os.fspath(path)
                )
            data = f.read(limit + 1)
            if len(data) > limit:
                raise InputError(
                    f"the {what} is more than the {limit:,} bytes holopack reads", os.fspath(path)
                )
            return data
        return f.read()


def _inside(folder: str, target: str) -> bool:
    try:
        return os.path.commonpath([folder, target]) == folder
    except ValueError:  # different drives
        return False


def resolve_reference(
    reference: str, referencing_file: str | os.PathLike, what: str = "file", *, encoded: bool = False
) -> str:
    """The path of ``reference`` as named inside ``referencing_file``, checked against the
    rule: it must stay in the referencing file's folder (and below), symlinks resolved,
    and be a regular file. ``encoded``: the reference is a URI (``%2F`` and the like are
    decoded first, so an encoded separator cannot sneak past the check).

    Raises InputError naming the referencing file and the (shortened) reference.
    """
    source = os.fspath(referencing_file)
    shown = shorten(reference)
    text = urllib.parse.unquote(reference) if encoded else reference
    if "\0" in text:
        raise InputError(f"{what} '{shown}': the name holds a NUL character", source)
    folder = os.path.dirname(os.path.abspath(source))
    allowed = outside_files_allowed()
    if not allowed:
        if os.path.isabs(text) or text.startswith(("/", "\\")) or (len(text) > 1 and text[1] == ":"):
            raise InputError(
                f"{what} '{shown}' is an absolute path; holopack reads only files "
                "inside the referencing file's folder (--allow-outside-files "
                "lifts this for trusted inputs)",
                source,
            )
        parts = text.replace("\\", "/").split("/")
        if ".." in parts:
            raise InputError(
                f"{what} '{shown}' leaves the referencing file's folder (..); "
                "holopack reads only files inside it (--allow-outside-files "
                "lifts this for trusted inputs)",
                source,
            )
    target = os.path.normpath(os.path.join(folder, os.path.expanduser(text) if allowed else text))
    if not allowed and not _inside(os.path.realpath(folder), os.path.realpath(target)):
        raise InputError(
            f"{what} '{shown}' points outside the referencing file's folder "
            "(through a symlink); holopack reads only files inside it "
            "(--allow-outside-files lifts this for trusted inputs)",
            source,
        )
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        raise InputError(f"{what} '{shown}' is missing", source) from None
    except OSError as exc:
        raise InputError(f"{what} '{shown}' cannot be read ({exc.strerror})", source) from None
    fault = _kind_fault(mode)
    if fault:
        raise InputError(f"{what} '{shown}' {fault}", source)
    return target


def read_reference(
    reference: str,
    referencing_file: str | os.PathLike,
    what: str = "file",
    *,
    encoded: bool = False,
    limit: int | None = None,
) -> bytes:
    """The bytes of a referenced file, after ``resolve_reference``'s checks; at most
    ``limit`` bytes (a larger file is refused before it is read)."""
    target = resolve_reference(reference, referencing_file, what, encoded=encoded)
    source = os.fspath(referencing_file)
    shown = shorten(reference)
    try:
        with open_regular(target, what) as f:
            if limit is not None and os.fstat(f.fileno()).st_size > limit:
                raise InputError(
                    f"{what} '{shown}' is larger than the {limit:,} bytes holopack reads", source
                )
            return f.read() if limit is None else f.read(limit)
    except InputError as exc:
        if exc.path == source:
            raise
        raise InputError(f"{what} '{shown}': {exc.message}", source) from None


def folder_entry(folder: str | os.PathLike, name: str, what: str = "picture") -> str:
    """The path of ``name``, an entry of a folder the user named (a folder of numbered
    pictures), checked like a reference: a symlink leading out of the folder, or to a
    device, a FIFO or a socket, is refused with one line naming the folder and the entry.
    A symlink in a frame folder pointing at /etc/passwd or at a picture elsewhere was
    read (and a picture elsewhere drawn) before this check."""
    folder = os.fspath(folder)
    try:
        # a stand-in for a file in the folder: the folder is what references it
        return resolve_reference(name, os.path.join(folder, "_"), what)
    except InputError as exc:
        raise InputError(exc.message, folder) from None


def is_contained_reference(
    reference: str, referencing_file: str | os.PathLike, *, encoded: bool = False
) -> str | None:
    """The path of ``reference`` if the rule lets it be read (a regular file inside the
    folder, or anywhere when outside files are allowed), else None. For listing
    dependencies, where a refused file is simply not listed (the loader reports it)."""
    try:
        return resolve_reference(reference, referencing_file, encoded=encoded)
    except InputError:
        return None


def check_file_name(name: str, what: str, source: str | os.PathLike | None = None) -> str:
    """``name`` if it is a plain file name (no folder part, not '.', '..' or hidden
    traversal, no control characters, at most 255 bytes); else an InputError naming
    ``source`` (the file the name came from). Every name built from data (a profile's
    suffix, an item's name, a fan's folder) passes here before anything is written."""
    shown = shorten(name)
    if not isinstance(name, str) or not name:
        raise InputError(f"{what} is empty; it must be a plain file name", source)
    if "/" in name or "\\" in name or name in (".", ".."):
        raise InputError(f"{what} '{shown}' is not a plain file name (it names a folder)", source)
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InputError(f"{what} '{shown}' holds control characters", source)
    if len(name.encode("utf-8", "surrogatepass")) > _NAME_BYTES:
        raise InputError(f"{what} '{shown}' is longer than {_NAME_BYTES} bytes", source)
    return name


def check_output_not_input(output: str | os.PathLike, inputs) -> None:
    """Refuse (exit 2) an output that is one of the inputs: nothing a user gave is ever
    overwritten. Compares the files themselves (same device and inode) as well as paths."""
    out = os.fspath(output)
    try:
        out_stat = os.stat(out)
    except OSError:
        out_stat = None
    out_real = os.path.realpath(out)
    for given in inputs:
        if given is None:
            continue
        given = os.fspath(given)
        same = os.path.realpath(given) == out_real
        if not same and out_stat is not None:
            try:
                st = os.stat(given)
                same = (st.st_dev, st.st_ino) == (out_stat.st_dev, out_stat.st_ino)
            except OSError:
                pass
        if same:
            raise InputError(
                "the output is the input file; give another output name "
                "(holopack never overwrites its input)",
                out,
            )


def check_output_not_folder(output: str | os.PathLike, folder_ok: bool = False) -> None:
    """An output file that is an existing folder fails before any work (exit 1)."""
    out = os.fspath(output)
    if not folder_ok and os.path.isdir(out):
        raise OutputError("is a folder; give a file name", out)
