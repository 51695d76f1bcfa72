"""The two-step "similarity model": embeddings, then a learned pair head trained as a binary classifier."""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from facecompare.losses.base import PairCriterion, check_pair_batch
from facecompare.losses.pair_head import PairHead


class BinaryPairLoss(PairCriterion):
    """Binary cross-entropy of a learned :class:`PairHead` on (a, b, same) pair batches.

    ``forward`` is ``BCEWithLogits(head(a, b), same)`` averaged over pairs; ``score`` is
    ``sigmoid(head(a, b))``, the predicted probability that a and b are the same person.

    Unlike the distance-based losses this one has trainable parameters (``self.head``): they must be
    handed to the optimizer and are part of the model that is exported, since scoring needs them.

    Args:
        embedding_dim: D of the embeddings (must equal the backbone's ``embedding_dim``), > 0.
        hidden_dim: width of the head's hidden layer, > 0.
    """

    batch_kind: ClassVar[str] = "pairs"

    def __init__(self, embedding_dim: int, hidden_dim: int = 64) -> None:
        super().__init__()
        self.head = PairHead(embedding_dim, hidden_dim)

    def logits(self, a: Tensor, b: Tensor) -> Tensor:
        check_pair_batch(type(self).__name__, a, b)
        return self.head(a, b)

    def forward(self, a: Tensor, b: Tensor, same: Tensor) -> Tensor:
        """a, b: (N, D) embeddings; same: (N,) bool/int/float, 1 = same person. Returns a scalar."""
        check_pair_batch(type(self).__name__, a, b, same)
        logits = self.head(a, b)
        return F.binary_cross_entropy_with_logits(logits, same.to(logits.dtype))

    def score(self, a: Tensor, b: Tensor) -> Tensor:
        return torch.sigmoid(self.logits(a, b))
