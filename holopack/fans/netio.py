"""Socket helpers shared by the fan clients: connect, exact reads, errors in words."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from .faults import FanError


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
    sock = socket.create_connection((host, port), timeout=timeout)
    # the vendor app and holofan-studio send each message as its own segment
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
