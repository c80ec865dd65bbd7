"""Ctrl-C is never lost (holopack.interrupt), and the CLI reports it as an interrupt."""

from __future__ import annotations

import os
import signal

import pytest

from holopack import interrupt
from holopack.interrupt import sigint_guard


def _swallowed_sigint():
    """Deliver a SIGINT to ourselves where a C caller would swallow the exception."""
    try:
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # the handler runs at the next bytecode boundary
            pass
    except KeyboardInterrupt:
        pass


def test_a_swallowed_interrupt_comes_back_at_the_next_check():
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with sigint_guard():
            _swallowed_sigint()
            interrupt.check()
            pytest.fail("check() did not raise")
    assert signal.getsignal(signal.SIGINT) is before
    interrupt.check()  # nothing pending once the guard is left


def test_an_error_after_an_interrupt_leaves_as_the_interrupt():
    with pytest.raises(KeyboardInterrupt) as caught:
        with sigint_guard():
            _swallowed_sigint()
            raise ImportError("numba._devicearray failed to import")
    assert isinstance(caught.value.__cause__, ImportError)


def test_errors_without_an_interrupt_pass_through():
    with pytest.raises(ImportError):
        with sigint_guard():
            raise ImportError("a real one")
    with sigint_guard():
        interrupt.check()  # no SIGINT: nothing to raise


def test_a_stop_signal_inside_deferred_waits_for_the_block_while_other_threads_run():
    # the block's mask is the main thread's own: a signal sent to the process is taken
    # by a thread that leaves it unblocked (a pool's, a queue's feeder), and Python then
    # ran the handler in the main thread in the middle of the block all the same
    import threading
    import time

    from holopack.interrupt import deferred

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    seen = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    try:
        with deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            seen.append("end of block")
        for _ in range(100):  # delivered as the block ends, through the handler it found
            if len(seen) == 2:
                break
            time.sleep(0.001)
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop.set()
        other.join()
    assert seen == ["end of block", signal.SIGTERM]
