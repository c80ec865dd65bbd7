"""Content packages for installers: a playlist rendered for several fans, and checks.

    from holopack.pack import pack, validate
    report = pack("shop.toml", "out/")          # or "out.zip"
    result = validate("out/")                   # a package, a device folder or one file

Imports stay lazy: worker processes import this package before they may import Numba.
"""


def pack(*args, **kwargs):
    """holopack.pack.package.pack: see package.py."""
    from .package import pack as _pack

    return _pack(*args, **kwargs)


def validate(*args, **kwargs):
    """holopack.pack.validate.validate: see validate.py."""
    from .validate import validate as _validate

    return _validate(*args, **kwargs)


def load_playlist(path):
    from .playlist import load_playlist as _load_playlist

    return _load_playlist(path)


__all__ = ["pack", "validate", "load_playlist"]
