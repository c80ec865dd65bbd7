"""The export pipeline, one frame at a time from the input file to the device file.

    load -> animate(t) -> render(camera) -> resample(device) -> encode -> write

``settings`` (ExportSettings), ``frames`` (Timeline, the Source of pictures, Picture) and
``exporting`` (ExportPlan, export()); the names below are the pipeline's public API.
"""

from .exporting import CallbackProgress, ExportPlan, ExportResult, default_twin, export, resolve_profile
from .frames import (
    FRAMING_ANGLES,
    FRAMING_SAMPLES,
    STATIC_SECONDS,
    CircleMask,
    Picture,
    SceneSource,
    Source,
    SplatSource,
    Timeline,
    VideoSource,
    as_lights,
    circle_mask,
    make_timeline,
    open_source,
    whole_loop_seconds,
)
from .settings import ExportSettings

__all__ = [
    "FRAMING_ANGLES",
    "FRAMING_SAMPLES",
    "STATIC_SECONDS",
    "CallbackProgress",
    "ExportPlan",
    "ExportResult",
    "ExportSettings",
    "VideoSource",
    "Picture",
    "SceneSource",
    "SplatSource",
    "Source",
    "Timeline",
    "as_lights",
    "CircleMask",
    "circle_mask",
    "default_twin",
    "export",
    "make_timeline",
    "open_source",
    "resolve_profile",
    "whole_loop_seconds",
]
