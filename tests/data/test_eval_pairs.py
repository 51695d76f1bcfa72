"""Evaluation pairs: balanced, shuffled and never the same pair twice (in either order)."""

import numpy as np
import pytest

from facecompare.data.eval_pairs import draw_distinct_pairs
from facecompare.data.pairs import draw_balanced_pairs
from facecompare.errors import ConfigError


def unordered(pairs: np.ndarray) -> set[tuple[int, int]]:
    return {(min(i, j), max(i, j)) for i, j, _ in pairs.tolist()}


def test_no_pair_twice_where_drawing_with_replacement_repeats_them():
    # 60 people of 2-4 photos: 30 x 1 + 30 x 6 = 210 distinct genuine pairs
    labels = np.repeat(np.arange(60), [2, 4] * 30)
    rng = np.random.default_rng(0)
    repeated = draw_balanced_pairs(labels, 400, rng)
    assert len(unordered(repeated[repeated[:, 2] == 1])) < 200  # the old draw: many repeats
    pairs = draw_distinct_pairs(labels, 400, np.random.default_rng(0))
    assert len(pairs) == 400 and len(unordered(pairs)) == 400 and pairs[:, 2].sum() == 200
    assert (labels[pairs[:, 0]] == labels[pairs[:, 1]]).tolist() == (pairs[:, 2] == 1).tolist()
    assert (pairs[:, 0] != pairs[:, 1]).all()


def test_fewer_distinct_genuine_pairs_than_asked_gives_all_of_them_still_balanced():
    labels = np.repeat(np.arange(10), [3, 2, 1, 1, 1, 1, 1, 1, 1, 1])  # 3 + 1 = 4 genuine pairs exist
    pairs = draw_distinct_pairs(labels, 100, np.random.default_rng(1))
    assert len(pairs) == 8 and pairs[:, 2].sum() == 4 and len(unordered(pairs)) == 8
    assert unordered(pairs[pairs[:, 2] == 1]) == {(0, 1), (0, 2), (1, 2), (3, 4)}


def test_seeded_odd_counts_and_shuffled():
    labels = np.repeat(np.arange(30), 5)
    a, b = (draw_distinct_pairs(labels, 101, np.random.default_rng(7)) for _ in range(2))
    assert np.array_equal(a, b) and len(a) == 101 and a[:, 2].sum() == 50
    assert 0 < a[:50, 2].sum() < 50  # not all genuine first


def test_impossible_draws_say_why():
    with pytest.raises(ConfigError, match="at least 2 identities"):
        draw_distinct_pairs(np.zeros(5, int), 10, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="an identity with at least 2 images"):
        draw_distinct_pairs(np.arange(5), 10, np.random.default_rng(0))


def test_fold_pairs_stay_within_one_fold_of_people():
    from facecompare.data.eval_pairs import draw_fold_pairs

    labels = np.repeat(np.arange(12), 3)  # 12 people of 3 photos
    fold_of_label = np.arange(12) % 4
    rows, folds = draw_fold_pairs(labels, fold_of_label, 42, np.random.default_rng(0))
    assert len(rows) == 42 and rows[:, 2].sum() == 21
    assert (fold_of_label[labels[rows[:, 0]]] == folds).all() and (fold_of_label[labels[rows[:, 1]]] == folds).all()
    assert np.bincount(folds).tolist() == [12, 10, 10, 10]  # 21 genuine + impostor couples
    assert (rows[:, 2] == (labels[rows[:, 0]] == labels[rows[:, 1]])).all()
