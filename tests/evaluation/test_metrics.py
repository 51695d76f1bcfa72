"""PairMetrics against ROC values worked out by hand on six scores."""

import pytest
import torch

from facecompare.evaluation.metrics import PairMetrics, far_key

# positives score .9 .8 .6, negatives .7 .2 .1 (P = N = 3). Descending thresholds and the ROC:
#   t    : 1.0  .9   .8   .7   .6   .2   .1
#   fpr  : 0    0    0    1/3  1/3  2/3  1
#   tpr  : 0    1/3  2/3  2/3  1    1    1
#   acc = (3 tpr + 3 (1 - fpr)) / 6 : .5 .667 .833 .667 .833 .667 .5  -> best .833, first reached at t = .8
# AUC: ordered (pos, neg) pairs = 3 + 3 + 2 = 8 of 9. EER: at t = .7, FAR = FRR = 1/3.
SCORES = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
SAME = torch.tensor([1, 1, 0, 1, 0, 0])


@pytest.fixture
def metrics() -> PairMetrics:
    m = PairMetrics(fars=(0.01, 0.5))
    m.update(SCORES[:4], SAME[:4])  # two batches: state must accumulate
    m.update(SCORES[4:], SAME[4:])
    return m


def test_auc_eer_and_best_threshold(metrics):
    out = metrics.compute()
    assert out["auc"] == pytest.approx(8 / 9)
    assert out["eer"] == pytest.approx(1 / 3)
    assert out["acc"] == pytest.approx(5 / 6)
    assert out["threshold"] == pytest.approx(0.8)
    assert out["pairs"] == 6


def test_tar_at_far(metrics):
    out = metrics.compute()
    assert far_key(0.01) == "tar@far1e-2"
    assert out["tar@far1e-2"] == pytest.approx(2 / 3)  # the last point with FAR 0
    assert out["tar@far5e-1"] == pytest.approx(1.0)  # FAR 1/3 <= .5 reaches every positive


def test_operating_point_at_given_threshold(metrics):
    # accept scores >= .65: .9 .8 (right), .7 (false accept), .6 (false reject), .2 .1 (right)
    out = metrics.compute(threshold=0.65)
    assert out["acc_at_threshold"] == pytest.approx(4 / 6)
    assert out["far_at_threshold"] == pytest.approx(1 / 3)
    assert out["frr_at_threshold"] == pytest.approx(1 / 3)


def test_threshold_above_every_score_rejects_all(metrics):
    out = metrics.compute(threshold=0.95)
    assert out["far_at_threshold"] == 0 and out["frr_at_threshold"] == 1


def test_one_class_gives_no_metrics_and_reset_clears():
    m = PairMetrics()
    m.update(torch.tensor([0.3, 0.4]), torch.tensor([1, 1]))
    assert m.compute() == {}
    m.reset()
    m.update(SCORES, SAME)
    assert m.compute()["auc"] == pytest.approx(8 / 9)


def test_scores_slightly_outside_unit_range_are_not_treated_as_logits():
    # cosine scores can exceed 1 by rounding; torchmetrics would otherwise sigmoid the whole batch
    m = PairMetrics()
    m.update(torch.tensor([1.0000001, 0.2]), torch.tensor([1, 0]))
    assert m.compute()["threshold"] == pytest.approx(1.0)


def test_accepting_nothing_at_scores_of_one_rejects_them():
    # impostors at 1.0 (a sigmoid head saturates there in float32), genuine pairs low: the best is to accept
    # nothing (acc .5), and the threshold must say so; torchmetrics' first ROC point carries 1.0, which
    # would accept both impostors (acc 0)
    m = PairMetrics()
    m.update(torch.tensor([1.0, 1.0, 0.2, 0.3]), torch.tensor([0, 0, 1, 1]))
    out = m.compute()
    assert out["acc"] == 0.5 and out["threshold"] > 1.0
    assert not bool((torch.tensor([1.0, 1.0, 0.2, 0.3]) >= out["threshold"]).any())
