"""Contrastive loss of Hadsell, Chopra & LeCun (2006) on (a, b, same) pair batches."""

from __future__ import annotations

from typing import ClassVar

import torch.nn.functional as F
from torch import Tensor

from facecompare.losses.base import check_in_range, check_pair_batch, check_positive
from facecompare.losses.distance_criterion import DistanceCriterion
from facecompare.losses.distances import check_distance, pair_distance


class ContrastiveLoss(DistanceCriterion):
    """``mean_i [ same_i * relu(d_i - pos_margin)^2 + (1 - same_i) * relu(margin - d_i)^2 ]``.

    No 0.5 factor (some tutorials put one on both terms; it only rescales the loss and learning rate),
    and the mean is taken over all pairs of the batch. Same pairs are pulled together until they are within
    ``pos_margin`` (0, the default: no floor, Hadsell's original); different pairs are pushed apart until
    they are ``margin`` apart, after which they cost exactly 0. A positive ``pos_margin`` (the double-margin
    form) stops the loss from collapsing the training photos of one person onto a point, which on small data
    is memorisation rather than learning.

    Written by hand rather than taken from pytorch-metric-learning, whose ``ContrastiveLoss`` works on
    pair indices inside one batch with un-squared hinge terms.

    Args:
        margin: distance beyond which a different-person pair stops contributing, > 0.
        distance: ``"euclidean"`` (L2) or ``"cosine"`` (1 - cosine similarity), see ``distances``.
        pos_margin: distance under which a same-person pair stops contributing, in [0, margin).
    """

    batch_kind: ClassVar[str] = "pairs"

    def __init__(self, margin: float = 1.0, distance: str = "euclidean", pos_margin: float = 0.0) -> None:
        super().__init__()
        self.margin = check_positive("margin", margin)
        self.distance = check_distance(distance)
        self.pos_margin = check_in_range(
            "pos_margin", pos_margin, 0.0, self.margin, include_low=True, high_name="margin"
        )

    def forward(self, a: Tensor, b: Tensor, same: Tensor) -> Tensor:
        """a, b: (N, D) embeddings; same: (N,) bool/int/float, 1 = same person. Returns a scalar."""
        check_pair_batch(type(self).__name__, a, b, same)
        d = pair_distance(a, b, self.distance)
        same = same.to(d.dtype)
        per_pair = same * F.relu(d - self.pos_margin).pow(2) + (1.0 - same) * F.relu(self.margin - d).pow(2)
        return per_pair.mean()

    def extra_repr(self) -> str:
        return f"margin={self.margin}, pos_margin={self.pos_margin}, distance={self.distance!r}"
