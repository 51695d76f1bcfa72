"""Stopping a server on SIGTERM (``kill PID``, systemd, ``docker stop``) and SIGHUP (a closed terminal) the way
Ctrl-C stops it: the ``finally`` blocks run, so the faces it keeps are removed, and then the process ends as
the signal would have ended it."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Stopped(BaseException):
    """Raised in the main thread by a stop signal. A BaseException, like KeyboardInterrupt, so that no
    ``except Exception`` on the way swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def _raise_stopped(signum: int, _frame: object) -> None:
    # once stopping, a second signal (docker and systemd may send more) must not interrupt the clean-up
    for other in (*STOP_SIGNALS, signal.SIGINT):
        signal.signal(other, signal.SIG_IGN)
    raise Stopped(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise ``Stopped`` in the main thread; the previous handlers are
    restored after it."""
    previous = {signal.SIGINT: signal.getsignal(signal.SIGINT)}  # _raise_stopped ignores it: restore it too
    previous.update({signum: signal.signal(signum, _raise_stopped) for signum in STOP_SIGNALS})
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def end_as(signum: int) -> NoReturn:
    """End the process as ``signum`` would have: a shell then reports status 128 + signum (143 for SIGTERM)
    and systemd or docker see a process stopped by the signal it sent, not one that failed."""
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    raise SystemExit(128 + signum)  # not reached on POSIX, where the signal ends the process at once
