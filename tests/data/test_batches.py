"""The kinds of training batch (data/sampler=pairs|pk|images): each checks its own settings and builds its
sampler and dataset, on a tiny fake training split."""

import numpy as np
import pytest
import torch

from facecompare.data.batches import Epoch, ImageBatches, PairBatches, PKBatches
from facecompare.data.faceset import FaceSet
from facecompare.errors import ConfigError

# 6 people with 3 photos each and 2 with one
LABELS = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 7])
TRAIN = FaceSet(torch.zeros(len(LABELS), 1, 16, 16, dtype=torch.uint8), LABELS, [f"p{i}" for i in range(8)])


def batches(kind, epoch: Epoch) -> list:
    parts = kind.parts(TRAIN, None, epoch)
    loader = torch.utils.data.DataLoader(parts.dataset, **parts.kwargs)
    return [batch for batch in loader]


def test_pair_batches_are_balanced_and_fill_the_epoch():
    drawn = batches(PairBatches(), Epoch(batch_size=4, pairs_per_epoch=16, seed=0))
    assert len(drawn) == 4 and all(len(same) == 4 for _, _, same in drawn)
    assert sum(int(same.sum()) for _, _, same in drawn) == 8  # half the pairs of one person
    with pytest.raises(ConfigError, match=r"gives 8 pairs per process \(2 processes\), fewer than data.batch_size"):
        PairBatches().parts(TRAIN, None, Epoch(batch_size=10, pairs_per_epoch=16, seed=0, rank=0, world=2))


def test_pk_batches_take_p_people_k_photos_and_singles_when_asked():
    (_, labels), *_ = batches(PKBatches(p=2, k=3), Epoch(batch_size=99, pairs_per_epoch=2, seed=0))
    assert sorted(np.unique(labels, return_counts=True)[1].tolist()) == [3, 3]
    (_, labels), *_ = batches(PKBatches(p=2, k=2, singles=2), Epoch(batch_size=99, pairs_per_epoch=2, seed=0))
    assert sorted(np.unique(labels, return_counts=True)[1].tolist()) == [1, 1, 2, 2] and {6, 7} <= set(labels.tolist())


@pytest.mark.parametrize(
    "settings, message",
    [({"p": 1}, r"data\.sampler\.p must be >= 2"), ({"k": 1}, r"data\.sampler\.k must be >= 2"),
     ({"singles": -1}, r"data\.sampler\.singles must be >= 0, got -1")],
)  # fmt: skip
def test_pk_settings_are_checked_when_built(settings, message):
    with pytest.raises(ConfigError, match=message):
        PKBatches(**settings)


def test_image_batches_hold_every_image_once_an_epoch():
    drawn = batches(ImageBatches(), Epoch(batch_size=5, pairs_per_epoch=2, seed=0))
    seen = sorted(i for images, labels in drawn for i in labels.tolist())
    assert len(drawn) == 4 and seen == sorted(LABELS.tolist())
