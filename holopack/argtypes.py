"""argparse value types shared by every command: a bad value is one clear line."""

from __future__ import annotations

import argparse
import math


def count(text: str) -> int:
    """A whole number >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def positive_int(text: str) -> int:
    value = count(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def add_containment_option(p: argparse.ArgumentParser) -> None:
    """--allow-outside-files: lift the folder rule of docs/security.md for trusted inputs."""
    p.add_argument(
        "--allow-outside-files",
        action="store_true",
        help="let the input refer to files outside its own folder (trusted inputs "
        "only; see docs/security.md)",
    )
