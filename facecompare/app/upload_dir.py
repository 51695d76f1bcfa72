"""The web app's private upload folder, and the removal of those left behind by app processes that died.

Uploads are faces. Each app process keeps them in its own temporary folder, ``facecompare-app-<pid>-<random>``
(mode 0700), and removes it when it stops. A process killed without a chance to clean up (SIGKILL, a power
cut) leaves its folder: the next app started by the same user removes it. The PID is in the folder's name
rather than in a file inside it, so that a folder is never seen without its owner, not even while it is made.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

PREFIX = "facecompare-app-"
_OWNED = re.compile(rf"^{re.escape(PREFIX)}(\d+)-")


def make_upload_dir() -> Path:
    """A new private folder for this process's uploads, in the system's temporary folder."""
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))  # mkdtemp makes it 0700


def process_exists(pid: int) -> bool:
    """Whether a process with this PID runs, whoever owns it (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def stale_upload_dirs(root: str | Path | None = None) -> list[Path]:
    """This user's upload folders under ``root`` (the temporary folder by default) whose process is gone.

    A folder of another user, a link, or one whose name carries no PID is never listed. A PID that the
    system has given to a new process keeps its folder until that process ends too: the error is then on
    the side of keeping a folder, never of removing a running app's uploads."""
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows instead of checking it
        return []
    root = Path(tempfile.gettempdir() if root is None else root)
    stale = []
    for entry in os.scandir(root):
        owner = _OWNED.match(entry.name)
        if owner is None or int(owner.group(1)) == os.getpid():
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:  # removed meanwhile, e.g. by another app starting at the same time
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not process_exists(int(owner.group(1))):
            stale.append(Path(entry.path))
    return stale


def remove_stale_upload_dirs(root: str | Path | None = None) -> int:
    """Remove the folders ``stale_upload_dirs`` lists; returns how many were removed."""
    removed = 0
    for folder in stale_upload_dirs(root):
        shutil.rmtree(folder, ignore_errors=True)
        removed += not folder.exists()
    return removed
