"""Wavefront MTL material libraries, read as the OBJ's author wrote them.

trimesh parses OBJ geometry well, but it quietly drops what it cannot resolve in an
MTL: a ``map_Kd`` with options (``-s 1 1 1 tex.png``), a Windows path
(``textures\\wood.jpg``), a name whose case differs on disk. A model then comes out grey
without a word. Here the libraries named by ``mtllib`` are read with their own rules and
every texture is looked for the way the authoring tools meant it; what is still missing
becomes one warning naming the file.
"""

from __future__ import annotations

import io
import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..containment import resolve_reference
from .lfs import HEAD_BYTES, pointer_message
from .mesh_text import as_utf8

# map_* options and how many values each takes (MTL spec, plus common extensions)
_MAP_OPTIONS = {
    "-blendu": 1,
    "-blendv": 1,
    "-bm": 1,
    "-boost": 1,
    "-cc": 1,
    "-clamp": 1,
    "-imfchan": 1,
    "-mm": 2,
    "-o": 3,
    "-s": 3,
    "-t": 3,
    "-texres": 1,
    "-type": 1,
}


@dataclass
class MtlMaterial:
    """One ``newmtl``. kd : (r, g, b) as written (display colour, 0..1); opacity from
    ``d`` (or 1 - ``Tr``); map_kd : the texture path as resolved on disk, or None."""

    name: str
    kd: tuple[float, float, float] | None = None
    opacity: float = 1.0
    d: float | None = None  # as written; d wins over Tr
    tr: float | None = None
    map_kd: str | None = None
    map_kd_written: str | None = None  # the name as the file gave it


@dataclass
class ObjMaterials:
    materials: dict[str, MtlMaterial] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    libraries: list[str] = field(default_factory=list)
    # (positions, colours) from read_vertex_colours, when the vertices carry colours
    vertex_colours: tuple[np.ndarray, np.ndarray] | None = None


def _obj_lines(obj_path: str, text: bytes | None) -> Iterator[bytes]:
    """The OBJ's lines as bytes: from ``text`` (the file re-encoded as UTF-8, see
    holopack.scene.mesh_text) when given, else from the file."""
    if text is not None:
        yield from io.BytesIO(text)
        return
    with open(obj_path, "rb") as f:
        yield from f


def read_obj_materials(obj_path: str, text: bytes | None = None) -> ObjMaterials:
    """The materials of every ``mtllib`` an OBJ names, with warnings for what is missing;
    ``text``: the OBJ re-encoded as UTF-8 where it was not (else it is read from disk)."""
    result = ObjMaterials()
    folder = os.path.dirname(os.path.abspath(obj_path))
    for rest in _mtllib_lines(obj_path, text):
        # usually one name; a name with spaces in it is tried whole before splitting
        whole = find_file(folder, rest)
        names = [rest] if whole else rest.split()
        for name in names:
            path = whole or find_file(folder, name)
            if path is None:
                result.warnings.append(
                    f"the material library '{name}' is missing; its materials are drawn in plain grey"
                )
                continue
            _contained(path, obj_path, "material library")
            if path not in result.libraries:
                result.libraries.append(path)
                _read_mtl(path, result)
    return result


def _mtllib_lines(obj_path: str, text: bytes | None = None) -> list[str]:
    lines: list[str] = []
    for raw in _obj_lines(obj_path, text):
        if raw[:7] in (b"mtllib ", b"mtllib\t"):
            rest = raw[7:].decode("utf-8", "replace").strip()
            if rest:
                lines.append(rest)
    return lines


def _read_mtl(path: str, result: ObjMaterials) -> None:
    current: MtlMaterial | None = None
    with open(path, "rb") as f:
        data = f.read()
    stub = pointer_message(data[:HEAD_BYTES])
    if stub is not None:
        result.warnings.append(
            f"the material library '{os.path.basename(path)}' {stub}; its materials are drawn in plain grey"
        )
        return
    # as trimesh is handed it (holopack.scene.mesh's resolver), so the names match
    text = as_utf8(data)
    for raw in io.BytesIO(data if text is None else text):
        line = raw.decode("utf-8", "replace").strip()
        if not line or line.startswith("#"):
            continue
        key, _, rest = line.replace("\t", " ").partition(" ")
        key = key.lower()
        rest = rest.strip()
        if key == "newmtl":
            current = MtlMaterial(name=rest)
            result.materials[rest] = current
        elif current is None:
            continue
        elif key == "kd":
            values = _floats(rest)
            if len(values) >= 3:
                current.kd = (values[0], values[1], values[2])
            elif len(values) == 1:
                current.kd = (values[0],) * 3
        elif key == "d":
            values = _floats(rest.replace("-halo", ""))
            if values:
                current.d = min(1.0, max(0.0, values[0]))
        elif key == "tr":
            values = _floats(rest)
            if values:
                current.tr = values[0]
        elif key == "map_kd":
            _read_map_kd(current, rest, path, result)
    for material in result.materials.values():
        _set_opacity(material, result)


def _read_map_kd(current: MtlMaterial, rest: str, path: str, result: ObjMaterials) -> None:
    """A ``map_Kd`` line of the library at ``path``: the picture found beside it."""
    written = texture_name(rest)
    current.map_kd_written = written
    current.map_kd = find_file(os.path.dirname(path), written) if written else None
    if current.map_kd is not None:
        _contained(current.map_kd, path, "texture")
    if written and current.map_kd is None:
        result.warnings.append(
            f"material '{current.name}': its texture '{written}' "
            f"(named in {os.path.basename(path)}) is missing; drawn in its Kd colour"
        )


def _set_opacity(material: MtlMaterial, result: ObjMaterials) -> None:
    """``opacity`` from ``d``, else from ``1 - Tr``. "Tr 1" with no d is fully
    transparent by the letter, the whole model invisible (trimesh's capsule.obj and
    fuze.obj, Meshlab's export, came out blank): the exporters that write it mean Tr as
    d, opaque, as their Kd and texture beside it say."""
    if material.d is not None:
        material.opacity = material.d
    elif material.tr is not None and material.tr >= 1.0:
        material.opacity = 1.0
        warning = (
            f"material '{material.name}': 'Tr {material.tr:g}' without 'd' would make it "
            "invisible; read as opaque (its exporter wrote Tr for d)"
        )
        if warning not in result.warnings:
            result.warnings.append(warning)
    elif material.tr is not None:
        material.opacity = min(1.0, max(0.0, 1.0 - material.tr))


def _contained(found: str, referencing_file: str, what: str) -> None:
    """The containment rule (docs/security.md) on a file an OBJ or MTL names: found
    outside the referencing file's folder, it is refused with one line."""
    folder = os.path.dirname(os.path.abspath(referencing_file))
    resolve_reference(os.path.relpath(os.path.abspath(found), folder), referencing_file, what)


def texture_name(rest: str) -> str:
    """The file name of a ``map_Kd`` line after its options."""
    try:
        tokens = shlex.split(rest, posix=True) if '"' in rest else rest.split()
    except ValueError:
        tokens = rest.split()
    i = 0
    while i < len(tokens) and tokens[i].lower() in _MAP_OPTIONS:
        i += 1 + _MAP_OPTIONS[tokens[i].lower()]
    return " ".join(tokens[i:])


def find_file(folder: str, written: str) -> str | None:
    """A file an MTL or OBJ refers to: relative to ``folder``, with Windows separators,
    or matched without regard to case or to its directories (as Windows tools would)."""
    name = written.replace("\\", "/").strip()
    if not name:
        return None
    candidates = [name if os.path.isabs(name) else os.path.join(folder, name)]
    candidates.append(os.path.join(folder, os.path.basename(name)))
    for candidate in candidates:
        if _named_file(candidate):
            return candidate
    wanted = os.path.basename(name).lower()
    try:
        for entry in sorted(os.listdir(folder)):
            if entry.lower() == wanted and _named_file(os.path.join(folder, entry)):
                return os.path.join(folder, entry)
    except OSError:
        return None
    return None


def _named_file(path: str) -> bool:
    """Whether ``path`` is there and is not a folder. A device, FIFO or socket counts as
    found, so that the containment rule refuses it by name: taken for missing, a map_Kd
    naming /dev/zero through a symlink was passed over with a warning."""
    return os.path.exists(path) and not os.path.isdir(path)


def _floats(text: str) -> list[float]:
    values = []
    for token in text.split():
        try:
            values.append(float(token))
        except ValueError:
            break
    return values


def read_vertex_colours(obj_path: str, text: bytes | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The ``v x y z r g b`` lines of an OBJ at full precision (trimesh keeps 8 bits):
    (positions (N, 3) float64, colours (N, 3) float64 as written), or None when the
    file's vertices carry no colours; ``text`` as for read_obj_materials."""
    rows = []
    for raw in _obj_lines(obj_path, text):
        if raw[:2] != b"v ":
            continue
        rows.append(raw.split()[1:7])
    if not rows or any(len(r) < 6 for r in rows):
        return None
    try:
        values = np.array(rows, dtype=np.float64)
    except ValueError:
        return None
    return values[:, :3], values[:, 3:6]
