"""The desktop preview: the render and the simulated fan side by side, live.

``run_preview`` is what ``holopack preview`` calls. The window (glfw, OpenGL 3.3 core,
GLSL in the top-level ``shaders/`` folder) is imported only when a preview opens, so
the rest of holopack never needs a display.
"""

from __future__ import annotations

import os
from functools import partial

from .. import options

__all__ = ["run_preview"]


def run_preview(
    input_path=None,
    device: str = options.option("device").default_for(options.PREVIEW),
    *,
    animation=None,
    size: int | None = None,
    frames: int | None = None,
    screenshot: str | None = None,
    script=None,
    window_size: tuple[int, int] = (1280, 720),
    output_dir: str = ".",
    realtime: bool | None = None,
    video: dict | None = None,
    look: dict | None = None,
) -> int:
    """Open the preview window on ``input_path`` (None: the bundled default twin).

    device: profile name or .toml path the fan view simulates (``d`` cycles through the
    shipped profiles); animation: clip name or index to start with; size: render size
    in pixels (default: the device's); frames: quit after this many UI frames (headless
    runs); screenshot: save a PNG of the window before quitting; script: scripted input
    (a JSON list of events, a JSON string or a path to a JSON file, see
    ``PreviewWindow.apply_event``); output_dir: where ``S`` screenshots and ``E`` exports
    go; realtime: advance the clock by wall time (default) or, when False (the default
    with ``frames``), by one device frame per UI frame so that runs are reproducible;
    video: key/crop/loop/levels for video input (holopack.video), as ExportSettings;
    look: the shading options as the command line gives them (holopack.options: shading,
    environment, tone_mapping, exposure; None or absent: export's defaults), which both
    panels draw with, as export does.

    Returns the exit status (0). Raises HolopackError when no display is available.
    """
    from ..device import list_profiles
    from ..pipeline import default_twin, resolve_profile
    from ..scene.load import load
    from .source import PipelineFrames
    from .window import PreviewWindow, check_display, load_script

    check_display()
    path = os.fspath(input_path) if input_path else default_twin()
    profile = resolve_profile(device)  # a bad device name fails before any window opens
    events = load_script(script)
    scene = load(path)
    devices = list_profiles()
    name = profile.name if profile.name in devices and not os.path.exists(str(device)) else str(device)
    if realtime is None:
        realtime = frames is None
    fixed_dt = None if realtime else 1.0 / float(profile.fps)
    window = PreviewWindow(
        path,
        scene,
        name,
        devices=devices,
        window_size=window_size,
        animation=animation,
        frames_factory=partial(
            PipelineFrames, size=size, video=video, look=options.settings_fields(look or {})[0]
        ),
        fixed_dt=fixed_dt,
        output_dir=output_dir,
    )
    window.render_size = size
    try:
        return window.run(frames=frames, script=events, screenshot=screenshot)
    finally:
        window.close()
