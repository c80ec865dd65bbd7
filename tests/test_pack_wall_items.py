"""A playlist whose wall item sits between single-fan items (docs/walls.md, Playlists)."""

from __future__ import annotations

import json

from _pack_helpers import write_video

WALL = 'device = "mp4-fan"\nname = "lobby"\n[grid]\nrows = 1\ncols = 2\npitch = 400.0\n'


def test_device_files_are_numbered_among_the_items_that_go_to_the_device(tmp_path):
    from holopack.pack import pack
    from holopack.pack.validate import validate

    write_video(tmp_path / "clip.mp4", frames=4, size=32)
    (tmp_path / "wall.toml").write_text(WALL)
    playlist = tmp_path / "p.toml"
    item = '[[items]]\ninput = "clip.mp4"\nname = "{}"\n'
    playlist.write_text(
        'devices = ["hypervsn"]\n[defaults]\nseconds = 0.1\nsize = 32\n'
        + item.format("a")
        + item.format("big")
        + 'wall = "wall.toml"\n'
        + item.format("c")
    )
    out = tmp_path / "out"
    summary = pack(playlist, out, jobs=1, progress=False, preview_frames=2, preview_size=32).summary()
    # the fan plays 01, 02: the wall item is not a gap in its order
    files = sorted(p.name for p in (out / "hypervsn" / "files").iterdir())
    assert files == ["01_a.mp4", "02_c.mp4"]
    manifest = json.loads((out / "hypervsn" / "manifest.json").read_text())
    assert [(e["name"], e["file"]) for e in manifest["items"]] == [
        ("a", "files/01_a.mp4"),
        ("c", "files/02_c.mp4"),
    ]
    assert (out / "wall-lobby").is_dir()
    # the summary's bytes are everything the package holds, the wall's folder too
    held = sum(
        p.stat().st_size for p in out.rglob("*") if p.is_file() and p.parent.name in ("files", "wall-lobby")
    )
    assert f"({held:,} bytes)" in summary and summary.endswith("1 wall exported")
    report = validate(str(out))
    assert report.ok, [(e.where, e.message) for e in report.errors]
