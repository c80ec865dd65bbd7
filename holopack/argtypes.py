"""argparse pieces shared by every command: value types (a bad value is one clear
line), the command-line options several commands take (each defined once here), and
the wiring of a command to the function that runs it."""

from __future__ import annotations

import argparse
import inspect
import math
from collections.abc import Callable


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
    """A whole number >= 1 (a negative one is refused in the same words as 0)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
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


def non_negative_float(text: str) -> float:
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def port(text: str) -> int:
    """A TCP port, 0-65535 (0: any free port, where a server listens)."""
    value = count(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, got {value}")
    return value


def add_command(sub, name: str, run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """Register subcommand ``name``, run by ``run(args)``. ``run``'s docstring is the
    command's help: its first paragraph the line in ``holopack --help``, the rest (if
    any) the description in ``holopack NAME --help``."""
    summary, _, details = inspect.cleandoc(run.__doc__ or "").partition("\n\n")
    p = sub.add_parser(name, help=summary, description=details or None)
    p.set_defaults(run=run)
    return p


def given(args: argparse.Namespace, *names: str) -> dict:
    """``{name: args.name}``: parsed options handed on as keyword arguments of the same names."""
    return {name: getattr(args, name) for name in names}


def add_wall_option(p: argparse.ArgumentParser, does: str) -> None:
    """--wall WALL.toml (docs/walls.md); ``does``: what the command does with the wall."""
    p.add_argument("--wall", metavar="WALL.toml", help=does)


def add_cluster_options(p: argparse.ArgumentParser, renders: str, inputs: str, note: str = "") -> None:
    """--cluster ADDRESS and --shared-fs (docs/cluster.md). ``renders``: what runs on the
    cluster; ``inputs``: what --shared-fs keeps from being sent; ``note``: a last word."""
    p.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help=f"{renders} on the Dask cluster whose scheduler is at ADDRESS, "
        f"e.g. tcp://HOST:8786 (pip install holopack[cluster]){note}",
    )
    p.add_argument(
        "--shared-fs",
        action="store_true",
        help="with --cluster: the workers see this machine's files at the same paths; "
        f"do not send them the {inputs}",
    )


def add_containment_option(p: argparse.ArgumentParser) -> None:
    """--allow-outside-files: lift the folder rule of docs/security.md for trusted inputs."""
    p.add_argument(
        "--allow-outside-files",
        action="store_true",
        help="let the input refer to files outside its own folder (trusted inputs "
        "only; see docs/security.md)",
    )
