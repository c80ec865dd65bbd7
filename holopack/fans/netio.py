"""Socket helpers shared by the fan clients: connect, errors in words, a peer that is not a
fan recognised by its first bytes, and a switch that ends every fan connection at once.

``stop_all()`` is for Ctrl-C on a fleet: Python raises KeyboardInterrupt in the main thread
only, while each fan's thread may sit in a send or a receive for up to ``--timeout``
seconds and then retry. It shuts down every open fan socket (a blocked call returns at
once) and makes every later ``connect`` fail, until ``resume()``.
"""

from __future__ import annotations

import errno
import socket
import struct
import threading
import weakref
from dataclasses import dataclass

from .faults import FanError, NotAFan

_open: weakref.WeakSet = weakref.WeakSet()  # sockets that connect() handed out
_lock = threading.Lock()
STOPPED = threading.Event()  # set by stop_all(): connect() refuses, pauses end (wait on it)


@dataclass
class FanLink:
    """Where one fan listens and how long to wait for it: what the clients of every
    protocol hold (each protocol's client adds its own settings and default port)."""

    host: str
    port: int
    timeout: float = 10.0  # seconds without progress before a link counts as dead
    close_wait: float = 10.0  # after an upload, how long to wait for the fan to close its side


def network_error(exc: OSError, host: str, port: int, doing: str) -> FanError:
    if isinstance(exc, socket.timeout):
        return FanError(f"no answer from the fan while {doing} (timed out)", retryable=True)
    if isinstance(exc, ConnectionRefusedError):
        return FanError(f"nothing listens at {host}:{port} (connection refused)", retryable=True)
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)) or exc.errno in (
        errno.ECONNRESET,
        errno.EPIPE,
    ):
        return FanError(f"the connection dropped while {doing}", retryable=True)
    if isinstance(exc, socket.gaierror):
        return FanError(f"cannot resolve the fan's address {host!r}")
    return FanError(f"network error while {doing}: {exc.strerror or exc}", retryable=True)


def connect(host: str, port: int, timeout: float) -> socket.socket:
    if STOPPED.is_set():
        raise FanError("the push was interrupted")
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        # nothing answered the connection at all (a fan that is off, out of range, or an
        # address nothing routes to), not a fan that went quiet halfway
        raise FanError(f"no answer from {host}:{port} while connecting (timed out)", retryable=True) from None
    # the vendor app and holofan-studio send each message as its own segment
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with _lock:
        _open.add(sock)
    if STOPPED.is_set():  # stop_all() ran while this one was connecting
        sock.close()
        raise FanError("the push was interrupted")
    return sock


def unsent(sock: socket.socket) -> int:
    """Bytes in the socket's send queue the peer has not yet acknowledged (Linux SIOCOUTQ;
    0 where the system does not say)."""
    try:
        import fcntl  # POSIX only: on Windows the close wait counts from END, as before
        import termios

        raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (ImportError, OSError, AttributeError, ValueError):
        return 0
    return int(struct.unpack("i", raw)[0])


def stop_all() -> None:
    """End every fan connection now and refuse new ones (Ctrl-C on a fleet)."""
    STOPPED.set()
    with _lock:
        live = list(_open)
    for sock in live:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # closed already


def resume() -> None:
    """Allow connections again after ``stop_all``."""
    STOPPED.clear()


# First bytes of services a mistyped address or port reaches instead of a fan
_FOREIGN = (
    (b"HTTP/", "HTTP (a web server or a router's page)"),
    (b"SSH-", "SSH (a computer's login service)"),
)


def check_is_fan(first: bytes) -> None:
    """Raise NotAFan when ``first`` (what a peer sent first) is another service's
    greeting: a fan never sends these, and another try will not change it."""
    for prefix, what in _FOREIGN:
        if first.startswith(prefix):
            raise NotAFan(
                f"what answers there speaks {what}, not a fan's protocol: check the address and port"
            )
