"""Coverage-guided fuzzing of the GLB/glTF loader with atheris.

Any exception other than holopack's InputError is a crash (a bug): atheris stops and
saves the input. Seeds are real files from tests/data. Run, e.g. for 10 minutes:

    pip install atheris
    python fuzz/fuzz_glb.py -max_total_time=600 -rss_limit_mb=4096 fuzz/corpus

The same loader runs in the test suite over the glTF-Validator corpus and hypothesis
mutations; this finds what those miss.
"""
from __future__ import annotations

import os
import sys
import tempfile

import atheris

# Numba kernels must stay uninstrumented (Numba cannot compile atheris' probes)
import holopack.animate.skin  # noqa: E402,F401
import holopack.rendering.raster  # noqa: E402,F401

with atheris.instrument_imports(include=["holopack"]):
    # import the readers here, not lazily through the registry, so that their
    # branches are instrumented and guide the fuzzer
    import holopack.animate.clip  # noqa: F401
    import holopack.animate.pose  # noqa: F401
    import holopack.scene.gltf  # noqa: F401
    from holopack.errors import InputError
    from holopack.scene.load import load

_DIR = tempfile.mkdtemp(prefix="holopack-fuzz-")
_GLB = os.path.join(_DIR, "input.glb")
_GLTF = os.path.join(_DIR, "input.gltf")


def test_one_input(data: bytes) -> None:
    # the first byte picks the container, so JSON-level bugs are reached as well
    if not data:
        return
    path = _GLTF if data[0] & 1 else _GLB
    with open(path, "wb") as f:
        f.write(data[1:])
    try:
        scene = load(path)
        if scene.draw_items:
            scene.pose(None, 0.5)
    except InputError:
        pass


def main() -> None:
    # compile (or load from cache) the Numba kernels once, outside any timed input
    here = os.path.dirname(os.path.abspath(__file__))
    load(os.path.join(here, "..", "tests", "data", "SimpleSkin", "SimpleSkin.gltf")).pose(None, 0.5)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
