"""holopack: pack 3D digital twins and videos for spinning-LED hologram fans.

The pipeline, one way: load -> animate -> render -> resample for the device -> encode
-> write. The library API::

    import holopack
    scene = holopack.load("twin.glb")                  # a Scene of numpy arrays
    scene.animations                                   # clips, with names and durations
    scene.posed_positions(animation="Dance", time=1.5) # world-space vertices per primitive
    frame = holopack.render(scene, view, projection, (512, 512))   # .color, .depth
    holopack.export("twin.glb", "LOOP.BIN", device="3dcircle-42f2")
"""
__version__ = "0.1.0"

from .errors import HolopackError, InputError, OutputError  # noqa: E402


# Every entry point imports its stage on first use: importing holopack (and the command
# line) must not pull in numpy and Numba before the first run's compile notice is out.
def load(*args, **kwargs):
    """holopack.scene.load.load: see holopack/scene/load.py."""
    from .scene.load import load as _load

    return _load(*args, **kwargs)


def render(*args, **kwargs):
    """holopack.render.render: see holopack/render/__init__.py."""
    from .render import render as _render

    return _render(*args, **kwargs)


def export(*args, **kwargs):
    """holopack.pipeline.export: see holopack/pipeline.py."""
    from .pipeline import export as _export

    return _export(*args, **kwargs)


def load_profile(name):
    from .device import load_profile as _load_profile

    return _load_profile(name)


def list_profiles():
    from .device import list_profiles as _list_profiles

    return _list_profiles()


__all__ = ["load", "render", "export", "load_profile", "list_profiles", "HolopackError",
           "InputError", "OutputError", "__version__"]
