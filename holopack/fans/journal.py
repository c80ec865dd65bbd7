"""Uploads that began but were never seen complete, per fan, kept across runs.

A fan's listing gives names only. A 42-F2 reads an upload until the connection closes,
so a cut-off upload may leave a partial clip that the fan lists like a whole one. Before
sending a file, push notes it here; once the fan lists it, the note goes. A re-run that
finds a note for a listed file sends that file again instead of skipping it.

The notes live in ``$XDG_STATE_HOME/holopack/push-pending.json`` (default
``~/.local/state/...``): {"HOST:PORT": {"NAME": "sha256"}}.
"""
from __future__ import annotations

import json
import os
import threading

_LOCK = threading.Lock()


def journal_path() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "holopack", "push-pending.json")


def _load(path: str) -> dict:
    try:
        with open(path, "r", encoding="utf-8") as f:
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


def pending(fan: str) -> dict:
    """{name: sha256} of uploads to ``fan`` that were never seen complete."""
    with _LOCK:
        return dict(_load(journal_path()).get(fan, {}))


def mark(fan: str, name: str, sha256: str) -> None:
    with _LOCK:
        path = journal_path()
        data = _load(path)
        data.setdefault(fan, {})[name] = sha256
        _save(path, data)


def clear(fan: str, name: str) -> None:
    with _LOCK:
        path = journal_path()
        data = _load(path)
        if name in data.get(fan, {}):
            del data[fan][name]
            if not data[fan]:
                del data[fan]
            _save(path, data)
