"""Recognising a full disk in the errors libraries raise for it."""

import errno
import sqlite3

from facecompare.errors import DiskFullError, disk_full, disk_full_error


def torch_save_form() -> RuntimeError:
    """What torch.save into a file whose disk is full raises: its own RuntimeError, raised while handling the
    ENOSPC of the write."""
    err = RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598")
    err.__context__ = OSError(errno.ENOSPC, "No space left on device")
    return err


def test_a_full_disk_is_found_in_the_chain():
    assert disk_full(OSError(errno.ENOSPC, "x")) is not None
    assert disk_full(OSError(errno.EDQUOT, "x")) is not None
    assert disk_full(torch_save_form()) is not None
    assert disk_full(sqlite3.OperationalError("database or disk is full")) is not None
    assert disk_full(OSError(errno.EACCES, "x")) is None and disk_full(RuntimeError("file write failed")) is None


def test_the_message_names_the_file_and_the_reason():
    assert str(disk_full_error("/runs/a/last.ckpt", torch_save_form())) == "/runs/a/last.ckpt: No space left on device"
    assert str(disk_full_error(None, OSError(errno.EDQUOT, "x", "/q/f"))) == "/q/f: Disk quota exceeded"
    sqlite_full = disk_full_error("g.db", sqlite3.OperationalError("database or disk is full"))
    assert str(sqlite_full) == "g.db: No space left on device (database or disk is full)"
    assert disk_full_error("x", ValueError("no")) is None and isinstance(sqlite_full, DiskFullError)
