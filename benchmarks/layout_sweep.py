"""Wall files and device profiles as installers write them, through every face of holopack.

Each case is a small folder (a wall file, sometimes the installer's own device profiles)
written into a temporary folder, never into the repository. For each case:
``holopack export PICTURE --wall WALL.toml`` (one frame), then for a wall that must
work ``holopack validate`` on the folder, ``holopack decode --frames 1`` of every fan's
file (the PNGs stay under ``--out`` to be looked at), and a numeric check of every polar
fan's frame against a reference written here from the published rules alone:

- the picture is fitted to the bounding rectangle of the fan circles (aspect kept,
  centred), and each LED cell's reference is the picture's linear light averaged over
  the cell (n x n samples over its ring and slice), placed as the wall file mounts the
  fan (mirror in its own frame, then the turn counter-clockwise);
- a point belongs to the nearest fan centre among the fans whose circle covers it;
- ``leak``: lit cells whose centre the fan does not own (must be 0);
- ``psnr``: the owned cells against the reference, the worst fan (dB, gamma-encoded);
- ``twice`` / ``none``: of sample points inside the picture and more than two cells from
  any border or rim, the fraction lit by two fans or by none (the picture has no black,
  so a point under an owned cell of a fan of 6 bits or more is lit).

A wall that must fail must fail with one line naming the file and the fault, a
non-zero exit status, no traceback and nothing left behind.

    python benchmarks/layout_sweep.py [--out FOLDER] [--only NAME,...] [--no-cli]

(``--no-cli`` only parses the walls with holopack.wall.load_wall.)
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time

import imageio_ffmpeg
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one
from sweeps import run_sweep  # noqa: E402  (benchmarks/ is not a package)

HOLOPACK = [sys.executable, "-m", "holopack"]
FF = imageio_ffmpeg.get_ffmpeg_exe()
GAMMA = 2.2
PIC_W, PIC_H = 900, 560

F2 = 'device = "3dcircle-42f2"\n'


def fan(name, x, y, **extra) -> str:
    lines = [f'[[fans]]\nname = "{name}"\nx = {x!r}\ny = {y!r}']
    for k, v in extra.items():
        lines.append(f"{k} = {json.dumps(v)}")
    return "\n".join(lines) + "\n"


def grid(rows, cols, pitch, layout="square", device=None) -> str:
    text = f'[grid]\nrows = {rows}\ncols = {cols}\npitch = {pitch!r}\nlayout = "{layout}"\n'
    return text + (f'device = "{device}"\n' if device else "")


# ---- installers' own device profiles ---------------------------------------------------------
def f2_family(leds: int, bits: int, slices: int = 512) -> str:
    """A 42-F2 sibling of the vendor encoder's other configurations, 420 mm across."""
    pitch = 210.0 / leds
    return (
        f'base = "3dcircle-42f2"\nname = "f2-{leds}-{bits}"\ndiameter_mm = 420.0\n'
        f"[render]\nrender_size = {leds * 6}\n"
        f"[geometry]\nleds_per_blade = {leds}\nled_pitch_mm = {pitch!r}\nled_size_mm = {pitch!r}\n"
        f"slices = {slices}\n[colour]\nbit_depth = {bits}\n"
    )


# the DIY fans are set to the 42-F2's 30 fps: polar fans of one wall share a rate
DIY_ONE_BLADE = """base = "diy-apa102"
name = "diy-one"
fps = 30.0
[geometry]
blade_data = "shared"
[[geometry.blades]]
angle_deg = 0.0
"""
DIY_FOUR_BLADES = """base = "diy-apa102"
name = "diy-four"
fps = 30.0
[geometry]
leds_per_blade = 37
blade_data = "per_blade"
slices = 90
slice0_angle_deg = 90.0
direction = "ccw"
blades = [{angle_deg = 0.0}, {angle_deg = 90.0, radial_offset = 0.25},
          {angle_deg = 180.0, radial_offset = 0.5}, {angle_deg = 270.0, radial_offset = 0.75}]
"""
F2_TURNED = """base = "3dcircle-42f2"
name = "f2-turned"
[geometry]
slice0_angle_deg = 90.0
direction = "ccw"
led0 = "inner"
slices = 300
"""
MP4_720 = 'base = "mp4-fan"\nname = "mp4-720"\nfps = 25.0\ndiameter_mm = 420.0\n[render]\nrender_size = 720\nvideo_size = 720\n'
MP4_1024 = 'base = "mp4-fan"\nname = "mp4-1024"\nfps = 30.0\ndiameter_mm = 420.0\n'
NO_NAME = 'base = "3dcircle-42f2"\n[geometry]\nslices = 256\n'


def circle(n, radius, start=0.0) -> str:
    out = ""
    for k in range(n):
        t = start + 2 * math.pi * k / n
        out += fan(f"C{k + 1:02d}", round(radius * math.cos(t), 3), round(radius * math.sin(t), 3))
    return out


# name -> (files, expect): files maps a file name in the case folder to its text; the
# wall is "wall.toml". expect: "ok" (exports and checks), or a piece of the one-line error.
CASES: dict[str, tuple[dict[str, str | bytes], str]] = {
    # --- shapes that must work
    "one-fan": ({"wall.toml": F2 + fan("SOLO", 0.0, 0.0)}, "ok"),
    "row-1x5-overlap5%": ({"wall.toml": F2 + grid(1, 5, 399.0)}, "ok"),
    "column-4x1-overlap30%": ({"wall.toml": F2 + grid(4, 1, 294.0)}, "ok"),
    "grid-2x2-touching": ({"wall.toml": F2 + grid(2, 2, 420.0)}, "ok"),
    "grid-3x3-overlap10%": ({"wall.toml": F2 + grid(3, 3, 378.0)}, "ok"),
    "grid-6x4-gaps": ({"wall.toml": F2 + grid(4, 6, 460.0)}, "ok"),
    "grid-4x12-zero-pad-names": ({"wall.toml": F2 + grid(4, 12, 400.0)}, "ok"),
    "staggered-3x4-hex": ({"wall.toml": F2 + grid(3, 4, 420.0, "staggered")}, "ok"),
    "staggered-2x3-overlap20%": ({"wall.toml": F2 + grid(2, 3, 336.0, "staggered")}, "ok"),
    "circle-of-8": ({"wall.toml": F2 + circle(8, 600.0)}, "ok"),
    "l-shape": (
        {
            "wall.toml": F2
            + "".join(fan(f"L{k}", 0.0, -400.0 * k) for k in range(3))
            + fan("L3", 400.0, -800.0)
        },
        "ok",
    ),
    "diagonal-negative": (
        {"wall.toml": F2 + "".join(fan(f"D{k}", -2000.0 + 350.0 * k, -900.0 - 350.0 * k) for k in range(4))},
        "ok",
    ),
    "rotated-mirrored": (
        {
            "wall.toml": F2
            + fan("R0", 0.0, 0.0, rotation=90.0)
            + fan("R1", 400.0, 0.0, rotation=-33.5, mirror=True)
            + fan("R2", 800.0, 0.0, rotation=720.0 + 180.0)
        },
        "ok",
    ),
    "integer-coordinates": (
        {"wall.toml": F2 + '[[fans]]\nname = "I1"\nx = 0\ny = 0\n[[fans]]\nname = "I2"\nx = 400\ny = 0\n'},
        "ok",
    ),
    "far-wider-than-picture": ({"wall.toml": F2 + grid(1, 8, 420.0)}, "ok"),
    "fan-outside-picture": ({"wall.toml": F2 + grid(1, 2, 400.0) + fan("FAR", 200.0, 3000.0)}, "ok"),
    "mixed-f2-mp4-legacy": (
        {
            "wall.toml": F2
            + fan("F2", 0.0, 0.0)
            + fan("mp4", 480.0, 0.0, device="mp4-fan")
            + fan("old", 960.0, 0.0, device="legacy-224")
        },
        "ok-off-rate",
    ),
    "own-profiles-by-path": (
        {
            "wall.toml": F2
            + fan("A", 0.0, 0.0, device="profiles/f2-48.toml")
            + fan("B", 400.0, 0.0, device="profiles/diy-four.toml")
            + fan("C", 0.0, -400.0, device="profiles/f2-turned.toml")
            + fan("D", 400.0, -400.0, device="profiles/diy-one.toml"),
            "profiles/f2-48.toml": f2_family(48, 6),
            "profiles/diy-four.toml": DIY_FOUR_BLADES,
            "profiles/f2-turned.toml": F2_TURNED,
            "profiles/diy-one.toml": DIY_ONE_BLADE,
        },
        "ok",
    ),
    "f2-family-rgb888": (
        {
            "wall.toml": fan("A", 0.0, 0.0, device="f2-64.toml") + fan("B", 400.0, 0.0, device="f2-256.toml"),
            "f2-64.toml": f2_family(64, 8, 400),
            "f2-256.toml": f2_family(256, 8, 1024),
        },
        "ok",
    ),
    "mixed-f2-mp4-at-25fps": (
        {
            "wall.toml": F2 + fan("F2", 0.0, 0.0) + fan("mp4", 480.0, 0.0, device="m720.toml"),
            "m720.toml": MP4_720,
        },
        "ok",
    ),
    "mp4-720-and-1024": (
        {
            "wall.toml": fan("a", 0.0, 0.0, device="m720.toml") + fan("b", 400.0, 0.0, device="m1024.toml"),
            "m720.toml": MP4_720,
            "m1024.toml": MP4_1024,
        },
        "ok",
    ),
    "profile-without-name": (
        {
            "wall.toml": fan("A", 0.0, 0.0, device="mine.toml")
            + fan("B", 400.0, 0.0, device="3dcircle-42f2"),
            "mine.toml": NO_NAME,
        },
        "ok",
    ),
    "grid-override-device": (
        {"wall.toml": F2 + grid(2, 2, 400.0) + fan("B2", 400.0, -400.0, device="legacy-224", rotation=45.0)},
        "ok-off-rate",
    ),
    "hundred-fans": ({"wall.toml": F2 + grid(10, 10, 400.0)}, "ok"),
    "few-slices-7": (
        {
            "wall.toml": fan("A", 0.0, 0.0, device="s7.toml"),
            "s7.toml": 'base = "3dcircle-42f2"\nname = "s7"\n[geometry]\nslices = 7\n',
        },
        "ok",
    ),
    "many-slices-4096": (
        {
            "wall.toml": F2 + fan("A", 0.0, 0.0, device="s4096.toml") + fan("B", 400.0, 0.0),
            "s4096.toml": f2_family(112, 6, 4096),
        },
        "ok",
    ),
    "overlap-70%": ({"wall.toml": F2 + grid(2, 2, 126.0)}, "ok"),
    "profile-moved-leds-base-diameter": (
        {
            "wall.toml": 'device = "f2-64.toml"\n' + grid(2, 2, 300.0),
            "f2-64.toml": 'base = "3dcircle-42f2"\nname = "f2-64"\n[geometry]\nleds_per_blade = 64\n'
            "led_pitch_mm = 2.5\nled_size_mm = 2.5\n",
        },
        "ok",
    ),
    "windows-notepad-bom-crlf": (
        {"wall.toml": b"\xef\xbb\xbf" + (F2 + grid(1, 2, 400.0)).replace("\n", "\r\n").encode()},
        "ok",
    ),
    # --- faults that must be one line
    "empty-file": ({"wall.toml": ""}, "no fans"),
    "toml-syntax": ({"wall.toml": F2 + "[[fans]]\nname = A1\n"}, "not valid TOML"),
    "missing-y": ({"wall.toml": F2 + '[[fans]]\nname = "A"\nx = 0.0\n'}, "needs y"),
    "x-with-unit": ({"wall.toml": F2 + '[[fans]]\nname = "A"\nx = "40cm"\ny = 0.0\n'}, "x must be"),
    "units-key": ({"wall.toml": 'units = "cm"\n' + F2 + fan("A", 0.0, 0.0)}, "unknown key 'units'"),
    "extra-fan-key": ({"wall.toml": F2 + fan("A", 0.0, 0.0, z=10.0)}, "unknown key 'z'"),
    "duplicate-names": ({"wall.toml": F2 + fan("A1", 0.0, 0.0) + fan("A1", 400.0, 0.0)}, "A1"),
    "duplicate-added-names-with-grid": (
        {"wall.toml": F2 + grid(1, 2, 400.0) + fan("X", 0.0, 500.0) + fan("X", 400.0, 500.0)},
        "'X'",
    ),
    "case-collision": ({"wall.toml": F2 + fan("lobby1", 0.0, 0.0) + fan("LOBBY1", 400.0, 0.0)}, "LOBBY1"),
    "mp4-case-collision": (
        {"wall.toml": 'device = "mp4-fan"\n' + fan("Left", 0.0, 0.0) + fan("left", 600.0, 0.0)},
        "left",
    ),
    "unicode-name": ({"wall.toml": F2 + fan("Café", 0.0, 0.0)}, "Café"),
    "space-in-name": ({"wall.toml": F2 + fan("fan 1", 0.0, 0.0)}, "fan 1"),
    "name-too-long-for-42f2": ({"wall.toml": F2 + fan("LOBBYLEFT", 0.0, 0.0)}, "LOBBYLEFT"),
    "same-place": ({"wall.toml": F2 + fan("A", 100.0, 100.0) + fan("B", 100.0, 100.0)}, "same centre"),
    "wrong-type-mirror": ({"wall.toml": F2 + fan("A", 0.0, 0.0, mirror="yes")}, "mirror"),
    "grid-zero-rows": ({"wall.toml": F2 + grid(0, 3, 400.0)}, "rows"),
    "grid-hexagonal-word": ({"wall.toml": F2 + grid(2, 2, 400.0, "hexagonal")}, "layout"),
    "no-device": ({"wall.toml": fan("A", 0.0, 0.0)}, "no device"),
    "unknown-device": ({"wall.toml": 'device = "42-F2"\n' + fan("A", 0.0, 0.0)}, "42-F2"),
    "missing-profile-file": ({"wall.toml": F2 + fan("A", 0.0, 0.0, device="nowhere/fan.toml")}, "fan.toml"),
    "profile-f2-100-leds": (
        {"wall.toml": fan("A", 0.0, 0.0, device="p.toml"), "p.toml": f2_family(100, 6)},
        "multiple of 8",
    ),
    "profile-zero-slices": (
        {
            "wall.toml": fan("A", 0.0, 0.0, device="p.toml"),
            "p.toml": 'base = "3dcircle-42f2"\nname = "z"\n[geometry]\nslices = 0\n',
        },
        "slices",
    ),
    "profile-negative-pitch": (
        {
            "wall.toml": fan("A", 0.0, 0.0, device="p.toml"),
            "p.toml": 'base = "3dcircle-42f2"\nname = "z"\n[geometry]\nled_pitch_mm = -1.0\n',
        },
        "led_pitch_mm",
    ),
    "profile-unknown-format": (
        {
            "wall.toml": fan("A", 0.0, 0.0, device="p.toml"),
            "p.toml": 'base = "3dcircle-42f2"\nname = "z"\nformat = "bin"\n',
        },
        "format",
    ),
    "profile-syntax": (
        {"wall.toml": fan("A", 0.0, 0.0, device="p.toml"), "p.toml": 'name = "z\n'},
        "not valid TOML",
    ),
    "profile-video-no-diameter": (
        {
            "wall.toml": fan("a", 0.0, 0.0, device="p.toml"),
            "p.toml": 'name = "v"\nkind = "video"\nformat = "mp4"\nfps = 30.0\n[render]\nrender_size = 512\n',
        },
        "diameter_mm",
    ),
    "profile-base-is-path": (
        {
            "wall.toml": fan("A", 0.0, 0.0, device="p.toml"),
            "p.toml": 'base = "../3dcircle-42f2.toml"\nname = "z"\n',
        },
        "base",
    ),
    "metres-not-mm": ({"wall.toml": F2 + "".join(fan(f"M{k}", 0.42 * k, 0.0) for k in range(3))}, "m or cm"),
    "centimetres-not-mm": ({"wall.toml": F2 + grid(2, 2, 42.0)}, "m or cm"),
    "profile-diameter-not-its-leds": (
        {
            "wall.toml": fan("A", 0.0, 0.0, device="p.toml"),
            "p.toml": 'base = "3dcircle-42f2"\nname = "z"\ndiameter_mm = 420.0\n[geometry]\nleds_per_blade = 64\n'
            "led_pitch_mm = 2.5\nled_size_mm = 2.5\n",
        },
        "diameter_mm is 420",
    ),
    "windows-notepad-utf16": ({"wall.toml": (F2 + fan("A", 0.0, 0.0)).encode("utf-16")}, "UTF-16"),
    "too-many-fans": ({"wall.toml": F2 + grid(17, 16, 400.0)}, "at most"),
}


# ---- the reference ---------------------------------------------------------------------------
def picture() -> np.ndarray:
    """uint8 (PIC_H, PIC_W, 3): smooth colour fields with no black (so that a point under a
    fan's owned cell is lit), detail a few LEDs wide."""
    rng = np.random.default_rng(11)
    y, x = np.mgrid[0:PIC_H, 0:PIC_W].astype(np.float64)
    out = np.zeros((PIC_H, PIC_W, 3))
    for ch in range(3):
        acc = np.zeros((PIC_H, PIC_W))
        for _ in range(5):
            period, angle, phase = rng.uniform(25, 200), rng.uniform(0, math.pi), rng.uniform(0, 2 * math.pi)
            acc += np.sin((x * math.cos(angle) + y * math.sin(angle)) * 2 * math.pi / period + phase)
        out[..., ch] = 0.62 + 0.38 * acc / 5
    return (np.clip(out, 0.3, 1) * 255 + 0.5).astype(np.uint8)


def srgb_to_linear(v):
    v = np.asarray(v, np.float64) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def to_wall(f, x, y_down):
    """A point in a fan's own frame (x right, y down) -> wall mm (y up): mirror, then turn."""
    x, y = (-x if f["mirror"] else x), -y_down
    t = math.radians(f["rotation_deg"])
    return f["x_mm"] + math.cos(t) * x - math.sin(t) * y, f["y_mm"] + math.sin(t) * x + math.cos(t) * y


def to_own(f, X, Y):
    """The inverse of to_wall: wall mm -> the fan's own frame (x right, y down)."""
    dx, dy = X - f["x_mm"], Y - f["y_mm"]
    t = math.radians(f["rotation_deg"])
    x, y = math.cos(t) * dx + math.sin(t) * dy, -math.sin(t) * dx + math.cos(t) * dy
    return (-x if f["mirror"] else x), -y


def owners(fans, X, Y):
    best, out = np.full(X.shape, np.inf), np.full(X.shape, -1)
    for k, f in enumerate(fans):
        d = np.hypot(X - f["x_mm"], Y - f["y_mm"])
        take = (d <= f["diameter_mm"] / 2) & (d < best)
        best[take], out[take] = d[take], k
    return out


def cell_polar(profile, n):
    """Per cell (slice, column) and sample: radius mm and angle (clockwise from +x with y
    down), (S, C, n, n) each, from the profile's published geometry keys."""
    S, C = profile.slices, profile.columns
    L, hub, pitch, size = (
        profile.leds_per_blade,
        profile.hub_radius_mm,
        profile.led_pitch_mm,
        profile.led_size_mm,
    )
    k = np.arange(L)[::-1] if profile.led0 == "outer" else np.arange(L)
    blades = profile.blades if profile.blade_data == "per_blade" else profile.blades[:1]
    centre = np.concatenate([hub + (k + 0.5 + b.radial_offset) * pitch for b in blades])
    offset = np.concatenate(
        [np.full(L, math.radians(b.angle_deg) if profile.blade_data == "per_blade" else 0.0) for b in blades]
    )
    assert centre.size == C
    u = (np.arange(n) + 0.5) / n
    step = (1 if profile.direction == "cw" else -1) * 2 * math.pi / S
    r = centre[None, :, None, None] - size / 2 + size * u[None, None, :, None]
    phi = (
        math.radians(profile.slice0_angle_deg)
        + offset[None, :, None, None]
        + (np.arange(S)[:, None, None, None] + u[None, None, None, :]) * step
    )
    return np.broadcast_arrays(r, phi)


def check_video_fan(path, f, fans, k, sample):
    """(pixels lit outside what the fan owns, PSNR of what it owns) of a video fan's
    first frame: its own square picture of its circle, turned back into its own frame."""
    proc = subprocess.run(
        [FF, "-v", "error", "-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
    )
    n = int(round(math.sqrt(len(proc.stdout) // 3)))
    frame = np.frombuffer(proc.stdout, np.uint8)[: n * n * 3].reshape(n, n, 3).astype(np.float64) / 255
    d = f["diameter_mm"]
    i, j = np.mgrid[0:n, 0:n]
    X, Y = to_wall(f, (j + 0.5) / n * d - d / 2, (i + 0.5) / n * d - d / 2)
    owned = owners(fans, X, Y) == k
    # four pixels away from the border: H.264 and its half-size chroma blur it
    import cv2

    box = np.ones((9, 9), np.uint8)
    inner = cv2.erode(owned.astype(np.uint8), box).astype(bool)
    away = ~cv2.dilate(owned.astype(np.uint8), box).astype(bool)
    lit_outside = int(((frame.max(axis=2) > 40 / 255) & away & ~owned).sum())  # over H.264 noise
    v, _ = sample(X, Y)
    ref = np.where(v <= 0.0031308, 12.92 * v, 1.055 * np.power(v, 1 / 2.4) - 0.055)  # sRGB, as video stores
    mse = float(np.mean((frame[inner] - ref[inner]) ** 2)) if inner.any() else 0.0
    return lit_outside, 10 * math.log10(1 / max(mse, 1e-12))


def check_fans(out_dir, info, wall) -> dict:
    """leak, worst psnr and the twice / none fractions of one exported wall (module doc)."""
    from holopack.device import decode_codes
    from holopack.formats.fanfile import open_fan_file

    fans = info["fans"]
    c = info["canvas"]
    left, right, bottom, top = c["left_mm"], c["right_mm"], c["bottom_mm"], c["top_mm"]
    s = min((right - left) / PIC_W, (top - bottom) / PIC_H)  # mm per picture pixel
    x0, y0 = left + ((right - left) - PIC_W * s) / 2, top - ((top - bottom) - PIC_H * s) / 2
    lin = srgb_to_linear(picture())

    def sample(X, Y):
        j, i = np.floor((X - x0) / s).astype(int), np.floor((y0 - Y) / s).astype(int)
        inside = (i >= 0) & (i < PIC_H) & (j >= 0) & (j < PIC_W)
        v = np.zeros(X.shape + (3,))
        v[inside] = lin[i[inside], j[inside]]
        return v, inside

    profiles = {f.name: f.profile for f in wall.fans}
    leak, psnrs, lit_of = 0, [], {}
    for k, f in enumerate(fans):
        prof = profiles[f["name"]]
        if not prof.is_polar:
            video_leak, video_psnr = check_video_fan(os.path.join(out_dir, f["file"]), f, fans, k, sample)
            leak += video_leak
            psnrs.append(video_psnr)
            continue
        codes = next(iter(open_fan_file(os.path.join(out_dir, f["file"]), prof).frames()))
        lit = codes.max(axis=2) > 0
        r, phi = cell_polar(prof, 1)
        cx, cy = to_wall(f, r[..., 0, 0] * np.cos(phi[..., 0, 0]), r[..., 0, 0] * np.sin(phi[..., 0, 0]))
        owned = owners(fans, cx, cy) == k
        leak += int((lit & ~owned).sum())
        lit_of[k] = (lit & owned, prof)
        if prof.bit_depth >= 6 and owned.any():
            r, phi = cell_polar(prof, 6)
            X, Y = to_wall(f, r * np.cos(phi), r * np.sin(phi))
            v, _ = sample(X, Y)
            ref = prof.brightness_limit * (v * r[..., None]).sum((2, 3)) / r.sum((2, 3))[..., None]
            got = np.power(decode_codes(codes, prof).astype(np.float64), 1 / GAMMA)
            mse = float(np.mean((got[owned] - (ref ** (1 / GAMMA))[owned]) ** 2))
            psnrs.append(10 * math.log10(1 / max(mse, 1e-12)))

    # points of the picture: lit by how many fans' owned cells?
    rng = np.random.default_rng(5)
    n = 40000
    X = rng.uniform(x0, x0 + PIC_W * s, n)
    Y = rng.uniform(y0 - PIC_H * s, y0, n)
    own = owners(fans, X, Y)
    count = np.zeros(n, int)
    margin_ok = own >= 0
    for k, f in enumerate(fans):
        if k not in lit_of:
            margin_ok &= own != k
            continue
        lit_owned, prof = lit_of[k]
        if prof.bit_depth < 6:
            margin_ok &= own != k
        ox, oy = to_own(f, X, Y)
        rr, aa = np.hypot(ox, oy), np.arctan2(oy, ox)
        cell = max(prof.led_pitch_mm, prof.led_size_mm, prof.radius_mm * 2 * math.pi / prof.slices)
        # away from this fan's rim and from the borders with every other fan
        near = (np.abs(rr - f["diameter_mm"] / 2) < 2 * cell) | (rr < prof.hub_radius_mm + 2 * cell)
        for g in fans:
            if g is f:
                continue
            d = np.hypot(g["x_mm"] - f["x_mm"], g["y_mm"] - f["y_mm"])
            if d > (f["diameter_mm"] + g["diameter_mm"]) / 2 + 4 * cell:
                continue  # circles apart: no border between them
            # signed distance to the perpendicular bisector
            proj = ((X - f["x_mm"]) * (g["x_mm"] - f["x_mm"]) + (Y - f["y_mm"]) * (g["y_mm"] - f["y_mm"])) / d
            near |= (np.abs(proj - d / 2) < 2 * cell) & (rr <= f["diameter_mm"] / 2 + 2 * cell)
        margin_ok &= ~near
        # each point of the disc shows the cell of the nearest ring at its slice
        centres, offsets = prof.column_geometry()
        col = np.abs(rr[:, None] - centres[None, :]).argmin(axis=1)
        t = (aa - math.radians(prof.slice0_angle_deg) - offsets[col]) / prof.slice_step_rad
        sl = np.floor(t).astype(int) % prof.slices
        count += (rr <= min(f["diameter_mm"] / 2, prof.radius_mm)) & lit_owned[sl, col]  # LEDs reach
    inner = margin_ok & (own >= 0)
    m = max(int(inner.sum()), 1)
    # a fan should stay dark when no point it owns lies on the picture
    dark = []
    for k, f in enumerate(fans):
        rr = f["diameter_mm"] / 2 * np.sqrt(rng.uniform(0, 1, 4000))
        aa = rng.uniform(0, 2 * math.pi, 4000)
        px, py = f["x_mm"] + rr * np.cos(aa), f["y_mm"] + rr * np.sin(aa)
        if not (sample(px, py)[1] & (owners(fans, px, py) == k)).any():
            dark.append(f["name"])
    return {
        "dark": dark,
        "leak": leak,
        "psnr": min(psnrs) if psnrs else float("nan"),
        "twice": float((count[inner] > 1).sum()) / m,
        "none": float((count[inner] == 0).sum()) / m,
        "points": int(inner.sum()),
    }


# ---- running ---------------------------------------------------------------------------------
def run(cmd, **kw):
    return subprocess.run(HOLOPACK + cmd, capture_output=True, text=True, **kw)


def one_line_fault(proc, folder, want: str, wall_path: str) -> str:
    """'' when the command failed as a bad wall must fail, else what is wrong."""
    err = proc.stderr.strip()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    problems = []
    if proc.returncode == 0:
        problems.append("exit 0")
    if "Traceback" in err:
        problems.append("traceback")
    if len(lines) != 1:
        problems.append(f"{len(lines)} lines")
    if lines and os.path.basename(wall_path) not in lines[0] and ".toml" not in lines[0]:
        problems.append("no file named")
    if want not in err:
        problems.append(f"fault {want!r} not named")
    left = [n for n in os.listdir(folder) if n.startswith("out") or n.startswith(".out")]
    if left:
        problems.append(f"left {left}")
    return ", ".join(problems)


def sweep_case(name, files, expect, out, cli) -> str:
    from holopack.errors import InputError
    from holopack.wall import load_wall

    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    for rel, text in files.items():
        path = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:  # bytes as given: a case may carry a BOM or UTF-16
            fh.write(text if isinstance(text, bytes) else text.encode("utf-8"))
    wall_path = os.path.join(folder, "wall.toml")
    try:
        wall = load_wall(wall_path)
        parsed = f"{len(wall.fans)} fans"
    except InputError as e:
        wall, parsed = None, f"refused: {e.message}"
    if not cli:
        return parsed
    pic = os.path.join(out, "picture.png")
    target = os.path.join(folder, "out")
    t0 = time.perf_counter()
    proc = run(["export", pic, "--wall", wall_path, "-o", target, "--seconds", str(1 / 30), "-q"])
    took = time.perf_counter() - t0
    if not expect.startswith("ok"):
        problem = one_line_fault(proc, folder, expect, wall_path)
        line = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
        return f"{'FAIL ' + problem if problem else 'ok'} | rc {proc.returncode} | {line[:150]}"
    if proc.returncode != 0 or wall is None:
        return f"FAIL export rc {proc.returncode}: {proc.stderr.strip()[-300:]}"
    problems = []
    notes = [ln for ln in proc.stderr.splitlines() if " stay dark" in ln or "no fan lights up" in ln]
    v = run(["validate", target])
    if expect == "ok-off-rate":  # polar fans of different rates: said at export, refused by validate
        if "not stay in step" not in proc.stderr or v.returncode == 0 or "was made for" not in v.stdout:
            problems.append("fans of different rates not reported")
    elif v.returncode != 0:
        problems.append("validate: " + v.stdout.strip().splitlines()[-1][:100])
    info = json.load(open(os.path.join(target, "wall.json")))
    slow_or_fast = [  # a polar fan plays its file at its own rate: the wall's must be it
        f["name"]
        for f in info["fans"]
        for x in wall.fans
        if x.name == f["name"] and x.profile.is_polar and abs(x.profile.fps - info["fps"]) > 0.01
    ]
    if slow_or_fast and expect != "ok-off-rate":
        problems.append(
            f"{', '.join(slow_or_fast)} play at their own rate, not the wall's {info['fps']:g} fps"
        )
    for f in info["fans"]:
        prof = next(x.profile for x in wall.fans if x.name == f["name"])
        want_file = f["file"]
        if prof.format == "42f2" and not want_file.endswith(".BIN"):
            problems.append(f"{want_file} not .BIN")
        os.makedirs(os.path.join(folder, "decoded", f["name"]), exist_ok=True)
        if not prof.is_polar:  # a video fan's file is the picture itself: its first frame
            png = os.path.join(folder, "decoded", f["name"], "frame_00000.png")
            cmd = [FF, "-v", "error", "-y", "-i", os.path.join(target, want_file), "-frames:v", "1", png]
            if subprocess.run(cmd, capture_output=True).returncode != 0:
                problems.append(f"{want_file} does not play")
            continue
        d = run(
            [
                "decode",
                os.path.join(target, want_file),
                "--device",
                prof.source,
                "--frames",
                "1",
                "-o",
                os.path.join(folder, "decoded", f["name"]),
                "--size",
                "256",
                "-q",
            ]
        )
        if d.returncode != 0:
            problems.append(f"decode {want_file}: {d.stderr.strip()[-120:]}")
    if len(info["fans"]) <= 4:  # the same wall as a playlist item, into a package
        playlist = os.path.join(folder, "playlist.toml")
        with open(playlist, "w", encoding="utf-8") as fh:
            fh.write(
                f'[[items]]\ninput = "../picture.png"\nname = "pic"\nseconds = {1 / 30!r}\nwall = "wall.toml"\n'
            )
        pk = run(["pack", playlist, "-o", os.path.join(folder, "package"), "-q"])
        if pk.returncode != 0:
            problems.append(f"pack: {pk.stderr.strip()[-150:]}")
        else:
            packed = os.path.join(folder, "package", f"wall-{info['wall']}", "wall.json")
            valid = run(["validate", os.path.join(folder, "package")]).returncode == 0
            if not os.path.exists(packed) or (not valid and expect != "ok-off-rate"):
                problems.append("package has no valid wall folder")
    m = check_fans(target, info, wall)
    said = set()
    for note in notes:  # "fans A1, A5 stay dark ..." / "no fan lights up ..."
        if "no fan lights up" in note:
            said = {f["name"] for f in info["fans"]}
        elif " stay dark" in note:
            said = set(note.split(" stay dark")[0].rsplit(": ", 1)[-1].split(" ", 1)[1].split(", "))
    if said != set(m["dark"]):
        problems.append(f"said dark {sorted(said)}, should be {m['dark']}")
    if m["leak"]:
        problems.append(f"{m['leak']} lit cells it does not own")
    if m["twice"] > 0.002 or m["none"] > 0.002:
        problems.append(f"twice {m['twice']:.4f} none {m['none']:.4f}")
    if not math.isnan(m["psnr"]) and m["psnr"] < 24.0:
        problems.append(f"psnr {m['psnr']:.1f} dB")
    files_ = sorted(f["file"] for f in info["fans"])
    return (
        f"{'FAIL ' + '; '.join(problems) if problems else 'ok'} | {parsed}, {took:.1f} s | "
        f"psnr {m['psnr']:.1f} dB, leak {m['leak']}, twice {m['twice']:.4f}, none {m['none']:.4f} "
        f"of {m['points']}, dark {','.join(m['dark']) or '-'} | {' '.join(files_[:4])}{' ...' if len(files_) > 4 else ''}"
    )


def sweep(names, out, cli):
    Image.fromarray(picture()).save(os.path.join(out, "picture.png"))
    failed = 0
    for name in names:
        files, expect = CASES[name]
        try:
            row = sweep_case(name, files, expect, out, cli)
        except Exception as e:  # a crash of the sweep itself is a row, not the end of the sweep
            row = f"FAIL sweep crashed: {type(e).__name__}: {e}"
        failed += row.startswith("FAIL")
        print(f"{name:34s} {row}", flush=True)
    print(f"# {len(names) - failed} of {len(names)} cases ok")
    return failed


if __name__ == "__main__":
    sys.exit(1 if run_sweep(__doc__.splitlines()[0], CASES, sweep, "holopack-layout-sweep-") else 0)
