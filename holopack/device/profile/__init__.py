"""Device profiles: everything that differs between fans, read from TOML.

A profile is a TOML file with top-level keys and up to five tables::

    name, description, kind ("polar" | "video"), format, fps, max_seconds, base
    [render]    render_size, supersample, video_size, circle_mask
    [geometry]  polar only: leds_per_blade, led_pitch_mm, led_size_mm, hub_radius_mm,
                slices, slice0_angle_deg, direction, led0, blade_data, [[geometry.blades]]
    [colour]    channel_order, bit_depth, gamma, brightness_limit, dither, dither_per_frame
    [file]      layout details for the writer named by ``format`` (keys depend on it)
    [lights]    free-form table handed to the renderer

``base = "NAME"`` starts from a shipped profile and overrides only the keys given, so a
hardware measurement (hub size, start angle) is a three-line user file.

Angles are in the picture's own frame: x to the right, y down, 0 deg = 3 o'clock, and
positive angles turn clockwise as a viewer in front of the fan sees it.

``device_profile`` holds DeviceProfile and Blade, ``schema`` the keys' checks and the loading,
``toml_text`` writes a profile back as TOML; the names below are the public API.
"""

from .device_profile import Blade, DeviceProfile
from .schema import PROFILE_DIR, list_profiles, load_profile, parse_profile
from .toml_text import to_toml

__all__ = [
    "PROFILE_DIR",
    "Blade",
    "DeviceProfile",
    "list_profiles",
    "load_profile",
    "parse_profile",
    "to_toml",
]
