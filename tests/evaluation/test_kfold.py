import numpy as np
import pytest

from facecompare.errors import ConfigError
from facecompare.evaluation.kfold import check_disjoint, identity_folds, kfold_accuracy, within_folds


def test_kfold_never_tunes_on_the_held_out_fold():
    # fold 0 alone would pick a threshold in (0.4, 0.6], fold 1 one in (0.7, 0.9]: transferred across,
    # each threshold misclassifies one pair of the other fold
    scores = np.array([0.6, 0.4, 0.9, 0.7])
    same = np.array([1, 0, 1, 0])
    folds = np.array([0, 0, 1, 1])
    result = kfold_accuracy(scores, same, folds)
    assert result["fold_accuracy"] == [0.5, 0.5] and result["mean"] == 0.5 and result["std"] == 0.0
    assert result["fold_threshold"] == pytest.approx([0.8, 0.5])


def test_kfold_on_a_generated_view2_pairs_file(tmp_path):
    from lfw_fakes import FOLD_PEOPLE, fold_pairs, pairs_text

    from facecompare.data.sources.lfw_protocol import read_pairs

    (tmp_path / "pairs.txt").write_text(pairs_text([fold_pairs(f) for f in FOLD_PEOPLE], view2=True))
    pairs = read_pairs(tmp_path / "pairs.txt")
    folds = np.array([p.fold for p in pairs])
    same = np.array([p.same for p in pairs])
    assert sorted(set(folds.tolist())) == [0, 1, 2] and same.sum() == len(same) / 2
    scores = np.where(same, 0.8, 0.3) + folds * 0.01  # separable in every fold
    result = kfold_accuracy(scores, same, folds)
    assert result["fold_accuracy"] == [1.0, 1.0, 1.0]


def test_kfold_at_a_false_accept_rate_uses_the_other_folds_impostors():
    # fold 0's impostors score 0.5 and 0.2, fold 1's 0.7 and 0.1. FAR 0 on the other fold: fold 0 gets a
    # threshold just above 0.7 (rejecting its genuine 0.6: FRR 1/2), fold 1 one between 0.5 and its next lower
    # score 0.3 (accepting its impostor 0.7: FAR 1/2)
    scores = np.array([0.9, 0.6, 0.5, 0.2, 0.8, 0.3, 0.7, 0.1])
    same = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    folds = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    result = kfold_accuracy(scores, same, folds, method="far", far=0.0)
    assert result["fold_threshold"] == pytest.approx([0.75, 0.55])
    assert result["fold_far"] == [0.0, 0.5] and result["fold_frr"] == [0.5, 0.5]
    assert result["fold_accuracy"] == [0.75, 0.5] and result["mean"] == 0.625 and result["method"] == "far"


def test_identity_folds_deal_people_with_genuine_pairs_first_and_are_seeded():
    people = [f"p{i}" for i in range(10)]
    several = {"p3", "p7", "p8"}
    folds = identity_folds(people, several, 3, seed=1)
    assert sorted({folds[p] for p in several}) == [0, 1, 2]  # every fold can draw genuine pairs
    assert sorted(np.bincount(list(folds.values())).tolist()) == [3, 3, 4]
    assert identity_folds(list(reversed(people)), several, 3, seed=1) == folds
    assert identity_folds(people, several, 3, seed=2) != folds
    with pytest.raises(ConfigError, match="3 people cannot make 2 folds"):
        identity_folds(["a", "b", "c"], set(), 2, seed=0)


def test_pairs_across_two_folds_are_marked_and_a_person_in_two_folds_is_refused():
    fold_of = {"a": 0, "b": 0, "c": 1}
    pairs = np.array([["a", "b"], ["a", "c"], ["c", "c"]], dtype=object)
    assert within_folds(pairs, fold_of).tolist() == [0, -1, 1]
    check_disjoint(pairs[[0, 2]], np.array([0, 1]), "pairs.csv")
    with pytest.raises(ConfigError, match=r"pairs\.csv: 'a' is in folds 0 and 1"):
        check_disjoint(pairs[:2], np.array([0, 1]), "pairs.csv")
