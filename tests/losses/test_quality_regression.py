"""The quality branch's targets and criterion, against values worked out by hand."""

import math

import pytest
import torch

from facecompare.losses.quality_regression import centre_cosines, pair_labels, quality_regression, quality_targets


def test_each_crop_is_scored_against_its_identitys_other_crops():
    embeddings = torch.tensor([[1.0, 0.0], [0.0, 2.0], [0.0, 1.0], [5.0, 0.0]])
    labels = torch.tensor([7, 7, 7, 3])
    rows, centres = centre_cosines(embeddings, labels)
    assert rows.tolist() == [0, 1, 2]  # the lone crop of person 3 has no centre to be scored against
    s = 1 / math.sqrt(2)
    # crop 0's others: (0, 1) and (0, 1) -> centre (0, 1); crop 1's: (1, 0) and (0, 1) -> (s, s)
    assert torch.allclose(centres, torch.tensor([[0.0, 1.0], [s, s], [s, s]]), atol=1e-6)
    targets = quality_targets(embeddings[rows], centres)
    assert torch.allclose(targets, torch.tensor([0.0, s, s]), atol=1e-6)


def test_targets_carry_no_gradient():
    embeddings = torch.randn(4, 3, requires_grad=True)
    rows, centres = centre_cosines(embeddings, torch.tensor([0, 0, 1, 1]))
    assert not quality_targets(embeddings[rows], centres).requires_grad


def test_pair_labels_pair_only_genuine_partners():
    labels = pair_labels(torch.tensor([1, 0, 1]))
    # a: 0, 1, 2; b: genuine pairs 0 and 2 share the label of their a, the impostor's b gets its own
    assert labels.tolist() == [0, 1, 2, 0, 4, 2]


def test_smooth_l1_by_hand():
    predicted, targets = torch.tensor([0.5, 0.0]), torch.tensor([0.45, 1.0])
    # beta 0.1: |d| = 0.05 < beta -> 0.5 * 0.05**2 / 0.1 = 0.0125; |d| = 1 -> 1 - 0.05 = 0.95
    assert quality_regression(predicted, targets).item() == pytest.approx((0.0125 + 0.95) / 2)
    assert quality_regression(torch.zeros(0), torch.zeros(0)).item() == 0.0
    with pytest.raises(ValueError, match="predicted"):
        quality_regression(torch.zeros(2), torch.zeros(3))
