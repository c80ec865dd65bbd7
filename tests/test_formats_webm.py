"""The WebM (VP9) format: written through the registry, read back by ffmpeg itself."""

from __future__ import annotations

import numpy as np
from _video_probe import probe, read_frames
from PIL import Image

from holopack.cli import main
from holopack.formats import format_for_path, get_format
from holopack.formats.stream import write_stream


def _moving_gradient(count: int, size: int) -> list[np.ndarray]:
    """Smooth frames (VP9 keeps smooth pictures close) with a bar that moves."""
    y, x = np.mgrid[0:size, 0:size]
    frames = []
    for i in range(count):
        frame = np.zeros((size, size, 3), np.uint8)
        frame[..., 0] = (x * 255 // (size - 1)).astype(np.uint8)
        frame[..., 1] = (y * 255 // (size - 1)).astype(np.uint8)
        frame[..., 2] = np.where(np.abs(x - 8 * i - 8) < 6, 220, 40).astype(np.uint8)
        frames.append(frame)
    return frames


def test_webm_is_chosen_by_its_suffix_and_named_by_its_rule():
    fmt = format_for_path("loop.WEBM")
    assert fmt is get_format("webm")
    assert fmt.kind == "video" and fmt.naming.suffix == ".webm" and fmt.even_size


def test_webm_frames_decode_back_through_ffmpeg(tmp_path):
    frames = _moving_gradient(6, 64)
    out = tmp_path / "loop.webm"
    count = write_stream(get_format("webm"), str(out), None, 10.0, iter(frames))
    assert count == 6
    data = out.read_bytes()
    # Matroska/WebM (matroska.org spec): EBML header ID 1A 45 DF A3, then a DocType
    # element (ID 42 82, size 0x84 = 4 bytes) "webm", and the track's CodecID "V_VP9"
    assert data[:4] == b"\x1a\x45\xdf\xa3"
    assert b"\x42\x82\x84webm" in data[:64]
    assert b"V_VP9" in data
    info = probe(out)
    assert (info["codec"], info["pix_fmt"]) == ("vp9", "yuv420p")
    assert (info["width"], info["height"], info["frames"]) == (64, 64, 6)
    assert abs(info["fps"] - 10.0) < 1e-6
    decoded = read_frames(out)
    assert len(decoded) == 6
    for made, seen in zip(frames, decoded):
        error = np.abs(made.astype(np.int16) - seen.astype(np.int16))
        assert error.mean() < 6.0  # lossy, but the same pictures
    # the moving bar is where it was drawn in each frame (blue channel peak column)
    for i, seen in enumerate(decoded):
        column = int(np.argmax(seen[32, :, 2].astype(int)))
        assert abs(column - (8 * i + 8)) <= 6


def test_export_writes_a_webm_preview_with_even_sides(tmp_path, capsys):
    picture = np.zeros((40, 40, 3), np.uint8)
    picture[10:30, 10:30] = (200, 120, 30)
    source = tmp_path / "square.png"
    Image.fromarray(picture).save(source)
    out = tmp_path / "preview.webm"
    code = main(
        [
            "export",
            str(source),
            "--device",
            "mp4-fan",
            "--format",
            "webm",
            "-o",
            str(out),
            "--seconds",
            "0.5",
            "--fps",
            "10",
            "--size",
            "63",
            "-q",
        ]
    )
    assert code == 0, capsys.readouterr().err
    info = probe(out)
    assert info["codec"] == "vp9"
    assert (info["width"], info["height"], info["frames"]) == (64, 64, 5)  # 63 rounded up to even
    middle = read_frames(out)[0][32, 32].astype(int)
    assert abs(middle - (200, 120, 30)).max() < 20
