"""A small learned head that maps a pair of embeddings to a same-person logit."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from facecompare.losses.base import check_positive_int


class PairHead(nn.Module):
    """``concat(|a - b|, a * b) -> Linear -> ReLU -> Linear -> logit``.

    Both feature halves are symmetric in (a, b), so ``head(a, b) == head(b, a)`` exactly, whatever
    the weights: a verification score must not depend on which image came first.

    Args:
        embedding_dim: D of the embeddings it receives (the backbone's ``embedding_dim``), > 0.
        hidden_dim: width of the hidden layer, > 0.
    """

    def __init__(self, embedding_dim: int, hidden_dim: int = 64) -> None:
        super().__init__()
        self.embedding_dim = check_positive_int("embedding_dim", embedding_dim)
        self.hidden_dim = check_positive_int("hidden_dim", hidden_dim)
        self.hidden = nn.Linear(2 * self.embedding_dim, self.hidden_dim)
        self.output = nn.Linear(self.hidden_dim, 1)

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        """(N, D), (N, D) -> (N,) logits."""
        if a.shape[-1] != self.embedding_dim:
            # Without this, nn.Linear reports a matrix-shape mismatch that names neither setting.
            raise ValueError(
                f"PairHead was built for embedding_dim={self.embedding_dim} but got embeddings of dim "
                f"{a.shape[-1]}: loss.embedding_dim must equal the backbone's embedding_dim"
            )
        features = torch.cat([(a - b).abs(), a * b], dim=1)
        return self.output(F.relu(self.hidden(features))).squeeze(1)
