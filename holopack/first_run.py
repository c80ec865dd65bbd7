"""The first run's notice: compiling the kernels takes about a minute, once; say so at once.

Without it a first export prints nothing for a minute and then a wild ETA. The notice
appears only when compiling will really happen (holopack.kernel_cache.is_cached looks
where Numba keeps its cache, NUMBA_CACHE_DIR included), within moments of the command
(this module imports neither numpy nor Numba), and shows its own progress: seconds so
far and kernels compiled, until the first frame is out.

It also starts a cold export's second process (holopack.pipeline.compile_ahead) as
soon as the command is known to be an export, before this process imports the
pipeline or loads the model: the second process spends its first second importing,
and then waits for its job on stdin (``start_ahead``; the export hands it the job,
``take_ahead``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from .kernel_cache import indexes_since, is_cached

CORE_MODULES = ("rendering/raster_kernel.py",)  # every model export needs these; the bulk of the wait
INTERVAL = 5.0  # seconds between progress lines


class CompileNotice:
    """Start when a command begins; ``stop`` once the first frame is made."""

    def __init__(self, stream=None, interval: float = INTERVAL):
        self.stream = stream
        self.interval = interval
        self.active = False
        self._started = 0.0
        self._wall_start = 0.0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Print the notice and start the progress lines if the kernels are not cached;
        True when it did."""
        if self.active or all(is_cached(m) for m in CORE_MODULES):
            return False
        self.active = True
        self._started = time.perf_counter()
        self._wall_start = time.time() - 1.0  # file times are coarse on some filesystems
        self._write(
            "compiling holopack's kernels for this machine (first run only, a minute or "
            "more; later runs start at once)"
        )
        self._thread = threading.Thread(target=self._report, name="holopack-compile-notice", daemon=True)
        self._thread.start()
        return True

    def stop(self, ready: bool = True) -> None:
        """End the progress lines with how long compiling took (nothing if not started);
        with ``ready`` False (the command failed before its first frame) without that
        line: the kernels are not ready, and the command's error is the last word."""
        if not self.active:
            return
        self.active = False
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        if ready:
            self._write(
                f"kernels ready after {time.perf_counter() - self._started:.0f} s "
                f"({indexes_since(self._wall_start)} compiled and cached)"
            )

    def _report(self) -> None:
        while not self._done.wait(self.interval):
            self._write(
                f"compiling kernels: {time.perf_counter() - self._started:.0f} s, "
                f"{indexes_since(self._wall_start)} compiled so far"
            )

    def _write(self, text: str) -> None:
        stream = self.stream if self.stream is not None else sys.stderr
        try:
            stream.write(f"holopack: {text}\n")
            stream.flush()
        except (OSError, ValueError):  # a closed stream: the notice is not worth a failure
            pass


_notice: CompileNotice | None = None


def start_notice(stream=None) -> CompileNotice:
    """The process's one notice, started (a no-op when already running or not needed)."""
    global _notice
    if _notice is None or not _notice.active:
        _notice = CompileNotice(stream)
        _notice.start()
    return _notice


def compiling() -> bool:
    """Whether the notice is showing: this run compiles the kernels (a cold cache)."""
    return _notice is not None and _notice.active


def stop_notice(ready: bool = True) -> None:
    if _notice is not None:
        _notice.stop(ready)


AHEAD_MODULE = "holopack.pipeline.compile_ahead"
_ahead: subprocess.Popen | None = None


def start_ahead() -> None:
    """Start the second process of a cold export now, while the notice shows and there
    are two cores or more (it would only share this one otherwise); a no-op otherwise or
    when one is started already. It imports and then waits for its job (its stdin)."""
    global _ahead
    if _ahead is not None or not compiling() or (os.cpu_count() or 1) < 2:
        return
    try:
        _ahead = subprocess.Popen(
            [sys.executable, "-m", AHEAD_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        _ahead = None


def take_ahead() -> subprocess.Popen | None:
    """The process start_ahead started (once; None if none), for its job."""
    global _ahead
    process, _ahead = _ahead, None
    return process


def end_ahead() -> None:
    """End a second process that was started but given no job (the export stopped
    before, or needs no encoder). Left alone it would end too, once this one has: its
    job's pipe then closes empty."""
    process = take_ahead()
    if process is not None:
        process.kill()
        process.wait()
