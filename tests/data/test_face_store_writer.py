"""Packing a face store: a stopped pack resumes after its last whole shard, and is never mixed with other data."""

import numpy as np
import pytest
import torch

from facecompare.data.face_store import StoreError, read_store
from facecompare.data.face_store_writer import write_store


def _crops(n: int = 25) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 3, 8, 8), dtype=np.uint8), np.arange(n) % 5


def test_a_stopped_pack_resumes_after_its_last_whole_shard(tmp_path):
    crops, labels = _crops()

    def stopped_after(n):
        for k, item in enumerate(zip(crops, labels, strict=True)):
            if k == n:
                raise KeyboardInterrupt
            yield item

    with pytest.raises(KeyboardInterrupt):
        write_store(tmp_path / "s", stopped_after(17), list("abcde"), shard_size=10, source="t")
    with pytest.raises(StoreError, match="incomplete"):
        read_store(tmp_path / "s")
    write_store(tmp_path / "s", zip(crops, labels, strict=True), list("abcde"), shard_size=10, source="t")
    images, back, _, _ = read_store(tmp_path / "s")
    assert torch.equal(images[np.arange(25)], torch.from_numpy(crops)) and np.array_equal(back, labels)
    with pytest.raises(StoreError, match="complete store already"):
        write_store(tmp_path / "s", zip(crops, labels, strict=True), list("abcde"), shard_size=10, source="t")
    with pytest.raises(KeyboardInterrupt):  # a stopped pack of other data: not continued with these
        write_store(tmp_path / "t", stopped_after(12), list("abcde"), shard_size=10, source="t")
    with pytest.raises(StoreError, match="a store of other data"):
        write_store(tmp_path / "t", zip(crops, labels, strict=True), list("vwxyz"), shard_size=10, source="t")
