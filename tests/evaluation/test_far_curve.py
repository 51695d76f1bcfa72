import itertools

import numpy as np
import pytest
import torch

from facecompare.evaluation.far_curve import far_curve, impostor_scores, subset
from facecompare.losses.distances import distance_to_score, pair_distance


def cosine(a, b):
    return distance_to_score(pair_distance(a, b, "cosine"), "cosine")


def test_only_pairs_of_different_people_are_scored():
    emb = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0], [4.0, 4.0]])
    dot = lambda a, b: (a * b).sum(1)  # noqa: E731
    # pairs (0,2) (0,3) (1,2) (1,3) (2,3): 0+4 ... by hand
    got = impostor_scores(dot, emb, ["a", "a", "b", "c"])
    assert sorted(got.tolist()) == sorted([0.0, 4.0, 0.0, 8.0, 12.0])


def test_matches_every_pair_scored_one_by_one():
    torch.manual_seed(0)
    emb = torch.nn.functional.normalize(torch.randn(30, 8), dim=1)
    names = [f"p{i % 7}" for i in range(30)]
    want = [
        float(cosine(emb[i : i + 1], emb[j : j + 1])[0])
        for i, j in itertools.combinations(range(30), 2)
        if names[i] != names[j]
    ]
    got = impostor_scores(cosine, emb, names)
    np.testing.assert_allclose(np.sort(got), np.sort(want), rtol=1e-6)


def test_curve_of_twenty_distinct_scores_by_hand():
    # 20 scores 0.00 ... 0.95: one pair in 20 (FAR 0.05) is accepted above the midpoint of 0.90 and 0.95; the
    # levels 10^-1.2 and 10^-1.1 still allow only one pair (they repeat 0.05); 10^-1 = 0.1 allows two
    curve = far_curve(np.arange(20) * 0.05)
    assert curve["impostor_pairs"] == 20
    np.testing.assert_allclose(curve["far"], [0.05, 0.1])
    np.testing.assert_allclose(curve["threshold"], [0.925, 0.875])


def test_tied_top_scores_are_never_split():
    scores = np.r_[0.9, 0.9, np.arange(18) * 0.01]
    curve = far_curve(scores)
    # one pair in 20 cannot be accepted without its twin: the curve starts at two
    assert curve["far"] == [0.1]
    assert curve["threshold"][0] == pytest.approx((0.9 + 0.17) / 2)


def test_each_threshold_accepts_the_fraction_it_records():
    scores = np.random.default_rng(1).random(100_000)
    curve = far_curve(scores)
    assert curve["far"][0] == pytest.approx(1e-5) and curve["far"][-1] == pytest.approx(0.1)
    # 10 levels a decade from 1e-5 to 1e-1 (41), less the four low ones that round to the pair count before
    assert curve["far"][:5] == [1e-5, 2e-5, 3e-5, 5e-5, 6e-5] and len(curve["far"]) == 37
    for far, threshold in zip(curve["far"], curve["threshold"], strict=True):
        assert np.mean(scores >= threshold) == pytest.approx(far)
    assert np.all(np.diff(curve["threshold"]) < 0)


def test_too_few_pairs_for_a_curve():
    with pytest.raises(ValueError, match="too few"):
        far_curve(np.arange(9) / 10)


def test_subset_is_fixed_and_sorted():
    assert subset(50, 100).tolist() == list(range(50))
    a, b = subset(1000, 100), subset(1000, 100)
    assert len(a) == 100 and np.array_equal(a, b) and np.all(np.diff(a) > 0)
