"""A model handed over as a ZIP (Sketchfab's "Download glTF": scene.gltf, scene.bin and a
textures/ folder, the original in source/) exports as the same files unpacked do, and a
hostile archive is one line that names it, with nothing written outside holopack's own
temporary folder."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from _video_probe import write_video
from conftest import MODELS, ROOT
from PIL import Image

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


def test_the_unpacked_size_is_bounded_by_the_budget(unpacked, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "1")  # Duck's files are about 120 KB
    archive_path = zip_folder(unpacked, tmp_path / "duck.zip", {"padding.bin": bytes(2_000_000)})
    rc = export(archive_path, tmp_path / "OUT.BIN")
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "unpacks to more than 1 MB" in err and len(err.splitlines()) == 1, err
    # the authoring original beside the glTF stays packed: not counted, not written
    archive_path = zip_folder(unpacked, tmp_path / "sketchfab.zip", {"source/duck.fbx": bytes(2_000_000)})
    assert export(archive_path, tmp_path / "OUT.BIN") == 0


def test_a_member_whose_declared_size_lies_is_counted_as_written(unpacked, tmp_path, capsys, monkeypatch):
    """The central directory says 10 bytes; the member inflates to 2 MB. Python's zipfile
    reads no further than the declared size and finds the checksum wrong; the count as
    written would stop it past the budget either way."""
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "1")
    archive_path = zip_folder(unpacked, tmp_path / "duck.zip", {"padding.bin": bytes(2_000_000)})
    raw = bytearray(Path(archive_path).read_bytes())
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46 : at + 46 + name_length] == b"padding.bin":
            struct.pack_into("<I", raw, at + 24, 10)  # uncompressed size
        at = raw.find(b"PK\x01\x02", at + 4)
    Path(archive_path).write_bytes(bytes(raw))
    rc = export(archive_path, tmp_path / "OUT.BIN")
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "cannot read padding.bin from the archive" in err or "unpacks to more than 1 MB" in err, err


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


def moving_disc_frames(count=8) -> list[np.ndarray]:
    """RGBA frames of an orange disc moving right over transparency."""
    frames = []
    y, x = np.mgrid[:120, :160]
    for i in range(count):
        rgba = np.zeros((120, 160, 4), np.uint8)
        rgba[(x - 50 - 6 * i) ** 2 + (y - 60) ** 2 < 30**2] = (220, 120, 40, 255)
        frames.append(rgba)
    return frames


def test_a_zipped_picture_sequence_exports_as_its_folder_does(tmp_path, monkeypatch):
    """A motion designer's PNG sequence with alpha, zipped in a folder of its own."""
    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    folder = tmp_path / "seq"
    folder.mkdir()
    for i, rgba in enumerate(moving_disc_frames()):
        Image.fromarray(rgba).save(folder / f"frame_{i:03d}.png")
    path = tmp_path / "seq.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name in sorted(os.listdir(folder)):
            zf.write(folder / name, f"renders/seq/{name}")
        zf.writestr("renders/notes.txt", "alpha, 30 fps")
    assert export(folder, tmp_path / "FOLDER.BIN") == 0
    assert export(path, tmp_path / "ZIPPED.BIN") == 0
    assert (tmp_path / "ZIPPED.BIN").read_bytes() == (tmp_path / "FOLDER.BIN").read_bytes()
    assert load(str(path)).media.alpha


def test_a_zipped_video_exports_as_the_video_does(tmp_path):
    clip = tmp_path / "clip.mp4"
    write_video(clip, [f[..., :3] for f in moving_disc_frames()], fps=30)
    path = tmp_path / "clip.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(clip, "delivery/clip.mp4")
    assert export(clip, tmp_path / "PLAIN.BIN", "--key", "none") == 0
    assert export(path, tmp_path / "ZIPPED.BIN", "--key", "none") == 0
    assert (tmp_path / "ZIPPED.BIN").read_bytes() == (tmp_path / "PLAIN.BIN").read_bytes()


def test_a_clip_archive_is_unpacked_once_and_removed_when_the_process_ends(tmp_path):
    folder = tmp_path / "seq"
    folder.mkdir()
    for i, rgba in enumerate(moving_disc_frames(3)):
        Image.fromarray(rgba).save(folder / f"f{i}.png")
    path = tmp_path / "seq.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name in sorted(os.listdir(folder)):
            zf.write(folder / name, name)
    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    script = (
        "import os, sys, tempfile; from holopack.scene.load import load; "
        f"a = load({str(path)!r}); b = load({str(path)!r}); "
        "assert a.media.path == b.media.path and os.path.isdir(a.media.path); "
        "print(len(os.listdir(tempfile.gettempdir())))"
    )
    env = {**os.environ, "TMPDIR": str(own_tmp), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"  # one unpacked copy for two loads
    assert os.listdir(own_tmp) == []  # and gone with the process


def test_an_archive_of_two_clips_names_them(tmp_path, capsys):
    path = tmp_path / "two.zip"
    png = io.BytesIO()
    Image.fromarray(moving_disc_frames(1)[0]).save(png, format="PNG")
    with zipfile.ZipFile(path, "w") as zf:
        for name in ("a/f1.png", "a/f2.png", "b/f1.png"):
            zf.writestr(name, png.getvalue())
    rc = export(path, tmp_path / "OUT.BIN")
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "holds 2 clips (a/ (2 pictures), b/ (1 picture))" in err, err


def test_a_zipped_usd_folder_opens_its_shallowest_stage_whatever_its_suffix():
    """A USD asset zipped as a folder: the root stage beside sublayers and references of
    any of the four suffixes. A glTF in the same archive is still preferred."""
    members = [
        "asset/root.usd",
        "asset/parts/chair.usda",
        "asset/parts/table.usdc",
        "asset/parts/lamp/shade.usdz",
    ]
    for order in (members, members[::-1]):
        assert archive.choose_model(order, "a.zip") == "asset/root.usd"
    assert archive.choose_model([*members, "asset/parts/scene.glb"], "a.zip") == "asset/parts/scene.glb"
    with pytest.raises(archive.InputError, match="2 models"):
        archive.choose_model(["a.usda", "b.usdc"], "a.zip")


def test_a_zipped_usdz_loads_as_the_package_does(tmp_path):
    pytest.importorskip("pxr")
    package = ROOT / "tests" / "data" / "usd" / "CesiumMan" / "CesiumMan.usdz"
    path = tmp_path / "cesium.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(package, "CesiumMan/CesiumMan.usdz")
        zf.write(package.parent / "LICENSE.md", "CesiumMan/LICENSE.md")
    zipped, direct = load(str(path)), load(str(package))
    assert [len(m.primitives) for m in zipped.meshes] == [len(m.primitives) for m in direct.meshes]
    for ours, theirs in zip(zipped.meshes, direct.meshes):
        for a, b in zip(ours.primitives, theirs.primitives):
            np.testing.assert_array_equal(a.positions, b.positions)
    assert [t.pixels.shape for t in zipped.textures] == [t.pixels.shape for t in direct.textures]
    assert zipped.animations[0].duration == direct.animations[0].duration


def test_damaged_compressed_data_and_unknown_zip_versions_are_one_line(tmp_path, capsys):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("model.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n" * 40)
    good = bytearray(buffer.getvalue())
    # the deflate stream starts after the 30-byte local header and the name
    damaged = bytearray(good)
    damaged[30 + len("model.obj") : 30 + len("model.obj") + 6] = b"\xff" * 6
    # the central directory's "version needed to extract" (its offset 6) past what zipfile reads
    versioned = bytearray(good)
    central = versioned.rfind(b"PK\x01\x02")
    versioned[central + 6 : central + 8] = struct.pack("<H", 128)
    for name, data, words in (
        ("damaged.zip", damaged, "cannot read model.obj from the archive"),
        ("versioned.zip", versioned, "not a readable ZIP archive"),
    ):
        path = tmp_path / name
        path.write_bytes(bytes(data))
        assert main(["inspect", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and words in err and "Traceback" not in err, err
