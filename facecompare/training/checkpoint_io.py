"""Checkpoint writes that a kill cannot corrupt, and reads that refuse a damaged file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from pytorch_lightning.plugins.io import TorchCheckpointIO

from facecompare.atomic import atomic_write
from facecompare.torch_archive import check_torch_archive


def atomic_torch_save(obj: Any, path: str | Path) -> None:
    """Write to a temporary file in the same folder, fsync it, then rename over ``path``.

    A rename within one file system is atomic, so a reader (or a resumed run) sees either the old file or
    the complete new one, never a torn write, even on SIGKILL or power loss.
    """
    path = Path(path)
    atomic_write(path, lambda f: torch.save(obj, f))
    # Persist the rename itself (the directory entry), not just the file contents.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's torch checkpoint IO, with :func:`atomic_torch_save` for local paths, which are also
    CRC-checked before loading (a resume or test from a damaged checkpoint fails naming it)."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        if storage_options is not None or "://" in str(path):
            return super().save_checkpoint(checkpoint, path, storage_options)
        atomic_torch_save(checkpoint, path)

    def load_checkpoint(self, path: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if "://" not in str(path) and Path(path).is_file():
            check_torch_archive(path)
        return super().load_checkpoint(path, *args, **kwargs)
