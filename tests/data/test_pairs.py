"""Balanced pair drawing and the per-epoch pair sampler, on tiny fake label sets."""

import numpy as np
import pytest

from facecompare.data.pairs import BalancedPairSampler, draw_balanced_pairs
from facecompare.errors import ConfigError

# identity 0: 3 images, 1: 2 images, 2: 1 image (can only be an impostor), 3: 4 images
LABELS = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3])


def test_balanced_and_valid():
    pairs = draw_balanced_pairs(LABELS, 1000, np.random.default_rng(0))
    assert pairs.shape == (1000, 3) and pairs.dtype == np.int64
    same = pairs[:, 2] == 1
    assert same.sum() == 500
    assert np.all(LABELS[pairs[same, 0]] == LABELS[pairs[same, 1]])
    assert np.all(pairs[same, 0] != pairs[same, 1])  # never an image with itself
    assert np.all(LABELS[pairs[~same, 0]] != LABELS[pairs[~same, 1]])


def test_single_image_people_only_in_impostor_pairs():
    pairs = draw_balanced_pairs(LABELS, 2000, np.random.default_rng(1))
    loner = 5  # the only image of identity 2
    in_pair = (pairs[:, 0] == loner) | (pairs[:, 1] == loner)
    assert in_pair.any() and np.all(pairs[in_pair, 2] == 0)


def test_identities_drawn_uniformly_not_by_image_count():
    pairs = draw_balanced_pairs(LABELS, 40000, np.random.default_rng(2))
    genuine_ids = LABELS[pairs[pairs[:, 2] == 1, 0]]
    shares = np.bincount(genuine_ids, minlength=4)[[0, 1, 3]] / len(genuine_ids)
    assert np.allclose(shares, 1 / 3, atol=0.02)  # identity 3 has twice identity 1's images, same share


def test_odd_count_and_ordering_is_shuffled():
    pairs = draw_balanced_pairs(LABELS, 7, np.random.default_rng(3))
    assert len(pairs) == 7 and pairs[:, 2].sum() == 3
    big = draw_balanced_pairs(LABELS, 200, np.random.default_rng(3))
    assert 0 < big[:100, 2].sum() < 100  # not all genuine first


def test_sampler_is_seeded_and_redraws_each_epoch():
    a, b = BalancedPairSampler(LABELS, 50, seed=7), BalancedPairSampler(LABELS, 50, seed=7)
    assert list(a) == list(b) and len(a) == 50
    epoch0 = list(a)
    a.set_epoch(1)
    assert list(a) != epoch0
    a.set_epoch(0)
    assert list(a) == epoch0
    assert list(BalancedPairSampler(LABELS, 50, seed=8)) != epoch0


@pytest.mark.parametrize(
    "labels, message",
    [(np.array([0, 0, 0]), "at least 2 identities"), (np.array([0, 1, 2]), "at least 2 images")],
)
def test_impossible_draws_explain_why(labels, message):
    with pytest.raises(ConfigError, match=message):
        draw_balanced_pairs(labels, 10, np.random.default_rng(0))


def test_hard_negatives_pick_the_closest_other_person():
    from facecompare.data.pairs import harden_negatives

    labels = np.array([0, 0, 1, 1, 2, 2])
    # image 4 (identity 2) sits right next to image 0; everything else is far apart
    emb = np.array([[0.0, 0], [5, 5], [9, 0], [0, 9], [0.1, 0], [9, 9]])
    pairs = np.array([[0, 2, 0], [0, 3, 0], [0, 1, 1]])
    hard = harden_negatives(pairs, labels, emb, fraction=1.0, pool=200, rng=np.random.default_rng(0))
    assert hard[:2, 1].tolist() == [4, 4] and hard[2].tolist() == [0, 1, 1]
    assert np.all(labels[hard[:2, 0]] != labels[hard[:2, 1]])
    none = harden_negatives(pairs, labels, emb, fraction=0.0, pool=200, rng=np.random.default_rng(0))
    assert np.array_equal(none, pairs)


def test_sampler_uses_embeddings_once_given():
    sampler = BalancedPairSampler(LABELS, 400, seed=0)
    plain = list(sampler)
    emb = np.random.default_rng(0).normal(size=(len(LABELS), 4))
    sampler.set_embeddings(emb, fraction=1.0)
    hard = list(sampler)
    assert sum(p[2] for p in hard) == 200  # still balanced
    changed = sum(a != b for a, b in zip(plain, hard, strict=True))
    assert changed > 50
    assert all(LABELS[i] != LABELS[j] for i, j, same in hard if not same)


def test_processes_take_disjoint_equal_shares_of_the_same_draw():
    labels = np.repeat(np.arange(10), 3)
    whole = BalancedPairSampler(labels, 21, seed=5)
    whole.set_epoch(2)
    shares = []
    for rank in range(3):
        sampler = BalancedPairSampler(labels, 21, seed=5, rank=rank, world=3)
        sampler.set_epoch(2)
        shares.append(list(sampler))
        assert len(sampler) == len(shares[-1]) == 7
    assert sorted(p for share in shares for p in share) == sorted(whole)
    assert shares[1] == list(whole)[1::3]
