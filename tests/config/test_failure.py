"""How a script tells that it failed: one line, FAILED in the run folder, a full disk told once."""

import errno
import logging
import threading

from facecompare.config.failure import (
    FAILED_FILE,
    RunLogHandler,
    mark_failed,
    quiet_full_disk_in_threads,
    user_error,
)
from facecompare.errors import ConfigError, DiskFullError

FULL = "No space left on device"


def test_a_full_disk_is_one_line_naming_the_most_precise_path(tmp_path):
    # a library's own write (Lightning's hparams.yaml, TensorBoard) names no file: the run folder is named
    assert user_error(OSError(errno.ENOSPC, FULL), tmp_path) == f"{tmp_path}: {FULL}"
    assert (
        user_error(OSError(errno.ENOSPC, FULL, "/r/.hydra/config.yaml"), tmp_path) == f"/r/.hydra/config.yaml: {FULL}"
    )
    # Lightning flushes TensorBoard while handling the checkpoint's DiskFullError, and fails again
    flushed = OSError(errno.ENOSPC, FULL)
    flushed.__context__ = DiskFullError("/r/checkpoints/last.ckpt")
    assert user_error(flushed, tmp_path) == f"/r/checkpoints/last.ckpt: {FULL}"
    assert user_error(ConfigError("loss.margin must be > 0, got -1")) == "loss.margin must be > 0, got -1"
    assert user_error(KeyError("a bug")) is None


def test_failed_marks_the_run_folder_with_the_reason(tmp_path):
    mark_failed(tmp_path, f"{tmp_path}/last.ckpt: {FULL}\nsecond line")
    assert (tmp_path / FAILED_FILE).read_text() == f"{tmp_path}/last.ckpt: {FULL}\n"
    mark_failed(None, "no run folder: nothing to mark")


def test_the_run_log_drops_a_record_it_cannot_write_on_a_full_disk_without_a_traceback(tmp_path, capsys):
    handler = RunLogHandler(str(tmp_path / "train.log"))
    assert RunLogHandler.folder == tmp_path
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "epoch done", None, None)

    def fail(errno_: int):
        def write(text):
            raise OSError(errno_, "x")

        handler.stream.write = write

    try:
        fail(errno.ENOSPC)
        handler.emit(record)
        assert capsys.readouterr().err == ""
        fail(errno.EIO)  # anything else is logging's usual report
        handler.emit(record)
        assert "--- Logging error ---" in capsys.readouterr().err
    finally:
        handler.stream = None
        handler.close()


def test_a_thread_dying_of_a_full_disk_prints_no_traceback(monkeypatch):
    reported = []  # what the hook before (Python's: a traceback on stderr) was given
    monkeypatch.setattr(threading, "excepthook", lambda args: reported.append(args.exc_value))
    quiet_full_disk_in_threads()
    full, bug = OSError(errno.ENOSPC, FULL), ValueError("a bug")

    def die(err: Exception) -> None:
        raise err

    for err in (full, bug):
        thread = threading.Thread(target=die, args=(err,))
        thread.start()
        thread.join()
    assert reported == [bug]
