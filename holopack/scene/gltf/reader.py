"""The glTF reader put together: read a file, build its Scene, turn any fault into an
InputError."""

from __future__ import annotations

import os

from ...errors import InputError
from ..model_lights import read_model_lights
from ..scene import Scene
from ..texture_roles import texture_roles
from ..types import Material
from .animation import AnimationReader
from .container import _GLB_MAGIC, _SINGULAR


def load_gltf(path: str | os.PathLike) -> Scene:
    """Read a .gltf/.glb/.vrm file into a Scene; raise InputError on any fault."""
    path = os.fspath(path)
    try:
        return _Reader(path).read()
    except InputError:
        raise
    except MemoryError:
        raise InputError("unreadable glTF: the file needs more memory than is available", path) from None
    except RecursionError:
        raise InputError("unreadable glTF: the file is nested too deeply", path) from None
    except Exception as exc:  # last resort: no traceback ever reaches the user
        detail = str(exc) or type(exc).__name__
        raise InputError(f"unreadable glTF: {detail}", path) from None


class _Reader(AnimationReader):
    def read(self) -> Scene:
        try:
            with open(self.path, "rb") as f:
                # the file is read whole: it counts against the budget first (a 600 MB
                # .gltf, nearly all an unused data: URI, peaked at 1.9 GB; a GLB with a
                # 700 MB binary chunk at 1.5 GB, before anything refused them)
                size = os.fstat(f.fileno()).st_size
                self.budget.spend(size, "the file itself (it is read whole)")
                data = f.read(size + 1)
        except OSError as exc:
            self.fail(f"cannot read: {exc.strerror}")
        if len(data) > size:
            self.fail("the file grew while it was read")
        if data[:4] == _GLB_MAGIC:
            json_bytes = self._split_glb(data)
        elif self.path.lower().endswith(".glb"):
            if len(data) < 12:
                self.fail("truncated GLB: the file is shorter than its 12-byte header")
            self.fail("not a GLB file (the first four bytes are not 'glTF')")
        else:
            json_bytes = data
        self.gltf = self._parse_json(json_bytes)
        del data, json_bytes  # a GLB's binary chunk is kept apart (glb_bin)
        self._check_asset()
        return self._build()

    # -- the scene -----------------------------------------------------------------
    def _build(self) -> Scene:
        g = self.gltf
        for key in (
            "nodes",
            "meshes",
            "accessors",
            "bufferViews",
            "buffers",
            "materials",
            "textures",
            "images",
            "samplers",
            "skins",
            "animations",
            "scenes",
        ):
            for i, item in enumerate(self._list(g, key, "the file")):
                self._dict(item, f"{_SINGULAR[key]} {i}")
        scene = Scene(path=self.path)
        scene.nodes = self._read_nodes()
        # the file's own nodes: the ones after them stand for EXT_mesh_gpu_instancing's
        # instances, which no scene, skin or channel of the file can name
        file_nodes = len(self._list(g, "nodes", "the file"))
        scene.roots = self._read_roots(file_nodes)
        self._texture_map: dict[int, int | None] = {}
        self._encoded = []
        self._scene = scene
        # geometry first: a missing .bin is the fault to report before a missing picture
        scene.skins = self._read_skins(file_nodes)
        self.variant_names = scene.variants = self._read_variant_names()
        scene.meshes = self._read_meshes()
        scene.materials = self._read_materials()
        self._decode_textures()
        if self._default_used:
            scene.materials.append(Material(name="default"))
        self._check_node_weights(scene)
        scene.draw_items = self._walk(scene)
        self._check_joints(scene)
        scene.animations = self._read_animations(scene)
        scene.texture_roles = texture_roles(self.gltf)
        scene.lights = read_model_lights(self.gltf, self.warn)
        # checked last so that a broken file is reported for what is broken in it
        if not scene.draw_items:
            skipped = [w for w in self.warnings if "were skipped" in w]
            if skipped:
                self.fail("the scene has nothing a fan can show: " + "; ".join(skipped))
            if scene.meshes:  # the meshes are there, but no node of the scene shows one
                count = len(scene.meshes)
                self.fail(
                    f"the scene contains no mesh to draw: no node of it shows the file's {count} "
                    + ("mesh" if count == 1 else "meshes")
                )
            self.fail("the scene contains no mesh to draw")
        scene.warnings = self.warnings
        return scene
