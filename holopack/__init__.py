"""holopack: pack 3D digital twins and videos for spinning-LED hologram fans.

The pipeline, one way: load -> animate -> render -> resample for the device -> encode
-> write. The library API::

    import holopack
    scene = holopack.load("twin.glb")                  # a Scene of numpy arrays
    scene.animations                                   # clips, with names and durations
    scene.posed_positions(animation="Dance", time=1.5) # world-space vertices per primitive
    picture = holopack.render(scene, view, projection, (512, 512))   # .color, .depth
    holopack.export("twin.glb", "LOOP.BIN", device="3dcircle-42f2")

The functions are the library's own (``holopack.render`` is
``holopack.rendering.render``), imported on first use (PEP 562) so that ``import
holopack`` stays light and ``help()`` shows their real signatures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .allocator import configure as _configure_allocator
from .openmp import configure as _configure_openmp

# Before any parallel kernel loads libgomp: a notebook or script that calls the library
# waits as briefly as the command does (see holopack.openmp).
_configure_openmp()
# Before the first big array: freed arrays' memory is reused, not mapped and faulted in
# again for the next one (see holopack.allocator).
_configure_allocator()

from .errors import HolopackError, InputError, OutputError  # noqa: E402
from .lazy import attributes  # noqa: E402

__version__ = "0.1.0"

# public name -> the module (under holopack) that defines it, imported when first asked for
_LAZY = {
    "load": "scene.load",
    "render": "rendering",
    "export": "pipeline",
    "load_profile": "device",
    "list_profiles": "device",
    "DirectionalLight": "rendering.punctual",
    "PointLight": "rendering.punctual",
    "SpotLight": "rendering.punctual",
}

if TYPE_CHECKING:  # what IDEs and type checkers see
    from .device import list_profiles, load_profile
    from .pipeline import export
    from .rendering import render
    from .rendering.punctual import DirectionalLight, PointLight, SpotLight
    from .scene.load import load


__getattr__ = attributes(__name__, _LAZY, globals())  # later lookups skip it


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "load",
    "render",
    "export",
    "load_profile",
    "list_profiles",
    "DirectionalLight",
    "PointLight",
    "SpotLight",
    "HolopackError",
    "InputError",
    "OutputError",
    "__version__",
]
