"""The wheel carries what an installed holopack needs: the default twin and the shaders."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        cwd=out,
    )
    (path,) = out.glob("holopack-*.whl")
    return path


def test_the_wheel_holds_the_twin_and_every_shader_byte_for_byte(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        twin = archive.read("holopack/assets/RobotExpressive/RobotExpressive.glb")
        assert "holopack/assets/RobotExpressive/LICENSE.md" in names
        shaders = {Path(n).name: archive.read(n) for n in names if n.startswith("holopack/shaders/")}
    assert sha256(twin) == sha256((ROOT / "assets/RobotExpressive/RobotExpressive.glb").read_bytes())
    expected = {
        p.name: p.read_bytes() for p in (ROOT / "shaders").iterdir() if p.suffix in (".vert", ".frag")
    }
    assert expected and shaders == expected
    assert any(n.startswith("holopack/device/profiles/") and n.endswith(".toml") for n in names)
    # the top level of the repository is not smuggled in beside the package
    assert not any(n.startswith(("assets/", "shaders/", "tests/")) for n in names)


def test_an_installed_wheel_finds_its_own_twin_and_shaders(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import holopack, holopack.resources as r; "
        "print(holopack.__file__); print(r.default_twin()); print(r.bundled(r.SHADERS))"
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path, env=env
    ).stdout.split()
    package = Path(out[0]).parent
    assert package == target / "holopack"
    assert Path(out[1]) == package / "assets/RobotExpressive/RobotExpressive.glb"
    assert Path(out[1]).read_bytes() == (ROOT / "assets/RobotExpressive/RobotExpressive.glb").read_bytes()
    assert (Path(out[2]) / "quad.vert").read_text() == (ROOT / "shaders/quad.vert").read_text()
