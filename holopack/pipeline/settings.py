"""ExportSettings: everything that decides an export's output besides the input file."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .. import options
from ..rendering.camera import Framing
from ..video.options import video_options


@dataclass
class ExportSettings:
    """Everything that decides the output besides the input file.

    seconds None = one loop of the clip (times ``loops``); fps/size None = the device's;
    turntable = degrees per second around the vertical axis (None: a full turn per clip
    for a model without animation, none for an animated one); speed scales the clip's
    playback rate.
    """

    device: object = options.default("device")  # a profile name, a .toml path, or a DeviceProfile
    format: str | None = None
    seconds: float | None = None
    fps: float | None = None
    size: int | None = None
    animation: str | int | None = None
    variant: str | int | None = None  # KHR_materials_variants: a name or index (Scene.with_variant)
    loops: float | None = None
    speed: float = options.default("speed")
    turntable: float | None = None
    framing: Framing = field(default_factory=Framing)
    lights: dict | None = None
    supersample: int | None = None
    circle_mask: bool | None = None
    shading: str = options.default("shading")
    model_lights: bool = False  # draw with the model's KHR_lights_punctual lights
    environment: str = options.default("environment")  # image-based light of "pbr"
    tone_mapping: str | None = options.default("tone_mapping")  # None: the shading's own
    exposure: float = options.default("exposure")
    brightness: float = 1.0  # scales the picture's light before the device's own limit
    # video input (holopack.video, docs/video.md): --key, --crop, --loop, --levels, --edge-fade,
    # --see-through
    key: str = options.default("key")
    crop: str = options.default("crop")
    loop: str | None = options.default("loop")
    levels: str | None = options.default("levels")
    edge_fade: str | None = options.default("edge_fade")
    see_through: str | None = options.default("see_through")

    def video_options(self):
        return video_options(self.key, self.crop, self.loop, self.levels, self.edge_fade, self.see_through)

    def look(self) -> dict:
        """The keywords every picture source takes from these settings alike (how the
        model is turned and shaded): open_source's and the wall's CanvasSource's."""
        return {
            "shading": self.shading,
            "front": self.front,
            "up": self.up,
            "environment": self.environment,
            "tone_mapping": self.tone_mapping,
            "exposure": self.exposure,
            "model_lights": self.model_lights,
            "variant": self.variant,
        }

    @classmethod
    def from_options(cls, values: dict, **fields) -> ExportSettings:
        """Settings from option values ({name: value}, holopack.options), plus fields."""
        settings, framing = options.settings_fields(values)
        settings.update(fields)
        if framing:
            settings["framing"] = replace(settings.get("framing") or Framing(), **framing)
        return cls(**settings)

    front: str = options.default("front")  # the model's axis that faces the viewer
    up: str = options.default("up")  # the model's axis that points up
