"""Coverage-guided fuzzing of the open polar stream reader (.hps) and validate on it.

Seeds: short streams written by holopack (fuzz/corpus/hps).
"""

from __future__ import annotations

import sys

import atheris
from _harness import instrument, scratch_file

with instrument():
    from holopack.errors import InputError
    from holopack.formats import polarstream
    from holopack.pack.validate import validate

_MAX_FRAMES = 4  # enough to reach every per-frame check


def test_one_input(data: bytes) -> None:
    path = scratch_file("input.hps", data)
    try:
        polar = polarstream.read(path)
        for index, _codes in enumerate(polar.frames()):
            if index + 1 >= _MAX_FRAMES:
                break
    except InputError:
        pass
    try:
        validate(path).text()
    except InputError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
