"""glTF 2.0 reader (.gltf with external or embedded buffers, .glb, .vrm).

The JSON is parsed with the standard library and GLB chunks are split here, so that
every fault in a file we did not make can be reported in plain words; accessors are
decoded with numpy. Everything the renderer and the animation engine need ends up in
a :class:`holopack.scene.scene.Scene`:

* nodes with rest TRS (a ``matrix`` node is decomposed, the matrix kept),
* meshes with triangle-list primitives (strips and fans converted, points and
  lines skipped with a warning), normals computed when absent,
* materials, textures decoded to (H, W, 4) uint8, skins, animations,
* ``draw_items``: a depth-first walk of the default scene.

Any fault raises :class:`holopack.errors.InputError` naming the file; an unexpected
exception inside the reader is converted to ``InputError("unreadable glTF: ...")``.

The reader is split by what it reads, each part a class the next one extends:
``container`` (JSON, GLB, buffers) -> ``accessors`` -> ``materials`` -> ``geometry``
(nodes, meshes, the drawn walk) -> ``animation`` (skins, animations) -> ``reader``.
"""

from .reader import load_gltf

__all__ = ["load_gltf"]
