"""The model's own lights (KHR_lights_punctual), read from a glTF document.

Each light hangs on a node: it sits at the node's origin and points down the node's
-Z axis (the extension's convention). holopack draws with them when asked
(``--model-lights``: holopack.rendering.model_lights turns them into view-space
punctual lights at each frame)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelLight:
    """One KHR_lights_punctual light on node ``node``: kind "directional" | "point" |
    "spot", linear ``color`` (3,), ``intensity`` (lux for directional, candela
    otherwise), ``range`` (None = unlimited), spot cone angles in radians."""

    node: int
    kind: str
    color: tuple = (1.0, 1.0, 1.0)
    intensity: float = 1.0
    range: float | None = None
    inner_cone_angle: float = 0.0
    outer_cone_angle: float = math.pi / 4.0
    name: str = ""


def _number(value, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return default
    return float(value)


def read_model_lights(gltf: dict, warn: Callable[[str], None]) -> list[ModelLight]:
    """The lights the document's nodes carry, in node order. A malformed light is
    left out with a warning (it changes only the optional --model-lights look)."""
    ext = (gltf.get("extensions") or {}).get("KHR_lights_punctual") if isinstance(gltf, dict) else None
    defined = ext.get("lights") if isinstance(ext, dict) else None
    if not isinstance(defined, list):
        return []
    out = []
    nodes: list = gltf["nodes"] if isinstance(gltf.get("nodes"), list) else []
    for n, node in enumerate(nodes):
        ref = ((node.get("extensions") or {}) if isinstance(node, dict) else {}).get("KHR_lights_punctual")
        if not isinstance(ref, dict):
            continue
        index = ref.get("light")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(defined):
            warn(f"node {n}: KHR_lights_punctual light {index!r} does not exist; ignored")
            continue
        spec = defined[index] if isinstance(defined[index], dict) else {}
        kind = spec.get("type")
        if kind not in ("directional", "point", "spot"):
            warn(f"KHR_lights_punctual light {index}: unknown type {kind!r}; ignored")
            continue
        color = spec.get("color", [1.0, 1.0, 1.0])
        if not (isinstance(color, list) and len(color) == 3):
            color = [1.0, 1.0, 1.0]
        rng = _number(spec.get("range"), 0.0)
        spot: dict = spec["spot"] if isinstance(spec.get("spot"), dict) else {}
        outer = min(max(_number(spot.get("outerConeAngle"), math.pi / 4.0), 1e-4), math.pi / 2.0)
        inner = min(max(_number(spot.get("innerConeAngle"), 0.0), 0.0), outer * 0.999)
        out.append(
            ModelLight(
                node=n,
                kind=kind,
                color=tuple(max(0.0, _number(c, 1.0)) for c in color),
                intensity=max(0.0, _number(spec.get("intensity"), 1.0)),
                range=rng if rng > 0 else None,
                inner_cone_angle=inner,
                outer_cone_angle=outer,
                name=str(spec.get("name", "")),
            )
        )
    return out
