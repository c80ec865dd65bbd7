"""Talking to fans over WiFi: uploads, control, fleets, and an emulated fan.

    from holopack.fans import plan_uploads, push_plan, fan_command, EmulatedFan
    plan = plan_uploads("shop/", device="3dcircle-42f2")   # what goes onto the fan, in order
    report = push_plan(plan, "192.168.4.1")                 # upload, resume, check the listing
    fan_command("192.168.4.1", "next")

Modules: protocol_42f2 / protocol_legacy (the bytes and a client each, from the public
sources), protocols.toml (ports, block sizes, pacing per device format), content (what a
path means for a fan), push (one fan), fleet (fleet.toml, many fans in parallel), control
(everyday commands and the guard on erasing ones), journal (uploads cut off in earlier
runs), emulator (a fan on loopback). docs/fans-network.md describes the whole.
"""

from ..lazy import attributes

# Lazy: `holopack --help` and every other command import this package's cli module;
# they should not pay for the rest (about 0.2 s).
_WHERE = {
    "plan_uploads": "content",
    "push_plan": "push",
    "push_fleet": "fleet",
    "load_fleet": "fleet",
    "fan_command": "control",
    "EmulatedFan": "emulator",
    "Faults": "emulator",
}


__getattr__ = attributes(__name__, _WHERE, globals())

__all__ = list(_WHERE)
