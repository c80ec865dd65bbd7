"""Shared test fixtures: where the bundled test data lives."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache
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


MARKERS = {
    "gl": "needs OpenGL through moderngl on EGL (Mesa's llvmpipe) for a reference render",
    "display": "needs Xvfb and glfw to open a real window",
    "slow": "takes more than a few seconds; deselect with -m 'not slow' for a quick run",
}


def pytest_configure(config):
    # Tests never open a real display unless they start Xvfb themselves.
    os.environ.setdefault("PYTHONHASHSEED", "0")
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


@cache
def _gl_missing() -> str | None:
    """Why no EGL context can be made here, or None. Probed in a child process: an EGL
    context in this process would upset a GLX window opened later by another test."""
    try:
        import moderngl  # noqa: F401  (only whether it imports)
    except ImportError:
        return "moderngl is not installed (pip install -e '.[test]')"
    probe = (
        "import moderngl; ctx = moderngl.create_standalone_context(backend='egl'); "
        "print(ctx.info['GL_RENDERER'])"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"no OpenGL context through EGL (apt-get install libegl-mesa0 libgl1-mesa-dri): {last}"
    return None


@cache
def _display_missing() -> str | None:
    """Why no window can be opened here, or None."""
    if shutil.which("Xvfb") is None:
        return "Xvfb is not installed (apt-get install xvfb)"
    try:
        import glfw  # noqa: F401  (only whether it imports)
    except ImportError as exc:
        return f"glfw does not import: {exc}"
    return None


PROBES = {"gl": _gl_missing, "display": _display_missing}


def pytest_collection_modifyitems(config, items):
    # A test that asks for a window (the `display` or `window` fixtures of the preview
    # tests) is a display test, whether or not its module says so.
    for item in items:
        if {"display", "window"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.display)


def pytest_runtest_setup(item):
    """Skip a test whose machinery is missing, saying what to install; in CI (CI set) fail
    instead, so that a CI run never passes by skipping silently."""
    for name, probe in PROBES.items():
        if item.get_closest_marker(name) is None:
            continue
        reason = probe()
        if reason is None:
            continue
        if os.environ.get("CI"):
            pytest.fail(f"[{name}] {reason} (CI is set: a missing tool is a failure)", pytrace=False)
        pytest.skip(f"[{name}] {reason}")


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
