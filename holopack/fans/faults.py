"""What can go wrong talking to a fan, as holopack errors (one line, no traceback).

A fan that cannot be reached, drops the connection or garbles a reply is a fault of the
environment, not of the user's input: exit status 1, like an output that cannot be
written. ``retryable`` tells the uploader whether another attempt may help.
"""

from __future__ import annotations

from ..errors import OutputError


class FanError(OutputError):
    """A fan did not take what was sent, or could not be reached."""

    attempts: int  # set by a retrying loop when it gives up: how many tries were made

    def __init__(self, message: str, path: str | None = None, retryable: bool = False):
        super().__init__(message, path)
        self.retryable = retryable


class GarbledReply(FanError):
    """A reply that does not follow the protocol (a radio glitch, or not a fan)."""

    def __init__(self, message: str, path: str | None = None):
        super().__init__(f"garbled reply from the fan: {message}", path, retryable=True)


class NotAFan(FanError):
    """The peer is another kind of service (a web server, SSH): not retried."""
