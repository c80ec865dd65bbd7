"""Ctrl-C that is not lost.

Python turns SIGINT into a KeyboardInterrupt in whatever Python code runs next. When
that code is a callback called from C (Numba's compiler calls one as it loads cached
kernels), the C caller prints the exception as "ignored" and carries on, and an export
would run to the end as though Ctrl-C had never been pressed; a C extension that is
being imported prints it and fails with an ImportError instead. Inside ``sigint_guard``
a SIGINT is also remembered: ``check()``, which the frame loop calls after every frame,
raises it again; any other error that leaves the guard after a SIGINT leaves it as a
KeyboardInterrupt; and the C callers' printouts of the interrupt are not shown.

SIGTERM and SIGHUP (a closed terminal, ``kill``, a service manager stopping us) are
handled exactly like SIGINT, so every interruption cleans up the same way: temporary
files removed, worker processes ended, the previous output left as it was.
``deferred()`` holds these signals back for a few renames that must happen together.
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager

_pending = False
# the signals that mean "stop now, clean up": handled alike
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _on_sigint(signum, frame):
    global _pending
    _pending = True
    raise KeyboardInterrupt


def check() -> None:
    """Raise KeyboardInterrupt if a SIGINT arrived inside the guard (once)."""
    global _pending
    if _pending:
        _pending = False
        raise KeyboardInterrupt


@contextmanager
def sigint_guard():
    """Remember SIGINTs for ``check`` while the block runs (main thread only: Python
    handles signals there; elsewhere the guard does nothing)."""
    global _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_handlers = {sig: signal.signal(sig, _on_sigint) for sig in STOP_SIGNALS}
    previous_hook = sys.unraisablehook

    def hook(unraisable):
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            previous_hook(unraisable)

    def excepthook(kind, value, traceback):
        if not issubclass(kind, KeyboardInterrupt):
            previous_excepthook(kind, value, traceback)

    previous_excepthook = sys.excepthook
    sys.unraisablehook, sys.excepthook = hook, excepthook
    _pending = False
    try:
        yield
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        if _pending:  # the interrupt came back as another error (an import that failed)
            raise KeyboardInterrupt from exc
        raise
    finally:
        _pending = False
        sys.unraisablehook, sys.excepthook = previous_hook, previous_excepthook
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)


@contextmanager
def deferred():
    """Hold SIGINT/SIGTERM/SIGHUP back while the block runs (a commit of a few renames
    that must not stop halfway, the spawning of worker processes); a signal that
    arrived is delivered when it ends. Blocking the signals is not enough on its own:
    the mask is the calling thread's, and a signal sent to the process is taken by
    any other thread (a pool's, a queue's feeder) whose flag then runs Python's handler
    in the main thread all the same, so the block's own handler only records it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []

    def hold(signum, frame):
        arrived.append(signum)

    previous = {sig: signal.signal(sig, hold) for sig in STOP_SIGNALS}
    masked = hasattr(signal, "pthread_sigmask")
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS) if masked else None
    try:
        yield
    finally:
        if masked:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(arrived):  # each once, in the order they came
            signal.raise_signal(sig)  # now through the handler the block found
