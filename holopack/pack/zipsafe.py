"""Reading a package .zip that came from someone else.

A zip can name paths that leave the folder it is unpacked into (``/etc/x``,
``../x``, ``C:\\x``), hold links, claim sizes it does not have, or expand a few
kilobytes into gigabytes. ``extract`` unpacks only plain files under safe relative
names, within a budget of entries and bytes (checked on the declared sizes and again
while the bytes are written), and turns every fault of the archive into one
InputError naming the zip.
"""

from __future__ import annotations

import contextlib
import os
import stat
import zipfile
import zlib
from collections.abc import Iterator

from ..containment import shorten
from ..errors import InputError
from .layout import MANIFEST, MANIFEST_FORMAT

# generous for a package (a few dozen clips per fan, previews beside them)
MAX_ENTRIES = 20_000
MAX_TOTAL_BYTES = 8 << 30
_CHUNK = 1 << 20
# what the zip module raises on a damaged or unsupported archive
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    KeyError,
    IndexError,
    UnicodeDecodeError,
    OverflowError,
)


@contextlib.contextmanager
def _zip_faults(path: str) -> Iterator[None]:
    """A damaged archive's fault (zipfile's, zlib's, the file system's) as one
    InputError naming the package; our own InputErrors pass through."""
    try:
        yield
    except InputError:
        raise
    except ZIP_ERRORS as exc:
        raise InputError(
            f"not a readable zip package ({shorten(str(exc) or type(exc).__name__)})", path
        ) from None


def safe_name(name: str) -> list[str] | None:
    """The parts of an entry name when it is a safe relative file path, else None."""
    if not name or "\0" in name or name.startswith(("/", "\\")) or "\\" in name:
        return None
    if len(name) > 1 and name[1] == ":":
        return None
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts[:-1]) or parts[-1] in (".", ".."):
        return None
    if any(ord(c) < 32 for c in name):
        return None
    return parts


def _is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR)


def list_entries(path: str) -> list[zipfile.ZipInfo]:
    """The zip's entries (checked for count and declared size), or InputError."""
    with _zip_faults(path), zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise InputError(
            f"the zip holds {len(infos):,} entries, more than the {MAX_ENTRIES:,} a package may have", path
        )
    if sum(max(0, i.file_size) for i in infos) > MAX_TOTAL_BYTES:
        raise InputError(f"the zip unpacks to more than {MAX_TOTAL_BYTES >> 30} GB", path)
    return infos


def read_member(path: str, name: str, limit: int = 64 << 20) -> bytes | None:
    """One entry's bytes (at most ``limit``), or None when it is missing."""
    with _zip_faults(path), zipfile.ZipFile(path) as zf:
        try:
            info = zf.getinfo(name)
        except KeyError:
            return None
        if info.file_size > limit:
            raise InputError(f"{shorten(name)} in the zip is larger than {limit:,} bytes", path)
        with zf.open(info) as f:
            data = f.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"{shorten(name)} in the zip is larger than {limit:,} bytes", path)
    return data


def extract(path: str, folder: str, wanted=None) -> list[str]:
    """Unpack the plain files of the zip at ``path`` into ``folder`` (which we created);
    ``wanted``: a predicate on entry names, None for all. Returns the unsafe names that
    were skipped (absolute, ``..``, links, odd characters). Raises InputError on a
    damaged archive or one beyond the budget."""
    infos = list_entries(path)
    skipped = []
    written = 0
    with _zip_faults(path), zipfile.ZipFile(path) as zf:
        for info in infos:
            if info.filename.endswith("/"):
                continue  # a folder entry: folders are made as files need them
            parts = safe_name(info.filename)
            if parts is None or _is_link(info):
                skipped.append(info.filename)
                continue
            if wanted is not None and not wanted(info.filename):
                continue
            target = os.path.join(folder, *parts)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
            with os.fdopen(fd, "wb") as out, zf.open(info) as f:
                while True:
                    block = f.read(_CHUNK)
                    if not block:
                        break
                    written += len(block)
                    if written > MAX_TOTAL_BYTES:
                        raise InputError(f"the zip unpacks to more than {MAX_TOTAL_BYTES >> 30} GB", path)
                    out.write(block)
    return skipped


def is_package_zip(path: str) -> bool:
    """True when the zip at ``path`` is a holopack package: a device folder's manifest
    with holopack's format marker."""
    import json

    try:
        infos = list_entries(path)
    except InputError:
        return False
    for info in infos:
        parts = safe_name(info.filename)
        if parts and len(parts) == 2 and parts[1] == MANIFEST:
            try:
                data = json.loads(read_member(path, info.filename) or b"null")
            except (InputError, ValueError):
                continue
            if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT:
                return True
    return False
