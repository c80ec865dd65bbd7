"""A fan's address as the user typed it: ``HOST[:PORT]`` (``[v6]:PORT`` for IPv6).

holopack has no default address: traffic goes only where the user points it. A fan on
its own access point is 192.168.4.1; behind a bridge it is the bridge's address and the
port the bridge forwards (docs/fans-network.md).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class FanAddress:
    host: str
    port: int | None = None  # None: the protocol's own port
    upload_port: int | None = None  # legacy fans only; None: derived from port

    @classmethod
    def parse(cls, text: str, upload_port: int | None = None) -> FanAddress:
        text = str(text).strip()
        match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?", text) or re.fullmatch(
            r"([^:\s\[\]]+)(?::(\d+))?", text
        )
        if not match:
            if text.count(":") >= 2 and _is_ipv6(text):
                # bare IPv6: "fe80::1:5233" reads as an address or as one with a port, so
                # the brackets are required rather than guessed
                raise InputError(
                    f"fan address {text!r}: write an IPv6 address in brackets, [{text}] or [{text}]:PORT"
                )
            raise InputError(f"fan address {text!r} is not HOST or HOST:PORT")
        host, port = match.group(1), match.group(2)
        if port is not None and not 0 < int(port) < 65536:
            raise InputError(f"fan address {text!r}: port must be 1-65535")
        if upload_port is not None and not 0 < upload_port < 65536:
            raise InputError(f"upload port must be 1-65535, got {upload_port}")
        return cls(host, None if port is None else int(port), upload_port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    def matches(self, typed: str) -> bool:
        """True when ``typed`` (a confirmation) names this fan: its host, or host:port."""
        typed = typed.strip()
        return typed in (self.host, str(self))


def _is_ipv6(text: str) -> bool:
    """Whether ``text`` reads as an IPv6 address (``192.168.4.1:20320:1``, a typo of two
    ports, does not, and is not told to put itself in brackets)."""
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True
