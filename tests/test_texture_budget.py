"""Textures that pass the memory budget together are kept at one reduction that fits,
not refused: a studio twin's many 4096 px maps passed 384 MB at the third."""

import numpy as np
import pytest
from PIL import Image

import holopack
from holopack.errors import InputError
from tests._gltf_builder import quad_primitive, write_gltf

SIDE = 256


def _pattern(seed: int) -> np.ndarray:
    """(SIDE, SIDE, 4) uint8 whose 2 x 2 means are not its pixels (a one-pixel checker
    over ramps), and whose PNG is small: the file's bytes count against the budget too."""
    y, x = np.mgrid[0:SIDE, 0:SIDE]
    rgba = np.empty((SIDE, SIDE, 4), np.uint8)
    rgba[..., 0] = (3 * x + y + 40 * seed) % 256
    rgba[..., 1] = np.where((x + y) % 2 == 0, 30, 220)
    rgba[..., 2] = (x + 5 * y + 90 * seed) % 256
    rgba[..., 3] = 255
    return rgba


def _model(tmp_path, count: int) -> tuple[str, list[np.ndarray]]:
    """A quad whose material uses ``count`` PNG maps (base colour, normal, emission)."""
    builder, primitive = quad_primitive()
    uv = builder.add(np.array([[0, 1], [1, 1], [1, 0], [0, 0]], np.float32))
    primitive["attributes"]["TEXCOORD_0"] = uv
    primitive["material"] = 0
    builder.doc["meshes"].append({"primitives": [primitive]})
    builder.root(builder.node(mesh=0))
    pictures = []
    for i in range(count):
        pictures.append(_pattern(i))
        Image.fromarray(pictures[-1]).save(tmp_path / f"map{i}.png")
    doc = builder.build()
    doc["images"] = [{"uri": f"map{i}.png"} for i in range(count)]
    doc["textures"] = [{"source": i} for i in range(count)]
    slots = ["baseColorTexture", "normalTexture", "emissiveTexture"][:count]
    material: dict = {"pbrMetallicRoughness": {}}
    for i, slot in enumerate(slots):
        if slot == "baseColorTexture":
            material["pbrMetallicRoughness"][slot] = {"index": i}
        else:
            material[slot] = {"index": i}
    if "emissiveTexture" in slots:
        material["emissiveFactor"] = [1.0, 1.0, 1.0]
    doc["materials"] = [material]
    return write_gltf(tmp_path / "twin.gltf", doc), pictures


def _area_half(picture: np.ndarray) -> np.ndarray:
    """The picture at half its sides, each pixel the mean of its 2 x 2 block (plain numpy)."""
    h, w = picture.shape[:2]
    blocks = picture.astype(np.float64).reshape(h // 2, 2, w // 2, 2, -1)
    return blocks.mean(axis=(1, 3))


def test_textures_over_the_budget_together_are_all_kept_at_half_their_sides(tmp_path, monkeypatch):
    path, pictures = _model(tmp_path, 3)
    # three 256 px maps count 3 x 0.5 MB (RGBA and a copy); 1 MB leaves room for them at
    # half their sides only
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "1")
    scene = holopack.load(path)
    assert [t.pixels.shape for t in scene.textures] == [(SIDE // 2, SIDE // 2, 4)] * 3
    assert any(
        "the 3 textures are drawn at 1/2" in w and "1 MB memory budget" in w for w in scene.warnings
    ), scene.warnings
    for texture, picture in zip(scene.textures, pictures):
        assert np.abs(texture.pixels.astype(np.float64) - _area_half(picture)).max() <= 1.0


def test_textures_that_fit_the_budget_are_kept_whole_without_a_word(tmp_path):
    path, pictures = _model(tmp_path, 3)
    scene = holopack.load(path)
    for texture, picture in zip(scene.textures, pictures):
        assert np.array_equal(texture.pixels, picture)
    assert not any("drawn at 1/" in w for w in scene.warnings)


def test_a_texture_whose_full_decode_alone_passes_the_budget_is_still_refused(tmp_path, monkeypatch):
    path, _ = _model(tmp_path, 1)
    # 256 x 256 RGBA decodes to 0.25 MB before any reduction: over a 0.2 MB budget
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "0.2")
    with pytest.raises(InputError, match=r"image 0 'map0.png' \(256 x 256 pixels\) needs"):
        holopack.load(path)


def test_a_webp_is_counted_at_what_its_decoder_takes(tmp_path, monkeypatch):
    """Pillow's WebP decoder peaks at about 16 bytes a pixel (1.26 GB for 9000 x 9000),
    a PNG's at 4: the same 256 px map as PNG is reduced to fit 0.3 MB, as WebP it is
    refused before it is decoded."""
    path, _ = _model(tmp_path, 1)
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "0.3")
    assert holopack.load(path).textures[0].pixels.shape == (SIDE // 2, SIDE // 2, 4)
    Image.open(tmp_path / "map0.png").save(tmp_path / "map0.webp", lossless=True)
    doc = __import__("json").loads((tmp_path / "twin.gltf").read_text())
    doc["images"] = [{"uri": "map0.webp"}]
    webp = write_gltf(tmp_path / "webp.gltf", doc)
    with pytest.raises(InputError, match=r"image 0 'map0.webp' \(256 x 256 pixels\) needs"):
        holopack.load(webp)


def test_an_export_of_the_reduced_twin_draws_it_and_says_so(tmp_path, monkeypatch, capsys):
    from holopack.cli import main

    path, _ = _model(tmp_path, 3)
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "1")
    out = tmp_path / "look.png"
    rc = main(
        ["export", path, "--device", "mp4-fan", "-o", str(out), "--size", "64", "--seconds", "0.03", "-q"]
    )
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "drawn at 1/2" in err and "HOLOPACK_MEMORY_BUDGET_MB raises it" in err
    with Image.open(out) as picture:
        assert np.asarray(picture).max() > 0
