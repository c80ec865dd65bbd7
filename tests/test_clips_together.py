"""Several clips: --animation all, and all by default for one-clip-per-joint files."""

import pytest
from _facing_models import per_joint_clips

from holopack.pipeline import ExportSettings, make_timeline
from holopack.scene.load import load


def _centres(scene, animation, time):
    return [p.mean(axis=0) for p in scene.posed_positions(animation, time)]


def test_one_clip_per_joint_plays_all_by_default(tmp_path):
    path = tmp_path / "walk.gltf"
    per_joint_clips().write(path)
    scene = load(str(path))
    assert scene.clips_play_together
    assert scene.animation_index(None) == scene.all_clips_index
    timeline = make_timeline(scene, ExportSettings(), 30.0)
    assert timeline.length == pytest.approx(2.0)
    # half way through, every joint has moved half of its 1.0 (linear keys): all play
    for k, centre in enumerate(_centres(scene, None, 1.0)):
        assert centre == pytest.approx([k, 0.5, 0.0], abs=1e-5)
    # one clip alone moves only its own joint
    moved = [c[1] for c in _centres(scene, 0, 1.0)]
    assert moved == pytest.approx([0.5, 0.0, 0.0], abs=1e-5)


def test_all_plays_every_clip_and_loops_on_the_longest(tmp_path):
    path = tmp_path / "mixed.gltf"
    per_joint_clips(lengths=(1.0, 2.0, 4.0)).write(path)
    scene = load(str(path))
    assert not scene.clips_play_together  # lengths differ: alternatives, the first plays
    assert scene.animation_index(None) == 0
    index = scene.animation_index("all")
    timeline = make_timeline(scene, ExportSettings(animation="all"), 30.0)
    assert timeline.animation == index and timeline.length == pytest.approx(4.0)
    # at 2 s the 1 s clip has ended and holds its last pose, the 2 s one just ended,
    # the 4 s one is half way
    ys = [c[1] for c in _centres(scene, "all", 2.0)]
    assert ys == pytest.approx([1.0, 1.0, 0.5], abs=1e-5)


def test_clips_that_share_a_joint_are_alternatives(models):
    fox = load(str(models["fox"]))  # Survey, Walk, Run all drive the same skeleton
    assert not fox.clips_play_together
    assert fox.animation_index(None) == 0


def test_inspect_says_which_clip_plays(tmp_path, capsys):
    from holopack.cli import main

    path = tmp_path / "walk.gltf"
    per_joint_clips().write(path)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "plays: all (all 3 clips together" in out and "one clip per joint" in out
    rc = main(
        [
            "export",
            str(path),
            "--device",
            "mp4-fan",
            "-o",
            str(tmp_path / "01_walk.mp4"),
            "--size",
            "48",
            "--seconds",
            "0.1",
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 0 and "playing its 3 clips together" in err
