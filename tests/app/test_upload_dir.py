"""Upload folders left by app processes that died are removed; a running app's folder never is."""

import os
import subprocess
import sys

from facecompare.app import upload_dir
from facecompare.app.upload_dir import PREFIX, make_upload_dir, process_exists, remove_stale_upload_dirs


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_folders_of_dead_processes_go_and_every_other_one_stays(tmp_path, monkeypatch):
    dead, live = dead_pid(), os.getppid()
    assert not process_exists(dead) and process_exists(live) and process_exists(os.getpid())
    stale = tmp_path / f"{PREFIX}{dead}-k2x9"
    (stale / "sub").mkdir(parents=True)
    (stale / "sub" / "Tony_Blair_0008.jpg").write_bytes(b"a face")
    kept = [tmp_path / f"{PREFIX}{live}-a1b2", tmp_path / f"{PREFIX}{os.getpid()}-c3d4", tmp_path / f"{PREFIX}x7q1"]
    for folder in kept:
        folder.mkdir()
        (folder / "upload.jpg").write_bytes(b"a face")
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("not an upload")
    (tmp_path / f"{PREFIX}{dead}-link").symlink_to(target)  # a link is not followed, nor removed
    (tmp_path / f"{PREFIX}{dead}-file").write_text("a file, not a folder")
    assert remove_stale_upload_dirs(tmp_path) == 1
    assert not stale.exists() and all((folder / "upload.jpg").exists() for folder in kept)
    assert (target / "keep.txt").exists() and (tmp_path / f"{PREFIX}{dead}-link").is_symlink()
    assert (tmp_path / f"{PREFIX}{dead}-file").is_file()
    # another user's folder is theirs to clean, even when its process is gone
    other = tmp_path / f"{PREFIX}{dead}-z9y8"
    other.mkdir()
    monkeypatch.setattr(upload_dir.os, "getuid", lambda: os.stat(other).st_uid + 1)
    assert remove_stale_upload_dirs(tmp_path) == 0 and other.exists()


def test_a_new_folder_is_private_and_named_after_its_process(tmp_path, monkeypatch):
    monkeypatch.setattr(upload_dir.tempfile, "tempdir", str(tmp_path))
    folder = make_upload_dir()
    assert folder.parent == tmp_path and folder.name.startswith(f"{PREFIX}{os.getpid()}-")
    assert os.stat(folder).st_mode & 0o777 == 0o700
    assert remove_stale_upload_dirs() == 0 and folder.exists()  # this process runs: its folder stays
