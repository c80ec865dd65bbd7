"""A USD stage as a Scene: prims become nodes, meshes primitives, UsdPreviewSurface
materials glTF-style materials, UsdSkel skins and blend shapes, xform time samples and
SkelAnimation channels.

The walk starts at the stage's default prim (the pseudo-root when it names none or a
prim that is not there) and keeps active, defined, visible prims of purpose default or
render (proxy and guide are left out), instance proxies included. Each kept prim is a
node with its local transform at the rest time; a Mesh (and an implicit Cube, Sphere,
Cylinder, Cone, Capsule or Plane, tessellated) becomes a mesh of that node, split into one primitive per material-bound GeomSubset. The stage's upAxis Z
and metersPerUnit become one root node that turns and scales the whole to glTF's +Y up
and metres.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import replace
from typing import Any

import numpy as np

from ...colour import linear_to_srgb, srgb_to_linear
from ...containment import check_regular
from ...errors import InputError
from ...limits import MAX_DRAW_ITEMS, MAX_NODES, MemoryBudget
from ..normals import vertex_normals
from ..pictures import (
    encoded_picture_size,
    reduced_rgba,
    reduced_size,
    reduction_message,
    texture_reduction,
)
from ..scene import Scene
from ..texture_roles import PBR_ROLES
from ..types import Animation, Channel, DrawItem, Material, Mesh, MorphTargets, Node, Primitive, Texture
from . import skel
from .geometry import (
    CONSTANT,
    IMPLICIT_TYPES,
    PER_CORNER,
    PER_FACE,
    attribute_source,
    continuous_quaternions,
    decompose_many,
    fan_triangles,
    implicit_mesh,
    split_vertices,
)
from .materials import SurfaceMaterial, read_material
from .package import check_layers, read_asset

_TEXTURE_BYTES = 8  # counted per pixel: RGBA as decoded, and one copy
# keyframes one animation may hold, nodes x samples (BrainStem: 18 joints x 1291 codes)
MAX_KEYS = 20_000_000
_SKIPPED_TYPES = ("Material", "Shader", "NodeGraph", "SkelAnimation", "BlendShape", "GeomSubset")


class UsdReader:
    def __init__(self, path: str, selection: tuple[str, str, str] | None = None):
        self.path = path
        # (prim path, variant set, variant) to compose the stage with, else as authored
        self.selection = selection
        self.choices: list[tuple[str, str, str]] = []  # the stage's variants, as selections
        self.budget = MemoryBudget(path)
        self.warnings: list[str] = []
        self.notices: list[str] = []  # warnings for stderr as well (holopack.notices)
        self.scene = Scene(path=path)
        self._materials: dict[tuple, int] = {}
        self._surfaces: dict[str, SurfaceMaterial] = {}
        self._texture_slots: dict[tuple, int] = {}
        # (texture index, file bytes, what, width, height, colour table or None)
        self._pending_textures: list[tuple[int, bytes, str, tuple[int, int, int], np.ndarray | None]] = []
        # (node, UsdSkel.SkinningQuery, skeleton path) of each skinned mesh, bound last
        self._pending_skins: list[tuple[int, Any, str]] = []
        # mesh index -> per primitive, the USD point each vertex comes from (N,) int64:
        # joint influences and blend shape offsets are given per point
        self._point_of_vertex: dict[int, list[np.ndarray]] = {}
        # (node, skinning query, skeleton path) of each mesh with blend shapes
        self._morphed: list[tuple[int, Any, str]] = []
        self._skeletons: dict[str, tuple[Any, list[int]]] = {}  # path -> (SkeletonQuery, joint nodes)
        self._skinning: dict[str, tuple[str, Any]] = {}  # mesh path -> (skeleton path, SkinningQuery)
        self._animated: list[tuple[int, Any]] = []  # (node, prim) with time-varying xforms
        # PointInstancer paths: a mesh under one is a prototype's, read once and drawn by
        # every instance node (path -> mesh index)
        self._instancers: list[Any] = []
        self._shared_meshes: dict[str, int] = {}
        self._uv_names: dict[int, list[str]] = {}  # material -> the primvars of its texcoord sets

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def fail(self, message: str):
        raise InputError(message, self.path)

    # -- the stage ---------------------------------------------------------------------
    def read(self) -> Scene:
        from pxr import Usd, UsdGeom, UsdSkel

        check_regular(self.path, "model")
        self.budget.spend(os.path.getsize(self.path), "the file itself (it is read whole)")
        for layer in check_layers(self.path, self.budget):
            kind = "MaterialX" if layer.lower().endswith(".mtlx") else "a format the USD reader lacks"
            self.warn(f"layer '{layer}' ({kind}) is not read: what it defines is left out")
        stage = Usd.Stage.Open(self.path, Usd.Stage.LoadAll)
        if stage is None:
            self.fail("not a readable USD file")
        self.stage = stage
        self.rest_time = Usd.TimeCode.EarliestTime()
        self.xforms = UsdGeom.XformCache(self.rest_time)
        self.skel_cache = UsdSkel.Cache()
        root = stage.GetDefaultPrim()
        if not root or not root.IsValid():
            root = stage.GetPseudoRoot()
        choices = variant_choices(stage, root)
        if self.selection is not None:
            self._select(stage, *self.selection)
        wrapper = self._stage_units(stage)
        self._count_prims(root)
        tops = self._walk(root)
        scene = self.scene
        if wrapper is not None:
            wrapper.children = tops
            scene.nodes.append(wrapper)
            scene.roots = [len(scene.nodes) - 1]
        else:
            scene.roots = tops
        self._bind_skins()
        self._decode_textures()
        scene.draw_items = self._draw_items()
        if not scene.draw_items:
            self.fail(
                "the stage has no mesh to draw (holopack draws UsdGeom.Mesh prims and the implicit shapes)"
            )
        scene.animations = self._animations(stage)
        scene.texture_roles = self._texture_roles()
        scene.warnings = self.warnings
        scene.variants = [name for name, _, _ in choices]
        scene.variant_notes = [note for _, _, note in choices]
        self.choices = [choice for _, choice, _ in choices]
        return scene

    def _select(self, stage, prim_path: str, variant_set: str, variant: str) -> None:
        """Compose ``stage`` with ``variant`` of ``variant_set`` on ``prim_path``, in
        the stage's session layer (the file is never written)."""
        prim = stage.GetPrimAtPath(prim_path)
        if not (prim and prim.IsValid() and prim.GetVariantSets().HasVariantSet(variant_set)):
            self.fail(f"variant set {variant_set!r} is no longer on {prim_path}")
        sets = prim.GetVariantSets()
        stage.SetEditTarget(stage.GetSessionLayer())
        if not sets.GetVariantSet(variant_set).SetVariantSelection(variant):
            self.fail(f"cannot select variant {variant!r} of {variant_set!r} on {prim_path}")

    def _texture_roles(self) -> list[dict]:
        """Every texture reference of every material with its role, as
        holopack.scene.texture_roles lists a glTF's (inspect shows them)."""
        roles = []
        for material in self.scene.materials:
            for field_name, role in _ROLE_OF_FIELD.items():
                index = getattr(material, field_name)
                if index is None:
                    continue
                used = role in _DRAWN_ROLES
                roles.append(
                    {
                        "texture": int(index),
                        "name": self.scene.textures[index].name or f"#{index}",
                        "material": material.name,
                        "role": role,
                        "used": used,
                        "pbr": used or role in PBR_ROLES,
                    }
                )
        return roles

    def _stage_units(self, stage) -> Node | None:
        """A root node turning the stage to +Y up and scaling it to metres, or None when
        it is both already."""
        from pxr import UsdGeom

        up = str(UsdGeom.GetStageUpAxis(stage))
        metres = float(UsdGeom.GetStageMetersPerUnit(stage))
        if not math.isfinite(metres) or metres <= 0:
            self.warn(f"metersPerUnit {metres:g} is not a length; read as 1 (metres)")
            metres = 1.0
        if up not in ("Y", "Z"):
            self.warn(f"upAxis {up!r} is neither Y nor Z; read as Y")
            up = "Y"
        if up == "Y" and metres == 1.0:
            return None
        node = Node(name="stage units")
        node.scale = np.full(3, metres)
        if up == "Z":  # -90 degrees about X: +Z goes to +Y, +Y to -Z
            half = math.sqrt(0.5)
            node.rotation = np.array([-half, 0.0, 0.0, half])
        return node

    def _count_prims(self, root) -> None:
        """Refuse a stage of more than MAX_NODES prims before walking it: pxr composes
        100,000 prims in 0.9 s, the walk takes 13 s over them (a node each). Each layer
        was held to the limit before composing (package.check_layers); references and
        instances can multiply its prims past it."""
        from pxr import Usd

        predicate = Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate)
        for count, _ in enumerate(Usd.PrimRange(root, predicate)):
            if count > MAX_NODES:
                self.fail(
                    f"the stage holds more than {MAX_NODES:,} prims once composed (references "
                    "and instances counted), more than holopack draws"
                )

    def _walk(self, root) -> list[int]:
        """Nodes for ``root``'s kept descendants (``root`` itself too unless it is the
        pseudo-root); returns the top node indices."""
        from pxr import Usd, UsdGeom, UsdSkel

        predicate = Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate)
        tops: list[int] = []
        start = [root] if not root.IsPseudoRoot() else list(root.GetFilteredChildren(predicate))
        stack: list[tuple[Any, int | None]] = [(prim, None) for prim in reversed(start)]
        nodes = self.scene.nodes
        while stack:
            prim, parent = stack.pop()
            if not self._kept(prim):
                continue
            if len(nodes) >= MAX_NODES:
                self.fail(f"the stage holds more than {MAX_NODES:,} prims to draw, more than holopack draws")
            node = Node(name=prim.GetName())
            index = len(nodes)
            nodes.append(node)
            reset = False
            if prim.IsA(UsdGeom.Xformable):
                matrix, reset = self.xforms.GetLocalTransformation(prim)
                m = np.array(matrix, np.float64).T
                t, r, s = decompose_many(m[None])
                node.matrix, node.translation, node.rotation, node.scale = m, t[0], r[0], s[0]
                if UsdGeom.Xformable(prim).TransformMightBeTimeVarying():
                    self._animated.append((index, prim))
            if parent is None or reset:
                tops.append(index)
            else:
                nodes[parent].children.append(index)
            if prim.IsA(UsdSkel.Root):
                self._populate_skel_root(prim, predicate)
            if prim.IsA(UsdSkel.Skeleton):
                self._add_skeleton(prim, index)
            if prim.IsA(UsdGeom.Mesh) or str(prim.GetTypeName()) in IMPLICIT_TYPES:
                self._add_shared_mesh(prim, index)
            elif prim.IsA(UsdGeom.PointInstancer):
                # its prototypes are drawn at its instances, never where they are defined
                self._add_instances(prim, index, stack)
                continue
            elif prim.IsA(UsdGeom.Gprim):
                self.warn(
                    f"{prim.GetTypeName()} prims are not drawn (only meshes and {', '.join(IMPLICIT_TYPES)})"
                )
            for child in reversed(list(prim.GetFilteredChildren(predicate))):
                stack.append((child, index))
        return tops

    def _add_shared_mesh(self, prim, node_index: int) -> None:
        """``_add_mesh``, except that a prototype's mesh (one under a PointInstancer) is
        read once and its mesh index given to every instance's node."""
        path = prim.GetPath()
        shared = self._shared_meshes.get(str(path))
        if shared is not None:
            self.scene.nodes[node_index].mesh = shared
            return
        self._add_mesh(prim, node_index)
        mesh = self.scene.nodes[node_index].mesh
        in_prototype = any(path.HasPrefix(p) for p in self._instancers)
        if mesh is not None and in_prototype and str(path) not in self._skinning:
            self._shared_meshes[str(path)] = mesh

    def _add_instances(self, prim, node_index: int, stack: list) -> None:
        """A UsdGeom.PointInstancer: one node under the instancer's per instance, placed
        by the instance's transform at the rest time (positions, orientations, scales;
        the prototype's own transform is its node's), the prototype walked under it;
        instances its mask (invisibleIds, inactiveIds) hides are left out."""
        from pxr import UsdGeom

        instancer = UsdGeom.PointInstancer(prim)
        where = str(prim.GetPath())
        prototypes = [self.stage.GetPrimAtPath(p) for p in instancer.GetPrototypesRel().GetForwardedTargets()]
        indices = np.asarray(instancer.GetProtoIndicesAttr().Get(self.rest_time) or [], np.int64)
        if len(indices) == 0:
            return
        if len(indices) > MAX_NODES:
            self.fail(f"point instancer {where}: {len(indices):,} instances, more than holopack draws")
        if indices.min() < 0 or indices.max() >= len(prototypes):
            # as Hydra does with an instancer the schema does not hold: said, not drawn
            self.warn(f"{where}: a proto index is beyond its {len(prototypes)} prototypes; not drawn")
            return
        matrices = instancer.ComputeInstanceTransformsAtTime(
            self.rest_time,
            self.rest_time,
            UsdGeom.PointInstancer.ExcludeProtoXform,
            UsdGeom.PointInstancer.IgnoreMask,
        )
        if len(matrices) != len(indices):
            self.warn(
                f"{where}: its positions, orientations or scales do not give each instance a place; not drawn"
            )
            return
        varying = ("positions", "orientations", "scales", "protoIndices")
        if any(prim.GetAttribute(name).ValueMightBeTimeVarying() for name in varying):
            self.warn(f"{where}: instances are placed as at the first time sample")
        mask = list(instancer.ComputeMaskAtTime(self.rest_time))
        self._instancers.append(prim.GetPath())
        nodes = self.scene.nodes
        for k in range(len(indices)):
            proto = prototypes[indices[k]]
            if (mask and not mask[k]) or not proto:
                continue
            if len(nodes) >= MAX_NODES:
                self.fail(f"the stage holds more than {MAX_NODES:,} prims to draw, more than holopack draws")
            m = np.array(matrices[k], np.float64).T
            t, r, sc = decompose_many(m[None])
            node = Node(
                name=f"{proto.GetName()}[{k}]", matrix=m, translation=t[0], rotation=r[0], scale=sc[0]
            )
            nodes.append(node)
            nodes[node_index].children.append(len(nodes) - 1)
            stack.append((proto, len(nodes) - 1))

    def _kept(self, prim) -> bool:
        from pxr import UsdGeom

        if str(prim.GetTypeName()) in _SKIPPED_TYPES:
            return False
        typed = bool(prim.GetTypeName())
        if typed and not prim.IsA(UsdGeom.Imageable):
            return False
        if typed:
            imageable = UsdGeom.Imageable(prim)
            if imageable.GetVisibilityAttr().Get(self.rest_time) == UsdGeom.Tokens.invisible:
                return False
            if imageable.GetPurposeAttr().Get() in (UsdGeom.Tokens.proxy, UsdGeom.Tokens.guide):
                return False
        return True

    # -- meshes ------------------------------------------------------------------------
    def _add_mesh(self, prim, node_index: int) -> None:
        from pxr import UsdGeom

        if str(prim.GetTypeName()) in IMPLICIT_TYPES:
            positions, normals, indices = implicit_mesh(prim, self.rest_time)
            double_sided = bool(UsdGeom.Gprim(prim).GetDoubleSidedAttr().Get())
            material, colors = self._material_of(prim, np.arange(len(positions)), None, double_sided)
            primitive = Primitive(positions, normals, indices, material, colors=colors)
            self._add_primitives(prim, node_index, [primitive], [np.zeros(0, np.int64)])
            return
        mesh = UsdGeom.Mesh(prim)
        where = str(prim.GetPath())
        points = np.asarray(mesh.GetPointsAttr().Get(self.rest_time) or [], np.float64).reshape(-1, 3)
        counts = np.asarray(mesh.GetFaceVertexCountsAttr().Get(self.rest_time) or [], np.int64)
        corners_index = np.asarray(mesh.GetFaceVertexIndicesAttr().Get(self.rest_time) or [], np.int64)
        if len(points) == 0 or len(counts) == 0 or len(corners_index) == 0:
            self.warn(f"{where}: an empty mesh is not drawn")
            return
        self.budget.spend(points.nbytes + counts.nbytes + corners_index.nbytes, f"mesh {where}")
        if counts.min() < 0 or counts.sum() != len(corners_index):
            self.fail(
                f"mesh {where}: its face vertex counts add up to {counts.sum():,}, not the {len(corners_index):,} face vertex indices"
            )
        if corners_index.min() < 0 or corners_index.max() >= len(points):
            self.fail(f"mesh {where}: a face vertex index is beyond its {len(points):,} points")
        if len(mesh.GetPointsAttr().GetTimeSamples()) > 1:
            self.warn(f"{where}: animated points are drawn at their first sample")
        # the schema's default is catmullClark, which most files leave unsaid: only an
        # authored scheme is worth a warning
        scheme = mesh.GetSubdivisionSchemeAttr().Get()
        if mesh.GetSubdivisionSchemeAttr().HasAuthoredValue() and scheme != "none":
            self.warn(f"{where}: subdivision ({scheme}) is not applied; the cage is drawn")
        holes = np.asarray(mesh.GetHoleIndicesAttr().Get(self.rest_time) or [], np.int64)
        left = mesh.GetOrientationAttr().Get() == UsdGeom.Tokens.leftHanded
        tri_corners, tri_faces = fan_triangles(counts, holes, left)
        self.budget.spend(tri_corners.nbytes * 4, f"mesh {where} triangles")
        face_of_corner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        attributes = self._mesh_attributes(prim, mesh, where, len(points), len(corners_index), len(counts))
        if "normals" not in attributes:  # smooth per point, as a viewer computes them
            point_normals = vertex_normals(points.astype(np.float32), corners_index[tri_corners])
            attributes["normals"] = (point_normals, "vertex", None)
        keys = []
        for _, interpolation, indices in attributes.values():
            if interpolation in (PER_CORNER, PER_FACE):
                keys.append(attribute_source(interpolation, corners_index, face_of_corner, indices))
        first, vertex_of_corner = split_vertices(corners_index, [k for k in keys if k is not None])
        columns = {}
        for name, (values, interpolation, indices) in attributes.items():
            source = attribute_source(interpolation, corners_index, face_of_corner, indices)
            columns[name] = (
                values[source[first]] if source is not None else np.repeat(values[:1], len(first), axis=0)
            )
        positions = points[corners_index[first]]
        triangles = vertex_of_corner[tri_corners]
        point_of_vertex = corners_index[first]
        parts = self._subsets(prim, tri_faces)
        primitives, point_indices = [], []
        double_sided = bool(mesh.GetDoubleSidedAttr().Get())
        for subset_prim, mask in parts:
            used, local = np.unique(triangles[mask], return_inverse=True)
            indices = local.reshape(-1, 3).astype(np.int32)
            normals = columns["normals"][used].astype(np.float64)
            length = np.linalg.norm(normals, axis=1, keepdims=True)
            normals = np.where(length > 1e-12, normals / np.maximum(length, 1e-300), [0.0, 1.0, 0.0])
            material, colors = self._material_of(subset_prim or prim, used, columns, double_sided)
            primitive = Primitive(
                positions=positions[used].astype(np.float32),
                normals=normals.astype(np.float32),
                indices=indices,
                material=material,
                colors=colors,
                name=str((subset_prim or prim).GetName()),
            )
            primitive.uv = self._uv_sets(material, columns, used, where)
            primitives.append(primitive)
            point_indices.append(point_of_vertex[used])
        self._add_primitives(prim, node_index, primitives, point_indices)

    def _mesh_attributes(self, prim, mesh, where: str, points: int, corners: int, faces: int) -> dict:
        """name -> (values (E, C) float64, interpolation, indices or None) of the mesh's
        normals, colours and texture coordinate primvars, each checked for length."""
        from pxr import UsdGeom

        out: dict[str, tuple] = {}
        api = UsdGeom.PrimvarsAPI(prim)
        expected = {"vertex": points, "varying": points, PER_CORNER: corners, PER_FACE: faces, CONSTANT: 1}
        for primvar in api.GetPrimvarsWithValues():
            name = str(primvar.GetPrimvarName())
            if name.startswith("skel:"):
                continue
            type_name = str(primvar.GetTypeName())
            if not (
                name in ("normals", "displayColor", "displayOpacity")
                or type_name.startswith(("texCoord2", "float2"))
            ):
                continue
            array = _vectors(primvar.Get(self.rest_time), 3 if name == "normals" else None)
            if array is None:
                self.warn(f"{where}: primvar {name} ({type_name}) is not read")
                continue
            interpolation = str(primvar.GetInterpolation())
            indices = (
                np.asarray(primvar.GetIndices(self.rest_time), np.int64) if primvar.IsIndexed() else None
            )
            span = len(indices) if indices is not None else len(array)
            if interpolation not in expected or span < expected[interpolation]:
                self.warn(
                    f"{where}: primvar {name} has {span} values for {interpolation} interpolation; not drawn"
                )
                continue
            if indices is not None and len(indices) and (indices.min() < 0 or indices.max() >= len(array)):
                self.warn(f"{where}: primvar {name} has an index beyond its values; not drawn")
                continue
            out[name] = (array, interpolation, indices)
        if "normals" not in out:
            normals = _vectors(mesh.GetNormalsAttr().Get(self.rest_time), 3)
            interpolation = str(mesh.GetNormalsInterpolation())
            if normals is not None and len(normals) >= expected.get(interpolation, 1 << 62):
                out["normals"] = (normals, interpolation, None)
            elif mesh.GetNormalsAttr().HasAuthoredValue():
                self.warn(f"{where}: its normals are not an array of 3-vectors; computed instead")
        return out

    def _subsets(self, prim, tri_faces: np.ndarray) -> list[tuple[Any, np.ndarray]]:
        """[(GeomSubset prim or None for the rest, triangle mask)] by material-bind subsets."""
        from pxr import UsdGeom

        subsets = UsdGeom.Subset.GetGeomSubsets(UsdGeom.Imageable(prim), "face", "materialBind")
        parts = []
        left = np.ones(len(tri_faces), bool)
        for subset in subsets:
            faces = np.asarray(subset.GetIndicesAttr().Get(self.rest_time) or [], np.int64)
            mask = np.isin(tri_faces, faces) & left
            if mask.any():
                parts.append((subset.GetPrim(), mask))
                left &= ~mask
        if left.any():
            parts.append((None, left))
        return parts

    def _add_primitives(
        self, prim, node_index: int, primitives: list[Primitive], point_indices: list[np.ndarray]
    ) -> None:
        if not primitives:
            return
        scene = self.scene
        scene.meshes.append(Mesh(name=prim.GetName(), primitives=primitives))
        scene.nodes[node_index].mesh = len(scene.meshes) - 1
        self._point_of_vertex[len(scene.meshes) - 1] = point_indices
        binding = self._skinning.get(str(prim.GetPath()))
        if binding is not None:
            self._pending_skins.append((node_index, binding[1], binding[0]))

    # -- materials ---------------------------------------------------------------------
    def _material_of(
        self, prim, used, columns, double_sided: bool | None = True
    ) -> tuple[int, np.ndarray | None]:
        """(index into Scene.materials, vertex colours (N, 4) float32 or None) for a mesh
        or subset prim: its bound UsdPreviewSurface, else its displayColor."""
        from pxr import UsdShade

        bound = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial(UsdShade.Tokens.preview)[0]
        if not bound:
            bound = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial()[0]
        colors = None
        if bound:
            path = str(bound.GetPath())
            if path not in self._surfaces:
                self._surfaces[path] = read_material(bound.GetPrim(), self.warn)
            surface = self._surfaces[path]
            key: tuple = (path, bool(double_sided))
            tint = None
            if surface.colour_from_mesh:  # diffuseColor is the mesh's displayColor
                rgb, colors = self._display_colour(
                    prim, used, columns, surface.material.base_color_factor[:3]
                )
                tint = None if rgb is None else tuple(np.round(rgb, 6))
                key += (tint,)
            if key not in self._materials:
                material = _copy_material(surface.material)
                material.double_sided = bool(double_sided)
                if surface.colour_from_mesh:
                    material.base_color_factor[:3] = 1.0 if tint is None else np.asarray(tint, np.float32)
                self._material_textures(material, surface)
                self._materials[key] = len(self.scene.materials)
                self.scene.materials.append(material)
            return self._materials[key], colors
        colour = np.array([0.18, 0.18, 0.18, 1.0])  # UsdPreviewSurface's default diffuse
        if columns is not None and "displayColor" in columns:
            rgb = columns["displayColor"][used][:, :3]
            alpha = (
                columns["displayOpacity"][used][:, :1]
                if "displayOpacity" in columns
                else np.ones((len(rgb), 1))
            )
            rgba = np.concatenate([rgb, alpha], axis=1)
            if np.ptp(rgba, axis=0).max() > 0:
                colors = np.clip(rgba, 0.0, None).astype(np.float32)
                colour = np.ones(4)
            else:
                colour = rgba[0]
        elif columns is None:
            colour = self._constant_display_color(prim, colour)
        key = ("displayColor", tuple(np.round(colour, 6)), bool(double_sided))
        if key not in self._materials:
            material = Material(name="displayColor", base_color_factor=colour.astype(np.float32))
            material.metallic_factor, material.roughness_factor = 0.0, 0.5
            material.double_sided = bool(double_sided)
            if colour[3] < 1.0 or (colors is not None and colors[:, 3].min() < 1.0):
                material.alpha_mode = "BLEND"
            self._materials[key] = len(self.scene.materials)
            self.scene.materials.append(material)
        return self._materials[key], colors

    def _display_colour(self, prim, used, columns, fallback) -> tuple[np.ndarray | None, np.ndarray | None]:
        """For a material whose diffuseColor is the mesh's displayColor: (one colour RGB
        for the whole mesh, None) or (None, vertex colours (N, 4) float32, alpha 1); the
        material's own diffuseColor where the mesh has no displayColor."""
        if columns is not None and "displayColor" in columns:
            rgb = np.clip(columns["displayColor"][used][:, :3], 0.0, None)
            if len(rgb) and np.ptp(rgb, axis=0).max() > 0:
                return None, np.concatenate([rgb, np.ones((len(rgb), 1))], axis=1).astype(np.float32)
            return (rgb[0] if len(rgb) else np.asarray(fallback, np.float64)), None
        if columns is None:
            start = np.array([*np.asarray(fallback, np.float64)[:3], 1.0])
            return self._constant_display_color(prim, start)[:3], None
        return np.asarray(fallback, np.float64), None

    def _constant_display_color(self, prim, colour: np.ndarray) -> np.ndarray:
        from pxr import UsdGeom

        gprim = UsdGeom.Gprim(prim)
        rgb = gprim.GetDisplayColorPrimvar().Get(self.rest_time) if gprim else None
        alpha = gprim.GetDisplayOpacityPrimvar().Get(self.rest_time) if gprim else None
        out = colour.copy()
        if rgb is not None and len(rgb):
            out[:3] = np.asarray(rgb[0], np.float64)
        if alpha is not None and len(alpha):
            out[3] = float(alpha[0])
        return out

    def _uv_sets(self, material: int, columns: dict, used: np.ndarray, where: str) -> list[np.ndarray]:
        names = self._uv_names.get(material, [])
        sets = []
        for name in names:
            if name in columns and columns[name].shape[1] >= 2:
                st = columns[name][used][:, :2]
                sets.append(np.stack([st[:, 0], 1.0 - st[:, 1]], axis=1).astype(np.float32))
            else:
                self.warn(f"{where}: the texture coordinates '{name}' its material reads are missing")
                sets.append(np.zeros((len(used), 2), np.float32))
        return sets

    def _material_textures(self, material: Material, surface: SurfaceMaterial) -> None:
        """Swap the material's texture fields (indices into surface.uses) for scene
        texture indices, reading each file once."""
        index = len(self.scene.materials)
        self._uv_names[index] = list(surface.primvars)
        for field_name in (
            "base_color_texture",
            "emissive_texture",
            "metallic_roughness_texture",
            "normal_texture",
            "occlusion_texture",
        ):
            slot = getattr(material, field_name)
            if slot is None:
                continue
            use = surface.uses[slot]
            recode = _colour_recoding(field_name, use.color_space)
            key = (use.layer, use.file, use.wrap_s, use.wrap_t, recode)
            if key not in self._texture_slots:
                what = f"texture '{use.file}' of material {material.name}"
                data = read_asset(
                    self.path, use.layer, use.file, use.resolved, what, self.budget.total - self.budget.used
                )
                size = encoded_picture_size(data, self.budget, what)
                if size is None:
                    self.fail(f"{what} is not a picture holopack reads")
                assert size is not None
                self._texture_slots[key] = len(self.scene.textures)
                self.scene.textures.append(
                    Texture(
                        pixels=np.zeros((1, 1, 4), np.uint8),
                        name=os.path.basename(use.file),
                        wrap_s=use.wrap_s,
                        wrap_t=use.wrap_t,
                    )
                )
                table = None if recode is None else _RECODE[recode]
                self._pending_textures.append((self._texture_slots[key], data, what, size, table))
            setattr(material, field_name, self._texture_slots[key])

    def _decode_textures(self) -> None:
        """Decode every texture at one reduction that fits them all into the budget."""
        from PIL import Image

        pending, self._pending_textures = self._pending_textures, []
        if not pending:
            return
        factor = texture_reduction([size for _, _, _, size, _ in pending], self.budget)
        if factor > 1:
            message = reduction_message(len(pending), factor, self.budget)
            self.warn(message)
            self.notices.append(message)  # shown by load_usd once pxr's stderr is back
        for slot, data, what, (width, height, _), table in pending:
            self.budget.picture(*reduced_size(width, height, factor), _TEXTURE_BYTES, what)
            try:
                with Image.open(io.BytesIO(data)) as picture:
                    picture.load()
                    pixels = reduced_rgba(picture, factor)
            except (OSError, ValueError, SyntaxError, EOFError) as exc:
                self.fail(f"{what} cannot be decoded ({exc})")
            if table is not None:  # Pillow's array is read-only: a new one
                pixels = np.concatenate([table[pixels[..., :3]], pixels[..., 3:]], axis=-1)
            self.scene.textures[slot].pixels = np.ascontiguousarray(pixels)

    # -- skins -------------------------------------------------------------------------
    def _populate_skel_root(self, prim, predicate) -> None:
        from pxr import UsdSkel

        root = UsdSkel.Root(prim)
        self.skel_cache.Populate(root, predicate)
        for binding in self.skel_cache.ComputeSkelBindings(root, predicate):
            skeleton = binding.GetSkeleton()
            for target in binding.GetSkinningTargets():
                self._skinning[str(target.GetPrim().GetPath())] = (str(skeleton.GetPath()), target)

    def _add_skeleton(self, prim, node_index: int) -> None:
        from pxr import UsdSkel

        query = self.skel_cache.GetSkelQuery(UsdSkel.Skeleton(prim))
        if not query:
            self.warn(f"{prim.GetPath()}: a skeleton outside a SkelRoot is not posed")
            return
        if len(self.scene.nodes) + len(query.GetJointOrder()) > MAX_NODES:  # before a node each
            self.fail(f"the stage holds more than {MAX_NODES:,} prims and joints, more than holopack draws")
        joints = skel.add_joint_nodes(self.scene.nodes, node_index, query, self.rest_time)
        if len(self.scene.nodes) > MAX_NODES:
            self.fail(f"the stage holds more than {MAX_NODES:,} prims and joints, more than holopack draws")
        self._skeletons[str(prim.GetPath())] = (query, joints)

    def _bind_skins(self) -> None:
        scene = self.scene
        for node_index, target, skeleton_path in self._pending_skins:
            node = scene.nodes[node_index]
            assert node.mesh is not None
            mesh = scene.meshes[node.mesh]
            if skeleton_path not in self._skeletons:
                self.warn(f"{mesh.name}: its skeleton is not drawn; the mesh is drawn unskinned")
                continue
            query, joint_nodes = self._skeletons[skeleton_path]
            points = len(_points(target.GetPrim(), self.rest_time))
            point_indices = self._point_of_vertex[node.mesh]
            if target.HasBlendShapes():
                self._add_blend_shapes(node_index, mesh, target, points, point_indices)
                self._morphed.append((node_index, target, skeleton_path))
            if not target.HasJointInfluences():
                continue
            joints, weights = skel.joint_influences(target, points)
            skin = skel.make_skin(query, target, joint_nodes, name=skeleton_path.rsplit("/", 1)[-1])
            for p, point_index in zip(mesh.primitives, point_indices):
                p.joints, p.weights = joints[point_index], weights[point_index]
                if np.any(p.joints[p.weights > 0] >= len(skin.joints)):
                    self.fail(f"mesh {mesh.name}: a joint index is beyond its {len(skin.joints)} joints")
            scene.skins.append(skin)
            node.skin = len(scene.skins) - 1

    def _add_blend_shapes(self, node_index: int, mesh: Mesh, target, points: int, point_indices) -> None:
        """The mesh's UsdSkel blend shapes as morph targets of each of its primitives;
        their weights' animation joins the clip (``_animations``)."""
        shapes = skel.blend_shape_offsets(target, points, self.rest_time, self.warn)
        if shapes is None:
            return
        names, offsets, normal_offsets = shapes
        self.budget.spend(offsets.nbytes * 2, f"blend shapes of mesh {mesh.name}")
        for p, point_index in zip(mesh.primitives, point_indices):
            p.morph = MorphTargets(
                positions=np.ascontiguousarray(offsets[:, point_index], np.float32),
                normals=None
                if normal_offsets is None
                else np.ascontiguousarray(normal_offsets[:, point_index], np.float32),
                default_weights=np.zeros(len(names), np.float32),
                names=list(names),
            )
        mesh.weights = np.zeros(len(names), np.float32)

    def _draw_items(self) -> list[DrawItem]:
        scene = self.scene
        items = []
        stack = list(reversed(scene.roots))
        while stack:
            index = stack.pop()
            node = scene.nodes[index]
            if node.mesh is not None:
                for k in range(len(scene.meshes[node.mesh].primitives)):
                    items.append(DrawItem(node=index, mesh=node.mesh, primitive=k, skin=node.skin))
            stack.extend(reversed(node.children))
        if len(items) > MAX_DRAW_ITEMS:
            self.fail(
                f"the stage draws {len(items):,} primitives, more than the {MAX_DRAW_ITEMS:,} holopack draws"
            )
        return items

    # -- animation ---------------------------------------------------------------------
    def _animations(self, stage) -> list[Animation]:
        """One clip of every time-varying xform, skeleton and blend shape weight, sampled
        at every time code from startTimeCode to endTimeCode (and at the authored samples
        between), as LINEAR keyframes; times in seconds (time code / timeCodesPerSecond)."""
        skeletons = [(q, j) for q, j in self._skeletons.values() if q.GetAnimQuery()]
        morphed = [
            (node, target, self._skeletons[path][0].GetAnimQuery())
            for node, target, path in self._morphed
            if path in self._skeletons and self._skeletons[path][0].GetAnimQuery()
        ]
        if not self._animated and not skeletons and not morphed:
            return []
        times = self._sample_times(stage, skeletons, morphed)
        if times is None:
            return []
        rate = self._time_codes_per_second(stage)
        seconds = ((times - min(float(stage.GetStartTimeCode()), 0.0)) / rate).astype(np.float32)
        channels: list[Channel] = []
        for node, prim in self._animated:
            from pxr import Usd, UsdGeom

            xf = UsdGeom.Xformable(prim)
            mats = np.stack(
                [np.array(xf.GetLocalTransformation(Usd.TimeCode(float(t))), np.float64).T for t in times]
            )
            channels += _trs_channels(node, mats, seconds)
        for query, joint_nodes in skeletons:
            samples = skel.joint_samples(query, times)
            for j, node in enumerate(joint_nodes):
                channels += _trs_channels(node, samples[:, j], seconds)
        for node, target, anim in morphed:
            weights = skel.blend_shape_weights(anim, target, times)
            channels.append(Channel(node, "weights", "LINEAR", seconds, weights.astype(np.float32)))
        name = os.path.splitext(os.path.basename(self.path))[0] or "default"
        return [Animation(name=name, channels=channels)]

    def _time_codes_per_second(self, stage) -> float:
        rate = float(stage.GetTimeCodesPerSecond())
        if not math.isfinite(rate) or rate <= 0:
            self.warn(f"timeCodesPerSecond {rate:g} is not a rate; read as 24")
            rate = 24.0
        return rate

    def _sample_times(self, stage, skeletons, morphed) -> np.ndarray | None:
        """The time codes to key: every whole code from start to end and every authored
        sample between; None (drawn at rest, said) without a range of two codes."""
        from pxr import UsdGeom

        start, end = float(stage.GetStartTimeCode()), float(stage.GetEndTimeCode())
        if not stage.HasAuthoredTimeCodeRange() or not end > start:
            self.warn("the stage has time samples but no startTimeCode..endTimeCode range; drawn at rest")
            return None
        tracks = len(self._animated) + sum(len(j) for _, j in skeletons) + len(morphed)
        whole = math.floor(end) - math.ceil(start) + 1
        if whole * tracks > MAX_KEYS:  # before a set of every code is made (seconds for 10^7)
            self.fail(
                f"the animation needs {whole * tracks:,} keyframes, more than the {MAX_KEYS:,} holopack reads"
            )
        codes = set(np.arange(math.ceil(start), math.floor(end) + 1, dtype=np.float64).tolist())
        authored: list[float] = []
        for _, prim in self._animated:
            for op in UsdGeom.Xformable(prim).GetOrderedXformOps():
                authored += op.GetTimeSamples()
        for query, _ in skeletons:
            authored += query.GetAnimQuery().GetJointTransformTimeSamples()
        for _, _, anim in morphed:
            authored += anim.GetBlendShapeWeightTimeSamples()
        codes.update(t for t in authored if start <= t <= end)
        times = np.array(sorted(codes))
        keys = len(times) * tracks
        if keys > MAX_KEYS:
            self.fail(f"the animation needs {keys:,} keyframes, more than the {MAX_KEYS:,} holopack reads")
        self.budget.spend(keys * 10 * 8, "the animation's keyframes")
        return times if len(times) >= 2 else None


# Material field -> the role glTF gives it (holopack.scene.texture_roles); every shading
# draws the colour roles, --shading pbr the others of PBR_ROLES as well
_ROLE_OF_FIELD = {
    "base_color_texture": "baseColor",
    "metallic_roughness_texture": "metallicRoughness",
    "normal_texture": "normal",
    "occlusion_texture": "occlusion",
    "emissive_texture": "emissive",
}
_DRAWN_ROLES = ("baseColor", "emissive")

# Texture codes re-encoded where a file's sourceColorSpace differs from what holopack
# reads the role as (glTF's rule: colour maps sRGB-encoded, data maps linear): a colour
# map marked "raw" holds linear values, a data map marked "sRGB" encoded ones.
_COLOUR_ROLES = ("base_color_texture", "emissive_texture")
_CODES = np.arange(256, dtype=np.float32) / 255.0
_RECODE = {
    "linear to sRGB": np.round(linear_to_srgb(_CODES) * 255.0).astype(np.uint8),
    "sRGB to linear": np.round(srgb_to_linear(_CODES) * 255.0).astype(np.uint8),
}


def variant_choices(stage, root) -> list[tuple[str, tuple[str, str, str], str]]:
    """The variants a user may choose: every variant of every variant set on the stage's
    default prim (on each root prim when it names none), as (name, (prim path, set,
    variant), note). A name is SET=VARIANT, prefixed with PRIM/ where two root prims
    have a set of that name. The note says which variant the file selects."""
    prims = [root] if not root.IsPseudoRoot() else list(root.GetChildren())
    found = []
    for prim in prims:
        sets = prim.GetVariantSets()
        for set_name in sets.GetNames():
            variant_set = sets.GetVariantSet(set_name)
            selected = variant_set.GetVariantSelection()
            for variant in variant_set.GetVariantNames():
                found.append((prim, set_name, variant, selected))
    choices = []
    for prim, set_name, variant, selected in found:
        shared = len({p.GetPath() for p, n, _, _ in found if n == set_name}) > 1
        name = (f"{prim.GetName()}/" if shared else "") + f"{set_name}={variant}"
        note = f"USD variant set {set_name!r} of {prim.GetPath()}" + (
            ", the file's selection" if variant == selected else ""
        )
        choices.append((name, (str(prim.GetPath()), set_name, variant), note))
    return choices


def _colour_recoding(role: str, color_space: str) -> str | None:
    """The key into _RECODE a texture in ``role`` with ``color_space`` needs, or None."""
    if role in _COLOUR_ROLES and color_space == "raw":
        return "linear to sRGB"
    if role not in _COLOUR_ROLES and color_space == "sRGB":
        return "sRGB to linear"
    return None


def _trs_channels(node: int, matrices: np.ndarray, seconds: np.ndarray) -> list[Channel]:
    t, r, s = decompose_many(matrices)
    r = continuous_quaternions(r)
    return [
        Channel(node, "translation", "LINEAR", seconds, t.astype(np.float32)),
        Channel(node, "rotation", "LINEAR", seconds, r.astype(np.float32)),
        Channel(node, "scale", "LINEAR", seconds, s.astype(np.float32)),
    ]


def _vectors(values, width: int | None) -> np.ndarray | None:
    """An attribute's array value as (E, C) float64 (C = ``width`` when given), or None
    when it is empty, not an array of numbers, or of another width."""
    if values is None or isinstance(values, (int, float, str)):
        return None
    try:
        array = np.asarray(values, np.float64)
    except (TypeError, ValueError):
        return None
    if array.ndim == 1 and width is None:
        array = array[:, None]
    if array.ndim != 2 or len(array) == 0 or (width is not None and array.shape[1] != width):
        return None
    return array


def _points(prim, time):
    from pxr import UsdGeom

    return UsdGeom.PointBased(prim).GetPointsAttr().Get(time) or []


def _copy_material(material: Material) -> Material:
    return replace(
        material,
        base_color_factor=material.base_color_factor.copy(),
        emissive_factor=material.emissive_factor.copy(),
    )
