"""Whole-or-nothing file writes that leave the file as readable as any other the user creates."""

from __future__ import annotations

import os
import re
import secrets
import socket
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from facecompare.errors import disk_full_error

# Every temporary file starts with this, so a folder's leftovers of a killed write can be recognised. Its
# name goes on with the writer, <host>.<pid>, so that a later run can tell a dead writer's from a live one's.
TEMP_PREFIX = ".tmp-"
_OWNED = re.compile(rf"^{re.escape(TEMP_PREFIX)}(?P<host>.*)\.(?P<pid>\d+)-[0-9a-f]{{16}}")


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is (by its name) a temporary file of ``atomic_write`` left by a killed run."""
    return path.name.startswith(TEMP_PREFIX)


def open_temporary(folder: Path, suffix: str = "") -> tuple[int, Path]:
    """A new file ``folder/.tmp-<host>.<pid>-<random><suffix>`` opened for binary writing: (descriptor, path).
    Its permissions are those of any new file; the caller renames it into place or removes it."""
    # tempfile.mkstemp creates its file 0600, and the rename keeps that: a copy meant for another user or
    # machine would be unreadable there. Opening with 0666 lets the kernel apply the umask (and a folder's
    # default ACL) exactly as for any new file, which reading and restoring the umask could not do safely
    # with threads writing at the same time.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = folder / f"{TEMP_PREFIX}{socket.gethostname()}.{os.getpid()}-{secrets.token_hex(8)}{suffix}"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary file name in {folder}")


def remove_stale_temporaries(folder: str | Path, suffix: str = "") -> int:
    """Remove the temporary files (ending in ``suffix``) in ``folder`` whose writer was a process of this
    machine that has ended: what a kill in the middle of a write leaves. Those of a live process (a write in
    flight), of another machine or without a writer in their name (older versions) are kept. Returns how many
    were removed."""
    removed = 0
    for path in Path(folder).glob(f"{TEMP_PREFIX}*{suffix}"):
        owner = _OWNED.match(path.name)
        if owner and owner["host"] == socket.gethostname() and not _alive(int(owner["pid"])):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would signal the process there; never remove what may be in use
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object], *, fsync: bool = True) -> None:
    """Write ``path`` by calling ``write`` with a binary file object, through a temporary file in the same
    folder that is renamed over ``path`` once complete: readers, and a later run after a kill, see the old
    file or the whole new one, never a part. The folder is created if needed; the new file gets the
    permissions of any new file (0666 less the umask).

    ``fsync`` flushes the data to the disk before the rename, so a power cut cannot leave an empty file
    under the final name; a cache whose entries are simply recomputed when unreadable may skip it.

    A full disk raises DiskFullError naming ``path``, whatever ``write`` raised (torch.save, for one, raises a
    RuntimeError of its own), and leaves the file as it was.
    """
    path = Path(path)
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = open_temporary(path.parent, path.suffix)
        with os.fdopen(fd, "wb") as f:
            write(f)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        full = disk_full_error(path, err)
        if full is not None:
            raise full from err
        raise


def atomic_write_bytes(path: str | Path, data: bytes, *, fsync: bool = True) -> None:
    """``atomic_write`` of ``data``."""
    atomic_write(path, lambda f: f.write(data), fsync=fsync)


def atomic_write_text(path: str | Path, text: str, *, encoding: str = "utf-8", fsync: bool = True) -> None:
    """``atomic_write`` of ``text`` in ``encoding``; newlines are written as given, on every platform."""
    atomic_write_bytes(path, text.encode(encoding), fsync=fsync)
