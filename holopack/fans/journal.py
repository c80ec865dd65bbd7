"""What this machine sent to each fan, kept across runs: uploads that began but were never
seen complete, and the SHA-256 of every file the fan confirmed.

A fan's listing gives names only. A 42-F2 reads an upload until the connection closes, so
a cut-off upload may leave a partial clip that the fan lists like a whole one; and a
package re-made with new content keeps its file names. So push skips a listed file only
when no upload of it was cut off and, if this machine sent it before, the bytes are the
same; otherwise it sends the file again.

The journal lives in ``$XDG_STATE_HOME/holopack/push-journal.json`` (default
``~/.local/state/...``): {"HOST:PORT": {"pending": {NAME: sha256}, "done": {NAME: sha256}}}.
Losing it (a read-only home, another machine) only loses these checks.
"""

from __future__ import annotations

import json
import os
import threading

_LOCK = threading.Lock()


def fan_key(host: str, port: int) -> str:
    """One fan's key however its address was typed (with or without the default port)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def journal_path() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "holopack", "push-journal.json")


def _load(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save(path: str, data: dict) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(temp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(temp, path)
    except OSError:
        pass  # a read-only home loses only this safety net, never the push


def read(fan: str) -> tuple[dict, dict]:
    """({name: sha256} pending, {name: sha256} done) for ``fan``."""
    with _LOCK:
        entry = _load(journal_path()).get(fan, {})
    return dict(entry.get("pending", {})), dict(entry.get("done", {}))


def _update(fan: str, change) -> None:
    with _LOCK:
        path = journal_path()
        data = _load(path)
        entry = data.setdefault(fan, {})
        change(entry.setdefault("pending", {}), entry.setdefault("done", {}))
        if not entry["pending"] and not entry["done"]:
            del data[fan]
        _save(path, data)


def begin(fan: str, name: str, sha256: str) -> None:
    """An upload of ``name`` starts."""
    _update(fan, lambda pending, done: (pending.__setitem__(name, sha256), done.pop(name, None)))


def complete(fan: str, name: str, sha256: str) -> None:
    """The fan lists ``name`` after its upload."""
    _update(fan, lambda pending, done: (pending.pop(name, None), done.__setitem__(name, sha256)))


def forget(fan: str, name: str | None = None) -> None:
    """``name`` (or everything) was erased from the fan."""

    def change(pending, done):
        for table in (pending, done):
            if name is None:
                table.clear()
            else:
                table.pop(name, None)

    _update(fan, change)
