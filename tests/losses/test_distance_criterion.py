"""The score every distance-based criterion shares, by hand on 3-4-5 vectors."""

import pytest
import torch

from facecompare.losses import ContrastiveLoss, DistanceCriterion, MarginSoftmaxLoss, MultiSimilarityLoss, TripletLoss

A, B = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.6, 0.8]])  # unit vectors: cos 0.6, |a - b| = sqrt(0.8)


class Plain(DistanceCriterion):
    batch_kind = "pairs"

    def __init__(self, distance: str) -> None:
        super().__init__()
        self.distance = distance

    def forward(self, a, b, same):  # pragma: no cover - only the score is under test
        raise NotImplementedError


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        # euclidean: 1 / (1 + d), d = sqrt(0.8)
        (lambda: Plain("euclidean"), 1 / (1 + 0.8**0.5)),
        (lambda: ContrastiveLoss(), 1 / (1 + 0.8**0.5)),
        (lambda: TripletLoss(), 1 / (1 + 0.8**0.5)),
        # cosine: (1 + cos) / 2
        (lambda: Plain("cosine"), 0.8),
        (lambda: ContrastiveLoss(distance="cosine"), 0.8),
        (lambda: MultiSimilarityLoss(), 0.8),
        (lambda: MarginSoftmaxLoss(), 0.8),
    ],
)
def test_score_by_hand(make, expected):
    assert make().score(A, B).item() == pytest.approx(expected)


def test_score_refuses_mismatched_embeddings():
    with pytest.raises(ValueError, match=r"MarginSoftmaxLoss.*a and b of the same shape"):
        MarginSoftmaxLoss().score(torch.zeros(2, 3), torch.zeros(2, 4))
