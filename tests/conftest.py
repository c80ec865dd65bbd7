"""Shared test fixtures: where the bundled test data lives."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TWIN = ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb"

MODELS = {
    "bunny": DATA / "stanford-bunny" / "stanford-bunny.obj",
    "duck": DATA / "Duck" / "Duck.glb",
    "helmet": DATA / "FlightHelmet" / "FlightHelmet.gltf",
    "brainstem": DATA / "BrainStem" / "BrainStem.glb",
    "cesiumman": DATA / "CesiumMan" / "CesiumMan.glb",
    "fox": DATA / "Fox" / "Fox.glb",
    "riggedfigure": DATA / "RiggedFigure" / "RiggedFigure.glb",
    "simpleskin": DATA / "SimpleSkin" / "SimpleSkin.gltf",
    "morphstress": DATA / "MorphStressTest" / "MorphStressTest.gltf",
    "robot": TWIN,
}


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def models() -> dict[str, Path]:
    return MODELS


@pytest.fixture(scope="session")
def twin_path() -> Path:
    return TWIN


@pytest.fixture()
def tmp_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pytest_configure(config):
    # Tests never open a real display unless they start Xvfb themselves.
    os.environ.setdefault("PYTHONHASHSEED", "0")


@pytest.fixture(autouse=True, scope="session")
def _weight_cache(tmp_path_factory):
    """Resampler weight tables go to a folder of this test run, not the user's cache."""
    folder = tmp_path_factory.mktemp("holopack-cache")
    previous = os.environ.get("HOLOPACK_CACHE_DIR")
    os.environ["HOLOPACK_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("HOLOPACK_CACHE_DIR", None)
    else:
        os.environ["HOLOPACK_CACHE_DIR"] = previous
