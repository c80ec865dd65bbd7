"""Day-to-day control of one fan: status, list, play, pause, next, prev, brightness; and the
destructive ones (format, clear-cache, delete), which need ``yes=True`` and the fan's
address typed back as a confirmation. Every check happens before a connection is opened,
so a refused command sends nothing at all.

    from holopack.fans.control import fan_command
    fan_command("192.168.4.1", "next", device="3dcircle-42f2")
    fan_command("192.168.4.1", "format", yes=True, confirm="192.168.4.1")
"""

from __future__ import annotations

from ..errors import InputError
from . import journal
from .address import FanAddress
from .protocol_42f2 import COMMANDS as F2_COMMANDS
from .protocol_legacy import COMMANDS as LEGACY_COMMANDS
from .protocol_legacy import delete_command
from .protocols import make_client, protocol_for

ACTIONS = ("status", "list", "play", "pause", "next", "prev", "brightness", "format", "clear-cache", "delete")
DESTRUCTIVE = ("format", "clear-cache", "delete")

_UNSUPPORTED = {
    ("42f2", "delete"): "the 42-F2 has no per-clip delete over WiFi (holofan-studio found none in the "
    "vendor app); `format` erases every clip",
    ("legacy224", "next"): "no public source gives the legacy fan's next command",
    ("legacy224", "prev"): "no public source gives the legacy fan's previous command",
    ("legacy224", "brightness"): "no public source gives the legacy fan's brightness command",
    (
        "legacy224",
        "format",
    ): "no public source gives the legacy fan's format command; delete clips one by one",
    ("legacy224", "clear-cache"): "no public source gives the legacy fan's clear-cache command",
}


def check_confirmation(action: str, address: FanAddress, yes: bool, confirm: str | None) -> None:
    """Raise unless a destructive ``action`` carries --yes and the typed address."""
    if action not in DESTRUCTIVE:
        return
    if not yes:
        raise InputError(
            f"`{action}` erases content on the fan at {address}: add --yes and type the "
            "fan's address to confirm (nothing was sent)"
        )
    if confirm is None or not address.matches(confirm):
        typed = "nothing" if confirm is None else repr(confirm.strip())
        raise InputError(
            f"`{action}` needs the fan's address typed as confirmation; got {typed}, "
            f"expected {address.host!r} (nothing was sent)"
        )


def plan_command(protocol: str, action: str, arg: str | None) -> None:
    """Raise InputError for an action or argument this fan does not have."""
    if action not in ACTIONS:
        raise InputError(f"unknown fan command {action!r} (commands: {', '.join(ACTIONS)})")
    if (protocol, action) in _UNSUPPORTED:
        raise InputError(_UNSUPPORTED[(protocol, action)])
    if action == "brightness" and arg not in ("up", "down"):
        raise InputError(f"brightness takes up or down, got {arg!r}")
    if action == "delete" and not arg:
        raise InputError("delete takes the clip's index (from `status`) or its name")
    if action not in ("brightness", "delete") and arg is not None:
        raise InputError(f"{action} takes no argument, got {arg!r}")


def fan_command(
    address,
    action: str,
    arg: str | None = None,
    device: str = "3dcircle-42f2",
    yes: bool = False,
    confirm: str | None = None,
    timeout: float | None = None,
) -> dict:
    """Run ``action`` on the fan at ``address``; returns what was sent and the fan's status."""
    if isinstance(address, str):
        address = FanAddress.parse(address)
    proto = protocol_for(device)
    plan_command(proto.protocol, action, arg)
    check_confirmation(action, address, yes, confirm)
    client = make_client(proto, address.host, address.port, address.upload_port, timeout=timeout)
    sent, note = [], None
    if proto.protocol == "42f2":
        payload = None
        if action in ("play", "pause"):
            before = client.status()
            want = action == "play"
            if before.playing is want:
                note = f"already {'playing' if want else 'paused'}"
            else:
                payload = F2_COMMANDS["play-pause"]  # the fan has one toggle
                if before.playing is None:
                    note = "the fan did not say whether it plays; sent its play/pause toggle"
        elif action == "brightness":
            payload = F2_COMMANDS[f"brightness-{arg}"]
        elif action not in ("status", "list"):
            payload = F2_COMMANDS[action]
        if payload is not None:
            client.send(payload, erase=action in DESTRUCTIVE)
            sent.append(action if action != "brightness" else f"brightness {arg}")
            if action == "format":
                journal.forget(journal.fan_key(client.host, client.port))
    else:
        if action in ("play", "pause"):
            client.send(LEGACY_COMMANDS[action])
            sent.append(action)
        elif action == "delete":
            before = client.status()
            assert arg is not None  # plan_command refuses a delete without one
            index = _legacy_index(before, arg)
            client.send(delete_command(index), erase=True)
            sent.append(f"delete {index} ({before.files[index - 1]})")
            journal.forget(journal.fan_key(client.host, client.port), before.files[index - 1])
    status = client.status()
    return {
        "fan": str(address),
        "device": str(device),
        "action": action,
        "sent": sent,
        "note": note,
        "status": status.to_dict(),
    }


def _legacy_index(status, arg: str) -> int:
    if arg.isdigit():
        index = int(arg)
        if not 1 <= index <= len(status.indices) or index not in status.indices:
            raise InputError(f"the fan lists no clip {index} (it has {len(status.files)})")
        return index
    matches = [i for i, name in zip(status.indices, status.files) if name == arg]
    if not matches:
        raise InputError(f"the fan lists no clip named {arg!r}")
    if len(matches) > 1:
        raise InputError(
            f"the fan lists {arg!r} {len(matches)} times: give its index ({', '.join(map(str, matches))})"
        )
    return matches[0]


def format_status(result: dict) -> str:
    """The status as lines for a person."""
    st = result["status"]
    lines = []
    if result.get("sent"):
        lines.append(f"sent: {', '.join(result['sent'])}")
    if result.get("note"):
        lines.append(result["note"])
    state = {True: "playing", False: "paused", None: "play state unknown"}[st.get("playing")]
    if st.get("powered") is False:
        state += ", standby"
    files = st.get("files", [])
    lines.append(
        f"{result['fan']} ({result['device']}): {len(files)} clip{'s' if len(files) != 1 else ''}, {state}"
    )
    current = st.get("current")
    indices = st.get("indices") or list(range(len(files)))
    for index, name in zip(indices, files):
        mark = ">" if current is not None and index == current else " "
        shown = index if "indices" in st else index + 1
        lines.append(f" {mark} {shown:2d}  {name}")
    return "\n".join(lines)
