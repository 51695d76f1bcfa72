"""data=store: a packed store as a source, split by identity, the crops left on disk."""

import numpy as np
import pytest
import torch
from recordio_writer import write_rec

from facecompare.data.face_store_writer import write_store
from facecompare.data.sources.rec import RecordIOSource
from facecompare.data.sources.store import StoreSource
from facecompare.errors import ConfigError


def test_identity_disjoint_splits_over_the_maps(tmp_path):
    rng = np.random.default_rng(0)
    crops, labels = rng.integers(0, 256, (60, 3, 8, 8), dtype=np.uint8), np.arange(60) % 12
    write_store(tmp_path / "s", zip(crops, labels, strict=True), [f"p{i}" for i in range(12)], shard_size=16)
    faces = StoreSource(str(tmp_path / "s"), split={"train": 0.5, "val": 0.25, "test": 0.25}).build(8, 3)
    parts = [faces.train, faces.val, faces.test]
    assert sum(len(p) for p in parts) == 60
    people = [set(p.labels.tolist()) for p in parts]
    assert not (people[0] & people[1] or people[0] & people[2] or people[1] & people[2])
    for part in parts:  # each image is its own crop, read from the shards
        assert not isinstance(part.images, torch.Tensor)
        rows = np.flatnonzero(np.isin(labels, part.labels))
        assert torch.equal(part.images[np.arange(len(part))], torch.from_numpy(crops[rows]))
    with pytest.raises(ConfigError, match=r"holds \(3, 8, 8\) crops .* set data.image_size=8 data.channels=3"):
        StoreSource(str(tmp_path / "s")).build(16, 3)


def test_a_recordio_set_is_packed_as_it_streams(tmp_path):
    rng = np.random.default_rng(1)
    images = [rng.integers(0, 256, (8, 8, 3), dtype=np.uint8) for _ in range(12)]
    write_rec(tmp_path / "rec", images, [i // 3 for i in range(12)])
    names, faces, splits = RecordIOSource(str(tmp_path / "rec")).iter_faces(8, 3)
    assert splits is None  # the store draws it: a streamed source cannot without reading every label first
    meta = write_store(tmp_path / "s", faces, names, shard_size=5)
    assert names == ["0", "1", "2", "3"] and [s["count"] for s in meta["shards"]] == [5, 5, 2]
    got = StoreSource(str(tmp_path / "s"), split={"train": 0.5, "val": 0.5}).build(8, 3)
    every = torch.cat([got.train.images[np.arange(len(got.train))], got.val.images[np.arange(len(got.val))]])
    assert sorted(x.tobytes() for x in every.permute(0, 2, 3, 1).numpy()) == sorted(x.tobytes() for x in images)


@pytest.mark.slow
def test_training_from_a_packed_copy_is_training_from_the_source(make_cfg, tmp_path):
    """The same people in each split, the same crops in the same order, the same labels: the same run."""
    from facecompare.data.sources.synthetic import SyntheticSource
    from facecompare.training.train import train

    source = SyntheticSource(num_identities=24, images_per_identity=4)
    names, faces, splits = source.iter_faces(32, 3)
    write_store(tmp_path / "store", faces, names, shard_size=20, splits=splits)
    from_memory = train(make_cfg("test=false", output_dir=tmp_path / "memory"))
    packed = ["data=store", f"data.root={tmp_path / 'store'}", "data.image_size=32", "data/augment=none", "test=false"]
    from_store = train(make_cfg(*packed, output_dir=tmp_path / "packed"))
    assert from_store["best/val/auc"] == from_memory["best/val/auc"]
    assert from_store["train/loss"] == from_memory["train/loss"]
