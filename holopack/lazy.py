"""A package's public names imported on first use (PEP 562).

Packages whose names pull in Numba kernels or other heavy modules (the top level, the
renderer, the animation code, the fans' tools) list them here instead of importing them,
so that what the command line and the option table need loads in moments.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def attributes(package: str, where: dict[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` for ``package``: ``where`` maps each public name to
    the module that defines it, relative to the package (``"renderer"``, ``"scene.load"``);
    a name found is stored in ``namespace`` (the package's globals), so later lookups go
    straight there."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__
