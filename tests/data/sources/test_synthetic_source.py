"""The synthetic source packed a few people at a time gives the crops, labels and split its build gives."""

import numpy as np
import torch

from facecompare.data.sources import synthetic
from facecompare.data.sources.synthetic import SyntheticSource


def test_streamed_crops_are_the_built_ones(monkeypatch):
    monkeypatch.setattr(synthetic, "RENDER_CHUNK", 4)  # several chunks per split
    source = SyntheticSource(num_identities=20, images_per_identity=3)
    names, crops, splits = source.iter_faces(32, 1)
    streamed = list(crops)
    built = source.build(32, 1)
    parts = (built.train, built.val, built.test)
    assert torch.equal(torch.from_numpy(np.stack([c for c, _ in streamed])), torch.cat([p.images for p in parts]))
    assert [label for _, label in streamed] == np.concatenate([p.labels for p in parts]).tolist()
    assert {k: set(v) for k, v in splits.items()} == {
        k: set(np.unique(p.labels).tolist()) for k, p in zip(("train", "val", "test"), parts, strict=True)
    }
    assert names == built.train.names
