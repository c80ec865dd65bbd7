"""Writing a profile's table back as TOML text (tomllib reads, nothing in the standard
library writes)."""

from __future__ import annotations

import json
import math


def _toml_str(text: str) -> str:
    # JSON escapes every control character TOML forbids except DEL
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: str) -> str:
    return key if key and all(c.isalnum() and c.isascii() or c in "-_" for c in key) else _toml_str(key)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def to_toml(data: dict, prefix: str = "") -> str:
    """TOML text for a table as tomllib returns it (scalars, arrays, tables, arrays of tables)."""

    def is_table_array(v):
        return isinstance(v, list) and v and all(isinstance(x, dict) for x in v)

    lines = [
        f"{_toml_key(k)} = {_toml_value(v)}"
        for k, v in data.items()
        if not isinstance(v, dict) and not is_table_array(v)
    ]
    for k, v in data.items():
        name = f"{prefix}{_toml_key(k)}"
        if isinstance(v, dict):
            lines += ["", f"[{name}]", to_toml(v, name + ".").strip("\n")]
        elif is_table_array(v):
            for item in v:
                lines += ["", f"[[{name}]]", to_toml(item, name + ".").strip("\n")]
    return "\n".join(line for line in lines) + "\n"
