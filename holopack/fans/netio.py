"""Socket helpers shared by the fan clients: connect, exact reads, errors in words."""

from __future__ import annotations

import errno
import socket

from .faults import FanError


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
