"""A packed face store: aligned crops in raw uint8 shards on disk, read crop by crop as batches ask, so
training holds only the labels in memory, whatever the dataset's size, and the processes of a node share the
pages through the OS cache instead of each holding a copy.

Layout of a store folder:
- ``shard-00000.npy`` ...: (n, C, H, W) uint8 crops, plain ``.npy`` files, each crop read at its offset;
- ``labels.npy``: (N,) int64 identity labels, indexing ``names`` in ``store.json``;
- ``store.json``: the format, the crop size, the shards with their counts, the names, and ``complete``.
Each shard is written whole (temporary file, then rename) and listed in ``store.json`` as it is done, so a
killed pack resumes after its last finished shard. benchmarks/face_store.py measured this against LitData's
StreamingDataset on the same workload (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from facecompare.errors import FacecompareError

FORMAT, VERSION, META = "facecompare-face-store", 1, "store.json"


class StoreError(FacecompareError):
    """A face store folder that is missing, incomplete or damaged."""


class StoredImages:
    """(N, C, H, W) uint8 crops of a store, or of a subset of its rows, indexed like a tensor: an int, a slice,
    an index array or a boolean mask gives a torch tensor (a copy).

    Each crop is read with ``pread`` from its shard: the bytes pass through the OS page cache, which every
    process of a node shares, and not through a memory map, whose touched pages (and the kernel's read-ahead
    around each random access) would count towards the process's resident memory and grow with every batch.
    Files are opened on first use in each process, so a pickled copy (a loader worker's) carries only paths and
    row numbers."""

    dtype = torch.uint8
    ndim = 4

    def __init__(self, folder: Path, counts: list[int], shape: tuple[int, int, int], rows: np.ndarray | None = None):
        self.folder, self.counts, self.item_shape = Path(folder), list(counts), tuple(shape)
        self.starts = np.concatenate([[0], np.cumsum(self.counts)]).astype(np.int64)
        self.rows = np.arange(self.starts[-1]) if rows is None else np.asarray(rows, np.int64)
        self.item_bytes = int(np.prod(shape))
        self._files: list[tuple[int, int]] | None = None  # (descriptor, offset of the first crop) per shard

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_files": None}

    def __del__(self) -> None:
        for fd, _ in self._files or []:
            os.close(fd)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self), *self.item_shape)

    def _shards(self) -> list[tuple[int, int]]:
        if self._files is None:
            self._files = [_open_shard(self.folder / shard_name(i)) for i in range(len(self.counts))]
        return self._files

    def subset(self, index: np.ndarray) -> StoredImages:
        """The images at ``index`` (positions or a boolean mask) as a new view, nothing read."""
        return StoredImages(self.folder, self.counts, self.item_shape, self.rows[_positions(index, len(self))])

    def __getitem__(self, index: Any) -> torch.Tensor:
        if isinstance(index, (int, np.integer)):
            return self[np.array([index])][0]
        rows = self.rows[_positions(index, len(self))]
        shard = np.searchsorted(self.starts, rows, side="right") - 1
        out = np.empty((len(rows), self.item_bytes), np.uint8)
        files, size = self._shards(), self.item_bytes
        for k, (s, row) in enumerate(zip(shard.tolist(), (rows - self.starts[shard]).tolist(), strict=True)):
            fd, first = files[s]
            data = os.pread(fd, size, first + row * size)
            if len(data) != size:
                raise StoreError(
                    f"{self.folder / shard_name(s)}: ends inside crop {row} (truncated since it was opened?)"
                )
            out[k] = np.frombuffer(data, np.uint8)
        return torch.from_numpy(out.reshape(len(rows), *self.item_shape))


def _open_shard(path: Path) -> tuple[int, int]:
    """(an open descriptor, the byte offset of the first crop after the .npy header)."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        read(f)
        offset = f.tell()
    return os.open(path, os.O_RDONLY), offset


def _positions(index: Any, length: int) -> np.ndarray:
    if isinstance(index, torch.Tensor):
        index = index.numpy()
    if isinstance(index, slice):
        return np.arange(length)[index]
    index = np.asarray(index)
    return np.flatnonzero(index) if index.dtype == bool else index.astype(np.int64)


def shard_name(i: int) -> str:
    return f"shard-{i:05d}.npy"


def read_store(folder: str | Path) -> tuple[StoredImages, np.ndarray, list[str], dict[str, Any]]:
    """(images, labels, names, meta) of a complete store."""
    folder = Path(folder).expanduser()
    try:
        meta = json.loads((folder / META).read_text())
    except (OSError, ValueError) as err:
        raise StoreError(f"{folder}: not a face store ({META}: {err}); make one with scripts/pack.py") from None
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise StoreError(f"{folder / META}: not a {FORMAT} version {VERSION} file")
    if not meta.get("complete"):
        raise StoreError(f"{folder}: the store is incomplete (its pack was stopped); run scripts/pack.py again")
    labels = np.load(folder / "labels.npy")
    counts = [shard["count"] for shard in meta["shards"]]
    if sum(counts) != len(labels):
        raise StoreError(f"{folder}: {len(labels)} labels for {sum(counts)} images in the shards")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(meta["names"])):
        raise StoreError(f"{folder / 'labels.npy'}: labels outside 0..{len(meta['names']) - 1}, the store's identities")
    for i, shard in enumerate(meta["shards"]):
        path = folder / shard_name(i)
        try:
            shape = np.load(path, mmap_mode="r").shape  # reads the header; a short file fails to map
        except (OSError, ValueError) as err:
            raise StoreError(f"{path}: missing or damaged ({err})") from None
        if shape != (shard["count"], *meta["shape"]):
            raise StoreError(f"{path}: holds {shape}, store.json says {shard['count']} crops of {tuple(meta['shape'])}")
        if fingerprint(path) != shard["fingerprint"]:
            raise StoreError(f"{path}: not the shard store.json lists (another pack's, or changed since)")
    return StoredImages(folder, counts, tuple(meta["shape"])), labels, list(meta["names"]), meta


def fingerprint(data: bytes | Path) -> str:
    """The size and a SHA-256 of the first and last MiB of a shard: cheap to check on every open, and enough to
    tell a shard of another pack (or a shard cut short and padded) from the one the index lists."""
    if isinstance(data, Path):
        with open(data, "rb") as f:
            size = f.seek(0, 2)
            f.seek(0)
            head = f.read(1 << 20)
            f.seek(max(0, size - (1 << 20)))
            tail = f.read(1 << 20)
    else:
        size, head, tail = len(data), data[: 1 << 20], data[-(1 << 20) :]
    return f"{size}:{hashlib.sha256(head + tail).hexdigest()}"
