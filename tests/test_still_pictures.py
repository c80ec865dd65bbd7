"""Still pictures as phones, cameras and editors write them, read as every viewer shows
them: upright by their EXIF Orientation, colours from an embedded ICC profile in sRGB,
the first picture of a file that holds more than one, a huge JPEG decoded smaller
rather than refused, and formats holopack does not read refused in one line that says
what to convert to. The pictures are made here (tests/_still_pictures.py, Pillow); the
references are the known colour grid and numpy's own colour conversion."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _still_pictures import grey_icc_profile, grey_png, heic, icc_profile, orient, psd, to_srgb
from _video_clips import cell_grid
from PIL import Image

import holopack
from holopack.errors import InputError

DATA = Path(__file__).parent / "data"

W, H = 96, 64  # wider than tall, nine distinct cells: a turned or mirrored picture shows
GRID = cell_grid(W, H)


def picture(path) -> np.ndarray:
    """(H, W, 3) uint8: the picture holopack shows for a still, over black."""
    media = holopack.load(path).media
    assert media.frame_count == 1
    return next(iter(media.frames()))


def cell_error(frame: np.ndarray, want: np.ndarray) -> float:
    """Largest |mean - want| over the inner 40 % of each of the 3 x 3 cells."""
    assert frame.shape == want.shape, (frame.shape, want.shape)
    worst = 0.0
    for r in range(3):
        for c in range(3):
            ys = slice(H * (10 * r + 3) // 30, H * (10 * r + 7) // 30)
            xs = slice(W * (10 * c + 3) // 30, W * (10 * c + 7) // 30)
            diff = frame[ys, xs].reshape(-1, 3).mean(0) - want[ys, xs].reshape(-1, 3).astype(float).mean(0)
            worst = max(worst, float(np.abs(diff).max()))
    return worst


def with_orientation(n: int) -> Image.Image:
    image = Image.fromarray(orient(GRID, n))
    return image


def exif(n: int) -> Image.Exif:
    tags = Image.Exif()
    tags[0x0112] = n
    return tags


@pytest.mark.parametrize("n", range(1, 9))
def test_a_phone_photo_is_shown_upright_for_every_exif_orientation(tmp_path, n):
    path = tmp_path / "photo.jpg"
    with_orientation(n).save(path, quality=95, subsampling=0, exif=exif(n))
    assert cell_error(picture(path), GRID) < 4


def test_a_folder_of_phone_photos_is_shown_upright(tmp_path):
    for i, n in enumerate((6, 8, 1, 3)):  # the phone turned between shots: one view
        with_orientation(n).save(tmp_path / f"shot{i}.jpg", quality=95, subsampling=0, exif=exif(n))
    media = holopack.load(tmp_path).media
    frames = list(media.frames())
    assert (media.width, media.height, len(frames)) == (W, H, 4)
    assert max(cell_error(f, GRID) for f in frames) < 4


@pytest.mark.parametrize("space", ["adobe-rgb", "display-p3"])
@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_an_embedded_colour_profile_is_converted_to_srgb(tmp_path, space, suffix):
    path = tmp_path / f"wide{suffix}"
    Image.fromarray(GRID).save(
        path,
        icc_profile=icc_profile(space),
        **({"quality": 98, "subsampling": 0} if suffix == ".jpg" else {}),
    )
    want = to_srgb(GRID, space)
    assert np.abs(want - GRID).max() > 20  # the profile matters: read as sRGB it is far off
    assert cell_error(picture(path), want) < 2


def test_a_profile_keeps_the_pictures_alpha(tmp_path):
    rgba = np.dstack([GRID, np.where(np.arange(W) < W // 2, 255, 100)[None, :].repeat(H, 0).astype(np.uint8)])
    path = tmp_path / "wide.png"
    Image.fromarray(rgba).save(path, icc_profile=icc_profile("adobe-rgb"))
    media = holopack.load(path).media
    got = next(iter(media.open_rgba()))
    assert np.array_equal(got[..., 3], rgba[..., 3])
    assert cell_error(got[..., :3], to_srgb(GRID, "adobe-rgb")) < 2


@pytest.mark.parametrize("bits, with_alpha", [(8, False), (8, True), (16, False), (16, True)])
def test_a_grey_picture_is_shown_through_its_grey_profile(tmp_path, capsys, bits, with_alpha):
    # an 8-bit grey PNG's profile was ignored, and a 16-bit one with alpha (opened by
    # Pillow as RGBA) warned on every run that its profile was for GRAY, not RGBA
    ramp = np.tile(np.linspace(0, 255, W).round().astype(np.int64), (H, 1))
    dtype = np.uint16 if bits == 16 else np.uint8
    scale = 257 if bits == 16 else 1
    alpha = np.where(np.arange(H) < H // 2, 255, 90)[:, None].repeat(W, 1)
    path = tmp_path / "grey.png"
    grey_png(
        str(path),
        (ramp * scale).astype(dtype),
        (alpha * scale).astype(dtype) if with_alpha else None,
        grey_icc_profile(1.0),
    )
    light = ramp / 255.0  # the profile's codes are proportional to light: sRGB encodes it
    want = 255.0 * np.where(light <= 0.0031308, 12.92 * light, 1.055 * light ** (1 / 2.4) - 0.055)
    got = next(iter(holopack.load(path).media.open_rgba())) if with_alpha else picture(path)
    assert np.abs(want[..., None] - got[..., :3]).max() <= 2
    if with_alpha:
        assert np.array_equal(got[..., 3], alpha)
    assert "colour profile" not in capsys.readouterr().err


def test_a_profile_that_cannot_be_read_is_ignored_with_a_warning(tmp_path, capsys):
    path = tmp_path / "odd.png"
    Image.fromarray(GRID).save(path, icc_profile=b"not a colour profile at all" * 8)
    assert cell_error(picture(path), GRID) < 1
    assert "colour profile" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["photo.jpg", "pair.mpo"])
def test_a_phone_jpeg_holding_a_second_picture_is_one_still(tmp_path, name):
    # phones and 3D cameras append a depth or gain map or a second eye (the MP format):
    # it was played as a two-frame clip, flashing the map; a 3D camera names the file
    # .mpo (refused as an unknown type)
    path = tmp_path / name
    second = Image.fromarray(255 - GRID)
    Image.fromarray(GRID).save(
        path, format="MPO", save_all=True, append_images=[second], quality=95, subsampling=0
    )
    with Image.open(path) as check:
        assert check.format == "MPO" and check.n_frames == 2
    assert cell_error(picture(path), GRID) < 4


def test_a_multipage_tiff_shows_its_first_page_and_says_so(tmp_path, capsys):
    path = tmp_path / "scan.tiff"
    Image.fromarray(GRID).save(path, save_all=True, append_images=[Image.fromarray(255 - GRID)])
    assert cell_error(picture(path), GRID) < 1
    assert "2 pages; the first is shown" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".tif", ".tga", ".psd", ".jfif"])
def test_pictures_as_editors_save_them_are_read(tmp_path, suffix):
    path = tmp_path / f"art{suffix}"
    if suffix == ".psd":
        psd(str(path), GRID)  # Pillow reads PSD but writes none
    elif suffix == ".jfif":
        Image.fromarray(GRID).save(path, format="JPEG", quality=95, subsampling=0)
    else:
        Image.fromarray(GRID).save(path, compression="tiff_lzw" if suffix == ".tif" else None)
    assert cell_error(picture(path), GRID) < 4


def test_a_jpeg_too_big_for_the_budget_is_decoded_smaller(tmp_path, monkeypatch):
    big = cell_grid(800, 600)
    Image.fromarray(big).save(tmp_path / "big.jpg", quality=95, subsampling=0)
    Image.fromarray(big).save(tmp_path / "big.png")
    # 800 x 600 x 8 bytes is 3.7 MB: over a 1 MB budget; at 1/2 (400 x 300) 0.9 MB
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "1")
    media = holopack.load(tmp_path / "big.jpg").media
    assert (media.width, media.height) == (400, 300)
    half = np.asarray(Image.fromarray(big).resize((400, 300), Image.Resampling.BOX))
    frame = next(iter(media.frames()))
    assert np.abs(frame.astype(float) - half).mean() < 3
    with pytest.raises(InputError, match="memory budget"):  # no such decoder for a PNG
        holopack.load(tmp_path / "big.png")


def test_a_folder_frame_too_big_for_the_budget_is_refused_naming_it(tmp_path, monkeypatch):
    Image.fromarray(cell_grid(64, 64)).save(tmp_path / "f1.png")
    Image.new("RGB", (1024, 1024)).save(tmp_path / "f2.png")  # 8 MB decoded: over 4 MB
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "4")
    media = holopack.load(tmp_path).media
    with pytest.raises(InputError, match=r"f2\.png.*memory budget"):
        list(media.frames())


def heic_bytes() -> bytes:
    """The opening of a phone's HEIC: an ftyp box with the heic and mif1 brands."""
    return struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0" + b"mif1heic" + b"\0" * 64


@pytest.mark.parametrize("name", ["IMG_0001.HEIC", "IMG_0001.jpg"])
def test_a_heic_photo_is_shown_as_a_still(tmp_path, name):
    # a transfer may rename it .jpg; read by ffmpeg as a one-frame clip at 1 fps it was
    # keyed and framed as a clip, and as .jpg it was "not a readable picture"
    if not heic(str(tmp_path / name), GRID):
        pytest.skip("no libheif with an HEVC encoder to write the photo")
    media = holopack.load(tmp_path / name).media
    assert (media.fps, media.frame_count, media.alpha) == (0.0, 1, False)
    assert cell_error(next(iter(media.frames())), GRID) < 4


@pytest.mark.parametrize("name", ["IMG_0001.HEIC", "IMG_0001.jpg", "IMG_0001.mp4"])
def test_a_heic_that_cannot_be_decoded_is_refused_saying_what_to_convert_to(tmp_path, name):
    (tmp_path / name).write_bytes(heic_bytes())  # a transfer may rename it .jpg
    run = subprocess.run(
        [sys.executable, "-m", "holopack", "inspect", name], cwd=tmp_path, capture_output=True, text=True
    )
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1, run.stderr
    assert name in lines[0] and "HEIC" in lines[0] and "JPEG or PNG" in lines[0]


def test_a_cut_heic_is_refused_in_one_line(tmp_path):
    # cut in its picture data: the clip reader's "cut short: its video ends after 1.00 s
    # of the 0.00 s it promises; the loop is what is there" came above the refusal
    whole = (DATA / "heic" / "blue_grid_alpha.heic").read_bytes()
    (tmp_path / "cut.heic").write_bytes(whole[:1200])
    run = subprocess.run(
        [sys.executable, "-m", "holopack", "inspect", "cut.heic"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1, run.stderr
    assert "cut.heic" in lines[0] and "HEIC" in lines[0]


def test_an_avif_is_read_as_a_picture(tmp_path):
    path = tmp_path / "photo.avif"
    Image.fromarray(GRID).save(path, quality=95)
    assert cell_error(picture(path), GRID) < 6


def test_an_svg_is_refused_naming_png(tmp_path):
    path = tmp_path / "logo.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')
    with pytest.raises(InputError, match="export the drawing as a PNG"):
        holopack.load(path)


def test_a_cmyk_photoshop_jpeg_shows_its_colours(tmp_path):
    # Photoshop (and Pillow) write CMYK JPEGs inverted with an Adobe marker
    x = GRID.astype(float) / 255
    k = 1 - x.max(-1, keepdims=True)
    cmyk = np.round(np.concatenate([(1 - x - k) / np.maximum(1 - k, 1e-6), k], -1) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(cmyk, "CMYK").save(buf, "JPEG", quality=98)
    (tmp_path / "print.jpg").write_bytes(buf.getvalue())
    assert cell_error(picture(tmp_path / "print.jpg"), GRID) < 4


def test_an_opaque_still_holds_one_rgba_and_one_rgb_copy_while_loading(tmp_path):
    import tracemalloc

    Image.fromarray(cell_grid(1200, 900)).save(tmp_path / "big.png", compress_level=1)
    pixels = 1200 * 900
    tracemalloc.start()
    try:
        media = holopack.load(tmp_path / "big.png").media
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # RGBA (4 bytes a pixel) and the RGB kept (3): compositing an opaque picture in
    # float32 took 16 more bytes a pixel, which made a 6000 x 4500 still peak at 1.6 GB
    assert peak < 9 * pixels, f"{peak / pixels:.1f} bytes a pixel"
    assert media.open_rgba is None
    assert np.array_equal(next(iter(media.frames())), cell_grid(1200, 900))


def test_a_one_frame_gif_is_a_still_as_the_same_png_is(tmp_path):
    palette = Image.fromarray(GRID).quantize(9)
    palette.save(tmp_path / "logo.gif")
    palette.save(tmp_path / "logo.png")
    gif, png = holopack.load(tmp_path / "logo.gif").media, holopack.load(tmp_path / "logo.png").media
    # a clip (fps > 0) is keyed and framed as a clip: the GIF went to the fan smaller
    # than the PNG, with "the background moves" on a picture that cannot move
    assert (gif.fps, gif.frame_count, gif.alpha) == (png.fps, png.frame_count, png.alpha) == (0.0, 1, False)
    assert np.array_equal(next(iter(gif.frames())), next(iter(png.frames())))


def test_text_named_as_a_picture_is_refused_naming_the_file_once(tmp_path):
    (tmp_path / "photo.jpg").write_text("this is a note, not a photo\n")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "holopack",
            "export",
            "photo.jpg",
            "--device",
            "3dcircle-42f2",
            "-o",
            "01_A.BIN",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1, run.stderr
    # Pillow's "cannot identify image file 'photo.jpg'" named it twice, and no format
    assert lines[0].count("photo.jpg") == 1 and "PNG, JPEG" in lines[0], lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.jpg"]


def test_a_jpeg_past_pillows_pixel_limit_is_decoded_smaller_not_refused(tmp_path, monkeypatch):
    # Pillow refuses in Image.open a picture of more than 2 x MAX_IMAGE_PIXELS (179 MP:
    # a 200 MP phone photo) before a JPEG can be decoded at a fraction of its size;
    # scaled down here: a limit of 100,000 pixels and an 800 x 600 photo
    from PIL import Image as PILImage

    big = cell_grid(800, 600)
    Image.fromarray(big).save(tmp_path / "big.jpg", quality=95, subsampling=0)
    Image.fromarray(big).save(tmp_path / "big.png")
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 100_000)
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "1")
    media = holopack.load(tmp_path / "big.jpg").media
    assert (media.width, media.height) == (400, 300)
    half = np.asarray(Image.fromarray(big).resize((400, 300), Image.Resampling.BOX))
    assert np.abs(next(iter(media.frames())).astype(float) - half).mean() < 3
    with pytest.raises(InputError, match="too many pixels"):
        holopack.load(tmp_path / "big.png")


def test_a_damaged_exif_block_is_read_silently(tmp_path):
    import warnings

    tags = exif(6)
    tags[0x010F] = "Camera"
    damaged = tags.tobytes()[:-6]  # cut inside the last tag's value
    Image.fromarray(GRID).save(tmp_path / "photo.jpg", quality=95, subsampling=0, exif=damaged)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = picture(tmp_path / "photo.jpg")
    assert not [w for w in caught if issubclass(w.category, UserWarning)], [str(w.message) for w in caught]
    assert frame.shape in ((H, W, 3), (W, H, 3))


def _with_claimed_size(data: bytes, width: int, height: int) -> bytes:
    """A JPEG's bytes with its frame header (SOF0) claiming width x height."""
    out = bytearray(data)
    sof = out.find(b"\xff\xc0")
    struct.pack_into(">HH", out, sof + 5, height, width)
    return bytes(out)


@pytest.mark.parametrize("claimed", [(30000, 30000), (8000, 6000)])
def test_a_jpeg_whose_header_claims_more_pixels_than_its_data_holds_is_refused(tmp_path, claimed):
    # libjpeg fills what the data does not hold with grey and reports no error: the
    # 64 x 48 picture's 700 bytes read as a grey 3750 x 3750 still before
    small = io.BytesIO()
    Image.fromarray(cell_grid(64, 48)).save(small, "JPEG", quality=90)
    (tmp_path / "photo.jpg").write_bytes(_with_claimed_size(small.getvalue(), *claimed))
    with pytest.raises(InputError, match=rf"photo\.jpg.*damaged JPEG.*{claimed[0]} x {claimed[1]}"):
        holopack.load(tmp_path / "photo.jpg")
    frames = tmp_path / "frames"
    frames.mkdir()
    Image.fromarray(cell_grid(64, 48)).save(frames / "f1.jpg")
    (frames / "f2.jpg").write_bytes((tmp_path / "photo.jpg").read_bytes())
    with pytest.raises(InputError, match=r"f2\.jpg.*damaged JPEG"):
        list(holopack.load(frames).media.frames())


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_a_flat_jpeg_coded_as_tightly_as_jpeg_can_is_not_taken_for_a_damaged_one(tmp_path, mode):
    flat = Image.new(mode, (2400, 1800), 128 if mode == "L" else (20, 180, 40))
    flat.save(tmp_path / "flat.jpg", progressive=True, optimize=True, quality=5)
    frame = picture(tmp_path / "flat.jpg")
    assert frame.shape[:2] == (1800, 2400)
