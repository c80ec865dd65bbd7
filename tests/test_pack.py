"""holopack pack end to end: a three-item playlist for a 42-F2 fan and HYPERVSN."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile

import numpy as np
import pytest
from _pack_helpers import DUCK, FRAMES, SIZE, built_package, copy_package, mtimes, write_playlist, write_video
from PIL import Image

from holopack.errors import InputError

BIN_FRAME_BYTES = 512 * 6 * 42  # 42-F2: slices x planes x plane bytes


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return built_package(tmp_path_factory)


def test_files_are_named_and_ordered_by_each_fans_rules(package):
    _, out, report = package
    bins = sorted(p.name for p in (out / "3dcircle-42f2" / "files").iterdir())
    mp4s = sorted(p.name for p in (out / "hypervsn" / "files").iterdir())
    assert bins == ["01_TWIN.BIN", "02_DUCK.BIN", "03_LOGO.BIN"]
    assert mp4s == ["01_twin.mp4", "02_duck_turntable.mp4", "03_logo.mp4"]
    assert all(len(name.split(".")[0]) <= 8 for name in bins)
    assert sorted(report.rendered) == sorted(
        [("3dcircle-42f2", n) for n in bins] + [("hypervsn", n) for n in mp4s]
    )
    assert report.kept == []


def test_items_render_in_worker_processes_with_one_numba_thread_each(package):
    _, _, report = package
    assert len(report.workers) == 6
    pids = {pid for pid, _ in report.workers.values()}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert {threads for _, threads in report.workers.values()} == {1}


def test_manifest_matches_the_files(package):
    playlist, out, _ = package
    for device in ("3dcircle-42f2", "hypervsn"):
        manifest = json.loads((out / device / "manifest.json").read_text())
        assert manifest["device"] == device
        assert [e["index"] for e in manifest["items"]] == [1, 2, 3]
        assert [e["name"] for e in manifest["items"]] == ["twin", "Duck turntable", "logo"]
        total = 0
        for entry in manifest["items"]:
            path = out / device / entry["file"]
            assert entry["bytes"] == path.stat().st_size
            assert entry["sha256"] == sha256(path)
            assert entry["frames"] == FRAMES and entry["fps"] == 30
            assert entry["seconds"] == pytest.approx(FRAMES / 30)
            assert entry["settings"]["size"] == SIZE
            total += entry["bytes"]
            # the source hash covers the input file itself
            src = entry["source_files"][0]
            source_path = (
                (playlist.parent / entry["input"])
                if not entry["input"].startswith("/")
                else type(playlist)(entry["input"])
            )
            assert src["sha256"] == sha256(source_path)
        assert manifest["total_bytes"] == total
        if device == "3dcircle-42f2":
            assert all(e["bytes"] == FRAMES * BIN_FRAME_BYTES for e in manifest["items"])
        readme = (out / device / "README.txt").read_text()
        assert f"{total:,} bytes" in readme and "3 files" in readme
        assert readme.index("01_") < readme.index("02_") < readme.index("03_")
    assert "SD card" in (out / "3dcircle-42f2" / "README.txt").read_text()
    assert (
        "Duck turntable" in json.loads((out / "hypervsn" / "manifest.json").read_text())["items"][1]["name"]
    )


def test_previews_show_the_clip(package):
    _, out, _ = package
    manifest = json.loads((out / "3dcircle-42f2" / "manifest.json").read_text())
    for entry in manifest["items"]:
        thumb = np.asarray(Image.open(out / "3dcircle-42f2" / entry["thumbnail"]).convert("RGB"))
        assert thumb.shape == (64, 64, 3)
        # something lit in the middle, the corners dark (a fan shows a disc on black)
        assert thumb[16:48, 16:48].max() > 100
        assert thumb[:4, :4].max() < 30 and thumb[-4:, -4:].max() < 30
        gif = Image.open(out / "3dcircle-42f2" / entry["preview"])
        assert getattr(gif, "n_frames", 1) == 6


def test_rerun_renders_nothing_and_touches_nothing(package, tmp_path):
    from holopack.pack import pack

    playlist, out, _ = package
    copy = copy_package(out, tmp_path / "package")
    before = mtimes(copy)
    report = pack(playlist, copy, jobs=2, progress=False, preview_frames=6, preview_size=64)
    assert report.rendered == []
    assert len(report.kept) == 6
    assert mtimes(copy) == before


def test_changing_one_item_rerenders_only_that_item(package, tmp_path):
    from holopack.pack import pack

    playlist, out, _ = package
    copy = copy_package(out, tmp_path / "package")
    before = mtimes(copy)
    changed = write_playlist(playlist.parent, name="shop-changed.toml", duck_turntable=45.0)
    report = pack(changed, copy, jobs=2, progress=False, preview_frames=6, preview_size=64)
    assert sorted(report.rendered) == [
        ("3dcircle-42f2", "02_DUCK.BIN"),
        ("hypervsn", "02_duck_turntable.mp4"),
    ]
    after = mtimes(copy)
    for name in ("01_TWIN.BIN", "03_LOGO.BIN"):
        assert after[f"3dcircle-42f2/files/{name}"] == before[f"3dcircle-42f2/files/{name}"]
    assert after["3dcircle-42f2/files/02_DUCK.BIN"] != before["3dcircle-42f2/files/02_DUCK.BIN"]
    manifest = json.loads((copy / "hypervsn" / "manifest.json").read_text())
    assert manifest["items"][1]["settings"]["turntable"] == 45.0
    assert manifest["items"][1]["sha256"] == sha256(copy / "hypervsn" / "files" / "02_duck_turntable.mp4")


def test_reordering_keeps_files_and_removes_dropped_ones(package, tmp_path):
    from holopack.pack import pack

    playlist, out, _ = package
    copy = copy_package(out, tmp_path / "package")
    old_logo = sha256(copy / "hypervsn" / "files" / "03_logo.mp4")
    text = playlist.read_text()
    items = text.split("[[items]]")
    # logo first, twin dropped
    reordered = playlist.parent / "shop-reordered.toml"
    reordered.write_text(items[0] + "[[items]]" + items[3] + "[[items]]" + items[2])
    report = pack(reordered, copy, jobs=1, progress=False, preview_frames=6, preview_size=64)
    assert report.rendered == []
    assert sorted(p.name for p in (copy / "hypervsn" / "files").iterdir()) == [
        "01_logo.mp4",
        "02_duck_turntable.mp4",
    ]
    assert sha256(copy / "hypervsn" / "files" / "01_logo.mp4") == old_logo
    assert sorted(p.name for p in (copy / "3dcircle-42f2" / "previews").iterdir()) == [
        "01_LOGO.gif",
        "01_LOGO.png",
        "02_DUCK.gif",
        "02_DUCK.png",
    ]


def test_zip_package_is_written_whole_and_reused(tmp_path):
    from holopack.pack import pack

    write_video(tmp_path / "clip.mp4", frames=6, size=32)
    playlist = tmp_path / "one.toml"
    playlist.write_text('devices = ["hypervsn"]\n[[items]]\ninput = "clip.mp4"\nseconds = 0.2\nsize = 32\n')
    target = tmp_path / "out.zip"
    first = pack(playlist, target, jobs=1, progress=False, preview_frames=3, preview_size=32)
    assert first.rendered == [("hypervsn", "01_clip.mp4")]
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("hypervsn/manifest.json"))
        data = zf.read("hypervsn/files/01_clip.mp4")
    assert {
        "README.txt",
        "hypervsn/README.txt",
        "hypervsn/files/01_clip.mp4",
        "hypervsn/previews/01_clip.png",
        "hypervsn/previews/01_clip.gif",
    } <= names
    assert manifest["items"][0]["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["items"][0]["frames"] == 6
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left
    second = pack(playlist, target, jobs=1, progress=False, preview_frames=3, preview_size=32)
    assert second.rendered == [] and second.kept == [("hypervsn", "01_clip.mp4")]


def test_a_failing_item_is_named_and_the_others_are_kept(tmp_path):
    from holopack.pack import pack

    shutil.copy(DUCK, tmp_path / "duck.glb")
    (tmp_path / "broken.glb").write_bytes(b"glTF" + b"\x02\x00\x00\x00" + b"\x10\x00\x00\x00" + b"\x00" * 4)
    playlist = tmp_path / "mixed.toml"
    playlist.write_text(
        'devices = ["hypervsn"]\n[defaults]\nseconds = 0.1\nsize = 32\n'
        '[[items]]\ninput = "duck.glb"\n[[items]]\ninput = "broken.glb"\n'
    )
    with pytest.raises(InputError) as caught:
        pack(playlist, tmp_path / "out", jobs=1, progress=False, preview_frames=2, preview_size=32)
    message = str(caught.value)
    assert "mixed.toml" in message and "item 2 (broken)" in message and "hypervsn" in message
    manifest = json.loads((tmp_path / "out" / "hypervsn" / "manifest.json").read_text())
    assert [e["file"] for e in manifest["items"]] == ["files/01_duck.mp4"]


def test_twin_items_and_swapped_positions_keep_their_own_files(tmp_path):
    from holopack.pack import pack

    write_video(tmp_path / "clip.mp4", frames=6, size=32)
    playlist = tmp_path / "two.toml"
    body = '[[items]]\ninput = "clip.mp4"\nname = "{}"\n'
    header = 'devices = ["hypervsn"]\n[defaults]\nseconds = 0.2\nsize = 32\n'
    playlist.write_text(header + body.format("a") + body.format("b"))
    first = pack(playlist, tmp_path / "out", jobs=1, progress=False, preview_frames=2, preview_size=32)
    assert len(first.rendered) == 2
    files = tmp_path / "out" / "hypervsn" / "files"
    same = {p.name: sha256(p) for p in files.iterdir()}
    assert len(set(same.values())) == 1  # identical content, two files
    playlist.write_text(header + body.format("b") + body.format("a"))
    second = pack(playlist, tmp_path / "out", jobs=1, progress=False, preview_frames=2, preview_size=32)
    assert second.rendered == [] and len(second.kept) == 2
    assert sorted(p.name for p in files.iterdir()) == ["01_b.mp4", "02_a.mp4"]


def test_one_progress_line_per_finished_file_off_a_terminal():
    import io

    from holopack.pack.run import _CombinedProgress

    stream = io.StringIO()
    display = _CombinedProgress(2, enabled=True, stream=stream)
    display.message(("start", "fan/01_A.BIN", 10))
    display.message(("start", "fan/02_B.BIN", 20))
    display.message(("frame", "fan/01_A.BIN", 5))
    assert stream.getvalue() == ""  # no line per frame in a log
    display.file_done("fan/01_A.BIN")
    display.file_done("fan/02_B.BIN", failed=True)
    display.finish()
    assert stream.getvalue().splitlines() == [
        "pack 1/2: fan/01_A.BIN (10 frames)",
        "pack 2/2: fan/02_B.BIN (FAILED)",
    ]
    assert display.bar.total == 30


def test_refuses_to_write_into_a_folder_of_other_things(tmp_path):
    from holopack.errors import OutputError
    from holopack.pack import pack

    shutil.copy(DUCK, tmp_path / "duck.glb")
    playlist = tmp_path / "p.toml"
    playlist.write_text('devices = ["hypervsn"]\n[[items]]\ninput = "duck.glb"\n')
    (tmp_path / "desktop").mkdir()
    (tmp_path / "desktop" / "README.txt").write_text("mine")
    with pytest.raises(OutputError, match="holds other things"):
        pack(playlist, tmp_path / "desktop", jobs=1, progress=False)
    assert (tmp_path / "desktop" / "README.txt").read_text() == "mine"
    assert sorted(p.name for p in (tmp_path / "desktop").iterdir()) == ["README.txt"]


def test_the_summary_line_counts_one_file_in_the_singular():
    from holopack.pack.package import PackReport

    one = PackReport(output="shop/", manifests={"3dcircle-42f2": {"items": [{}]}}, total_bytes=1935360)
    assert one.summary().startswith("packed 1 file for 1 device into shop/ (1,935,360 bytes)")
    two = PackReport(output="shop/", manifests={"a": {"items": [{}]}, "b": {"items": [{}]}})
    assert two.summary().startswith("packed 2 files for 2 devices into shop/")
