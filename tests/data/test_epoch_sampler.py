"""Shuffled image batches: every image once per epoch, a new order each epoch, disjoint across processes."""

import numpy as np
import pytest

from facecompare.data.epoch_sampler import ShuffledBatchSampler
from facecompare.errors import ConfigError


def test_every_image_once_per_epoch_in_a_new_seeded_order():
    sampler = ShuffledBatchSampler(12, 4, seed=3)
    first = list(sampler)
    assert len(first) == len(sampler) == 3 and sorted(np.concatenate(first).tolist()) == list(range(12))
    assert list(ShuffledBatchSampler(12, 4, seed=3)) == first  # seeded
    sampler.set_epoch(1)
    second = list(sampler)
    assert sorted(np.concatenate(second).tolist()) == list(range(12)) and second != first
    assert sampler.sampler is sampler  # where Lightning calls set_epoch


def test_two_processes_read_disjoint_images_and_together_all():
    ranks = [list(ShuffledBatchSampler(10, 2, seed=0, rank=r, world=2)) for r in range(2)]
    assert [len(r) for r in ranks] == [2, 2]  # 5 batches: the fifth waits, so that both take the same number
    seen = [set(np.concatenate(r).tolist()) for r in ranks]
    assert not seen[0] & seen[1] and len(seen[0] | seen[1]) == 8
    single = list(ShuffledBatchSampler(10, 2, seed=0))
    assert ranks[0] == single[0:4:2] and ranks[1] == single[1:4:2]  # the same draw, every other batch


def test_too_few_images_for_a_batch_per_process():
    with pytest.raises(ConfigError, match="fewer than one per process"):
        ShuffledBatchSampler(3, 4)
    with pytest.raises(ValueError, match="rank must be in"):
        ShuffledBatchSampler(8, 2, rank=2, world=2)
    assert np.array_equal(np.sort(np.concatenate(list(ShuffledBatchSampler(8, 8)))), np.arange(8))
