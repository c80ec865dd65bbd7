"""holopack.allocator: after ``import holopack`` a freed big array's memory stays with the
process for the next one, unless the user set glibc's allocator up themselves.

Each case runs in a fresh interpreter (mallopt is process-wide and set on import) and
reads glibc's own account of its memory (mallinfo2): bytes in mappings of their own
(hblkhd), in the heap (arena) and free in the heap (fordblks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from holopack import allocator

pytestmark = pytest.mark.skipif(not allocator.glibc(), reason="mallopt's thresholds are glibc's")

PROBE = """
import ctypes, json
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
import numpy
import holopack
import holopack.allocator
before = libc.mallinfo2()
a = numpy.ones(16 << 20, numpy.uint8)
held = libc.mallinfo2()
del a
after = libc.mallinfo2()
holopack.allocator.give_back()
given = libc.mallinfo2()
print(json.dumps({
    "mapped": held.hblkhd - before.hblkhd,
    "heap": held.arena - before.arena,
    "kept_free": after.fordblks - before.fordblks,
    "given_back": after.arena - given.arena,
}))
"""

MB = 1 << 20


def probe(**environ: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in allocator.USER_SETTINGS}
    env.pop(allocator.LEAVE_VARIABLE, None)
    env.pop("GLIBC_TUNABLES", None)
    env.update(environ)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=False)
    if "mallinfo2" in out.stderr:
        pytest.skip("this glibc has no mallinfo2 (2.33 and later)")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_freed_big_array_stays_with_the_process_for_the_next():
    seen = probe()
    assert seen["mapped"] < MB, seen  # from the heap, not a mapping of its own
    # the heap grows by the block less the free heap it takes first (imports free some:
    # about 60 kB), and that much more is free after it
    assert seen["heap"] >= 15 * MB, seen
    assert seen["kept_free"] >= 15 * MB, seen  # not given back: the next array reuses it


def test_what_was_kept_goes_back_to_the_system_at_the_end_of_a_phase():
    # the first pass of a video calls give_back once its samples are gone
    assert probe()["given_back"] >= 16 * MB


def test_glibcs_own_behaviour_maps_it_and_gives_it_back():
    # the comparison the benchmark makes, and what the test above tells apart
    seen = probe(HOLOPACK_MALLOC="system")
    assert seen["mapped"] >= 16 * MB, seen
    assert seen["kept_free"] < MB, seen


@pytest.mark.parametrize(
    "setting",
    [
        {"MALLOC_MMAP_THRESHOLD_": "131072"},
        {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=131072"},
    ],
    ids=["variable", "tunable"],
)
def test_a_users_own_malloc_setting_is_kept(setting):
    seen = probe(**setting)
    assert seen["mapped"] >= 16 * MB, seen


def test_only_glibcs_threshold_settings_count_as_the_users_own():
    assert not allocator.user_tuned({})
    assert not allocator.user_tuned({"MALLOC_ARENA_MAX": "2", "GLIBC_TUNABLES": "glibc.pthread.rseq=0"})
    assert not allocator.user_tuned({"HOLOPACK_MALLOC": "holopack"})
    assert allocator.user_tuned({"MALLOC_TRIM_THRESHOLD_": "0"})
    assert allocator.user_tuned({"GLIBC_TUNABLES": "glibc.pthread.rseq=0:glibc.malloc.trim_threshold=0"})
    assert allocator.user_tuned({"HOLOPACK_MALLOC": "system"})


HUGE_PAGES = """
import numpy, holopack.allocator as a
core = numpy._core.multiarray
core._set_madvise_hugepage({start})
with a.small_pages():
    inside = core._get_madvise_hugepage()
print(int(inside), int(core._get_madvise_hugepage()))
"""


def huge_pages(start: bool, **environ: str) -> tuple[int, int]:
    """numpy's huge-page marks (1 on, 0 off) inside and after ``small_pages`` in a
    fresh interpreter whose numpy starts with ``start``, with ``environ`` set."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in (allocator.HUGE_PAGE_VARIABLE, allocator.LEAVE_VARIABLE)
    }
    env.update(environ)
    code = HUGE_PAGES.format(start=start)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    inside, after = out.stdout.split()
    return int(inside), int(after)


def test_a_phase_of_fresh_memory_runs_without_huge_page_marks_and_numpys_setting_comes_back():
    # marked, a keyed clip's first pass stalled on page faults (holopack.allocator)
    assert huge_pages(True) == (0, 1)
    assert huge_pages(False) == (0, 0)


def test_the_users_own_huge_page_setting_and_glibcs_own_behaviour_are_kept():
    assert huge_pages(True, NUMPY_MADVISE_HUGEPAGE="1") == (1, 1)
    assert huge_pages(True, HOLOPACK_MALLOC="system") == (1, 1)
