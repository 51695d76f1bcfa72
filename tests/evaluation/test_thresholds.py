"""Thresholds, ROC, EER and k-fold transfer against values worked out by hand on tiny score sets."""

import json

import numpy as np
import pytest
import torch

from facecompare.evaluation.metrics import PairMetrics
from facecompare.evaluation.resampling import accuracy_at, bootstrap_ci
from facecompare.evaluation.thresholds import (
    best_accuracy_threshold,
    read_calibration,
    threshold_at_far,
    write_calibration,
)

# genuine 0.9 and 0.7, impostor 0.8 and 0.2
SCORES = np.array([0.9, 0.8, 0.7, 0.2])
SAME = np.array([1, 0, 1, 0])


def test_best_accuracy_by_hand():
    # accept >= 0.9: 1 TP + 2 TN = 3/4; >= 0.8: 1 + 1; >= 0.7: 2 + 1 = 3/4; >= 0.2: 2 + 0; none: 0 + 2.
    # The first best accepts only 0.9; the threshold sits midway to the next score down.
    threshold, acc = best_accuracy_threshold(SCORES, SAME)
    assert threshold == pytest.approx(0.85) and acc == 0.75


def test_threshold_at_far_by_hand():
    assert threshold_at_far(SCORES, SAME, 0.0) == (pytest.approx(0.85), 0.0, 0.5)
    assert threshold_at_far(SCORES, SAME, 0.5) == (pytest.approx(0.45), 0.5, 1.0)
    thr, far, tar = threshold_at_far(np.array([0.9, 0.1]), np.array([0, 1]), 0.0)
    assert thr > 0.9 and far == 0.0 and tar == 0.0  # the top score is an impostor: accept nothing


def test_roc_auc_and_eer_by_hand():
    metrics = PairMetrics(fars=(0.5,))
    metrics.update(torch.tensor(SCORES), torch.tensor(SAME))
    out = metrics.compute()
    # genuine > impostor in 3 of the 4 (genuine, impostor) couples
    assert out["auc"] == pytest.approx(0.75)
    # at 0.8 both error rates are 1/2
    assert out["eer"] == pytest.approx(0.5)
    assert out["acc"] == pytest.approx(0.75) and out["tar@far5e-1"] == pytest.approx(1.0)


def test_bootstrap_interval_contains_the_estimate_and_narrows_with_data():
    rng = np.random.default_rng(0)
    same = rng.integers(0, 2, 400)
    scores = np.clip(same * 0.3 + rng.normal(0.4, 0.15, 400), 0, 1)
    acc = accuracy_at(scores, same, 0.55)
    small = bootstrap_ci(scores[:80], same[:80], 0.55, rounds=300)
    big = bootstrap_ci(scores, same, 0.55, rounds=300)
    assert big["acc"][0] <= acc <= big["acc"][1] and 0.5 < big["auc"][0] < big["auc"][1] <= 1.0
    assert big["acc"][1] - big["acc"][0] < small["acc"][1] - small["acc"][0]
    assert bootstrap_ci(scores, same, 0.55, rounds=300) == big  # seeded


def test_bootstrap_keeps_the_numbers_of_genuine_and_impostor_pairs():
    # 50 genuine pairs all accepted, 1 impostor also accepted: every stratified resample scores 50 of 51 right
    # (resampling all pairs together would vary the count and drop a third of the rounds for having no impostor)
    scores = np.r_[np.linspace(0.6, 0.99, 50), 0.8]
    same = np.r_[np.ones(50), 0]
    ci = bootstrap_ci(scores, same, 0.5, rounds=200)
    assert ci["acc"] == (50 / 51, 50 / 51)
    assert 0.0 <= ci["auc"][0] < ci["auc"][1] <= 1.0  # the impostor ranks among the genuine scores
    with pytest.raises(ValueError, match="needs genuine and impostor pairs, got 50 and 0"):
        bootstrap_ci(scores[:50], same[:50], 0.5)


def test_calibration_file_round_trip(tmp_path):
    path = write_calibration(tmp_path / "ckpt.threshold.json", {"threshold": 0.61, "method": "far", "far": 1e-3})
    assert read_calibration(path)["threshold"] == 0.61
    (tmp_path / "bad.json").write_text(json.dumps({"thr": 1}))
    with pytest.raises(ValueError, match="no numeric 'threshold'"):
        read_calibration(tmp_path / "bad.json")


def test_accepting_nothing_rejects_a_float32_score_of_one():
    scores = np.array([1.0, 1.0, 0.2, 0.3], np.float32)
    threshold, acc = best_accuracy_threshold(scores, np.array([0, 0, 1, 1]))
    # float64's successor of 1.0 is 1.0 again once compared with float32 scores
    assert acc == 0.5 and not (scores >= threshold).any() and not (torch.from_numpy(scores) >= threshold).any()
    threshold, far, tar = threshold_at_far(scores, np.array([0, 0, 1, 1]), far=0.0)
    assert (far, tar) == (0.0, 0.0) and not (scores >= threshold).any()
