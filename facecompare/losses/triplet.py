"""Triplet margin loss on P x K batches, with pytorch-metric-learning doing the mining and the maths."""

from __future__ import annotations

from typing import ClassVar

from pytorch_metric_learning import distances, losses, miners, reducers
from pytorch_metric_learning.utils import loss_and_miner_utils as lmu
from torch import Tensor

from facecompare.losses.base import (
    check_choice,
    check_in_range,
    check_labelled_batch,
)
from facecompare.losses.distance_criterion import DistanceCriterion
from facecompare.losses.distances import check_distance

MINING = ("all", "semi_hard", "batch_hard")


class TripletLoss(DistanceCriterion):
    """``mean over mined triplets (a, p, n) of relu(d(a, p) - d(a, n) + margin)``.

    Mining (indices only; it runs without gradients):

    - ``"all"``: every valid triplet in the batch (p has a's label, n does not, p != a), easy ones
      included, so easy triplets dilute the mean as training progresses.
    - ``"semi_hard"``: FaceNet's ``d(a, p) < d(a, n) < d(a, p) + margin``, every such triplet kept
      (FaceNet samples one per anchor-positive pair). PML's miner lets ``d(a, n) == d(a, p) + margin``
      in too; those triplets have loss exactly 0.
    - ``"batch_hard"`` (Hermans et al. 2017): per anchor, its farthest positive and its closest
      negative; anchors that lack either are skipped.

    Reduction: plain mean over the mined triplets (``MeanReducer``), the textbook behaviour. PML's
    default ``AvgNonZeroReducer`` would average only over triplets with non-zero loss; it is *not* used.
    When mining finds no triplet (e.g. one identity in the batch) the loss is 0, still connected to the
    embeddings so that ``backward()`` works.

    ``distance="cosine"`` uses PML's ``CosineSimilarity``: ``relu(cos(a, n) - cos(a, p) + margin)``,
    which is the same as the formula above with ``d = 1 - cos``, so the margin is in the same units as
    ``ContrastiveLoss(distance="cosine")``. ``"euclidean"`` uses un-normalised L2 distance (the
    backbone decides whether embeddings are normalised).

    ``soft=True`` replaces the hinge by ``softplus(d(a, p) - d(a, n) + margin)`` (Hermans et al.'s soft
    margin, with ``margin=0`` allowed): every triplet keeps a gradient, which keeps batch-hard mining from
    settling where all embeddings meet (loss stuck at ``margin``), as resnet18 from scratch on LFW did.

    Embeddings are compared in float32 even under bf16 autocast: the loss lives on differences of
    distances that bf16's 8-bit mantissa rounds away.

    Args:
        margin: > 0 (>= 0 with ``soft``).
        mining: one of ``MINING``.
        distance: ``"euclidean"`` or ``"cosine"``.
        soft: softplus instead of the hinge.
    """

    batch_kind: ClassVar[str] = "pk"

    def __init__(
        self, margin: float = 0.2, mining: str = "batch_hard", distance: str = "euclidean", soft: bool = False
    ) -> None:
        super().__init__()
        self.soft = bool(soft)
        self.margin = check_in_range("margin", margin, 0.0, include_low=self.soft)
        self.mining = check_choice("mining", mining, MINING)
        self.distance = check_distance(distance)
        pml_distance = (
            distances.LpDistance(normalize_embeddings=False)
            if self.distance == "euclidean"
            else distances.CosineSimilarity()
        )
        if self.mining == "semi_hard":
            self.miner = miners.TripletMarginMiner(
                margin=self.margin, type_of_triplets="semihard", distance=pml_distance
            )
        elif self.mining == "batch_hard":
            self.miner = miners.BatchHardMiner(distance=pml_distance)
        else:
            self.miner = None
        self.loss_fn = losses.TripletMarginLoss(
            margin=self.margin, distance=pml_distance, reducer=reducers.MeanReducer(), smooth_loss=self.soft
        )

    def mine(self, embeddings: Tensor, labels: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The (anchor, positive, negative) index tensors the loss is averaged over."""
        if self.miner is None:
            return lmu.get_all_triplets_indices(labels)
        return self.miner(embeddings, labels)

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        """embeddings: (N, D); labels: (N,) identity ids. Returns a scalar."""
        check_labelled_batch(type(self).__name__, embeddings, labels)
        embeddings = embeddings.float()
        triplets = self.mine(embeddings, labels)
        if triplets[0].numel() == 0:
            # PML does the same today; done here so the contract does not hang on its internals.
            return (embeddings * 0.0).sum()
        return self.loss_fn(embeddings, labels, indices_tuple=triplets)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, mining={self.mining!r}, distance={self.distance!r}, soft={self.soft}"
