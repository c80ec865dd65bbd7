"""Errors that reach the user as one line, never a traceback.

Every fault the user can fix (a bad file, a bad profile, a bad option) is an
InputError and exits with status 2. Faults of the environment (an unwritable
output, a full disk) are OutputError and exit with status 1.
"""

from __future__ import annotations

import os


class HolopackError(Exception):
    """Base class: a message for the user, optionally naming the file at fault."""

    exit_code = 1

    def __init__(self, message: str, path: str | os.PathLike | None = None):
        self.message = message
        self.path = None if path is None else os.fspath(path)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.path:
            return f"{self.path}: {self.message}"
        return self.message


class InputError(HolopackError):
    """The input (a model, a video, a profile, an option) is unusable."""

    exit_code = 2


class OutputError(HolopackError):
    """The output cannot be written (permissions, disk full, ...)."""

    exit_code = 1


class ClusterError(OutputError):
    """The cluster cannot finish the run (scheduler lost, no usable worker); exit status 1.
    Nothing partial is written."""
