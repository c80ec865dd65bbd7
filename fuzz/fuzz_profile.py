"""Coverage-guided fuzzing of the device profile parser (TOML text -> DeviceProfile).

Seeds: the shipped profiles and a few user profiles (fuzz/corpus/profile).
"""

from __future__ import annotations

import sys

import atheris
from _harness import instrument

with instrument():
    from holopack.device.profile import parse_profile
    from holopack.errors import InputError


def test_one_input(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        profile = parse_profile(text, "fuzz.toml")
        profile.to_text()
        if profile.is_polar:
            profile.column_geometry()
    except InputError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
