import numpy as np
import pytest

from facecompare.data.pk_sampler import PKBatchSampler
from facecompare.errors import ConfigError

# 5 identities with 1, 2, 3, 5, 6 images
LABELS = np.repeat(np.arange(5), [1, 2, 3, 5, 6])


def test_batches_hold_p_identities_with_k_images():
    sampler = PKBatchSampler(LABELS, p=3, k=4, num_batches=20, seed=0)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 20
    for batch in batches:
        ids, counts = np.unique(LABELS[batch], return_counts=True)
        assert len(batch) == 12 and len(ids) == 3 and set(counts) == {4}
        assert 0 not in ids  # a single image cannot give a positive


def test_no_repeats_when_identity_has_enough_images():
    for batch in PKBatchSampler(LABELS, p=2, k=4, num_batches=30, seed=1):
        for who in np.unique(LABELS[batch]):
            members = [i for i in batch if LABELS[i] == who]
            if (who == LABELS).sum() >= 4:
                assert len(set(members)) == 4


def test_seeded_per_epoch_and_skips_counted():
    a, b = PKBatchSampler(LABELS, 2, 2, 5, seed=3), PKBatchSampler(LABELS, 2, 2, 5, seed=3)
    assert list(a) == list(b) and a.skipped_identities == 1
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first


def test_singles_join_every_batch_as_distinct_negatives():
    # 4 identities of one image (0, 1, 2, 3) beside three of several
    labels = np.repeat(np.arange(7), [1, 1, 1, 1, 2, 3, 4])
    sampler = PKBatchSampler(labels, p=2, k=2, num_batches=40, seed=0, singles=3)
    assert sampler.skipped_identities == 0
    seen = set()
    for batch in sampler:
        pk, extra = batch[:4], batch[4:]
        ids, counts = np.unique(labels[pk], return_counts=True)
        assert len(ids) == 2 and set(counts) == {2} and ids.min() >= 4
        assert len(extra) == 3 and len(set(labels[extra])) == 3 and labels[extra].max() <= 3
        seen |= set(labels[extra].tolist())
    assert seen == {0, 1, 2, 3}  # every single-image person gets drawn
    # the P x K part is drawn first and exactly as without singles
    plain = list(PKBatchSampler(labels, p=2, k=2, num_batches=1, seed=5))
    assert next(iter(PKBatchSampler(labels, p=2, k=2, num_batches=1, seed=5, singles=2)))[:4] == plain[0]
    with pytest.raises(ConfigError, match=r"data.sampler.singles must be in 0..4 \(the training identities"):
        PKBatchSampler(labels, 2, 2, 3, singles=5)


@pytest.mark.parametrize("p, k, message", [(5, 2, "at least p=5"), (1, 2, "sampler.p must be"), (2, 1, "sampler.k")])
def test_bad_settings(p, k, message):
    with pytest.raises(ConfigError, match=message):
        PKBatchSampler(LABELS, p, k, 3)


def test_processes_take_disjoint_equal_shares_of_the_same_draw():
    whole = list(PKBatchSampler(LABELS, 2, 2, 9, seed=4))
    shares = [list(PKBatchSampler(LABELS, 2, 2, 9, seed=4, rank=r, world=2)) for r in range(2)]
    assert [len(s) for s in shares] == [4, 4]  # the same number of steps on every process; the 9th is dropped
    assert shares[0] == whole[0:8:2] and shares[1] == whole[1:8:2]
    with pytest.raises(ValueError, match="rank must be in"):
        PKBatchSampler(LABELS, 2, 2, 9, rank=2, world=2)
