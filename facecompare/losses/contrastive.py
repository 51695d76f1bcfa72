"""Contrastive loss of Hadsell, Chopra & LeCun (2006) on (a, b, same) pair batches."""

from __future__ import annotations

from typing import ClassVar

import torch.nn.functional as F
from torch import Tensor

from facecompare.losses.base import PairCriterion, check_pair_batch, check_positive
from facecompare.losses.distances import check_distance, distance_to_score, pair_distance


class ContrastiveLoss(PairCriterion):
    """``mean_i [ same_i * d_i^2 + (1 - same_i) * relu(margin - d_i)^2 ]``.

    No 0.5 factor (some tutorials put one on both terms; it only rescales the loss and learning rate),
    and the mean is taken over all pairs of the batch. Same pairs are pulled together with no floor;
    different pairs are pushed apart until they are ``margin`` apart, after which they cost exactly 0.

    Written by hand rather than taken from pytorch-metric-learning, whose ``ContrastiveLoss`` works on
    pair indices inside one batch with un-squared hinge terms.

    Args:
        margin: distance beyond which a different-person pair stops contributing, > 0.
        distance: ``"euclidean"`` (L2) or ``"cosine"`` (1 - cosine similarity), see ``distances``.
    """

    batch_kind: ClassVar[str] = "pairs"

    def __init__(self, margin: float = 1.0, distance: str = "euclidean") -> None:
        super().__init__()
        self.margin = check_positive("margin", margin)
        self.distance = check_distance(distance)

    def forward(self, a: Tensor, b: Tensor, same: Tensor) -> Tensor:
        """a, b: (N, D) embeddings; same: (N,) bool/int/float, 1 = same person. Returns a scalar."""
        check_pair_batch(type(self).__name__, a, b, same)
        d = pair_distance(a, b, self.distance)
        same = same.to(d.dtype)
        per_pair = same * d.pow(2) + (1.0 - same) * F.relu(self.margin - d).pow(2)
        return per_pair.mean()

    def score(self, a: Tensor, b: Tensor) -> Tensor:
        check_pair_batch(type(self).__name__, a, b)
        return distance_to_score(pair_distance(a, b, self.distance), self.distance)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, distance={self.distance!r}"
