"""How the C allocator hands big arrays back to the system (glibc on Linux).

numpy takes every array's memory from malloc. glibc serves a request above its mmap
threshold (128 kB at first; it rises by itself to the size of the largest mapped block
freed, up to 32 MB) with a mapping of its own and unmaps it on free, and it gives the top
of its heap back to the system once more than twice that threshold lies free there. A
keyed video frame makes a few dozen temporaries of a few MB (a 672 px matte is 1.8 MB as
float32, the frame's YCbCr 5.4 MB): with those thresholds they were given back and
faulted in again, page by page and zeroed by the kernel, frame after frame. A keyed
export of a 10 s 1080p clip spent 3.5-4.1 s of system time for 14-15 s of user time.

So, where the user has not tuned malloc, importing holopack raises both thresholds
(``mallopt``): blocks up to ``MMAP_THRESHOLD`` come from the heap, and up to
``TRIM_THRESHOLD`` of free heap is kept for the next arrays. Freed memory is reused
rather than mapped again: that export's system time 1.8-2.1 s, its wall 0.84-0.90 of
glibc's own; the plain video path unchanged within the noise (0.99-1.04; ``python
benchmarks/bench_allocator.py``, figures in docs/benchmarks.md). ``give_back`` returns
what is kept at the end of a phase (the video's first pass), so that the next phase's
peak does not carry it.

A user who sets one of glibc's threshold variables (``MALLOC_MMAP_THRESHOLD_`` and the
like) or a ``glibc.malloc`` tunable in ``GLIBC_TUNABLES`` keeps glibc as they set it, and
``HOLOPACK_MALLOC=system`` keeps glibc's own behaviour (the benchmark's comparison):
holopack then changes nothing. On other C libraries nothing is changed either.

Huge pages (``small_pages``): numpy marks every array of 4 MB or more for transparent
huge pages (``madvise(MADV_HUGEPAGE)``). Where the kernel's THP ``defrag`` setting is
``madvise`` (Debian's and Ubuntu's default), faulting such memory in while no huge page
is free stalls on the kernel's reclaim and compaction instead of falling back to small
pages, and the mark stays on heap memory that glibc hands out again (numpy issue
31590). A phase that fills much fresh memory once pays it: in a keyed video's first
pass, copying each 1 MP sample matte into the clip's stack took 15-60 ms of system CPU
(about 30 us a page) instead of 1.7, and the first pass of a 10 s 1080p clip ran 3.66 s
with the marks and 2.16 s without (``python benchmarks/bench_key.py``, median of three,
NUMPY_MADVISE_HUGEPAGE=1 then 0). A render loop, which reuses its buffers, gains from
them instead (FlightHelmet at 1024 px, ``benchmarks/bench_render.py``: 17.6-17.9 ms a
frame with, 18.4-18.8 without). So the marks are turned off for such a phase only,
unless the user set ``NUMPY_MADVISE_HUGEPAGE`` (or ``HOLOPACK_MALLOC=system``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

# mallopt's parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# glibc's ceiling for the mmap threshold on 64-bit systems (HEAP_MAX_SIZE / 2): a block
# larger than this is mapped whatever the setting (a 1080p float32 RGB frame, 25 MB, is not)
MMAP_THRESHOLD = 32 * 1024 * 1024
# free heap kept at its top for the next arrays before any is given back
TRIM_THRESHOLD = 1024 * 1024 * 1024
# the environment variables through which glibc takes these settings
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")
# HOLOPACK_MALLOC=system: leave glibc's allocator as glibc sets it up
LEAVE_VARIABLE, LEAVE_VALUE = "HOLOPACK_MALLOC", "system"
HUGE_PAGE_VARIABLE = "NUMPY_MADVISE_HUGEPAGE"
# glibc's malloc_trim, once configure has set the thresholds (give_back calls it)
_trim: Any = None


def user_tuned(environ: Mapping[str, str]) -> bool:
    """Whether the environment sets glibc's thresholds itself, or asks for glibc's own
    (then holopack leaves the allocator as it is)."""
    if environ.get(LEAVE_VARIABLE) == LEAVE_VALUE or any(name in environ for name in USER_SETTINGS):
        return True
    return "glibc.malloc." in environ.get("GLIBC_TUNABLES", "")


def glibc() -> bool:
    """Whether this process runs on glibc (whose mallopt takes these parameters)."""
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (AttributeError, ValueError, OSError):  # no confstr, or no such name: not glibc
        return False


def configure(environ: Mapping[str, str] | None = None) -> bool:
    """Raise glibc's mmap and trim thresholds where the user has not tuned malloc.
    -> whether they were set."""
    environ = os.environ if environ is None else environ
    if user_tuned(environ) or not glibc():
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt answers 1 when it took the value
    if not (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)):
        return False
    global _trim
    _trim = ctypes.CDLL(None).malloc_trim
    _trim.argtypes = (ctypes.c_size_t,)
    _trim.restype = ctypes.c_int
    return True


def give_back() -> None:
    """Hand the heap's free memory back to the system (glibc's malloc_trim), where
    holopack set the thresholds: at the end of a phase whose arrays are gone, so that
    what it kept does not add to the next phase's peak (threads that allocate in arenas
    of their own cannot reuse it)."""
    if _trim is not None:
        _trim(0)


@contextlib.contextmanager
def small_pages(environ: Mapping[str, str] | None = None) -> Iterator[None]:
    """Within the block, numpy does not mark its new big arrays for huge pages (see the
    module), unless the user set NUMPY_MADVISE_HUGEPAGE or HOLOPACK_MALLOC=system; its
    own setting comes back after it. numpy's switch is process-wide: a render on
    another thread meanwhile allocates unmarked too, which only costs it speed."""
    environ = os.environ if environ is None else environ
    setter = None
    if environ.get(LEAVE_VARIABLE) != LEAVE_VALUE and HUGE_PAGE_VARIABLE not in environ:
        import numpy  # noqa: F401  (loaded: its switch is in numpy._core.multiarray)

        # numpy 2 keeps the switch in numpy._core, 1.26 in numpy.core
        core = sys.modules.get("numpy._core.multiarray") or sys.modules.get("numpy.core.multiarray")
        setter = getattr(core, "_set_madvise_hugepage", None)
    if setter is None:
        yield
        return
    before = setter(False)  # it answers the setting it replaces
    try:
        yield
    finally:
        setter(before)
