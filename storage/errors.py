"""One exception root for the whole system.

Every error a user can cause derives from :class:`YitaotuError`; its message is
shown as is (one line, no traceback) by the CLI and the web layer.  Codes follow
kart's "exit codes by decade": 2x invalid input/operation, 4x not found,
5x integrity, 6x external service.
"""

from __future__ import annotations


class YitaotuError(Exception):
    """Base of every user-facing error; ``exit_code`` is what the CLI returns."""

    exit_code: int = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class InvalidInput(YitaotuError, ValueError):
    """Bad user input: a malformed code, an unreadable file, a wrong option."""

    exit_code = 20


class Conflict(YitaotuError):
    """The operation clashes with the current state (duplicate, stale version)."""

    exit_code = 21


class NotFound(YitaotuError, KeyError):
    """A project, version, sheet or blob that does not exist."""

    exit_code = 40

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class AmbiguousId(YitaotuError, ValueError):
    """A short id matches more than one object."""

    exit_code = 41


class IntegrityError(YitaotuError):
    """Stored data does not match its hash or its recorded shape."""

    exit_code = 50


class ObjectCorrupt(IntegrityError):
    """A blob whose bytes no longer hash to its id."""


class StorageUnavailable(YitaotuError, OSError):
    """The blob server or database could not be reached or failed mid-operation."""

    exit_code = 60


class FileFormatError(InvalidInput):
    """A file that is not a drawing we can read; the message names the file."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
