"""EXT_texture_webp and EXT_texture_avif: a glTF texture whose picture is in a newer
codec, with the texture's own ``source`` (a PNG) as the fallback for readers without it.
holopack draws the newer picture where it can decode it, else the fallback.

The model is one unlit quad filling the frame; the newer picture is red, the fallback
blue, so the exported colour says which one was drawn.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from _gltf_builder import GltfBuilder, write_gltf
from PIL import Image

from holopack.cli import main
from holopack.scene import pictures
from holopack.scene.load import load

RED, BLUE = (220, 30, 30), (30, 30, 220)


def picture_uri(colour, fmt: str, mime: str) -> str:
    data = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(data, format=fmt)
    return f"data:{mime};base64," + base64.b64encode(data.getvalue()).decode()


def quad_with_texture(path, codec: str, fmt: str, mime: str, fallback: bool = True) -> str:
    b = GltfBuilder()
    pos = b.add(np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float32))
    uv = b.add(np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32))
    idx = b.add(np.array([0, 1, 2, 0, 2, 3], np.uint16))
    images = [{"uri": picture_uri(RED, fmt, mime)}]
    texture: dict = {"extensions": {codec: {"source": 0}}}
    if fallback:
        images.append({"uri": picture_uri(BLUE, "PNG", "image/png")})
        texture["source"] = 1
    doc = b.document(
        [{"attributes": {"POSITION": pos, "TEXCOORD_0": uv}, "indices": idx, "material": 0}],
        materials=[
            {
                "pbrMetallicRoughness": {"baseColorTexture": {"index": 0}},
                "extensions": {"KHR_materials_unlit": {}},
            }
        ],
        textures=[texture],
        images=images,
        extensionsUsed=[codec, "KHR_materials_unlit"],
        **({} if fallback else {"extensionsRequired": [codec]}),
    )
    return write_gltf(path, doc)


def drawn_colour(path, tmp_path) -> np.ndarray:
    out = tmp_path / "look.png"
    argv = [
        path,
        "-o",
        out,
        "--device",
        "mp4-fan",
        "--size",
        "32",
        "--seconds",
        "0.02",
        "--turntable",
        "0",
        "-q",
    ]
    assert main(["export", *map(str, argv)]) == 0
    picture = np.asarray(Image.open(out).convert("RGB")).astype(int)
    return picture[16, 16]


CODECS = [
    pytest.param("EXT_texture_webp", "WEBP", "image/webp", id="webp"),
    pytest.param("EXT_texture_avif", "AVIF", "image/avif", id="avif"),
]


@pytest.mark.parametrize("codec, fmt, mime", CODECS)
def test_the_newer_codecs_picture_is_drawn_over_the_fallback(tmp_path, codec, fmt, mime):
    colour = drawn_colour(quad_with_texture(tmp_path / "q.gltf", codec, fmt, mime), tmp_path)
    assert np.abs(colour - RED).max() <= 12, colour  # lossy codecs: a few codes
    assert not any("not supported" in w for w in load(str(tmp_path / "q.gltf")).warnings)


def test_without_an_avif_codec_the_fallback_is_drawn(tmp_path, monkeypatch):
    monkeypatch.setattr(pictures, "avif_readable", lambda: False)
    from holopack.scene.gltf import materials

    monkeypatch.setattr(materials, "avif_readable", lambda: False)
    colour = drawn_colour(
        quad_with_texture(tmp_path / "q.gltf", "EXT_texture_avif", "PNG", "image/png"), tmp_path
    )
    assert np.abs(colour - BLUE).max() <= 2, colour


@pytest.mark.parametrize("codec, fmt, mime", CODECS)
def test_a_required_codec_without_fallback_is_read(tmp_path, codec, fmt, mime):
    path = quad_with_texture(tmp_path / "q.gltf", codec, fmt, mime, fallback=False)
    assert not load(path).warnings
    assert np.abs(drawn_colour(path, tmp_path) - RED).max() <= 12
