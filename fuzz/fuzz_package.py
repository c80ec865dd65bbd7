"""Coverage-guided fuzzing of package validation (a .zip handed over by someone else).

Seeds: small packages written by ``holopack pack`` (fuzz/corpus/package).
"""

from __future__ import annotations

import sys

import atheris
from _harness import instrument, scratch_file

with instrument():
    from holopack.errors import InputError
    from holopack.pack.validate import validate


def test_one_input(data: bytes) -> None:
    path = scratch_file("package.zip", data)
    try:
        validate(path).text()
    except InputError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
