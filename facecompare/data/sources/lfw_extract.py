"""Safe extraction of the LFW tarball: regular files and folders only, all inside the target, renamed in whole."""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from facecompare.data.sources.lfw_layout import is_image_tree
from facecompare.errors import ConfigError

TARBALL = "lfw-deepfunneled.tgz"
TARBALL_DIR = "lfw-deepfunneled"  # the one top-level folder the tarball holds


def _check_member(archive: Path, member: tarfile.TarInfo) -> None:
    # LFW holds only folders and JPEGs, so links and devices are refused outright rather than resolved;
    # the "data" filter below checks again where this Python has it.
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts:
        raise ConfigError(f"{archive}: refusing member {member.name!r}, it would land outside the target folder")
    if not (member.isfile() or member.isdir()):
        raise ConfigError(f"{archive}: refusing member {member.name!r}, not a regular file or folder")


def extract_tree(archive: Path, root: Path) -> Path:
    """Extract ``archive`` beside ``root/lfw-deepfunneled`` and rename its tree into place; returns the tree.

    A failure at any point removes the partial extraction, so ``root`` never holds half a tree.
    """
    dest = root / TARBALL_DIR
    if dest.exists():
        raise ConfigError(f"{dest} exists but is not an LFW image tree; move it away and retry the download")
    work = Path(tempfile.mkdtemp(prefix=".lfw-extract-", dir=root))
    try:
        try:
            with tarfile.open(archive) as tar:
                members = tar.getmembers()
                for member in members:
                    _check_member(archive, member)
                if hasattr(tarfile, "data_filter"):  # Python 3.10.12+ / 3.11.4+
                    tar.extractall(work, members=members, filter="data")
                else:
                    tar.extractall(work, members=members)
        except (tarfile.TarError, OSError) as e:
            raise ConfigError(f"{archive}: cannot extract the LFW tarball: {e}") from None
        tree = work / TARBALL_DIR
        if not is_image_tree(tree):
            raise ConfigError(f"{archive}: holds no {TARBALL_DIR}/<Name>/<Name>_0001.jpg tree; not the LFW tarball")
        os.replace(tree, dest)  # same file system (work is inside root): one atomic rename
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest
