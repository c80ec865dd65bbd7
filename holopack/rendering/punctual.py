"""Punctual lights as KHR_lights_punctual defines them, and the default camera rig.

``DirectionalLight``, ``PointLight`` and ``SpotLight`` are given in view space (+X
right, +Y up, +Z towards the viewer; the camera looks down -Z), so a turntable keeps
its lighting while the model spins. Units follow KHR_lights_punctual in linear light:

- a directional light's ``direction`` is the direction the light *travels*; a
  surface facing it receives the irradiance ``intensity x color``;
- a point light at ``position`` gives ``intensity x color / d^2`` at distance d
  (intensity in candela), windowed by ``range`` when one is given:
  ``clamp(1 - (d / range)^4, 0, 1)^2 / d^2`` (the extension's recommended falloff);
- a spot light is a point light cut to a cone around ``direction``, with the
  extension's smooth angular falloff between ``inner_cone_angle`` and
  ``outer_cone_angle`` (radians): ``t = clamp(cos_angle x scale + offset, 0, 1)^2``,
  ``scale = 1 / max(0.001, cos(inner) - cos(outer))``, ``offset = -cos(outer) x scale``.

``pack_lights`` turns a list of them into the (L, LIGHT_COLUMNS) float64 table the
kernels read. Plain Python and numpy: the option table and the faces use it without
loading the kernels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .lights import Lights

# columns of the packed light table: L (unit, from the surface towards a directional
# light), radiance rgb (intensity x color), kind, view-space position, range (0 = none),
# the spot's angular scale and offset, the spot's travel direction (unit)
L_TOWARDS, L_RADIANCE, L_KIND, L_POSITION, L_RANGE, L_SPOT_SCALE, L_SPOT_OFFSET, L_SPOT_DIR = (
    0,
    3,
    6,
    7,
    10,
    11,
    12,
    13,
)
LIGHT_COLUMNS = 16
DIRECTIONAL, POINT, SPOT = 0, 1, 2


def _vector(value, name: str) -> np.ndarray:
    try:
        v = np.asarray(value, np.float64).reshape(3)
    except (TypeError, ValueError):
        raise InputError(f"light {name} must be three numbers, got {value!r}") from None
    if not np.all(np.isfinite(v)):
        raise InputError(f"light {name} must be finite, got {value!r}")
    return v


def _unit(value, name: str) -> np.ndarray:
    v = _vector(value, name)
    n = float(np.linalg.norm(v))
    if n == 0.0:
        raise InputError(f"light {name} must not be zero, got {value!r}")
    return v / n


def _intensity(value) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise InputError(f"light intensity must be a finite number >= 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class DirectionalLight:
    """Parallel light travelling along ``direction`` (view space); irradiance on a
    surface facing it = ``intensity x color`` (linear RGB)."""

    direction: tuple = (0.0, 0.0, -1.0)
    color: tuple = (1.0, 1.0, 1.0)
    intensity: float = 1.0


@dataclass(frozen=True)
class PointLight:
    """Light from ``position`` (view space) in all directions; ``intensity`` in
    candela, ``range`` None = unlimited."""

    position: tuple = (0.0, 0.0, 0.0)
    color: tuple = (1.0, 1.0, 1.0)
    intensity: float = 1.0
    range: float | None = None


@dataclass(frozen=True)
class SpotLight:
    """A point light at ``position`` shining along ``direction`` (view space) inside
    a cone: full strength within ``inner_cone_angle``, none beyond
    ``outer_cone_angle`` (radians, KHR_lights_punctual's defaults)."""

    position: tuple = (0.0, 0.0, 0.0)
    direction: tuple = (0.0, 0.0, -1.0)
    color: tuple = (1.0, 1.0, 1.0)
    intensity: float = 1.0
    range: float | None = None
    inner_cone_angle: float = 0.0
    outer_cone_angle: float = math.pi / 4.0


PunctualLight = DirectionalLight | PointLight | SpotLight


def pack_lights(lights) -> np.ndarray:
    """(L, LIGHT_COLUMNS) float64 table of the lights (see the column names above).
    Lights of zero intensity are left out. Raises InputError for a malformed light."""
    rows = []
    for light in lights:
        row = np.zeros(LIGHT_COLUMNS, np.float64)
        intensity = _intensity(light.intensity)
        if intensity == 0.0:
            continue
        row[L_RADIANCE : L_RADIANCE + 3] = np.clip(_vector(light.color, "color"), 0.0, None) * intensity
        if isinstance(light, DirectionalLight):
            row[L_KIND] = DIRECTIONAL
            row[L_TOWARDS : L_TOWARDS + 3] = -_unit(light.direction, "direction")
        elif isinstance(light, (PointLight, SpotLight)):
            row[L_KIND] = POINT if isinstance(light, PointLight) else SPOT
            row[L_POSITION : L_POSITION + 3] = _vector(light.position, "position")
            if light.range is not None:
                if not (math.isfinite(light.range) and light.range > 0):
                    raise InputError(f"light range must be a number > 0, got {light.range!r}")
                row[L_RANGE] = light.range
            if isinstance(light, SpotLight):
                inner, outer = float(light.inner_cone_angle), float(light.outer_cone_angle)
                if not (0.0 <= inner < outer <= math.pi / 2.0):
                    raise InputError(
                        "spot light cone angles must satisfy 0 <= inner < outer <= pi/2, "
                        f"got inner {inner!r}, outer {outer!r}"
                    )
                scale = 1.0 / max(0.001, math.cos(inner) - math.cos(outer))
                row[L_SPOT_SCALE] = scale
                row[L_SPOT_OFFSET] = -math.cos(outer) * scale
                row[L_SPOT_DIR : L_SPOT_DIR + 3] = _unit(light.direction, "direction")
        else:
            raise InputError(
                f"lights must be DirectionalLight, PointLight or SpotLight, got {type(light).__name__}"
            )
        rows.append(row)
    return np.array(rows, np.float64).reshape(-1, LIGHT_COLUMNS)


# The rim of the rig: a light from behind and above the model, travelling towards the
# camera, which lights the silhouette's upper edges (in the physically based model a
# rim is a light, not a term of its own)
RIM_DIRECTION = (0.0, -0.45, 0.89)


def rig(lights: Lights | None = None) -> list[PunctualLight]:
    """The camera-fixed key/fill/rim rig of ``lights`` (default: Lights()) as
    directional lights. The lit model's intensities are Lambertian factors
    (diffuse = base x I cos); a radiometric light of irradiance pi x I gives the same
    diffuse radiance (base / pi x pi I cos), so the rig keeps the look's balance."""
    lights = Lights() if lights is None else lights
    out: list[PunctualLight] = []
    for light in (lights.key, lights.fill):
        if light is None or light.intensity == 0:
            continue
        # Light.direction points towards the light; a DirectionalLight's travels from it
        towards = np.asarray(light.direction, np.float64)
        out.append(
            DirectionalLight(
                direction=tuple(-towards), color=tuple(light.color), intensity=math.pi * light.intensity
            )
        )
    if lights.rim > 0:
        out.append(
            DirectionalLight(
                direction=RIM_DIRECTION, color=tuple(lights.rim_color), intensity=math.pi * lights.rim
            )
        )
    return out


def default_rig() -> list[PunctualLight]:
    """The default lights of a render: the key/fill/rim rig of ``Lights()``."""
    return rig(None)
