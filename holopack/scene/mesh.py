"""OBJ / STL / PLY / OFF through trimesh, checked, as a Scene.

trimesh parses the formats well but on broken files raises whatever its parser hit or
silently drops bad data; here every fault becomes an InputError in the user's words.
"""

from __future__ import annotations

import io
import logging
import os

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..colour import srgb_to_linear
from ..containment import check_regular, open_regular, read_reference, shorten
from ..errors import InputError
from ..limits import MAX_DRAW_ITEMS, MemoryBudget
from .lfs import HEAD_BYTES, pointer_message
from .mesh_text import as_utf8, byte_order_mark, utf8_model
from .mtl import ObjMaterials, find_file, read_obj_materials, read_vertex_colours
from .normals import vertex_normals
from .pictures import check_encoded_picture, rgba_array
from .scene import Scene
from .types import DrawItem, Material, Mesh, Node, Primitive, Texture

# The file's own axes are kept: which way is up (an STL from CAD is usually Z-up) is
# decided where the model is viewed (holopack.animate.orientation, --up/--front).


def load_mesh(path: str) -> Scene:
    check_regular(path, "model")
    if os.path.splitext(path)[1].lower() == ".ply":
        splats = _splat_scene(path)  # a Gaussian splat twin: its PLY header says so
        if splats is not None:
            return splats
    return _load_surfaces(path)


def _load_surfaces(path: str) -> Scene:
    import trimesh

    suffix = os.path.splitext(path)[1].lower()
    resolver = _ContainedResolver(path)
    capture = _LogCapture()
    try:
        loaded, text = _read(path, suffix, resolver, capture)
    except InputError:
        raise
    except Exception as exc:  # trimesh raises anything its parsers hit
        if resolver.refused is not None:
            raise resolver.refused from None
        raise InputError(f"not a readable {suffix[1:].upper()} file ({_short(exc)})", path) from None
    if resolver.refused is not None:  # trimesh skips an asset it cannot get; we do not
        raise resolver.refused from None
    scene = Scene(path=path)
    obj_materials = None
    if suffix == ".obj":
        try:
            obj_materials = read_obj_materials(path, text)
            obj_materials.vertex_colours = read_vertex_colours(path, text)
        except OSError as exc:
            raise InputError(f"cannot read a material library: {exc.strerror}", path) from None
        scene.warnings.extend(obj_materials.warnings)
    elif capture.messages:
        scene.warnings.append(capture.summary())
    if not isinstance(loaded, trimesh.Scene):  # force="scene" gives a Scene
        raise InputError(f"not a readable {suffix[1:].upper()} file (not a scene)", path)
    try:
        geometry_nodes = list(loaded.graph.nodes_geometry)
    except Exception as exc:
        raise InputError(f"not a readable {suffix[1:].upper()} file ({_short(exc)})", path) from None
    if len(geometry_nodes) > MAX_DRAW_ITEMS:  # an OBJ of 100,000 one-face `o` objects
        raise InputError(
            f"the file holds {len(geometry_nodes):,} objects, more than the {MAX_DRAW_ITEMS:,} holopack draws",
            path,
        )
    for node_name in geometry_nodes:
        transform, geometry_name = loaded.graph[node_name]
        geometry = loaded.geometry[geometry_name]
        if not hasattr(geometry, "faces") or geometry.faces is None or len(geometry.faces) == 0:
            scene.warnings.append(f"{geometry_name}: no triangles (points or lines are not drawn)")
            continue
        primitive = _primitive(scene, geometry, path, str(geometry_name), obj_materials, resolver.budget)
        mesh_index = len(scene.meshes)
        scene.meshes.append(Mesh(name=str(geometry_name), primitives=[primitive]))
        matrix = np.asarray(transform, np.float64)
        node = Node(name=str(node_name), mesh=mesh_index, matrix=matrix)
        node.translation = matrix[:3, 3].copy()
        scene.nodes.append(node)
        scene.roots.append(len(scene.nodes) - 1)
        scene.draw_items.append(DrawItem(node=len(scene.nodes) - 1, mesh=mesh_index, primitive=0, skin=None))
    if not scene.draw_items:
        return _without_surfaces(path, loaded)
    return scene


def _without_surfaces(path: str, loaded) -> Scene:
    """A file whose geometry holds no triangles: a scan's point cloud drawn as splats
    (holopack.scene.point_cloud), else one line saying what it holds."""
    from .point_cloud import MIN_POINTS, point_cloud_scene

    cloud = _point_cloud(loaded)
    if cloud is not None and len(cloud[0]) >= MIN_POINTS:  # a scan's points: drawn as splats
        return point_cloud_scene(path, *cloud)
    points = sum(len(getattr(g, "vertices", ())) for g in loaded.geometry.values())
    if points:  # a few points, or a wireframe: say so, not "no triangles" alone
        raise InputError(
            f"the file holds no triangles to draw, only points or lines ({points:,} "
            f"vertices): a wireframe, or too few points to draw as a point cloud ({MIN_POINTS} "
            "or more)",
            path,
        )
    raise InputError("the file holds no triangles to draw", path)


def _point_cloud(loaded) -> tuple[np.ndarray, np.ndarray | None] | None:
    """(points (N, 3) float64 in the scene's frame, colours (N, 3) float64 in [0, 1] or
    None) of every point cloud of a trimesh Scene, or None when it holds none. Colours
    only where every cloud has them."""
    import trimesh

    points, colours = [], []
    for node_name in loaded.graph.nodes_geometry:
        transform, geometry_name = loaded.graph[node_name]
        geometry = loaded.geometry[geometry_name]
        if not isinstance(geometry, trimesh.PointCloud):
            continue
        vertices = np.asarray(geometry.vertices, np.float64)
        if vertices.ndim != 2 or vertices.shape[1] != 3 or not len(vertices):  # trimesh keeps 2-D points 2-D
            continue
        with np.errstate(invalid="ignore", over="ignore"):  # points not finite: left out later
            points.append(
                vertices @ np.asarray(transform, np.float64)[:3, :3].T + np.asarray(transform)[:3, 3]
            )
        rgba = getattr(geometry, "colors", None)
        has = rgba is not None and len(rgba) == len(vertices) and np.asarray(rgba).ndim == 2
        colours.append(np.asarray(rgba, np.float64)[:, :3] / 255.0 if has else None)
    if not points:
        return None
    known = all(c is not None for c in colours)
    return np.concatenate(points), (np.concatenate(colours) if known else None)  # type: ignore[arg-type]


def _splat_scene(path: str) -> Scene | None:
    """A Gaussian splat twin's Scene when the PLY's header says it is one, else None."""
    from .splat_ply import load_splats, splat_header

    header = splat_header(path)
    return None if header is None else load_splats(path, header)


_PLY_HEADER_BYTES = 1 << 16


def _check_ascii_ply_counts(path: str) -> None:
    """Refuse an ASCII PLY whose header declares more elements (vertices, faces, ...)
    than the file has lines after the header (one element a line, as the format has
    it). trimesh read what was there without a word: a header of 10^9 faces with one
    written drew one triangle and said nothing. A binary PLY's length trimesh checks."""
    with open_regular(path, "model") as f:
        head = f.read(_PLY_HEADER_BYTES)
        end = head.find(b"end_header")
        if not head.startswith(b"ply") or end < 0:
            return  # not a PLY header we can read: trimesh reports it
        header = head[:end].decode("ascii", "replace").split("\n")
        if not any(line.split()[:2] == ["format", "ascii"] for line in header):
            return
        declared = 0
        for line in header:
            words = line.split()
            if len(words) == 3 and words[0] == "element" and words[2].isdigit():
                declared += int(words[2])
        newline = head.find(b"\n", end)
        if newline < 0:
            return
        block = head[newline + 1 :]
        lines, last = block.count(b"\n"), block[-1:]
        while lines < declared and (block := f.read(1 << 20)):
            lines, last = lines + block.count(b"\n"), block[-1:]
    lines += last not in (b"", b"\n")  # a last line without its newline
    if lines < declared:
        raise InputError(
            f"the header declares {declared:,} elements (vertices, faces, ...) but the file "
            f"holds {lines:,} lines of them: it is cut short or its header is wrong",
            path,
        )


def _read(path: str, suffix: str, resolver, capture):
    """(trimesh's Scene of the file, its text re-encoded as UTF-8 or None when it was
    read as it is). The text is looked at up front only for a byte-order mark (four
    bytes), and in whole only when trimesh could not read it as UTF-8
    (holopack.scene.mesh_text)."""
    if suffix == ".ply":
        _check_ascii_ply_counts(path)
    text = _utf8_text(path, suffix) if _has_byte_order_mark(path) else None
    try:
        return _trimesh_load(path, suffix, text, resolver, capture), text
    except (UnicodeDecodeError, ImportError):
        # not UTF-8: trimesh decodes it only with an optional package (charset_normalizer)
        text = _utf8_text(path, suffix) if text is None else None
        if text is None:
            raise
        return _trimesh_load(path, suffix, text, resolver, capture), text


def _trimesh_load(path: str, suffix: str, text: bytes | None, resolver, capture):
    """trimesh's Scene of the file, read from ``path`` or, when given, from ``text``
    (the file re-encoded as UTF-8)."""
    import trimesh

    source = path if text is None else io.BytesIO(text)
    with capture:
        return trimesh.load(
            source,
            file_type=suffix[1:],
            force="scene",
            process=False,
            maintain_order=True,
            # trimesh calls only get/namespaced/[] on a resolver (duck typed); its stub
            # names the Resolver base class, which would import trimesh at module load
            resolver=resolver,
        )


def _has_byte_order_mark(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return byte_order_mark(f.read(4)) is not None
    except OSError:
        return False  # trimesh's own read reports it


def _utf8_text(path: str, suffix: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    return utf8_model(data, suffix)


class _ContainedResolver:
    """trimesh's way to the files a model names (an OBJ's mtllib, a material's map_Kd),
    through the containment rule. trimesh swallows a resolver's errors and draws without
    the asset, so the first refusal is also kept for ``load_mesh`` to raise."""

    def __init__(self, path: str, folder: str = ""):
        self.path = path
        self.folder = folder  # a namespace below the model's folder
        self.refused: InputError | None = None
        self.budget = MemoryBudget(path)
        self.file_path = path
        self.file_name = os.path.basename(path)

    def get(self, name: str) -> bytes:
        reference = os.path.join(self.folder, name.strip()) if self.folder else name.strip()
        # found as a Windows tool would find it (other separators, case, or beside the
        # model): the same search as holopack's own MTL reader. A file that is simply not
        # there is not a refusal: trimesh goes without it and the MTL reader warns.
        model_folder = os.path.dirname(os.path.abspath(self.path))
        found = find_file(model_folder, reference)
        if found is None:
            raise FileNotFoundError(reference)
        reference = os.path.relpath(os.path.abspath(found), model_folder)
        try:
            data = read_reference(
                reference, self.path, "referenced file", limit=self.budget.total - self.budget.used
            )
            self.budget.spend(len(data), f"referenced file '{shorten(reference)}'")
            if reference.lower().endswith(".mtl"):
                # a material library in Latin-1 or with a byte-order mark, as UTF-8:
                # trimesh would otherwise drop all its materials (holopack.scene.mesh_text)
                return as_utf8(data) or data
            # a picture that trimesh decodes itself (an OBJ's or a PLY's texture) must fit
            # the budget on its own, and a JPEG's scans are bounded, before it gets it
            check_encoded_picture(data, MemoryBudget(self.path), f"texture '{shorten(reference)}'")
            return data
        except InputError as exc:
            if self.refused is None:
                self.refused = exc
            raise

    def __getitem__(self, name: str) -> bytes:
        return self.get(name)

    def namespaced(self, namespace: str) -> _ContainedResolver:
        child = _ContainedResolver(self.path, os.path.join(self.folder, namespace))
        child.budget = self.budget
        return child

    def keys(self):
        return iter(())

    def __contains__(self, name: str) -> bool:
        return False

    def write(self, name: str, data) -> None:
        raise InputError("holopack does not write beside the model", self.path)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


class _LogCapture(logging.Handler):
    """Holds trimesh's log records during a load instead of letting them reach the console
    raw; the ones that matter become one holopack warning (see ``summary``)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self._logger = logging.getLogger("trimesh")

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().strip().splitlines()
        if text and text[0] not in self.messages:
            self.messages.append(text[0][:160])

    def summary(self) -> str:
        more = len(self.messages) - 1
        return f"the file reader reported: {self.messages[0]}" + (f" (and {more} more)" if more else "")

    def __enter__(self):
        self._propagate = self._logger.propagate
        self._logger.addHandler(self)
        self._logger.propagate = False
        return self

    def __exit__(self, *exc):
        self._logger.removeHandler(self)
        self._logger.propagate = self._propagate
        return False


def _primitive(
    scene: Scene,
    geometry,
    path: str,
    name: str,
    obj_materials: ObjMaterials | None = None,
    budget: MemoryBudget | None = None,
) -> Primitive:
    positions, indices = _checked_geometry(geometry, path, name)
    normals = None
    file_normals = getattr(geometry, "_cache", None)
    if "vertex_normals" in getattr(geometry, "vertex_attributes", {}):
        normals = np.asarray(geometry.vertex_attributes["vertex_normals"], np.float32)
    del file_normals
    if normals is None or normals.shape != positions.shape or not np.all(np.isfinite(normals)):
        normals = vertex_normals(positions, indices)
    else:
        lengths = np.linalg.norm(normals, axis=1, keepdims=True)
        normals = np.where(
            lengths > 1e-12, normals / np.maximum(lengths, 1e-12), vertex_normals(positions, indices)
        ).astype(np.float32)

    # OBJ/STL/PLY carry no PBR data: a dielectric look, and both sides drawn since
    # their winding is not reliable.
    material = Material(name="default", double_sided=True, metallic_factor=0.0, roughness_factor=0.6)
    uv: list[np.ndarray] = []
    colors = None
    visual = geometry.visual
    kind = getattr(visual, "kind", None)
    if obj_materials is not None:
        uv, colors = _obj_visual(
            scene, geometry, material, obj_materials, len(positions), budget or MemoryBudget(path)
        )
        kind = None
    if kind == "texture":
        _texture_visual(scene, visual, material, len(positions), uv)
    elif kind == "vertex":
        vc = np.asarray(visual.vertex_colors, np.float32)
        if vc.shape[0] == len(positions):
            colors = np.ones((len(positions), 4), np.float32)
            colors[:, :3] = srgb_to_linear(vc[:, :3] / 255.0)
            colors[:, 3] = vc[:, 3] / 255.0 if vc.shape[1] > 3 else 1.0
    elif kind == "face":
        # per-face colours: split vertices so each face carries its own colour
        fc = np.asarray(visual.face_colors, np.float32)
        positions = positions[indices].reshape(-1, 3)
        normals = normals[indices].reshape(-1, 3)
        colors = np.ones((len(positions), 4), np.float32)
        colors[:, :3] = np.repeat(srgb_to_linear(fc[:, :3] / 255.0), 3, axis=0)
        colors[:, 3] = np.repeat(fc[:, 3] / 255.0, 3)
        indices = np.arange(len(positions), dtype=np.int32).reshape(-1, 3)
    scene.materials.append(material)
    return Primitive(
        positions=np.ascontiguousarray(positions),
        normals=np.ascontiguousarray(normals),
        indices=indices,
        material=len(scene.materials) - 1,
        uv=uv,
        colors=colors,
        name=str(name),
    )


def _checked_geometry(geometry, path: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(positions float32 (N, 3), triangle indices int32 (T, 3)) of a trimesh geometry;
    an InputError for points that are not 3D or finite, or faces that are not triangles
    of its vertices."""
    positions = np.asarray(geometry.vertices, np.float32)
    faces = np.asarray(geometry.faces)
    if positions.ndim != 2 or positions.shape[1] != 3:
        raise InputError(f"{name}: vertices are not 3D points", path)
    if not np.all(np.isfinite(positions)):
        bad = int((~np.isfinite(positions)).any(axis=1).sum())
        raise InputError(f"{name}: {bad} vertices have NaN or infinite coordinates", path)
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise InputError(f"{name}: faces are not triangles", path)
    if faces.min() < 0 or faces.max() >= len(positions):
        raise InputError(
            f"{name}: a face refers to vertex {int(faces.max())} but there are only "
            f"{len(positions)} vertices",
            path,
        )
    return positions, np.ascontiguousarray(faces, np.int32)


def _texture_visual(scene: Scene, visual, material: Material, vertices: int, uv: list[np.ndarray]) -> None:
    """A textured trimesh visual into ``material`` (its name, base colour factor and
    texture, added to the scene) and its UV set into ``uv``."""
    mat = visual.material
    material.name = str(getattr(mat, "name", "") or "material")
    image = None
    factor = None
    if hasattr(mat, "baseColorTexture"):  # PBRMaterial
        image = mat.baseColorTexture
        factor = mat.baseColorFactor
    else:  # SimpleMaterial (OBJ/MTL)
        image = getattr(mat, "image", None)
        factor = getattr(mat, "diffuse", None)
        if image is not None and _is_stand_in(image):
            # UVs but no picture named (a PLY's "comment TextureFile" absent): trimesh's
            # stand-in would draw the model in its dark grey (100/255, 0.13 linear)
            scene.warnings.append(
                f"{material.name}: texture coordinates but no texture picture; drawn without one"
            )
            return
    if factor is not None:
        f = np.asarray(factor, np.float32).ravel()
        if f.max() > 1.0:
            f = f / 255.0
        rgba = np.ones(4, np.float32)
        rgba[: min(4, len(f))] = f[:4]
        rgba[:3] = srgb_to_linear(rgba[:3])
        material.base_color_factor = rgba
    if visual.uv is not None and len(visual.uv) == vertices and image is not None:
        coords = np.asarray(visual.uv, np.float32)[:, :2].copy()
        coords[:, 1] = 1.0 - coords[:, 1]  # trimesh keeps OpenGL's v-up; glTF's is v-down
        uv.append(coords)
        pixels = rgba_array(image)
        scene.textures.append(Texture(pixels=pixels, name=material.name))
        material.base_color_texture = len(scene.textures) - 1


def _is_stand_in(image) -> bool:
    """Whether ``image`` is the (2, 2) picture of one grey that trimesh gives a textured
    visual whose file names no picture (trimesh.visual.material.color_image)."""
    from trimesh.visual.material import color_image

    stand_in = np.asarray(color_image().convert("RGBA"))
    return image.size == (2, 2) and np.array_equal(np.asarray(image.convert("RGBA")), stand_in)


def _obj_visual(
    scene: Scene, geometry, material: Material, table: ObjMaterials, count: int, budget: MemoryBudget
):
    """An OBJ primitive's colour as its files say: the MTL's Kd and map_Kd (read by
    holopack.scene.mtl), the UVs and the ``v x y z r g b`` vertex colours as trimesh parsed
    them. Returns (uv list, colours (N, 4) float32 linear or None); fills ``material``."""
    visual = geometry.visual
    trimesh_material = getattr(visual, "material", None)
    name = str(getattr(trimesh_material, "name", "") or "")
    entry = table.materials.get(name)
    uv: list[np.ndarray] = []
    raw_uv = getattr(visual, "uv", None)
    if raw_uv is not None and len(raw_uv) == count:
        coords = np.asarray(raw_uv, np.float32)[:, :2].copy()
        coords[:, 1] = 1.0 - coords[:, 1]  # OBJ's v points up; glTF's (ours) points down
        uv.append(coords)
    if entry is not None:
        material.name = entry.name
        rgba = np.ones(4, np.float32)
        if entry.kd is not None:
            rgba[:3] = srgb_to_linear(np.clip(np.asarray(entry.kd, np.float32), 0.0, 1.0))
        rgba[3] = entry.opacity
        if entry.opacity < 1.0:
            material.alpha_mode = "BLEND"
        material.base_color_factor = rgba
        if entry.map_kd is not None:
            if not uv:
                scene.warnings.append(
                    f"material '{entry.name}' has a texture but its faces have "
                    "no texture coordinates; drawn in its Kd colour"
                )
            else:
                pixels = _read_picture(entry.map_kd, scene, budget)
                if pixels is not None:
                    scene.textures.append(Texture(pixels=pixels, name=os.path.basename(entry.map_kd)))
                    material.base_color_texture = len(scene.textures) - 1
    colors = None
    vertex_colors = _obj_vertex_colours(geometry, count)
    if vertex_colors is not None:
        exact = table.vertex_colours
        if (
            exact is not None
            and len(exact[0]) == count
            and np.allclose(exact[0], np.asarray(geometry.vertices, np.float64), atol=1e-6)
        ):
            vertex_colors[:, :3] = np.clip(exact[1], 0.0, 1.0)  # the file's full precision
        colors = np.ones((count, 4), np.float32)
        colors[:, :3] = srgb_to_linear(vertex_colors[:, :3])
        colors[:, 3] = vertex_colors[:, 3]
    if material.base_color_texture is None:
        uv = []
    return uv, colors


def _obj_vertex_colours(geometry, count: int) -> np.ndarray | None:
    """``v x y z r g b`` colours as trimesh kept them: (N, 4) float32 in 0..1, or None."""
    visual = geometry.visual
    values = None
    if getattr(visual, "kind", None) == "vertex":
        values = np.asarray(visual.vertex_colors)
    elif "color" in getattr(visual, "vertex_attributes", {}):
        values = np.asarray(visual.vertex_attributes["color"])
    if values is None or values.ndim != 2 or len(values) != count or values.shape[1] < 3:
        return None
    values = values.astype(np.float32)
    if values.max(initial=0.0) > 1.0:
        values = values / 255.0
    out = np.ones((count, 4), np.float32)
    out[:, : min(4, values.shape[1])] = values[:, :4]
    return out


def _read_picture(path: str, scene: Scene, budget: MemoryBudget) -> np.ndarray | None:
    """A texture file as (H, W, 4) uint8, or None with a warning. Its pixels are counted
    against the model's ``budget`` and a JPEG's scans bounded before it is decoded (an
    InputError names the model): a 13000 x 13000 PNG of 300 KB took 3.4 GB here."""
    try:
        with open_regular(path, "texture") as f:
            data = f.read(budget.total - budget.used + 1)
    except InputError as exc:
        raise InputError(f"texture '{shorten(os.path.basename(path))}' {exc.message}", budget.path) from None
    what = f"texture '{shorten(os.path.basename(path))}'"
    if len(data) > budget.total - budget.used:
        budget.spend(len(data), what)  # refuses: more bytes than the budget has left
    try:
        if not check_encoded_picture(data, budget, what):
            raise UnidentifiedImageError(what)
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()
            return rgba_array(picture).copy()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
    ) as exc:
        stub = _lfs_stub(path)
        why = stub if stub is not None else f"cannot be decoded ({type(exc).__name__})"
        scene.warnings.append(f"texture '{os.path.basename(path)}' {why}; drawn without it")
        return None


def _lfs_stub(path: str) -> str | None:
    """lfs.pointer_message for the file at ``path`` (None when unreadable or not one)."""
    try:
        with open(path, "rb") as f:
            return pointer_message(f.read(HEAD_BYTES))
    except OSError:
        return None
