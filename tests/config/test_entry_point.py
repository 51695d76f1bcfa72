"""The scripts' entry: one line and exit status 2 for bad input, Hydra's own config errors included."""

import errno
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from facecompare.config.entry_point import run_script, script_task
from facecompare.config.failure import FAILED_FILE, RunLogHandler

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def export(*overrides: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / "export.py"), "ckpt=m.ckpt", *overrides],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.slow
def test_bad_value_and_mistyped_key_exit_2(tmp_path):
    bad = export("tolerance=abc", cwd=tmp_path)
    assert (bad.returncode, bad.stderr) == (2, "error: tolerance must be a valid number, got 'abc'\n")
    typo = export("tolerence=1e-3", cwd=tmp_path)
    assert typo.returncode == 2 and "Could not override 'tolerence'" in typo.stderr and "Traceback" not in typo.stderr


def test_a_task_error_is_one_line_exit_2_and_fails_the_run_folder(tmp_path, capsys):
    cfg = OmegaConf.create({"paths": {"output_dir": str(tmp_path)}})

    @script_task(None)
    def fills_the_disk(cfg):
        raise OSError(errno.ENOSPC, "No space left on device")  # as matplotlib's savefig does, naming no file

    with pytest.raises(SystemExit) as stop:
        fills_the_disk(cfg)
    assert stop.value.code == 2 and capsys.readouterr().err == f"error: {tmp_path}: No space left on device\n"
    assert (tmp_path / FAILED_FILE).read_text() == f"{tmp_path}: No space left on device\n"

    @script_task(None)
    def has_a_bug(cfg):
        raise KeyError("x")

    with pytest.raises(KeyError):
        has_a_bug(cfg)
    assert (tmp_path / FAILED_FILE).read_text() == "KeyError: 'x'\n"


def test_what_hydra_raises_before_the_task_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HYDRA_FULL_ERROR", "0")  # run_script sets it: restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(RunLogHandler, "folder", tmp_path)  # set once Hydra has configured the job's log

    def raises(err: Exception):
        def main():
            raise err

        return main

    with pytest.raises(SystemExit) as stop:  # .hydra/config.yaml on a full disk
        run_script(raises(OSError(errno.ENOSPC, "No space left on device")))
    assert stop.value.code == 2 and capsys.readouterr().err == f"error: {tmp_path}: No space left on device\n"
    with pytest.raises(SystemExit) as stop:
        run_script(raises(ConfigCompositionException("Could not override 'optimizer.lrr'.")))
    assert stop.value.code == 2 and capsys.readouterr().err == "Could not override 'optimizer.lrr'.\n"
    with pytest.raises(KeyError):
        run_script(raises(KeyError("a bug")))
