"""Every corpus model, exported to the 42-F2 and to HYPERVSN with the defaults a user
gets, passes validate without a warning and looks right by measures taken here from the
written files (tests/_corpus_measure.py reads them with code of its own):

* the bounding box of the lit LEDs over the whole clip is centred within 5% of the radius,
* the lit extent reaches at least 70% of the radius,
* a coloured model is not grey, an animated model's frames differ,
* a model that stands tall is shown taller than wide (upright),
* a model with a clear front (``front``/``up`` in the index, seen by eye) is shown from
  it: the export's own line on stderr names the axes it turned to the viewer (no line:
  glTF's +Z front, +Y up), and these must be the index's. That --front/--up turn those
  axes to the viewer is checked on rendered pictures in tests/test_orientation.py.

A model whose own clip does not loop (``loops = false`` in the index) may get validate's
loop-seam warning, and no other.

The clip is squeezed into 10 frames (speed or turntable raised) so the whole corpus runs
in a few minutes; pictures are small (224 px for the 42-F2's resampler, 240 px video).
"""

from __future__ import annotations

import os
import re
import tomllib

import pytest
from _corpus_measure import measure_42f2, measure_mp4

import holopack
from holopack.device.profile import PROFILE_DIR
from holopack.pack.validate import validate

CORPUS = os.path.join(os.path.dirname(__file__), "corpus")
FRAMES = 10
FPS = 30.0  # both devices' rate
CENTRE_LIMIT = 0.05
EXTENT_FLOOR = 0.70
GREY_CEILING = 0.08  # mean saturation (max - min) / max of lit cells; grey models measure < 0.02
MOTION_FLOOR = 0.02  # mean change of the lit cells from the first frame, 0..1

with open(os.path.join(CORPUS, "index.toml"), "rb") as _f:
    MODELS = tomllib.load(_f)["model"]


def _case(model):
    return pytest.param(model, id=model["name"])


@pytest.fixture(scope="module")
def small_profiles(tmp_path_factory):
    """The shipped 42-F2 and HYPERVSN profiles at small picture sizes, as TOML files."""
    folder = tmp_path_factory.mktemp("profiles")
    paths = {}
    for name, size in (("3dcircle-42f2", 224), ("hypervsn", 240)):
        lines = [
            f"{line.split('=')[0].rstrip()} = {size}"
            if line.startswith(("render_size", "video_size"))
            else line
            for line in (PROFILE_DIR / f"{name}.toml").read_text().splitlines()
        ]
        paths[name] = str(folder / f"{name}.toml")
        with open(paths[name], "w") as f:
            f.write("\n".join(lines) + "\n")
    return paths


def test_corpus_index_lists_real_files_with_licences():
    assert len(MODELS) >= 25
    names = [m["name"] for m in MODELS]
    assert len(set(names)) == len(names)
    for model in MODELS:
        path = os.path.join(CORPUS, model["file"])
        assert os.path.isfile(path), path
        assert os.path.isfile(os.path.join(os.path.dirname(path), "LICENSE.md")), path
        for key in ("source", "licence", "tool", "exercises", "animated", "coloured", "tall"):
            assert key in model, (model["name"], key)
        if "front" in model:
            front, up = model["front"], model.get("up", "+y")
            assert {front, up} <= {"+x", "-x", "+y", "-y", "+z", "-z"} and front[1] != up[1], model["name"]


def _short_clip(scene):
    """Export settings that play the default clip once (or turn a static model once)
    in FRAMES frames, so the loop seam is a normal step."""
    seconds = FRAMES / FPS
    index = scene.animation_index(None)
    if index is None:
        return dict(seconds=seconds, turntable=360.0 / seconds)
    clip = scene.clip(index)  # all clips together for a one-clip-per-joint rig
    return dict(seconds=seconds, speed=(clip.duration - clip.start) / seconds)


def _facing_shown(stderr: str) -> tuple[str, str]:
    """(front, up): the model's axes that the export says it turned to the viewer."""
    found = re.search(r"turned to face the viewer: facing ([+-][xyz]), up ([+-][xyz])", stderr)
    return (found.group(1), found.group(2)) if found else ("+z", "+y")


@pytest.mark.parametrize("model", [_case(m) for m in MODELS])
def test_corpus_model_exports_validates_and_looks_right(model, small_profiles, tmp_path, capsys):
    scene = holopack.load(os.path.join(CORPUS, model["file"]))
    problems = []
    capsys.readouterr()
    for device, name, measure in (
        ("3dcircle-42f2", "01_TEST.BIN", measure_42f2),
        ("hypervsn", "01_test.mp4", measure_mp4),
    ):
        out = str(tmp_path / name)
        holopack.export(scene, out, device=small_profiles[device], progress=False, **_short_clip(scene))
        shown = _facing_shown(capsys.readouterr().err)
        if "front" in model and shown != (model["front"], model.get("up", "+y")):
            problems.append(
                f"{device}: shows facing {shown[0]}, up {shown[1]}; its front is {model['front']}"
            )
        report = validate(out, device=small_profiles[device])
        for finding in report.findings:
            if (
                model.get("loops", True) is False
                and finding.level == "warning"
                and finding.message.startswith("loop seam")
            ):
                continue  # the source clip itself does not loop: the warning is right
            if finding.level in ("warning", "error"):
                problems.append(f"{device}: validate {finding.level}: {finding.message}")
        m = measure(out)
        if m.centre_offset > CENTRE_LIMIT:
            problems.append(f"{device}: off-centre by {m.centre_offset:.3f} of the radius")
        if m.extent < EXTENT_FLOOR:
            problems.append(f"{device}: lit extent {m.extent:.2f} of the radius")
        if model["coloured"] and m.saturation < GREY_CEILING:
            problems.append(f"{device}: grey (saturation {m.saturation:.3f})")
        if model["animated"] and m.motion < MOTION_FLOOR:
            problems.append(f"{device}: frames hardly differ ({m.motion:.4f})")
        if model["tall"] and not m.height > 1.1 * m.width:
            problems.append(f"{device}: not upright ({m.width:.2f} wide, {m.height:.2f} high)")
    assert not problems, "; ".join(problems)
