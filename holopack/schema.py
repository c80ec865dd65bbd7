"""Checks of values read from the TOML files users write (profiles, playlists).

A schema is a dict ``key -> (check, default)``. A check takes the raw value and returns
it cleaned, or raises Fault with the words that follow the key in the error ("must be a
positive integer, got -3"). ``check_table`` turns a fault into an InputError naming the
file and the key, so every table reports its faults alike.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from typing import Any

from .containment import shorten
from .errors import InputError
from .textfile import show_value

REQUIRED = object()  # the key must be given
OMIT = object()  # optional key that stays out of the table when not given

Check = Callable[[Any], Any]


class Fault(Exception):
    """A fault in one value; turned into InputError naming the file and key."""


def pos_int(v):
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise Fault(f"must be a positive integer, got {show_value(v)}")
    return v


def number(lo=None, hi=None, lo_open=False, allow_none=False) -> Check:
    def check(v):
        if allow_none and v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise Fault(f"must be a finite number, got {show_value(v)}")
        v = float(v)
        if lo is not None and (v < lo or (lo_open and v == lo)):
            raise Fault(f"must be {'>' if lo_open else '>='} {lo:g}, got {show_value(v)}")
        if hi is not None and v > hi:
            raise Fault(f"must be <= {hi:g}, got {show_value(v)}")
        return v

    return check


def _of_type(kind: type, words: str) -> Check:
    def check(v):
        if not isinstance(v, kind):
            raise Fault(f"must be {words}, got {show_value(v)}")
        return v

    return check


boolean = _of_type(bool, "true or false")
string = _of_type(str, "a string")


def choice(options) -> Check:
    def check(v):
        if not isinstance(v, str) or v not in options:
            raise Fault(f"must be one of {', '.join(repr(o) for o in options)}, got {show_value(v)}")
        return v

    return check


def file_suffix(v):
    """The end of every device file name: a dot and a few letters, never a folder part
    (a profile's suffix goes into file names that pack writes)."""
    if not isinstance(v, str) or not re.fullmatch(r"\.[A-Za-z0-9_-]{1,16}", v):
        raise Fault(
            f"must be a dot and up to 16 letters, digits, '_' or '-' (such as '.BIN'), got {shorten(repr(v))}"
        )
    return v


def hex_bytes(v):
    if not isinstance(v, str):
        raise Fault(f"must be a hex string, got {show_value(v)}")
    try:
        return bytes.fromhex(v).hex().upper()
    except ValueError:
        raise Fault(f"must be a hex string such as '0000000118', got {show_value(v)}") from None


def ascii_text(v):
    if not isinstance(v, str) or not v.isascii() or not v.isprintable():
        raise Fault(f"must be printable ASCII text, got {show_value(v)}")
    return v


def check_table(table: Any, schema: dict, where: str, source: str) -> dict:
    """Values of ``table`` checked against ``schema`` with defaults filled in.

    ``where`` names the table in errors ("render" gives "[render] key ..."); a check of
    None passes the value through unchecked.
    """
    label = f"[{where}] " if where else ""
    if not isinstance(table, dict):
        raise InputError(f"{label.strip() or 'profile'} must be a table, got {show_value(table)}", source)
    for key in table:
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), n=3, cutoff=0.5)
            hint = (
                f"did you mean {', '.join(repr(c) for c in close)}?"
                if close
                else f"known keys: {', '.join(sorted(schema))}"
            )
            raise InputError(f"unknown key {label}{key!r}; {hint}", source)
    out = {}
    for key, (check, default) in schema.items():
        if key not in table:
            if default is REQUIRED:
                raise InputError(f"missing key {label}{key}", source)
            if default is not OMIT:
                out[key] = default
            continue
        if check is None:
            out[key] = table[key]
            continue
        try:
            out[key] = check(table[key])
        except Fault as fault:
            raise InputError(f"{label}{key} {fault}", source) from None
    return out
