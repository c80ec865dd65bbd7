"""The model's own KHR_lights_punctual lights as view-space punctual lights at one
instant (``--model-lights``): each sits at its node's origin and points down the
node's -Z axis, carried by the node's animated world matrix, then by the view."""

from __future__ import annotations

import numpy as np

from ..animate.pose import world_matrices
from .punctual import DirectionalLight, PointLight, PunctualLight, SpotLight


def model_lights_in_view(
    scene, view, animation: int | None = None, time: float = 0.0, model=None
) -> list[PunctualLight]:
    """The scene's ``lights`` (holopack.scene.model_lights.ModelLight) at ``time``
    of ``animation`` in the view space of ``view`` (4, 4); ``model`` (4, 4): a
    matrix applied to the world before the view (the exporter's axis turn)."""
    lights = getattr(scene, "lights", None) or []
    if not lights:
        return []
    world = world_matrices(scene, animation, time)
    to_view = np.asarray(view, np.float64) @ (np.eye(4) if model is None else np.asarray(model, np.float64))
    out: list[PunctualLight] = []
    for light in lights:
        m = to_view @ world[light.node]
        position = m[:3, 3] / (m[3, 3] if m[3, 3] != 0 else 1.0)
        direction = m[:3, :3] @ np.array([0.0, 0.0, -1.0])
        norm = float(np.linalg.norm(direction))
        direction = direction / norm if norm > 0 else np.array([0.0, 0.0, -1.0])
        if light.kind == "directional":
            out.append(DirectionalLight(tuple(direction), light.color, light.intensity))
        elif light.kind == "point":
            out.append(PointLight(tuple(position), light.color, light.intensity, light.range))
        else:
            out.append(
                SpotLight(
                    tuple(position),
                    tuple(direction),
                    light.color,
                    light.intensity,
                    light.range,
                    light.inner_cone_angle,
                    light.outer_cone_angle,
                )
            )
    return out
