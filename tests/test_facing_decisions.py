"""What --front/--up auto decides for every model the repository ships: the corpus, the
test data (the glTF validator's files that load included) and the bundled twin.

A model with a clear front (``front``/``up`` in tests/corpus/index.toml, seen by eye on
the gallery) must get those axes; every other model must keep glTF's +Z front and +Y up,
so that no new cue turns a model that was shown right before it.
"""

from __future__ import annotations

import contextlib
import io
import os
import tomllib
import warnings
from pathlib import Path

import pytest

from holopack.animate.orientation import detect
from holopack.errors import HolopackError
from holopack.scene.load import load

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
SUFFIXES = {".glb", ".gltf", ".obj", ".stl", ".ply", ".vrm", ".off"}

with open(CORPUS / "index.toml", "rb") as _f:
    INDEX = tomllib.load(_f)["model"]
EXPECTED = {
    os.path.realpath(CORPUS / m["file"]): (m.get("front", "+z"), m.get("up", "+y"), m["name"]) for m in INDEX
}


def _shipped_models() -> list[str]:
    found = set(EXPECTED)
    for folder in (ROOT / "tests" / "data", ROOT / "tests" / "corpus", ROOT / "assets"):
        found |= {os.path.realpath(p) for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES}
    return sorted(found)


def _quiet_load(path: str):
    with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load(path)


@pytest.mark.parametrize("model", INDEX, ids=[m["name"] for m in INDEX])
def test_corpus_model_gets_its_known_facing_or_keeps_gltf_axes(model):
    found = detect(_quiet_load(str(CORPUS / model["file"])))
    assert (found.front, found.up) == (model.get("front", "+z"), model.get("up", "+y")), found.reason


def test_every_other_shipped_model_keeps_gltf_axes():
    others = [p for p in _shipped_models() if p not in EXPECTED]
    assert len(others) > 100  # the validator's files are among them
    turned, loaded = [], 0
    for path in others:
        try:
            scene = _quiet_load(path)
        except HolopackError:
            continue  # a file made to be refused
        loaded += 1
        found = detect(scene)
        if not found.is_default:
            turned.append(f"{os.path.relpath(path, ROOT)}: {found.describe()}")
    assert loaded >= 5  # FlightHelmet.gltf and the validator's valid files
    assert not turned, turned
