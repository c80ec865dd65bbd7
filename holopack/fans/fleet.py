"""Fleets: several fans named in a fleet.toml, pushed in parallel (one thread per fan:
the work is waiting on sockets), with one progress line and a JSON report per fan.

    # fleet.toml
    [defaults]                      # optional, for every fan that does not say otherwise
    device = "3dcircle-42f2"

    [[fans]]
    name = "window-left"
    address = "10.0.0.11"           # HOST[:PORT] as this machine reaches the fan (a bridge)
    folder = "3dcircle-42f2"        # which device folder of the package it shows (optional)

    [[fans]]
    name = "wall-r0c1"
    address = "10.0.0.12:20320"
    wall_fan = "r0c1"               # for a wall folder: which fan of the wall it is

See docs/fans-network.md. One fan's failure (a full card, a dead link) is in its report;
the other fans carry on.
"""

from __future__ import annotations

import concurrent.futures as futures
import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from functools import partial

from ..atomic import atomic_output
from ..errors import InputError, OutputError
from ..textfile import read_text, toml_loads
from . import journal, netio
from .address import FanAddress
from .content import plan_uploads
from .protocols import protocol_for
from .push import push_plan
from .transfer_progress import TransferProgress

_FAN_KEYS = {"name", "address", "device", "folder", "wall_fan", "upload_port"}
_DEFAULT_KEYS = {"device", "folder"}


@dataclass(frozen=True)
class FleetFan:
    name: str
    address: FanAddress
    device: str | None = None
    folder: str | None = None
    wall_fan: str | None = None


def load_fleet(path: str) -> list[FleetFan]:
    """Read and check a fleet.toml; every fault names the file and the fan."""
    path = os.fspath(path)
    text = read_text(path, "fleet file")  # a regular file only: /dev/zero filled the memory
    try:
        data = toml_loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})", path) from None
    unknown = set(data) - {"defaults", "fans"}
    if unknown:
        raise InputError(
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(sorted(unknown))} "
            "(expected [defaults] and [[fans]])",
            path,
        )
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict) or set(defaults) - _DEFAULT_KEYS:
        raise InputError(f"[defaults] may set only {', '.join(sorted(_DEFAULT_KEYS))}", path)
    fans = data.get("fans")
    if not isinstance(fans, list) or not fans:
        raise InputError("no [[fans]]: a fleet names at least one fan", path)
    out, names = [], set()
    addresses: dict[str, str] = {}  # address -> the name of the fan there
    for number, entry in enumerate(fans, start=1):
        fan, where = _fleet_fan(entry, number, defaults, path)
        if str(fan.address) in addresses:
            raise InputError(
                f"{where}: a second fan at {fan.address} ({addresses[str(fan.address)]} is there)", path
            )
        if fan.name in names:
            raise InputError(f"{where}: a second fan named {fan.name!r}", path)
        names.add(fan.name)
        addresses[str(fan.address)] = fan.name
        out.append(fan)
    return out


def _check_one_entry_per_fan(fans: list[FleetFan], plans: list) -> None:
    """Two entries that reach one fan however they spell it (``HOST`` and ``HOST:20320``,
    a host name in other capitals): refused, since a fan takes one connection at a time and
    two threads would cut each other's uploads off."""
    seen: dict[str, str] = {}
    for fan, plan in zip(fans, plans):
        key = journal.fan_key(fan.address.host.lower(), _port(fan, plan))
        if key in seen:
            raise InputError(
                f"fans {seen[key]} and {fan.name} are the same fan ({key}): a fan takes one push at a time"
            )
        seen[key] = fan.name


def _port(fan: FleetFan, plan) -> int:
    """The port the fan is reached on: the address's, or its protocol's own."""
    return fan.address.port or protocol_for(plan.profile).port


def check_report_folder(folder: str) -> None:
    """Make the report folder and prove it takes a file, before any traffic: a push of
    minutes should not end without its reports."""
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write reports here ({exc.strerror}); nothing was sent", folder) from None


def _fleet_fan(entry, number: int, defaults: dict, path: str) -> tuple[FleetFan, str]:
    """One [[fans]] entry, checked, and the words that name it in errors."""
    where = f"fan {number}"
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected a table", path)
    if entry.get("name"):
        where += f" ({entry['name']})"
    unknown = set(entry) - _FAN_KEYS
    if unknown:
        raise InputError(
            f"{where}: unknown key {', '.join(sorted(unknown))} (keys: {', '.join(sorted(_FAN_KEYS))})",
            path,
        )
    if not isinstance(entry.get("address"), str):
        raise InputError(f'{where}: needs address = "HOST[:PORT]"', path)
    for key in ("name", "device", "folder", "wall_fan"):
        if key in entry and not isinstance(entry[key], str):
            raise InputError(f"{where}: {key} must be a string", path)
    if "upload_port" in entry and not isinstance(entry["upload_port"], int):
        raise InputError(f"{where}: upload_port must be an integer", path)
    try:
        address = FanAddress.parse(entry["address"], entry.get("upload_port"))
    except InputError as exc:
        raise InputError(f"{where}: {exc.message}", path) from None
    fan = FleetFan(
        name=entry.get("name") or str(address),
        address=address,
        device=entry.get("device", defaults.get("device")),
        folder=entry.get("folder", defaults.get("folder")),
        wall_fan=entry.get("wall_fan"),
    )
    return fan, where


def report_file_name(fan: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", fan).strip("._") + ".json"


def write_report(report, folder: str) -> str:
    """Write one fan's report as ``folder/<fan>.json`` (atomically)."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot make the report folder ({exc.strerror})", folder) from None
    path = os.path.join(folder, report_file_name(report.fan))
    with atomic_output(path) as temp:
        with open(temp, "w", encoding="utf-8") as f:
            json.dump(report.to_dict(), f, indent=2)
            f.write("\n")
    return path


def push_fleet(
    fans: list[FleetFan],
    source: str,
    retries: int = 3,
    backoff: float = 0.5,
    packet_delay: float | None = None,
    timeout: float | None = None,
    report_dir: str | None = None,
    progress: bool = True,
    sleep=None,
) -> list:
    """Push ``source`` (a package, wall folder, ...) to every fan at once; returns their
    reports in fleet order. Every plan is made (and every file hashed) before any traffic."""
    plans = []
    for fan in fans:
        try:
            plans.append(plan_uploads(source, device=fan.device, wall_fan=fan.wall_fan, folder=fan.folder))
        except InputError as exc:
            raise InputError(f"fan {fan.name}: {exc}") from None
    _check_one_entry_per_fan(fans, plans)
    if report_dir:
        check_report_folder(report_dir)
    bar = TransferProgress(
        sum(p.total_bytes for p in plans), label=f"push {len(fans)} fans", enabled=progress
    )
    # every fan's settings, given once; a pause between retries ends early on Ctrl-C
    push_one = partial(
        push_plan,
        retries=retries,
        backoff=backoff,
        packet_delay=packet_delay,
        timeout=timeout,
        sleep=netio.STOPPED.wait if sleep is None else sleep,
    )
    pool = futures.ThreadPoolExecutor(max_workers=len(fans), thread_name_prefix="push")
    try:
        jobs = [
            pool.submit(push_one, plan, fan.address, fan=fan.name, progress=bar)
            for fan, plan in zip(fans, plans)
        ]
        reports = [job.result() for job in jobs]
    except KeyboardInterrupt:
        # Ctrl-C reaches this thread only; the fans' threads would carry on to the end of
        # their pushes (minutes on a real fan) while the executor waited for them
        netio.stop_all()
        pool.shutdown(wait=True, cancel_futures=True)
        # what the journal holds as begun and not confirmed: what the next push sends again
        unfinished = []
        for fan, plan in zip(fans, plans):
            begun, _ = journal.read(journal.fan_key(fan.address.host, _port(fan, plan)))
            unfinished += [f"{fan.name} ({u.name})" for u in plan.uploads if u.name in begun]
        raise KeyboardInterrupt(
            f"the push stopped; unfinished: {', '.join(unfinished)}: the next push sends those "
            "again and skips what each fan holds"
            if unfinished
            else "the push stopped between files: the next push skips what each fan holds"
        ) from None
    finally:
        pool.shutdown(wait=True)
        netio.resume()
    bar.finish()
    if report_dir:
        for report in reports:
            write_report(report, report_dir)
    return reports
