"""HDR (PQ, HLG) and wide-gamut clips are read as the sRGB pictures an SDR grade shows.

The clips are written here from the published formulas alone (SMPTE ST 2084 and ITU-R
BT.2100 for PQ and HLG with its OOTF, BT.2087's rounded BT.709 -> BT.2020 matrix,
BT.2408's 203-nit reference white, the BT.2020 Y'CbCr matrix in 10-bit limited range),
encoded losslessly with x265 and tagged as a phone or an HDR10 master tags them. A
colour below the roll-off must come back as the sRGB code it was made from; above it,
the light must rise to white without a hue shift.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess

import cv2
import imageio_ffmpeg
import numpy as np
import pytest

import holopack
from holopack.cli import main
from holopack.video import decode
from holopack.video.analyse import extent_size, read_clip
from holopack.video.crop import Placement, window
from holopack.video.decode import _dolby_vision_profile, _main_video_line, window_filter
from holopack.video.hdr import ColourTags, Conversion, convert_picture

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
WHITE_NITS = 203.0  # BT.2408 HDR reference white
BT709_TO_BT2020 = np.array([[0.6274, 0.3293, 0.0433], [0.0691, 0.9195, 0.0114], [0.0164, 0.0880, 0.8956]])
KR, KB = 0.2627, 0.0593
KR_709, KB_709 = 0.2126, 0.0722  # BT.709's luma weights
# colours whose brightest channel stays under half of white's light (no roll-off)
CELLS = [
    (180, 40, 40),
    (40, 160, 60),
    (50, 60, 170),
    (170, 160, 50),
    (60, 150, 160),
    (160, 60, 150),
    (128, 128, 128),
    (40, 40, 40),
    (12, 12, 12),
]
CELL = 16


def _srgb_to_linear(codes) -> np.ndarray:
    c = np.asarray(codes, np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(light) -> np.ndarray:
    v = np.clip(np.asarray(light, np.float64), 0, 1)
    return np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)


def _pq_signal(nits: np.ndarray) -> np.ndarray:
    m1, m2 = 0.1593017578125, 78.84375
    c1, c2, c3 = 0.8359375, 18.8515625, 18.6875
    y = np.clip(nits / 10000.0, 0, 1) ** m1
    return ((c1 + c2 * y) / (1 + c3 * y)) ** m2


def _hlg_signal(nits: np.ndarray, kr: float = KR, kb: float = KB) -> np.ndarray:
    """BT.2100 HLG's inverse EOTF on a 1000-nit display (gamma 1.2, black level 0);
    kr, kb: the primaries' luminance weights."""
    luminance = kr * nits[..., 0] + (1 - kr - kb) * nits[..., 1] + kb * nits[..., 2]
    scene_luminance = (np.maximum(luminance, 1e-12) / 1000.0) ** (1 / 1.2)
    scene = np.clip(nits / 1000.0 / np.maximum(scene_luminance, 1e-12)[..., None] ** 0.2, 0, 1)
    scene = np.where(luminance[..., None] > 0, scene, 0.0)
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    return np.where(scene <= 1 / 12, np.sqrt(3 * scene), a * np.log(np.maximum(12 * scene - b, 1e-12)) + c)


def _write_clip(
    path, signal: np.ndarray, transfer: str, x265: str = "", frames: int = 3, gamut: str = "bt2020"
) -> None:
    """(H, W, 3) R'G'B' signal in [0, 1] -> a lossless 10-bit HEVC clip tagged with
    ``transfer`` and BT.2020 primaries and matrix (``gamut`` "bt709": BT.709's)."""
    h, w, _ = signal.shape
    kr, kb = (KR, KB) if gamut == "bt2020" else (KR_709, KB_709)
    y = kr * signal[..., 0] + (1 - kr - kb) * signal[..., 1] + kb * signal[..., 2]
    cb = (signal[..., 2] - y) / (2 * (1 - kb))
    cr = (signal[..., 0] - y) / (2 * (1 - kr))
    planes = [64 + 876 * y, 512 + 896 * cb, 512 + 896 * cr]
    raw = b"".join(np.clip(np.round(p), 0, 1023).astype("<u2").tobytes() for p in planes)
    matrix = "bt2020nc" if gamut == "bt2020" else "bt709"
    tags = ["-color_primaries", gamut, "-color_trc", transfer, "-colorspace", matrix, "-color_range", "tv"]
    params = f"log-level=error:lossless=1:colorprim={gamut}:transfer={transfer}:colormatrix={matrix}{x265}"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv444p10le"]
    cmd += ["-s", f"{w}x{h}", "-r", "24", *tags, "-i", "-", "-c:v", "libx265", "-x265-params", params]
    cmd += ["-pix_fmt", "yuv444p10le", *tags, str(path)]
    subprocess.run(cmd, input=raw * frames, check=True)


def _grid_nits() -> np.ndarray:
    """(3 CELL, 3 CELL, 3) BT.709 display light in nits: CELLS with SDR white at 203 nits."""
    picture = np.zeros((3 * CELL, 3 * CELL, 3))
    for i, code in enumerate(CELLS):
        r, q = divmod(i, 3)
        picture[r * CELL : (r + 1) * CELL, q * CELL : (q + 1) * CELL] = _srgb_to_linear(code) * WHITE_NITS
    return picture


def _hdr_signal(nits_709: np.ndarray, transfer: str) -> np.ndarray:
    nits = np.clip(nits_709 @ BT709_TO_BT2020.T, 0, None)
    return _pq_signal(nits) if transfer == "smpte2084" else _hlg_signal(nits)


def _first_frame(path) -> np.ndarray:
    return next(iter(holopack.load(str(path)).media.frames())).astype(int)


def _cell_centres(frame: np.ndarray) -> list[tuple[int, ...]]:
    return [tuple(frame[r * CELL + CELL // 2, q * CELL + CELL // 2]) for r in range(3) for q in range(3)]


@pytest.mark.parametrize("transfer", ["arib-std-b67", "smpte2084"])
def test_an_hdr_clip_comes_back_in_the_colours_its_sdr_grade_has(tmp_path, transfer):
    path = tmp_path / "clip.mp4"
    _write_clip(path, _hdr_signal(_grid_nits(), transfer), transfer)
    got = _cell_centres(_first_frame(path))
    worst = max(int(np.abs(np.subtract(g, want)).max()) for g, want in zip(got, CELLS))
    # read as plain video, the (180, 40, 40) red came back (169, 72, 40) from HLG and
    # (134, 82, 55) from PQ
    assert worst <= 3, f"{transfer}: cells {got} against {CELLS}"


@pytest.mark.parametrize("transfer", ["arib-std-b67", "smpte2084"])
def test_the_keyed_window_and_the_first_pass_see_the_sdr_colours_too(tmp_path, transfer):
    """The keyer's reader crops and scales the clip in ffmpeg before the tables turn it
    into sRGB (the tables then run on the pixels the fan shows, not on the whole frame),
    and the first pass scales its samples and its every-frame copy likewise: each must
    show the colours the plain reader shows, and the window's padding exactly black."""
    path = tmp_path / "clip.mp4"
    _write_clip(path, _hdr_signal(_grid_nits(), transfer), transfer)
    media = holopack.load(str(path)).media
    assert "gbrp16le" in media.rgb_filter
    # the 48 x 48 picture halved into the middle of a 32 x 32 square: 4 px of padding
    placement = Placement(scale=0.5, offset_x=4.0, offset_y=4.0, size=32)
    win = window(media.width, media.height, placement)
    assert win is not None and win.resized
    framed = next(iter(media.open_filtered(window_filter(win, media.rgb_filter), (32, 32)))).astype(int)
    pad = np.ones((32, 32), bool)
    pad[4:28, 4:28] = False
    assert framed[pad].max() == 0
    cells = [tuple(framed[4 + 8 * r + 4, 4 + 8 * q + 4]) for r in range(3) for q in range(3)]
    worst = max(int(np.abs(np.subtract(g, want)).max()) for g, want in zip(cells, CELLS))
    assert worst <= 3, f"{transfer}: window cells {cells} against {CELLS}"
    every = tmp_path / "every.rgb"
    samples, count, _, _ = read_clip(media, count=2, every=str(every))
    assert count == 3
    worst = max(
        int(np.abs(np.subtract(g, want)).max())
        for g, want in zip(_cell_centres(samples[0].astype(int)), CELLS)
    )
    assert worst <= 3, f"{transfer}: first-pass sample against {CELLS}"
    small_w, small_h = extent_size(media.width, media.height)
    small = np.fromfile(every, np.uint8).reshape(-1, small_h, small_w, 3)
    assert len(small) == 3
    expected = cv2.resize(
        _first_frame(path).astype(np.uint8), (small_w, small_h), interpolation=cv2.INTER_AREA
    )
    assert np.abs(small[0].astype(int) - expected).mean() <= 2


def test_an_hlg_clip_in_bt709_primaries_weighs_its_light_by_bt709(tmp_path):
    """Some cameras record HLG in BT.709's gamut: no primaries to convert, and the OOTF's
    luminance weighs the channels as BT.709 does (BT.2020's weights read the saturated
    red 3 codes bright and the blue 4 dark)."""
    cells = [(185, 12, 12), (12, 185, 12), (12, 12, 185)]
    picture = np.concatenate([np.full((CELL, CELL, 3), _srgb_to_linear(c) * WHITE_NITS) for c in cells], 1)
    path = tmp_path / "camera.mp4"
    _write_clip(path, _hlg_signal(picture, KR_709, KB_709), "arib-std-b67", gamut="bt709")
    frame = _first_frame(path)
    got = [tuple(frame[CELL // 2, i * CELL + CELL // 2]) for i in range(3)]
    worst = max(int(np.abs(np.subtract(g, want)).max()) for g, want in zip(got, cells))
    assert worst <= 2, f"cells {got} against {cells}"


@pytest.mark.parametrize("transfer", ["arib-std-b67", "smpte2084"])
def test_hdr_highlights_rise_to_white_without_a_change_of_hue(tmp_path, transfer):
    levels = np.array([50.0, 100.0, 203.0, 400.0, 700.0, 1000.0])
    greys = np.repeat(levels[:, None, None, None], CELL, 1).repeat(CELL, 2).repeat(3, 3)
    orange = np.array([1.0, 0.45, 0.1])  # BT.709 light ratios, 100 to 800 nits
    oranges = np.stack([np.full((CELL, CELL, 3), orange * n) for n in (100.0, 300.0, 800.0)])
    picture = np.concatenate([np.concatenate(list(greys), 1), np.concatenate(list(oranges) * 2, 1)], 0)
    path = tmp_path / "ramp.mp4"
    _write_clip(path, _hdr_signal(picture, transfer), transfer)
    frame = _first_frame(path)
    grey = [frame[CELL // 2, i * CELL + CELL // 2] for i in range(len(levels))]
    assert all(max(g) - min(g) <= 1 for g in grey), f"greys not neutral: {grey}"
    values = [int(g[1]) for g in grey]
    assert values == sorted(values) and len(set(values)) == len(values), f"not rising: {values}"
    assert values[-1] >= 252, f"the 1000-nit peak is not white: {values}"
    assert 200 <= values[2] < values[-1], f"reference white at {values[2]}"
    for i in range(3):
        light = _srgb_to_linear(frame[CELL + CELL // 2, i * CELL + CELL // 2])
        ratios = light / light[0]
        assert np.allclose(ratios, orange, atol=0.04), f"orange {i}: light ratios {ratios} against {orange}"


def test_a_pq_clip_that_states_a_higher_peak_keeps_room_above_1000_nits(tmp_path):
    levels = [203.0, 1000.0, 4000.0]
    picture = np.concatenate([np.full((CELL, CELL, 3), n) for n in levels], 1)
    signal = _hdr_signal(picture, "smpte2084")
    plain, stated = tmp_path / "plain.mp4", tmp_path / "stated.mp4"
    _write_clip(plain, signal, "smpte2084")
    _write_clip(stated, signal, "smpte2084", x265=":hdr10=1:max-cll=4000,400")
    row = CELL // 2
    plain_values = [int(_first_frame(plain)[row, i * CELL + CELL // 2, 1]) for i in range(3)]
    stated_values = [int(_first_frame(stated)[row, i * CELL + CELL // 2, 1]) for i in range(3)]
    # without metadata the peak is taken as 1000 nits: 1000 and 4000 both land on white
    assert plain_values[1] >= 252 and plain_values[2] >= 252, plain_values
    # a stated MaxCLL of 4000: 1000 nits comes out darker (the roll-off makes room above
    # it), 4000 reaches white
    assert stated_values[1] < plain_values[1] and stated_values[2] >= 252, (plain_values, stated_values)
    assert stated_values[0] < stated_values[1] < stated_values[2]


def test_a_wide_gamut_sdr_clip_is_converted_to_srgb(tmp_path):
    # SDR codes are read with the sRGB curve, in BT.2020 primaries as in BT.709 ones
    signal = _linear_to_srgb(np.clip(_grid_nits() / WHITE_NITS @ BT709_TO_BT2020.T, 0, 1))
    path = tmp_path / "wide.mp4"
    _write_clip(path, signal, "bt709")
    got = _cell_centres(_first_frame(path))
    worst = max(int(np.abs(np.subtract(g, want)).max()) for g, want in zip(got, CELLS))
    assert worst <= 3, f"cells {got} against {CELLS}"


def test_an_hdr_clip_with_alpha_keeps_its_alpha_and_its_colours(tmp_path):
    """HLG in FFV1 with an alpha plane (as a compositing tool may hand it over): the
    conversion runs on the colour and leaves the alpha as stored."""
    signal = _hdr_signal(_grid_nits(), "arib-std-b67")
    h, w, _ = signal.shape
    y = KR * signal[..., 0] + (1 - KR - KB) * signal[..., 1] + KB * signal[..., 2]
    planes = [64 + 876 * y, 512 + 896 * (signal[..., 2] - y) / (2 * (1 - KB))]
    planes.append(512 + 896 * (signal[..., 0] - y) / (2 * (1 - KR)))
    alpha = np.repeat(np.array([1023.0, 514.0, 0.0]), CELL)[:, None] * np.ones((1, w))
    raw = b"".join(np.clip(np.round(p), 0, 1023).astype("<u2").tobytes() for p in planes + [alpha])
    path = tmp_path / "hlg-alpha.mkv"
    tags = "color_primaries=bt2020:color_trc=arib-std-b67:colorspace=bt2020nc:range=tv"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuva444p10le"]
    cmd += ["-s", f"{w}x{h}", "-r", "24", "-i", "-", "-vf", f"setparams={tags}", "-c:v", "ffv1", str(path)]
    subprocess.run(cmd, input=raw * 2, check=True)
    media = holopack.load(str(path)).media
    assert media.alpha and media.colour is not None and "HLG" in media.colour
    frame = next(iter(media.open_rgba())).astype(int)
    alphas = [int(frame[r * CELL + CELL // 2, CELL // 2, 3]) for r in range(3)]
    assert alphas[0] == 255 and abs(alphas[1] - 128) <= 1 and alphas[2] == 0, alphas
    got = _cell_centres(frame[..., :3])[:6]  # the rows with alpha: their colours as stored
    worst = max(int(np.abs(np.subtract(g, want)).max()) for g, want in zip(got, CELLS))
    assert worst <= 3, f"cells {got} against {CELLS[:6]}"


def test_inspect_says_what_an_hdr_clip_is_and_what_is_done_with_it(tmp_path, capsys):
    path = tmp_path / "phone.mp4"
    _write_clip(path, _hdr_signal(_grid_nits(), "arib-std-b67"), "arib-std-b67")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "colour: HDR HLG, BT.2020 primaries" in out, out


@pytest.mark.parametrize(
    "line, tags",
    [
        (
            "Stream #0:0[0x1](und): Video: hevc (Main 10) (hvc1 / 0x31637668), "
            "yuv420p10le(tv, bt2020nc/bt2020/arib-std-b67), 1920x1080, 30 fps",
            ColourTags("tv", "bt2020nc", "bt2020", "arib-std-b67"),
        ),
        (
            "Stream #0:0: Video: hevc (Main 10), yuv420p10le(tv, bt2020nc/bt2020/smpte2084, progressive), 3840x2160",
            ColourTags("tv", "bt2020nc", "bt2020", "smpte2084"),
        ),
        (
            "Stream #0:0: Video: h264 (High), yuv420p(tv, bt709, progressive), 1280x720",
            ColourTags("tv", *["bt709"] * 3),
        ),
        (
            "Stream #0:0: Video: h264, yuvj420p(pc, bt470bg/unknown/unknown), 640x480",
            ColourTags("pc", "bt470bg", "", ""),
        ),
        ("Stream #0:0: Video: h264 (High), yuv420p(progressive), 96x64", ColourTags()),
        ("Stream #0:0: Video: vp9 (Profile 0), yuv420p(tv), 96x64", ColourTags("tv")),
    ],
)
def test_colour_tags_are_read_as_ffmpeg_prints_them(line, tags):
    assert ColourTags.parse(line) == tags


IPHONE_HEADER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'IMG_0420.MOV':
  Stream #0:0[0x1](und): Video: hevc (Main 10) (hvc1 / 0x31637668), yuv420p10le(tv, bt2020nc/bt2020/arib-std-b67, \
progressive), 1920x1080, 9800 kb/s, 29.98 fps, 30 tbr, 600 tbn (default)
    Side data:
      DOVI configuration record: version: 1.0, profile: 8, level: 4, rpu flag: 1, el flag: 0, bl flag: 1, \
compatibility id: 4
      displaymatrix: rotation of -90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 160 kb/s (default)
"""
PROFILE_5_HEADER = """Input #0, matroska,webm, from 'film.mkv':
  Stream #0:0: Video: hevc (Main 10), yuv420p10le(tv), 3840x2160, SAR 1:1 DAR 16:9, 23.98 fps, 23.98 tbr, 1k tbn
    Side data:
      DOVI configuration record: version: 1.0, profile: 5, level: 6, rpu flag: 1, el flag: 0, bl flag: 1, \
compatibility id: 0
  Stream #0:1(eng): Audio: dts (DTS), 48000 Hz, 5.1(side), s32p (24 bit), 1536 kb/s (default)
"""
PLAIN_HEADER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'clip.mp4':
  Stream #0:0[0x1](und): Video: h264 (High), yuv420p(tv, bt709, progressive), 1920x1080, 30 fps, 30 tbr (default)
  Stream #0:1[0x2](und): Video: hevc (Main 10), yuv420p10le(tv), 320x240, 30 fps, 30 tbr
    Side data:
      DOVI configuration record: version: 1.0, profile: 5, level: 6
"""


@pytest.mark.parametrize("header, profile", [(IPHONE_HEADER, 8), (PROFILE_5_HEADER, 5), (PLAIN_HEADER, None)])
def test_a_dolby_vision_profile_is_read_from_the_clip_s_own_stream(header, profile):
    # the plain header's record belongs to its second, smaller video stream, not the clip
    line, _ = _main_video_line(header)
    assert line is not None and _dolby_vision_profile(header, line) == profile


def test_a_dolby_vision_profile_5_clip_is_read_with_a_warning_about_its_colours(
    tmp_path, monkeypatch, capsys
):
    """ffmpeg decodes profile 5's IPTPQc2 as if it were Y'CbCr: no table can put that
    right, so the user is told (no such file can be written without Dolby's encoder:
    the probe's answer is made to name profile 5)."""
    path = tmp_path / "film.mp4"
    _write_clip(path, _hdr_signal(_grid_nits(), "smpte2084"), "smpte2084")
    probe = decode.probe_stream

    def profile_5(p):
        return dataclasses.replace(probe(p), dolby_vision=5)

    monkeypatch.setattr(decode, "probe_stream", profile_5)
    holopack.load(str(path))
    err = capsys.readouterr().err
    assert "Dolby Vision profile 5" in err and "film.mp4" in err and len(err.strip().splitlines()) == 1


# Display P3 (D65) to sRGB's primaries in linear light, as colour-management references
# publish it (to four places)
P3_TO_SRGB = np.array([[1.2249, -0.2247, 0.0], [-0.0420, 1.0419, 0.0], [-0.0197, -0.0786, 1.0979]])


def test_a_photo_in_display_p3_is_converted_in_numpy_as_the_tables_would():
    """A phone's HEIC photo is a tile grid that ffmpeg composes itself and that takes no
    filter: its P3 colours are converted after it is read (convert_picture)."""
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 256, (40, 30, 3)).astype(np.uint8)
    got = convert_picture(Conversion("SDR", "smpte432"), codes).astype(int)
    light = np.clip(_srgb_to_linear(codes) @ P3_TO_SRGB.T, 0, 1)
    want = np.round(255 * _linear_to_srgb(light)).astype(int)
    assert np.abs(got - want).max() <= 1


def test_a_heic_photo_stored_as_a_tile_grid_is_read_whole(tmp_path):
    """ffmpeg lists a grid photo's tiles and thumbnail as streams of their own; mapped
    one of them, a phone's 4032 x 3024 photo was read as its 320 x 240 thumbnail."""
    path = os.path.join(DATA, "heic", "blue_grid_alpha.heic")
    scene = holopack.load(path)
    picture = next(iter(scene.media.frames()))
    assert picture.shape == (240, 320, 3)  # four 160 x 120 tiles
    assert np.abs(picture.astype(int) - (0, 0, 255)).max(axis=-1).mean() <= 4  # blue all over
