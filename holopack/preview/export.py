"""``E`` in the preview: export what is on screen through ``holopack.pipeline.export``.

The settings are read from the window when the key is pressed (device, animation,
camera, brightness, render size) and the export runs later on the render worker's
thread, the one thread that runs Numba kernels.
"""
from __future__ import annotations

import dataclasses
import os

from ..render.camera import Framing


def export_settings(controls, fitted_distance: float | None, size: int | None):
    """ExportSettings equal to the preview's state (pan aside: Framing has none)."""
    from ..pipeline import ExportSettings

    cam = controls.camera
    framing = Framing(yaw=float(cam.yaw), pitch=float(cam.pitch),
                      distance=None if fitted_distance is None or cam.zoom == 1.0
                      else float(fitted_distance * cam.zoom))
    fields = {f.name for f in dataclasses.fields(ExportSettings)}
    values = dict(device=controls.device, animation=controls.animation, framing=framing)
    if size:
        values["size"] = int(size)
    if "brightness" in fields:
        values["brightness"] = float(controls.brightness)
    return ExportSettings(**values)


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
        settings = export_settings(snapshot, distance, size)
        # progress on screen where the pipeline takes a callback, else none (not stderr)
        progress = report if hasattr(pipeline, "CallbackProgress") else False
        result = pipeline.export(window.worker.scene, output, settings, progress=progress)
        notes = []
        if any(snapshot.camera.pan):
            notes.append("pan not exported")
        if snapshot.brightness != 1.0 and "brightness" not in {
                f.name for f in dataclasses.fields(pipeline.ExportSettings)}:
            notes.append("brightness not exported")
        extra = f" ({', '.join(notes)})" if notes else ""
        return f"exported {result.path}: {result.frames} frames{extra}"

    return {"output": output, "job": job}
