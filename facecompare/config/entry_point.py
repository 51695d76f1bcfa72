"""What every script in scripts/ shares around its Hydra task: the config checked before any work, and a
known problem (a bad config value, bad data, a full disk) reported as one line on stderr with exit status 2;
1 stays for bugs, with their traceback."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

from hydra.errors import CompactHydraException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from facecompare.config.failure import RunLogHandler, mark_failed, quiet_full_disk_in_threads, run_folder, user_error

EXIT_BAD_INPUT = 2


def script_task(entry: str | None) -> Callable[[Callable[[DictConfig], Any]], Callable[[DictConfig], Any]]:
    """Decorates a script's task (under ``@hydra.main``): its config passes ``check_config(cfg, entry)``
    before the task runs (``None``: the task checks it itself, as train() does). A known problem ends the
    script with one line and exit status 2; any error leaves FAILED in the run folder."""

    def decorate(task: Callable[[DictConfig], Any]) -> Callable[[DictConfig], Any]:
        @functools.wraps(task)  # Hydra finds conf/ from the task's own file through __wrapped__
        def checked(cfg: DictConfig) -> Any:
            from facecompare.config import check_config  # after Hydra's own checks: it imports the targets

            try:
                if entry is not None:
                    check_config(cfg, entry)
                return task(cfg)
            except Exception as err:
                message = user_error(err, run_folder(cfg))
                mark_failed(run_folder(cfg), message or f"{type(err).__name__}: {err}")
                if message is None:
                    raise
                print(f"error: {message}", file=sys.stderr, flush=True)
                sys.exit(EXIT_BAD_INPUT)

        return checked

    return decorate


def run_script(main: Callable[[], Any]) -> None:
    """Calls a ``@hydra.main`` function. Hydra is asked to raise what it would print and exit 1 with, so that
    a config it cannot compose (a mistyped key or option) gets its own message and status 2, and a full disk
    met while it writes the run folder's ``.hydra/`` one line; a bug's traceback is printed whole."""
    os.environ["HYDRA_FULL_ERROR"] = "1"
    quiet_full_disk_in_threads()
    try:
        main()
    except CompactHydraException as err:
        print(err, file=sys.stderr)
        if isinstance(err.__cause__, OmegaConfBaseException):
            print(err.__cause__, file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT) from None
    except Exception as err:  # before the task started (Hydra writing .hydra/), or a bug
        message = user_error(err, RunLogHandler.folder)
        if message is None:
            raise
        mark_failed(RunLogHandler.folder, message)
        print(f"error: {message}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_BAD_INPUT) from None
