"""A model handed over as a ZIP (Sketchfab's "Download glTF": scene.gltf, scene.bin and a
textures/ folder, the original in source/) exports as the same files unpacked do, and a
hostile archive is one line that names it, with nothing written outside holopack's own
temporary folder."""

from __future__ import annotations

import json
import os
import struct
import tempfile
import zipfile

import pytest
from conftest import MODELS

from holopack.cli import main
from holopack.scene import archive
from holopack.scene.load import load

DUCK = MODELS["duck"]


def split_glb(glb: bytes, folder) -> None:
    """Duck.glb as a glTF with its binary chunk in scene.bin and its picture in
    textures/duck.png, read from the GLB container's published layout (12-byte header,
    then length-prefixed JSON and BIN chunks)."""
    json_length = struct.unpack_from("<I", glb, 12)[0]
    doc = json.loads(glb[20 : 20 + json_length])
    bin_start = 20 + json_length
    bin_length = struct.unpack_from("<I", glb, bin_start)[0]
    blob = glb[bin_start + 8 : bin_start + 8 + bin_length]
    os.makedirs(folder / "textures", exist_ok=True)
    (folder / "scene.bin").write_bytes(blob)
    doc["buffers"][0]["uri"] = "scene.bin"
    for i, image in enumerate(doc["images"]):
        view = doc["bufferViews"][image.pop("bufferView")]
        start = view.get("byteOffset", 0)
        (folder / "textures" / f"duck{i}.png").write_bytes(blob[start : start + view["byteLength"]])
        image.pop("mimeType", None)
        image["uri"] = f"textures/duck{i}.png"
    (folder / "scene.gltf").write_text(json.dumps(doc))


def zip_folder(folder, path, extra: dict | None = None) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for root, _, files in os.walk(folder):
            for name in files:
                full = os.path.join(root, name)
                zf.write(full, os.path.relpath(full, folder))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return str(path)


@pytest.fixture
def unpacked(tmp_path):
    folder = tmp_path / "duck"
    split_glb(DUCK.read_bytes(), folder)
    return folder


def export(source, out, *more) -> int:
    argv = [
        str(source),
        "-o",
        str(out),
        "--device",
        "3dcircle-42f2",
        "--seconds",
        "0.1",
        "--size",
        "128",
        "-q",
    ]
    return main(["export", *argv, *map(str, more)])


def test_a_sketchfab_style_zip_exports_as_its_files_do(unpacked, tmp_path, monkeypatch):
    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    extra = {
        "source/duck.fbx": b"Kaydara FBX Binary  \x00",  # the original, which holopack does not read
        "__MACOSX/._scene.gltf": b"\x00\x05\x16\x07",  # a resource fork macOS adds
        "license.txt": b"CC-BY",
    }
    archive_path = zip_folder(unpacked, tmp_path / "duck.zip", extra)
    assert export(unpacked / "scene.gltf", tmp_path / "FOLDER.BIN") == 0
    assert export(archive_path, tmp_path / "ZIPPED.BIN") == 0
    assert (tmp_path / "ZIPPED.BIN").read_bytes() == (tmp_path / "FOLDER.BIN").read_bytes()
    assert os.listdir(own_tmp) == []  # the unpacked copy is gone
    scene = load(archive_path)
    assert scene.path == archive_path and scene.textures and scene.triangle_count == 4212


def test_inspect_names_the_archive(unpacked, tmp_path, capsys):
    archive_path = zip_folder(unpacked, tmp_path / "duck.zip")
    assert main(["inspect", archive_path]) == 0
    out = capsys.readouterr().out
    assert out.startswith("duck.zip: model") and "4,212 triangles" in out


def test_a_fault_inside_names_the_archive_and_member_not_a_temporary_folder(unpacked, tmp_path, capsys):
    os.remove(unpacked / "scene.bin")
    archive_path = zip_folder(unpacked, tmp_path / "broken.zip")
    rc = export(archive_path, tmp_path / "OUT.BIN")
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert f"{archive_path}:scene.gltf" in err and "scene.bin" in err and "holopack-zip-" not in err
    assert not (tmp_path / "OUT.BIN").exists()


@pytest.mark.parametrize(
    "members, words",
    [
        ({"readme.txt": b"hello"}, "holds no model"),
        ({"a/one.glb": b"x", "b/two.glb": b"y"}, "holds 2 models (a/one.glb, b/two.glb)"),
        ({"../../escape.glb": b"x", "/abs/model.gltf": b"{}"}, "holds no model"),
    ],
)
def test_archives_without_one_safe_model_are_one_line(tmp_path, capsys, members, words):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    rc = export(path, tmp_path / "OUT.BIN")
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and words in err and str(path) in err, err
    assert not (tmp_path.parent / "escape.glb").exists() and not os.path.exists("/abs/model.gltf")


def test_a_member_reaching_outside_is_never_written(unpacked, tmp_path, monkeypatch):
    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    archive_path = zip_folder(
        unpacked, tmp_path / "duck.zip", {"../planted.txt": b"x", "sub/../../p2.txt": b"y"}
    )
    assert export(archive_path, tmp_path / "OUT.BIN") == 0
    assert not (tmp_path / "planted.txt").exists() and not (own_tmp / "planted.txt").exists()
    assert not (tmp_path / "p2.txt").exists() and not (own_tmp / "p2.txt").exists()


def test_the_unpacked_size_is_counted_as_it_is_written(unpacked, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(archive, "MAX_FILE_BYTES", 200_000)  # Duck's files are about 120 KB
    archive_path = zip_folder(unpacked, tmp_path / "duck.zip", {"padding.bin": bytes(1_000_000)})
    rc = export(archive_path, tmp_path / "OUT.BIN")
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "unpacks to more than" in err and len(err.splitlines()) == 1, err


def test_not_a_zip_is_one_line(tmp_path, capsys):
    path = tmp_path / "model.zip"
    path.write_bytes(b"PK\x03\x04 truncated")
    rc = export(path, tmp_path / "OUT.BIN")
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "not a readable ZIP archive" in err and len(err.splitlines()) == 1


def test_member_paths_stay_inside():
    assert archive.member_path("textures/a.png") == "textures/a.png"
    assert archive.member_path("textures\\a.png") == "textures/a.png"
    assert archive.member_path("./a//b.png") == "a/b.png"
    for bad in ("../a.png", "a/../../b", "/etc/passwd", "C:/x.glb", "C:\\x.glb", "", "./"):
        assert archive.member_path(bad) is None, bad


def test_a_link_member_is_not_followed(unpacked, tmp_path, monkeypatch):
    """A symbolic link stored in the archive (Unix mode S_IFLNK) pointing at a file of
    the user's is neither written nor read: the texture it stands for is missing."""
    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    os.remove(unpacked / "textures" / "duck0.png")
    path = zip_folder(unpacked, tmp_path / "duck.zip")
    link = zipfile.ZipInfo("textures/duck0.png")
    link.external_attr = (0o120777 << 16) | 0x20
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(link, str(DUCK))  # a link's data is its target
    rc = export(path, tmp_path / "OUT.BIN")
    assert rc == 2  # the picture the glTF names is not there
    assert os.listdir(own_tmp) == []
