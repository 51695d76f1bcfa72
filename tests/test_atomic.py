"""Whole-or-nothing writes: the final file has the permissions of any new file, a failure leaves no trace."""

import os
import threading

import pytest

from facecompare.atomic import TEMP_PREFIX, atomic_write, atomic_write_bytes, atomic_write_text, is_temporary


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
