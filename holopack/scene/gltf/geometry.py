"""glTF geometry: the node tree, meshes and their primitives (with compressed and morph
targets), and the depth-first walk that lists what is drawn."""

from __future__ import annotations

import math

import numpy as np

from ...limits import MAX_DRAW_ITEMS, MAX_NODES
from .. import draco
from ..normals import vertex_normals
from ..scene import Scene
from ..tangents import clean_tangents, generate_for_primitive, normal_texture_texcoord
from ..types import DrawItem, Mesh, MorphTargets, Node, Primitive
from .accessors import _COMPONENT_DTYPES, _dequantize
from .container import _DECODERS, _INSTALL_HINT, _UNDECODABLE_EXTENSIONS
from .materials import MaterialReader

VARIANTS = "KHR_materials_variants"

_MODE_NAMES = {
    0: "POINTS",
    1: "LINES",
    2: "LINE_LOOP",
    3: "LINE_STRIP",
    4: "TRIANGLES",
    5: "TRIANGLE_STRIP",
    6: "TRIANGLE_FAN",
}
# deeper node chains are no real model's and would make posing slow (levels per frame)
_MAX_NODE_DEPTH = 4096
INSTANCING = "EXT_mesh_gpu_instancing"
# what one drawn vertex costs each frame: its posed position and normal (float32 x 3 each)
_POSED_VERTEX_BYTES = 24


class GeometryReader(MaterialReader):
    # -- nodes -----------------------------------------------------------------------
    def _read_nodes(self) -> list[Node]:
        specs = self._list(self.gltf, "nodes", "the file")
        self._check_node_count(len(specs), "the file has")
        nodes = []
        for i, spec in enumerate(specs):
            where = f"node {i}"
            node = Node(name=str(spec.get("name", "")))
            children = self._list(spec, "children", where)
            children = [self._index_item(c, len(specs), f"{where} has child", "node") for c in children]
            if len(set(children)) != len(children):
                self.warn(f"{where} lists a child twice; the duplicate was ignored")
                children = list(dict.fromkeys(children))
            node.children = list(children)
            if "matrix" in spec:
                m = self._numbers(spec["matrix"], 16, f"{where} matrix", None)
                matrix = m.reshape(4, 4).T  # JSON is column-major
                node.matrix = matrix
                if not np.allclose(matrix[3], [0, 0, 0, 1]):
                    self.fail(f"{where}: matrix has a projective bottom row")
                node.translation, node.rotation, node.scale = _decompose(matrix)
                if any(k in spec for k in ("translation", "rotation", "scale")):
                    self.warn(f"{where} has both a matrix and TRS; the matrix was used")
            else:
                node.translation = self._numbers(
                    spec.get("translation"), 3, f"{where} translation", [0.0, 0.0, 0.0]
                )
                node.rotation = self._rotation(spec, where)
                node.scale = self._numbers(spec.get("scale"), 3, f"{where} scale", [1.0, 1.0, 1.0])
            node.mesh = self._ref(spec, "mesh", where, "meshes")
            node.skin = self._ref(spec, "skin", where, "skins")
            node.weights = self._weights(spec, where)
            nodes.append(node)
        # an instanced node -> its instances' nodes, which its morph weight channels drive
        self._instanced: dict[int, list[int]] = {}
        for i, spec in enumerate(specs):
            extensions = spec.get("extensions")
            if isinstance(extensions, dict) and INSTANCING in extensions:
                self._instances(nodes, i, extensions[INSTANCING])
                self._check_node_count(len(nodes), "with its instances, the file has")
        self._parents = self._check_tree(nodes)
        return nodes

    def _check_node_count(self, count: int, what: str) -> None:
        if count > MAX_NODES:
            self.fail(f"{what} {count:,} nodes, more than the {MAX_NODES:,} holopack reads")

    def _instances(self, nodes: list[Node], index: int, spec) -> None:
        """EXT_mesh_gpu_instancing: node ``index`` draws its mesh once per instance, at
        node world x instance TRS. Each instance becomes a child node of its own (the
        instance's TRS, the node's mesh and morph weights) and the node keeps none, so
        posing, framing and both renderers draw the instances as they draw any node; a
        channel of the node's morph weights drives every instance (animation.py).

        Without this a file that gltfpack -mi, Blender or three.js wrote with instancing
        (a forest, a row of bolts, a crowd) showed one copy, at the node's origin.
        """
        where = f"node {index} {INSTANCING}"
        spec = self._dict(spec, where)
        node = nodes[index]
        if node.mesh is None:
            self.warn(f"{where}: the node has no mesh; the instancing was ignored")
            return
        if node.skin is not None:
            self.warn(f"{where}: a skinned node cannot be instanced; drawn once")
            return
        attributes = self._dict(spec.get("attributes", {}), f"{where} attributes")
        arrays: dict[str, np.ndarray] = {}
        for name, width in (("TRANSLATION", 3), ("ROTATION", 4), ("SCALE", 3)):
            if name not in attributes:
                continue
            ref = self._ref(attributes, name, f"{where} {name}", "accessors", required=True)
            values = self._float_attribute(ref, f"{where} {name}")
            if values.ndim != 2 or values.shape[1] != width:
                self.fail(f"{where}: {name} must be VEC{width}")
            if not np.all(np.isfinite(values)):
                self.fail(f"{where}: {name} contains NaN or Inf")
            arrays[name] = values.astype(np.float64)
        if not arrays:
            self.warn(f"{where} has no TRANSLATION, ROTATION or SCALE; drawn once")
            return
        counts = {name: len(values) for name, values in arrays.items()}
        count = next(iter(counts.values()))
        if len(set(counts.values())) > 1:
            listed = ", ".join(f"{name} {n}" for name, n in counts.items())
            self.fail(f"{where}: its attributes have different counts ({listed})")
        # every instance is posed and drawn each frame: counted like decoded data, so a
        # million instances of a big mesh are refused before they are made
        self.budget.spend(count * self._mesh_vertex_count(node.mesh) * _POSED_VERTEX_BYTES, where)
        rotations = arrays.get("ROTATION", np.tile([0.0, 0.0, 0.0, 1.0], (count, 1)))
        length = np.linalg.norm(rotations, axis=1)
        if np.any(length < 1e-12):
            self.fail(f"{where}: ROTATION has a zero quaternion")
        rotations = rotations / length[:, None]
        translations = arrays.get("TRANSLATION", np.zeros((count, 3)))
        scales = arrays.get("SCALE", np.ones((count, 3)))
        first = len(nodes)
        for k in range(count):
            nodes.append(
                Node(
                    name=f"{node.name} instance {k}".strip(),
                    translation=translations[k].copy(),
                    rotation=rotations[k].copy(),
                    scale=scales[k].copy(),
                    mesh=node.mesh,
                    weights=None if node.weights is None else node.weights.copy(),
                )
            )
        node.children = node.children + list(range(first, first + count))
        node.mesh = None
        self._instanced[index] = list(range(first, first + count))

    def _mesh_vertex_count(self, mesh: int) -> int:
        """The vertices mesh ``mesh`` declares (its primitives' POSITION counts), read
        from the JSON alone: a bound for the budget, before the mesh is decoded."""
        spec = self.gltf["meshes"][mesh]
        total = 0
        for prim in spec.get("primitives", []) if isinstance(spec, dict) else []:
            attributes = prim.get("attributes") if isinstance(prim, dict) else None
            ref = attributes.get("POSITION") if isinstance(attributes, dict) else None
            accessors = self.gltf.get("accessors")
            if isinstance(ref, int) and isinstance(accessors, list) and 0 <= ref < len(accessors):
                count = accessors[ref].get("count") if isinstance(accessors[ref], dict) else None
                if isinstance(count, int) and count > 0:
                    total += count
        return max(total, 1)

    def _rotation(self, spec: dict, where: str) -> np.ndarray:
        """A node's rotation quaternion (4,) float64 xyzw, normalised (zero: identity)."""
        q = self._numbers(spec.get("rotation"), 4, f"{where} rotation", [0.0, 0.0, 0.0, 1.0])
        with np.errstate(over="ignore"):
            norm = float(np.linalg.norm(q))
        if not math.isfinite(norm):
            self.fail(f"{where}: rotation is not a usable quaternion")
        if norm < 1e-12:
            self.warn(f"{where}: zero rotation quaternion replaced by identity")
            q = np.array([0.0, 0.0, 0.0, 1.0])
        elif abs(norm - 1.0) > 1e-3:
            self.warn(f"{where}: rotation quaternion was not unit length; normalised")
        return q / (norm if norm >= 1e-12 else 1.0)

    def _check_tree(self, nodes: list[Node]) -> list[int]:
        """Each node's parent (-1 for a root), the node graph checked to be a forest no
        deeper than _MAX_NODE_DEPTH."""
        # each node has at most one parent and the graph has no cycle
        parent = [-1] * len(nodes)
        for i, node in enumerate(nodes):
            for c in node.children:
                if c == i:
                    self.fail(f"node {i} is its own child (a cycle in the node graph)")
                if parent[c] >= 0:
                    self.fail(f"node {c} is a child of both node {parent[c]} and node {i}")
                parent[c] = i
        # linear time: with one parent each, a node is on (or under) a cycle exactly when
        # no root reaches it; depth is counted on the way down
        depth = [-1] * len(nodes)
        stack = [i for i in range(len(nodes)) if parent[i] < 0]
        for i in stack:
            depth[i] = 0
        while stack:
            n = stack.pop()
            if depth[n] >= _MAX_NODE_DEPTH:
                self.fail(f"node {n} is nested more than {_MAX_NODE_DEPTH} levels deep")
            for c in nodes[n].children:
                depth[c] = depth[n] + 1
                stack.append(c)
        if -1 in depth:
            self.fail(f"the node graph has a cycle through node {self._on_cycle(parent, depth)}")
        return parent

    @staticmethod
    def _on_cycle(parent: list[int], depth: list[int]) -> int:
        """A node on a cycle: follow parents from an unreached node until one repeats."""
        n = depth.index(-1)
        seen = set()
        while n not in seen:
            seen.add(n)
            n = parent[n]
        return n

    def _read_roots(self, node_count: int) -> list[int]:
        scenes = self._list(self.gltf, "scenes", "the file")
        if not scenes:
            self.warn("the file has no scene; all top-level nodes are shown")
            return [i for i in range(node_count) if self._parents[i] < 0]
        index = self._ref(self.gltf, "scene", "the file", "scenes")
        if index is None:
            index = 0
        spec = scenes[index]
        roots = []
        listed = set()  # a list's `in` (quadratic): 20,000 roots took 2.9 s, 100,000 over 60 s
        for r in self._list(spec, "nodes", f"scene {index}"):
            r = self._index_item(r, node_count, f"scene {index} refers to", "node")
            if self._parents[r] >= 0:
                self.warn(f"scene {index} lists node {r}, which is not a root; it is drawn under its parent")
                continue
            if r not in listed:
                listed.add(r)
                roots.append(r)
        return roots

    # -- meshes ----------------------------------------------------------------------
    def _read_meshes(self) -> list[Mesh]:
        meshes = []
        specs = self._list(self.gltf, "meshes", "the file")
        total = sum(len(s["primitives"]) for s in specs if isinstance(s.get("primitives"), list))
        if total > MAX_DRAW_ITEMS:
            self.fail(
                f"the meshes hold {total:,} primitives, more than the {MAX_DRAW_ITEMS:,} holopack draws"
            )
        for i, spec in enumerate(self._list(self.gltf, "meshes", "the file")):
            where = f"mesh {i}"
            prims = self._list(spec, "primitives", where)
            weights = self._weights(spec, where)
            names = []
            extras = spec.get("extras")
            if isinstance(extras, dict) and isinstance(extras.get("targetNames"), list):
                names = [str(n) for n in extras["targetNames"]]
            primitives = []
            skipped_lines = False
            for p, pspec in enumerate(prims):
                prim = self._read_primitive(
                    self._dict(pspec, f"{where} primitive {p}"), f"{where} primitive {p}", weights, names
                )
                if prim is None:
                    skipped_lines = True
                    continue
                prim.name = str(spec.get("name", ""))
                primitives.append(prim)
            target_counts = {len(pr.morph.positions) if pr.morph else 0 for pr in primitives}
            if len(target_counts) > 1:
                self.fail(f"{where}: its primitives have different numbers of morph targets")
            if not primitives and not skipped_lines:
                self.fail(f"{where} has no faces")
            meshes.append(Mesh(name=str(spec.get("name", "")), primitives=primitives, weights=weights))
        return meshes

    def _read_primitive(self, spec: dict, where: str, mesh_weights, target_names):
        mode = self._int(spec, "mode", where, default=4)
        if mode not in _MODE_NAMES:
            self.fail(f"{where}: unknown primitive mode {mode}")
        if mode < 4:
            self.warn(f"{where}: {_MODE_NAMES[mode]} cannot be shown and were skipped")
            return None
        self._decode_extensions(spec, where)
        attributes = self._dict(spec.get("attributes"), f"{where} attributes")
        refs = {}
        for name in attributes:
            refs[name] = self._ref(attributes, name, f"{where} attribute {name}", "accessors")
        if "POSITION" not in refs:
            self.warn(f"{where} has no POSITION attribute and was skipped")
            return None
        positions = self._positions(refs["POSITION"], where)
        n = len(positions)

        def attribute(name: str, widths: tuple[int, ...]) -> np.ndarray:
            array = self.accessor(refs[name], f"{where} {name}")
            if array.ndim != 2 or array.shape[1] not in widths:
                self.fail(f"{where}: {name} has the wrong type")
            if len(array) != n:
                self.fail(f"{where}: {name} has {len(array)} elements, POSITION has {n}")
            return array

        indices = self._faces(spec, where, n, mode)

        # normals
        computed = None
        if "NORMAL" in refs:
            normals = attribute("NORMAL", (3,)).astype(np.float32)
            length = np.linalg.norm(normals, axis=1)
            bad = ~np.isfinite(length) | (length < 1e-12)
            if np.any(bad):
                computed = vertex_normals(positions, indices)
                normals[bad] = computed[bad]
                self.warn(f"{where}: {int(bad.sum())} zero or invalid normals were recomputed")
                length = np.linalg.norm(normals, axis=1)
            normals = normals / np.maximum(length, 1e-12)[:, None]
        else:
            normals = vertex_normals(positions, indices)
        normals = np.ascontiguousarray(normals, dtype=np.float32)

        uv = []
        k = 0
        while f"TEXCOORD_{k}" in refs:
            coords = attribute(f"TEXCOORD_{k}", (2,)).astype(np.float32)
            if not np.all(np.isfinite(coords)):
                self.warn(f"{where}: TEXCOORD_{k} has non-finite values; set to 0")
                coords = np.nan_to_num(coords, nan=0.0, posinf=0.0, neginf=0.0)
            uv.append(np.ascontiguousarray(coords))
            k += 1

        colors = None
        if "COLOR_0" in refs:
            colors = _rgba(attribute("COLOR_0", (3, 4)))

        joints, weights = self._skin_attributes(refs, where, n, attribute)

        morph = None
        targets = self._list(spec, "targets", where)
        if targets:
            morph = self._morph_targets(targets, where, n, mesh_weights, target_names)

        material = self._ref(spec, "material", where, "materials")
        if material is None:
            material = self._default_material()
        variant_materials = self._variant_mappings(spec, where)
        primitive = Primitive(
            positions=np.ascontiguousarray(positions),
            normals=normals,
            indices=indices,
            material=material,
            uv=uv,
            colors=colors,
            joints=joints,
            weights=weights,
            morph=morph,
            variant_materials=variant_materials,
        )
        return self._tangents(primitive, refs, where, attribute)

    variant_names: list[str] = []

    def _read_variant_names(self) -> list[str]:
        """KHR_materials_variants' variant names, in the file's order (a nameless one is
        called by its index)."""
        extensions = self.gltf.get("extensions")
        if not isinstance(extensions, dict) or VARIANTS not in extensions:
            return []
        here = f"the file's {VARIANTS}"
        names = []
        for i, variant in enumerate(self._list(self._dict(extensions[VARIANTS], here), "variants", here)):
            name = self._dict(variant, f"{here} variant {i}").get("name")
            names.append(name.strip() if isinstance(name, str) and name.strip() else str(i))
        return names

    def _variant_mappings(self, spec: dict, where: str) -> dict[int, int]:
        """KHR_materials_variants' mappings of one primitive: {variant index: material}."""
        extensions = spec.get("extensions")
        if not isinstance(extensions, dict) or VARIANTS not in extensions:
            return {}
        here = f"{where} {VARIANTS}"
        mappings = self._list(self._dict(extensions[VARIANTS], here), "mappings", here)
        count = len(self.variant_names)
        chosen: dict[int, int] = {}
        for k, mapping in enumerate(mappings):
            at = f"{here} mapping {k}"
            mapping = self._dict(mapping, at)
            material = self._ref(mapping, "material", at, "materials", required=True)
            for v in self._list(mapping, "variants", at):
                if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < count:
                    self.fail(f"{at} names variant {v!r}, which does not exist (the file has {count})")
                chosen[v] = material
        return chosen

    def _tangents(self, primitive: Primitive, refs: dict, where: str, attribute) -> Primitive:
        """The TANGENT attribute, else MikkTSpace tangents for a normal-mapped material."""
        if "TANGENT" in refs:
            primitive.tangents = clean_tangents(attribute("TANGENT", (4,)))
            if primitive.tangents is not None:
                return primitive
            self.warn(f"{where}: TANGENT has zero or invalid vectors; tangents are generated instead")
        materials = self.gltf.get("materials")
        texcoord = None
        # the first normal-mapped one of its materials (the file's, then its variants'):
        # a variant chosen later draws its normal map with these tangents
        for index in (primitive.material, *primitive.variant_materials.values()):
            if isinstance(materials, list) and index < len(materials):
                texcoord = normal_texture_texcoord(materials[index])
                if texcoord is not None:
                    break
        if texcoord is None:
            return primitive
        if texcoord >= len(primitive.uv):
            self.warn(f"{where}: the normal texture reads TEXCOORD_{texcoord}, which the primitive lacks")
            return primitive
        return generate_for_primitive(primitive, texcoord)

    def _decode_extensions(self, spec: dict, where: str) -> None:
        """Decode a primitive's compressed geometry where the decoder is installed; fail
        on a compression holopack cannot decode (the geometry would be missing)."""
        extensions = self._dict(spec.get("extensions", {}), f"{where} extensions")
        for ext in extensions:
            if ext == draco.EXTENSION and draco.available():
                self._decode_draco(spec, extensions[ext], where)
            elif ext in _DECODERS:
                self.fail(f"{where} uses {_UNDECODABLE_EXTENSIONS[ext]} ({ext}); {_INSTALL_HINT}")
            elif ext in _UNDECODABLE_EXTENSIONS:
                self.fail(
                    f"{where} uses {_UNDECODABLE_EXTENSIONS[ext]} ({ext}), which holopack cannot decode"
                )

    def _positions(self, ref: int, where: str) -> np.ndarray:
        """A primitive's POSITION accessor (N, 3) float32, checked to be finite."""
        positions = self._float_attribute(ref, f"{where} POSITION")
        if positions.ndim != 2 or positions.shape[1] != 3:
            self.fail(f"{where}: POSITION must be VEC3")
        if not np.all(np.isfinite(positions)):
            bad = int(np.argwhere(~np.isfinite(positions))[0, 0])
            self.fail(f"{where}: vertex {bad} has a NaN or infinite position")
        return positions

    def _faces(self, spec: dict, where: str, n: int, mode: int) -> np.ndarray:
        """A primitive's triangles (M, 3) int32 from its indices (or its vertices in
        order), strips and fans converted; ``n`` vertices."""
        if "indices" in spec:
            index_ref = self._ref(spec, "indices", where, "accessors")
            raw = self.accessor(index_ref, f"{where} indices", normalize=False)
            if raw.ndim != 2 or raw.shape[1] != 1 or raw.dtype.kind not in "u":
                self.fail(f"{where}: indices must be unsigned integer scalars")
            flat = raw.reshape(-1).astype(np.int64)
            if len(flat) and int(flat.max()) >= n:
                self.fail(f"{where}: index {int(flat.max())} is beyond the vertex count {n}")
        else:
            flat = np.arange(n, dtype=np.int64)
        faces = _triangulate(flat, mode)
        if mode == 4 and len(flat) % 3:
            self.warn(f"{where}: {len(flat) % 3} trailing indices do not form a triangle")
        if len(faces) == 0:
            self.fail(f"{where} has no faces")
        indices = np.ascontiguousarray(faces, dtype=np.int32)
        return indices

    def _decode_draco(self, spec: dict, ext, where: str) -> None:
        """KHR_draco_mesh_compression: decode the primitive's Draco stream and put each
        attribute (and the indices) in the accessor cache, in the accessor's declared
        component type, so the rest of the reader sees plain accessors."""
        dwhere = f"{where} {draco.EXTENSION}"
        ext = self._dict(ext, dwhere)
        view = self._ref(ext, "bufferView", dwhere, "bufferViews", required=True)
        data, offset, length, _ = self._buffer_view(view, dwhere)
        try:
            decoded = draco.decode(data[offset : offset + length])
        except ValueError as exc:
            self.fail(f"{dwhere}: {exc}")
        attributes = self._dict(spec.get("attributes"), f"{where} attributes")
        targets = {}
        for name, unique_id in self._dict(ext.get("attributes", {}), f"{dwhere} attributes").items():
            if name not in attributes:
                self.fail(f"{dwhere}: attribute {name} is not among the primitive's attributes")
            if unique_id not in decoded.attributes:
                self.fail(f"{dwhere}: the Draco data has no attribute with id {unique_id} ({name})")
            targets[self._ref(attributes, name, f"{where} attribute {name}", "accessors", required=True)] = (
                decoded.attributes[unique_id]
            )
        if "indices" in spec:
            targets[self._ref(spec, "indices", where, "accessors")] = decoded.faces.reshape(-1, 1)
        for index, values in targets.items():
            accessor = self._dict(self.gltf["accessors"][index], f"accessor {index}")
            ctype = accessor.get("componentType")
            if ctype not in _COMPONENT_DTYPES:
                self.fail(f"accessor {index} ({dwhere}): unknown componentType {ctype}")
            raw = draco.as_component_type(values, _COMPONENT_DTYPES[ctype])
            if accessor.get("count") != len(raw):
                self.warn(
                    f"{dwhere}: accessor {index} declares {accessor.get('count')} "
                    f"elements, the Draco data holds {len(raw)}"
                )
            self._accessors[(index, False)] = raw
            normalized = bool(accessor.get("normalized", False)) and ctype not in (5125, 5126)
            self._accessors[(index, True)] = (
                _dequantize(raw, ctype) if normalized else (raw.astype(np.float32) if ctype == 5126 else raw)
            )

    def _skin_attributes(self, refs, where, n, attribute):
        joint_sets, weight_sets = [], []
        k = 0
        while f"JOINTS_{k}" in refs or f"WEIGHTS_{k}" in refs:
            if f"JOINTS_{k}" not in refs or f"WEIGHTS_{k}" not in refs:
                self.warn(
                    f"{where}: JOINTS_{k} and WEIGHTS_{k} do not come in pairs; the unpaired set was ignored"
                )
                break
            j = self.accessor(refs[f"JOINTS_{k}"], f"{where} JOINTS_{k}", normalize=False)
            if j.ndim != 2 or j.shape[1] != 4 or j.dtype.kind != "u":
                self.fail(f"{where}: JOINTS_{k} must be VEC4 of unsigned integers")
            if len(j) != n:
                self.fail(f"{where}: JOINTS_{k} has {len(j)} elements, POSITION has {n}")
            w = attribute(f"WEIGHTS_{k}", (4,)).astype(np.float32)
            if j.dtype.itemsize > 2 and int(j.max()) > 65535:
                self.fail(f"{where}: JOINTS_{k} has joint index {int(j.max())}, more than any skin can hold")
            joint_sets.append(j.astype(np.uint16))
            weight_sets.append(w)
            k += 1
        if not joint_sets:
            return None, None
        joints = np.ascontiguousarray(np.concatenate(joint_sets, axis=1))
        weights = np.concatenate(weight_sets, axis=1)
        bad = ~np.isfinite(weights) | (weights < 0)
        if np.any(bad):
            self.warn(
                f"{where}: {int(bad.any(axis=1).sum())} vertices had negative or invalid "
                "skin weights; those weights were set to 0"
            )
            weights[bad] = 0.0
        total = weights.sum(axis=1)
        unbound = total <= 0
        if np.any(unbound):
            # a vertex with no weight at all follows its first joint, as three.js does
            self.warn(
                f"{where}: {int(unbound.sum())} vertices had all skin weights zero and "
                "were bound to their first joint"
            )
            weights[unbound] = 0.0
            weights[unbound, 0] = 1.0
            total = np.where(unbound, 1.0, total)
        weights = np.ascontiguousarray(weights / total[:, None], dtype=np.float32)
        return joints, weights

    def _morph_targets(self, targets, where, n, mesh_weights, target_names):
        count = len(targets)
        positions = np.zeros((count, n, 3), np.float32)
        normals = None
        tangent_deltas = None
        for t, target in enumerate(targets):
            twhere = f"{where} morph target {t}"
            target = self._dict(target, twhere)
            for name in target:
                index = self._ref(target, name, f"{twhere} {name}", "accessors")
                if name not in ("POSITION", "NORMAL", "TANGENT"):
                    continue
                delta = self._float_attribute(index, f"{twhere} {name}")
                if delta.ndim != 2 or delta.shape[1] != 3:
                    self.fail(f"{twhere}: {name} must be VEC3")
                if len(delta) != n:
                    self.fail(f"{twhere}: {name} has {len(delta)} elements, the primitive has {n} vertices")
                if not np.all(np.isfinite(delta)):
                    self.fail(f"{twhere}: {name} contains NaN or Inf")
                if name == "POSITION":
                    positions[t] = delta
                elif name == "TANGENT":
                    if tangent_deltas is None:
                        tangent_deltas = np.zeros((count, n, 3), np.float32)
                    tangent_deltas[t] = delta
                else:
                    if normals is None:
                        normals = np.zeros((count, n, 3), np.float32)
                    normals[t] = delta
        if mesh_weights is None:
            defaults = np.zeros(count, np.float32)
        else:
            defaults = np.zeros(count, np.float32)
            m = min(count, len(mesh_weights))
            defaults[:m] = mesh_weights[:m]
            if len(mesh_weights) != count:
                self.warn(
                    f"{where}: the mesh has {len(mesh_weights)} default weights for {count} morph targets"
                )
        names = list(target_names[:count]) if len(target_names) >= count else []
        return MorphTargets(
            positions=positions,
            normals=normals,
            default_weights=defaults,
            names=names,
            tangents=tangent_deltas,
        )

    # -- the drawn scene -------------------------------------------------------------
    def _walk(self, scene: Scene) -> list[DrawItem]:
        items: list[DrawItem] = []
        stack = list(reversed(scene.roots))
        while stack:
            index = stack.pop()
            node = scene.nodes[index]
            if node.mesh is not None:
                mesh = scene.meshes[node.mesh]
                skin = node.skin
                if skin is not None and not any(p.joints is not None for p in mesh.primitives):
                    self.warn(f"node {index} has a skin but its mesh has no joints; drawn without skinning")
                    skin = None
                if len(items) + len(mesh.primitives) > MAX_DRAW_ITEMS:
                    # 100 nodes showing a mesh of 1,000 primitives: a few hundred bytes of JSON
                    self.fail(
                        f"the scene draws more than {MAX_DRAW_ITEMS:,} mesh primitives "
                        "(nodes x the primitives of their meshes), more than holopack draws"
                    )
                for p, prim in enumerate(mesh.primitives):
                    prim_skin = skin if prim.joints is not None else None
                    items.append(DrawItem(node=index, mesh=node.mesh, primitive=p, skin=prim_skin))
            if node.skin is not None and node.mesh is None:
                self.warn(f"node {index} has a skin but no mesh")
            stack.extend(reversed(node.children))
        return items

    def _check_node_weights(self, scene: Scene) -> None:
        """Node morph weights must match the mesh's target count; pad or cut them."""
        for i, node in enumerate(scene.nodes):
            if node.weights is None:
                continue
            count = self._morph_count(scene, node)
            if len(node.weights) != count:
                self.warn(
                    f"node {i} has {len(node.weights)} morph weights for {count} "
                    "morph targets; the extra ones were ignored (missing ones are 0)"
                )
                fixed = np.zeros(count, np.float32)
                m = min(count, len(node.weights))
                fixed[:m] = node.weights[:m]
                node.weights = fixed

    def _check_joints(self, scene: Scene) -> None:
        for item in scene.draw_items:
            if item.skin is None:
                continue
            prim = scene.primitive(item)
            joints, weights = prim.joints, prim.weights
            if joints is None or weights is None:  # never: only primitives with joints get a skin
                continue
            count = len(scene.skins[item.skin].joints)
            used = weights > 0
            if np.any(joints[used] >= count):
                worst = int(joints[used].max())
                self.fail(
                    f"mesh {item.mesh} primitive {item.primitive}: joint index {worst} "
                    f"is beyond skin {item.skin}'s {count} joints"
                )
            # joints with zero weight may hold anything; make them safe to index
            joints[~used] = 0
        for item in scene.draw_items:
            if item.skin is None:
                prim = scene.primitive(item)
                if prim.joints is not None and scene.nodes[item.node].skin is None:
                    self.warn(
                        f"mesh {item.mesh} has skin weights but node {item.node} has no skin; drawn unskinned"
                    )

    def _morph_count(self, scene: Scene, node: Node) -> int:
        if node.mesh is None:
            return 0
        for prim in scene.meshes[node.mesh].primitives:
            if prim.morph is not None:
                return len(prim.morph.positions)
        return 0


# -- numeric helpers ------------------------------------------------------------------
def _rgba(colors: np.ndarray) -> np.ndarray:
    """Vertex colours (N, 3 or 4) -> (N, 4) float32 RGBA, alpha 1 where absent, NaN and
    negative values 0."""
    c = colors.astype(np.float32)
    if c.shape[1] == 3:
        c = np.concatenate([c, np.ones((len(c), 1), np.float32)], axis=1)
    return np.ascontiguousarray(np.clip(np.nan_to_num(c), 0.0, None), np.float32)


def _triangulate(flat: np.ndarray, mode: int) -> np.ndarray:
    """(M, 3) int64 triangles from a TRIANGLES/STRIP/FAN index list."""
    if mode == 4:
        m = len(flat) // 3
        return flat[: m * 3].reshape(m, 3)
    if len(flat) < 3:
        return np.zeros((0, 3), np.int64)
    k = np.arange(len(flat) - 2)
    if mode == 5:
        # odd triangles swap their first two vertices to keep the winding (spec 3.7.2.1)
        even = (k % 2) == 0
        a = np.where(even, flat[k], flat[k + 1])
        b = np.where(even, flat[k + 1], flat[k])
        return np.stack([a, b, flat[k + 2]], axis=1)
    return np.stack([np.full(len(k), flat[0]), flat[k + 1], flat[k + 2]], axis=1)


def _decompose(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(4, 4) affine -> translation (3,), quaternion xyzw (4,), scale (3,) float64."""
    translation = matrix[:3, 3].copy()
    basis = matrix[:3, :3].copy()
    scale = np.linalg.norm(basis, axis=0)
    if np.linalg.det(basis) < 0:
        scale[0] = -scale[0]
    safe = np.where(np.abs(scale) < 1e-12, 1.0, scale)
    rot = basis / safe
    return translation, _matrix_to_quaternion(rot), scale


def _matrix_to_quaternion(r: np.ndarray) -> np.ndarray:
    """Rotation matrix (3, 3) -> unit quaternion (x, y, z, w) (Shepperd's method)."""
    trace = r[0, 0] + r[1, 1] + r[2, 2]
    if trace > 0:
        s = math.sqrt(trace + 1.0) * 2
        q = [(r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s, 0.25 * s]
    elif r[0, 0] > r[1, 1] and r[0, 0] > r[2, 2]:
        s = math.sqrt(max(1.0 + r[0, 0] - r[1, 1] - r[2, 2], 1e-300)) * 2
        q = [0.25 * s, (r[0, 1] + r[1, 0]) / s, (r[0, 2] + r[2, 0]) / s, (r[2, 1] - r[1, 2]) / s]
    elif r[1, 1] > r[2, 2]:
        s = math.sqrt(max(1.0 + r[1, 1] - r[0, 0] - r[2, 2], 1e-300)) * 2
        q = [(r[0, 1] + r[1, 0]) / s, 0.25 * s, (r[1, 2] + r[2, 1]) / s, (r[0, 2] - r[2, 0]) / s]
    else:
        s = math.sqrt(max(1.0 + r[2, 2] - r[0, 0] - r[1, 1], 1e-300)) * 2
        q = [(r[0, 2] + r[2, 0]) / s, (r[1, 2] + r[2, 1]) / s, 0.25 * s, (r[1, 0] - r[0, 1]) / s]
    quaternion = np.array(q, np.float64)
    norm = np.linalg.norm(quaternion)
    return quaternion / norm if norm > 0 else np.array([0.0, 0.0, 0.0, 1.0])
