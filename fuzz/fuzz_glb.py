"""Coverage-guided fuzzing of the GLB/glTF loader with atheris.

Any exception other than holopack's InputError is a crash (a bug): atheris stops and
saves the input. Seeds are real files (fuzz/corpus/glb): the container is chosen by the
bytes themselves (GLB magic or not), so a seed is fuzzed exactly as the file it is.
Run, e.g. for 10 minutes:

    pip install -e '.[fuzz]'
    python fuzz/fuzz_glb.py -max_total_time=600 -timeout=30 -rss_limit_mb=2048 \\
        /tmp/corpus-glb fuzz/corpus/glb

The same loader runs in the test suite over the glTF-Validator corpus and hypothesis
mutations; this finds what those miss.
"""

from __future__ import annotations

import os
import sys

import atheris
from _harness import REPO, instrument, scratch_file

with instrument():
    # import the readers here, not lazily through the registry, so that their
    # branches are instrumented and guide the fuzzer
    import holopack.animate.clip  # noqa: F401
    import holopack.animate.pose  # noqa: F401
    import holopack.scene.gltf  # noqa: F401
    from holopack.errors import InputError
    from holopack.scene.load import load


def test_one_input(data: bytes) -> None:
    # the bytes pick the container (as the loader's own sniffing does), so a seed file
    # reaches the loader whole; an earlier version spent the first byte on this choice
    name = "input.glb" if data[:4] == b"glTF" else "input.gltf"
    path = scratch_file(name, data)
    try:
        scene = load(path)
        if scene.draw_items:
            scene.pose(None, 0.5)
    except InputError:
        pass


def main() -> None:
    # compile (or load from cache) the Numba kernels once, outside any timed input
    load(os.path.join(REPO, "tests", "data", "SimpleSkin", "SimpleSkin.gltf")).pose(None, 0.5)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
