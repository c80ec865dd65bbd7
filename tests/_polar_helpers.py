"""Shared pieces of the device and fan-format tests: small profiles and a test pattern."""

from __future__ import annotations

import numpy as np

from holopack.device.profile import PROFILE_DIR, DeviceProfile, parse_profile

QUADRANTS = {  # picture quadrant -> linear colour (row 0 at the top)
    "top_left": (1.0, 0.0, 0.0),
    "top_right": (0.0, 1.0, 0.0),
    "bottom_left": (0.0, 0.0, 1.0),
    "bottom_right": (1.0, 1.0, 0.0),
}


def small_profile(
    leds=16,
    slices=64,
    blades=((0.0, 0.0),),
    blade_data="shared",
    led0="outer",
    direction="cw",
    slice0=0.0,
    size_mm=None,
    hub=0.0,
    bit_depth=8,
    dither="none",
    fmt="polarstream",
    extra="",
) -> DeviceProfile:
    """A polar profile built from TOML text, small enough for brute-force references."""
    pitch = 2.0
    blade_text = "".join(f"[[geometry.blades]]\nangle_deg = {a}\nradial_offset = {o}\n" for a, o in blades)
    text = f"""
name = "test-fan"
kind = "polar"
format = "{fmt}"
fps = 10
[render]
render_size = 64
[geometry]
leds_per_blade = {leds}
led_pitch_mm = {pitch}
led_size_mm = {size_mm or pitch}
hub_radius_mm = {hub}
slices = {slices}
slice0_angle_deg = {slice0}
direction = "{direction}"
led0 = "{led0}"
blade_data = "{blade_data}"
{blade_text}
[colour]
bit_depth = {bit_depth}
dither = "{dither}"
{extra}
"""
    return parse_profile(text, "test-fan.toml")


def shipped_text(name: str) -> str:
    return (PROFILE_DIR / f"{name}.toml").read_text()


def with_render_size(name: str, size: int) -> DeviceProfile:
    """A shipped profile with a smaller render size, for quick tests."""
    text = shipped_text(name)
    lines = [
        f"render_size = {size}" if line.startswith("render_size") else line for line in text.splitlines()
    ]
    return parse_profile("\n".join(lines), f"{name}.toml")


def pattern_picture(size: int) -> np.ndarray:
    """float32 (size, size, 3) linear: coloured quadrants, and a white arrow in the
    middle pointing up (a shaft and a wider head at the top)."""
    pic = np.zeros((size, size, 3), np.float32)
    h = size // 2
    pic[:h, :h] = QUADRANTS["top_left"]
    pic[:h, h:] = QUADRANTS["top_right"]
    pic[h:, :h] = QUADRANTS["bottom_left"]
    pic[h:, h:] = QUADRANTS["bottom_right"]
    y, x = np.mgrid[0:size, 0:size] + 0.5
    u = (x - size / 2) / (size / 2)  # -1 .. 1, right
    v = (size / 2 - y) / (size / 2)  # -1 .. 1, up
    shaft = (np.abs(u) < 0.08) & (v > -0.55) & (v < 0.2)
    head = (v >= 0.2) & (v < 0.6) & (np.abs(u) < 0.3 * (0.6 - v) / 0.4)
    pic[shaft | head] = 1.0
    return pic


def arrow_points_up(picture: np.ndarray) -> bool:
    """True when the white region (relative to the brightest white, as a dimmed fan
    shows it) is taller than wide and widest above the centre."""
    grey = picture.astype(int).min(axis=2)
    white = grey > 0.7 * grey.max()
    rows = np.nonzero(white.any(axis=1))[0]
    cols = np.nonzero(white.any(axis=0))[0]
    if rows.size == 0:
        return False
    height = rows[-1] - rows[0]
    width = cols[-1] - cols[0]
    widths = white.sum(axis=1)
    widest_row = int(np.argmax(widths))
    centre = picture.shape[0] / 2
    return bool(height > width and widest_row < centre and widths[widest_row] > 2.5 * np.median(widths[rows]))


def quadrant_colours(picture: np.ndarray) -> dict[str, np.ndarray]:
    """Mean colour near the middle of each quadrant (away from the arrow), scaled so the
    brightest channel of the picture reads 255."""
    picture = picture.astype(float) * (255.0 / max(picture.max(), 1))
    n = picture.shape[0]
    a, b = int(n * 0.22), int(n * 0.30)
    c, d = n - b, n - a
    return {
        "top_left": picture[a:b, a:b].reshape(-1, 3).mean(axis=0),
        "top_right": picture[a:b, c:d].reshape(-1, 3).mean(axis=0),
        "bottom_left": picture[c:d, a:b].reshape(-1, 3).mean(axis=0),
        "bottom_right": picture[c:d, c:d].reshape(-1, 3).mean(axis=0),
    }
