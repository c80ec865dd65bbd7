"""HDR and wide-gamut clips to the sRGB pictures the pipeline works in.

A phone films HDR by default (HLG, or Dolby Vision with an HLG base layer), and HDR10
masters use PQ; both carry BT.2020 primaries. Read as plain video, such a clip comes
out dim and grey on a fan: PQ's diffuse white (203 nits) lies at code 147 of 255 and
BT.2020's red is shown as a brick red. Here the stream's tags (``ColourTags``, as
ffmpeg prints them) choose a ``Conversion``, and ffmpeg applies it as two tables
written here from the published formulas:

- the signal to display light: PQ's EOTF (SMPTE ST 2084 / ITU-R BT.2100), or HLG's
  inverse OETF and its OOTF (BT.2100: luminance-based, system gamma 1.2 on the 1000-nit
  reference display);
- display light relative to HDR reference white (203 nits, ITU-R BT.2408), which
  becomes SDR white;
- BT.2020 (or Display P3) primaries to BT.709/sRGB, through CIE XYZ from the
  primaries' chromaticities; colours outside sRGB are clipped;
- highlights above ``KNEE`` (half of SDR white's linear light) rolled off smoothly
  (``shoulder``) so that the content's peak (PQ: its MaxCLL or mastering peak, else
  1000 nits; HLG: 1000 nits) reaches white: hue kept (the curve scales each pixel's
  largest channel and the others with it), no clipped plateaus;
- the sRGB curve (IEC 61966-2-1), as every SDR clip is read.

The tables: a per-channel shaper (``SHAPER_SIZE`` entries, ffmpeg's ``lut1d``) into
display light raised to 1/2.4, then a ``LUT_SIZE``-cubed 3D table (``lut3d``,
tetrahedral). Why the shaper: on the signal itself the 3D table's corners lie so far
apart in light that BT.2020's mixing of channels left errors of 7 codes (a teal 60 of
red read as 53); through the shaper they stay within 2. Why not ffmpeg's own zscale
(``t=linear``): its HLG conversion applies the system gamma to each channel, which
saturated a (180, 40, 40) red to (197, 16, 30).

SDR clips tagged BT.709 (or untagged) are read as before: no table.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass

import numpy as np

from ..colour import linear_to_srgb

# ITU-R BT.2408: HDR reference (diffuse) white, which SDR shows as its white
REFERENCE_WHITE_NITS = 203.0
# BT.2100's HLG reference display; also PQ's peak when the stream does not say
HLG_PEAK_NITS = 1000.0
DEFAULT_PQ_PEAK_NITS = 1000.0
HLG_SYSTEM_GAMMA = 1.2  # BT.2100 at a 1000-nit display
# linear light (SDR white = 1) up to which the picture is left as the formulas give it
KNEE = 0.5
LUT_SIZE = 65
SHAPER_SIZE = 4096
SHAPER_GAMMA = 2.4

# CIE 1931 xy of the primaries (R, G, B) and white point, from the published standards
PRIMARIES = {
    "bt709": ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060), (0.3127, 0.3290)),
    "bt2020": ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046), (0.3127, 0.3290)),
    # Display P3 (SMPTE EG 432-1, D65 white) and DCI-P3 (SMPTE RP 431-2, its own white)
    "smpte432": ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), (0.3127, 0.3290)),
    "smpte431": ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), (0.314, 0.351)),
}


@dataclass(frozen=True)
class ColourTags:
    """A video stream's colour description as ffmpeg prints it: ``range`` ("tv", "pc"
    or ""), ``matrix`` ("bt709", "bt2020nc", ...), ``primaries`` and ``transfer``
    ("smpte2084", "arib-std-b67", ...); "" where the stream does not say."""

    range: str = ""
    matrix: str = ""
    primaries: str = ""
    transfer: str = ""

    @classmethod
    def parse(cls, stream_line: str) -> ColourTags:
        """From ffmpeg's "Stream ... Video:" line, whose pixel format is followed by
        "(tv, bt2020nc/bt2020/smpte2084, progressive)", or "(tv, bt709)" when the
        matrix, primaries and transfer are the same."""
        m = re.search(r"(?:Video|Tile Grid): [^,]*?, \w+\(([^)]*)\)", stream_line)
        if not m:
            return cls()
        parts = [p.strip() for p in m.group(1).split(",")]
        colour_range = next((p for p in parts if p in ("tv", "pc")), "")
        # the rest names the colours, or the field order ("progressive", "top first")
        described = [p for p in parts if p not in ("tv", "pc", "progressive") and "first" not in p]
        if not described:
            return cls(range=colour_range)
        names = described[0].split("/")
        if len(names) == 1:
            names = names * 3
        if len(names) != 3:
            return cls(range=colour_range)
        clean = ["" if n in ("unknown", "reserved", "unspecified") else n for n in names]
        return cls(range=colour_range, matrix=clean[0], primaries=clean[1], transfer=clean[2])


@dataclass(frozen=True)
class Conversion:
    """What a stream needs to become sRGB: ``transfer`` "PQ", "HLG" or "SDR" (read
    with the sRGB curve, like every SDR clip), ``primaries`` a key of PRIMARIES, and
    ``peak_nits`` the content's brightest light (HDR; 0 for SDR)."""

    transfer: str
    primaries: str
    peak_nits: float = 0.0

    def describe(self) -> str:
        """One line for inspect: what the clip is and what is done with it."""
        gamut = {"bt709": "BT.709", "bt2020": "BT.2020", "smpte432": "Display P3", "smpte431": "DCI-P3"}.get(
            self.primaries, self.primaries
        )
        if self.transfer == "SDR":
            return f"SDR, {gamut} primaries: converted to sRGB (colours outside it clipped)"
        return (
            f"HDR {self.transfer}, {gamut} primaries, peak {self.peak_nits:g} nits: tone-mapped "
            f"to SDR ({REFERENCE_WHITE_NITS:g}-nit reference white as white)"
        )


def conversion_for(tags: ColourTags, peak_nits: float | None = None) -> Conversion | None:
    """The conversion a stream with ``tags`` needs, or None (SDR in BT.709, untagged).
    ``peak_nits``: a PQ stream's own peak (``content_peak``), when it says."""
    primaries = tags.primaries if tags.primaries in PRIMARIES else "bt709"
    if tags.transfer == "smpte2084":
        peak = peak_nits if peak_nits and peak_nits > 0 else DEFAULT_PQ_PEAK_NITS
        return Conversion("PQ", primaries if tags.primaries else "bt2020", min(max(peak, 1.0), 10000.0))
    if tags.transfer == "arib-std-b67":
        return Conversion("HLG", primaries if tags.primaries else "bt2020", HLG_PEAK_NITS)
    if primaries != "bt709":
        return Conversion("SDR", primaries)
    return None


_MAX_CLL = re.compile(r"MaxCLL=(\d+)")
_MASTERING_PEAK = re.compile(r"max_luminance=([\d.]+)")


def content_peak(path: str, index: int | None = None) -> float | None:
    """A PQ stream's brightest light in nits, from the first frame's HDR10 metadata
    (its content light level, else its mastering display's peak), or None. ``index``:
    the stream's (ffmpeg's "Stream #0:N"), else the first video stream's."""
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", path]
    cmd += [
        "-map",
        f"0:{index}" if index is not None else "0:v:0",
        "-frames:v",
        "1",
        "-an",
        "-f",
        "null",
        "-",
    ]
    try:
        text = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=60).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    for pattern in (_MAX_CLL, _MASTERING_PEAK):
        m = pattern.search(text)
        if m and float(m.group(1)) > 0:
            return float(m.group(1))
    return None


# --- the published formulas ------------------------------------------------------


def pq_eotf(signal: np.ndarray) -> np.ndarray:
    """SMPTE ST 2084 (BT.2100 PQ): float signal in [0, 1] -> display light in nits."""
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    p = np.clip(np.asarray(signal, np.float64), 0.0, 1.0) ** (1 / m2)
    return 10000.0 * (np.maximum(p - c1, 0.0) / (c2 - c3 * p)) ** (1 / m1)


def hlg_inverse_oetf(signal: np.ndarray) -> np.ndarray:
    """BT.2100 HLG: float signal in [0, 1] -> normalised scene light in [0, 1]."""
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    e = np.clip(np.asarray(signal, np.float64), 0.0, 1.0)
    return np.where(e <= 0.5, e * e / 3.0, (np.exp((e - c) / a) + b) / 12.0)


def hlg_ootf(scene: np.ndarray, primaries: str = "bt2020", peak_nits: float = HLG_PEAK_NITS) -> np.ndarray:
    """BT.2100 HLG OOTF: (..., 3) normalised scene light in ``primaries`` -> display
    light in nits, ``peak_nits`` * Ys ** (gamma - 1) * E with Ys the scene luminance
    (the primaries' own weights: BT.2020's 0.2627, 0.6780, 0.0593; a camera's HLG in
    BT.709 primaries weighs by BT.709's)."""
    luminance = scene @ rgb_to_xyz(primaries)[1]
    return peak_nits * (np.maximum(luminance, 0.0) ** (HLG_SYSTEM_GAMMA - 1.0))[..., None] * scene


def rgb_to_xyz(primaries: str) -> np.ndarray:
    """(3, 3) float64 matrix from linear RGB in ``primaries`` to CIE XYZ (Y = 1 at white)."""
    (xr, yr), (xg, yg), (xb, yb), (xw, yw) = PRIMARIES[primaries]
    columns = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in ((xr, yr), (xg, yg), (xb, yb))]).T
    white = np.array([xw / yw, 1.0, (1 - xw - yw) / yw])
    return columns * np.linalg.solve(columns, white)


def primaries_matrix(source: str, target: str = "bt709") -> np.ndarray:
    """(3, 3) float64 matrix taking linear RGB in ``source`` primaries to ``target``'s
    (the same white: a DCI white is taken to D65 as the XYZ values say, no adaptation)."""
    return np.linalg.inv(rgb_to_xyz(target)) @ rgb_to_xyz(source)


def shoulder(light: np.ndarray, peak: float, knee: float = KNEE) -> np.ndarray:
    """Linear light (SDR white = 1) rolled off above ``knee`` so that ``peak`` lands on
    1: x below the knee is kept; above it knee + r u / (1 + s u), with r = 1 - knee,
    u = (x - knee) / r and s = 1 - r / (peak - knee), which leaves the knee with slope
    1 and reaches 1 at ``peak``. A peak at or below 1 needs no roll-off (x is kept)."""
    x = np.asarray(light, np.float64)
    room, span = 1.0 - knee, peak - knee
    if span <= room:
        return x
    slope = 1.0 - room / span
    u = np.maximum(x - knee, 0.0) / room
    return np.where(x <= knee, x, knee + room * u / (1.0 + slope * u))


def to_display_light(conversion: Conversion, signal: np.ndarray) -> np.ndarray:
    """(..., 3) float signal in [0, 1] (the stream's R'G'B') -> display light in its
    own primaries, relative to SDR white (HDR: the 203-nit reference white)."""
    if conversion.transfer == "PQ":
        return pq_eotf(signal) / REFERENCE_WHITE_NITS
    if conversion.transfer == "HLG":
        return hlg_ootf(hlg_inverse_oetf(signal), conversion.primaries) / REFERENCE_WHITE_NITS
    v = np.clip(np.asarray(signal, np.float64), 0.0, 1.0)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def light_to_srgb(conversion: Conversion, light: np.ndarray) -> np.ndarray:
    """(..., 3) display light in the stream's primaries (SDR white = 1) -> float32
    sRGB-encoded values in [0, 1]: to BT.709 primaries (outside colours clipped), the
    highlights rolled off (HDR), the sRGB curve."""
    light = np.maximum(light @ primaries_matrix(conversion.primaries).T, 0.0)
    if conversion.transfer != "SDR":
        largest = light.max(axis=-1, keepdims=True)
        mapped = shoulder(largest, conversion.peak_nits / REFERENCE_WHITE_NITS)
        light = np.where(largest > 0, light * (mapped / np.maximum(largest, 1e-12)), 0.0)
    return linear_to_srgb(light)


def convert_picture(conversion: Conversion, picture: np.ndarray, rows: int = 64) -> np.ndarray:
    """(H, W, 3) uint8 R'G'B' as the stream codes it -> (H, W, 3) uint8 sRGB, the whole
    conversion in numpy, ``rows`` at a time: for a HEIC photo's tile grid, which ffmpeg
    composes itself and which takes no filter of ours (a phone's photo is in Display P3).
    Each channel's light comes from a table of its 256 codes."""
    codes = np.linspace(0.0, 1.0, 256)
    if conversion.transfer == "HLG":
        per_code = hlg_inverse_oetf(codes)  # scene light; the OOTF mixes the channels
    else:
        per_code = to_display_light(conversion, np.repeat(codes[:, None], 3, 1))[:, 0]
    out = np.empty_like(picture)
    for top in range(0, picture.shape[0], rows):
        light = per_code[picture[top : top + rows]]
        if conversion.transfer == "HLG":
            light = hlg_ootf(light, conversion.primaries) / REFERENCE_WHITE_NITS
        out[top : top + rows] = np.round(255.0 * light_to_srgb(conversion, light))
    return out


# --- the tables ffmpeg applies ---------------------------------------------------


def _shaper_top(conversion: Conversion) -> float:
    """The light (relative to SDR white) at the top of the shaper's range: above the
    peak every value maps to white anyway."""
    if conversion.transfer == "SDR":
        return 1.0
    return max(conversion.peak_nits / REFERENCE_WHITE_NITS, 1.0)


def shaper_table(conversion: Conversion, size: int = SHAPER_SIZE) -> np.ndarray:
    """(size,) float64 in [0, 1]: each channel's signal (size steps over [0, 1]) to
    its light ** (1 / SHAPER_GAMMA) over the shaper's range. HLG's light here is scene
    light (its OOTF mixes the channels: that is the 3D table's work)."""
    signal = np.linspace(0.0, 1.0, size)
    if conversion.transfer == "HLG":
        light = hlg_inverse_oetf(signal)  # scene light, 1 = the peak
    else:
        light = to_display_light(conversion, np.repeat(signal[:, None], 3, 1))[:, 0] / _shaper_top(conversion)
    return np.clip(light, 0.0, 1.0) ** (1.0 / SHAPER_GAMMA)


def cube_table(conversion: Conversion, size: int = LUT_SIZE) -> np.ndarray:
    """(size ** 3, 3) float32 sRGB values for the shaper's outputs on a size-cubed
    grid, red varying fastest (the .cube order)."""
    steps = np.linspace(0.0, 1.0, size)
    blue, green, red = np.meshgrid(steps, steps, steps, indexing="ij")
    shaped = np.stack([red, green, blue], axis=-1).reshape(-1, 3) ** SHAPER_GAMMA
    if conversion.transfer == "HLG":
        light = hlg_ootf(shaped, conversion.primaries) / REFERENCE_WHITE_NITS
    else:
        light = shaped * _shaper_top(conversion)
    return light_to_srgb(conversion, light)


_tables_lock = threading.Lock()
_tables_dir: str | None = None


def table_files(conversion: Conversion) -> tuple[str, str]:
    """(shaper .cube path, 3D .cube path) for ``conversion``, written once per process
    into a private temporary folder removed at exit."""
    global _tables_dir
    key = hashlib.sha1(repr((conversion, LUT_SIZE, SHAPER_SIZE, KNEE)).encode()).hexdigest()[:16]
    with _tables_lock:
        if _tables_dir is None or not os.path.isdir(_tables_dir):
            _tables_dir = tempfile.mkdtemp(prefix="holopack-colour-")
            atexit.register(shutil.rmtree, _tables_dir, True)
        shaper = os.path.join(_tables_dir, f"{key}-shaper.cube")
        cube = os.path.join(_tables_dir, f"{key}-3d.cube")
        if not os.path.exists(cube):
            _write_cube(shaper, "LUT_1D_SIZE", np.repeat(shaper_table(conversion)[:, None], 3, 1))
            _write_cube(cube, "LUT_3D_SIZE", cube_table(conversion))
    return shaper, cube


def _write_cube(path: str, header: str, rows: np.ndarray) -> None:
    size = round(len(rows) ** (1 / 3)) if header == "LUT_3D_SIZE" else len(rows)
    partial = path + ".part"
    with open(partial, "w", encoding="ascii") as out:
        out.write(f"{header} {size}\n")
        np.savetxt(out, rows, fmt="%.6f")
    os.replace(partial, path)


def _filter_path(path: str) -> str:
    """A path as an ffmpeg filter option's value inside a -vf chain: escaped once for
    the option (its \\ : ') and once more for the chain (\\ ' , ; [ ]). Checked on
    folder names holding each of them."""
    option = "".join("\\" + c if c in "\\:'" else c for c in path)
    return "".join("\\" + c if c in "\\',;[]" else c for c in option)


# ffmpeg's names of Y'CbCr matrices (as it prints them) -> its scale filter's names
_SWSCALE_MATRICES = {
    "bt2020nc": "bt2020",
    "bt2020c": "bt2020",
    "bt709": "bt709",
    "bt470bg": "bt470",
    "smpte170m": "smpte170m",
    "fcc": "fcc",
    "smpte240m": "smpte240m",
}


def signal_filter(tags: ColourTags, alpha: bool) -> str:
    """The ffmpeg filters that turn the decoded stream's Y'CbCr into its R'G'B' signal
    in 16 bits (``signal_format``), with the stream's own matrix and range: the first
    half of the conversion, at the stream's size. Cropping and scaling may follow in
    that format before ``srgb_filter``."""
    scale = ["scale=in_range=" + ("pc" if tags.range == "pc" else "tv")]
    if tags.matrix in _SWSCALE_MATRICES:
        scale.append(f"in_color_matrix={_SWSCALE_MATRICES[tags.matrix]}")
    return ",".join([":".join(scale), "format=" + signal_format(alpha)])


def signal_format(alpha: bool) -> str:
    """The 16-bit R'G'B' pixel format the signal is held in between the two halves."""
    return "gbrap16le" if alpha else "gbrp16le"


def srgb_filter(conversion: Conversion, alpha: bool) -> str:
    """The ffmpeg filters that turn the 16-bit signal (signal_filter's, cropped or
    scaled or not) into 8-bit sRGB (RGBA when ``alpha``): the shaper and the 3D table.
    They cost most of the conversion (an HLG 1080p frame, one thread's CPU: 11 ms to
    the 16-bit signal, 25 ms more for the tables at full size), so they run on the
    picture a reader keeps: the keyed window at the fan's size, the first pass's
    scaled samples. Their first filter holds the signal in 16 bits, so a scale before
    it is not negotiated down to 8 bits. Black stays exactly black (pad colour)."""
    shaper, cube = table_files(conversion)
    return ",".join(
        [
            "format=" + signal_format(alpha),
            f"lut1d=file={_filter_path(shaper)}:interp=linear",
            f"lut3d=file={_filter_path(cube)}:interp=tetrahedral",
            "format=rgba" if alpha else "format=rgb24",
        ]
    )
