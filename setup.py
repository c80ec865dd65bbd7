"""Build hook: the wheel carries the bundled default twin and the preview's shaders.

The repository keeps them at the top level (``assets/``, ``shaders/``), where the design
puts them and where a source checkout finds them; a wheel has no top level, so the
build copies them into the package (``holopack/assets``, ``holopack/shaders``), where
``holopack.resources`` looks for them in an installed copy. Metadata is in setup.cfg.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# (source folder in the repository, file patterns, destination inside the package)
BUNDLED = (
    ("assets/RobotExpressive", ("*.glb", "LICENSE.md"), "assets/RobotExpressive"),
    ("shaders", ("*.vert", "*.frag"), "shaders"),
)


class BuildPyWithBundledData(build_py):
    def run(self):
        super().run()
        for source, patterns, target in BUNDLED:
            destination = Path(self.build_lib) / "holopack" / target
            destination.mkdir(parents=True, exist_ok=True)
            found = [path for pattern in patterns for path in sorted((ROOT / source).glob(pattern))]
            if not found:
                raise SystemExit(f"setup.py: nothing to bundle in {source}/")
            for path in found:
                shutil.copy2(path, destination / path.name)


setup(cmdclass={"build_py": BuildPyWithBundledData})
