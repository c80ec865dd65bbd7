"""Putting a finished package in place: carrying an earlier package's files over, and
moving the staged tree (or a .zip of it) to the output without touching anything the
package does not own."""

from __future__ import annotations

import json
import os
import shutil
import stat
import zipfile

from ..atomic import atomic_output
from ..containment import check_file_name
from ..errors import InputError, OutputError
from .layout import FILES, MANIFEST, MANIFEST_FORMAT, PREVIEWS, README
from .safe_tree import copy_file_from, move_into, open_dir, read_file_at, remove_file_at
from .zipsafe import extract, list_entries, read_member


def _zip_folder(folder: str, target: str) -> None:
    with atomic_output(target) as temp:
        with zipfile.ZipFile(temp, "w") as zf:
            for base, dirs, files in os.walk(folder):
                dirs.sort()
                for name in sorted(files):
                    full = os.path.join(base, name)
                    arc = os.path.relpath(full, folder).replace(os.sep, "/")
                    # Device files and text compress well (black is zeros); media is already packed.
                    packed = name.lower().endswith((".mp4", ".gif", ".png"))
                    zf.write(full, arc, compress_type=zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED)


def _listed_names(manifest: dict) -> set[str]:
    """The package paths (relative to the device folder) a manifest lists: its files and
    previews. Only these are carried over or cleaned; nothing else is touched."""
    out = set()
    for entry in manifest.get("items", []):
        if not isinstance(entry, dict):
            continue
        for key, sub in (("file", FILES), ("thumbnail", PREVIEWS), ("preview", PREVIEWS)):
            value = entry.get(key)
            if isinstance(value, str):
                name = value.rsplit("/", 1)[-1]
                if value == f"{sub}/{name}" and _plain(name):
                    out.add(f"{sub}/{name}")
    return out


def _plain(name: str) -> bool:
    try:
        check_file_name(name, "name")
        return True
    except InputError:
        return False


def _extract_old_zip(path: str, folder: str) -> None:
    """Unpack an earlier package's listed files, so that its unchanged files can be kept;
    nothing else in it (a stranger's photo) reaches the new package."""
    wanted = set()
    for info in list_entries(path):
        parts = info.filename.split("/")
        if len(parts) == 2 and parts[1] == MANIFEST and _plain(parts[0]):
            try:
                manifest = json.loads(read_member(path, info.filename) or b"null")
            except (InputError, ValueError, RecursionError):
                continue
            if isinstance(manifest, dict) and manifest.get("format") == MANIFEST_FORMAT:
                wanted.add(info.filename)
                wanted |= {f"{parts[0]}/{name}" for name in _listed_names(manifest)}
    extract(path, folder, wanted=wanted.__contains__)


def _copy_old_folder(output: str, folder: str) -> None:
    """Copy an earlier package folder's manifests and listed files into ``folder`` (our
    staging), reading through directory handles that never follow a symlink: a link
    planted inside the package is not followed, it is left where it is."""
    try:
        root = open_dir(output)
    except OSError:
        return
    try:
        for name in os.listdir(root):
            if not _plain(name):
                continue
            try:
                device = open_dir(name, root)
            except OSError:
                continue  # not a folder, or a symlink: not ours
            try:
                data = read_file_at(device, MANIFEST, limit=64 << 20)
                manifest = json.loads(data) if data is not None else None
                if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
                    continue
                target = os.path.join(folder, name)
                os.makedirs(os.path.join(target, FILES), exist_ok=True)
                os.makedirs(os.path.join(target, PREVIEWS), exist_ok=True)
                for rel in _listed_names(manifest):
                    sub, base = rel.split("/")
                    copy_file_from(device, sub, base, os.path.join(target, sub, base))
                for base in (MANIFEST, README):
                    copy_file_from(device, None, base, os.path.join(target, base))
            except (ValueError, RecursionError):
                continue
            finally:
                os.close(device)
        copy_file_from(root, None, README, os.path.join(folder, README))
    finally:
        os.close(root)


def _commit_folder(staged: str, output: str, devices: dict) -> None:
    """Move the finished package from staging into ``output``, device by device, through
    directory handles (no symlink inside the package is followed): new files first, then
    the files the old manifest listed and the new one does not are removed, then the
    manifest and README last. A device folder new to the package moves in whole."""
    os.makedirs(output, exist_ok=True)
    root = open_dir(output)
    try:
        for _name, device in devices.items():
            folder_name = os.path.basename(device["folder"])
            source = os.path.join(staged, folder_name)
            try:
                target = open_dir(folder_name, root)
            except FileNotFoundError:
                os.rename(source, folder_name, dst_dir_fd=root)
                continue
            except OSError:
                raise OutputError(
                    f"{folder_name} in the package is not a plain folder (a "
                    "symlink?); holopack does not write through it",
                    output,
                ) from None
            sub_fds: dict[str, int] = {}
            try:
                for sub in (FILES, PREVIEWS):  # all checked before anything moves
                    try:
                        sub_fds[sub] = open_dir(sub, target, create=True)
                    except OSError:
                        raise OutputError(
                            f"{folder_name}/{sub} in the package is not a plain "
                            "folder (a symlink?); holopack does not write through "
                            "it",
                            output,
                        ) from None
                old = device["old"] or {}
                new_names = set()
                for sub, sub_fd in sub_fds.items():
                    for base in sorted(os.listdir(os.path.join(source, sub))):
                        new_names.add(f"{sub}/{base}")
                        move_into(os.path.join(source, sub, base), sub_fd, base)
                for rel in sorted(_listed_names(old) - new_names):
                    sub, base = rel.split("/")
                    remove_file_at(target, sub, base)
                for base in (README, MANIFEST):
                    move_into(os.path.join(source, base), target, base)
            finally:
                for sub_fd in sub_fds.values():
                    os.close(sub_fd)
                os.close(target)
        move_into(os.path.join(staged, README), root, README)
    finally:
        os.close(root)


def _commit_walls(staged: str, output: str, walls: list[str]) -> None:
    """Move each finished wall folder from staging into ``output`` whole (its fans' files
    play together, so a wall is replaced as one): an earlier folder of the same name is
    moved aside into staging first, and a symlink there is refused, never followed."""
    if not walls:
        return
    root = open_dir(output)
    try:
        for name in walls:
            check_file_name(name, "wall folder")
            try:
                mode = os.stat(name, dir_fd=root, follow_symlinks=False).st_mode
            except FileNotFoundError:
                mode = None
            if mode is not None:
                if not stat.S_ISDIR(mode):
                    raise OutputError(
                        f"{name} in the package is not a plain folder (a symlink?); holopack does "
                        "not write through it",
                        output,
                    )
                os.rename(name, os.path.join(staged, f".replaced-{name}"), src_dir_fd=root)
            os.rename(os.path.join(staged, name), name, dst_dir_fd=root)
    finally:
        os.close(root)


def _refuse_planted_links(output: str) -> None:
    """Before any rendering: a device folder, files/ or previews/ of the package that is a
    symlink is refused (exit 1); holopack never writes through one."""
    for entry in os.scandir(output):
        if entry.is_symlink() and os.path.isfile(os.path.join(entry.path, MANIFEST)):
            raise OutputError(
                f"{entry.name} in the package is a symlink; holopack does not write through it", output
            )
        if entry.is_dir(follow_symlinks=False):
            for sub in (FILES, PREVIEWS):
                if os.path.islink(os.path.join(entry.path, sub)):
                    raise OutputError(
                        f"{entry.name}/{sub} in the package is a symlink; holopack does not write through it",
                        output,
                    )


def _remove_dead_staging(parent: str, prefix: str) -> None:
    """Remove staging folders of earlier runs for this output whose process is gone (a
    run killed with SIGKILL cannot clean up after itself)."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(prefix) or not entry.is_dir(follow_symlinks=False):
            continue
        pid_text = entry.name[len(prefix) :].split("-", 1)[0]
        if not pid_text.isdigit():
            continue
        try:
            os.kill(int(pid_text), 0)
            continue  # still running: another pack of the same output
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError, ValueError):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
