"""Coverage-guided fuzzing of the playlist parser (docs/playlist.md).

The playlist sits in a scratch folder beside a small model (clip.obj), so items that
name it get past the file checks. Seeds: fuzz/corpus/playlist.
"""

from __future__ import annotations

import sys

import atheris
from _harness import instrument, scratch_file

with instrument():
    from holopack.errors import InputError
    from holopack.pack.playlist import parse_playlist

_PLAYLIST = scratch_file("playlist.toml", b"")
scratch_file("clip.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")


def test_one_input(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        playlist = parse_playlist(text, _PLAYLIST)
        for item in playlist.items:
            item.settings_dict()
    except InputError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
