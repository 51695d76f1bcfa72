"""Whole-or-nothing writes: the final file has the permissions of any new file, a failure leaves no trace."""

import os
import socket
import subprocess
import sys
import threading

import pytest

from facecompare.atomic import (
    TEMP_PREFIX,
    atomic_write,
    atomic_write_bytes,
    atomic_write_text,
    is_temporary,
    open_temporary,
    remove_stale_temporaries,
)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_new_and_replaced_files_get_0666_less_the_umask(tmp_path, set_umask, mask):
    set_umask(mask)
    path = tmp_path / "sub" / "manifest.csv"  # the folder is created
    atomic_write_text(path, "path,person\n")
    assert path.read_text() == "path,person\n" and path.stat().st_mode & 0o777 == 0o666 & ~mask
    path.chmod(0o600)  # a replaced file gets the mode of a new one, not the old file's
    atomic_write_bytes(path, b"again")
    assert path.read_bytes() == b"again" and path.stat().st_mode & 0o777 == 0o666 & ~mask
    plain = tmp_path / "plain"
    plain.write_text("")  # as any other program would create it
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_threads_writing_at_once_do_not_change_the_umask(tmp_path, set_umask):
    set_umask(0o027)
    threads = [
        threading.Thread(target=lambda i=i: [atomic_write_bytes(tmp_path / f"{i}-{k}", b"x") for k in range(50)])
        for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {p.stat().st_mode & 0o777 for p in tmp_path.iterdir()} == {0o640}
    assert set_umask(0o027) == 0o027


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "aligned.json"
    atomic_write_text(path, "old")

    def half(f):
        f.write(b"ne")
        raise KeyboardInterrupt  # a kill in the middle of writing

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, half)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["aligned.json"]


def test_fsync_before_the_rename_unless_declined(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(os.fstat(fd).st_size))
    atomic_write_bytes(tmp_path / "a", b"12345")
    assert synced == [5]  # the whole content, flushed before the sync
    atomic_write_bytes(tmp_path / "b", b"12345", fsync=False)
    assert synced == [5]


def test_the_temporary_file_sits_beside_the_target_with_a_recognisable_name(tmp_path):
    during = []
    atomic_write(tmp_path / "crop.jpg", lambda f: during.extend(tmp_path.iterdir()))
    (tmp,) = during
    assert is_temporary(tmp) and tmp.name.startswith(TEMP_PREFIX) and tmp.suffix == ".jpg" and not tmp.exists()
    assert not is_temporary(tmp_path / "crop.jpg")


def test_temporaries_of_ended_writers_on_this_machine_are_removed_and_no_others(tmp_path):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, host = int(ended.stdout), socket.gethostname()
    names = {
        "killed": f"{TEMP_PREFIX}{host}.{dead}-{'a' * 16}.ckpt",  # a save that was killed half-way
        "in flight": f"{TEMP_PREFIX}{host}.{os.getpid()}-{'b' * 16}.ckpt",
        "other machine": f"{TEMP_PREFIX}{host}x.{dead}-{'c' * 16}.ckpt",
        "no writer named": f"{TEMP_PREFIX}{'d' * 16}.ckpt",  # as versions before wrote them
        "other kind": f"{TEMP_PREFIX}{host}.{dead}-{'e' * 16}.json",
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"x" * 10)
    (tmp_path / "last.ckpt").write_bytes(b"checkpoint")
    assert remove_stale_temporaries(tmp_path, ".ckpt") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({*names.values(), "last.ckpt"} - {names["killed"]})


def test_a_temporary_names_its_writer(tmp_path):
    fd, tmp = open_temporary(tmp_path, ".ckpt")
    os.close(fd)
    assert tmp.name.startswith(f"{TEMP_PREFIX}{socket.gethostname()}.{os.getpid()}-")
    assert remove_stale_temporaries(tmp_path, ".ckpt") == 0 and tmp.exists()  # this process is alive
