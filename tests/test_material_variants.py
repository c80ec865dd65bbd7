"""KHR_materials_variants: a product's colourways in one file, chosen with --variant.

A test model of two quads side by side, each a primitive with its own material (unlit,
so a pixel shows its base colour factor exactly): the left one is named by every
variant, the right one only by the last. A variant that does not name a primitive
keeps the file's material for it (the extension's rule). The expected colours are the
factors sRGB-encoded here with the formula from the sRGB standard, not holopack's code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _gltf_builder import GltfBuilder, write_gltf
from _video_probe import read_frames
from _xvfb import clean_env, display_for_this_process
from PIL import Image

import holopack
from holopack.cli import main
from holopack.preview.overlay import Layout
from holopack.scene.load import load

ROOT = Path(__file__).resolve().parent.parent

# linear RGB base colour factors
RED, BLUE, GREY, GOLD = (0.8, 0.02, 0.02), (0.02, 0.05, 0.8), (0.3, 0.3, 0.3), (0.9, 0.6, 0.05)
VARIANTS = ["Classic", "Midnight", "Gold trim"]


def srgb(linear) -> np.ndarray:
    c = np.asarray(linear, np.float64)
    encoded = np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)
    return np.round(encoded * 255)


def colourway_model(path, mappings_right=None, variants=VARIANTS) -> str:
    """Two unlit quads facing +Z; left material 0 (red), right material 2 (grey).
    Left: Classic -> red, Midnight -> blue, Gold trim -> blue; right: Gold trim -> gold."""
    b = GltfBuilder()
    primitives = []
    for x0 in (-1.05, 0.05):
        pos = b.add(np.array([[x0, -0.5, 0], [x0 + 1, -0.5, 0], [x0 + 1, 0.5, 0], [x0, 0.5, 0]], np.float32))
        idx = b.add(np.array([0, 1, 2, 0, 2, 3], np.uint16))
        primitives.append({"attributes": {"POSITION": pos}, "indices": idx})
    primitives[0]["material"] = 0
    primitives[0]["extensions"] = {
        "KHR_materials_variants": {
            "mappings": [{"material": 0, "variants": [0]}, {"material": 1, "variants": [1, 2]}]
        }
    }
    primitives[1]["material"] = 2
    primitives[1]["extensions"] = {
        "KHR_materials_variants": {"mappings": mappings_right or [{"material": 3, "variants": [2]}]}
    }
    materials = [
        {
            "name": name,
            "pbrMetallicRoughness": {"baseColorFactor": [*rgb, 1.0]},
            "extensions": {"KHR_materials_unlit": {}},
        }
        for name, rgb in (("red", RED), ("blue", BLUE), ("grey", GREY), ("gold", GOLD))
    ]
    doc = b.document(
        primitives,
        materials=materials,
        extensionsUsed=["KHR_materials_variants", "KHR_materials_unlit"],
        extensions={"KHR_materials_variants": {"variants": [{"name": n} for n in variants]}},
    )
    return write_gltf(path, doc)


def halves(picture: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The colours at the middle of the left and the right quad of an exported frame."""
    h, w = picture.shape[:2]
    row = h // 2
    return picture[row, int(w * 0.3), :3].astype(float), picture[row, int(w * 0.7), :3].astype(float)


def export_colours(path, tmp_path, *variant) -> tuple[np.ndarray, np.ndarray]:
    out = tmp_path / f"look{len(os.listdir(tmp_path))}.png"
    argv = ["export", path, "-o", out, "--device", "mp4-fan", "--size", "64", "--seconds", "0.02"]
    argv += ["--turntable", "0", "-q", *(["--variant", *variant] if variant else [])]
    assert main([str(a) for a in argv]) == 0
    return halves(np.asarray(Image.open(out).convert("RGB")))


@pytest.mark.parametrize(
    "variant, left, right",
    [
        (None, RED, GREY),  # the file's own materials
        ("Classic", RED, GREY),
        ("midnight", BLUE, GREY),  # names match without regard to case
        ("2", BLUE, GOLD),  # an index
        ("Gold trim", BLUE, GOLD),
    ],
)
def test_a_variant_draws_its_materials_and_leaves_the_rest(tmp_path, variant, left, right):
    path = colourway_model(tmp_path / "shoe.gltf")
    got_left, got_right = export_colours(path, tmp_path, *([variant] if variant else []))
    assert np.abs(got_left - srgb(left)).max() <= 1, (got_left, srgb(left))
    assert np.abs(got_right - srgb(right)).max() <= 1, (got_right, srgb(right))


def test_choosing_a_variant_again_starts_from_the_file(tmp_path):
    scene = load(colourway_model(tmp_path / "shoe.gltf"))
    gold = scene.with_variant("Gold trim")
    classic = gold.with_variant("Classic")  # not gold's right quad kept
    assert [p.material for p in classic.meshes[0].primitives] == [0, 2]
    assert [p.material for p in gold.meshes[0].primitives] == [1, 3]
    assert [p.material for p in scene.meshes[0].primitives] == [0, 2]  # the loaded scene is untouched
    assert gold.with_variant(2) is gold and scene.with_variant(None) is scene


def test_the_library_takes_the_variant_too(tmp_path):
    path = colourway_model(tmp_path / "shoe.gltf")
    out = tmp_path / "lib.png"
    holopack.export(path, str(out), device="mp4-fan", size=64, seconds=0.02, turntable=0, variant="Midnight")
    got_left, _ = halves(np.asarray(Image.open(out).convert("RGB")))
    assert np.abs(got_left - srgb(BLUE)).max() <= 1


def test_unknown_variants_and_models_without_any_are_one_line(tmp_path, capsys):
    path = colourway_model(tmp_path / "shoe.gltf")
    for argv, words in (
        (
            [path, "--variant", "Emerald"],
            ["no material variant named 'Emerald'", "0: Classic", "2: Gold trim"],
        ),
        ([path, "--variant", "3"], ["variant index 3 is out of range"]),
    ):
        rc = main(["export", *map(str, argv), "-o", str(tmp_path / "x.mp4"), "-q"])
        err = capsys.readouterr().err.strip()
        assert rc == 2 and len(err.splitlines()) == 1 and all(w in err for w in words), err
    plain = tmp_path / "plain.gltf"
    doc = json.loads(Path(path).read_text())
    del (
        doc["extensions"],
        doc["meshes"][0]["primitives"][0]["extensions"],
        doc["meshes"][0]["primitives"][1]["extensions"],
    )
    write_gltf(plain, doc)
    rc = main(["export", str(plain), "--variant", "Classic", "-o", str(tmp_path / "x.mp4"), "-q"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "has no material variants" in err and str(plain) in err
    assert not (tmp_path / "x.mp4").exists()


def test_a_mapping_to_a_variant_the_file_lacks_is_refused(tmp_path, capsys):
    path = colourway_model(tmp_path / "bad.gltf", mappings_right=[{"material": 3, "variants": [7]}])
    rc = main(["inspect", path])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "names variant 7, which does not exist (the file has 3)" in err, err


def test_inspect_lists_the_variants_and_their_materials(tmp_path, capsys):
    path = colourway_model(tmp_path / "shoe.gltf")
    assert main(["inspect", path]) == 0
    out = capsys.readouterr().out
    assert "material variants (3" in out
    assert "[0] Classic: red" in out and "[1] Midnight: blue" in out and "[2] Gold trim: blue, gold" in out
    assert main(["inspect", path, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [v["name"] for v in info["variants"]] == VARIANTS


def test_a_playlist_item_takes_a_variant(tmp_path):
    path = colourway_model(tmp_path / "shoe.gltf")
    playlist = tmp_path / "shop.toml"
    playlist.write_text(
        'devices = ["mp4-fan"]\n[defaults]\nseconds = 0.1\nturntable = 0\nsize = 64\n'
        f'[[items]]\ninput = "{Path(path).name}"\nname = "classic"\n'
        f'[[items]]\ninput = "{Path(path).name}"\nname = "gold"\nvariant = "Gold trim"\n'
    )
    assert main(["pack", str(playlist), "-o", str(tmp_path / "pkg"), "-q"]) == 0
    files = sorted((tmp_path / "pkg").rglob("*.mp4"))
    assert len(files) == 2
    colours = [halves(read_frames(f)[0]) for f in files]
    # the two clips differ in both quads' colours, each as its variant says (H.264: a few codes)
    (classic_l, classic_r), (gold_l, gold_r) = (
        colours if "classic" in files[0].name.lower() else colours[::-1]
    )
    assert np.abs(classic_l - srgb(RED)).max() <= 6 and np.abs(gold_l - srgb(BLUE)).max() <= 6
    assert np.abs(classic_r - srgb(GREY)).max() <= 6 and np.abs(gold_r - srgb(GOLD)).max() <= 6


def test_the_preview_draws_the_chosen_variant(tmp_path):
    path = colourway_model(tmp_path / "shoe.gltf")
    out = tmp_path / "shot.png"
    with display_for_this_process() as display:
        env = clean_env(DISPLAY=display, PYTHONPATH=str(ROOT))
        argv = [sys.executable, "-m", "holopack", "preview", path, "--device", "mp4-fan", "--size", "96"]
        argv += ["--variant", "Midnight", "--frames", "3", "--screenshot", str(out)]
        result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    shot = np.asarray(Image.open(out).convert("RGB")).astype(int)
    rect = Layout(shot.shape[1], shot.shape[0]).render_panel
    left = shot[int(rect.y) + 2 : int(rect.y + rect.h) - 2, int(rect.x) + 2 : int(rect.x + rect.w) - 2]
    blue = (left[..., 2] > 150) & (left[..., 0] < 80)
    red = (left[..., 0] > 150) & (left[..., 2] < 80)
    assert blue.mean() > 0.05 and red.sum() == 0


def test_a_wall_and_its_preview_draw_the_chosen_variant(tmp_path):
    """export --wall and preview --wall take --variant as one fan does: the left fan's
    quad turns from red to blue, the right fan's stays grey."""
    from holopack.wall.window import run_wall_preview

    path = colourway_model(tmp_path / "shoe.gltf")
    wall = tmp_path / "pair.toml"
    wall.write_text('device = "3dcircle-42f2"\n[grid]\nrows = 1\ncols = 2\npitch = 420.0\n')
    argv = [
        "export",
        path,
        "--wall",
        str(wall),
        "--variant",
        "Midnight",
        "--seconds",
        "0.1",
        "--turntable",
        "0",
    ]
    assert main([*argv, "-o", str(tmp_path / "out"), "-q"]) == 0
    for fan, want in (("A1", BLUE), ("A2", GREY)):
        decode = ["decode", str(tmp_path / "out" / f"{fan}.BIN"), "-o", str(tmp_path / f"{fan}.png")]
        assert main([*decode, "--frames", "1", "-q"]) == 0
        frame = np.asarray(Image.open(tmp_path / f"{fan}.png").convert("RGB")).reshape(-1, 3).astype(float)
        lit = frame[frame.max(axis=1) > 40]
        hue = lit.mean(axis=0) / lit.mean(axis=0).max()
        assert len(lit) > 1000 and np.abs(hue - srgb(want) / srgb(want).max()).max() < 0.15, (fan, hue)
    shot = tmp_path / "wall.png"
    with display_for_this_process():
        run_wall_preview(path, str(wall), frames=1, screenshot=str(shot), look={"variant": "Midnight"})
    picture = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    blue = (picture[..., 2] > 150) & (picture[..., 0] < 80)
    red = (picture[..., 0] > 150) & (picture[..., 2] < 80)
    assert blue.mean() > 0.01 and red.sum() == 0


def test_the_wall_bench_takes_the_variant(tmp_path):
    """bench --wall hands the look options on (it dropped them): an unknown variant is
    the same one line as export's, before anything is timed."""
    from holopack.errors import InputError
    from holopack.wall.bench import bench_wall

    path = colourway_model(tmp_path / "shoe.gltf")
    wall = tmp_path / "pair.toml"
    wall.write_text('device = "3dcircle-42f2"\n[grid]\nrows = 1\ncols = 2\npitch = 420.0\n')
    with pytest.raises(InputError, match="no material variant named 'Emerald'"):
        bench_wall(path, str(wall), frames=1, warmup=0, preview=False, look={"variant": "Emerald"})
    rc = main(["bench", path, "--wall", str(wall), "--variant", "Emerald", "--frames", "1", "-q"])
    assert rc == 2


def test_the_preview_steps_through_the_variants_with_v(tmp_path):
    """v steps through the variants and back to the file's own materials: the left
    panel's quad turns blue for Midnight, and the status line names the variant."""
    from functools import partial

    from holopack.preview.source import PipelineFrames
    from holopack.preview.window import PreviewWindow

    path = colourway_model(tmp_path / "shoe.gltf")

    def left_colours(win) -> tuple[float, float]:
        assert win.wait_for_current(timeout=120)
        shot = win.grab().astype(int)
        rect = Layout(shot.shape[1], shot.shape[0]).render_panel
        left = shot[int(rect.y) + 2 : int(rect.y + rect.h) - 2, int(rect.x) + 2 : int(rect.x + rect.w) - 2]
        return ((left[..., 2] > 150) & (left[..., 0] < 80)).mean(), (
            (left[..., 0] > 150) & (left[..., 2] < 80)
        ).mean()

    with display_for_this_process():
        win = PreviewWindow(
            path,
            load(path),
            "mp4-fan",
            devices=["mp4-fan"],
            frames_factory=partial(PipelineFrames, size=96),
            fixed_dt=1 / 30,
            output_dir=tmp_path,
            window_size=(800, 450),
        )
        try:
            win.controls.playing = False
            blue, red = left_colours(win)
            assert red > 0.02 and blue == 0 and "variant own materials" in win.status_lines()[0]
            win.press("v")  # Classic: the left quad stays red
            win.press("v")  # Midnight
            blue, red = left_colours(win)
            assert blue > 0.02 and red == 0 and "variant Midnight" in win.status_lines()[0]
            assert win.worker.look()["variant"] == 1  # E exports what is shown
            win.press("V")
            win.press("V")  # back to the file's own
            blue, red = left_colours(win)
            assert red > 0.02 and blue == 0
        finally:
            win.close()
