"""Content hashes: of an input with every file it pulls in, and of a device profile.

A package re-renders an item only when one of these changes, so each hash covers
everything that decides the output: a .gltf's external buffers and textures, an
OBJ's material library and its texture maps.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import struct
from urllib.parse import unquote

CHUNK = 1 << 20


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
        with open(path, "rb") as f:
            head = f.read(12)
            if head[:4] == b"glTF":
                length, kind = struct.unpack("<I4s", f.read(8))
                if kind != b"JSON":
                    return None
                return json.loads(f.read(length))
            f.seek(0)
            return json.loads(f.read())
    except (OSError, ValueError, struct.error):
        return None  # the loader reports a broken file; the hash then covers the file alone


def _gltf_dependencies(path: str) -> list[str]:
    doc = _gltf_json(path)
    if not isinstance(doc, dict):
        return []
    uris = []
    for key in ("buffers", "images"):
        entries = doc.get(key)
        if isinstance(entries, list):
            for entry in entries:
                uri = entry.get("uri") if isinstance(entry, dict) else None
                if isinstance(uri, str) and uri and not uri.startswith("data:"):
                    uris.append(unquote(uri))
    return uris


def _obj_dependencies(path: str) -> list[str]:
    out = []
    base = os.path.dirname(path)
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            libs = [line.split(None, 1)[1].strip() for line in f
                    if line.startswith("mtllib") and len(line.split(None, 1)) == 2]
    except OSError:
        return []
    for lib in libs:
        out.append(lib)
        try:
            with open(os.path.join(base, lib), "r", encoding="utf-8", errors="replace") as f:
                for line in f:
                    parts = line.split()
                    if parts and parts[0].lower().startswith("map_") and len(parts) > 1:
                        out.append(os.path.join(os.path.dirname(lib), parts[-1]))
        except OSError:
            pass
    return out


def source_files(path: str) -> list[str]:
    """The input and the files it references that exist, input first (absolute paths)."""
    path = os.path.abspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".gltf", ".glb", ".vrm"):
        deps = _gltf_dependencies(path)
    elif suffix == ".obj":
        deps = _obj_dependencies(path)
    else:
        deps = []
    base = os.path.dirname(path)
    files = [path]
    for dep in deps:
        full = os.path.normpath(os.path.join(base, dep))
        if os.path.isfile(full) and full not in files:
            files.append(full)
    return files


def source_hash(path: str) -> tuple[str, list[dict]]:
    """(SHA-256 over the input and its dependencies, per-file [{path, sha256, bytes}]).

    Paths in the list are relative to the input's folder, so the hash does not change
    when the whole folder moves.
    """
    base = os.path.dirname(os.path.abspath(path))
    entries = []
    combined = hashlib.sha256()
    for full in source_files(path):
        rel = os.path.relpath(full, base).replace(os.sep, "/")
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
    blob = json.dumps({"source": source_sha, "settings": settings, "profile": profile_sha,
                       "holopack": version}, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()
