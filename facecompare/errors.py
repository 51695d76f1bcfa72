"""Errors whose message is complete for a user: entry points print them as one line, no traceback."""

import errno
import os
from collections.abc import Iterator


class FacecompareError(Exception):
    """Base class of errors that describe a problem with the user's input, config or data."""


class ConfigError(FacecompareError, ValueError):
    """A config value is invalid; the message names the key, the value and what is allowed."""


class NonFiniteLossError(FacecompareError, FloatingPointError):
    """The training loss became NaN or infinite."""


# a full file system, and a full quota, which users meet the same way
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
SQLITE_FULL = "database or disk is full"


class DiskFullError(FacecompareError):
    """A write failed for want of space; the message names the file (or folder) and the system's reason."""

    def __init__(self, path: object, reason: str = os.strerror(errno.ENOSPC)) -> None:
        super().__init__(f"{path}: {reason}")


def error_chain(err: BaseException) -> Iterator[BaseException]:
    """``err``, then what it was raised from or while handling, and so on."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def disk_full(err: BaseException) -> BaseException | None:
    """The error of a full disk in ``err``'s chain, or None: an OSError with ENOSPC or EDQUOT, or SQLite's
    "database or disk is full". Libraries wrap it (torch.save raises a RuntimeError of its own, the ENOSPC of
    closing the file comes with it), so the whole chain is searched."""
    for e in error_chain(err):
        if isinstance(e, OSError) and e.errno in DISK_FULL_ERRNOS:
            return e
        if isinstance(e, Exception) and SQLITE_FULL in str(e):
            return e
    return None


def disk_full_error(path: object, err: BaseException) -> DiskFullError | None:
    """``DiskFullError`` naming ``path`` (None: the file the system named, if it did) if ``err`` comes from a
    full disk, else None."""
    found = disk_full(err)
    if found is None:
        return None
    if isinstance(found, OSError) and found.errno:
        return DiskFullError(path or found.filename, os.strerror(found.errno))
    return DiskFullError(path, f"{os.strerror(errno.ENOSPC)} ({found})")
