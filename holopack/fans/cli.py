"""Command-line wiring of `holopack push`, `holopack fan` and `holopack emulate-fan`.

holopack/cli.py registers them with ``add_push_parser(sub); add_fan_parser(sub);
add_emulate_parser(sub)``; each parser runs its command (``args.run(args)``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from ..argtypes import add_command, count, given, non_negative_float, port, positive_float, positive_int
from ..errors import InputError


def add_push_parser(sub) -> argparse.ArgumentParser:
    p = add_command(sub, "push", cmd_push)
    p.add_argument("path", help="device file, package folder, device folder, wall folder or folder of files")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--fan", metavar="HOST[:PORT]", help="the fan's address (on its own access point: 192.168.4.1)"
    )
    target.add_argument("--fleet", metavar="FLEET.toml", help="push to every fan of a fleet, in parallel")
    p.add_argument(
        "--device", metavar="NAME", help="device profile (default: from the package, or the file's layout)"
    )
    p.add_argument(
        "--folder", metavar="NAME", help="the package's device folder to use (default: the device's)"
    )
    p.add_argument("--wall-fan", metavar="NAME", help="for a wall folder: which fan of the wall this is")
    p.add_argument(
        "--upload-port",
        type=port,
        metavar="N",
        help="legacy fan: upload port (default: the control port + 266, as on the fan: 5233 and 5499)",
    )
    p.add_argument(
        "--retries",
        type=count,
        default=3,
        metavar="N",
        help="attempts after the first for a dropped or garbled transfer (default 3)",
    )
    p.add_argument(
        "--backoff",
        type=non_negative_float,
        default=0.5,
        metavar="S",
        help="seconds before the first retry, doubling each time (default 0.5)",
    )
    p.add_argument(
        "--pace",
        type=non_negative_float,
        metavar="S",
        help="pause between packets for fans that need one (default: the fan's, "
        "30 ms for the legacy fan, none for the 42-F2)",
    )
    p.add_argument(
        "--timeout",
        type=positive_float,
        metavar="S",
        help="seconds without progress before a link counts as dead (default 10)",
    )
    p.add_argument(
        "--report",
        metavar="DIR",
        help="write a JSON report per fan into DIR (default with "
        "--fleet: FLEET-report/ beside the fleet file)",
    )
    p.add_argument("--json", action="store_true", help="print the reports as JSON on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    return p


def add_fan_parser(sub) -> argparse.ArgumentParser:
    p = add_command(sub, "fan", cmd_fan)
    p.add_argument("host", metavar="HOST[:PORT]", help="the fan's address")
    p.add_argument(
        "action",
        choices=[
            "status",
            "list",
            "play",
            "pause",
            "next",
            "prev",
            "brightness",
            "format",
            "clear-cache",
            "delete",
        ],
    )
    p.add_argument("arg", nargs="?", help="brightness: up or down; delete: the clip's index or name")
    p.add_argument(
        "--device", default="3dcircle-42f2", metavar="NAME", help="device profile (default 3dcircle-42f2)"
    )
    p.add_argument("--yes", action="store_true", help="allow a command that erases content")
    p.add_argument(
        "--confirm",
        metavar="ADDRESS",
        help="the fan's address, typed, to confirm an erasing command without the prompt",
    )
    p.add_argument(
        "--timeout", type=positive_float, metavar="S", help="seconds to wait for the fan (default 10)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    return p


def add_emulate_parser(sub) -> argparse.ArgumentParser:
    p = add_command(sub, "emulate-fan", cmd_emulate_fan)
    p.add_argument(
        "--device",
        required=True,
        choices=list(FAN_DEVICES),
        help="the fan whose protocol it speaks",
    )
    p.add_argument(
        "--port", type=port, required=True, metavar="N", help="port to listen on (0: any free port)"
    )
    p.add_argument(
        "--upload-port",
        type=port,
        metavar="N",
        help="legacy fan: upload port (default --port + 266; with --port 0 any free port, printed)",
    )
    p.add_argument("--store", required=True, metavar="DIR", help="folder that plays the fan's card")
    p.add_argument("--log", metavar="FILE", help="append every event as a JSON line")
    g = p.add_argument_group("faults")
    g.add_argument(
        "--drop-after",
        type=count,
        metavar="BYTES",
        help="drop an upload's connection after this many bytes",
    )
    g.add_argument(
        "--drop-times",
        type=positive_int,
        default=1,
        metavar="N",
        help="...for the first N uploads (default 1)",
    )
    g.add_argument("--slow", type=positive_float, metavar="KB_PER_S", help="a slow link (kB/s)")
    g.add_argument(
        "--disk-bytes",
        type=count,
        metavar="BYTES",
        help="card size: a file that does not fit is not kept",
    )
    g.add_argument(
        "--garble-acks",
        type=count,
        default=0,
        metavar="N",
        help="garble the first N upload acknowledgements",
    )
    return p


def _print_report(report, out) -> None:
    print(report.summary(), file=out)  # a failure's reason is on this one line
    for warning in report.warnings:
        print(f"  warning: {warning}", file=out)
    if report.listing or report.ok:
        print(f"  on the fan: {', '.join(report.listing) if report.listing else 'nothing'}", file=out)
    if report.extra:
        print(f"  also on the fan (it plays these too): {', '.join(report.extra)}", file=out)


def cmd_push(args) -> int:
    """upload a device file, a package or a wall folder to fans over WiFi

    Upload PATH (a device file, a package folder or one of its device folders, a wall folder, or
    a folder of device files) to one fan (--fan) or to every fan of a fleet.toml
    (--fleet), in the fan's name order, skipping files the fan already lists, then check
    the fan's listing. See docs/fans-network.md.
    """
    from .address import FanAddress
    from .content import plan_uploads
    from .fleet import check_report_folder, load_fleet, push_fleet, write_report
    from .push import push_plan
    from .transfer_progress import TransferProgress

    if args.fleet:
        if args.wall_fan or args.upload_port:
            raise InputError(
                "--wall-fan and --upload-port are per fan: set wall_fan / upload_port in the fleet file"
            )
        fans = load_fleet(args.fleet)
        if args.device or args.folder:
            fans = [
                type(f)(
                    name=f.name,
                    address=f.address,
                    device=f.device or args.device,
                    folder=f.folder or args.folder,
                    wall_fan=f.wall_fan,
                )
                for f in fans
            ]
        report_dir = args.report or os.path.splitext(os.path.abspath(args.fleet))[0] + "-report"
        reports = push_fleet(
            fans,
            args.path,
            retries=args.retries,
            backoff=args.backoff,
            packet_delay=args.pace,
            timeout=args.timeout,
            report_dir=report_dir,
            progress=not args.quiet,
        )
        print(f"reports: {report_dir}{os.sep}<fan>.json", file=sys.stderr)
    else:
        address = FanAddress.parse(args.fan, args.upload_port)
        plan = plan_uploads(args.path, device=args.device, wall_fan=args.wall_fan, folder=args.folder)
        for note in plan.notes:
            print(note, file=sys.stderr)
        if args.report:
            check_report_folder(args.report)
        bar = TransferProgress(plan.total_bytes, label=f"push {address}", enabled=not args.quiet)
        report = push_plan(
            plan,
            address,
            retries=args.retries,
            backoff=args.backoff,
            packet_delay=args.pace,
            timeout=args.timeout,
            progress=bar,
        )
        bar.finish()
        reports = [report]
        if args.report:
            write_report(report, args.report)
    for report in reports:
        _print_report(report, sys.stderr)
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    failed = [r for r in reports if not r.ok]
    if failed and len(reports) > 1:
        print(
            f"holopack: error: {len(failed)} of {len(reports)} fans failed: "
            f"{', '.join(r.fan for r in failed)}",
            file=sys.stderr,
        )
    elif failed:
        print(f"holopack: error: {failed[0].address}: {failed[0].error}", file=sys.stderr)
    return 1 if failed else 0


def _ask_confirmation(args, address) -> str | None:
    if args.confirm is not None or not args.yes:
        return args.confirm
    from .control import DESTRUCTIVE

    if args.action not in DESTRUCTIVE:
        return None
    print(
        f"`{args.action}` erases content on the fan at {address}. Type its address "
        f"({address.host}) to go on: ",
        end="",
        file=sys.stderr,
        flush=True,
    )
    line = sys.stdin.readline()
    if not sys.stdin.isatty():
        print(file=sys.stderr)  # the answer was not echoed: end the prompt's line
    return line.strip() if line else None


def cmd_fan(args) -> int:
    """control one fan: status, list, play, pause, next, prev, brightness

    Control one fan over WiFi. format, clear-cache and delete erase content: they need
    --yes and the fan's address typed as confirmation (asked on the terminal, or
    --confirm ADDRESS).
    """
    from .address import FanAddress
    from .control import check_confirmation, fan_command, format_status, plan_command
    from .faults import FanError
    from .protocols import protocol_for

    address = FanAddress.parse(args.host)
    action = args.action
    plan_command(protocol_for(args.device).protocol, action, args.arg)  # before asking anything
    if action in ("format", "clear-cache", "delete") and not args.yes:
        check_confirmation(action, address, False, None)  # refuses, nothing sent
    confirm = _ask_confirmation(args, address)
    try:
        result = fan_command(
            address, action, args.arg, device=args.device, yes=args.yes, confirm=confirm, timeout=args.timeout
        )
    except FanError as exc:
        raise _with_device_hint(exc, args.device, address) from None
    print(json.dumps(result, indent=2) if args.json else format_status(result))
    return 0


# the fans holopack speaks to (holopack/fans/protocols.toml), by their shipped profiles
FAN_DEVICES = ("3dcircle-42f2", "legacy-224")


def _with_device_hint(exc, device: str, address):
    """The fan's fault (a FanError) with its address and the kind of fan it was spoken to
    as: a legacy fan spoken to as a 42-F2 (the default) says nothing on its ports and times
    out, and a 42-F2 spoken to as a legacy fan drops the link, neither of which names the
    cause. A peer that is no fan at all (NotAFan) needs no such hint."""
    from .faults import FanError, NotAFan

    if isinstance(exc, NotAFan):
        return FanError(f"{address}: {exc.message}", exc.path)
    others = ", ".join(d for d in FAN_DEVICES if d != device) or "its profile"
    hint = f"spoken to as a {device}: another kind of fan needs --device ({others})"
    return FanError(f"{address}: {exc.message}; {hint}", exc.path, retryable=exc.retryable)


def cmd_emulate_fan(args) -> int:
    """an emulated fan on a loopback address, for tests and demos

    Speak a fan's WiFi protocol on 127.0.0.1, store uploads in --store, answer list and
    status, and inject faults on request. Prints the address it listens on, then one line
    per event; Ctrl-C stops it.
    """
    from .emulator import EmulatedFan, Faults

    faults = Faults(
        **given(args, "drop_after", "drop_times", "disk_bytes", "garble_acks"), slow_kbps=args.slow
    )
    if os.path.exists(args.store) and not os.path.isdir(args.store):
        raise InputError("is not a folder", args.store)
    try:
        fan = EmulatedFan(
            args.device,
            args.store,
            port=args.port,
            upload_port=args.upload_port,
            faults=faults,
            log=args.log,
            echo=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except OSError as exc:
        raise InputError(f"cannot listen on port {args.port}: {exc.strerror}") from None
    where = fan.address + (f" (uploads on port {fan.upload_port})" if fan.upload_port else "")
    print(f"emulated {args.device} listening on {where}, storing in {fan.store}", flush=True)
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *a: stop.set())
    fan.start()
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        fan.stop()
    return 0
