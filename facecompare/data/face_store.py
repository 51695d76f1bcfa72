"""A packed face store: aligned crops in raw uint8 shards on disk, read through memory maps, so training holds
only the labels in memory, whatever the dataset's size, and the processes of a node share the pages through
the OS cache instead of each holding a copy.

Layout of a store folder:
- ``shard-00000.npy`` ...: (n, C, H, W) uint8 crops, plain ``.npy`` files (read with ``mmap_mode="r"``);
- ``labels.npy``: (N,) int64 identity labels, indexing ``names`` in ``store.json``;
- ``store.json``: the format, the crop size, the shards with their counts, the names, and ``complete``.
Each shard is written whole (temporary file, then rename) and listed in ``store.json`` as it is done, so a
killed pack resumes after its last finished shard. benchmarks/face_store.py measured this against LitData's
StreamingDataset on the same workload (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from facecompare.atomic import atomic_write_bytes, atomic_write_text
from facecompare.errors import FacecompareError

FORMAT, VERSION, META = "facecompare-face-store", 1, "store.json"


class StoreError(FacecompareError):
    """A face store folder that is missing, incomplete or damaged."""


class MappedImages:
    """(N, C, H, W) uint8 crops of a store, or of a subset of its rows, indexed like a tensor: an int, a slice,
    an index array or a boolean mask gives a torch tensor (a copy). Maps are opened on first use in each
    process, so a pickled copy (a loader worker's) carries only paths and row numbers."""

    dtype = torch.uint8
    ndim = 4

    def __init__(self, folder: Path, counts: list[int], shape: tuple[int, int, int], rows: np.ndarray | None = None):
        self.folder, self.counts, self.item_shape = Path(folder), list(counts), tuple(shape)
        self.starts = np.concatenate([[0], np.cumsum(self.counts)]).astype(np.int64)
        self.rows = np.arange(self.starts[-1]) if rows is None else np.asarray(rows, np.int64)
        self._maps: list[np.ndarray] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_maps": None}

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self), *self.item_shape)

    def _shards(self) -> list[np.ndarray]:
        if self._maps is None:
            self._maps = [np.load(self.folder / shard_name(i), mmap_mode="r") for i in range(len(self.counts))]
        return self._maps

    def subset(self, index: np.ndarray) -> MappedImages:
        """The images at ``index`` (positions or a boolean mask) as a new view, nothing read."""
        return MappedImages(self.folder, self.counts, self.item_shape, self.rows[_positions(index, len(self))])

    def __getitem__(self, index: Any) -> torch.Tensor:
        if isinstance(index, (int, np.integer)):
            return self[np.array([index])][0]
        rows = self.rows[_positions(index, len(self))]
        shard = np.searchsorted(self.starts, rows, side="right") - 1
        out = np.empty((len(rows), *self.item_shape), np.uint8)
        maps = self._shards()
        for s in np.unique(shard):
            where = np.flatnonzero(shard == s)
            out[where] = maps[s][rows[where] - self.starts[s]]
        return torch.from_numpy(out)


def _positions(index: Any, length: int) -> np.ndarray:
    if isinstance(index, torch.Tensor):
        index = index.numpy()
    if isinstance(index, slice):
        return np.arange(length)[index]
    index = np.asarray(index)
    return np.flatnonzero(index) if index.dtype == bool else index.astype(np.int64)


def shard_name(i: int) -> str:
    return f"shard-{i:05d}.npy"


def read_store(folder: str | Path) -> tuple[MappedImages, np.ndarray, list[str], dict[str, Any]]:
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
    counts = [s["count"] for s in meta["shards"]]
    if sum(counts) != len(labels):
        raise StoreError(f"{folder}: {len(labels)} labels for {sum(counts)} images in the shards")
    for i, count in enumerate(counts):
        path = folder / shard_name(i)
        try:
            shape = np.load(path, mmap_mode="r").shape  # reads the header; a short file fails to map
        except (OSError, ValueError) as err:
            raise StoreError(f"{path}: missing or damaged ({err})") from None
        if shape != (count, *meta["shape"]):
            raise StoreError(f"{path}: holds {shape}, store.json says {count} crops of {tuple(meta['shape'])}")
    return MappedImages(folder, counts, tuple(meta["shape"])), labels, list(meta["names"]), meta


def write_store(
    out: str | Path, faces: Iterable[tuple[np.ndarray, int]], names: list[str], shard_size: int = 4096, **about: Any
) -> dict[str, Any]:
    """Pack (CHW uint8 crop, label) pairs into ``out``, ``shard_size`` crops a shard; a store that a killed
    run left behind is continued after its last whole shard (the same input in the same order)."""
    out = Path(out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    done = _resumable(out, names, about)
    shards = list(done["shards"])
    skip = sum(s["count"] for s in shards)
    # labels.npy is written before store.json: a pack killed between the two has labels of one more shard
    labels = list(np.load(out / "labels.npy")[:skip]) if shards else []
    meta = {"format": FORMAT, "version": VERSION, "complete": False, "names": names, **about, "shards": shards}
    batch, batch_labels, shape = [], [], done.get("shape")
    for k, (crop, label) in enumerate(faces):
        if k < skip:
            continue
        shape = shape or list(crop.shape)
        if list(crop.shape) != shape or crop.dtype != np.uint8:
            raise StoreError(f"crop {k}: {crop.dtype} {crop.shape}, the store holds uint8 {tuple(shape)}")
        batch.append(crop)
        batch_labels.append(int(label))
        if len(batch) == shard_size:
            _flush(out, meta | {"shape": shape}, batch, batch_labels, labels)
    if batch:
        _flush(out, meta | {"shape": shape}, batch, batch_labels, labels)
    meta = json.loads((out / META).read_text()) if (out / META).is_file() else meta | {"shape": shape}
    if not meta["shards"]:
        raise StoreError(f"{out}: nothing to pack")
    meta["complete"] = True
    atomic_write_text(out / META, json.dumps(meta))
    return meta


def _flush(out: Path, meta: dict, batch: list, batch_labels: list, labels: list) -> None:
    index = len(meta["shards"])
    buffer = _npy_bytes(np.stack(batch))
    atomic_write_bytes(out / shard_name(index), buffer)
    labels.extend(batch_labels)
    atomic_write_bytes(out / "labels.npy", _npy_bytes(np.asarray(labels, np.int64)))
    meta["shards"].append({"file": shard_name(index), "count": len(batch)})
    atomic_write_text(out / META, json.dumps(meta))
    batch.clear()
    batch_labels.clear()


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _resumable(out: Path, names: list[str], about: dict[str, Any]) -> dict[str, Any]:
    """The finished shards of an earlier, stopped pack of the same input; none for a new folder."""
    if not (out / META).is_file():
        if any(out.iterdir()):
            raise StoreError(f"{out}: holds other files (no {META}); choose a new or empty folder")
        return {"shards": []}
    meta = json.loads((out / META).read_text())
    if meta.get("format") != FORMAT or meta.get("names") != names or any(meta.get(k) != v for k, v in about.items()):
        raise StoreError(f"{out}: holds a store of other data; choose a new or empty folder")
    if meta.get("complete"):
        raise StoreError(f"{out}: holds a complete store already; remove it to pack again")
    return meta


def iter_faceset(images: torch.Tensor, labels: np.ndarray) -> Iterator[tuple[np.ndarray, int]]:
    """(CHW crop, label) of an in-memory FaceSet, for ``write_store``."""
    for image, label in zip(images, labels, strict=True):
        yield image.numpy(), int(label)
