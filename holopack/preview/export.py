"""``E`` in the preview: export what is on screen through ``holopack.pipeline.export``.

The settings are read from the window when the key is pressed (device, animation,
camera, brightness, render size; the shading it was opened with) and the export runs later on the render worker's
thread, the one thread that runs Numba kernels.
"""

from __future__ import annotations

import dataclasses
import os

from ..rendering.camera import Framing


def export_settings(
    controls,
    fitted_distance: float | None,
    size: int | None,
    look: dict | None = None,
    video: dict | None = None,
):
    """ExportSettings equal to the preview's state: camera, pan, brightness, size,
    ``look`` (ExportSettings.look's keywords: the shading the preview draws with) and
    ``video`` (key, crop, loop, levels: how the preview processed a clip)."""
    from ..pipeline import ExportSettings
    from .source import framing_for

    values = dict(
        device=controls.device,
        animation=controls.animation,
        framing=framing_for(Framing(), controls.camera, fitted_distance),
        brightness=float(controls.brightness),
    )
    if size:
        values["size"] = int(size)
    return ExportSettings(**values, **(look or {}), **(video or {}))


def export_current(window) -> dict:
    """Snapshot the window's settings now; return the output path and the job to run."""
    from .. import pipeline

    controls = window.controls
    snapshot = dataclasses.replace(controls)  # the state at the key press, not at run time
    profile = pipeline.resolve_profile(snapshot.device)
    output = window.export_path(profile)
    size = getattr(window, "render_size", None)

    name = os.path.basename(output)

    def report(done: int, total: int) -> None:
        window.worker.status = f"exporting {name}: {done}/{total} frames"

    def job() -> str:
        report(0, 0)
        distance = window.worker.fitted_distance(snapshot.animation)
        settings = export_settings(snapshot, distance, size, window.worker.look(), window.worker.video())
        # progress goes on screen, not to stderr
        result = pipeline.export(window.worker.scene, output, settings, progress=report)
        return f"exported {result.path}: {result.frames} frame{'s' if result.frames != 1 else ''}"

    return {"output": output, "job": job}
