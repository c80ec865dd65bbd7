"""Which protocol a device speaks, and its settings (protocols.toml), as a client factory."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass

from ..errors import InputError
from .protocol_42f2 import Client42F2
from .protocol_legacy import ClientLegacy

_TABLE = os.path.join(os.path.dirname(__file__), "protocols.toml")
LEGACY_UPLOAD_OFFSET = 5499 - 5233  # the real fan's upload port sits this far above control


@dataclass(frozen=True)
class FanProtocol:
    format: str
    protocol: str
    port: int
    upload_port: int | None = None
    block_bytes: int = 0x3C000
    packet_delay_s: float = 0.0
    timeout_s: float = 10.0
    close_wait_s: float = 10.0
    description: str = ""


def _table() -> dict:
    with open(_TABLE, "rb") as f:
        return tomllib.load(f)


def protocol_for(profile) -> FanProtocol:
    """The protocol of a device profile (a DeviceProfile or its name)."""
    if isinstance(profile, (str, os.PathLike)):
        from ..device import load_profile

        profile = load_profile(profile)
    table = _table()
    entry = table.get(profile.format)
    if entry is None:
        known = ", ".join(sorted(table))
        raise InputError(
            f"holopack cannot talk to {profile.name} fans over WiFi: no public "
            f"protocol for its {profile.format!r} files (fans with a protocol: {known})"
        )
    return FanProtocol(format=profile.format, **entry)


def make_client(
    proto: FanProtocol,
    host: str,
    port: int | None = None,
    upload_port: int | None = None,
    packet_delay: float | None = None,
    timeout: float | None = None,
):
    """A client for one fan; ``port`` None means the protocol's default."""
    port = proto.port if port is None else port
    timeout = proto.timeout_s if timeout is None else timeout
    if proto.protocol == "42f2":
        return Client42F2(
            host, port, timeout=timeout, block_bytes=proto.block_bytes, close_wait=proto.close_wait_s
        )
    if proto.protocol == "legacy224":
        if upload_port is None:
            if port == proto.port:
                assert proto.upload_port is not None  # protocols.toml gives legacy224 its upload port
                upload_port = proto.upload_port
            else:
                upload_port = port + LEGACY_UPLOAD_OFFSET
        return ClientLegacy(
            host,
            port,
            upload_port=upload_port,
            timeout=timeout,
            packet_delay=proto.packet_delay_s if packet_delay is None else packet_delay,
            close_wait=proto.close_wait_s,
        )
    raise InputError(f"unknown fan protocol {proto.protocol!r} in {_TABLE}")
