"""A disk that fills up, for tests that cannot mount a small file system: every file that facecompare.atomic
writes takes ``room`` bytes, then its writes fail with ENOSPC, as on a full disk (and torch.save, writing
into it, raises its own RuntimeError over that, as it does there)."""

from __future__ import annotations

import errno
import io
import os

import pytest


def fill_up(monkeypatch: pytest.MonkeyPatch, room: int) -> None:
    class FullFile(io.FileIO):
        def write(self, data) -> int:
            if self.tell() + memoryview(data).nbytes > room:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return super().write(data)

    real = os.fdopen

    def fdopen(fd: int, mode: str = "r", *args, **kwargs):  # atomic_write opens its temporary file with it
        return io.BufferedWriter(FullFile(fd, "wb")) if mode == "wb" else real(fd, mode, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", fdopen)
