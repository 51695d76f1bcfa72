import numpy as np
import pytest

from facecompare.evaluation.reject import error_versus_reject

# genuine pairs 0-3, impostor pairs 4-7. FAR 0: the threshold sits between the top impostor (0.2) and the
# next higher score (0.3), 0.25; genuine 0.1 is then the one false non-match: FNMR 1/4
SCORES = np.array([0.9, 0.1, 0.8, 0.3, 0.2, 0.15, 0.05, 0.12])
SAME = np.array([1, 1, 1, 1, 0, 0, 0, 0])


def test_rejecting_the_lowest_quality_pair_first_removes_the_false_non_match():
    quality = np.array([0.9, 0.05, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3])  # the false non-match has the worst face
    curves = error_versus_reject(SCORES, SAME, {"q": quality}, fars=(0.0,), fractions=(0.0, 0.125, 0.25))
    assert curves["threshold"]["0"] == pytest.approx(0.25)
    assert curves["fnmr"]["0"]["q"] == pytest.approx([0.25, 0.0, 0.0])
    # random rejection keeps the FNMR near where it was (one pair of eight dropped per step)
    assert all(0.0 <= v <= 1 / 3 for v in curves["fnmr"]["0"]["random"])
    assert curves["fnmr"]["0"]["random"][0] == 0.25


def test_rejecting_good_pairs_first_leaves_the_error():
    quality = np.array([0.1, 0.9, 0.2, 0.3, 0.05, 0.5, 0.4, 0.3])  # genuine 0.9 and impostor 0.2 rejected first
    curves = error_versus_reject(SCORES, SAME, {"q": quality}, fars=(0.0,), fractions=(0.0, 0.125, 0.25))
    # 1/8: pair 4 (impostor) goes, 2/8: pair 0 too: 1 false non-match among 3 genuine left
    assert curves["fnmr"]["0"]["q"] == pytest.approx([0.25, 0.25, 1 / 3])
