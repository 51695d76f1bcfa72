"""A checkpoint write that fails or is killed half-way must leave the previous file intact."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from facecompare.atomic import is_temporary
from facecompare.errors import DiskFullError
from facecompare.training import checkpoint_io
from facecompare.training.checkpoint_io import AtomicCheckpointIO, atomic_torch_save


def test_round_trip_loads_with_weights_only(tmp_path):
    path = tmp_path / "sub" / "a.ckpt"
    AtomicCheckpointIO().save_checkpoint({"state_dict": {"w": torch.ones(3)}, "epoch": 2}, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded["epoch"] == 2 and torch.equal(loaded["state_dict"]["w"], torch.ones(3))
    assert [p.name for p in path.parent.iterdir()] == ["a.ckpt"]


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "last.ckpt"
    atomic_torch_save({"version": 1}, path)

    def broken_save(obj, f):
        f.write(b"partial bytes")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_io.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        atomic_torch_save({"version": 2}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


def test_full_disk_names_the_checkpoint_and_keeps_the_old_one(tmp_path, monkeypatch):
    from full_disk import fill_up

    path = tmp_path / "last.ckpt"
    atomic_torch_save({"version": 1}, path)
    fill_up(monkeypatch, room=1000)
    with pytest.raises(DiskFullError) as caught:  # torch.save raised a RuntimeError of its own
        atomic_torch_save({"version": 2, "w": torch.zeros(10_000)}, path)
    monkeypatch.undo()
    assert str(caught.value) == f"{path}: No space left on device"
    assert torch.load(path, weights_only=True) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


WRITER = """
import sys, torch
from facecompare.training.checkpoint_io import atomic_torch_save
big = torch.randn(4_000_000)  # 16 MB: each write takes long enough to be killed inside it
i = 0
while True:
    atomic_torch_save({"i": i, "w": big}, sys.argv[1])
    if i == 0:
        print("first", flush=True)
    i += 1
"""


@pytest.mark.slow
def test_sigkill_during_writes_never_corrupts(tmp_path):
    path = tmp_path / "last.ckpt"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "first"
        time.sleep(0.7)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    loaded = torch.load(path, weights_only=True)
    assert loaded["i"] >= 0 and loaded["w"].numel() == 4_000_000
    # a killed write may leave its hidden temp file, never a torn checkpoint under the real name
    assert all(is_temporary(p) for p in Path(tmp_path).iterdir() if p.name != "last.ckpt")


def test_checkpoints_are_as_readable_as_any_new_file(tmp_path, set_umask):
    # tempfile.mkstemp made them 0600: a serving process of another user or group could not load them
    set_umask(0o022)
    atomic_torch_save({"w": torch.zeros(2)}, tmp_path / "last.ckpt")
    assert (tmp_path / "last.ckpt").stat().st_mode & 0o777 == 0o644
