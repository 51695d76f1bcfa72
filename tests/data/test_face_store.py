"""The packed face store: crops back bit for bit through memory maps, a stopped pack resumed, damage named."""

import hashlib
import io
import pickle

import numpy as np
import pytest
import torch

from facecompare.data.face_store import StoreError, read_store
from facecompare.data.face_store_writer import write_store
from facecompare.data.faceset import FaceSet


def _crops(n: int = 25) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 3, 8, 8), dtype=np.uint8), np.arange(n) % 5


def test_crops_and_labels_come_back_and_index_like_a_tensor(tmp_path):
    crops, labels = _crops()
    meta = write_store(tmp_path / "s", zip(crops, labels, strict=True), list("abcde"), shard_size=10, source="t")
    assert [s["count"] for s in meta["shards"]] == [10, 10, 5] and meta["complete"]
    # each shard is what np.save writes, and its recorded SHA-256 is that of the file
    buffer = io.BytesIO()
    np.save(buffer, crops[10:20])
    assert (tmp_path / "s" / meta["shards"][1]["file"]).read_bytes() == buffer.getvalue()
    assert meta["shards"][1]["sha256"] == hashlib.sha256(buffer.getvalue()).hexdigest()
    images, back, names, _ = read_store(tmp_path / "s")
    assert names == list("abcde") and np.array_equal(back, labels) and images.shape == (25, 3, 8, 8)
    assert torch.equal(images[np.arange(25)], torch.from_numpy(crops))
    assert torch.equal(images[7], torch.from_numpy(crops[7]))
    rows = np.array([24, 3, 11, 3])  # across shards, out of order, repeated: as a P x K batch asks
    assert torch.equal(images[rows], torch.from_numpy(crops[rows]))
    assert torch.equal(images[torch.from_numpy(labels == 2)], torch.from_numpy(crops[labels == 2]))
    assert torch.equal(images[2:5], torch.from_numpy(crops[2:5]))
    # a FaceSet over it selects identities as a view; a pickled copy (a loader worker's) maps its own files
    faces = FaceSet(images, back, names).select_identities(np.array([1, 3]))
    assert len(faces) == 10 and not isinstance(faces.images, torch.Tensor)
    copy = pickle.loads(pickle.dumps(faces.images))
    assert torch.equal(copy[np.arange(10)], torch.from_numpy(crops[np.isin(labels, [1, 3])]))


def test_damage_and_foreign_folders_are_named(tmp_path):
    crops, labels = _crops()
    write_store(tmp_path / "s", zip(crops, labels, strict=True), list("abcde"), shard_size=10, source="t")
    shard = tmp_path / "s" / "shard-00001.npy"
    shard.write_bytes(shard.read_bytes()[:300])
    with pytest.raises(StoreError, match=r"shard-00001\.npy: missing or damaged"):
        read_store(tmp_path / "s")
    with pytest.raises(StoreError, match="not a face store"):
        read_store(tmp_path / "nowhere")
    # a shard of another pack, of the same shape: its fingerprint is not the one store.json lists
    write_store(tmp_path / "other", zip(crops[::-1], labels, strict=True), list("abcde"), shard_size=10, source="t")
    (tmp_path / "s" / "shard-00001.npy").write_bytes((tmp_path / "other" / "shard-00001.npy").read_bytes())
    with pytest.raises(StoreError, match=r"shard-00001\.npy: not the shard store.json lists"):
        read_store(tmp_path / "s")
    np.save(tmp_path / "other" / "labels.npy", labels + 3)
    with pytest.raises(StoreError, match=r"labels\.npy: labels outside 0\.\.4"):
        read_store(tmp_path / "other")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "photo.jpg").write_bytes(b"x")
    with pytest.raises(StoreError, match="holds other files"):
        write_store(tmp_path / "busy", zip(crops, labels, strict=True), list("abcde"))
