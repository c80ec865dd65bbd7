"""OBJ + MTL arrive as the files say: UVs, map_Kd pictures, Kd colours, vertex colours.

Every expected value is read from the files here, with a few lines of plain Python
(not holopack's or trimesh's parsers)."""

from __future__ import annotations

import logging
import os
import shutil

import numpy as np
import pytest
from PIL import Image

import holopack

CORPUS = os.path.join(os.path.dirname(__file__), "corpus")


def srgb_to_linear(c):
    c = np.asarray(c, np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def parse_obj(path):
    """v (with optional r g b), vt, and faces as lists of (v, vt) 0-based corner indices."""
    v, vt, faces, materials = [], [], [], []
    current = None
    for line in open(path):
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "v":
            v.append([float(x) for x in parts[1:]])
        elif parts[0] == "vt":
            vt.append([float(x) for x in parts[1:3]])
        elif parts[0] == "usemtl":
            current = parts[1]
        elif parts[0] == "f":
            corners = []
            for token in parts[1:]:
                fields = token.split("/")
                corners.append(
                    (int(fields[0]) - 1, int(fields[1]) - 1 if len(fields) > 1 and fields[1] else None)
                )
            faces.append(corners)
            materials.append(current)
    return np.array(v), np.array(vt), faces, materials


def parse_mtl(path):
    out, name = {}, None
    for line in open(path):
        parts = line.split()
        if parts and parts[0] == "newmtl":
            name = parts[1]
            out[name] = {}
        elif parts and name:
            out[name][parts[0]] = parts[1:]
    return out


def corners(scene, item):
    prim = scene.meshes[item.mesh].primitives[item.primitive]
    return prim, prim.indices.reshape(-1)


def test_textured_obj_keeps_every_corner_uv_and_its_picture():
    folder = os.path.join(CORPUS, "CesiumMan-OBJ")
    v, vt, faces, _ = parse_obj(os.path.join(folder, "CesiumMan.obj"))
    scene = holopack.load(os.path.join(folder, "CesiumMan.obj"))
    assert len(scene.draw_items) == 1 and not scene.warnings
    prim, flat = corners(scene, scene.draw_items[0])
    file_corners = np.array([c for face in faces for c in face])
    np.testing.assert_allclose(prim.positions[flat], v[file_corners[:, 0], :3], atol=1e-6)
    expected_uv = vt[file_corners[:, 1]].copy()
    expected_uv[:, 1] = 1.0 - expected_uv[:, 1]  # OBJ v points up, glTF's points down
    np.testing.assert_allclose(prim.uv[0][flat], expected_uv, atol=1e-6)
    material = scene.materials[prim.material]
    picture = np.asarray(Image.open(os.path.join(folder, "CesiumMan.jpg")).convert("RGBA"))
    np.testing.assert_array_equal(scene.textures[material.base_color_texture].pixels, picture)
    kd = [float(x) for x in parse_mtl(os.path.join(folder, "CesiumMan.mtl"))["Cesium_Man-effect"]["Kd"]]
    np.testing.assert_allclose(material.base_color_factor[:3], srgb_to_linear(kd), atol=1e-6)


def test_kd_colours_arrive_per_material_as_written():
    folder = os.path.join(CORPUS, "Blocks-Kd")
    table = parse_mtl(os.path.join(folder, "Blocks.mtl"))
    scene = holopack.load(os.path.join(folder, "Blocks.obj"))
    seen = set()
    for item in scene.draw_items:
        prim = scene.meshes[item.mesh].primitives[item.primitive]
        material = scene.materials[prim.material]
        kd = [float(x) for x in table[material.name]["Kd"]]
        np.testing.assert_allclose(material.base_color_factor[:3], srgb_to_linear(kd), atol=1e-6)
        assert material.base_color_texture is None and prim.colors is None
        seen.add(material.name)
    assert seen == set(table)


def test_obj_vertex_colours_arrive_as_written():
    path = os.path.join(CORPUS, "Duck-VertexColour", "Duck-VertexColour.obj")
    v, _, faces, _ = parse_obj(path)
    scene = holopack.load(path)
    prim, flat = corners(scene, scene.draw_items[0])
    file_corners = np.array([c[0] for face in faces for c in face])
    np.testing.assert_allclose(prim.colors[flat, :3], srgb_to_linear(v[file_corners, 3:6]), atol=1e-5)
    assert np.all(prim.colors[:, 3] == 1.0)


def _copy_obj(tmp_path, map_line, texture_at):
    folder = os.path.join(CORPUS, "CesiumMan-OBJ")
    shutil.copy(os.path.join(folder, "CesiumMan.obj"), tmp_path / "CesiumMan.obj")
    (tmp_path / "CesiumMan.mtl").write_text("newmtl Cesium_Man-effect\nKd 0.8 0.6 0.4\n" + map_line + "\n")
    if texture_at:
        target = tmp_path / texture_at
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(folder, "CesiumMan.jpg"), target)
    return str(tmp_path / "CesiumMan.obj")


@pytest.mark.parametrize(
    "map_line, texture_at",
    [
        ("map_Kd -s 1 1 1 -bm 0.5 textures\\CesiumMan.jpg", "textures/CesiumMan.jpg"),
        ("map_Kd C:\\Users\\artist\\maps\\CESIUMMAN.JPG", "CesiumMan.jpg"),
    ],
)
def test_map_kd_with_options_windows_paths_and_other_case_is_found(tmp_path, map_line, texture_at):
    scene = holopack.load(_copy_obj(tmp_path, map_line, texture_at))
    prim = scene.meshes[0].primitives[0]
    material = scene.materials[prim.material]
    assert material.base_color_texture is not None and prim.uv, scene.warnings
    assert not scene.warnings


def test_a_missing_texture_is_one_warning_and_the_kd_colour(tmp_path, capsys):
    scene = holopack.load(_copy_obj(tmp_path, "map_Kd gone.png", None))
    prim = scene.meshes[0].primitives[0]
    material = scene.materials[prim.material]
    assert material.base_color_texture is None
    np.testing.assert_allclose(material.base_color_factor[:3], srgb_to_linear([0.8, 0.6, 0.4]), atol=1e-6)
    assert len(scene.warnings) == 1
    assert "gone.png" in scene.warnings[0] and "CesiumMan.mtl" in scene.warnings[0]
    assert capsys.readouterr().err == ""


def test_a_missing_material_library_is_one_warning(tmp_path):
    text = open(os.path.join(CORPUS, "CesiumMan-OBJ", "CesiumMan.obj")).read()
    (tmp_path / "m.obj").write_text(text.replace("mtllib CesiumMan.mtl", "mtllib nowhere.mtl"))
    scene = holopack.load(str(tmp_path / "m.obj"))
    assert len(scene.warnings) == 1 and "nowhere.mtl" in scene.warnings[0]
    assert all(m.base_color_texture is None for m in scene.materials)


_LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:e6467fe76921718b13d8586b23abb7ff6dd131a8ba216d821fcf8986c9ddc8d4\n"
    "size 2616\n"
)


def test_git_lfs_pointers_for_a_texture_or_a_material_library_are_named_as_such(tmp_path):
    """A clone without git-lfs: the texture stub was "cannot be decoded
    (UnidentifiedImageError)", the material library stub no word at all."""
    path = _copy_obj(tmp_path, "map_Kd CesiumMan.jpg", None)
    (tmp_path / "CesiumMan.jpg").write_text(_LFS_POINTER)
    scene = holopack.load(path)
    material = scene.materials[scene.meshes[0].primitives[0].material]
    assert material.base_color_texture is None
    assert scene.warnings == [
        "texture 'CesiumMan.jpg' is a Git LFS pointer (a text stub), not the data (the real file has "
        "2,616 bytes); fetch it with 'git lfs pull' where it came from; drawn without it"
    ]
    (tmp_path / "CesiumMan.mtl").write_text(_LFS_POINTER)
    scene = holopack.load(path)
    assert any("'CesiumMan.mtl' is a Git LFS pointer" in w and "plain grey" in w for w in scene.warnings)


def test_reader_log_messages_become_one_holopack_warning(monkeypatch, capsys):
    import trimesh

    real_load = trimesh.load

    def noisy_load(*args, **kwargs):
        for n in range(3):
            logging.getLogger("trimesh.exchange.ply").warning("odd header field %d", n)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(trimesh, "load", noisy_load)
    scene = holopack.load(os.path.join(CORPUS, "Duck-PLY", "Duck.ply"))
    assert capsys.readouterr().err == ""
    assert len(scene.warnings) == 1
    assert "odd header field 0" in scene.warnings[0] and "2 more" in scene.warnings[0]


TRIANGLE_OBJ = "mtllib m.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nusemtl paint\nf 1 2 3\n"


def _material(tmp_path, mtl: str):
    (tmp_path / "m.obj").write_text(TRIANGLE_OBJ)
    (tmp_path / "m.mtl").write_text(mtl)
    scene = holopack.load(str(tmp_path / "m.obj"))
    return scene, scene.materials[scene.primitive(scene.draw_items[0]).material]


def test_a_material_library_separated_by_tabs_is_read_as_with_spaces(tmp_path):
    # Meshlab writes "newmtl<TAB>name<TAB><TAB>"
    _, spaced = _material(tmp_path, "newmtl paint\nKd 0.2 0.4 0.8\n")
    _, tabbed = _material(tmp_path, "newmtl\tpaint\t\nKd\t0.2\t0.4\t0.8\n")
    assert tabbed.name == spaced.name == "paint"
    assert np.allclose(tabbed.base_color_factor[:3], srgb_to_linear([0.2, 0.4, 0.8]), atol=1e-4)
    assert np.allclose(tabbed.base_color_factor, spaced.base_color_factor)


@pytest.mark.parametrize(
    "lines, opacity, warned",
    [
        ("Tr 1.000000", 1.0, True),  # Tr written for d: invisible by the letter
        ("Tr 0.25", 0.75, False),  # Tr as the letter says: 1 - Tr
        ("d 0.5\nTr 1.0", 0.5, False),  # d given: it is the opacity
        ("Tr 1.0\nd 0.5", 0.5, False),
    ],
)
def test_tr_one_without_d_is_read_as_opaque_and_said(tmp_path, lines, opacity, warned):
    scene, material = _material(tmp_path, f"newmtl paint\nKd 1 0 0\n{lines}\n")
    assert material.base_color_factor[3] == pytest.approx(opacity)
    assert (material.alpha_mode == "BLEND") == (opacity < 1.0)
    assert any("would make it invisible" in w for w in scene.warnings) == warned
