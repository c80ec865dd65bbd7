"""Damaged fan files: every reader answers InputError (or reads), never another exception."""

from __future__ import annotations

import os
import tempfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from holopack.device import load_profile
from holopack.errors import InputError
from holopack.formats import circle42f2, legacy224, polarstream
from holopack.formats.fanfile import open_fan_file


def _valid_files():
    """One small valid file per format, as bytes."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, name, module in (
            ("42f2", "3dcircle-42f2", circle42f2),
            ("legacy224", "legacy-224", legacy224),
            ("polarstream", "diy-apa102", polarstream),
        ):
            profile = load_profile(name)
            path = os.path.join(tmp, "f")
            rng = np.random.default_rng(1)
            with module.Writer(path, profile, profile.fps) as w:
                w.write(rng.integers(0, profile.max_code + 1, profile.codes_shape, dtype=np.uint8))
            with open(path, "rb") as f:
                out[fmt] = f.read()
    return out


VALID = _valid_files()
MODULES = {"42f2": circle42f2, "legacy224": legacy224, "polarstream": polarstream}


def _try_read(data: bytes, module=None):
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(data)
    try:
        polar = module.read(f.name) if module else open_fan_file(f.name)
        for codes in polar.frames():
            assert codes.dtype == np.uint8 and codes.shape == polar.profile.codes_shape
    except InputError as e:
        assert str(e).startswith(f.name)
    finally:
        os.unlink(f.name)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(sorted(VALID)),
    cut=st.floats(0, 1),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), max_size=4),
    tail=st.binary(max_size=40),
)
def test_damaged_files_give_input_errors(fmt, cut, flips, tail):
    data = bytearray(VALID[fmt])
    # damage the front (headers) more often than the bulk
    for where, mask in flips:
        data[int(where**4 * (len(data) - 1))] ^= mask
    data = bytes(data[: int(len(data) * cut**0.25)]) + tail
    _try_read(data, MODULES[fmt])
    _try_read(data)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_give_input_errors(data):
    for module in MODULES.values():
        _try_read(data, module)
    _try_read(data)
    _try_read(polarstream.MAGIC + data, polarstream)
