"""A pack run in which an item fails: what is left behind, and that validate does not
pass a package that lacks a clip of its playlist."""

from __future__ import annotations

import json
import shutil

import pytest
from _pack_helpers import DUCK

from holopack.errors import InputError

# a GLB header promising a body that is not there: the scene loader refuses it
BROKEN_GLB = b"glTF" + b"\x02\x00\x00\x00" + b"\x10\x00\x00\x00" + b"\x00" * 4
HEADER = 'devices = ["hypervsn"]\n[defaults]\nseconds = 0.1\nsize = 32\n'


def _pack(playlist, out):
    from holopack.pack import pack

    return pack(playlist, out, jobs=1, progress=False, preview_frames=2, preview_size=32)


def test_a_package_missing_a_failed_item_fails_validation_naming_it(tmp_path):
    from holopack.pack.validate import validate

    shutil.copy(DUCK, tmp_path / "duck.glb")
    (tmp_path / "broken.glb").write_bytes(BROKEN_GLB)
    playlist = tmp_path / "mixed.toml"
    playlist.write_text(HEADER + '[[items]]\ninput = "duck.glb"\n[[items]]\ninput = "broken.glb"\n')
    with pytest.raises(InputError):
        _pack(playlist, tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "hypervsn" / "manifest.json").read_text())
    assert [e["file"] for e in manifest["items"]] == ["files/01_duck.mp4"]  # the good one is kept
    assert [(f["index"], f["name"], f["file"]) for f in manifest["failed"]] == [
        (2, "broken", "files/02_broken.mp4")
    ]
    report = validate(str(tmp_path / "out"))
    assert not report.ok
    assert [e.where for e in report.errors] == ["hypervsn/files/02_broken.mp4"]
    assert "item 2 (broken) was not made" in report.errors[0].message

    # fixed and packed again: the record of the failure goes, the good file is not rendered again
    shutil.copy(DUCK, tmp_path / "broken.glb")
    again = _pack(playlist, tmp_path / "out")
    assert again.kept == [("hypervsn", "01_duck.mp4")] and again.rendered == [("hypervsn", "02_broken.mp4")]
    manifest = json.loads((tmp_path / "out" / "hypervsn" / "manifest.json").read_text())
    assert "failed" not in manifest
    assert validate(str(tmp_path / "out")).ok


def test_a_first_run_that_makes_no_file_leaves_no_package(tmp_path):
    (tmp_path / "broken.glb").write_bytes(BROKEN_GLB)
    playlist = tmp_path / "only.toml"
    playlist.write_text(HEADER + '[[items]]\ninput = "broken.glb"\n')
    with pytest.raises(InputError, match=r"item 1 \(broken\)"):
        _pack(playlist, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.glb", "only.toml"]  # no out, no staging


def test_a_device_folder_of_no_files_fails_validation(tmp_path):
    from holopack.pack.validate import validate

    shutil.copy(DUCK, tmp_path / "duck.glb")
    playlist = tmp_path / "p.toml"
    playlist.write_text(HEADER + '[[items]]\ninput = "duck.glb"\n')
    _pack(playlist, tmp_path / "out")
    device = tmp_path / "out" / "hypervsn"
    assert validate(str(tmp_path / "out")).ok
    # emptied by hand, manifest and all, as a copy gone wrong leaves it
    for path in (device / "files").iterdir():
        path.unlink()
    manifest = json.loads((device / "manifest.json").read_text())
    manifest.update(items=[], files=0, total_bytes=0)
    (device / "manifest.json").write_text(json.dumps(manifest))
    report = validate(str(tmp_path / "out"))
    assert [(e.where, e.message) for e in report.errors] == [
        ("hypervsn", "holds no files: the fan would play nothing")
    ]


def test_an_earlier_package_stays_when_every_item_fails(tmp_path):
    from holopack.pack.validate import validate

    shutil.copy(DUCK, tmp_path / "duck.glb")
    playlist = tmp_path / "p.toml"
    playlist.write_text(HEADER + '[[items]]\ninput = "duck.glb"\n')
    _pack(playlist, tmp_path / "out")
    (tmp_path / "duck.glb").write_bytes(BROKEN_GLB)  # the input replaced by a broken one
    with pytest.raises(InputError):
        _pack(playlist, tmp_path / "out")
    report = validate(str(tmp_path / "out"))
    # the earlier file is not this playlist's clip any more: the package says so, twice
    assert {e.where for e in report.errors} == {"hypervsn/files/01_duck.mp4"}
    messages = " | ".join(e.message for e in report.errors)
    assert "item 1 (duck) was not made" in messages and "is not in the manifest" in messages
