"""Put a plan (content.py) onto one fan: list, skip what is there, upload the rest in play
order with retries and back-off, check the fan's listing after every file, report.

    from holopack.fans import plan_uploads, push_plan
    plan = plan_uploads("shop/", device="3dcircle-42f2")
    report = push_plan(plan, "192.168.4.1")
    report.ok, report.to_dict()

Nothing here ever sends a destructive command: an upload that cannot be completed is
reported, never cleared away.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import journal
from .address import FanAddress
from .faults import FanError, GarbledReply
from .protocol_42f2 import listed_name, upload_name
from .protocols import make_client, protocol_for


@dataclass
class FileResult:
    name: str
    bytes: int
    sha256: str
    action: str = "pending"  # "uploaded" | "skipped" (already listed) | "failed" | "not sent"
    attempts: int = 0
    seconds: float = 0.0
    error: str | None = None
    note: str | None = None

    def to_dict(self) -> dict:
        out = dict(self.__dict__)
        out["mb_per_s"] = (
            round(self.bytes / self.seconds / 1e6, 2)
            if self.action == "uploaded" and self.seconds > 0
            else None
        )
        out["seconds"] = round(self.seconds, 3)
        return out


@dataclass
class FanReport:
    """What happened on one fan."""

    fan: str
    address: str
    device: str
    source: str
    files: list = field(default_factory=list)
    listing: list = field(default_factory=list)  # what the fan listed at the end
    extra: list = field(default_factory=list)  # listed, but not part of what was pushed
    status: dict = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    warnings: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and all(f.action in ("uploaded", "skipped") for f in self.files)

    @property
    def bytes_sent(self) -> int:
        return sum(f.bytes for f in self.files if f.action == "uploaded")

    def to_dict(self) -> dict:
        return {
            "fan": self.fan,
            "address": self.address,
            "device": self.device,
            "source": self.source,
            "ok": self.ok,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "bytes_sent": self.bytes_sent,
            "files": [f.to_dict() for f in self.files],
            "listing": list(self.listing),
            "extra_on_fan": list(self.extra),
            "status": self.status,
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for f in self.files:
            counts[f.action] = counts.get(f.action, 0) + 1
        parts = ", ".join(f"{n} {action}" for action, n in counts.items())
        head = f"{self.fan}: " if self.fan != self.address else ""
        verdict = "ok" if self.ok else f"FAILED: {self.error}"
        return f"{head}{self.address} ({self.device}): {parts or 'nothing to send'}; {verdict}"


def _on_fan(protocol: str, name: str) -> set:
    """The names under which the fan lists an uploaded ``name``."""
    if protocol == "42f2":
        return {listed_name(upload_name(name)), upload_name(name)}
    return {name}


def _retrying(call, retries: int, backoff: float, sleep, on_retry=None):
    attempt = 0
    while True:
        attempt += 1
        try:
            return call(), attempt
        except FanError as exc:
            if not exc.retryable or attempt > retries:
                exc.attempts = attempt
                raise
            if on_retry:
                on_retry(exc, attempt)
            sleep(backoff * 2 ** (attempt - 1))


def push_plan(
    plan,
    address: FanAddress | str,
    fan: str | None = None,
    retries: int = 3,
    backoff: float = 0.5,
    packet_delay: float | None = None,
    timeout: float | None = None,
    progress=None,
    sleep=time.sleep,
) -> FanReport:
    """Upload ``plan`` to the fan at ``address``; never raises for a fan fault (it is in
    the report), only for bad input. ``progress``: a TransferProgress (or None)."""
    proto = protocol_for(plan.profile)
    if isinstance(address, str):
        address = FanAddress.parse(address)
    client = make_client(
        proto, address.host, address.port, address.upload_port, packet_delay=packet_delay, timeout=timeout
    )
    label = fan or str(address)
    report = FanReport(
        fan=label,
        address=str(address),
        device=plan.device,
        source=plan.source,
        files=[_result(u) for u in plan.uploads],
    )
    start = time.perf_counter()

    say = _say_to(progress, label)

    def retry_note(exc, attempt):
        say(f"{exc}; trying again ({attempt} of {retries} retries)")

    sending = None  # the file on its way, for the line Ctrl-C leaves
    try:
        status, listed = _read_listing(client, retries, backoff, sleep, retry_note, report, say)
        key = journal.fan_key(client.host, client.port)
        interrupted, sent_before = journal.read(key)
        for upload, result in zip(plan.uploads, report.files):
            listed_here = bool(listed & _on_fan(proto.protocol, upload.name))
            if _already_there(upload, result, listed_here, interrupted, sent_before):
                say(f"{upload.name}: already on the fan, skipped")
                if progress is not None:
                    progress.skip(upload.bytes)
                continue
            if result.note:
                say(f"{upload.name}: {result.note}")
            if listed_here and proto.protocol == "legacy224":
                # the legacy fan keeps both copies of a name sent twice
                result.action = "failed"
                result.error = (
                    f"{result.note.split(';')[0]}, and the legacy fan would list it twice: "
                    f"remove it first (holopack fan {address} delete {upload.name} "
                    f"--device {plan.device} --yes)"
                )
            else:
                journal.begin(key, upload.name, upload.sha256)
                sending = upload.name
                _send_one(
                    client,
                    proto.protocol,
                    upload,
                    result,
                    retries,
                    backoff,
                    sleep,
                    progress,
                    say,
                    check_listing=status is not None,
                )
                sending = None
                if result.action == "uploaded":
                    journal.complete(key, upload.name, upload.sha256)
            if result.action == "failed":
                report.error = f"{upload.name}: {result.error}"
                break
        if status is not None:
            final, _ = _retrying(client.status, retries, backoff, sleep, retry_note)
            _check_final_listing(report, final, proto.protocol, plan.uploads)
    except FanError as exc:
        report.error = exc.message
    except KeyboardInterrupt:
        # the journal holds the cut-off upload as begun and not confirmed
        raise KeyboardInterrupt(
            f"{label}: {sending} was cut off; the next push sends it again and skips what the fan holds"
            if sending
            else f"{label}: stopped between files; the next push skips what the fan holds"
        ) from None
    for result in report.files:
        if result.action == "pending":
            result.action = "not sent"
    report.seconds = time.perf_counter() - start
    return report


def _say_to(progress, label: str):
    """``say(line)``: a line of its own above the progress line (none without one)."""

    def say(line: str) -> None:
        if progress is not None:
            progress.message(f"{label}: {line}")

    return say


def _read_listing(client, retries, backoff, sleep, retry_note, report: FanReport, say):
    """(the fan's status, the names it lists); (None, empty) with a warning in the report
    when the fan answers in a layout this reading of the protocol does not know."""
    try:
        status, _ = _retrying(client.status, retries, backoff, sleep, retry_note)
        return status, set(status.files)
    except GarbledReply as exc:
        # the uploads themselves may still work; say plainly what was not checked
        report.warnings.append(
            f"the fan's listing could not be read ({exc.message}): files were "
            "sent without resume and not checked against its listing"
        )
        say(report.warnings[-1])
        return None, set()


def _already_there(upload, result: FileResult, listed_here: bool, interrupted, sent_before: dict) -> bool:
    """Whether the fan already holds this very file (then it is skipped); otherwise the
    result's note says why a name the fan lists is sent again."""
    if upload.name in interrupted:
        result.note = "an earlier upload was cut off; sent again"
    elif listed_here and sent_before.get(upload.name, upload.sha256) != upload.sha256:
        result.note = "the fan holds an earlier version under this name; sent again"
    elif listed_here:
        result.action = "skipped"
        if upload.name not in sent_before:
            result.note = "listed by the fan; not sent from here, so its bytes are not known"
        return True
    return False


def _check_final_listing(report: FanReport, final, protocol: str, uploads) -> None:
    """The fan's listing after the uploads: what else it plays, and every file sent or
    skipped still listed."""
    report.status = final.to_dict()
    report.listing = list(final.files)
    ours = set().union(*(_on_fan(protocol, u.name) for u in uploads)) if uploads else set()
    report.extra = [n for n in final.files if n not in ours]
    for result in report.files:
        if result.action in ("uploaded", "skipped") and not set(final.files) & _on_fan(protocol, result.name):
            result.action, result.error = "failed", "no longer listed by the fan at the end"
            report.error = report.error or f"{result.name}: {result.error}"


def _result(upload) -> FileResult:
    return FileResult(name=upload.name, bytes=upload.bytes, sha256=upload.sha256)


def _send_one(
    client, protocol, upload, result, retries, backoff, sleep, progress, say, check_listing: bool = True
) -> None:
    name = upload_name(upload.name) if protocol == "42f2" else upload.name
    while True:
        result.attempts += 1
        sent = 0

        def on_bytes(n):
            nonlocal sent
            sent += n
            if progress is not None:
                progress.add(n, note=name)

        t0 = time.perf_counter()
        try:
            client.upload(upload.path, name, on_bytes=on_bytes)
        except FanError as exc:
            if progress is not None and sent:
                progress.add(-sent)
            if exc.retryable and result.attempts <= retries:
                say(
                    f"{name}: {exc.message}; sending it again in "
                    f"{backoff * 2 ** (result.attempts - 1):g} s (retry {result.attempts} of {retries})"
                )
                sleep(backoff * 2 ** (result.attempts - 1))
                continue
            result.action = "failed"
            result.error = exc.message + (
                f" (after {result.attempts} attempts)" if result.attempts > 1 else ""
            )
            return
        result.seconds = time.perf_counter() - t0
        if not check_listing:
            result.action, result.note = (
                "uploaded",
                "sent whole; the fan's listing could not be read to check",
            )
            return
        # the file went out whole: a listing that cannot be read is not a reason to send it again
        try:
            listing, _ = _retrying(client.listing, retries, backoff, sleep)
        except FanError as exc:
            result.action, result.error = "failed", f"sent, but the listing could not be read: {exc.message}"
            return
        if not set(listing) & _on_fan(protocol, upload.name):
            result.action = "failed"
            result.error = (
                f"sent in full ({upload.bytes:,} bytes) but the fan does not list it: "
                "its card is probably full (or it refused the name)"
            )
            return
        result.action = "uploaded"
        say(
            f"{name}: uploaded {upload.bytes:,} bytes in {result.seconds:.2f} s"
            + (f" ({upload.bytes / result.seconds / 1e6:.3g} MB/s)" if result.seconds > 0 else "")
        )
        return
