"""How a script tells that it failed: one line for a problem of the user's config, data or disk (None for a
bug, whose traceback is kept), and ``FAILED`` in the run folder. A full disk is told once: the run log and
TensorBoard's writer thread, which meet it first, stay quiet about it."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any, ClassVar

from hydra.errors import InstantiationException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from facecompare.errors import DiskFullError, FacecompareError, disk_full, disk_full_error, error_chain

FAILED_FILE = "FAILED"  # in the run folder of a run that stopped on an error


def user_error(err: BaseException, folder: object = None) -> str | None:
    """The one-line message for an error caused by the user's config, data or a full disk; None for a bug.
    ``folder`` names where a full disk struck when nothing names the file (a library's own writes)."""
    full = _disk_full_message(err, folder)
    if full is not None:
        return full
    cause = err
    while isinstance(cause, InstantiationException) and cause.__cause__ is not None:
        cause = cause.__cause__
    if isinstance(cause, FacecompareError):
        return str(cause)
    if isinstance(cause, OmegaConfBaseException):
        return str(cause).splitlines()[0]
    return None


def _disk_full_message(err: BaseException, folder: object) -> str | None:
    for e in error_chain(err):
        if isinstance(e, DiskFullError):  # from the layer that knew which file it was writing
            return str(e)
    found = disk_full(err)
    if found is None:
        return None
    return str(disk_full_error(getattr(found, "filename", None) or folder or "a file", err))


def run_folder(cfg: DictConfig) -> Path | None:
    try:
        return Path(cfg.paths.output_dir)
    except Exception:  # a config without paths, or outside a Hydra run
        return None


def mark_failed(folder: Path | None, reason: str) -> None:
    """Leave ``FAILED`` in the run folder, holding ``reason``'s first line. On a full disk the file may stay
    empty: its name alone says the run did not finish."""
    try:
        fd = os.open(folder / FAILED_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666) if folder else None
    except OSError:  # no room for even a name: nothing to mark
        return
    if fd is not None:
        with contextlib.suppress(OSError), os.fdopen(fd, "w") as f:
            f.write((str(reason).splitlines() or [""])[0] + "\n")


class RunLogHandler(logging.FileHandler):
    """The run folder's log file (conf/hydra/default.yaml). A record it cannot write for a full disk is left
    to the console, which has it too, instead of a traceback per record: the script reports the full disk."""

    # the run folder of this process's job, known from the moment Hydra sets up the job's logging, before it
    # writes .hydra/ there
    folder: ClassVar[Path | None] = None

    def __init__(self, filename: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(filename, *args, **kwargs)
        RunLogHandler.folder = Path(self.baseFilename).parent

    def handleError(self, record: logging.LogRecord) -> None:
        err = sys.exc_info()[1]
        if err is None or disk_full(err) is None:
            super().handleError(record)


def quiet_full_disk_in_threads() -> None:
    """A thread that dies of a full disk prints no traceback: TensorBoard's writer thread does, and its
    SummaryWriter raises the same error in the main thread at the next write or flush, which reports it."""
    default = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or disk_full(args.exc_value) is None:
            default(args)

    threading.excepthook = hook
