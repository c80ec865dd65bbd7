"""Content hashes: of an input with every file it pulls in, and of a device profile.

A package re-renders an item only when one of these changes, so each hash covers
everything that decides the output: a .gltf's external buffers and textures, an
OBJ's material library and its texture maps, a loose USD stage's layers and textures
(a .usdz holds its own), a SOG splat folder's pictures.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import struct

from ..containment import is_contained_reference, open_regular
from ..errors import InputError

CHUNK = 1 << 20
_MAX_JSON = 64 << 20


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


def _gltf_json(path: str) -> dict | None:
    try:
        with open_regular(path, "model") as f:
            head = f.read(12)
            if head[:4] == b"glTF":
                length, kind = struct.unpack("<I4s", f.read(8))
                if kind != b"JSON" or length > _MAX_JSON:
                    return None
                return json.loads(f.read(length))
            f.seek(0)
            return json.loads(f.read(_MAX_JSON))
    except (OSError, ValueError, struct.error, RecursionError, InputError):
        return None  # the loader reports a broken file; the hash then covers the file alone


def _used_images(doc: dict) -> set[int]:
    """Images that a material's texture shows: only these are read, so only these are
    hashed and listed (an unused image naming a file elsewhere must not leak into a
    manifest)."""
    found = doc.get("textures")
    textures: list = found if isinstance(found, list) else []
    used_textures: set[int] = set()
    stack = list(doc.get("materials") or []) if isinstance(doc.get("materials"), list) else []
    while stack:  # every {"index": n} inside a material is a texture reference
        value = stack.pop()
        if isinstance(value, dict):
            if isinstance(value.get("index"), int) and not isinstance(value.get("index"), bool):
                used_textures.add(value["index"])
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    images: set[int] = set()
    for index in used_textures:
        if 0 <= index < len(textures) and isinstance(textures[index], dict):
            texture = textures[index]
            sources = [texture.get("source")]
            extensions = texture.get("extensions")
            if isinstance(extensions, dict):
                sources += [e.get("source") for e in extensions.values() if isinstance(e, dict)]
            images |= {i for i in sources if isinstance(i, int) and not isinstance(i, bool)}
    return images


def _gltf_dependencies(path: str) -> list[str]:
    doc = _gltf_json(path)
    if not isinstance(doc, dict):
        return []
    uris = []
    used_images = _used_images(doc)
    for key in ("buffers", "images"):
        entries = doc.get(key)
        if isinstance(entries, list):
            for index, entry in enumerate(entries):
                if key == "images" and index not in used_images:
                    continue
                uri = entry.get("uri") if isinstance(entry, dict) else None
                if isinstance(uri, str) and uri and not uri.startswith("data:"):
                    target = is_contained_reference(uri, path, encoded=True)
                    if target is not None:
                        uris.append(target)
    return uris


def _obj_dependencies(path: str) -> list[str]:
    out = []
    try:
        with open_regular(path, "model") as f:
            libs = [
                line.split(None, 1)[1].strip()
                for line in f.read().decode("utf-8", "replace").splitlines()
                if line.startswith("mtllib") and len(line.split(None, 1)) == 2
            ]
    except InputError:
        return []
    for lib in libs:
        target = is_contained_reference(lib, path)
        if target is None:
            continue  # refused by the rule: the loader reports it
        out.append(target)
        try:
            with open_regular(target, "material library") as f:
                for line in f.read(_MAX_JSON).decode("utf-8", "replace").splitlines():
                    parts = line.split()
                    if parts and parts[0].lower().startswith("map_") and len(parts) > 1:
                        texture = is_contained_reference(os.path.join(os.path.dirname(lib), parts[-1]), path)
                        if texture is not None:
                            out.append(texture)
        except InputError:
            pass
    return out


def _sog_dependencies(path: str) -> list[str]:
    """The pictures a SOG splat's meta.json names (holopack.scene.splat_sog), those the
    containment rule lets it read."""
    try:
        with open_regular(path, "model") as f:
            meta = json.loads(f.read(_MAX_JSON))
    except (InputError, OSError, ValueError, UnicodeDecodeError):
        return []
    out = []
    for field in ("means", "scales", "quats", "sh0", "shN"):
        entry = meta.get(field) if isinstance(meta, dict) else None
        names = entry.get("files") if isinstance(entry, dict) else None
        for name in names if isinstance(names, list) else []:
            full = is_contained_reference(name, path) if isinstance(name, str) else None
            if full is not None:
                out.append(full)
    return out


def source_files(path: str) -> list[str]:
    """The input and the files it references that exist, input first (absolute paths).
    A folder of numbered pictures (a clip) is its pictures, in play order."""
    path = os.path.abspath(path)
    if os.path.isdir(path):
        from .splat_sog import folder_meta

        meta = folder_meta(path)  # a SOG splat capture: its meta.json and pictures
        if meta is not None:
            return source_files(meta)
        from ..video.decode import folder_pictures

        return folder_pictures(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".gltf", ".glb", ".vrm"):
        deps = _gltf_dependencies(path)
    elif suffix == ".obj":
        deps = _obj_dependencies(path)
    elif suffix in (".usd", ".usda", ".usdc"):
        from .usd.package import dependencies

        deps = dependencies(path)
    elif suffix == ".json":
        deps = _sog_dependencies(path)
    else:
        deps = []
    files = [path]
    for full in deps:  # already through the containment rule: inside, regular files
        full = os.path.normpath(full)
        if full not in files:
            files.append(full)
    return files


def source_hash(path: str) -> tuple[str, list[dict]]:
    """(SHA-256 over the input and its dependencies, per-file [{path, sha256, bytes}]).

    Paths in the list are relative to the input's folder, so the hash does not change
    when the whole folder moves (a frame folder's pictures: ``frames/0001.png``, so a
    renamed, added or changed frame changes the hash).
    """
    base = os.path.dirname(os.path.abspath(path))
    entries = []
    combined = hashlib.sha256()
    for full in source_files(path):
        rel = os.path.relpath(full, base).replace(os.sep, "/")
        if rel.startswith("../"):  # allowed outside the folder: hashed, listed by name only
            rel = "(outside)/" + os.path.basename(full)
        sha = file_sha256(full)
        entries.append({"path": rel, "sha256": sha, "bytes": os.path.getsize(full)})
        combined.update(f"{rel}\0{sha}\n".encode())
    return combined.hexdigest(), entries


def profile_hash(profile) -> str:
    """SHA-256 of every parsed value of a profile (not where it was read from)."""
    values = dataclasses.asdict(profile)
    values.pop("source", None)
    values.pop("text", None)
    blob = json.dumps(values, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def content_key(source_sha: str, settings: dict, profile_sha: str, version: str) -> str:
    """The key an item's device file is cached under: any change re-renders it."""
    blob = json.dumps(
        {"source": source_sha, "settings": settings, "profile": profile_sha, "holopack": version},
        sort_keys=True,
    ).encode()
    return hashlib.sha256(blob).hexdigest()
