"""The lights of a render: a key and a fill light, a rim term, ambient and specular,
and ``Lights.from_table``, which reads the overrides users give (a profile's
[lights], a playlist's ``lights = {...}``, ``--light KEY=VALUE``).

Plain Python and numpy, so that the option table and the faces can check a lights
table without loading the Numba kernels that draw with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..schema import Fault
from ..textfile import show_value


def _unit(v) -> np.ndarray:
    v = np.asarray(v, np.float64)
    n = np.linalg.norm(v)
    return v / n if n > 0 else np.array([0.0, 0.0, 1.0])


@dataclass
class Light:
    """A directional light: ``direction`` points from the surface towards the light,
    in view space; ``color`` linear RGB; ``intensity`` scales it."""

    direction: tuple = (0.0, 0.0, 1.0)
    intensity: float = 1.0
    color: tuple = (1.0, 1.0, 1.0)


@dataclass
class Lights:
    """The lighting of a render; every field can be overridden.

    ``key``/``fill``: directional lights (view space). ``rim``: strength of the
    silhouette term, ``rim_power`` its falloff (higher = thinner), ``rim_color``.
    ``ambient``: light from everywhere, ``specular``: highlight strength.
    """

    key: Light = field(default_factory=lambda: Light((-0.45, 0.55, 0.70), 0.75))
    fill: Light = field(default_factory=lambda: Light((0.65, 0.05, 0.55), 0.25))
    rim: float = 0.45
    rim_power: float = 2.5
    rim_color: tuple = (1.0, 1.0, 1.0)
    ambient: float = 0.06
    specular: float = 0.25

    def pack(self) -> tuple[np.ndarray, np.ndarray]:
        """(lights (L, 6) float64 [direction xyz, radiance rgb], params (8,) float64
        [ambient, rim, rim_power, rim r, g, b, specular, 1 if rim_power is a whole or
        half number up to 8 else 0])."""
        rows = []
        for light in (self.key, self.fill):
            if light is None or light.intensity == 0:
                continue
            rows.append(
                np.concatenate(
                    [_unit(light.direction), np.asarray(light.color, np.float64) * light.intensity]
                )
            )
        lights = np.array(rows, np.float64).reshape(-1, 6)
        # a rim power that is a whole or half number up to 8 is computed with products
        # and a square root (shade), several times faster than a general power
        twice = 2.0 * self.rim_power
        short_power = float(twice == round(twice) and 0.0 <= twice <= 16.0)
        params = np.array(
            [self.ambient, self.rim, self.rim_power, *self.rim_color, self.specular, short_power], np.float64
        )
        return lights, params

    @classmethod
    def from_table(cls, table: dict) -> Lights:
        """Lights with the overrides of a table (a profile's [lights], a playlist's
        ``lights = {...}``, ``--light KEY=VALUE``): ``key``/``fill`` intensities,
        ``key_direction``/``fill_direction`` and ``*_color`` as three numbers, and
        ``rim``, ``rim_power``, ``ambient``, ``specular``. Raises holopack.schema.Fault
        with the words that follow "lights" in an error."""
        if not isinstance(table, dict):
            raise Fault(f"must be a table such as {{ rim = 1.5 }}, got {show_value(table)}")
        base = cls()
        lights: dict[str, Any] = {"key": base.key, "fill": base.fill}
        fields: dict[str, Any] = {}
        for name, value in table.items():
            if name not in LIGHT_KEYS:
                raise Fault(f"has an unknown setting {name!r} (known: {', '.join(LIGHT_KEYS)})")
            which, _, attr = name.partition("_")
            if attr in ("direction", "color"):
                vector = _light_numbers(name, value, 3)
                if which == "rim":
                    fields["rim_color"] = vector
                else:
                    lights[which] = replace(lights[which], **{attr: vector})
            elif name in lights:
                lights[name] = replace(lights[name], intensity=_light_numbers(name, value, 1)[0])
            else:
                fields[name] = _light_numbers(name, value, 1)[0]
        return replace(base, **lights, **fields)


# Keys of a lights table (Lights.from_table).
LIGHT_KEYS = (
    "key",
    "fill",
    "key_direction",
    "fill_direction",
    "key_color",
    "fill_color",
    "rim",
    "rim_power",
    "rim_color",
    "ambient",
    "specular",
)


def _light_numbers(name: str, value, count: int) -> tuple[float, ...]:
    """``count`` finite numbers (a number, or an array of ``count``), or a Fault."""
    values = value if isinstance(value, (list, tuple)) else [value]
    if len(values) != count or any(
        isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) for x in values
    ):
        wanted = "a number" if count == 1 else f"an array of {count} numbers"
        raise Fault(f"{name} must be {wanted}, got {show_value(value)}")
    return tuple(float(x) for x in values)
